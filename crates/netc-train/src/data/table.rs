//! Reading a numeric CSV (plain or gzip-compressed) into memory, keeping
//! each row's line number for error messages.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::DataError;

/// Cells that stand for a missing value, besides an empty field.
const MISSING_MARKERS: &[&str] = &["NA", "NaN", "nan"];

/// A numeric CSV: a header and rows of equal length. Missing cells are NaN
/// (every present cell is finite, so NaN is unambiguous).
#[derive(Debug, Clone)]
pub struct Table {
    /// The path as the user gave it, for messages.
    pub path: String,
    pub columns: Vec<String>,
    /// Row-major, `rows() * columns.len()` values.
    cells: Vec<f64>,
    /// The 1-based line each row starts on (the header is line 1).
    lines: Vec<u64>,
}

impl Table {
    /// Reads `path`; a name ending in `.gz` is decompressed on the fly.
    pub fn read(path: &Path) -> Result<Table, DataError> {
        let shown = path.display().to_string();
        let io_error = |e: std::io::Error| DataError::Io {
            path: shown.clone(),
            message: e.to_string(),
        };
        let file = File::open(path).map_err(io_error)?;
        let reader: Box<dyn Read> = if path.extension().is_some_and(|ext| ext == "gz") {
            Box::new(MultiGzDecoder::new(BufReader::new(file)))
        } else {
            Box::new(BufReader::new(file))
        };
        Table::from_reader(&shown, reader)
    }

    /// Parses CSV text from any reader; `path` only names it in errors.
    pub fn from_reader(path: &str, reader: impl Read) -> Result<Table, DataError> {
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            // Ragged rows are checked below so the message can name the line.
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(reader);
        let columns: Vec<String> = csv
            .headers()
            .map_err(|e| csv_error(path, e, &[]))?
            .iter()
            .map(str::to_string)
            .collect();
        if columns.is_empty() || columns.iter().all(String::is_empty) {
            return Err(DataError::Empty {
                path: path.to_string(),
            });
        }
        if let Some(column) = columns
            .iter()
            .enumerate()
            .find_map(|(i, c)| columns[..i].contains(c).then_some(c))
        {
            return Err(DataError::DuplicateColumn {
                path: path.to_string(),
                column: column.clone(),
            });
        }
        let mut cells = Vec::new();
        let mut lines = Vec::new();
        let mut record = csv::StringRecord::new();
        while csv
            .read_record(&mut record)
            .map_err(|e| csv_error(path, e, &columns))?
        {
            let line = record.position().map_or(0, |p| p.line());
            if record.len() != columns.len() {
                return Err(DataError::Ragged {
                    path: path.to_string(),
                    line,
                    expected: columns.len(),
                    found: record.len(),
                });
            }
            for (field, column) in record.iter().zip(&columns) {
                cells.push(parse_cell(field).ok_or_else(|| DataError::NotNumeric {
                    path: path.to_string(),
                    line,
                    column: column.clone(),
                    value: field.to_string(),
                })?);
            }
            lines.push(line);
        }
        if lines.is_empty() {
            return Err(DataError::NoRows {
                path: path.to_string(),
                reason: "after the header",
            });
        }
        Ok(Table {
            path: path.to_string(),
            columns,
            cells,
            lines,
        })
    }

    pub fn rows(&self) -> usize {
        self.lines.len()
    }

    pub fn row(&self, row: usize) -> &[f64] {
        let width = self.columns.len();
        &self.cells[row * width..(row + 1) * width]
    }

    /// The 1-based line of the file a row came from.
    pub fn line(&self, row: usize) -> u64 {
        self.lines[row]
    }

    pub fn column_index(&self, name: &str) -> Result<usize, DataError> {
        self.columns
            .iter()
            .position(|c| c == name)
            .ok_or_else(|| DataError::UnknownColumn {
                path: self.path.clone(),
                column: name.to_string(),
                available: self.columns.clone(),
            })
    }
}

/// The csv crate's error in the words of the other data errors: the line
/// and the column by name (its field index is 0-based), or the reading
/// error alone (a broken gzip stream) without the crate's record details.
fn csv_error(path: &str, error: csv::Error, columns: &[String]) -> DataError {
    match error.kind() {
        csv::ErrorKind::Utf8 { pos, err } => DataError::NotUtf8 {
            path: path.to_string(),
            line: pos.as_ref().map_or(0, csv::Position::line),
            column: columns.get(err.field()).cloned(),
        },
        csv::ErrorKind::Io(io) => DataError::Io {
            path: path.to_string(),
            message: format!("cannot read the file: {io}"),
        },
        _ => DataError::Io {
            path: path.to_string(),
            message: error.to_string(),
        },
    }
}

/// A finite number, NaN for a missing marker, `None` for anything else
/// (including `inf`, which no preprocessing could use).
fn parse_cell(field: &str) -> Option<f64> {
    if field.is_empty() || MISSING_MARKERS.contains(&field) {
        return Some(f64::NAN);
    }
    field.parse::<f64>().ok().filter(|v| v.is_finite())
}
