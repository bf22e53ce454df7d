//! The inference-cache kernels run on caller buffers: a counting global
//! allocator proves that packing a panel, the packed forward, the kept
//! batchnorm affine and its apply allocate nothing.

use netc_runtime::simd::Isa;
use netc_runtime::{kernels, Const};

use crate::allocations;

/// Packs and runs one layer on every path and every batch up to 40 (one
/// row, row blocks, leftover rows), counting allocations.
fn linear_allocations<const IN: usize, const OUT: usize>() -> usize {
    let x = vec![0.25f32; 40 * IN];
    let w = vec![0.5f32; OUT * IN];
    let b = vec![0.1f32; OUT];
    let mut panel = vec![0f32; kernels::linear_panel_len(IN, OUT)];
    let mut y = vec![0f32; 40 * OUT];
    allocations(|| {
        for isa in Isa::available() {
            kernels::pack_linear_panel_on(isa, &w, &mut panel, Const::<IN>, Const::<OUT>);
            for batch in 1..=40 {
                let (x, y) = (&x[..batch * IN], &mut y[..batch * OUT]);
                kernels::linear_forward_packed_on(
                    isa,
                    x,
                    &w,
                    &panel,
                    Some(&b),
                    y,
                    batch,
                    Const::<IN>,
                    Const::<OUT>,
                );
            }
        }
    })
}

#[test]
fn inference_cache_kernels_do_not_allocate() {
    // Detection (and its environment read) happens once, before counting.
    let _ = Isa::detect();
    assert_eq!(linear_allocations::<9, 16>(), 0, "9->16");
    assert_eq!(linear_allocations::<16, 8>(), 0, "16->8");
    assert_eq!(linear_allocations::<8, 1>(), 0, "8->1");
    assert_eq!(linear_allocations::<64, 64>(), 0, "64->64");
    assert_eq!(linear_allocations::<100, 33>(), 0, "100->33");

    let n = 17;
    let (gamma, beta) = (vec![1.5f32; n], vec![0.5f32; n]);
    let (mean, var) = (vec![0.1f32; n], vec![2.0f32; n]);
    let (mut scale, mut shift) = (vec![0f32; n], vec![0f32; n]);
    let x = vec![0.3f32; 40 * n];
    let mut y = vec![0f32; 40 * n];
    let count = allocations(|| {
        for isa in Isa::available() {
            kernels::batchnorm_eval_affine_on(
                isa,
                Some(&gamma),
                Some(&beta),
                &mean,
                &var,
                1e-5,
                &mut scale,
                &mut shift,
                Const::<17>,
            );
            for batch in 1..=40 {
                let (x, y) = (&x[..batch * n], &mut y[..batch * n]);
                kernels::batchnorm_apply_on(isa, x, &scale, &shift, y, batch, Const::<17>, 1);
            }
        }
    });
    assert_eq!(count, 0, "batchnorm affine + apply");
}
