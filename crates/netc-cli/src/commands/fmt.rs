//! `netc fmt [--check] FILE...`: rewrite model files in the canonical
//! layout (netc-fmt), in place and atomically.
//!
//! Exit status: 0 every file formatted (or, with `--check`, already
//! formatted), 1 a file has syntax errors (printed, file untouched) or,
//! with `--check`, would be reformatted (a unified diff on stdout), 2 a
//! file could not be read or written. One bad file does not stop the
//! others.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use netc_lang::render::{text, FileDiagnostics};
use netc_lang::Diagnostic;
use similar::TextDiff;

use super::check::write_atomically;
use crate::source::read_model;
use crate::term;

#[derive(clap::Args)]
pub struct FmtArgs {
    /// Model files to format.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Change nothing: print a unified diff of each file that is not
    /// formatted, and exit 1 if there is one.
    #[arg(long)]
    check: bool,
}

/// What happened to one file.
enum Outcome {
    Unchanged,
    Reformatted,
    /// Not formatted (`--check`): the diff was printed.
    WouldReformat,
    /// Syntax errors (printed) or not UTF-8: left as it is.
    Invalid,
    /// Could not be read or written (printed).
    Failed,
}

pub fn run(args: FmtArgs) -> ExitCode {
    let outcomes: Vec<Outcome> = args
        .files
        .iter()
        .map(|path| format_file(path, args.check))
        .collect();
    let count = |wanted: fn(&Outcome) -> bool| outcomes.iter().filter(|o| wanted(o)).count();
    let changed = count(|o| matches!(o, Outcome::Reformatted | Outcome::WouldReformat));
    let unchanged = count(|o| matches!(o, Outcome::Unchanged));
    let verb = if args.check {
        "would be reformatted"
    } else {
        "reformatted"
    };
    eprintln!(
        "{changed} file{} {verb}, {unchanged} file{} left unchanged",
        plural(changed),
        plural(unchanged)
    );
    if count(|o| matches!(o, Outcome::Failed)) > 0 {
        ExitCode::from(2)
    } else if count(|o| matches!(o, Outcome::Invalid | Outcome::WouldReformat)) > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn format_file(path: &Path, check: bool) -> Outcome {
    let bytes = match read_model(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failed;
        }
    };
    let source = match String::from_utf8(bytes) {
        Ok(source) => source,
        Err(error) => {
            let diagnostics = netc_lang::check_bytes(error.as_bytes()).1;
            report(
                path,
                &String::from_utf8_lossy(error.as_bytes()),
                &diagnostics,
            );
            return Outcome::Invalid;
        }
    };
    let formatted = match netc_fmt::format(&source) {
        Ok(formatted) => formatted,
        Err(errors) => {
            report(path, &source, &errors.diagnostics);
            eprintln!(
                "error: {} was not formatted: fix its syntax errors first",
                path.display()
            );
            return Outcome::Invalid;
        }
    };
    if formatted == source {
        return Outcome::Unchanged;
    }
    if check {
        let name = path.display().to_string();
        let diff = TextDiff::from_lines(&source, &formatted)
            .unified_diff()
            .header(&name, &name)
            .to_string();
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        let _ = std::io::stdout().lock().write_all(diff.as_bytes());
        return Outcome::WouldReformat;
    }
    match write_atomically(path, &formatted) {
        Ok(()) => Outcome::Reformatted,
        Err(error) => {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            Outcome::Failed
        }
    }
}

fn report(path: &Path, source: &str, diagnostics: &[Diagnostic]) {
    let path = path.display().to_string();
    let files = [FileDiagnostics {
        path: &path,
        source,
        diagnostics,
    }];
    let _ = std::io::stderr()
        .lock()
        .write_all(text::render(&files, term::stderr_color()).as_bytes());
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
