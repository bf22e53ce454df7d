//! The linear forward's documented arithmetic, bit for bit, on every ISA
//! path: each output is one in-order chain of `a·b + c` over the inputs
//! (fused on the FMA paths), plus the bias; so one row gets exactly the
//! bits it gets inside a batch, whichever kernel serves each.

use crate::common;

use netc_runtime::kernels::{
    linear_forward, linear_forward_with, BLOCKED_MIN_MACS, BLOCKED_ROW_MIN_MACS,
};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;
use netc_runtime::{kernels, Const};

use common::random;

/// Widths around the 16-lane tiles and blocks, and around the half
/// tiles (a last tile of 1, 4, 7 or 8 columns; 9 takes a whole one).
const WIDTHS: [usize; 12] = [1, 7, 9, 15, 16, 17, 24, 33, 64, 100, 128, 200];

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// `y[r, o] = chain(x[r, ..], w[o, ..]) + b[o]`, one output at a time.
fn chains(x: &[f32], w: &[f32], b: &[f32], in_f: usize, fused: bool) -> Vec<f32> {
    let mut y = Vec::new();
    for xr in x.chunks_exact(in_f) {
        for (wr, &bo) in w.chunks_exact(in_f).zip(b) {
            let mut acc = 0f32;
            for (&xi, &wi) in xr.iter().zip(wr) {
                acc = if fused {
                    xi.mul_add(wi, acc)
                } else {
                    xi * wi + acc
                };
            }
            y.push(acc + bo);
        }
    }
    y
}

/// Shapes the small kernels serve (not the blocked product; reductions
/// a panel holds).
fn own_kernel_shapes() -> impl Iterator<Item = (usize, usize, usize)> {
    let shapes = WIDTHS.into_iter().flat_map(|i| WIDTHS.map(move |o| (i, o)));
    shapes.flat_map(|(in_f, out_f)| {
        // Row blocks of 8 (AVX2: of 6, then of 4) with rows left over,
        // on every path: 14 rows are one block of 6 and two of 4 there.
        [1, 2, 9, 14, 19].into_iter().filter_map(move |batch| {
            let macs = batch * in_f * out_f;
            let blocked = macs >= BLOCKED_MIN_MACS || (batch == 1 && macs >= BLOCKED_ROW_MIN_MACS);
            (!blocked).then_some((batch, in_f, out_f))
        })
    })
}

#[test]
fn every_output_is_one_in_order_chain_on_every_path() {
    let mut rng = Rng::seed_from_u64(11);
    for (batch, in_f, out_f) in own_kernel_shapes() {
        let x = random(batch * in_f, &mut rng);
        let w = random(out_f * in_f, &mut rng);
        let b = random(out_f, &mut rng);
        for isa in Isa::available() {
            let expected = chains(&x, &w, &b, in_f, isa != Isa::Scalar);
            let mut y = vec![f32::NAN; batch * out_f];
            linear_forward_with(isa, &x, &w, Some(&b), &mut y, batch, in_f, out_f);
            let what = format!("{} {batch}x{in_f}->{out_f}", isa.name());
            assert_eq!(bits(&y), bits(&expected), "{what}");
        }
    }
}

/// Row by row against the whole batch, also past the panel's reduction
/// (where both take the dot-product loop) and without a bias.
#[test]
fn one_row_gets_the_bits_it_gets_inside_a_batch() {
    let mut rng = Rng::seed_from_u64(12);
    let shapes = [
        (17, 16),
        (33, 7),
        (64, 64),
        (100, 33),
        (128, 128),
        (513, 40),
        (600, 3),
    ];
    let batch = 5;
    for (in_f, out_f) in shapes {
        let x = random(batch * in_f, &mut rng);
        let w = random(out_f * in_f, &mut rng);
        let b = random(out_f, &mut rng);
        for isa in Isa::available() {
            for bias in [Some(&b[..]), None] {
                let mut whole = vec![0f32; batch * out_f];
                linear_forward_with(isa, &x, &w, bias, &mut whole, batch, in_f, out_f);
                let rows = x.chunks_exact(in_f).zip(whole.chunks_exact(out_f));
                for (r, (xr, expected)) in rows.enumerate() {
                    let mut y = vec![f32::NAN; out_f];
                    linear_forward_with(isa, xr, &w, bias, &mut y, 1, in_f, out_f);
                    let what = format!("{} {in_f}->{out_f} row {r}", isa.name());
                    assert_eq!(bits(&y), bits(expected), "{what}");
                }
            }
        }
    }
}

/// The const-width entry points of generated code run the same bodies.
#[test]
fn const_widths_match_the_runtime_kernel() {
    let mut rng = Rng::seed_from_u64(13);
    for batch in [1, 3, 64] {
        let x = random(batch * 100, &mut rng);
        let w = random(100 * 33, &mut rng);
        let b = random(33, &mut rng);
        let (mut y1, mut y2) = (vec![0f32; batch * 33], vec![0f32; batch * 33]);
        linear_forward(&x, &w, Some(&b), &mut y1, batch, 100, 33);
        kernels::linear_forward(&x, &w, Some(&b), &mut y2, batch, Const::<100>, Const::<33>);
        assert_eq!(bits(&y1), bits(&y2), "batch {batch}");

        let x = random(batch * 64, &mut rng);
        let w = random(64 * 64, &mut rng);
        let (mut y1, mut y2) = (vec![0f32; batch * 64], vec![0f32; batch * 64]);
        linear_forward(&x, &w, None, &mut y1, batch, 64, 64);
        kernels::linear_forward(&x, &w, None, &mut y2, batch, Const::<64>, Const::<64>);
        assert_eq!(bits(&y1), bits(&y2), "batch {batch}");
    }
}
