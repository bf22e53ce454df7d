//! torch.nn.init formulas: bounds and standard deviations on large
//! tensors, Kolmogorov–Smirnov against the target distribution (α = 0.001,
//! fixed seeds), orthogonality and PyTorch's sign convention.

use netc_ops::scalar::normal_cdf;
use netc_ops::{FanMode, Init, Nonlinearity};
use netc_runtime::init::init_weight;
use netc_runtime::rng::Rng;

/// fan_in ≠ fan_out so that the fan mode and Xavier's sum matter.
const FAN_IN: usize = 256;
const FAN_OUT: usize = 1024;

fn draw(init: &Init, seed: u64) -> Vec<f32> {
    let mut w = vec![f32::NAN; FAN_IN * FAN_OUT];
    init_weight(init, &mut w, FAN_IN, FAN_OUT, &mut Rng::seed_from_u64(seed));
    w
}

/// The KS statistic of `sample` against the CDF `cdf`.
fn ks_statistic(sample: &[f32], cdf: impl Fn(f64) -> f64) -> f64 {
    let mut xs: Vec<f64> = sample.iter().map(|&v| f64::from(v)).collect();
    xs.sort_by(f64::total_cmp);
    let n = xs.len() as f64;
    xs.iter()
        .enumerate()
        .map(|(i, &x)| {
            let f = cdf(x);
            (f - i as f64 / n).max((i + 1) as f64 / n - f)
        })
        .fold(0.0, f64::max)
}

/// Critical value of the one-sample KS test at α = 0.001.
fn ks_critical(n: usize) -> f64 {
    1.9495 / (n as f64).sqrt()
}

fn moments(w: &[f32]) -> (f64, f64) {
    let n = w.len() as f64;
    let mean = w.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = w
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean, var.sqrt())
}

fn check_uniform(name: &str, w: &[f32], lo: f64, hi: f64) {
    let (min, max) = w
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(f64::from(v)), b.max(f64::from(v)))
        });
    let span = hi - lo;
    assert!(
        min >= lo - 1e-7 && max <= hi + 1e-7,
        "{name}: [{min}, {max}] outside [{lo}, {hi}]"
    );
    assert!(
        min < lo + 1e-3 * span && max > hi - 1e-3 * span,
        "{name}: bound not reached"
    );
    let (_, std) = moments(w);
    let want_std = span / 12f64.sqrt();
    assert!(
        (std / want_std - 1.0).abs() < 0.01,
        "{name}: std {std} vs {want_std}"
    );
    let d = ks_statistic(w, |x| ((x - lo) / span).clamp(0.0, 1.0));
    assert!(d < ks_critical(w.len()), "{name}: KS {d}");
}

fn check_normal(name: &str, w: &[f32], mean: f64, std: f64) {
    let (m, s) = moments(w);
    assert!((m - mean).abs() < 0.01 * std, "{name}: mean {m}");
    assert!((s / std - 1.0).abs() < 0.01, "{name}: std {s} vs {std}");
    let d = ks_statistic(w, |x| normal_cdf((x - mean) / std));
    assert!(d < ks_critical(w.len()), "{name}: KS {d}");
}

#[test]
fn kaiming_uniform_bound_is_gain_times_sqrt_3_over_fan() {
    let cases = [
        (
            Init::KAIMING_UNIFORM_DEFAULT,
            (2.0f64 / FAN_IN as f64).sqrt() * 3f64.sqrt(),
        ),
        // nn.Linear's default: a = √5 gives bound 1/√fan_in.
        (Init::linear_default_weight(), 1.0 / (FAN_IN as f64).sqrt()),
        (
            Init::KaimingUniform {
                a: 0.0,
                mode: FanMode::FanOut,
                nonlinearity: Nonlinearity::Tanh,
            },
            5.0 / 3.0 * (3.0 / FAN_OUT as f64).sqrt(),
        ),
    ];
    for (k, (init, bound)) in cases.into_iter().enumerate() {
        check_uniform(&format!("{init:?}"), &draw(&init, k as u64), -bound, bound);
    }
}

#[test]
fn kaiming_normal_std_is_gain_over_sqrt_fan() {
    let relu = Init::KaimingNormal {
        a: 0.0,
        mode: FanMode::FanIn,
        nonlinearity: Nonlinearity::Relu,
    };
    check_normal(
        "kaiming_normal relu fan_in",
        &draw(&relu, 1),
        0.0,
        (2.0 / FAN_IN as f64).sqrt(),
    );
    let leaky_out = Init::KaimingNormal {
        a: 0.2,
        mode: FanMode::FanOut,
        nonlinearity: Nonlinearity::LeakyRelu,
    };
    let gain = (2.0f64 / (1.0 + 0.04)).sqrt();
    check_normal(
        "kaiming_normal leaky fan_out",
        &draw(&leaky_out, 2),
        0.0,
        gain / (FAN_OUT as f64).sqrt(),
    );
}

#[test]
fn xavier_uses_both_fans() {
    let a = 1.5 * (6.0 / (FAN_IN + FAN_OUT) as f64).sqrt();
    check_uniform(
        "xavier_uniform",
        &draw(&Init::XavierUniform { gain: 1.5 }, 3),
        -a,
        a,
    );
    let std = 0.8 * (2.0 / (FAN_IN + FAN_OUT) as f64).sqrt();
    check_normal(
        "xavier_normal",
        &draw(&Init::XavierNormal { gain: 0.8 }, 4),
        0.0,
        std,
    );
}

#[test]
fn uniform_and_normal_take_their_arguments() {
    check_uniform(
        "uniform",
        &draw(&Init::Uniform { a: -0.3, b: 0.9 }, 5),
        -0.3,
        0.9,
    );
    check_normal(
        "normal",
        &draw(
            &Init::Normal {
                mean: 0.5,
                std: 0.02,
            },
            6,
        ),
        0.5,
        0.02,
    );
}

#[test]
fn trunc_normal_cuts_at_absolute_bounds() {
    let cases = [
        (0.0, 1.0, -2.0, 2.0),
        (0.1, 0.02, 0.08, 0.2),
        // A one-sided, far-from-centre window.
        (0.0, 1.0, 1.5, 4.0),
    ];
    for (k, (mean, std, a, b)) in cases.into_iter().enumerate() {
        let init = Init::TruncNormal { mean, std, a, b };
        let w = draw(&init, 10 + k as u64);
        let name = format!("{init:?}");
        assert!(
            w.iter()
                .all(|&v| f64::from(v) >= a - 1e-7 && f64::from(v) <= b + 1e-7),
            "{name}: out of bounds"
        );
        let (lo, hi) = (normal_cdf((a - mean) / std), normal_cdf((b - mean) / std));
        let d = ks_statistic(&w, |x| {
            ((normal_cdf((x - mean) / std) - lo) / (hi - lo)).clamp(0.0, 1.0)
        });
        assert!(d < ks_critical(w.len()), "{name}: KS {d}");
        let (_, s) = moments(&w);
        let want = init.variance(FAN_IN, FAN_OUT).sqrt();
        assert!((s / want - 1.0).abs() < 0.01, "{name}: std {s} vs {want}");
    }
}

#[test]
fn constants_are_exact() {
    assert!(draw(&Init::Zeros, 0).iter().all(|&v| v == 0.0));
    assert!(draw(&Init::Ones, 0).iter().all(|&v| v == 1.0));
    assert!(draw(&Init::Constant { value: -0.25 }, 0)
        .iter()
        .all(|&v| v == -0.25));
}

#[test]
fn linear_default_bias_is_uniform_over_inverse_sqrt_fan_in() {
    let mut b = vec![0.0f32; 200_000];
    init_weight(
        &Init::linear_default_bias(64),
        &mut b,
        64,
        1,
        &mut Rng::seed_from_u64(20),
    );
    check_uniform("default bias", &b, -0.125, 0.125);
    let mut empty_fan = vec![1.0f32; 4];
    init_weight(
        &Init::linear_default_bias(0),
        &mut empty_fan,
        0,
        1,
        &mut Rng::seed_from_u64(20),
    );
    assert_eq!(empty_fan, [0.0; 4]);
}

#[test]
fn the_same_seed_gives_the_same_weights() {
    let init = Init::KAIMING_UNIFORM_DEFAULT;
    assert_eq!(draw(&init, 9), draw(&init, 9));
    assert_ne!(draw(&init, 9), draw(&init, 10));
}

/// W·Wᵀ (rows) or Wᵀ·W (columns) of a row-major [rows, cols] matrix.
fn gram(w: &[f32], rows: usize, cols: usize, over_rows: bool) -> Vec<f64> {
    let (m, inner) = if over_rows {
        (rows, cols)
    } else {
        (cols, rows)
    };
    let at = |i: usize, k: usize| {
        let (r, c) = if over_rows { (i, k) } else { (k, i) };
        f64::from(w[r * cols + c])
    };
    let mut g = vec![0.0; m * m];
    for i in 0..m {
        for j in 0..m {
            g[i * m + j] = (0..inner).map(|k| at(i, k) * at(j, k)).sum();
        }
    }
    g
}

#[test]
fn orthogonal_gives_gain_squared_identity_with_pytorch_signs() {
    let gain = 1.7;
    for (rows, cols) in [(60, 20), (20, 60), (32, 32)] {
        let seed = (rows * 100 + cols) as u64;
        let mut w = vec![0.0f32; rows * cols];
        init_weight(
            &Init::Orthogonal { gain },
            &mut w,
            cols,
            rows,
            &mut Rng::seed_from_u64(seed),
        );
        // Orthonormal along the short side.
        let over_rows = rows <= cols;
        let g = gram(&w, rows, cols, over_rows);
        let m = rows.min(cols);
        for i in 0..m {
            for j in 0..m {
                let want = if i == j { gain * gain } else { 0.0 };
                assert!(
                    (g[i * m + j] - want).abs() < 1e-5,
                    "{rows}x{cols}: gram[{i}][{j}] = {}",
                    g[i * m + j]
                );
            }
        }
        // PyTorch draws the [rows, cols] normal matrix (transposed when
        // wide), and Q's columns are signed so that R = Qᵀ·A has a positive
        // diagonal: upper triangular with positive diagonal here.
        let mut rng = Rng::seed_from_u64(seed);
        let draws: Vec<f64> = (0..rows * cols).map(|_| rng.normal()).collect();
        let (tall_rows, tall_cols) = (rows.max(cols), m);
        let a = |i: usize, j: usize| {
            if rows >= cols {
                draws[i * cols + j]
            } else {
                draws[j * cols + i]
            }
        };
        let q = |i: usize, j: usize| {
            let v = if rows >= cols {
                w[i * cols + j]
            } else {
                w[j * cols + i]
            };
            f64::from(v) / gain
        };
        for i in 0..tall_cols {
            for j in 0..tall_cols {
                let r: f64 = (0..tall_rows).map(|k| q(k, i) * a(k, j)).sum();
                if i > j {
                    assert!(r.abs() < 1e-4, "{rows}x{cols}: R[{i}][{j}] = {r}");
                }
                if i == j {
                    assert!(r > 0.0, "{rows}x{cols}: R[{i}][{i}] = {r}");
                }
            }
        }
    }
}

#[test]
fn ks_check_rejects_a_wrong_distribution() {
    // A uniform sample against the normal of the same variance.
    let w = draw(&Init::Uniform { a: -1.0, b: 1.0 }, 30);
    let std = 1.0 / 3f64.sqrt();
    assert!(ks_statistic(&w, |x| normal_cdf(x / std)) > ks_critical(w.len()));
}
