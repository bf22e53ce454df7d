//! `clip_grad_norm_` semantics: one global 2-norm, the pre-clip norm
//! returned, a coefficient clamped at 1 and always applied.

use netc_runtime::clip::{clip_grad_norm, global_grad_norm};

#[test]
fn global_norm_spans_all_tensors() {
    let a = [3.0f32, 0.0];
    let b = [4.0f32];
    assert_eq!(global_grad_norm(&[&a, &b]), 5.0);
    let long: Vec<f32> = (0..1001).map(|i| (i as f32 * 0.37).sin()).collect();
    let want: f64 = long
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt();
    assert!((f64::from(global_grad_norm(&[&long])) - want).abs() < 1e-6 * want);
    assert_eq!(global_grad_norm(&[]), 0.0);
}

#[test]
fn clipping_rescales_to_max_norm_and_returns_the_old_norm() {
    let mut a = [3.0f32, 0.0];
    let mut b = [4.0f32];
    let total = clip_grad_norm(&mut [&mut a, &mut b], 1.0);
    assert_eq!(total, 5.0);
    let coef = 1.0f32 / (5.0 + 1e-6);
    assert_eq!(a, [3.0 * coef, 0.0]);
    assert_eq!(b, [4.0 * coef]);
    assert!((global_grad_norm(&[&a, &b]) - 1.0).abs() < 1e-6);
}

#[test]
fn small_gradients_are_left_unchanged() {
    let mut a = [0.3f32, -0.4];
    let total = clip_grad_norm(&mut [&mut a], 1.0);
    assert!((total - 0.5).abs() < 1e-7);
    assert_eq!(a, [0.3, -0.4]);
}

#[test]
fn non_finite_norm_poisons_the_gradients_as_pytorch() {
    let mut a = [f32::INFINITY, 1.0];
    let total = clip_grad_norm(&mut [&mut a], 1.0);
    assert_eq!(total, f32::INFINITY);
    // coef = 1/(inf) = 0, so inf·0 = NaN and 1·0 = 0.
    assert!(a[0].is_nan());
    assert_eq!(a[1], 0.0);
    let mut b = [f32::NAN, 1.0];
    assert!(clip_grad_norm(&mut [&mut b], 1.0).is_nan());
    assert!(b[1].is_nan(), "a NaN coefficient must not be clamped to 1");
}
