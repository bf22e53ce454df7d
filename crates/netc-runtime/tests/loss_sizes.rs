//! Cross-entropy on rows narrower than, as wide as and wider than one
//! vector: the kernel's log-sum-exp (exps vectorised, summed in order)
//! must give exactly the bits of the element-by-element definition
//! evaluated with the same `math` functions.

use netc_ops::Loss;
use netc_runtime::loss::loss_forward_with;
use netc_runtime::rng::Rng;
use netc_runtime::simd::{math, Fma, Fused, Isa, Unfused};

/// `lse(row) − row[class]`, one exp at a time, summed left to right.
fn reference<M: Fma>(row: &[f32], class: usize) -> f32 {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0f32;
    for &v in row {
        s += math::exp::<M>(v - m);
    }
    (m + math::ln::<M>(s)) - row[class]
}

#[test]
fn cross_entropy_of_one_row_matches_the_ordered_definition_bit_for_bit() {
    let mut rng = Rng::seed_from_u64(44);
    // Many rows: a sum in another order changes the result's last bit
    // only now and then.
    for (width, trial) in [1, 7, 10, 16, 17, 33, 100]
        .into_iter()
        .flat_map(|w| (0..50).map(move |t| (w, t)))
    {
        let row: Vec<f32> = (0..width).map(|_| rng.uniform(-4.0, 4.0) as f32).collect();
        for class in [trial % width, width - 1] {
            let target = [class as f32];
            for isa in Isa::available() {
                let got = loss_forward_with(isa, &Loss::CrossEntropy, &row, &target, 1, width);
                // Software `mul_add` outside an FMA wrapper rounds once, as
                // the FMA instruction does.
                let want = match isa {
                    Isa::Scalar => reference::<Unfused>(&row, class),
                    _ => reference::<Fused>(&row, class),
                };
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "width {width}, class {class} on {}: {got} vs {want}",
                    isa.name()
                );
            }
        }
    }
}
