//! Split kernels give the bits of one thread, for every thread count:
//! each output element is computed by one thread in the same order.

use std::sync::Arc;

use netc_runtime::kernels::{linear_backward, linear_forward, GEMM_MIN_MACS};
use netc_runtime::parallel::{install, Pool};
use netc_runtime::rng::Rng;

fn uniform(len: usize, rng: &mut Rng) -> Vec<f32> {
    (0..len).map(|_| rng.uniform(-1.0, 1.0) as f32).collect()
}

/// `run()` with no pool, then with pools of 2, 3 and 4 threads: every
/// result bit-identical to the first.
fn same_bits_on_every_pool<T: PartialEq + std::fmt::Debug>(what: &str, run: impl Fn() -> T) {
    let one = run();
    for threads in 2..=4 {
        let pool = Arc::new(Pool::new(threads));
        let got = install(Some(pool), &run);
        assert!(got == one, "{what}: {threads} threads differ from one");
    }
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn linear_forward_and_backward_split_to_the_same_bits() {
    let mut rng = Rng::seed_from_u64(7);
    // The tiled path, the long-reduction loop path, and gemm's (with a
    // narrow output whose row parts must stay on gemm's general path).
    let shapes = [
        (64, 64, 64),
        (200, 96, 130),
        (40, 600, 48),
        (256, 784, 300),
        (256, 784, 10),
        (96, 1024, 72),
        (1, 4096, 256),
    ];
    for (batch, in_f, out_f) in shapes {
        let x = uniform(batch * in_f, &mut rng);
        let w = uniform(out_f * in_f, &mut rng);
        let b = uniform(out_f, &mut rng);
        let dy = uniform(batch * out_f, &mut rng);
        let what = format!("linear {batch}x{in_f}->{out_f}");
        if batch * in_f * out_f >= GEMM_MIN_MACS {
            eprintln!("{what}: gemm");
        }
        same_bits_on_every_pool(&what, || {
            let mut y = vec![0.0; batch * out_f];
            linear_forward(&x, &w, Some(&b), &mut y, batch, in_f, out_f);
            let (mut dx, mut dw, mut db) =
                (vec![0.5; x.len()], vec![0.25; w.len()], vec![0.1; out_f]);
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
            (bits(&y), bits(&dx), bits(&dw), bits(&db))
        });
    }
}
