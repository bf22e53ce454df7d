//! The tape entry of a normalisation: batchnorm's and layernorm's
//! backward ops take the same operands.

use netc_lang::ir::{Handle, Node};

use crate::lower::state_layout::Affine;
use crate::lower::tape::{Gradients, LayerTape};
use crate::plan::{BufferId, Fresh, OpKind};

/// Which normalisation a call ran.
#[derive(Clone, Copy)]
pub(super) enum Norm {
    /// Over `n` channels of `plane` positions (1 for batchnorm1d).
    Batch {
        plane: usize,
    },
    Layer,
}

pub(super) struct NormTape {
    pub norm: Norm,
    pub arg: Handle<Node>,
    pub xhat: BufferId,
    pub invstd: BufferId,
    pub affine: Option<Affine>,
    pub n: usize,
}

impl LayerTape for NormTape {
    fn backward(&self, grad: &mut dyn Gradients) -> Option<OpKind> {
        // The kernels always write dx, needed or not.
        let dx = grad.grad_or_discarded(self.arg);
        let (gamma, _) = Affine::values(self.affine);
        let (dgamma, dbeta) = Affine::grads(self.affine);
        let (xhat, invstd, n) = (self.xhat, self.invstd, self.n);
        Some(match self.norm {
            Norm::Batch { plane } => OpKind::BatchNormBackward {
                dy: grad.dy(),
                xhat,
                invstd,
                gamma,
                dx,
                dgamma,
                dbeta,
                fresh: Fresh::NONE,
                n,
                plane,
            },
            Norm::Layer => OpKind::LayerNormBackward {
                dy: grad.dy(),
                xhat,
                invstd,
                gamma,
                dx,
                dgamma,
                dbeta,
                fresh: Fresh::NONE,
                n,
            },
        })
    }

    fn has_parameters(&self) -> bool {
        self.affine.is_some()
    }
}
