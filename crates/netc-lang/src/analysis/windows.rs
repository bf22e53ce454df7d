//! How the windows of a convolution or pooling cover one image axis, as
//! the mean-field recursion needs it: positions are treated alike, so a
//! window's count of in-bounds inputs and its divisor enter only through
//! averages over the axis. Zero padding thus lowers a convolution's fan by
//! the fraction of taps that fall on padding, averaged over the image
//! (exact on average, not per position).

use netc_ops::image::{AdaptivePool2dGeometry, Window};

/// Averages over the outputs of one axis. Each output reads `c` in-bounds
/// inputs and, for an average, divides by `d`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AxisCover {
    /// Outputs along the axis.
    pub outputs: usize,
    /// Inputs along the axis.
    pub inputs: usize,
    /// Σ c: (output, in-bounds input) pairs.
    pub pairs: f64,
    /// mean c/d: the weight an average gives a constant input.
    pub mean_ratio: f64,
    /// mean (c/d)².
    pub mean_ratio_sq: f64,
    /// Σ c/d²: what an average's backward sends to all inputs together.
    pub inverse_divisor_sq: f64,
}

impl AxisCover {
    /// From the `(c, d)` of each output.
    fn from_windows(inputs: usize, windows: impl Iterator<Item = (usize, usize)>) -> Self {
        let mut cover = AxisCover {
            outputs: 0,
            inputs,
            pairs: 0.0,
            mean_ratio: 0.0,
            mean_ratio_sq: 0.0,
            inverse_divisor_sq: 0.0,
        };
        for (count, divisor) in windows {
            let (c, d) = (count as f64, divisor.max(1) as f64);
            cover.outputs += 1;
            cover.pairs += c;
            cover.mean_ratio += c / d;
            cover.mean_ratio_sq += (c / d).powi(2);
            cover.inverse_divisor_sq += c / (d * d);
        }
        let n = cover.outputs.max(1) as f64;
        cover.mean_ratio /= n;
        cover.mean_ratio_sq /= n;
        cover
    }

    /// A sliding window (convolution, pooling) over `inputs` positions;
    /// `divisor` gives an output's divisor from its in-bounds count and its
    /// window clipped to the padded input.
    pub fn sliding(window: Window, inputs: usize, divisor: impl Fn(usize, usize) -> usize) -> Self {
        let outputs = window.output_len(inputs).unwrap_or(0);
        let before = window.pad.before as isize;
        let windows = (0..outputs).map(|o| {
            let start = (o * window.stride) as isize - before;
            let count = (0..window.kernel)
                .map(|t| start + (t * window.dilation) as isize)
                .filter(|&i| i >= 0 && i < inputs as isize)
                .count();
            // PyTorch's avg_pool2d clips the window to the padded input
            // before counting it.
            let padded_end = (inputs + window.pad.after) as isize;
            let clipped = (start + window.kernel as isize).min(padded_end) - start;
            (count, divisor(count, clipped.max(0) as usize))
        });
        Self::from_windows(inputs, windows)
    }

    /// `adaptive_avg_pool2d` along an axis: output `i` averages its range.
    pub fn adaptive(inputs: usize, outputs: usize) -> Self {
        let windows = (0..outputs).map(|i| {
            let (start, end) = AdaptivePool2dGeometry::range(i, outputs, inputs);
            (end - start, end - start)
        });
        Self::from_windows(inputs, windows)
    }

    /// Mean in-bounds inputs per output.
    pub fn mean_count(&self) -> f64 {
        self.pairs / self.outputs.max(1) as f64
    }

    /// (output, in-bounds input) pairs per input: how many outputs each
    /// input feeds, on average.
    pub fn pairs_per_input(&self) -> f64 {
        self.pairs / self.inputs.max(1) as f64
    }
}

/// The two axes of an image layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaneCover {
    pub rows: AxisCover,
    pub cols: AxisCover,
}

impl PlaneCover {
    /// Mean in-bounds inputs per output pixel.
    pub fn mean_count(&self) -> f64 {
        self.rows.mean_count() * self.cols.mean_count()
    }

    /// Outputs each input pixel feeds, on average.
    pub fn pairs_per_input(&self) -> f64 {
        self.rows.pairs_per_input() * self.cols.pairs_per_input()
    }

    /// (output pixel, in-bounds input pixel) pairs of one channel.
    pub fn pairs(&self) -> f64 {
        self.rows.pairs * self.cols.pairs
    }

    /// Output pixels per input pixel.
    pub fn output_per_input(&self) -> f64 {
        let outputs = (self.rows.outputs * self.cols.outputs) as f64;
        outputs / (self.rows.inputs * self.cols.inputs).max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netc_ops::image::Pad;

    fn window(kernel: usize, stride: usize, pad: usize) -> Window {
        Window {
            kernel,
            stride,
            pad: Pad::symmetric(pad),
            dilation: 1,
        }
    }

    #[test]
    fn same_padding_loses_the_border_taps() {
        // 3 taps over 4 positions with padding 1: 2 + 3 + 3 + 2 = 10.
        let cover = AxisCover::sliding(window(3, 1, 1), 4, |c, _| c);
        assert_eq!(cover.outputs, 4);
        assert_eq!(cover.pairs, 10.0);
        assert_eq!(cover.mean_count(), 2.5);
    }

    #[test]
    fn avg_pool_divisor_counts_padding_inside_the_padded_input() {
        // kernel 3, stride 2, pad 1 over 5: windows [-1,2), [1,4), [3,6).
        let cover = AxisCover::sliding(window(3, 2, 1), 5, |_, clipped| clipped);
        assert_eq!(cover.outputs, 3);
        assert_eq!(cover.pairs, 2.0 + 3.0 + 2.0);
        assert!((cover.mean_ratio - (2.0 / 3.0 + 1.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn adaptive_ranges_overlap() {
        // 5 → 3: sizes 2, 3, 2.
        let cover = AxisCover::adaptive(5, 3);
        assert_eq!(cover.pairs, 7.0);
        assert!((cover.inverse_divisor_sq - (0.5 + 1.0 / 3.0 + 0.5)).abs() < 1e-12);
    }
}
