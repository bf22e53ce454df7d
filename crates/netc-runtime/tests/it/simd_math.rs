//! The vectorisable transcendental functions against f64 libm. Both
//! spellings of `a·b + c` are checked: `Unfused` is the scalar path,
//! `Fused` is exactly what the FMA paths compute per lane.

use netc_runtime::simd::math;
use netc_runtime::simd::{Fma, Fused, Unfused};

fn grid(lo: f64, hi: f64, n: usize) -> impl Iterator<Item = f32> {
    (0..n).map(move |i| (lo + (hi - lo) * i as f64 / (n - 1) as f64) as f32)
}

/// Largest relative error of `f` against `reference` on the f32 grid.
fn worst(
    f: impl Fn(f32) -> f32,
    reference: impl Fn(f64) -> f64,
    xs: impl Iterator<Item = f32>,
) -> (f64, f32) {
    let mut worst = (0.0, 0.0);
    for x in xs {
        let want = reference(f64::from(x));
        let got = f64::from(f(x));
        let err = ((got - want) / want.abs().max(f64::from(f32::MIN_POSITIVE))).abs();
        if err > worst.0 || err.is_nan() {
            worst = (err, x);
        }
    }
    worst
}

fn exp_accuracy<M: Fma>(name: &str) {
    let (err, at) = worst(math::exp::<M>, f64::exp, grid(-80.0, 80.0, 2_000_001));
    assert!(err < 3e-7, "{name}: exp rel err {err:e} at {at}");
    let (err, at) = worst(math::exp::<M>, f64::exp, grid(-87.0, 88.7, 200_001));
    assert!(
        err < 3e-7,
        "{name}: exp rel err {err:e} at {at} near the range ends"
    );
}

#[test]
fn exp_relative_error_below_3e_7_on_minus_80_to_80() {
    exp_accuracy::<Unfused>("unfused");
    exp_accuracy::<Fused>("fused");
}

#[test]
fn exp_special_values() {
    let e = math::exp::<Unfused>;
    assert_eq!(e(0.0), 1.0);
    assert_eq!(e(f32::INFINITY), f32::INFINITY);
    assert_eq!(e(89.0), f32::INFINITY);
    assert_eq!(e(f32::NEG_INFINITY), 0.0);
    assert_eq!(e(-200.0), 0.0);
    assert!(e(f32::NAN).is_nan());
    // Subnormal results are kept, not flushed.
    let sub = e(-100.0);
    assert!(sub > 0.0 && sub < f32::MIN_POSITIVE);
    // Within one subnormal step (2⁻¹⁴⁹) of the true value.
    let step = f64::from(f32::from_bits(1));
    assert!((f64::from(sub) - (-100f64).exp()).abs() <= step);
}

#[test]
fn expm1_is_accurate_near_zero_and_far_out() {
    for (name, f) in [
        (
            "unfused",
            math::expm1_nonpositive::<Unfused> as fn(f32) -> f32,
        ),
        ("fused", math::expm1_nonpositive::<Fused>),
    ] {
        let (err, at) = worst(
            f,
            f64::exp_m1,
            grid(-1.0, 0.0, 400_001).filter(|x| *x != 0.0),
        );
        assert!(err < 3e-7, "{name}: expm1 rel err {err:e} at {at}");
        let (err, at) = worst(f, f64::exp_m1, grid(-90.0, 0.0, 400_001));
        assert!(err < 3e-7, "{name}: expm1 rel err {err:e} at {at}");
        assert_eq!(f(0.0), 0.0);
        assert_eq!(f(-1e-30), -1e-30);
        assert_eq!(f(-87.5), -1.0);
        assert_eq!(f(f32::NEG_INFINITY), -1.0);
        assert!(f(f32::NAN).is_nan());
    }
}

#[test]
fn ln_is_accurate_over_the_whole_positive_range() {
    for (name, f) in [
        ("unfused", math::ln::<Unfused> as fn(f32) -> f32),
        ("fused", math::ln::<Fused>),
    ] {
        // Relative to max(|ln x|, 1): ln crosses zero at 1, where the
        // absolute error is what matters.
        let xs = (0..400_000).map(|i| f32::from_bits(0x0000_0100 + i * 5_300));
        for x in xs.filter(|x| x.is_finite()) {
            let want = f64::from(x).ln();
            let err = (f64::from(f(x)) - want).abs() / want.abs().max(1.0);
            assert!(err < 3e-7, "{name}: ln({x:e}) = {} vs {want}", f(x));
        }
        assert_eq!(f(0.0), f32::NEG_INFINITY);
        assert_eq!(f(f32::INFINITY), f32::INFINITY);
        assert!(f(-1.0).is_nan() && f(f32::NAN).is_nan());
    }
}

/// Name, the f32 function, its f64 reference, the relative tolerance.
type Case = (&'static str, fn(f32) -> f32, fn(f64) -> f64, f64);

#[test]
fn tanh_sigmoid_softplus_and_normal_cdf_match_libm() {
    let cases: [Case; 4] = [
        ("tanh", math::tanh::<Fused>, f64::tanh, 6e-7),
        (
            "sigmoid",
            math::sigmoid::<Fused>,
            |x| 1.0 / (1.0 + (-x).exp()),
            6e-7,
        ),
        (
            "softplus",
            math::softplus::<Fused>,
            |x| x.max(0.0) + (-x.abs()).exp().ln_1p(),
            6e-7,
        ),
        (
            "normal_cdf",
            math::normal_cdf::<Fused>,
            netc_ops::scalar::normal_cdf,
            2e-6,
        ),
    ];
    for (name, f, reference, tol) in cases {
        let (err, at) = worst(f, reference, grid(-5.0, 9.0, 360_001).filter(|x| *x != 0.0));
        assert!(err < tol, "{name}: rel err {err:e} at {at}");
    }
    // Φ's far lower tail (below 3e-7) is only absolutely accurate: the
    // rounding of −z² in the exponent costs relative digits there.
    for x in grid(-12.0, -5.0, 70_001) {
        let want = netc_ops::scalar::normal_cdf(f64::from(x));
        let got = f64::from(math::normal_cdf::<Fused>(x));
        assert!(
            (got - want).abs() < 1e-12,
            "normal_cdf({x}) = {got} vs {want}"
        );
    }
    assert_eq!(math::tanh::<Unfused>(30.0), 1.0);
    assert_eq!(math::tanh::<Unfused>(-30.0), -1.0);
    assert_eq!(math::tanh::<Unfused>(1e-20), 1e-20);
    assert_eq!(math::sigmoid::<Unfused>(-200.0), 0.0);
}

#[test]
fn log1p_keeps_tiny_arguments_exact() {
    assert_eq!(math::log1p::<Unfused>(1e-30), 1e-30);
    let (err, at) = worst(
        math::log1p::<Unfused>,
        f64::ln_1p,
        grid(-0.9, 10.0, 200_001).filter(|x| *x != 0.0),
    );
    assert!(err < 6e-7, "log1p rel err {err:e} at {at}");
}
