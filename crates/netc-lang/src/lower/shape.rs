//! The shape rules of the layer kinds: the shape each gives for a value
//! of a given shape, with the arithmetic that produced it, or why it
//! cannot take that value. Pure: `forward.rs` turns a [`Refusal`] into a
//! diagnostic (`shape_errors.rs`).
//!
//! Every size is checked: no value holds more than `MAX_WIDTH` floats per
//! sample, so `Shape::numel` never overflows downstream.

use netc_ops::image::{ImageShape, Window};

use super::args::MAX_WIDTH;
use crate::shape::Shape;

/// What a layer gives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Output {
    pub shape: Shape,
    pub derivation: Derivation,
}

impl Output {
    /// The input's shape, unchanged.
    pub(crate) fn kept(input: Shape) -> Self {
        Output {
            shape: input,
            derivation: Derivation::Kept,
        }
    }

    /// A flat value of the declaration's width.
    pub(crate) fn declared(width: usize) -> Self {
        Output {
            shape: Shape::Flat(width),
            derivation: Derivation::Declared,
        }
    }
}

/// Where an output's shape comes from, for the labels of later messages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Derivation {
    /// The input's shape, unchanged (dropout, batchnorm2d, flatten of a
    /// flat value).
    Kept,
    /// The declaration's output size (linear, batchnorm, layernorm).
    Declared,
    /// Computed from the input's shape: the arithmetic, where there is
    /// any to show (`28 − 5 + 1 = 24`, `16·5·5 = 400`).
    Computed(Option<String>),
}

/// Why a layer cannot take a value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    /// A flat layer (linear, batchnorm, layernorm) given an image.
    NeedsFlat,
    /// An image layer given a flat value.
    NeedsImage,
    /// A flat value of another width than declared.
    Width { expected: usize },
    /// An image of other channels than declared.
    Channels { expected: usize },
    /// The `(height, width)` kernel does not fit along these axes.
    WindowTooLarge {
        kernel: (usize, usize),
        misfits: Vec<Misfit>,
    },
    /// The output would hold more than `MAX_WIDTH` floats per sample
    /// (`None`: more than `usize` counts).
    TooLarge {
        shape: (usize, usize, usize),
        numel: Option<usize>,
    },
}

/// One axis a window does not fit.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Misfit {
    /// `height` or `width`.
    pub axis: &'static str,
    pub input: usize,
    pub window: Window,
}

impl Misfit {
    /// What the output would lack along the axis.
    pub(crate) fn lines(&self) -> &'static str {
        if self.axis == "height" {
            "rows"
        } else {
            "columns"
        }
    }

    /// The padded input: `12`, `1 + 2·1 = 3`.
    pub(crate) fn padded(&self) -> String {
        match self.window.pad.total() {
            0 => self.input.to_string(),
            pad => format!(
                "{} = {}",
                padded_text(self.input, self.window),
                self.input + pad
            ),
        }
    }

    /// The window's extent: `13`, `2·(3 − 1) + 1 = 5`.
    pub(crate) fn extent(&self) -> String {
        match self.window.dilation {
            1 => self.window.kernel.to_string(),
            d => format!(
                "{d}·({} − 1) + 1 = {}",
                self.window.kernel,
                self.window.extent()
            ),
        }
    }
}

/// A flat value of `expected` features.
pub(crate) fn flat(input: Shape, expected: usize) -> Result<(), Refusal> {
    match input {
        Shape::Flat(width) if width == expected => Ok(()),
        Shape::Flat(_) => Err(Refusal::Width { expected }),
        Shape::Image(_) => Err(Refusal::NeedsFlat),
    }
}

/// An image of `expected` channels.
pub(crate) fn channels(input: Shape, expected: usize) -> Result<ImageShape, Refusal> {
    let image = input.image().ok_or(Refusal::NeedsImage)?;
    if image.channels == expected {
        Ok(image)
    } else {
        Err(Refusal::Channels { expected })
    }
}

/// An image of `channels` whose rows and columns are the windows' outputs
/// over `input`.
pub(crate) fn windows(
    input: ImageShape,
    channels: usize,
    rows: Window,
    cols: Window,
) -> Result<Output, Refusal> {
    let axes = [("height", input.height, rows), ("width", input.width, cols)];
    let misfits: Vec<Misfit> = axes
        .iter()
        .filter(|(_, size, window)| window.output_len(*size).is_none())
        .map(|&(axis, size, window)| Misfit {
            axis,
            input: size,
            window,
        })
        .collect();
    let (Some(height), Some(width)) = (rows.output_len(input.height), cols.output_len(input.width))
    else {
        return Err(Refusal::WindowTooLarge {
            kernel: (rows.kernel, cols.kernel),
            misfits,
        });
    };
    let arithmetic = if (input.height, rows) == (input.width, cols) {
        window_arithmetic(input.height, rows, height)
    } else {
        format!(
            "height {}, width {}",
            window_arithmetic(input.height, rows, height),
            window_arithmetic(input.width, cols, width)
        )
    };
    Ok(Output {
        shape: Shape::Image(sized(channels, height, width)?),
        derivation: Derivation::Computed(Some(arithmetic)),
    })
}

/// The image `(channels, height, width)` if it holds at most `MAX_WIDTH`
/// floats.
pub(crate) fn sized(channels: usize, height: usize, width: usize) -> Result<ImageShape, Refusal> {
    let numel = channels
        .checked_mul(height)
        .and_then(|n| n.checked_mul(width));
    match numel {
        Some(n) if n <= MAX_WIDTH => Ok(ImageShape {
            channels,
            height,
            width,
        }),
        _ => Err(Refusal::TooLarge {
            shape: (channels, height, width),
            numel,
        }),
    }
}

/// PyTorch's output length as arithmetic: `28 − 5 + 1 = 24`,
/// `⌊(24 − 2) / 2⌋ + 1 = 12`, `28 + 2·2 − 5 + 1 = 28`.
fn window_arithmetic(input: usize, window: Window, output: usize) -> String {
    let numerator = format!("{} − {}", padded_text(input, window), extent_text(window));
    if window.stride == 1 {
        format!("{numerator} + 1 = {output}")
    } else {
        format!("⌊({numerator}) / {}⌋ + 1 = {output}", window.stride)
    }
}

/// `28`, `28 + 2·2` (symmetric padding), `28 + 1 + 2` (`same`'s
/// asymmetric padding).
fn padded_text(input: usize, window: Window) -> String {
    let pad = window.pad;
    match (pad.before, pad.after) {
        (0, 0) => input.to_string(),
        (before, after) if before == after => format!("{input} + 2·{before}"),
        (before, after) => format!("{input} + {before} + {after}"),
    }
}

/// The window's extent: `5`, or `(2·(3 − 1) + 1)` when dilated.
fn extent_text(window: Window) -> String {
    if window.dilation == 1 {
        window.kernel.to_string()
    } else {
        format!("({}·({} − 1) + 1)", window.dilation, window.kernel)
    }
}

#[cfg(test)]
mod tests {
    use netc_ops::image::{ImageShape, Pad, Window};

    use super::{window_arithmetic, Misfit};

    fn window(kernel: usize, stride: usize, pad: Pad, dilation: usize) -> Window {
        Window {
            kernel,
            stride,
            pad,
            dilation,
        }
    }

    #[test]
    fn arithmetic_reads_as_pytorch_formula() {
        let plain = window(5, 1, Pad::symmetric(0), 1);
        assert_eq!(window_arithmetic(28, plain, 24), "28 − 5 + 1 = 24");
        let pool = window(2, 2, Pad::symmetric(0), 1);
        assert_eq!(window_arithmetic(24, pool, 12), "⌊(24 − 2) / 2⌋ + 1 = 12");
        let padded = window(5, 1, Pad::symmetric(2), 1);
        assert_eq!(window_arithmetic(28, padded, 28), "28 + 2·2 − 5 + 1 = 28");
        let same = window(4, 1, Pad::same(4, 1), 1);
        assert_eq!(window_arithmetic(9, same, 9), "9 + 1 + 2 − 4 + 1 = 9");
        let dilated = window(3, 2, Pad::symmetric(1), 2);
        assert_eq!(
            window_arithmetic(10, dilated, 4),
            "⌊(10 + 2·1 − (2·(3 − 1) + 1)) / 2⌋ + 1 = 4"
        );
    }

    #[test]
    fn a_misfit_shows_the_padded_input_and_the_extent() {
        let misfit = |input, pad, dilation| Misfit {
            axis: "height",
            input,
            window: window(
                if dilation == 1 { 5 } else { 3 },
                1,
                Pad::symmetric(pad),
                dilation,
            ),
        };
        assert_eq!(
            (misfit(3, 0, 1).padded(), misfit(3, 0, 1).extent()),
            ("3".into(), "5".into())
        );
        assert_eq!(misfit(1, 1, 1).padded(), "1 + 2·1 = 3");
        assert_eq!(misfit(4, 0, 2).extent(), "2·(3 − 1) + 1 = 5");
    }

    #[test]
    fn sizes_beyond_the_width_limit_are_refused_without_overflow() {
        assert!(super::sized(1 << 24, 1 << 24, 1 << 24).is_err());
        assert!(super::sized(1 << 20, 1 << 3, 1 << 2).is_err());
        assert_eq!(
            super::sized(16, 5, 5),
            Ok(ImageShape {
                channels: 16,
                height: 5,
                width: 5
            })
        );
    }
}
