//! How `train` and `predict` end when they cannot go on: one line on
//! stderr and the exit code docs/cli.md fixes (1 bad input or failed training,
//! 2 usage).

use std::fmt::Display;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug)]
pub enum Failure {
    /// Bad flags or a file that does not exist: exit 2.
    Usage(String),
    /// Bad model, bad data, failed training, an unwritable output: exit 1.
    Input(String),
    /// The model's diagnostics are already printed: exit 1.
    Reported,
}

impl Failure {
    pub fn usage(message: impl Display) -> Self {
        Failure::Usage(message.to_string())
    }

    pub fn input(message: impl Display) -> Self {
        Failure::Input(message.to_string())
    }

    /// Prints the message and gives the exit code.
    pub fn exit(self) -> ExitCode {
        match self {
            Failure::Usage(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
            Failure::Input(message) => {
                eprintln!("error: {message}");
                ExitCode::from(1)
            }
            Failure::Reported => ExitCode::from(1),
        }
    }
}

/// `Ok` → exit 0, `Err` → its message and code.
pub fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}

/// A file the command reads: a missing one, or a directory in its place,
/// is a usage error.
pub fn require_file(path: &Path, what: &str) -> Result<(), Failure> {
    let why = if path.is_file() {
        return Ok(());
    } else if path.is_dir() {
        "is a directory, not a file"
    } else {
        "does not exist"
    };
    Err(Failure::usage(format!("{what} `{}` {why}", path.display())))
}
