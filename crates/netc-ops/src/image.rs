//! The geometry of PyTorch's 2-d image layers (`nn.Conv2d`,
//! `nn.MaxPool2d`, `nn.AvgPool2d`, `nn.AdaptiveAvgPool2d`): output sizes
//! and where each window sits. The checker reports these numbers and the
//! runtime loops over them, so both read them from here.
//!
//! An image value is stored per sample as PyTorch's contiguous NCHW
//! without the N: `channels × height × width` floats, row-major. A batch
//! is `batch` such samples back to back, so an image value is also a flat
//! `[batch, C·H·W]` buffer and elementwise ops need no change.

/// One sample's shape: channels, height, width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageShape {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
}

impl ImageShape {
    /// Pixels of one channel (`H·W`).
    pub const fn plane(self) -> usize {
        self.height * self.width
    }

    /// Floats per sample (`C·H·W`).
    pub const fn numel(self) -> usize {
        self.channels * self.plane()
    }
}

/// Zero (or −∞, for max pooling) padding before and after one axis.
/// PyTorch pads `padding="same"` asymmetrically when the total is odd:
/// the extra row or column goes after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pad {
    pub before: usize,
    pub after: usize,
}

impl Pad {
    pub const fn symmetric(pad: usize) -> Pad {
        Pad {
            before: pad,
            after: pad,
        }
    }

    /// `padding="same"` for a kernel of `kernel` taps `dilation` apart.
    pub const fn same(kernel: usize, dilation: usize) -> Pad {
        let total = dilation * (kernel - 1);
        Pad {
            before: total / 2,
            after: total - total / 2,
        }
    }

    pub const fn total(self) -> usize {
        self.before + self.after
    }
}

/// A sliding window along one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub kernel: usize,
    pub stride: usize,
    pub pad: Pad,
    pub dilation: usize,
}

impl Window {
    /// The window's reach: `dilation·(kernel − 1) + 1` input positions.
    pub const fn extent(self) -> usize {
        self.dilation * (self.kernel - 1) + 1
    }

    /// PyTorch's output length `⌊(in + pad − extent) / stride⌋ + 1`;
    /// `None` when the window does not fit the padded input once.
    pub const fn output_len(self, input: usize) -> Option<usize> {
        let padded = input + self.pad.total();
        if self.stride == 0 || self.kernel == 0 || padded < self.extent() {
            None
        } else {
            Some((padded - self.extent()) / self.stride + 1)
        }
    }
}

/// A convolution applied to one input shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Conv2dGeometry {
    pub input: ImageShape,
    pub out_channels: usize,
    pub groups: usize,
    pub rows: Window,
    pub cols: Window,
}

impl Conv2dGeometry {
    /// The output shape; `None` when a window does not fit.
    pub const fn output(self) -> Option<ImageShape> {
        match (
            self.rows.output_len(self.input.height),
            self.cols.output_len(self.input.width),
        ) {
            (Some(height), Some(width)) => Some(ImageShape {
                channels: self.out_channels,
                height,
                width,
            }),
            _ => None,
        }
    }

    /// PyTorch's `fan_in` for init: `in_channels / groups · kh · kw`,
    /// also the length of one im2col column of a group.
    pub const fn fan_in(self) -> usize {
        self.input.channels / self.groups * self.rows.kernel * self.cols.kernel
    }
}

/// Which reduction a pooling window applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PoolKind {
    /// `nn.MaxPool2d`: padding counts as −∞; the gradient goes to the
    /// first maximum in window order, as PyTorch's CPU kernel picks it.
    Max,
    /// `nn.AvgPool2d`: with `count_include_pad` (PyTorch's default) the
    /// divisor counts the padding inside the padded input.
    Avg { count_include_pad: bool },
}

impl PoolKind {
    pub const fn layer_name(self) -> &'static str {
        match self {
            PoolKind::Max => "max_pool2d",
            PoolKind::Avg { .. } => "avg_pool2d",
        }
    }
}

/// A pooling layer applied to one input shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pool2dGeometry {
    pub input: ImageShape,
    pub kind: PoolKind,
    pub rows: Window,
    pub cols: Window,
}

impl Pool2dGeometry {
    /// The output shape (channels unchanged); `None` when a window does
    /// not fit.
    pub const fn output(self) -> Option<ImageShape> {
        match (
            self.rows.output_len(self.input.height),
            self.cols.output_len(self.input.width),
        ) {
            (Some(height), Some(width)) => Some(ImageShape {
                channels: self.input.channels,
                height,
                width,
            }),
            _ => None,
        }
    }
}

/// `nn.AdaptiveAvgPool2d`: output cell `i` of `out` averages the input
/// range `[⌊i·in/out⌋, ⌈(i+1)·in/out⌉)` along each axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AdaptivePool2dGeometry {
    pub input: ImageShape,
    pub output_height: usize,
    pub output_width: usize,
}

impl AdaptivePool2dGeometry {
    pub const fn output(self) -> ImageShape {
        ImageShape {
            channels: self.input.channels,
            height: self.output_height,
            width: self.output_width,
        }
    }

    /// The input range `[start, end)` that output cell `index` of `out`
    /// covers along an axis of `input` positions.
    pub const fn range(index: usize, out: usize, input: usize) -> (usize, usize) {
        let start = index * input / out;
        let end = ((index + 1) * input).div_ceil(out);
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(kernel: usize, stride: usize, pad: usize, dilation: usize) -> Window {
        Window {
            kernel,
            stride,
            pad: Pad::symmetric(pad),
            dilation,
        }
    }

    #[test]
    fn output_lengths_follow_pytorch() {
        // LeNet: 28 − 5 + 1 = 24; pool 24 / 2 = 12.
        assert_eq!(window(5, 1, 0, 1).output_len(28), Some(24));
        assert_eq!(window(2, 2, 0, 1).output_len(24), Some(12));
        // Odd sizes floor: ⌊(7 − 2) / 2⌋ + 1 = 3.
        assert_eq!(window(2, 2, 0, 1).output_len(7), Some(3));
        // Padding and dilation: 5 + 2 − (2·2 + 1) = 2, / 1 + 1 = 3.
        assert_eq!(window(3, 1, 1, 2).output_len(5), Some(3));
        // Too large for the padded input.
        assert_eq!(window(5, 1, 0, 1).output_len(4), None);
        assert_eq!(window(3, 1, 1, 1).output_len(1), Some(1));
    }

    #[test]
    fn same_padding_puts_the_odd_row_after() {
        assert_eq!(Pad::same(3, 1), Pad::symmetric(1));
        assert_eq!(
            Pad::same(4, 1),
            Pad {
                before: 1,
                after: 2
            }
        );
        let same = Window {
            kernel: 4,
            stride: 1,
            pad: Pad::same(4, 1),
            dilation: 1,
        };
        assert_eq!(same.output_len(9), Some(9));
    }

    #[test]
    fn adaptive_ranges_cover_the_input() {
        // 5 → 3: [0, 2), [1, 4), [3, 5), as PyTorch.
        let ranges: Vec<_> = (0..3)
            .map(|i| AdaptivePool2dGeometry::range(i, 3, 5))
            .collect();
        assert_eq!(ranges, [(0, 2), (1, 4), (3, 5)]);
        assert_eq!(AdaptivePool2dGeometry::range(0, 1, 7), (0, 7));
    }
}
