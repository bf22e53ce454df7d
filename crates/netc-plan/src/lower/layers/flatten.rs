//! `flatten`: no buffers and no op. An image is stored as its `C·H·W`
//! floats, so a call's value (and its gradient) is its argument's
//! buffer, unless it is the model's output, which has a buffer of its
//! own and gets a copy.

use netc_lang::ir::{Handle, Node};

use crate::lower::tape::{Call, Gradients, LayerLowering, LayerTape, Lowered, Recorded};
use crate::lower::Builder;
use crate::plan::{Fresh, OpKind};

pub(super) struct Flatten;

impl<'m> LayerLowering<'m> for Flatten {
    /// Reached only as the model's output (any other call is an alias).
    fn call(&mut self, _builder: &mut Builder<'m>, call: &Call<'_>) -> Lowered {
        let &Call { x, y, arg, .. } = call;
        let op = OpKind::Copy { x, y };
        let tape = FlattenTape { arg, copied: true };
        (op.clone(), op, Recorded::layer(tape))
    }

    fn alias(&self, arg: Handle<Node>) -> Option<Box<dyn LayerTape>> {
        Some(Box::new(FlattenTape { arg, copied: false }))
    }
}

struct FlattenTape {
    arg: Handle<Node>,
    /// Whether the call copied its argument (the model's output).
    copied: bool,
}

impl LayerTape for FlattenTape {
    fn backward(&self, grad: &mut dyn Gradients) -> Option<OpKind> {
        // An aliased flatten's consumers wrote its argument's gradient
        // already.
        if !self.copied {
            return None;
        }
        let dst = grad.grad_of(self.arg)?;
        Some(OpKind::Accumulate {
            dst,
            src: grad.dy(),
            fresh: Fresh::NONE,
        })
    }

    fn gradient_alias(&self) -> Option<Handle<Node>> {
        (!self.copied).then_some(self.arg)
    }
}
