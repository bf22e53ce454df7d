//! Which inputs a step or a prediction refuses, and why.

use std::fmt;

use super::Widths;

/// An input the [`Network`](crate::Network) contract refuses; nothing
/// changes when a step or a prediction returns one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// `x` is not whole rows of the input width.
    Ragged { values: usize, width: usize },
    /// `y` does not hold `target_width` values for every row of `x`.
    Targets {
        rows: usize,
        width: usize,
        values: usize,
    },
    /// `out` does not hold `output_width` values for every row of `x`.
    Outputs {
        rows: usize,
        width: usize,
        values: usize,
    },
    /// A train step of no rows: the mean loss is undefined.
    Empty,
    /// More rows than one step's buffers hold (the train block's batch).
    TooLarge { rows: usize, max: usize },
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BatchError::Ragged { values, width } => write!(
                f,
                "the input has {values} values, which is not whole rows of {width} features"
            ),
            BatchError::Targets {
                rows,
                width,
                values,
            } => write!(
                f,
                "{rows} rows need {} target values ({width} per row), found {values}",
                rows * width
            ),
            BatchError::Outputs {
                rows,
                width,
                values,
            } => write!(
                f,
                "{rows} rows need an output of {} values ({width} per row), found {values}",
                rows * width
            ),
            BatchError::Empty => write!(f, "a train step needs at least one row"),
            BatchError::TooLarge { rows, max } => write!(
                f,
                "a train step of {rows} rows exceeds the model's batch of {max} rows"
            ),
        }
    }
}

impl std::error::Error for BatchError {}

fn rows(widths: Widths, x: &[f32]) -> Result<usize, BatchError> {
    let width = widths.input;
    if width == 0 || !x.len().is_multiple_of(width) {
        return Err(BatchError::Ragged {
            values: x.len(),
            width,
        });
    }
    Ok(x.len() / width)
}

/// The rows of a train step, or why it is refused.
pub(super) fn train_rows(
    widths: Widths,
    max: usize,
    x: &[f32],
    y: &[f32],
) -> Result<usize, BatchError> {
    let rows = rows(widths, x)?;
    if y.len() != rows * widths.target {
        return Err(BatchError::Targets {
            rows,
            width: widths.target,
            values: y.len(),
        });
    }
    if rows == 0 {
        return Err(BatchError::Empty);
    }
    if rows > max {
        return Err(BatchError::TooLarge { rows, max });
    }
    Ok(rows)
}

/// The rows of a prediction (any number, zero included), or why it is
/// refused.
pub(super) fn predict_rows(widths: Widths, x: &[f32], out: &[f32]) -> Result<usize, BatchError> {
    let rows = rows(widths, x)?;
    if out.len() != rows * widths.output {
        return Err(BatchError::Outputs {
            rows,
            width: widths.output,
            values: out.len(),
        });
    }
    Ok(rows)
}
