//! Throughput figures, not assertions: run with
//! `cargo test --release -p netc-runtime --test kernels_bench -- --ignored --nocapture`.

use std::hint::black_box;
use std::time::Instant;

use netc_ops::Activation;
use netc_runtime::kernels::{
    activation_backward_with, activation_forward_with, linear_backward, linear_forward,
    linear_forward_with,
};
use netc_runtime::rng::Rng;
use netc_runtime::simd::Isa;

fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
    (0..n).map(|_| rng.uniform(-1.0, 1.0) as f32).collect()
}

/// Best-of-`rounds` seconds per call.
fn time(rounds: usize, calls: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..rounds {
        let start = Instant::now();
        for _ in 0..calls {
            f();
        }
        best = best.min(start.elapsed().as_secs_f64() / calls as f64);
    }
    best
}

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
        "linear_forward (gemm) {batch}x{in_f}·{in_f}x{out_f}: {:.1} µs, {:.1} GFLOP/s",
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
        "linear_backward (gemm, dx+dw+db): {:.1} µs, {:.1} GFLOP/s",
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
            let fwd = time(5, 2_000, || {
                activation_forward_with(isa, &act, black_box(&a), &mut out, n)
            });
            let bwd = time(5, 2_000, || {
                activation_backward_with(isa, &act, &a, &out, black_box(&dy), &mut dx, n)
            });
            eprintln!(
                "{:>9}: {:<10} forward {:.2} ns/elem, backward {:.2} ns/elem",
                isa.name(),
                act.name(),
                fwd * 1e9 / n as f64,
                bwd * 1e9 / n as f64
            );
        }
    }
}
