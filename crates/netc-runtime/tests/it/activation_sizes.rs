//! Small and odd buffer sizes, where the vectorised loops run little or
//! none of their main body: every activation, forward and backward, on
//! every ISA path, against the same kernel run one element (or, for the
//! softmax family, one row) at a time — bit for bit, so that the main
//! loop, its vector epilogue and its scalar remainder provably compute
//! the same function — and against the scalar path within the FMA
//! rounding tolerance.

use crate::common;

use netc_ops::Activation;
use netc_runtime::kernels::{activation_backward_with, activation_forward_with};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

use common::{elementwise_activations, random};

const SIZES: [usize; 5] = [1, 7, 16, 17, 33];
const PREFILL: f32 = 0.25;

/// Inputs across every branch of the activations (both signs, the
/// softplus threshold, exp's overflow and underflow) plus specials.
fn inputs(n: usize, rng: &mut Rng) -> Vec<f32> {
    let specials = [
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        -0.0,
        95.0,
        -120.0,
    ];
    (0..n)
        .map(|i| match i % 11 {
            3 => specials[(i / 11) % specials.len()],
            _ => rng.uniform(-25.0, 25.0) as f32,
        })
        .collect()
}

/// Bit equality, except that any NaN matches any NaN: x86 keeps the
/// payload of whichever operand the compiler put first.
fn assert_bits(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        let same = a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
        assert!(
            same,
            "{what}[{i}]: {a:e} ({:#x}) vs {b:e} ({:#x})",
            a.to_bits(),
            b.to_bits()
        );
    }
}

/// FMA paths round `a·b + c` once, the scalar path twice.
fn assert_close(what: &str, got: &[f32], want: &[f32], scale: f32) {
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        if a.is_nan() || b.is_nan() || a.is_infinite() || b.is_infinite() {
            assert_bits(&format!("{what}[{i}]"), &[a], &[b]);
            continue;
        }
        let tol = 2e-6 * (b.abs() + scale);
        assert!((a - b).abs() <= tol, "{what}[{i}]: {a} vs scalar {b}");
    }
}

/// Forward output and accumulated backward of `act` over `x` in one call.
fn run(isa: Isa, act: &Activation, x: &[f32], dy: &[f32], width: usize) -> (Vec<f32>, Vec<f32>) {
    let mut y = vec![0.0; x.len()];
    activation_forward_with(isa, act, x, &mut y, width);
    let mut dx = vec![PREFILL; x.len()];
    activation_backward_with(isa, act, Some(x), Some(&y), dy, &mut dx, width, false);
    (y, dx)
}

/// The same, one `width`-sized piece per call.
fn run_pieces(
    isa: Isa,
    act: &Activation,
    x: &[f32],
    dy: &[f32],
    width: usize,
) -> (Vec<f32>, Vec<f32>) {
    let (mut y, mut dx) = (Vec::new(), Vec::new());
    for (xp, gp) in x.chunks(width).zip(dy.chunks(width)) {
        let (yp, dxp) = run(isa, act, xp, gp, width);
        y.extend(yp);
        dx.extend(dxp);
    }
    (y, dx)
}

#[test]
fn elementwise_activations_match_one_element_calls_bit_for_bit() {
    let mut rng = Rng::seed_from_u64(41);
    for n in SIZES {
        let x = inputs(n, &mut rng);
        let dy = random(n, &mut rng);
        for act in elementwise_activations() {
            for isa in Isa::available() {
                let what = format!("{} n={n} on {}", act.name(), isa.name());
                let (y, dx) = run(isa, &act, &x, &dy, n);
                let (y1, dx1) = run_pieces(isa, &act, &x, &dy, 1);
                assert_bits(&format!("{what} forward"), &y, &y1);
                assert_bits(&format!("{what} backward"), &dx, &dx1);
            }
        }
    }
}

#[test]
fn softmax_family_matches_one_row_calls_bit_for_bit() {
    let mut rng = Rng::seed_from_u64(42);
    for width in SIZES {
        let n = 3 * width;
        let x: Vec<f32> = (0..n).map(|_| rng.uniform(-8.0, 8.0) as f32).collect();
        let dy = random(n, &mut rng);
        for act in [Activation::Softmax, Activation::LogSoftmax] {
            for isa in Isa::available() {
                let what = format!("{} 3x{width} on {}", act.name(), isa.name());
                let (y, dx) = run(isa, &act, &x, &dy, width);
                let (y1, dx1) = run_pieces(isa, &act, &x, &dy, width);
                assert_bits(&format!("{what} forward"), &y, &y1);
                assert_bits(&format!("{what} backward"), &dx, &dx1);
            }
        }
    }
}

#[test]
fn small_sizes_agree_with_the_scalar_path() {
    let mut rng = Rng::seed_from_u64(43);
    for n in SIZES {
        let x = inputs(n, &mut rng);
        let dy = random(n, &mut rng);
        let mut acts = elementwise_activations();
        acts.extend([Activation::Softmax, Activation::LogSoftmax]);
        for act in acts {
            // The softmax family reduces over rows; `n` is one row here.
            let (y0, dx0) = run(Isa::Scalar, &act, &x, &dy, n);
            for isa in Isa::available().filter(|&i| i != Isa::Scalar) {
                let what = format!("{} n={n} on {}", act.name(), isa.name());
                let (y, dx) = run(isa, &act, &x, &dy, n);
                assert_close(&format!("{what} forward"), &y, &y0, 1e-5);
                assert_close(&format!("{what} backward"), &dx, &dx0, 1.0);
            }
        }
    }
}
