//! Everything that can be wrong with a data file, each naming the file and,
//! where one applies, the CSV line (1-based, the header is line 1) and the
//! column, so a user can go straight to the cell.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum DataError {
    /// The file cannot be opened or read (also a broken gzip stream).
    Io { path: String, message: String },
    /// No header row at all.
    Empty { path: String },
    /// A header but no data rows (also: every row dropped as incomplete).
    NoRows { path: String, reason: &'static str },
    /// A cell that is neither a number nor a missing-value marker.
    NotNumeric {
        path: String,
        line: u64,
        column: String,
        value: String,
    },
    /// Bytes that are not UTF-8 text; `column` is `None` in the header.
    NotUtf8 {
        path: String,
        line: u64,
        column: Option<String>,
    },
    /// A header naming one column twice, so a name could mean either.
    DuplicateColumn { path: String, column: String },
    /// A row with more or fewer fields than the header.
    Ragged {
        path: String,
        line: u64,
        expected: usize,
        found: usize,
    },
    /// A missing cell under `--missing error`, or a missing target.
    Missing {
        path: String,
        line: u64,
        column: String,
        why: &'static str,
    },
    UnknownColumn {
        path: String,
        column: String,
        available: Vec<String>,
    },
    /// A target value that the loss cannot read as a label.
    BadLabel {
        path: String,
        line: u64,
        column: String,
        value: f64,
        expected: String,
    },
    /// The data has a different number of features than the model's input.
    FeatureCount {
        path: String,
        expected: usize,
        found: usize,
    },
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataError::Io { path, message } => write!(f, "{path}: {message}"),
            DataError::Empty { path } => write!(f, "{path}: the file is empty (no header row)"),
            DataError::NoRows { path, reason } => write!(f, "{path}: no data rows {reason}"),
            DataError::NotNumeric {
                path,
                line,
                column,
                value,
            } => write!(
                f,
                "{path}:{line}: column `{column}`: `{value}` is not a number"
            ),
            DataError::NotUtf8 { path, line, column } => {
                let place = column
                    .as_ref()
                    .map_or_else(String::new, |c| format!(" column `{c}`:"));
                write!(
                    f,
                    "{path}:{line}:{place} not UTF-8 text (save the file as UTF-8)"
                )
            }
            DataError::DuplicateColumn { path, column } => {
                write!(f, "{path}:1: the header names column `{column}` twice")
            }
            DataError::Ragged {
                path,
                line,
                expected,
                found,
            } => write!(
                f,
                "{path}:{line}: the row has {found} fields, but the header has {expected}"
            ),
            DataError::Missing {
                path,
                line,
                column,
                why,
            } => write!(f, "{path}:{line}: column `{column}`: missing value ({why})"),
            DataError::UnknownColumn {
                path,
                column,
                available,
            } => write!(
                f,
                "{path}: no column `{column}` (the header has: {})",
                available.join(", ")
            ),
            DataError::BadLabel {
                path,
                line,
                column,
                value,
                expected,
            } => write!(
                f,
                "{path}:{line}: column `{column}`: label {value} is not {expected}"
            ),
            DataError::FeatureCount {
                path,
                expected,
                found,
            } => write!(
                f,
                "{path}: {found} feature columns, but the model's input takes {expected}"
            ),
        }
    }
}

impl std::error::Error for DataError {}
