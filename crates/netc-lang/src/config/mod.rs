//! Lint configuration: levels from the command line ([`LintLevels`]) and
//! suppression comments in the model file ([`Suppressions`]), applied
//! together by [`FileConfig`].
//!
//! Front-end errors (NN000, NN001, NN003–NN005, NN034–NN038) say the model cannot be
//! built; neither a level nor a comment can silence them. `--allow` or
//! `--warn` of one is a usage error, a comment naming one gets an NN040.

mod comments;
mod levels;
mod suppress;

pub use levels::{Level, LevelError, LintLevels};
pub use suppress::Suppressions;

use crate::ast;
use crate::diagnostic::Diagnostic;
use crate::rules::{self, Rule};
use crate::severity::Severity;

/// Whether `rule` is an error of the front end (parsing, names, shapes,
/// values) rather than a lint of the catalogue. NN002 `unused-layer` comes
/// from the front end too but is a warning, and configurable.
pub fn is_front_end_error(rule: &Rule) -> bool {
    let code = rule.code;
    rule.severity == Severity::Error
        && (("NN000"..="NN005").contains(&code)
            || ("NN034"..="NN038").contains(&code)
            || ("NN041"..="NN044").contains(&code))
}

/// The configuration of one file's diagnostics. Diagnostics found at
/// different times (`netc train` lints the data after the model) go
/// through [`FileConfig::configure`] as they come; [`FileConfig::finish`]
/// then reports the suppressions that were never used.
#[derive(Debug, Clone)]
pub struct FileConfig {
    levels: LintLevels,
    suppressions: Suppressions,
    front_end_errors: bool,
}

impl FileConfig {
    pub fn new(source: &str, file: &ast::File, levels: &LintLevels) -> Self {
        FileConfig {
            levels: levels.clone(),
            suppressions: Suppressions::scan(source, file),
            front_end_errors: false,
        }
    }

    /// `diagnostics` without the suppressed ones, at their configured
    /// levels.
    pub fn configure(&mut self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        self.front_end_errors |= diagnostics.iter().any(|d| {
            d.severity == Severity::Error && rules::lookup(d.code).is_some_and(is_front_end_error)
        });
        let kept = self.suppressions.filter(diagnostics);
        self.levels.apply(kept)
    }

    /// The NN040s of the file's directives, configured. A file with
    /// front-end errors skipped lints, so unused directives are not
    /// reported there.
    pub fn finish(&mut self) -> Vec<Diagnostic> {
        let found = self.suppressions.finish(!self.front_end_errors);
        self.levels.apply(found)
    }
}
