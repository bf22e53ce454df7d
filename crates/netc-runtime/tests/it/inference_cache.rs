//! The kernels behind generated code's inference cache give the bits of
//! the kernels they stand in for, on every ISA path: a packed weight panel
//! (`kernels::linear_forward_packed`) against `kernels::linear_forward`, and a
//! kept batchnorm affine (`kernels::batchnorm_eval_affine` +
//! `kernels::batchnorm_apply`) against `kernels::batchnorm_forward_eval`.

use crate::common;

use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;
use netc_runtime::{kernels, Const};

use common::uniform;

/// The largest batch checked.
const MAX_BATCH: usize = 300;

/// Inputs and weights in `[-2, 2)`.
fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
    uniform(n, -2.0, 2.0, rng)
}

/// Bits, with every NaN as one value: the payload a NaN keeps through an
/// FMA depends on operand order, which the language leaves to LLVM.
fn bits(v: &[f32]) -> Vec<u32> {
    v.iter()
        .map(|x| if x.is_nan() { u32::MAX } else { x.to_bits() })
        .collect()
}

/// Batch sizes checked for a layer. Every one up to [`MAX_BATCH`] for the
/// narrow layers. For wide ones every size up to 20 (each remainder of the
/// 8- and 4-row blocks, one row), then the block and blocked-product
/// thresholds' neighbours and the largest: past 20, a batch takes no
/// branch a smaller one does not (row blocks, leftover rows, the blocked
/// product from a product size).
fn batches(in_f: usize, out_f: usize) -> Vec<usize> {
    if in_f * out_f <= 33 * 33 {
        return (1..=MAX_BATCH).collect();
    }
    let mut sizes: Vec<usize> = (1..=20).collect();
    sizes.extend([31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 299, 300]);
    let macs = in_f * out_f;
    let blocked_from = netc_runtime::kernels::BLOCKED_MIN_MACS.div_ceil(macs);
    sizes.extend([
        blocked_from.saturating_sub(1),
        blocked_from,
        blocked_from + 1,
    ]);
    sizes.retain(|&b| (1..=MAX_BATCH).contains(&b));
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

/// `panel[t·IN·16 + i·16 + l] = w[(16t + l)·IN + i]`, 0 past `OUT`.
fn reference_panel(w: &[f32], in_f: usize, out_f: usize) -> Vec<f32> {
    let tiles = out_f.div_ceil(16);
    let mut panel = vec![0f32; tiles * in_f * 16];
    for t in 0..tiles {
        for i in 0..in_f {
            for l in 0..16 {
                let o = 16 * t + l;
                if o < out_f {
                    panel[(t * in_f + i) * 16 + l] = w[o * in_f + i];
                }
            }
        }
    }
    panel
}

/// Every batch of [`batches`], with and without a bias, on every path.
fn check_linear<const IN: usize, const OUT: usize>(w: &[f32], bias: &[f32], x: &[f32]) {
    let len = kernels::linear_panel_len(IN, OUT);
    if kernels::linear_packs(IN, OUT) {
        assert_eq!(len, OUT.div_ceil(16) * IN * 16, "{IN}->{OUT}");
    }
    for isa in Isa::available() {
        let mut panel = vec![f32::NAN; len];
        kernels::pack_linear_panel_on(isa, w, &mut panel, Const::<IN>, Const::<OUT>);
        let what = format!("{} {IN}->{OUT}", isa.name());
        if kernels::linear_packs(IN, OUT) {
            let expected = reference_panel(w, IN, OUT);
            assert_eq!(bits(&panel), bits(&expected), "{what}: panel");
        }
        for batch in batches(IN, OUT) {
            let x = &x[..batch * IN];
            for b in [Some(bias), None] {
                let mut expected = vec![f32::NAN; batch * OUT];
                kernels::linear_forward_on(
                    isa,
                    x,
                    w,
                    b,
                    &mut expected,
                    batch,
                    Const::<IN>,
                    Const::<OUT>,
                );
                let mut got = vec![f32::NAN; batch * OUT];
                kernels::linear_forward_packed_on(
                    isa,
                    x,
                    w,
                    &panel,
                    b,
                    &mut got,
                    batch,
                    Const::<IN>,
                    Const::<OUT>,
                );
                let bias = b.is_some();
                assert_eq!(
                    bits(&got),
                    bits(&expected),
                    "{what} batch {batch} bias {bias}"
                );
            }
        }
    }
}

/// One call of `$check::<IN, OUT>` per pair of the widths.
macro_rules! every_pair {
    ($check:ident, $args:expr, [$($in_f:literal)*], $outs:tt) => {
        $( every_pair!(@row $check, $args, $in_f, $outs); )*
    };
    (@row $check:ident, $args:expr, $in_f:literal, [$($out_f:literal)*]) => {
        $( {
            let (weights, x): (&dyn Fn(usize) -> Vec<f32>, &[f32]) = $args;
            let w = weights($in_f * $out_f);
            let bias = weights($out_f);
            $check::<$in_f, $out_f>(&w, &bias, &x[..MAX_BATCH * $in_f]);
        } )*
    };
}

#[test]
fn packed_linear_matches_linear_forward_bit_for_bit() {
    let mut rng = Rng::seed_from_u64(21);
    let x = random(MAX_BATCH * 512, &mut rng);
    let rng = std::cell::RefCell::new(rng);
    let weights = |n: usize| random(n, &mut rng.borrow_mut());
    every_pair!(
        check_linear,
        (&weights, &x),
        [1 3 9 15 16 17 33 64 100 512],
        [1 3 9 15 16 17 33 64 100 512]
    );
}

/// `v` with NaN, ±inf and a huge value sprinkled at a stride.
fn poisoned(mut v: Vec<f32>, stride: usize) -> Vec<f32> {
    let specials = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 3e38];
    for (i, value) in v.iter_mut().enumerate().skip(stride / 2).step_by(stride) {
        *value = specials[i % specials.len()];
    }
    v
}

#[test]
fn non_finite_weights_and_inputs_flow_through_the_same_way() {
    let mut rng = Rng::seed_from_u64(22);
    let x = random(MAX_BATCH * 100, &mut rng);
    let poisoned_x = poisoned(x.clone(), 37);
    let rng = std::cell::RefCell::new(rng);
    let weights = |n: usize| poisoned(random(n, &mut rng.borrow_mut()), 11);
    every_pair!(
        check_linear,
        (&weights, &x),
        [1 9 16 17 100],
        [1 8 16 33]
    );
    let clean = |n: usize| random(n, &mut rng.borrow_mut());
    every_pair!(check_linear, (&clean, &poisoned_x), [9 17 100], [16 33]);
}

/// The eval forward from a kept affine, against the one-call forward,
/// for every batch and with γ/β present or not; the affine itself
/// against its definition.
fn check_batchnorm<const N: usize>(stats: [&[f32]; 4], x: &[f32]) {
    let [gamma, beta, mean, var] = stats;
    let eps = 1e-5;
    for isa in Isa::available() {
        for (g, b) in [(Some(gamma), Some(beta)), (None, None), (Some(gamma), None)] {
            let what = format!(
                "{} n={N} gamma {} beta {}",
                isa.name(),
                g.is_some(),
                b.is_some()
            );
            let (mut scale, mut shift) = (vec![f32::NAN; N], vec![f32::NAN; N]);
            kernels::batchnorm_eval_affine_on(
                isa, g, b, mean, var, eps, &mut scale, &mut shift, Const::<N>,
            );
            for j in 0..N {
                let s = g.map_or(1.0, |g| g[j]) / (var[j] + eps).sqrt();
                let beta = b.map_or(0.0, |b| b[j]);
                let h = if isa == Isa::Scalar {
                    -mean[j] * s + beta
                } else {
                    (-mean[j]).mul_add(s, beta)
                };
                assert_eq!(
                    bits(&[scale[j], shift[j]]),
                    bits(&[s, h]),
                    "{what}: feature {j}"
                );
            }
            for batch in 1..=MAX_BATCH {
                let x = &x[..batch * N];
                let mut expected = vec![f32::NAN; x.len()];
                kernels::batchnorm_forward_eval_with(
                    isa,
                    x,
                    g,
                    b,
                    mean,
                    var,
                    eps,
                    &mut expected,
                    batch,
                    Const::<N>,
                    1,
                );
                let mut got = vec![f32::NAN; x.len()];
                kernels::batchnorm_apply_on(isa, x, &scale, &shift, &mut got, batch, Const::<N>, 1);
                assert_eq!(bits(&got), bits(&expected), "{what} batch {batch}");
            }
        }
    }
}

#[test]
fn kept_batchnorm_affine_matches_the_eval_forward_bit_for_bit() {
    let mut rng = Rng::seed_from_u64(23);
    // Non-finite inputs and statistics included: a negative variance
    // (NaN scale), an infinite mean, a zero variance (1/√ε).
    let x = poisoned(random(MAX_BATCH * 64, &mut rng), 53);
    let mut stats = || {
        let gamma = random(64, &mut rng);
        let beta = random(64, &mut rng);
        let mean = poisoned(random(64, &mut rng), 13);
        let mut var: Vec<f32> = random(64, &mut rng).iter().map(|v| v.abs()).collect();
        var[3] = -1.0;
        var[5] = 0.0;
        var[40] = f32::INFINITY;
        [gamma, beta, mean, var]
    };
    macro_rules! widths {
        ($($n:literal)*) => {$( {
            let s = stats();
            let s = [&s[0][..$n], &s[1][..$n], &s[2][..$n], &s[3][..$n]];
            check_batchnorm::<$n>(s, &x[..MAX_BATCH * $n]);
        } )*};
    }
    widths!(1 8 16 17 64);
}

#[test]
#[should_panic(expected = "panel is not linear_panel_len")]
fn a_panel_of_the_wrong_length_is_refused() {
    let (x, w, mut y) = (vec![0f32; 9], vec![0f32; 9 * 16], vec![0f32; 16]);
    let panel = vec![0f32; 9 * 16 - 1];
    kernels::linear_forward_packed(&x, &w, &panel, None, &mut y, 1, Const::<9>, Const::<16>);
}

#[test]
#[should_panic(expected = "scale/shift is not [n]")]
fn a_short_affine_is_refused() {
    let (x, mut y) = (vec![0f32; 16], vec![0f32; 16]);
    kernels::batchnorm_apply(&x, &[1.0; 15], &[0.0; 16], &mut y, 1, Const::<16>, 1);
}

#[test]
fn layers_past_the_panel_fall_back_to_linear_forward() {
    assert!(!kernels::linear_packs(513, 4));
    assert!(!kernels::linear_packs(0, 4));
    assert!(!kernels::linear_packs(4, 0));
    assert_eq!(kernels::linear_panel_len(513, 4), 0);
    let mut rng = Rng::seed_from_u64(24);
    let (x, w, b) = (
        random(3 * 513, &mut rng),
        random(4 * 513, &mut rng),
        random(4, &mut rng),
    );
    let mut panel: Vec<f32> = Vec::new();
    kernels::pack_linear_panel(&w, &mut panel, Const::<513>, Const::<4>);
    let (mut expected, mut got) = (vec![0f32; 12], vec![0f32; 12]);
    kernels::linear_forward(&x, &w, Some(&b), &mut expected, 3, Const::<513>, Const::<4>);
    kernels::linear_forward_packed(
        &x,
        &w,
        &panel,
        Some(&b),
        &mut got,
        3,
        Const::<513>,
        Const::<4>,
    );
    assert_eq!(bits(&got), bits(&expected));
}
