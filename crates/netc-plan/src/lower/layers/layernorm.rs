//! `layernorm`: per-sample statistics, the same op in both modes.

use netc_lang::ir::LayerNormSpec;

use super::norm::{Norm, NormTape};
use crate::lower::state_layout::Affine;
use crate::lower::tape::{Call, LayerLowering, Lowered, Recorded};
use crate::lower::Builder;
use crate::plan::{BufferKind, BufferLen, OpKind};

pub(super) struct LayerNorm<'m> {
    spec: &'m LayerNormSpec,
    affine: Option<Affine>,
}

impl<'m> LayerNorm<'m> {
    pub fn declare(builder: &mut Builder<'m>, name: &str, spec: &'m LayerNormSpec) -> Self {
        let affine = spec
            .elementwise_affine
            .then(|| builder.affine(name, spec.normalized_shape));
        LayerNorm { spec, affine }
    }
}

impl<'m> LayerLowering<'m> for LayerNorm<'m> {
    fn call(&mut self, builder: &mut Builder<'m>, call: &Call<'_>) -> Lowered {
        let &Call { x, y, arg, .. } = call;
        let n = self.spec.normalized_shape;
        let (gamma, beta) = Affine::values(self.affine);
        let mut saved = |what, width| {
            call.buffer(
                builder,
                what,
                BufferKind::Saved,
                BufferLen::PerSample(width),
            )
        };
        let (xhat, invstd) = (saved("xhat", n), saved("invstd", 1));
        let op = OpKind::LayerNorm {
            x,
            gamma,
            beta,
            y,
            xhat,
            invstd,
            eps: self.spec.eps as f32,
            n,
        };
        let tape = NormTape {
            norm: Norm::Layer,
            arg,
            xhat,
            invstd,
            affine: self.affine,
            n: call.width,
        };
        (op.clone(), op, Recorded::layer(tape))
    }
}
