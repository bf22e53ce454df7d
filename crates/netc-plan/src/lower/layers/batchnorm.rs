//! `batchnorm` and `batchnorm2d`: the same state and ops, over `plane`
//! positions per channel (1 for a flat input); the eval forward applies
//! a `(scale, shift)` the inference cache folds from the running
//! statistics.

use netc_lang::ir::BatchNormSpec;

use super::norm::{Norm, NormTape};
use crate::lower::state_layout::Affine;
use crate::lower::tape::{Call, LayerLowering, Lowered, Recorded};
use crate::lower::Builder;
use crate::plan::{BufferId, BufferKind, BufferLen, OpKind};

pub(super) struct BatchNorm<'m> {
    spec: &'m BatchNormSpec,
    affine: Option<Affine>,
    running_mean: BufferId,
    running_var: BufferId,
    counter: BufferId,
    /// The eval forward's folded `(scale, shift)`, made by the first call.
    eval: Option<(BufferId, BufferId)>,
}

impl<'m> BatchNorm<'m> {
    pub fn declare(builder: &mut Builder<'m>, name: &str, spec: &'m BatchNormSpec) -> Self {
        let n = spec.num_features;
        let affine = spec.affine.then(|| builder.affine(name, n));
        let mut stat = |stat: &str, kind, shape, init| {
            builder.state_buffer(format!("{name}.{stat}"), kind, shape, init)
        };
        let running_mean = stat("running_mean", BufferKind::RunningStat, vec![n], 0.0);
        let running_var = stat("running_var", BufferKind::RunningStat, vec![n], 1.0);
        let counter = stat("num_batches_tracked", BufferKind::Counter, Vec::new(), 0.0);
        BatchNorm {
            spec,
            affine,
            running_mean,
            running_var,
            counter,
            eval: None,
        }
    }
}

impl<'m> LayerLowering<'m> for BatchNorm<'m> {
    fn call(&mut self, builder: &mut Builder<'m>, call: &Call<'_>) -> Lowered {
        let &Call { x, y, arg, .. } = call;
        let n = self.spec.num_features;
        let plane = call.plane();
        let eps = self.spec.eps as f32;
        let (gamma, beta) = Affine::values(self.affine);
        let mut saved = |what, len| call.buffer(builder, what, BufferKind::Saved, len);
        let xhat = saved("xhat", BufferLen::PerSample(call.width));
        let mean = saved("mean", BufferLen::Fixed(n));
        let invstd = saved("invstd", BufferLen::Fixed(n));
        let (running_mean, running_var) = (self.running_mean, self.running_var);
        let train_op = OpKind::BatchNormTrain {
            x,
            gamma,
            beta,
            y,
            xhat,
            mean,
            invstd,
            running_mean,
            running_var,
            num_batches_tracked: self.counter,
            momentum: self.spec.momentum.map(|m| m as f32),
            eps,
            n,
            plane,
        };
        let (scale, shift) = *self.eval.get_or_insert_with(|| {
            let mut cached =
                |what: &str| builder.fixed(&format!("{}.{what}", call.layer), BufferKind::Cache, n);
            let (scale, shift) = (cached("eval_scale"), cached("eval_shift"));
            let op = OpKind::BatchNormAffine {
                gamma,
                beta,
                running_mean,
                running_var,
                scale,
                shift,
                eps,
                n,
            };
            builder.cache.push(Builder::op(op, call.layer));
            (scale, shift)
        });
        let eval_op = OpKind::BatchNormApply {
            x,
            scale,
            shift,
            y,
            n,
            plane,
        };
        let tape = NormTape {
            norm: Norm::Batch { plane },
            arg,
            xhat,
            invstd,
            affine: self.affine,
            n,
        };
        (train_op, eval_op, Recorded::layer(tape))
    }
}
