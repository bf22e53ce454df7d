//! Gaussian moments of an activation: `E φ(z)`, `E φ(z)²`, `E φ'(z)²` for
//! z ~ N(0, q). Closed forms where they exist, composite Simpson otherwise,
//! memoised by (activation, q) (docs/lints-and-gradients.md, "Activation
//! moments").

use std::collections::HashMap;
use std::f64::consts::{PI, SQRT_2};
use std::sync::OnceLock;

use netc_ops::scalar::{erfcx, normal_cdf, normal_pdf, ScalarActivation};
use netc_ops::{Activation, SELU_ALPHA, SELU_SCALE};

/// The three expectations the mean-field recursion needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// E φ(z).
    pub mean: f64,
    /// E φ(z)².
    pub second: f64,
    /// E φ'(z)².
    pub derivative_sq: f64,
}

impl Moments {
    /// Var φ(z).
    pub fn variance(&self) -> f64 {
        (self.second - self.mean * self.mean).max(0.0)
    }
}

/// Memoised moments; one per analysis run, so repeated layers of the same
/// activation and variance cost one evaluation.
#[derive(Debug, Default)]
pub struct MomentCache {
    entries: HashMap<(ActivationKey, u64), Moments>,
}

/// An activation with its parameters as bits, hashable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ActivationKey(&'static str, Vec<u64>);

impl ActivationKey {
    fn of(activation: Activation) -> Self {
        let parameters = activation.parameters();
        let bits = parameters.iter().map(|(_, value)| value.to_bits());
        ActivationKey(activation.name(), bits.collect())
    }
}

impl MomentCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moments of `activation` at z ~ N(0, q).
    pub fn get(&mut self, activation: ScalarActivation, q: f64) -> Moments {
        let key = (ActivationKey::of(activation.activation()), q.to_bits());
        *self
            .entries
            .entry(key)
            .or_insert_with(|| gaussian_moments(activation, q))
    }
}

/// Moments without the cache.
pub fn gaussian_moments(activation: ScalarActivation, q: f64) -> Moments {
    let q = q.max(0.0);
    let s = q.sqrt();
    let numeric = |f: &dyn Fn(f64) -> f64| simpson_expectation(s, f);
    match activation.activation() {
        Activation::Relu => Moments {
            mean: s / (2.0 * PI).sqrt(),
            second: q / 2.0,
            derivative_sq: 0.5,
        },
        Activation::LeakyRelu { negative_slope: a } => Moments {
            mean: (1.0 - a) * s / (2.0 * PI).sqrt(),
            second: (1.0 + a * a) * q / 2.0,
            derivative_sq: (1.0 + a * a) / 2.0,
        },
        Activation::Elu { alpha } => elu_moments(alpha, q),
        Activation::Selu => {
            let m = elu_moments(SELU_ALPHA, q);
            let l2 = SELU_SCALE * SELU_SCALE;
            Moments {
                mean: SELU_SCALE * m.mean,
                second: l2 * m.second,
                derivative_sq: l2 * m.derivative_sq,
            }
        }
        Activation::Gelu => Moments {
            mean: q / (2.0 * PI * (1.0 + q)).sqrt(),
            second: q / 4.0
                + q / (2.0 * PI)
                    * ((q / (1.0 + q)).asin() + 2.0 * q / ((1.0 + q) * (1.0 + 2.0 * q).sqrt())),
            derivative_sq: numeric(&|z| activation.derivative(z).powi(2)),
        },
        Activation::Sigmoid => Moments {
            mean: 0.5,
            second: numeric(&|z| activation.value(z).powi(2)),
            derivative_sq: numeric(&|z| activation.derivative(z).powi(2)),
        },
        Activation::Identity | Activation::Softmax | Activation::LogSoftmax => Moments {
            mean: 0.0,
            second: q,
            derivative_sq: 1.0,
        },
        // Closed forms above are refinements: any other elementwise
        // activation is integrated from its φ and φ′.
        _ => Moments {
            mean: numeric(&|z| activation.value(z)),
            second: numeric(&|z| activation.value(z).powi(2)),
            derivative_sq: numeric(&|z| activation.derivative(z).powi(2)),
        },
    }
}

/// ELU(α) at N(0, q). `e^{q/2}Φ(−s)` and `e^{2q}Φ(−2s)` are written with
/// the scaled erfc so they stay finite for large q.
fn elu_moments(alpha: f64, q: f64) -> Moments {
    let s = q.sqrt();
    let tail_half = 0.5 * erfcx(s / SQRT_2); // e^{q/2} Φ(−s)
    let tail_two = 0.5 * erfcx(SQRT_2 * s); // e^{2q} Φ(−2s)
    Moments {
        mean: s / (2.0 * PI).sqrt() + alpha * (tail_half - 0.5),
        second: q / 2.0 + alpha * alpha * (tail_two - 2.0 * tail_half + 0.5),
        derivative_sq: 0.5 + alpha * alpha * tail_two,
    }
}

/// The moments of φ(max of `n` z ~ N(0, q) with pairwise correlation
/// ρ): max pooling over the outputs of a nondecreasing φ, with which max
/// commutes (`max φ(zᵢ) = φ(max zᵢ)`). `derivative_sq` is E φ'(M)², the
/// factor the one input the gradient reaches sees. The window is taken
/// equicorrelated: a convolution's output shares its per-channel part
/// (the weights times its input's mean, and the bias) across pixels, and
/// the rest is uncorrelated in expectation over the weights.
pub fn max_moments(activation: ScalarActivation, q: f64, rho: f64, n: usize) -> Moments {
    let s = q.max(0.0).sqrt();
    let expect = |f: &dyn Fn(f64) -> f64| correlated_max_expectation(n, rho, &|u| f(s * u));
    Moments {
        mean: expect(&|z| activation.value(z)),
        second: expect(&|z| activation.value(z).powi(2)),
        derivative_sq: expect(&|z| activation.derivative(z).powi(2)),
    }
}

/// `E f(M)` for M the max of `n` standard normals with pairwise
/// correlation ρ: `M = √ρ c + √(1−ρ) max nᵢ` with c, nᵢ independent, the
/// max's density `n ϕ(u) Φ(u)^{n−1}`. Simpson's rule as for `E f(z)`, with
/// a coarser grid over c, where the inner expectation is smooth.
pub fn correlated_max_expectation(n: usize, rho: f64, f: &dyn Fn(f64) -> f64) -> f64 {
    let n = n.max(1);
    let rho = rho.clamp(0.0, 1.0);
    let max_density: Vec<(f64, f64)> = simpson_table(Grid::Fine)
        .iter()
        .flat_map(|&(u, weight)| {
            let density = |u: f64| weight * n as f64 * normal_cdf(u).powi(n as i32 - 1);
            [(u, density(u)), (-u, density(-u))]
        })
        .collect();
    let (shared, own) = (rho.sqrt(), (1.0 - rho).sqrt());
    let inner = |c: f64| -> f64 {
        max_density
            .iter()
            .map(|&(u, weight)| weight * f(shared * c + own * u))
            .sum()
    };
    if rho == 0.0 {
        return inner(0.0);
    }
    expectation_on(Grid::Coarse, 1.0, &inner)
}

/// `E φ(u) φ(v)` for (u, v) ~ N(0, q) with correlation ρ: two pixels of a
/// feature map after the activation, as average pooling sums them.
pub fn pair_second(activation: ScalarActivation, q: f64, rho: f64) -> f64 {
    let s = q.max(0.0).sqrt();
    let rho = rho.clamp(0.0, 1.0);
    let (shared, own) = (rho.sqrt(), (1.0 - rho).sqrt());
    // Given the shared part c, u and v are independent.
    let given =
        |c: f64| simpson_expectation(1.0, &|n| activation.value(s * (shared * c + own * n)));
    expectation_on(Grid::Coarse, 1.0, &|c| given(c).powi(2))
}

/// Nodes per half line: u ∈ [0, 10], h = 0.0125 for the fine grid (every
/// activation moment), h = 0.125 for the outer integral of a correlated
/// pair, whose integrand is smooth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grid {
    Fine,
    Coarse,
}

impl Grid {
    const fn nodes(self) -> usize {
        match self {
            Grid::Fine => 801,
            Grid::Coarse => 81,
        }
    }
}

const SIMPSON_UPPER: f64 = 10.0;
/// The first node sits just right of 0 so kinked derivatives take their
/// one-sided limits (a grid through 0 gives relu E φ'² = 0.498).
const FIRST_NODE: f64 = 1e-12;

/// `(u_i, w_i ϕ(u_i))` for composite Simpson on [0, 10].
fn simpson_table(grid: Grid) -> &'static [(f64, f64)] {
    static FINE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    static COARSE: OnceLock<Vec<(f64, f64)>> = OnceLock::new();
    let cell = match grid {
        Grid::Fine => &FINE,
        Grid::Coarse => &COARSE,
    };
    cell.get_or_init(|| {
        let nodes = grid.nodes();
        let intervals = nodes - 1;
        let h = SIMPSON_UPPER / intervals as f64;
        (0..nodes)
            .map(|i| {
                let u = if i == 0 { FIRST_NODE } else { i as f64 * h };
                let coefficient = if i == 0 || i == intervals {
                    1.0
                } else if i % 2 == 1 {
                    4.0
                } else {
                    2.0
                };
                let density = normal_pdf(u);
                (u, coefficient * h / 3.0 * density)
            })
            .collect()
    })
}

/// `E f(z)`, z ~ N(0, s²), as `Σ w_i ϕ(u_i) [f(s u_i) + f(−s u_i)]`.
fn simpson_expectation(s: f64, f: &dyn Fn(f64) -> f64) -> f64 {
    expectation_on(Grid::Fine, s, f)
}

fn expectation_on(grid: Grid, s: f64, f: &dyn Fn(f64) -> f64) -> f64 {
    simpson_table(grid)
        .iter()
        .map(|&(u, weight)| weight * (f(s * u) + f(-s * u)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_one(activation: Activation) -> Moments {
        gaussian_moments(ScalarActivation::new(activation).expect("elementwise"), 1.0)
    }

    /// The table of values at q = 1 in docs/lints-and-gradients.md:
    /// (E φ, E φ², E φ'², χ_BN).
    #[test]
    fn moments_at_unit_variance_match_the_specification_table() {
        let table = [
            (Activation::Relu, 0.3989, 0.5000, 0.5000, 1.467),
            (
                Activation::LeakyRelu {
                    negative_slope: 0.01,
                },
                0.3950,
                0.5001,
                0.5001,
                1.453,
            ),
            (
                Activation::Elu { alpha: 1.0 },
                0.1605,
                0.6449,
                0.6681,
                1.079,
            ),
            (Activation::Selu, 0.0, 1.0000, 1.0716, 1.072),
            (Activation::Tanh, 0.0, 0.3943, 0.4644, 1.178),
            (Activation::Sigmoid, 0.5, 0.2934, 0.0448, 1.034),
            (Activation::Gelu, 0.2821, 0.4252, 0.4559, 1.319),
            (Activation::Silu, 0.2066, 0.3558, 0.3795, 1.212),
            (
                Activation::Softplus {
                    beta: 1.0,
                    threshold: 20.0,
                },
                0.8061,
                0.9212,
                0.2934,
                1.081,
            ),
            (Activation::Identity, 0.0, 1.0, 1.0, 1.0),
        ];
        for (activation, mean, second, dsq, chi_bn) in table {
            let m = at_one(activation);
            let close = |got: f64, want: f64| (got - want).abs() <= 6e-4;
            assert!(close(m.mean, mean), "{activation:?} mean {}", m.mean);
            assert!(close(m.second, second), "{activation:?} E φ² {}", m.second);
            assert!(
                close(m.derivative_sq, dsq),
                "{activation:?} E φ'² {}",
                m.derivative_sq
            );
            let chi = m.derivative_sq / m.variance();
            assert!((chi - chi_bn).abs() <= 2e-3, "{activation:?} χ_BN {chi}");
        }
    }

    #[test]
    fn closed_forms_agree_with_simpson() {
        for activation in [
            Activation::Relu,
            Activation::Elu { alpha: 1.0 },
            Activation::Selu,
            Activation::Gelu,
        ] {
            let f = ScalarActivation::new(activation).expect("elementwise");
            for q in [0.01, 1.0, 10.0, 100.0] {
                let closed = gaussian_moments(f, q);
                let s = q.sqrt();
                let mean = simpson_expectation(s, &|z| f.value(z));
                let second = simpson_expectation(s, &|z| f.value(z).powi(2));
                let dsq = simpson_expectation(s, &|z| f.derivative(z).powi(2));
                let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-12);
                assert!(rel(closed.second, second) < 1e-4, "{activation:?} q={q}");
                assert!(
                    rel(closed.derivative_sq, dsq) < 1e-4,
                    "{activation:?} q={q}"
                );
                assert!(
                    (closed.mean - mean).abs() < 1e-4 * (1.0 + mean.abs()),
                    "{activation:?} q={q}"
                );
            }
        }
    }

    #[test]
    fn max_of_gaussians_matches_the_known_values() {
        // E max of 2 standard normals = 1/√π, E max² = 1; of 4: 1.02938.
        let max = |n, f: &dyn Fn(f64) -> f64| correlated_max_expectation(n, 0.0, f);
        let mean2 = max(2, &|u| u);
        assert!((mean2 - 1.0 / PI.sqrt()).abs() < 1e-6, "{mean2}");
        assert!((max(2, &|u| u * u) - 1.0).abs() < 1e-6);
        assert!((max(4, &|u| u) - 1.029_375_4).abs() < 1e-6);
        assert!((max(1, &|u| u * u) - 1.0).abs() < 1e-6);
        // Correlation ρ shrinks the spread: E max = √(1−ρ) E max nᵢ.
        let correlated = correlated_max_expectation(2, 0.75, &|u| u);
        assert!((correlated - 0.5 / PI.sqrt()).abs() < 1e-6, "{correlated}");
        // relu(max of 4): E φ'² = P(M > 0) = 1 − 2⁻⁴.
        let relu = ScalarActivation::new(Activation::Relu).expect("elementwise");
        let m = max_moments(relu, 1.0, 0.0, 4);
        assert!((m.derivative_sq - 0.9375).abs() < 1e-6, "{m:?}");
    }

    #[test]
    fn correlated_relu_pairs_follow_the_arc_cosine_kernel() {
        // E relu(u) relu(v) = (sin θ + (π − θ) cos θ) / 2π, θ = arccos ρ.
        let relu = ScalarActivation::new(Activation::Relu).expect("elementwise");
        for rho in [0.0, 0.3, 0.9] {
            let theta: f64 = f64::acos(rho);
            let want = (theta.sin() + (PI - theta) * rho) / (2.0 * PI);
            let got = pair_second(relu, 1.0, rho);
            assert!((got - want).abs() < 1e-6, "ρ={rho}: {got} vs {want}");
        }
    }

    #[test]
    fn cache_returns_the_same_moments() {
        let mut cache = MomentCache::new();
        let tanh = ScalarActivation::new(Activation::Tanh).expect("elementwise");
        let first = cache.get(tanh, 0.7);
        assert_eq!(cache.get(tanh, 0.7), first);
        assert_eq!(cache.entries.len(), 1);
        assert_ne!(cache.get(tanh, 0.8), first);
    }
}
