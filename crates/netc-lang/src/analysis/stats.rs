//! What the analysis knows of a value.

/// What the forward pass knows about one value of the graph.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ValueStats {
    /// Second moment E[x²] (for a linear's output: the pre-activation
    /// variance q).
    pub second: f64,
    /// Mean E[x] of the value (E φ after an activation; 0 after a linear,
    /// whose weights are zero-mean).
    pub mean: f64,
    /// Per-unit variance over the batch, what batchnorm divides by: a
    /// linear passes on `N v` times its input's, its bias drops out.
    pub batch_variance: f64,
}

impl ValueStats {
    /// The variance of the value over all its units, Q − M² (what a
    /// layernorm divides by).
    pub fn variance(&self) -> f64 {
        (self.second - self.mean * self.mean).max(0.0)
    }
}

/// Standardised inputs: Q₀ = 1, M₀ = 0.
pub(super) const INPUT: ValueStats = ValueStats {
    second: 1.0,
    mean: 0.0,
    batch_variance: 1.0,
};

/// A batchnorm or layernorm output at init is standardised too.
pub(crate) const NORMALISED: ValueStats = INPUT;
