//! Counting diagnostics by severity, and the closing line rustc prints
//! after them ("could not check `seed.nn` due to 3 previous errors").

use annotate_snippets::{Group, Level, Renderer};

use crate::diagnostic::Diagnostic;
use crate::severity::Severity;

/// How many diagnostics of each severity a file produced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Tally {
    pub fn of(diagnostics: &[Diagnostic]) -> Self {
        let mut tally = Tally::default();
        for diagnostic in diagnostics {
            match diagnostic.severity {
                Severity::Error => tally.errors += 1,
                Severity::Warning => tally.warnings += 1,
                Severity::Info => tally.infos += 1,
            }
        }
        tally
    }

    /// The closing line for a file, or `None` when it produced nothing.
    /// Infos alone get no line: they are advice, not a verdict on the file.
    pub fn summary_line(&self, path: &str, renderer: &Renderer) -> Option<String> {
        let title = if self.errors > 0 {
            let mut text = format!(
                "could not check `{path}` due to {}",
                plural(self.errors, "previous error", "previous errors")
            );
            if let Some(rest) = self.non_errors() {
                text.push_str(&format!("; {rest} emitted"));
            }
            Level::ERROR.primary_title(text)
        } else {
            let rest = self.non_errors().filter(|_| self.warnings > 0)?;
            Level::WARNING.primary_title(format!("`{path}` generated {rest}"))
        };
        Some(renderer.render(&[Group::with_title(title)]))
    }

    fn non_errors(&self) -> Option<String> {
        let parts: Vec<String> = [
            (self.warnings, "warning", "warnings"),
            (self.infos, "info message", "info messages"),
        ]
        .into_iter()
        .filter(|&(count, _, _)| count > 0)
        .map(|(count, one, many)| plural(count, one, many))
        .collect();
        (!parts.is_empty()).then(|| parts.join(" and "))
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("1 {one}")
    } else {
        format!("{count} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(tally: Tally) -> Option<String> {
        tally.summary_line("seed.nn", &Renderer::plain())
    }

    #[test]
    fn errors_and_warnings() {
        let tally = Tally {
            errors: 3,
            warnings: 1,
            infos: 0,
        };
        assert_eq!(
            line(tally).as_deref(),
            Some("error: could not check `seed.nn` due to 3 previous errors; 1 warning emitted")
        );
    }

    #[test]
    fn one_error_is_singular() {
        let tally = Tally {
            errors: 1,
            ..Tally::default()
        };
        assert_eq!(
            line(tally).as_deref(),
            Some("error: could not check `seed.nn` due to 1 previous error")
        );
    }

    #[test]
    fn warnings_without_errors() {
        let tally = Tally {
            warnings: 2,
            infos: 1,
            ..Tally::default()
        };
        assert_eq!(
            line(tally).as_deref(),
            Some("warning: `seed.nn` generated 2 warnings and 1 info message")
        );
    }

    #[test]
    fn clean_or_info_only_files_get_no_line() {
        assert_eq!(line(Tally::default()), None);
        let infos = Tally {
            infos: 2,
            ..Tally::default()
        };
        assert_eq!(line(infos), None);
    }
}
