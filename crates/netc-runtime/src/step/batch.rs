//! Which inputs a step or a prediction refuses, and why.

use super::Widths;
use crate::network::BatchError;

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
