//! The kernels run on caller buffers: a counting global allocator proves
//! that nothing allocates, the large products' per-thread packing
//! scratch included once it has grown.

use netc_ops::{Activation, Loss, Optimizer};
use netc_runtime::clip::clip_grad_norm;
use netc_runtime::kernels::*;
use netc_runtime::loss::{loss_backward, loss_forward};
use netc_runtime::optim::{optimizer_step, ParamState};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

use crate::allocations;

#[test]
fn kernels_do_not_allocate() {
    // Detection (and its environment read) happens once, before counting.
    let _ = Isa::detect();
    let mut rng = Rng::seed_from_u64(1);
    let (batch, in_f, out_f) = (32, 9, 16);
    let x = vec![0.5f32; batch * in_f];
    let w = vec![0.1f32; out_f * in_f];
    let b = vec![0.0f32; out_f];
    let (mut y, mut dy) = (vec![0.0; batch * out_f], vec![0.01; batch * out_f]);
    let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; w.len()], vec![0.0; out_f]);
    let (mut xhat, mut mean, mut invstd) = (vec![0.0; y.len()], vec![0.0; out_f], vec![0.0; out_f]);
    let (mut rm, mut rv, mut nbt) = (vec![0.0; out_f], vec![1.0; out_f], 0i64);
    let mut mask = vec![0.0; y.len()];
    let mut act_out = vec![0.0; y.len()];
    let target = vec![1.0; y.len()];
    let opt = Optimizer::adam_default();
    let mut state = ParamState::new(w.len(), &opt);
    let mut param = w.clone();
    let bn_in: Vec<f32> = (0..batch * out_f).map(|i| (i % 7) as f32).collect();

    let small = allocations(|| {
        linear_forward(&x, &w, Some(&b), &mut y, batch, in_f, out_f);
        batchnorm_forward_train(
            &bn_in,
            None,
            None,
            &mut act_out,
            &mut xhat,
            Stats {
                mean: &mut mean,
                invstd: &mut invstd,
                running_mean: &mut rm,
                running_var: &mut rv,
            },
            &mut nbt,
            Some(0.1),
            1e-5,
            batch,
            out_f,
            1,
        );
        for act in [
            Activation::Elu { alpha: 1.0 },
            Activation::Gelu,
            Activation::Softmax,
        ] {
            activation_forward(&act, &xhat, &mut y, out_f);
            activation_backward(&act, Some(&xhat), Some(&y), &target, &mut dy, out_f, false);
        }
        let mut ln_inv = [0.0f32; 32];
        layernorm_forward(
            &xhat,
            None,
            None,
            &mut act_out,
            &mut y,
            &mut ln_inv,
            1e-5,
            batch,
            out_f,
        );
        layernorm_backward(
            &dy,
            &y,
            &ln_inv,
            None,
            &mut act_out,
            None,
            None,
            Fresh::NONE,
            batch,
            out_f,
        );
        batchnorm_backward(
            &dy,
            &xhat,
            &invstd,
            None,
            &mut act_out,
            None,
            None,
            Fresh::NONE,
            batch,
            out_f,
            1,
        );
        dropout_forward(&xhat, &mut y, &mut mask, 0.2, &mut rng);
        dropout_backward(&dy, &mask, &mut act_out, false);
        add_forward(&xhat, &dy, &mut y);
        accumulate(&mut act_out, &dy, false);
        let l = loss_forward(&Loss::Mse, &y, &target, batch, out_f);
        loss_backward(&Loss::Mse, &y, &target, &mut dy, batch, out_f);
        linear_backward(
            &x,
            &w,
            &dy,
            Some(&mut dx),
            &mut dw,
            Some(&mut db),
            batch,
            in_f,
            out_f,
        );
        clip_grad_norm(&mut [&mut dw, &mut db], 1.0);
        optimizer_step(&opt, &mut param, &dw, &mut state, 1);
        assert!(l.is_finite());
    });
    assert_eq!(small, 0, "the small-layer kernels allocated");

    // Mid-sized layers (the deep workload's 64-wide ones, a 300-long
    // reduction, a one-row product) stay on `small_gemm`'s panels, the
    // thread's own for their long reductions.
    for (batch, in_f, out_f) in [(64, 64, 64), (64, 300, 48), (1, 100, 300)] {
        assert!(batch * in_f * out_f < BLOCKED_MIN_MACS);
        assert!(batch > 1 || in_f * out_f < BLOCKED_ROW_MIN_MACS);
        let x = vec![0.5f32; batch * in_f];
        let w = vec![0.01f32; out_f * in_f];
        let (mut y, dy) = (vec![0.0; batch * out_f], vec![0.01; batch * out_f]);
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; w.len()], vec![0.0; out_f]);
        let mid = allocations(|| {
            linear_forward(&x, &w, None, &mut y, batch, in_f, out_f);
            let grads = (Some(&mut dx[..]), &mut dw[..], Some(&mut db[..]));
            linear_backward(&x, &w, &dy, grads.0, grads.1, grads.2, batch, in_f, out_f);
        });
        assert_eq!(mid, 0, "linear {batch}x{in_f}->{out_f} allocated");
    }

    // Large layers (mnist's first, one row of it) take the blocked
    // product: its packing scratch grows on the first call, then is reused.
    for (batch, in_f, out_f) in [(128, 784, 256), (1, 784, 256)] {
        assert!(batch * in_f * out_f >= BLOCKED_MIN_MACS || in_f * out_f >= BLOCKED_ROW_MIN_MACS);
        let x = vec![0.5f32; batch * in_f];
        let w = vec![0.01f32; out_f * in_f];
        let (mut y, dy) = (vec![0.0; batch * out_f], vec![0.01; batch * out_f]);
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; w.len()], vec![0.0; out_f]);
        let mut step = || {
            linear_forward(&x, &w, None, &mut y, batch, in_f, out_f);
            let grads = (Some(&mut dx[..]), &mut dw[..], Some(&mut db[..]));
            linear_backward(&x, &w, &dy, grads.0, grads.1, grads.2, batch, in_f, out_f);
        };
        step();
        let large = allocations(step);
        assert_eq!(large, 0, "linear {batch}x{in_f}->{out_f} allocated");
    }
}
