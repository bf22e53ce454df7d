//! `netc check FILE... [--format text|json|sarif|github] [--fix]
//! [--warn|--deny|--allow LINT]...`: parse and check model files and report
//! every diagnostic (docs/cli.md).
//!
//! Exit status: 0 clean (warnings allowed), 1 any error (or any warning
//! under `--deny warnings`), 2 a file could not be read or written, or a
//! lint level names no rule. Unreadable files do not stop the others from
//! being checked. With `--fix`, the exit status is that of what remains.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches};
use netc_lang::fix::apply_fixes;
use netc_lang::render::{github, json, sarif, text, FileDiagnostics};
use netc_lang::FixSafety;
use netc_lang::{Diagnostic, Level, LintLevels};

use crate::source::read_model;
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
    /// Apply the diagnostics' mechanical fixes in place, then report what
    /// remains.
    #[arg(long)]
    fix: bool,
    /// With `--fix`, also apply fixes that guess what was meant
    /// (did-you-mean renames such as `bc1` → `bn1`).
    #[arg(long, requires = "fix")]
    unsafe_fixes: bool,
    #[command(flatten)]
    lints: LintArgs,
}

/// `--warn`, `--deny`, `--allow` with a rule code, a rule name or
/// `warnings`, in the order given (a later one wins). Shared by `check`,
/// `train` and `analyze`. A name that is no rule, or allowing a front-end
/// error, is a usage error (exit 2) with a did-you-mean.
pub struct LintArgs {
    pub levels: LintLevels,
}

const LEVEL_FLAGS: [(&str, char, Level, &str); 3] = [
    (
        "warn",
        'W',
        Level::Warn,
        "Report this lint (code, name, or `warnings`) as a warning",
    ),
    (
        "deny",
        'D',
        Level::Deny,
        "Report this lint as an error; `--deny warnings` denies every warning",
    ),
    (
        "allow",
        'A',
        Level::Allow,
        "Do not report this lint (front-end errors cannot be allowed)",
    ),
];

impl clap::FromArgMatches for LintArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut given = Vec::new();
        for (id, _, level, _) in LEVEL_FLAGS {
            if let (Some(values), Some(indices)) =
                (matches.get_many::<String>(id), matches.indices_of(id))
            {
                given.extend(
                    indices
                        .zip(values)
                        .map(|(index, value)| (index, level, value)),
                );
            }
        }
        // The flags' positions on the command line give their order.
        given.sort_by_key(|&(index, _, _)| index);
        let mut levels = LintLevels::default();
        for (_, level, value) in given {
            levels
                .push(level, value)
                .map_err(|error| clap::Error::raw(ErrorKind::InvalidValue, error.to_string()))?;
        }
        Ok(LintArgs { levels })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

impl clap::Args for LintArgs {
    fn augment_args(mut command: clap::Command) -> clap::Command {
        for (id, short, _, help) in LEVEL_FLAGS {
            command = command.arg(
                Arg::new(id)
                    .long(id)
                    .short(short)
                    .value_name("LINT")
                    .action(ArgAction::Append)
                    .help(help),
            );
        }
        command
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
    Github,
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
    let levels = &args.lints.levels;
    let color = term::stderr_color();
    let mut unreadable = false;
    let mut checked = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let result = if args.fix {
            fix(path, levels, args.unsafe_fixes)
        } else {
            check(path, levels)
        };
        match result {
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

fn check(path: &Path, levels: &LintLevels) -> Result<Checked, String> {
    let bytes = read_model(path).map_err(|error| error.to_string())?;
    let (_program, diagnostics) = netc_lang::check_bytes_with(&bytes, levels);
    Ok(Checked {
        path: path.display().to_string(),
        // Spans are byte offsets into `bytes`; a lossy decode keeps every
        // offset before the first invalid byte, which is where `check_bytes`
        // reports non-UTF-8 input.
        source: String::from_utf8_lossy(&bytes).into_owned(),
        diagnostics,
    })
}

/// Fixing can enable or unblock further fixes (an edit skipped for
/// overlapping another is made on the re-checked text), so fixing repeats,
/// a bounded number of times, until nothing changes.
const MAX_FIX_PASSES: usize = 10;

/// Applies the fixes of `path`'s diagnostics in place, says how many
/// problems were fixed, and gives what remains.
fn fix(path: &Path, levels: &LintLevels, include_unsafe: bool) -> Result<Checked, String> {
    let bytes = read_model(path).map_err(|error| error.to_string())?;
    let Ok(original) = String::from_utf8(bytes) else {
        // Not UTF-8: nothing can be edited; the check reports the byte.
        return check(path, levels);
    };
    let mut source = original.clone();
    let mut diagnostics = netc_lang::check_source_with(&source, levels).1;
    let mut fixed = 0;
    for _ in 0..MAX_FIX_PASSES {
        let pass = apply_fixes(&source, &diagnostics, include_unsafe);
        if pass.text == source {
            break;
        }
        fixed += pass.fixed;
        source = pass.text;
        diagnostics = netc_lang::check_source_with(&source, levels).1;
    }
    if source != original {
        write_atomically(path, &source)
            .map_err(|error| format!("cannot write `{}`: {error}", path.display()))?;
        let plural = if fixed == 1 { "" } else { "s" };
        eprintln!("fixed {fixed} problem{plural} in {}", path.display());
    }
    let guesses = diagnostics
        .iter()
        .filter(|d| !d.fix.is_empty() && d.fix_safety == FixSafety::Unsafe)
        .count();
    if guesses > 0 && !include_unsafe {
        let plural = if guesses == 1 { "" } else { "es" };
        eprintln!(
            "{guesses} more fix{plural} available with `--unsafe-fixes` (renames that guess what was meant) in {}",
            path.display()
        );
    }
    Ok(Checked {
        path: path.display().to_string(),
        source,
        diagnostics,
    })
}

/// Replaces `path`'s contents through a temporary file in the same folder
/// and a rename, so an interrupted write never leaves half a model; the
/// file keeps its permissions.
pub(crate) fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let permissions = std::fs::metadata(path)?.permissions();
    let mut temp = tempfile::NamedTempFile::new_in(folder)?;
    temp.write_all(text.as_bytes())?;
    temp.as_file().sync_all()?;
    std::fs::set_permissions(temp.path(), permissions)?;
    temp.persist(path).map_err(|error| error.error)?;
    Ok(())
}

fn emit(out: &mut impl Write, text: &str) {
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    let _ = out.write_all(text.as_bytes());
}
