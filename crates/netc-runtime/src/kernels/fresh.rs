//! Which gradient outputs a backward kernel overwrites.

/// The gradient outputs a backward op writes from scratch instead of
/// adding into: bit `i` is its `i`-th gradient output, in the order its
/// kernel documents (`dx, dw, db` for linear). Backward outputs
/// accumulate, because a value read twice or a layer called twice sums
/// its contributions; but the first writer of a gradient finds zeros, so
/// the Plan marks it fresh here instead of zeroing the buffer before it
/// (a pass over memory that the write then repeats). A fresh output is
/// the same bits as one accumulated into zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Fresh(pub u8);

impl Fresh {
    /// Every output accumulates.
    pub const NONE: Fresh = Fresh(0);
    /// The most gradient outputs a kernel has.
    pub const MAX_OUTPUTS: usize = 8;

    /// Whether output `i` is overwritten.
    #[inline(always)]
    pub fn output(self, i: usize) -> bool {
        i < Self::MAX_OUTPUTS && self.0 >> i & 1 == 1
    }

    /// `self` with output `i` overwritten.
    pub fn with(self, i: usize) -> Fresh {
        assert!(i < Self::MAX_OUTPUTS, "Fresh: no output {i}");
        Fresh(self.0 | 1 << i)
    }

    /// Clears the fresh ones of `outputs` (each with its index; `None`
    /// where the op has no such output): what a kernel with nothing to
    /// sum (an empty batch) still owes its fresh outputs.
    pub(crate) fn clear<const N: usize>(self, outputs: [(usize, Option<&mut [f32]>); N]) {
        for (i, out) in outputs {
            if let Some(out) = out {
                clear_if(self.output(i), out);
            }
        }
    }

    /// What output `i` starts from: zero when it is fresh, else `old`.
    #[inline(always)]
    pub(crate) fn base(fresh: bool, old: f32) -> f32 {
        if fresh {
            0.0
        } else {
            old
        }
    }
}

/// The zeros a fresh output's sums start from, where a kernel adds into
/// it rather than storing whole sums.
#[inline(always)]
pub(crate) fn clear_if(fresh: bool, out: &mut [f32]) {
    if fresh {
        out.fill(0.0);
    }
}
