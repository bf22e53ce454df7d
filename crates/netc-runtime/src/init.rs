//! `torch.nn.init` initialisers over a `[fan_out, fan_in]` weight, drawn
//! from the run's seeded [`Rng`] in row-major order.

use netc_ops::scalar::{normal_cdf, normal_pdf};
use netc_ops::{FanMode, Init};

use crate::rng::Rng;

/// Fills `w` (PyTorch's `[out, in]` layout, `fan_in = in`, `fan_out = out`).
pub fn init_weight(init: &Init, w: &mut [f32], fan_in: usize, fan_out: usize, rng: &mut Rng) {
    match *init {
        Init::KaimingUniform {
            a,
            mode,
            nonlinearity,
        } => {
            let std = nonlinearity.gain(Some(a)) / fan_sqrt(mode, fan_in, fan_out);
            let bound = 3f64.sqrt() * std;
            fill_uniform(w, -bound, bound, rng);
        }
        Init::KaimingNormal {
            a,
            mode,
            nonlinearity,
        } => {
            let std = nonlinearity.gain(Some(a)) / fan_sqrt(mode, fan_in, fan_out);
            fill_normal(w, 0.0, std, rng);
        }
        Init::XavierUniform { gain } => {
            let bound = gain * (6.0 / (fan_in + fan_out) as f64).sqrt();
            fill_uniform(w, -bound, bound, rng);
        }
        Init::XavierNormal { gain } => {
            let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
            fill_normal(w, 0.0, std, rng);
        }
        Init::Orthogonal { gain } => orthogonal(w, fan_out, gain, rng),
        Init::Uniform { a, b } => fill_uniform(w, a, b, rng),
        Init::Normal { mean, std } => fill_normal(w, mean, std, rng),
        Init::TruncNormal { mean, std, a, b } => fill_trunc_normal(w, mean, std, a, b, rng),
        Init::Zeros => w.fill(0.0),
        Init::Ones => w.fill(1.0),
        Init::Constant { value } => w.fill(value as f32),
    }
}

fn fan_sqrt(mode: FanMode, fan_in: usize, fan_out: usize) -> f64 {
    let fan = match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    };
    (fan as f64).sqrt()
}

fn fill_uniform(w: &mut [f32], a: f64, b: f64, rng: &mut Rng) {
    for v in w.iter_mut() {
        *v = rng.uniform(a, b) as f32;
    }
}

fn fill_normal(w: &mut [f32], mean: f64, std: f64, rng: &mut Rng) {
    for v in w.iter_mut() {
        *v = (mean + std * rng.normal()) as f32;
    }
}

/// PyTorch's inverse-CDF method: a uniform draw between Φ(α) and Φ(β),
/// mapped back through Φ⁻¹ and clamped to [a, b] against rounding.
fn fill_trunc_normal(w: &mut [f32], mean: f64, std: f64, a: f64, b: f64, rng: &mut Rng) {
    let lo = normal_cdf((a - mean) / std);
    let hi = normal_cdf((b - mean) / std);
    for v in w.iter_mut() {
        let p = rng.uniform(lo, hi);
        let x = mean + std * probit(p);
        *v = x.clamp(a, b) as f32;
    }
}

/// Φ⁻¹(p): Abramowitz–Stegun 26.2.23 as the start (|error| < 4.5e-4),
/// then Halley steps on the accurate Φ.
fn probit(p: f64) -> f64 {
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p.min(1.0 - p);
    let t = (-2.0 * q.ln()).sqrt();
    let tail = t
        - (2.515_517 + 0.802_853 * t + 0.010_328 * t * t)
            / (1.0 + 1.432_788 * t + 0.189_269 * t * t + 0.001_308 * t * t * t);
    let mut z = if p < 0.5 { -tail } else { tail };
    for _ in 0..3 {
        let density = normal_pdf(z);
        if density == 0.0 {
            break;
        }
        let u = (normal_cdf(z) - p) / density;
        z -= u / (1.0 + 0.5 * z * u);
    }
    z
}

/// `orthogonal_`: QR of a `[rows, cols]` N(0, 1) matrix (transposed first
/// when wide), columns of Q signed by diag(R), times `gain`.
fn orthogonal(w: &mut [f32], rows: usize, gain: f64, rng: &mut Rng) {
    if rows == 0 || w.is_empty() {
        return;
    }
    let cols = w.len() / rows;
    debug_assert_eq!(rows * cols, w.len());
    let draws: Vec<f64> = (0..rows * cols).map(|_| rng.normal()).collect();
    let wide = rows < cols;
    // Column-major m×n with m ≥ n: for a tall matrix that is the row-major
    // draw transposed into columns; for a wide one, the draw's rows.
    let (m, n) = if wide { (cols, rows) } else { (rows, cols) };
    let mut a = vec![0f64; m * n];
    for r in 0..rows {
        for c in 0..cols {
            let (i, j) = if wide { (c, r) } else { (r, c) };
            a[j * m + i] = draws[r * cols + c];
        }
    }
    let q = householder_q(&mut a, m, n);
    for r in 0..rows {
        for c in 0..cols {
            let (i, j) = if wide { (c, r) } else { (r, c) };
            w[r * cols + c] = (gain * q[j * m + i]) as f32;
        }
    }
}

/// The m×n (m ≥ n, column-major) Q of A = QR with diag(R) ≥ 0, which is
/// unique for a full-rank A and so equals LAPACK's Q after PyTorch's sign
/// fix. `a` is overwritten.
fn householder_q(a: &mut [f64], m: usize, n: usize) -> Vec<f64> {
    let mut reflectors: Vec<Vec<f64>> = Vec::with_capacity(n);
    let mut signs = vec![1f64; n];
    for k in 0..n {
        let x = &a[k * m + k..(k + 1) * m];
        let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        let alpha = if x[0] >= 0.0 { -norm } else { norm };
        let mut v = x.to_vec();
        v[0] -= alpha;
        let vnorm = v.iter().map(|e| e * e).sum::<f64>().sqrt();
        if vnorm > 0.0 {
            v.iter_mut().for_each(|e| *e /= vnorm);
            for j in k..n {
                reflect(&v, &mut a[j * m + k..(j + 1) * m]);
            }
        }
        // R[k][k] = alpha; v vanishes only for a zero column (R[k][k] = 0).
        signs[k] = if alpha < 0.0 { -1.0 } else { 1.0 };
        reflectors.push(v);
    }
    let mut q = vec![0f64; m * n];
    for j in 0..n {
        q[j * m + j] = 1.0;
    }
    for (k, v) in reflectors.iter().enumerate().rev() {
        if v.iter().all(|&e| e == 0.0) {
            continue;
        }
        for j in 0..n {
            reflect(v, &mut q[j * m + k..(j + 1) * m]);
        }
    }
    for (j, s) in signs.iter().enumerate() {
        q[j * m..(j + 1) * m].iter_mut().for_each(|e| *e *= s);
    }
    q
}

/// col ← (I − 2vvᵀ)·col for a unit v.
fn reflect(v: &[f64], col: &mut [f64]) {
    let s = 2.0 * v.iter().zip(col.iter()).map(|(a, b)| a * b).sum::<f64>();
    for (c, &e) in col.iter_mut().zip(v) {
        *c -= s * e;
    }
}
