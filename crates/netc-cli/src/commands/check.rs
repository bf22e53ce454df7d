//! `netc check FILE... [--format text|json|sarif|github] [--deny warnings]`:
//! parse and check model files and report every diagnostic (CLI.md).
//!
//! Exit status: 0 clean (warnings allowed), 1 any error (or any warning
//! under `--deny warnings`), 2 a file could not be read. Unreadable files
//! do not stop the others from being checked.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use netc_lang::render::{github, json, sarif, text, FileDiagnostics};
use netc_lang::{Diagnostic, Severity};

use crate::source::{read_model, ReadError};
use crate::term;

#[derive(clap::Args)]
pub struct CheckArgs {
    /// Model files to check.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// `text`: rustc-style diagnostics on stderr. On stdout: `json`, one
    /// JSON array of diagnostics over all files; `sarif`, a SARIF 2.1.0 log
    /// for code scanning; `github`, GitHub Actions annotations.
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
    Sarif,
    Github,
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

impl Checked {
    fn view(&self) -> FileDiagnostics<'_> {
        FileDiagnostics {
            path: &self.path,
            source: &self.source,
            diagnostics: &self.diagnostics,
        }
    }
}

pub fn run(args: CheckArgs) -> ExitCode {
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let color = term::stderr_color();
    let mut unreadable = false;
    let mut checked = Vec::with_capacity(args.files.len());
    for path in &args.files {
        match check(path, deny_warnings) {
            Ok(file) => {
                // Text streams file by file, so its messages and the
                // unreadable-file lines come in the order the files were given.
                if args.format == Format::Text {
                    emit(&mut std::io::stderr(), &text::render(&[file.view()], color));
                }
                checked.push(file);
            }
            Err(error) => {
                eprintln!("error: {error}");
                unreadable = true;
            }
        }
    }

    let files: Vec<FileDiagnostics<'_>> = checked.iter().map(Checked::view).collect();
    let machine_output = match args.format {
        Format::Text => None,
        Format::Json => Some(json::render(&files) + "\n"),
        Format::Sarif => Some(sarif::render(&files) + "\n"),
        Format::Github => Some(github::render(&files)),
    };
    if let Some(output) = machine_output {
        emit(&mut std::io::stdout(), &output);
    }

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

fn check(path: &Path, deny_warnings: bool) -> Result<Checked, ReadError> {
    let bytes = read_model(path)?;
    let (_program, mut diagnostics) = netc_lang::check_bytes(&bytes);
    if deny_warnings {
        deny(&mut diagnostics);
    }
    Ok(Checked {
        path: path.display().to_string(),
        // Spans are byte offsets into `bytes`; a lossy decode keeps every
        // offset before the first invalid byte, which is where `check_bytes`
        // reports non-UTF-8 input.
        source: String::from_utf8_lossy(&bytes).into_owned(),
        diagnostics,
    })
}

fn emit(out: &mut impl Write, text: &str) {
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    let _ = out.write_all(text.as_bytes());
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
