//! Reading a model file named on the command line. A file that cannot be
//! read is a usage error (exit 2) reported in one line naming the path;
//! bytes that are not UTF-8 are not an error here: `check_bytes` reports
//! them as a diagnostic at the offending byte.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// A model file that could not be read, and why.
#[derive(Debug)]
pub struct ReadError {
    path: PathBuf,
    cause: io::Error,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path.display(), self.cause)
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.cause)
    }
}

/// The bytes of a model file.
pub fn read_model(path: &Path) -> Result<Vec<u8>, ReadError> {
    std::fs::read(path).map_err(|cause| ReadError {
        path: path.to_path_buf(),
        cause,
    })
}
