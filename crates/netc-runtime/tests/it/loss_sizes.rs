//! Cross-entropy on rows narrower than, as wide as and wider than one
//! vector: the kernel's log-sum-exp (exps vectorised, summed in order)
//! and its gradient (one masked pass per 16 classes on AVX-512) must give
//! exactly the bits of the element-by-element definition evaluated with
//! the same `math` functions.

use netc_ops::Loss;
use netc_runtime::loss::{loss_backward_with, loss_forward_with};
use netc_runtime::rng::Rng;
use netc_runtime::simd::{math, Fma, Fused, Isa, Unfused};

/// log Σ exp(row), one exp at a time, summed left to right.
fn lse<M: Fma>(row: &[f32]) -> f32 {
    let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0f32;
    for &v in row {
        s += math::exp::<M>(v - m);
    }
    m + math::ln::<M>(s)
}

/// `lse(row) − row[class]`.
fn reference<M: Fma>(row: &[f32], class: usize) -> f32 {
    lse::<M>(row) - row[class]
}

/// `(softmax(row) − onehot(class)) / batch`, per row of `pred`.
fn reference_grad<M: Fma>(pred: &[f32], classes: &[usize], width: usize) -> Vec<f32> {
    let inv_b = 1.0 / classes.len() as f32;
    let mut grad = Vec::new();
    for (row, &c) in pred.chunks(width).zip(classes) {
        let l = lse::<M>(row);
        let start = grad.len();
        grad.extend(row.iter().map(|&v| math::exp::<M>(v - l) * inv_b));
        grad[start + c] -= inv_b;
    }
    grad
}

fn on_path(isa: Isa, fused: Vec<f32>, unfused: Vec<f32>) -> Vec<f32> {
    match isa {
        Isa::Scalar => unfused,
        _ => fused,
    }
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

#[test]
fn cross_entropy_gradient_matches_the_definition_bit_for_bit() {
    let mut rng = Rng::seed_from_u64(45);
    for width in [1, 3, 7, 10, 16, 17, 33, 100] {
        let batch = 5;
        let pred: Vec<f32> = (0..batch * width)
            .map(|_| rng.uniform(-9.0, 9.0) as f32)
            .collect();
        let classes: Vec<usize> = (0..batch).map(|r| (r * 7) % width).collect();
        let target: Vec<f32> = classes.iter().map(|&c| c as f32).collect();
        for isa in Isa::available() {
            let mut got = vec![0.0; pred.len()];
            loss_backward_with(
                isa,
                &Loss::CrossEntropy,
                &pred,
                &target,
                &mut got,
                batch,
                width,
            );
            let want = on_path(
                isa,
                reference_grad::<Fused>(&pred, &classes, width),
                reference_grad::<Unfused>(&pred, &classes, width),
            );
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(
                    g.to_bits(),
                    w.to_bits(),
                    "{batch}x{width}[{i}] on {}: {g} vs {w}",
                    isa.name()
                );
            }
        }
    }
}
