//! The vectorisable transcendental functions against f64 libm, on every
//! ISA path this CPU runs.

use netc_ops::Activation;
use netc_runtime::kernels::activation_forward_with;
use netc_runtime::simd::Isa;

fn grid(lo: f32, hi: f32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f32 / (n - 1) as f32)
        .collect()
}

fn max_rel_err(got: &[f32], want: impl Fn(f64) -> f64, xs: &[f32]) -> (f64, f32) {
    let mut worst = (0.0, 0.0);
    for (&g, &x) in got.iter().zip(xs) {
        let w = want(f64::from(x));
        let err = ((f64::from(g) - w) / w.abs().max(f64::MIN_POSITIVE)).abs();
        if err > worst.0 {
            worst = (err, x);
        }
    }
    worst
}

#[test]
fn sigmoid_matches_libm_on_every_path() {
    let xs = grid(-80.0, 80.0, 200_001);
    for isa in Isa::available() {
        let mut y = vec![0.0; xs.len()];
        activation_forward_with(isa, &Activation::Sigmoid, &xs, &mut y, xs.len());
        let (err, at) = max_rel_err(&y, |x| 1.0 / (1.0 + (-x).exp()), &xs);
        assert!(
            err < 1e-6,
            "{}: sigmoid rel err {err:e} at {at}",
            isa.name()
        );
    }
}
