//! The compiler's front half: model text → AST → checked IR + diagnostics.

pub mod analysis;
pub mod ast;
pub mod config;
pub mod diagnostic;
pub mod fix;
pub mod ir;
mod layers;
pub mod lexical;
pub mod lints;
mod lower;
mod parser;
pub mod render;
pub mod rules;
pub mod severity;
mod shape;
mod span;
pub mod suggest;
mod valid;

pub use config::{FileConfig, Level, LevelError, LintLevels};
pub use diagnostic::{Diagnostic, Edit, FixSafety, Label};
pub use severity::Severity;
pub use valid::ValidModel;

pub use parser::{parse, MAX_NESTING, MAX_SYNTAX_ERRORS};

/// Parses and checks a model file: the IR of everything that could be
/// lowered, and every diagnostic found, sorted by where it starts, with the
/// file's suppression comments applied. Never panics; when no diagnostic is
/// an error the IR is valid (see [`ir`]).
pub fn check_source(source: &str) -> (ir::Program, Vec<Diagnostic>) {
    check_source_with(source, &LintLevels::default())
}

/// [`check_source`] with lint levels (`--warn`/`--deny`/`--allow`).
pub fn check_source_with(source: &str, levels: &LintLevels) -> (ir::Program, Vec<Diagnostic>) {
    check_file(source.as_bytes(), levels).into_parts()
}

/// A finished check of a file: [`check_bytes_with`]'s program and
/// diagnostics, and the witnesses lowering takes.
pub struct CheckedFile {
    pub program: ir::Program,
    pub diagnostics: Vec<Diagnostic>,
    valid: Vec<ValidModel>,
}

impl CheckedFile {
    /// Every model as a [`ValidModel`] when no diagnostic is an error;
    /// none otherwise.
    pub fn valid_models(&self) -> &[ValidModel] {
        &self.valid
    }

    pub fn into_valid_models(self) -> Vec<ValidModel> {
        self.valid
    }

    fn into_parts(self) -> (ir::Program, Vec<Diagnostic>) {
        (self.program, self.diagnostics)
    }
}

/// Checks a model file's bytes with lint levels and the file's
/// suppression comments, and hands out the witnesses of its models when
/// nothing is an error.
pub fn check_file(bytes: &[u8], levels: &LintLevels) -> CheckedFile {
    let (program, diagnostics) = match std::str::from_utf8(bytes) {
        Ok(source) => {
            let mut checked = check_configured(source, levels);
            checked.diagnostics.extend(checked.config.finish());
            sort(&mut checked.diagnostics);
            (checked.program, checked.diagnostics)
        }
        Err(error) => (ir::Program::default(), vec![not_utf8(bytes, &error)]),
    };
    CheckedFile {
        valid: ValidModel::all(&program, &diagnostics),
        program,
        diagnostics,
    }
}

/// A checked file whose configuration stays open, for callers that lint
/// more later (`netc train` once the data is loaded).
pub struct Checked {
    pub program: ir::Program,
    pub syntax: ast::File,
    /// Configured, sorted; without the unused-suppression reports, which
    /// [`FileConfig::finish`] gives once every diagnostic went through
    /// `config`.
    pub diagnostics: Vec<Diagnostic>,
    pub config: FileConfig,
    valid: Vec<ValidModel>,
}

impl Checked {
    /// Every model as a [`ValidModel`] when no diagnostic found so far is
    /// an error; none otherwise.
    pub fn valid_models(&self) -> &[ValidModel] {
        &self.valid
    }
}

/// Parses, checks and lints `source`, applying `levels` and the file's
/// suppression comments.
pub fn check_configured(source: &str, levels: &LintLevels) -> Checked {
    let (syntax, mut diagnostics) = parse(source);
    let program = lower::lower(&syntax, &mut diagnostics);
    let lints = lints::run_clean_models(&program, &syntax, &diagnostics);
    diagnostics.extend(lints);
    let mut config = FileConfig::new(source, &syntax, levels);
    let mut diagnostics = config.configure(diagnostics);
    sort(&mut diagnostics);
    Checked {
        valid: ValidModel::all(&program, &diagnostics),
        program,
        syntax,
        diagnostics,
        config,
    }
}

fn sort(diagnostics: &mut [Diagnostic]) {
    // Stable: diagnostics at one position keep the order they were found.
    diagnostics.sort_by_key(|d| d.span.start);
}

/// [`check_source`] on raw bytes: text that is not UTF-8 gets one NN000
/// naming the offset of the first invalid byte, and an empty program.
pub fn check_bytes(bytes: &[u8]) -> (ir::Program, Vec<Diagnostic>) {
    check_bytes_with(bytes, &LintLevels::default())
}

/// [`check_bytes`] with lint levels.
pub fn check_bytes_with(bytes: &[u8], levels: &LintLevels) -> (ir::Program, Vec<Diagnostic>) {
    check_file(bytes, levels).into_parts()
}

/// The NN000 of a file that is not UTF-8.
fn not_utf8(bytes: &[u8], error: &std::str::Utf8Error) -> Diagnostic {
    let offset = error.valid_up_to();
    let len = error.error_len().unwrap_or(bytes.len() - offset);
    Diagnostic::new(
        &rules::SYNTAX_ERROR,
        ir::Span::new(offset, offset + len),
        format!("the file is not valid UTF-8: invalid byte at offset {offset}"),
    )
    .with_span_label("invalid UTF-8")
    .with_help("save the model file as UTF-8")
}

/// Whether any diagnostic is an error (warnings and infos do not stop a
/// build).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(|d| d.severity == Severity::Error)
}
