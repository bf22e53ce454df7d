//! `netc check FILE... [--format text|json] [--deny warnings]`: parse and
//! check model files and report every diagnostic (CLI.md).
//!
//! Exit status: 0 clean (warnings allowed), 1 any error (or any warning
//! under `--deny warnings`), 2 a file could not be read. Unreadable files
//! do not stop the others from being checked.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use netc_lang::render::{self, FileDiagnostics};
use netc_lang::{Diagnostic, Severity};

use crate::source::read_model;
use crate::term;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Model files to check.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// `text`: rustc-style diagnostics on stderr. `json`: one JSON array of
    /// diagnostics over all files on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// `--deny warnings` turns every warning into an error.
    #[arg(long, value_enum, value_name = "LINTS")]
    deny: Vec<Deny>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Deny {
    Warnings,
}

/// One file's diagnostics with the text they point into.
struct Checked {
    path: String,
    source: String,
    diagnostics: Vec<Diagnostic>,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let mut unreadable = false;
    let mut checked = Vec::with_capacity(args.files.len());
    for path in &args.files {
        match read_model(path) {
            Ok(bytes) => {
                let (_program, mut diagnostics) = netc_lang::check_bytes(&bytes);
                if deny_warnings {
                    deny(&mut diagnostics);
                }
                checked.push(Checked {
                    path: path.display().to_string(),
                    // Spans are byte offsets into `bytes`; a lossy decode keeps
                    // every offset before the first invalid byte, which is
                    // where `check_bytes` reports non-UTF-8 input.
                    source: String::from_utf8_lossy(&bytes).into_owned(),
                    diagnostics,
                });
            }
            Err(error) => {
                eprintln!("error: {error}");
                unreadable = true;
            }
        }
    }

    let files: Vec<FileDiagnostics<'_>> = checked
        .iter()
        .map(|file| FileDiagnostics {
            path: &file.path,
            source: &file.source,
            diagnostics: &file.diagnostics,
        })
        .collect();
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    let _ = match args.format {
        Format::Text => {
            write!(
                std::io::stderr().lock(),
                "{}",
                render::text::render(&files, term::stderr_color())
            )
        }
        Format::Json => writeln!(std::io::stdout().lock(), "{}", render::json::render(&files)),
    };

    let has_errors = checked
        .iter()
        .any(|file| netc_lang::has_errors(&file.diagnostics));
    if unreadable {
        ExitCode::from(2)
    } else if has_errors {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Promotes warnings to errors, saying why, so the output explains the
/// exit status.
fn deny(diagnostics: &mut [Diagnostic]) {
    for diagnostic in diagnostics {
        if diagnostic.severity == Severity::Warning {
            diagnostic.severity = Severity::Error;
            diagnostic
                .notes
                .push("`--deny warnings` turns this warning into an error".to_string());
        }
    }
}
