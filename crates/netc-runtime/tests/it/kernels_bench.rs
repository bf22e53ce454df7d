//! Throughput figures, not assertions: run with
//! `cargo test --release -p netc-runtime --test it -- kernels_bench:: --ignored --nocapture`.

use crate::common;

use std::hint::black_box;

use netc_ops::Activation;
use netc_runtime::kernels::{
    self, activation_backward_with, activation_forward_with, linear_backward, linear_backward_with,
    linear_forward, linear_forward_with, CacheAligned, Fresh,
};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

use common::{random, time};

#[test]
#[ignore = "benchmark"]
fn linear_gflops_128x784_by_784x256() {
    let (batch, in_f, out_f) = (128, 784, 256);
    let mut rng = Rng::seed_from_u64(1);
    let x = random(batch * in_f, &mut rng);
    let w = random(out_f * in_f, &mut rng);
    let b = random(out_f, &mut rng);
    let mut y = vec![0.0; batch * out_f];
    let flops = 2.0 * (batch * in_f * out_f) as f64;
    let secs = time(5, 20, || {
        linear_forward(black_box(&x), &w, Some(&b), &mut y, batch, in_f, out_f)
    });
    eprintln!(
        "linear_forward (blocked) {batch}x{in_f}·{in_f}x{out_f}: {:.1} µs, {:.1} GFLOP/s",
        secs * 1e6,
        flops / secs / 1e9
    );
    let dy = random(batch * out_f, &mut rng);
    let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; w.len()], vec![0.0; out_f]);
    let secs = time(5, 10, || {
        linear_backward(
            &x,
            &w,
            black_box(&dy),
            Some(&mut dx),
            &mut dw,
            Some(&mut db),
            batch,
            in_f,
            out_f,
        )
    });
    eprintln!(
        "linear_backward (blocked, dx+dw+db): {:.1} µs, {:.1} GFLOP/s",
        secs * 1e6,
        2.0 * flops / secs / 1e9
    );
    for isa in Isa::available() {
        let secs = time(3, 2, || {
            linear_forward_with(isa, black_box(&x), &w, Some(&b), &mut y, batch, in_f, out_f)
        });
        eprintln!(
            "linear_forward loop kernel on {}: {:.1} GFLOP/s",
            isa.name(),
            flops / secs / 1e9
        );
    }
}

#[test]
#[ignore = "benchmark"]
fn small_layers_and_activations_per_path() {
    let mut rng = Rng::seed_from_u64(2);
    let (batch, in_f, out_f) = (32, 9, 16);
    let x = random(batch * in_f, &mut rng);
    let w = random(out_f * in_f, &mut rng);
    let b = random(out_f, &mut rng);
    let mut y = vec![0.0; batch * out_f];
    let n = 4096;
    let a = random(n, &mut rng);
    let dy = random(n, &mut rng);
    let (mut out, mut dx) = (vec![0.0; n], vec![0.0; n]);
    for isa in Isa::available() {
        let secs = time(5, 20_000, || {
            linear_forward_with(isa, black_box(&x), &w, Some(&b), &mut y, batch, in_f, out_f)
        });
        eprintln!(
            "{:>9}: linear 32x9->16 forward {:.0} ns",
            isa.name(),
            secs * 1e9
        );
        for act in [
            Activation::Relu,
            Activation::Elu { alpha: 1.0 },
            Activation::Sigmoid,
            Activation::Tanh,
            Activation::Gelu,
            Activation::Softplus {
                beta: 1.0,
                threshold: 20.0,
            },
        ] {
            let (fwd, bwd) = activation_times(isa, &act, (&a, &dy), (&mut out, &mut dx), n, 2_000);
            eprintln!(
                "{:>9}: {:<10} forward {:.2} ns/elem, backward {:.2} ns/elem",
                isa.name(),
                act.name(),
                fwd * 1e9 / n as f64,
                bwd * 1e9 / n as f64
            );
        }
        // The seed network's sizes — one row of 16, 8 and 1 units
        // (predict_one), batches of 32 of them (the train step) — and odd
        // ones: below one vectorised loop iteration they show the
        // per-call cost and the remainder path.
        for act in [Activation::Elu { alpha: 1.0 }, Activation::Sigmoid] {
            for m in [1, 8, 16, 24, 32, 256, 512] {
                let inputs = (&a[..m], &dy[..m]);
                let outputs = (&mut out[..m], &mut dx[..m]);
                let (fwd, bwd) = activation_times(isa, &act, inputs, outputs, m, 200_000);
                eprintln!(
                    "{:>9}: {:<10} {m:>3} elements: forward {:.1} ns, backward {:.1} ns",
                    isa.name(),
                    act.name(),
                    fwd * 1e9,
                    bwd * 1e9
                );
            }
        }
        // A classification head: 64 rows of 10 classes, each row shorter
        // than one vector.
        let (rows, classes) = (64, 10);
        let m = rows * classes;
        for act in [Activation::Softmax, Activation::LogSoftmax] {
            let inputs = (&a[..m], &dy[..m]);
            let outputs = (&mut out[..m], &mut dx[..m]);
            let (fwd, bwd) = activation_times(isa, &act, inputs, outputs, classes, 20_000);
            eprintln!(
                "{:>9}: {:<11} {rows}x{classes}: forward {:.1} ns, backward {:.1} ns",
                isa.name(),
                act.name(),
                fwd * 1e9,
                bwd * 1e9
            );
        }
    }
}

/// Seconds per call of `act`'s forward over `x` and backward from `dy`
/// (rows of `width`) on `isa`.
fn activation_times(
    isa: Isa,
    act: &Activation,
    (x, dy): (&[f32], &[f32]),
    (out, dx): (&mut [f32], &mut [f32]),
    width: usize,
    calls: usize,
) -> (f64, f64) {
    let fwd = time(5, calls, || {
        activation_forward_with(isa, act, black_box(x), out, width)
    });
    let bwd = time(5, calls, || {
        activation_backward_with(
            isa,
            act,
            Some(x),
            Some(out),
            black_box(dy),
            dx,
            width,
            false,
        )
    });
    (fwd, bwd)
}

/// One SGD step of the seed network (9→16→8→1, batchnorm, ELU, sigmoid +
/// BCE, batch 32) composed from the public kernels, as the interpreter
/// would run it.
#[test]
#[ignore = "benchmark"]
fn seed_network_step() {
    use netc_ops::{Loss, Optimizer};
    use netc_runtime::kernels::*;
    use netc_runtime::loss::{loss_backward, loss_forward};
    use netc_runtime::optim::{optimizer_step, ParamState};

    struct Layer {
        w: Vec<f32>,
        b: Vec<f32>,
        dw: Vec<f32>,
        db: Vec<f32>,
        sw: ParamState,
        sb: ParamState,
    }
    let batch = 32;
    let dims = [(9, 16), (16, 8), (8, 1)];
    let opt = Optimizer::Sgd {
        lr: 0.01,
        momentum: 0.9,
        nesterov: false,
        weight_decay: 0.0,
    };
    let mut rng = Rng::seed_from_u64(3);
    let mut layers: Vec<Layer> = dims
        .iter()
        .map(|&(in_f, out_f)| Layer {
            w: random(in_f * out_f, &mut rng),
            b: random(out_f, &mut rng),
            dw: vec![0.0; in_f * out_f],
            db: vec![0.0; out_f],
            sw: ParamState::new(in_f * out_f, &opt),
            sb: ParamState::new(out_f, &opt),
        })
        .collect();
    let x = random(batch * 9, &mut rng);
    let target: Vec<f32> = (0..batch).map(|i| (i % 2) as f32).collect();
    let buf = |n: usize| vec![0.0f32; batch * n];
    // Per hidden layer: pre-BN z, BN output, xhat, activation output.
    let (mut z1, mut n1, mut h1, mut a1) = (buf(16), buf(16), buf(16), buf(16));
    let (mut z2, mut n2, mut h2, mut a2) = (buf(8), buf(8), buf(8), buf(8));
    let (mut z3, mut p) = (buf(1), buf(1));
    let (mut g16, mut g16b, mut g8, mut g8b, mut g1, mut g1b) =
        (buf(16), buf(16), buf(8), buf(8), buf(1), buf(1));
    let mut bn = [16usize, 8].map(|n| {
        (
            vec![0.0f32; n],
            vec![0.0f32; n],
            vec![0.0f32; n],
            vec![1.0f32; n],
            0i64,
        )
    });
    let elu = Activation::Elu { alpha: 1.0 };
    let mut step = 0u64;
    let mut run = || {
        step += 1;
        for l in layers.iter_mut() {
            l.dw.fill(0.0);
            l.db.fill(0.0);
        }
        let [bn1, bn2] = &mut bn;
        linear_forward(&x, &layers[0].w, Some(&layers[0].b), &mut z1, batch, 9, 16);
        batchnorm_forward_train(
            &z1,
            None,
            None,
            &mut n1,
            &mut h1,
            Stats {
                mean: &mut bn1.0,
                invstd: &mut bn1.1,
                running_mean: &mut bn1.2,
                running_var: &mut bn1.3,
            },
            &mut bn1.4,
            Some(0.1),
            1e-5,
            batch,
            16,
            1,
        );
        activation_forward(&elu, &n1, &mut a1, 16);
        linear_forward(&a1, &layers[1].w, Some(&layers[1].b), &mut z2, batch, 16, 8);
        batchnorm_forward_train(
            &z2,
            None,
            None,
            &mut n2,
            &mut h2,
            Stats {
                mean: &mut bn2.0,
                invstd: &mut bn2.1,
                running_mean: &mut bn2.2,
                running_var: &mut bn2.3,
            },
            &mut bn2.4,
            Some(0.1),
            1e-5,
            batch,
            8,
            1,
        );
        activation_forward(&elu, &n2, &mut a2, 8);
        linear_forward(&a2, &layers[2].w, Some(&layers[2].b), &mut z3, batch, 8, 1);
        activation_forward(&Activation::Sigmoid, &z3, &mut p, 1);
        let loss = loss_forward(&Loss::Bce, &p, &target, batch, 1);
        loss_backward(&Loss::Bce, &p, &target, &mut g1, batch, 1);
        g1b.fill(0.0);
        activation_backward(
            &Activation::Sigmoid,
            None,
            Some(&p),
            &g1,
            &mut g1b,
            1,
            false,
        );
        g8.fill(0.0);
        let l2 = &mut layers[2];
        linear_backward(
            &a2,
            &l2.w,
            &g1b,
            Some(&mut g8),
            &mut l2.dw,
            Some(&mut l2.db),
            batch,
            8,
            1,
        );
        g8b.fill(0.0);
        activation_backward(&elu, None, Some(&a2), &g8, &mut g8b, 8, false);
        g8.fill(0.0);
        batchnorm_backward(
            &g8b,
            &h2,
            &bn2.1,
            None,
            &mut g8,
            None,
            None,
            Fresh::NONE,
            batch,
            8,
            1,
        );
        g16.fill(0.0);
        let l1 = &mut layers[1];
        linear_backward(
            &a1,
            &l1.w,
            &g8,
            Some(&mut g16),
            &mut l1.dw,
            Some(&mut l1.db),
            batch,
            16,
            8,
        );
        g16b.fill(0.0);
        activation_backward(&elu, None, Some(&a1), &g16, &mut g16b, 16, false);
        g16.fill(0.0);
        batchnorm_backward(
            &g16b,
            &h1,
            &bn1.1,
            None,
            &mut g16,
            None,
            None,
            Fresh::NONE,
            batch,
            16,
            1,
        );
        let l0 = &mut layers[0];
        linear_backward(
            &x,
            &l0.w,
            &g16,
            None,
            &mut l0.dw,
            Some(&mut l0.db),
            batch,
            9,
            16,
        );
        for l in layers.iter_mut() {
            optimizer_step(&opt, &mut l.w, &l.dw, &mut l.sw, step);
            optimizer_step(&opt, &mut l.b, &l.db, &mut l.sb, step);
        }
        black_box(loss);
    };
    let secs = time(5, 20_000, &mut run);
    eprintln!(
        "seed network SGD step on {}: {:.2} µs",
        Isa::detect().name(),
        secs * 1e6
    );
}

#[test]
#[ignore = "benchmark"]
fn linear_64x64x64_per_path() {
    let (batch, in_f, out_f) = (64, 64, 64);
    let mut rng = Rng::seed_from_u64(3);
    let x = random(batch * in_f, &mut rng);
    let w = random(out_f * in_f, &mut rng);
    let b = random(out_f, &mut rng);
    let dy = random(batch * out_f, &mut rng);
    let mut y = vec![0.0; batch * out_f];
    let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; w.len()], vec![0.0; out_f]);
    let flops = 2.0 * (batch * in_f * out_f) as f64;
    let secs = time(7, 2_000, || {
        linear_forward(black_box(&x), &w, Some(&b), &mut y, batch, in_f, out_f)
    });
    eprintln!("public forward: {:.2} µs", secs * 1e6);
    for isa in Isa::available() {
        let fwd = time(7, 2_000, || {
            linear_forward_with(isa, black_box(&x), &w, Some(&b), &mut y, batch, in_f, out_f)
        });
        let bwd = time(7, 1_000, || {
            let grads = (Some(&mut dx[..]), &mut dw[..], Some(&mut db[..]));
            linear_backward_with(
                isa,
                &x,
                &w,
                black_box(&dy),
                grads.0,
                grads.1,
                grads.2,
                batch,
                in_f,
                out_f,
                Fresh::NONE,
            )
        });
        eprintln!(
            "{:>9}: forward {:.2} µs ({:.0} GFLOP/s), backward {:.2} µs ({:.0} GFLOP/s)",
            isa.name(),
            fwd * 1e6,
            flops / fwd / 1e9,
            bwd * 1e6,
            2.0 * flops / bwd / 1e9
        );
    }
}

/// The `deep` workload's block, 64 rows through a 64→64 linear, as the
/// generated code calls it (const widths), then the next width up: 64
/// rows of 128→128 reach the blocked product (`BLOCKED_MIN_MACS`), one row stays on the
/// own kernels.
#[test]
#[ignore = "benchmark"]
fn deep_block_64() {
    let y = square_block::<64>(20_000, 4);
    let fin = time(5, 20_000, || {
        black_box(netc_runtime::kernels::all_finite(&[black_box(&y)]));
    });
    eprintln!("all_finite over 64x64: {:.0} ns", fin * 1e9);
    square_block::<128>(5_000, 5);
}

/// 64 rows through an N→N linear (forward, backward dx+dw+db) and one
/// row forward; returns the forward output.
fn square_block<const N: usize>(calls: usize, seed: u64) -> Vec<f32> {
    use netc_runtime::Const;
    let mut rng = Rng::seed_from_u64(seed);
    let batch = 64;
    let x = random(batch * N, &mut rng);
    let w = random(N * N, &mut rng);
    let b = random(N, &mut rng);
    let dy = random(batch * N, &mut rng);
    let mut y = vec![0.0; batch * N];
    let (mut dx, mut dw, mut db) = (vec![0.0; batch * N], vec![0.0; N * N], vec![0.0; N]);
    let flops = 2.0 * (batch * N * N) as f64;
    let fwd = time(5, calls, || {
        kernels::linear_forward(
            black_box(&x),
            &w,
            Some(&b),
            &mut y,
            batch,
            Const::<N>,
            Const::<N>,
        )
    });
    let bwd = time(5, calls / 2, || {
        kernels::linear_backward(
            &x,
            &w,
            black_box(&dy),
            Some(&mut dx),
            &mut dw,
            Some(&mut db),
            batch,
            Const::<N>,
            Const::<N>,
        )
    });
    let mut row = vec![0.0; N];
    let one = time(5, calls * 10, || {
        kernels::linear_forward(
            black_box(&x[..N]),
            &w,
            Some(&b),
            &mut row,
            1,
            Const::<N>,
            Const::<N>,
        )
    });
    eprintln!(
        "64x{N}·{N}x{N} forward {:.2} µs ({:.0} GFLOP/s), backward dx+dw+db {:.2} µs ({:.0} GFLOP/s); one row {N}->{N} forward {:.0} ns",
        fwd * 1e6,
        flops / fwd / 1e9,
        bwd * 1e6,
        2.0 * flops / bwd / 1e9,
        one * 1e9
    );
    y
}

/// One row on the own kernel (`linear_forward_with`) against what the
/// public kernel picks (dot products from `BLOCKED_ROW_MIN_MACS`).
#[test]
#[ignore = "benchmark"]
fn one_row_own_kernel_vs_public() {
    let mut rng = Rng::seed_from_u64(6);
    let isa = Isa::detect();
    for (in_f, out_f) in [(64, 64), (128, 128), (128, 256), (256, 256), (512, 512)] {
        let x = random(in_f, &mut rng);
        let w = random(out_f * in_f, &mut rng);
        let b = random(out_f, &mut rng);
        let mut y = vec![0.0; out_f];
        let public = time(5, 20_000, || {
            linear_forward(black_box(&x), &w, Some(&b), &mut y, 1, in_f, out_f)
        });
        let own = time(5, 20_000, || {
            linear_forward_with(isa, black_box(&x), &w, Some(&b), &mut y, 1, in_f, out_f)
        });
        eprintln!(
            "one row {in_f}->{out_f}: public {:.0} ns, own kernel {:.0} ns",
            public * 1e9,
            own * 1e9
        );
    }
}

/// One row through a linear layer as generated code's inference cache
/// runs it (a kept packed panel, cache-aligned) against the per-call kernel, at the seed
/// network's widths and two square ones, on every path; then batchnorm
/// eval with a kept affine against the one-call forward.
#[test]
#[ignore = "benchmark"]
fn inference_cache_one_row() {
    use netc_runtime::Const;
    fn linear<const IN: usize, const OUT: usize>(rng: &mut Rng) {
        let x = random(IN, rng);
        let w = random(OUT * IN, rng);
        let b = random(OUT, rng);
        let mut panel = CacheAligned::zeroed(kernels::linear_panel_len(IN, OUT));
        let mut y = vec![0.0; OUT];
        let calls = 2_000_000 / (IN * OUT).max(64);
        for isa in Isa::available() {
            kernels::pack_linear_panel_on(isa, &w, &mut panel, Const::<IN>, Const::<OUT>);
            let per_call = time(7, calls, || {
                kernels::linear_forward_on(
                    isa,
                    black_box(&x),
                    &w,
                    Some(&b),
                    &mut y,
                    1,
                    Const::<IN>,
                    Const::<OUT>,
                )
            });
            let packed = time(7, calls, || {
                let x = black_box(&x);
                kernels::linear_forward_packed_on(
                    isa,
                    x,
                    &w,
                    &panel,
                    Some(&b),
                    &mut y,
                    1,
                    Const::<IN>,
                    Const::<OUT>,
                )
            });
            let pack = time(7, calls / 4, || {
                kernels::pack_linear_panel_on(
                    isa,
                    black_box(&w),
                    &mut panel,
                    Const::<IN>,
                    Const::<OUT>,
                )
            });
            let batch = 32;
            let (xs, mut ys) = (random(batch * IN, rng), vec![0.0; batch * OUT]);
            let batch_per_call = time(7, calls / 8, || {
                let x = black_box(&xs);
                kernels::linear_forward_on(
                    isa,
                    x,
                    &w,
                    Some(&b),
                    &mut ys,
                    batch,
                    Const::<IN>,
                    Const::<OUT>,
                )
            });
            let batch_packed = time(7, calls / 8, || {
                let x = black_box(&xs);
                kernels::linear_forward_packed_on(
                    isa,
                    x,
                    &w,
                    &panel,
                    Some(&b),
                    &mut ys,
                    batch,
                    Const::<IN>,
                    Const::<OUT>,
                )
            });
            eprintln!(
                "{:>9}: {IN}->{OUT}: one row: linear_forward {:.1} ns, packed {:.1} ns (packing {:.1} ns); batch {batch}: {:.0} ns, packed {:.0} ns",
                isa.name(),
                per_call * 1e9,
                packed * 1e9,
                pack * 1e9,
                batch_per_call * 1e9,
                batch_packed * 1e9
            );
        }
    }
    let mut rng = Rng::seed_from_u64(7);
    linear::<9, 16>(&mut rng);
    linear::<16, 8>(&mut rng);
    linear::<8, 1>(&mut rng);
    linear::<64, 64>(&mut rng);
    linear::<128, 128>(&mut rng);

    let n = 16;
    let x = random(n, &mut rng);
    let (gamma, beta, mean) = (
        random(n, &mut rng),
        random(n, &mut rng),
        random(n, &mut rng),
    );
    let var: Vec<f32> = random(n, &mut rng).iter().map(|v| v.abs()).collect();
    let (mut scale, mut shift, mut y) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
    for isa in Isa::available() {
        let eval = time(7, 500_000, || {
            kernels::batchnorm_forward_eval_with(
                isa,
                black_box(&x),
                Some(&gamma),
                Some(&beta),
                &mean,
                &var,
                1e-5,
                &mut y,
                1,
                Const::<16>,
                1,
            )
        });
        let affine = time(7, 500_000, || {
            kernels::batchnorm_eval_affine_on(
                isa,
                Some(black_box(&gamma)),
                Some(&beta),
                &mean,
                &var,
                1e-5,
                &mut scale,
                &mut shift,
                Const::<16>,
            )
        });
        let apply = time(7, 500_000, || {
            kernels::batchnorm_apply_on(
                isa,
                black_box(&x),
                &scale,
                &shift,
                &mut y,
                1,
                Const::<16>,
                1,
            )
        });
        eprintln!(
            "{:>9}: batchnorm eval one row of 16: forward_eval {:.1} ns, eval_affine {:.1} ns, apply {:.1} ns",
            isa.name(),
            eval * 1e9,
            affine * 1e9,
            apply * 1e9
        );
    }
}

/// The seed network's eval forward of one sample (9→16→8→1, batchnorm in
/// eval mode, ELU, sigmoid) as generated code runs it, per-call kernels
/// against the inference cache (packed panels, kept batchnorm affines).
#[test]
#[ignore = "benchmark"]
fn seed_predict_one_cached() {
    use netc_runtime::kernels::activation_forward;
    use netc_runtime::Const;
    let mut rng = Rng::seed_from_u64(8);
    let x = random(9, &mut rng);
    let (w1, b1) = (random(16 * 9, &mut rng), random(16, &mut rng));
    let (w2, b2) = (random(8 * 16, &mut rng), random(8, &mut rng));
    let (w3, b3) = (random(8, &mut rng), random(1, &mut rng));
    let stats = |n: usize, rng: &mut Rng| {
        let var: Vec<f32> = random(n, rng).iter().map(|v| v.abs() + 0.1).collect();
        [random(n, rng), random(n, rng), random(n, rng), var]
    };
    let [g1, be1, m1, v1] = stats(16, &mut rng);
    let [g2, be2, m2, v2] = stats(8, &mut rng);
    let panel = |w: &[f32], in_f: usize, out_f: usize| {
        let mut p = CacheAligned::zeroed(kernels::linear_panel_len(in_f, out_f));
        match (in_f, out_f) {
            (9, 16) => kernels::pack_linear_panel(w, &mut p, Const::<9>, Const::<16>),
            (16, 8) => kernels::pack_linear_panel(w, &mut p, Const::<16>, Const::<8>),
            _ => kernels::pack_linear_panel(w, &mut p, Const::<8>, Const::<1>),
        }
        p
    };
    let (p1, p2, p3) = (panel(&w1, 9, 16), panel(&w2, 16, 8), panel(&w3, 8, 1));
    let (mut s1, mut h1) = (vec![0f32; 16], vec![0f32; 16]);
    let (mut s2, mut h2) = (vec![0f32; 8], vec![0f32; 8]);
    kernels::batchnorm_eval_affine(
        Some(&g1),
        Some(&be1),
        &m1,
        &v1,
        1e-5,
        &mut s1,
        &mut h1,
        Const::<16>,
    );
    kernels::batchnorm_eval_affine(
        Some(&g2),
        Some(&be2),
        &m2,
        &v2,
        1e-5,
        &mut s2,
        &mut h2,
        Const::<8>,
    );
    let elu = Activation::Elu { alpha: 1.0 };
    let (mut z1, mut n1, mut a1) = ([0f32; 16], [0f32; 16], [0f32; 16]);
    let (mut z2, mut n2, mut a2) = ([0f32; 8], [0f32; 8], [0f32; 8]);
    let (mut z3, mut p) = ([0f32; 1], [0f32; 1]);
    let mut outputs = [[0f32; 1]; 2];
    for cached in [false, true] {
        let secs = time(7, 200_000, || {
            let x = black_box(&x);
            if cached {
                kernels::linear_forward_packed(
                    x,
                    &w1,
                    &p1,
                    Some(&b1),
                    &mut z1,
                    1,
                    Const::<9>,
                    Const::<16>,
                );
                kernels::batchnorm_apply(&z1, &s1, &h1, &mut n1, 1, Const::<16>, 1);
            } else {
                kernels::linear_forward(x, &w1, Some(&b1), &mut z1, 1, Const::<9>, Const::<16>);
                kernels::batchnorm_forward_eval(
                    &z1,
                    Some(&g1),
                    Some(&be1),
                    &m1,
                    &v1,
                    1e-5,
                    &mut n1,
                    1,
                    Const::<16>,
                    1,
                );
            }
            activation_forward(&elu, &n1, &mut a1, 16);
            if cached {
                kernels::linear_forward_packed(
                    &a1,
                    &w2,
                    &p2,
                    Some(&b2),
                    &mut z2,
                    1,
                    Const::<16>,
                    Const::<8>,
                );
                kernels::batchnorm_apply(&z2, &s2, &h2, &mut n2, 1, Const::<8>, 1);
            } else {
                kernels::linear_forward(&a1, &w2, Some(&b2), &mut z2, 1, Const::<16>, Const::<8>);
                kernels::batchnorm_forward_eval(
                    &z2,
                    Some(&g2),
                    Some(&be2),
                    &m2,
                    &v2,
                    1e-5,
                    &mut n2,
                    1,
                    Const::<8>,
                    1,
                );
            }
            activation_forward(&elu, &n2, &mut a2, 8);
            if cached {
                kernels::linear_forward_packed(
                    &a2,
                    &w3,
                    &p3,
                    Some(&b3),
                    &mut z3,
                    1,
                    Const::<8>,
                    Const::<1>,
                );
            } else {
                kernels::linear_forward(&a2, &w3, Some(&b3), &mut z3, 1, Const::<8>, Const::<1>);
            }
            activation_forward(&Activation::Sigmoid, &z3, &mut p, 1);
            black_box(&p);
        });
        outputs[usize::from(cached)] = p;
        let what = if cached {
            "inference cache"
        } else {
            "per-call kernels"
        };
        eprintln!("seed predict_one, {what}: {:.1} ns", secs * 1e9);
    }
    assert_eq!(outputs[0][0].to_bits(), outputs[1][0].to_bits());
}

/// LeNet's two convolutions at batch 64, forward and backward, on every
/// path: conv1 (1→6, 5×5, padding 2, 28×28) takes the direct path where
/// it applies, conv2 (6→16, 5×5, 14×14) the patch matrix.
#[test]
#[ignore = "benchmark"]
fn lenet_convolutions_per_path() {
    use netc_ops::image::{Conv2dGeometry, ImageShape, Pad, Window};
    use netc_runtime::kernels::{
        conv2d_backward_on, conv2d_cols_len, conv2d_forward_on, conv2d_rows_len,
    };
    let square = |pad| Window {
        kernel: 5,
        stride: 1,
        pad: Pad::symmetric(pad),
        dilation: 1,
    };
    let layer = |(channels, side), out_channels, pad| Conv2dGeometry {
        input: ImageShape {
            channels,
            height: side,
            width: side,
        },
        out_channels,
        groups: 1,
        rows: square(pad),
        cols: square(pad),
    };
    let batch = 64;
    let mut rng = Rng::seed_from_u64(13);
    for (name, g, input_grad) in [
        ("conv1", layer((1, 28), 6, 2), false),
        ("conv2", layer((6, 14), 16, 0), true),
    ] {
        let out = g.output().expect("LeNet's windows fit").numel();
        let x = random(batch * g.input.numel(), &mut rng);
        let w = random(g.out_channels * g.fan_in(), &mut rng);
        let b = random(g.out_channels, &mut rng);
        let dy = random(batch * out, &mut rng);
        let mut y = vec![0.0; batch * out];
        let mut cols = vec![0.0; batch * conv2d_cols_len(&g)];
        let mut dcols = vec![0.0; cols.len()];
        let mut rows = vec![0.0; batch * conv2d_rows_len(&g)];
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; w.len()], vec![0.0; b.len()]);
        let flops = 2.0 * (batch * out * g.fan_in()) as f64;
        for isa in Isa::available() {
            let fwd = time(5, 20, || {
                conv2d_forward_on(
                    isa,
                    black_box(&x),
                    &w,
                    Some(&b),
                    &mut y,
                    &mut cols,
                    &mut rows,
                    batch,
                    &g,
                )
            });
            let bwd = time(5, 20, || {
                conv2d_backward_on(
                    isa,
                    &cols,
                    &w,
                    black_box(&dy),
                    &mut rows,
                    input_grad.then_some(&mut dcols[..]),
                    input_grad.then_some(&mut dx[..]),
                    &mut dw,
                    Some(&mut db),
                    Fresh(0b111),
                    batch,
                    &g,
                )
            });
            let products = if input_grad { 2.0 } else { 1.0 };
            eprintln!(
                "{:>9}: {name} forward {:.0} µs ({:.0} GFLOP/s), backward {:.0} µs ({:.0} GFLOP/s)",
                isa.name(),
                fwd * 1e6,
                flops / fwd / 1e9,
                bwd * 1e6,
                products * flops / bwd / 1e9
            );
        }
    }
}
