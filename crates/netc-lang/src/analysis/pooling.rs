//! The pooling rules of the gradient analysis: max pooling (over a value
//! an activation made, or taken as Gaussian) and window averages, from
//! the geometry alone (the layer kinds compute it).

use netc_ops::image::{ImageShape, Pool2dGeometry, PoolKind};
use netc_ops::scalar::ScalarActivation;
use netc_ops::Activation;

use super::moments::{correlated_max_expectation, max_moments, pair_second, MomentCache, Moments};
use super::stats::ValueStats;
use super::windows::{AxisCover, PlaneCover};

/// Max or average pooling of `x` (made by `source`, when an activation
/// made it) over `geometry`'s windows.
pub(super) fn pool(
    x: ValueStats,
    geometry: &Pool2dGeometry,
    source: Option<(ScalarActivation, ValueStats)>,
    cache: &mut MomentCache,
) -> (ValueStats, f64) {
    let input = geometry.input;
    let cover = |divisor: fn(usize, usize) -> usize| PlaneCover {
        rows: AxisCover::sliding(geometry.rows, input.height, divisor),
        cols: AxisCover::sliding(geometry.cols, input.width, divisor),
    };
    match geometry.kind {
        PoolKind::Avg {
            count_include_pad: true,
        } => average(x, source, cover(|_, clipped| clipped)),
        PoolKind::Avg {
            count_include_pad: false,
        } => average(x, source, cover(|count, _| count)),
        PoolKind::Max => {
            let cover = cover(|count, _| count);
            // Mean in-bounds window size (padding is −∞ and never wins).
            let n = cover.mean_count().round().max(1.0) as usize;
            let monotone = source.filter(|(phi, _)| is_nondecreasing(phi.activation()));
            let (stats, gain) = match monotone {
                Some((phi, z)) => max_after_activation(phi, z, n, cache),
                None => (max_of_gaussian(x, n), 1.0),
            };
            // Each window sends its gradient to one of its inputs.
            (stats, cover.output_per_input() * gain)
        }
    }
}

/// Whether max pooling commutes with φ.
fn is_nondecreasing(activation: Activation) -> bool {
    match activation {
        Activation::Relu
        | Activation::Selu
        | Activation::Tanh
        | Activation::Sigmoid
        | Activation::Softplus { .. }
        | Activation::Identity => true,
        Activation::LeakyRelu { negative_slope } => negative_slope >= 0.0,
        Activation::Elu { alpha } => alpha >= 0.0,
        _ => false,
    }
}

/// The correlation of two pixels of one channel of `z`: the part of its
/// second moment every unit keeps across samples (Q − V, for a conv's
/// output its weights times its input's mean plus its bias) is also
/// shared across the pixels of a channel.
fn pixel_correlation(z: ValueStats) -> f64 {
    if z.second > 0.0 {
        ((z.second - z.batch_variance) / z.second).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

/// max pooling over φ(z): φ(max z). The activation's own backward factor
/// E φ'(z)² assumed every input; the input the gradient reaches is the
/// window's max, where φ' is E φ'(M)², so the pool applies the quotient.
fn max_after_activation(
    phi: ScalarActivation,
    z: ValueStats,
    n: usize,
    cache: &mut MomentCache,
) -> (ValueStats, f64) {
    let max = max_moments(phi, z.second, pixel_correlation(z), n);
    let everywhere = cache.get(phi, z.second).derivative_sq;
    let gain = if everywhere > 0.0 {
        max.derivative_sq / everywhere
    } else {
        0.0
    };
    (with_shared(stats_of(max), z, max.second), gain)
}

/// max pooling over a value taken as N(M, Q − M²), its pixels correlated
/// by their shared part.
fn max_of_gaussian(x: ValueStats, n: usize) -> ValueStats {
    let variance = x.variance();
    let shared = (x.second - x.batch_variance - x.mean * x.mean).max(0.0);
    let rho = if variance > 0.0 {
        shared / variance
    } else {
        0.0
    };
    let (m, s) = (x.mean, variance.sqrt());
    let expect = |f: &dyn Fn(f64) -> f64| correlated_max_expectation(n, rho, f);
    let max = Moments {
        mean: expect(&|u| m + s * u),
        second: expect(&|u| (m + s * u).powi(2)),
        derivative_sq: 1.0,
    };
    with_shared(stats_of(max), x, max.second)
}

fn stats_of(m: Moments) -> ValueStats {
    ValueStats {
        second: m.second,
        mean: m.mean,
        batch_variance: m.variance(),
    }
}

/// A pooled value's batch variance: its second moment less the part each
/// unit keeps across samples, at least its input's and at least its own
/// mean squared (a max moves the mean of every unit alike).
fn with_shared(stats: ValueStats, input: ValueStats, second: f64) -> ValueStats {
    let shared = (input.second - input.batch_variance).max(stats.mean * stats.mean);
    ValueStats {
        batch_variance: (second - shared).max(0.0),
        ..stats
    }
}

/// The windows of an adaptive pooling to `(height, width)`.
pub(super) fn adaptive_cover((height, width): (usize, usize), input: ImageShape) -> PlaneCover {
    PlaneCover {
        rows: AxisCover::adaptive(input.height, height),
        cols: AxisCover::adaptive(input.width, width),
    }
}

/// An average over windows: with c in-bounds inputs and divisor d, E y² =
/// (c/d)² (M² + C) + c/d² (Var − C), C the covariance of two pixels of a
/// window (from their correlation through the activation that made them,
/// else their shared part); backward, each input gets 1/d of every window
/// it is in.
pub(super) fn average(
    x: ValueStats,
    source: Option<(ScalarActivation, ValueStats)>,
    cover: PlaneCover,
) -> (ValueStats, f64) {
    let (rows, cols) = (cover.rows, cover.cols);
    let mean_sq = x.mean * x.mean;
    let variance = x.variance();
    let covariance = match source {
        Some((phi, z)) => pair_second(phi, z.second, pixel_correlation(z)) - mean_sq,
        None => x.second - x.batch_variance - mean_sq,
    }
    .clamp(0.0, variance);
    let per_output = |axis: AxisCover| axis.inverse_divisor_sq / axis.outputs.max(1) as f64;
    let ratio_sq = rows.mean_ratio_sq * cols.mean_ratio_sq;
    let second = (mean_sq + covariance) * ratio_sq
        + (variance - covariance) * per_output(rows) * per_output(cols);
    let shared = (x.second - x.batch_variance).max(0.0);
    let stats = ValueStats {
        second,
        mean: x.mean * rows.mean_ratio * cols.mean_ratio,
        batch_variance: (second - shared * ratio_sq).max(0.0),
    };
    let per_input = |axis: AxisCover| axis.inverse_divisor_sq / axis.inputs.max(1) as f64;
    (stats, per_input(rows) * per_input(cols))
}
