//! Activations as scalar `f64` functions, value and derivative, for the
//! static gradient-flow analysis (Gaussian expectations of φ and φ'), and
//! the one `f64` error function and standard normal pdf/cdf of netc.
//!
//! The error function is accurate to about 1e-15 relative: the analysis
//! multiplies tail probabilities by `e^{2q}` (ELU's closed forms), which
//! needs the scaled form `erfcx`.

use std::f64::consts::{FRAC_2_SQRT_PI, PI, SQRT_2};

use crate::Activation;

/// An elementwise activation as a scalar function. Softmax and log_softmax
/// couple the features of a row and have no scalar form.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScalarActivation(Activation);

impl ScalarActivation {
    /// `None` for the row-wise activations.
    pub fn new(activation: Activation) -> Option<Self> {
        (!activation.is_row_wise()).then_some(ScalarActivation(activation))
    }

    pub fn activation(&self) -> Activation {
        self.0
    }

    /// φ(z).
    pub fn value(&self, z: f64) -> f64 {
        self.0.value_at(z)
    }

    /// φ'(z); at a kink (z = 0 for relu/leaky/elu) the right-hand limit,
    /// as PyTorch's backward uses `z > 0`.
    pub fn derivative(&self, z: f64) -> f64 {
        self.0.derivative_at(z)
    }
}

pub(crate) fn elu(alpha: f64, z: f64) -> f64 {
    if z > 0.0 {
        z
    } else {
        alpha * z.exp_m1()
    }
}

pub(crate) fn elu_derivative(alpha: f64, z: f64) -> f64 {
    if z > 0.0 {
        1.0
    } else {
        alpha * z.exp()
    }
}

/// `softplus(z) = log(1 + e^{βz})/β`, linear above `threshold` like PyTorch.
pub(crate) fn softplus(beta: f64, threshold: f64, z: f64) -> f64 {
    let bz = beta * z;
    if bz > threshold {
        z
    } else {
        // log1p(e^x) = max(x, 0) + log1p(e^{-|x|}) stays finite for any x.
        (bz.max(0.0) + (-bz.abs()).exp().ln_1p()) / beta
    }
}

pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Standard normal density ϕ(x).
pub fn normal_pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * PI).sqrt()
}

/// Standard normal cdf Φ(x), accurate in both tails.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / SQRT_2)
}

/// Below this |x| the Maclaurin series of erf converges with little
/// cancellation; above it the continued fraction of erfc converges fast.
const SERIES_LIMIT: f64 = 2.5;

pub fn erf(x: f64) -> f64 {
    if x.abs() < SERIES_LIMIT {
        erf_series(x)
    } else {
        x.signum() * (1.0 - erfc_positive(x.abs()))
    }
}

pub fn erfc(x: f64) -> f64 {
    if x.abs() < SERIES_LIMIT {
        1.0 - erf_series(x)
    } else if x > 0.0 {
        erfc_positive(x)
    } else {
        2.0 - erfc_positive(-x)
    }
}

/// The scaled complementary error function `e^{x²} erfc(x)`, finite where
/// `e^{x²}` alone overflows.
pub fn erfcx(x: f64) -> f64 {
    if x >= SERIES_LIMIT {
        erfcx_continued_fraction(x)
    } else if x > -26.0 {
        (x * x).exp() * erfc(x)
    } else {
        f64::INFINITY
    }
}

/// erf(x) = 2/√π Σ (−1)ⁿ x^{2n+1} / (n! (2n+1)).
fn erf_series(x: f64) -> f64 {
    let x2 = x * x;
    let mut power = x;
    let mut sum = x;
    let mut n = 0.0;
    loop {
        n += 1.0;
        power *= -x2 / n;
        let term = power / (2.0 * n + 1.0);
        sum += term;
        if term.abs() <= 1e-17 * sum.abs() {
            break;
        }
    }
    FRAC_2_SQRT_PI * sum
}

fn erfc_positive(x: f64) -> f64 {
    (-x * x).exp() * erfcx_continued_fraction(x)
}

/// `e^{x²} erfc(x) = (1/√π) · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))`
/// for x > 0, evaluated by modified Lentz.
fn erfcx_continued_fraction(x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut f = x;
    let mut c = x;
    let mut d = 0.0;
    for k in 1..500 {
        let a = k as f64 / 2.0;
        d = x + a * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = x + a / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    1.0 / (f * PI.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erf_matches_reference_values() {
        // Reference values from Abramowitz & Stegun table 7.1 / mpmath.
        let cases = [
            (0.5, 0.520_499_877_813_046_5),
            (1.0, 0.842_700_792_949_714_9),
            (2.0, 0.995_322_265_018_952_7),
            (3.0, 0.999_977_909_503_001_4),
        ];
        for (x, want) in cases {
            assert!((erf(x) - want).abs() < 1e-15, "erf({x}) = {}", erf(x));
            assert!((erf(-x) + want).abs() < 1e-15);
        }
        // erfc(5) = 1.5374597944280349e-12: relative accuracy in the tail.
        assert!((erfc(5.0) / 1.537_459_794_428_035e-12 - 1.0).abs() < 1e-13);
        assert!((erfcx(30.0) * 30.0 * PI.sqrt() - 1.0).abs() < 1e-3);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for activation in Activation::ALL {
            let Some(f) = ScalarActivation::new(activation) else {
                assert!(activation.is_row_wise(), "{activation:?}");
                continue;
            };
            for z in [-2.3, -0.7, 0.4, 1.9] {
                let h = 1e-6;
                let numeric = (f.value(z + h) - f.value(z - h)) / (2.0 * h);
                assert!(
                    (numeric - f.derivative(z)).abs() < 1e-6,
                    "{activation:?} at {z}: {numeric} vs {}",
                    f.derivative(z)
                );
            }
        }
        assert!(ScalarActivation::new(Activation::Softmax).is_none());
    }
}
