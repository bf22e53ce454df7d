//! Every activation's backward against central finite differences of an
//! independent f64 forward, on every ISA path. Gradients are accumulated,
//! so the kernels run on a pre-filled `dx`.

use netc_ops::scalar::ScalarActivation;
use netc_ops::Activation;
use netc_runtime::kernels::{activation_backward_with, activation_forward_with};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

const PREFILL: f32 = 0.25;

/// Every elementwise activation with PyTorch's defaults, then with other
/// parameters.
fn elementwise() -> Vec<Activation> {
    let defaults = Activation::ALL.into_iter().filter(|a| !a.is_row_wise());
    defaults
        .chain([
            Activation::LeakyRelu {
                negative_slope: 0.1,
            },
            Activation::Elu { alpha: 1.3 },
            // Negative parameters: the derivative's sign test reads the
            // input instead of the output.
            Activation::LeakyRelu {
                negative_slope: -0.2,
            },
            Activation::Elu { alpha: -0.5 },
            Activation::Softplus {
                beta: 2.0,
                threshold: 5.0,
            },
        ])
        .collect()
}

/// Points in [-6, 6] at least 0.01 away from 0 and from softplus's
/// threshold switch, where the function has a kink.
fn inputs(n: usize, rng: &mut Rng) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let v = rng.uniform(-6.0, 6.0) as f32;
            if v.abs() < 0.01 || (v - 2.5).abs() < 0.01 {
                v + 0.05
            } else {
                v
            }
        })
        .collect()
}

/// Row-wise f64 softmax / log_softmax.
fn softmax_f64(x: &[f64], width: usize, log: bool) -> Vec<f64> {
    let mut y = Vec::with_capacity(x.len());
    for row in x.chunks(width) {
        let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = row.iter().map(|v| (v - m).exp()).sum();
        for v in row {
            y.push(if log {
                v - m - s.ln()
            } else {
                (v - m).exp() / s
            });
        }
    }
    y
}

/// ∂/∂xᵢ Σ dy·f(x) by central differences in f64.
fn finite_difference(f: &dyn Fn(&[f64]) -> Vec<f64>, x: &[f32], dy: &[f32]) -> Vec<f64> {
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let objective =
        |x: &[f64]| -> f64 { f(x).iter().zip(dy).map(|(y, &g)| y * f64::from(g)).sum() };
    (0..x.len())
        .map(|i| {
            let h = 1e-5 * x64[i].abs().max(1.0);
            let mut up = x64.clone();
            up[i] += h;
            let mut down = x64.clone();
            down[i] -= h;
            (objective(&up) - objective(&down)) / (2.0 * h)
        })
        .collect()
}

fn assert_close(what: &str, got: &[f32], want: &[f64]) {
    let scale = want.iter().fold(0f64, |m, v| m.max(v.abs()));
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let err = (f64::from(g) - w).abs();
        assert!(
            err <= 1e-3 * w.abs() + 1e-5 * scale + 1e-7,
            "{what}: element {i}: analytic {g}, finite difference {w}"
        );
    }
}

fn check(act: &Activation, width: usize, reference: &dyn Fn(&[f64]) -> Vec<f64>) {
    let mut rng = Rng::seed_from_u64(7);
    let n = 4 * width;
    let x = inputs(n, &mut rng);
    let dy: Vec<f32> = (0..n).map(|_| rng.uniform(-1.0, 1.0) as f32).collect();
    let fd = finite_difference(reference, &x, &dy);
    for isa in Isa::available() {
        let mut y = vec![0.0; n];
        activation_forward_with(isa, act, &x, &mut y, width);
        let mut dx = vec![PREFILL; n];
        // Only what the derivative reads, as a Plan names it.
        let (xs, ys) = act.derivative_reads().keep(&x[..], &y[..]);
        activation_backward_with(isa, act, xs, ys, &dy, &mut dx, width, false);
        let grad: Vec<f32> = dx.iter().map(|d| d - PREFILL).collect();
        assert_close(&format!("{} on {}", act.name(), isa.name()), &grad, &fd);
    }
}

#[test]
fn elementwise_backward_matches_finite_differences() {
    for act in elementwise() {
        let scalar = ScalarActivation::new(act).expect("elementwise");
        let reference = move |x: &[f64]| x.iter().map(|&v| scalar.value(v)).collect::<Vec<_>>();
        check(&act, 37, &reference);
    }
}

#[test]
fn softmax_backward_matches_finite_differences() {
    for width in [1, 5, 19, 40] {
        check(&Activation::Softmax, width, &|x| {
            softmax_f64(x, width, false)
        });
    }
}

#[test]
fn log_softmax_backward_matches_finite_differences() {
    for width in [1, 5, 19, 40] {
        check(&Activation::LogSoftmax, width, &|x| {
            softmax_f64(x, width, true)
        });
    }
}

#[test]
fn finite_difference_check_rejects_a_wrong_derivative() {
    // Guard against a vacuous tolerance: sigmoid's derivative is not tanh's.
    let mut rng = Rng::seed_from_u64(1);
    let x = inputs(16, &mut rng);
    let dy = vec![1.0f32; 16];
    let sigmoid = ScalarActivation::new(Activation::Sigmoid).expect("elementwise");
    let fd = finite_difference(&|x| x.iter().map(|&v| sigmoid.value(v)).collect(), &x, &dy);
    let mut y = vec![0.0; 16];
    activation_forward_with(Isa::Scalar, &Activation::Tanh, &x, &mut y, 16);
    let mut dx = vec![0.0; 16];
    activation_backward_with(
        Isa::Scalar,
        &Activation::Tanh,
        None,
        Some(&y),
        &dy,
        &mut dx,
        16,
        false,
    );
    let result = std::panic::catch_unwind(|| assert_close("tanh vs sigmoid", &dx, &fd));
    assert!(result.is_err());
}
