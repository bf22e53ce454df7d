//! Lint levels from the command line: `--warn`, `--deny`, `--allow` with a
//! rule code or name, or `warnings` for every warning. Entries apply in the
//! order given and a later one wins, as with rustc's `-W`/`-D`/`-A`.

use std::fmt;

use super::is_front_end_error;
use crate::diagnostic::Diagnostic;
use crate::rules::{self, Rule};
use crate::severity::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn flag(self) -> &'static str {
        match self {
            Level::Allow => "--allow",
            Level::Warn => "--warn",
            Level::Deny => "--deny",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selector {
    Rule(&'static Rule),
    /// Every diagnostic that is a warning at that point.
    Warnings,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    level: Level,
    selector: Selector,
    /// As the user wrote it, for the note that explains a changed level.
    written: String,
}

/// The command line's lint levels, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintLevels {
    entries: Vec<Entry>,
}

/// A level the command line cannot set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LevelError {
    /// No rule has this code or name.
    Unknown {
        level: Level,
        written: String,
        suggestion: Option<&'static Rule>,
    },
    /// Front-end errors mean the model has no meaning to lint: they can be
    /// neither allowed nor lowered to warnings.
    FrontEnd { level: Level, rule: &'static Rule },
}

impl fmt::Display for LevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LevelError::Unknown {
                level,
                written,
                suggestion,
            } => {
                write!(f, "{} `{written}`: no lint has this code or name", level.flag())?;
                match suggestion {
                    Some(rule) => write!(f, "; did you mean `{}` ({})?", rule.name, rule.code),
                    None => write!(f, " (`netc explain CODE` lists a rule's long form)"),
                }
            }
            LevelError::FrontEnd { level, rule } => write!(
                f,
                "{} {}: `{}` is an error of the front end (the model cannot be built), it cannot be allowed or made a warning",
                level.flag(),
                rule.code,
                rule.name
            ),
        }
    }
}

impl std::error::Error for LevelError {}

impl LintLevels {
    /// Adds `level` for `selector`: a code (`NN002`), a name
    /// (`unused-layer`) or `warnings`. `--deny` of a front-end code is
    /// accepted (it is an error already); allowing or warning it is not.
    pub fn push(&mut self, level: Level, selector: &str) -> Result<(), LevelError> {
        let parsed = if selector == "warnings" {
            Selector::Warnings
        } else {
            let rule = rules::lookup(selector).ok_or_else(|| LevelError::Unknown {
                level,
                written: selector.to_string(),
                suggestion: rules::closest(selector),
            })?;
            if is_front_end_error(rule) && level != Level::Deny {
                return Err(LevelError::FrontEnd { level, rule });
            }
            Selector::Rule(rule)
        };
        self.entries.push(Entry {
            level,
            selector: parsed,
            written: selector.to_string(),
        });
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The diagnostics at their configured levels: allowed ones dropped,
    /// changed ones with a note saying which flag changed them.
    pub fn apply(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diagnostics
            .into_iter()
            .filter_map(|diagnostic| self.configure(diagnostic))
            .collect()
    }

    fn configure(&self, mut diagnostic: Diagnostic) -> Option<Diagnostic> {
        if rules::lookup(diagnostic.code).is_some_and(is_front_end_error) {
            return Some(diagnostic);
        }
        let original = diagnostic.severity;
        let mut decided: Option<&Entry> = None;
        for entry in &self.entries {
            let applies = match entry.selector {
                Selector::Rule(rule) => rule.code == diagnostic.code,
                Selector::Warnings => {
                    let now = decided.map_or(Some(original), |e| severity(e.level));
                    now == Some(Severity::Warning)
                }
            };
            if applies {
                decided = Some(entry);
            }
        }
        let Some(entry) = decided else {
            return Some(diagnostic);
        };
        let configured = severity(entry.level)?;
        if configured != original {
            diagnostic.severity = configured;
            diagnostic.notes.push(format!(
                "`{} {}` turns this {} into {}",
                entry.level.flag(),
                entry.written,
                original.as_str(),
                match configured {
                    Severity::Error => "an error",
                    Severity::Warning => "a warning",
                    Severity::Info => "an info",
                }
            ));
        }
        Some(diagnostic)
    }
}

/// The severity a level gives; `None` drops the diagnostic.
fn severity(level: Level) -> Option<Severity> {
    match level {
        Level::Allow => None,
        Level::Warn => Some(Severity::Warning),
        Level::Deny => Some(Severity::Error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{CONSTANT_INIT, UNDEFINED_LAYER, UNUSED_LAYER};
    use crate::span::Span;

    fn unused() -> Diagnostic {
        Diagnostic::new(&UNUSED_LAYER, Span::new(0, 1), "unused")
    }

    fn levels(entries: &[(Level, &str)]) -> LintLevels {
        let mut levels = LintLevels::default();
        for (level, selector) in entries {
            levels.push(*level, selector).expect("a known lint");
        }
        levels
    }

    fn severities(levels: &LintLevels, diagnostic: Diagnostic) -> Vec<Severity> {
        levels
            .apply(vec![diagnostic])
            .iter()
            .map(|d| d.severity)
            .collect()
    }

    #[test]
    fn no_entry_keeps_the_default_level() {
        let untouched = levels(&[(Level::Deny, "NN018")]);
        assert_eq!(untouched.apply(vec![unused()]), [unused()]);
    }

    #[test]
    fn the_later_entry_wins() {
        let denied_then_allowed = levels(&[(Level::Deny, "NN002"), (Level::Allow, "unused-layer")]);
        assert_eq!(severities(&denied_then_allowed, unused()), []);
        let allowed_then_denied = levels(&[(Level::Allow, "NN002"), (Level::Deny, "unused-layer")]);
        assert_eq!(
            severities(&allowed_then_denied, unused()),
            [Severity::Error]
        );
    }

    #[test]
    fn deny_warnings_sees_the_level_set_before_it() {
        let warn_then_deny = levels(&[(Level::Warn, "constant-init"), (Level::Deny, "warnings")]);
        let constant = Diagnostic::new(&CONSTANT_INIT, Span::new(0, 1), "constant");
        assert_eq!(severities(&warn_then_deny, constant), [Severity::Error]);
        let allow_then_deny = levels(&[(Level::Allow, "NN002"), (Level::Deny, "warnings")]);
        assert_eq!(severities(&allow_then_deny, unused()), []);
    }

    #[test]
    fn a_changed_level_says_which_flag_changed_it() {
        let denied = levels(&[(Level::Deny, "unused-layer")]).apply(vec![unused()]);
        assert_eq!(
            denied[0].notes,
            ["`--deny unused-layer` turns this warning into an error"]
        );
    }

    #[test]
    fn unknown_lints_suggest_the_closest_rule() {
        let error = LintLevels::default()
            .push(Level::Allow, "unused-layr")
            .expect_err("unknown");
        assert_eq!(
            error.to_string(),
            "--allow `unused-layr`: no lint has this code or name; did you mean `unused-layer` (NN002)?"
        );
    }

    #[test]
    fn front_end_errors_cannot_be_allowed_or_warned() {
        for level in [Level::Allow, Level::Warn] {
            let error = LintLevels::default()
                .push(level, "NN001")
                .expect_err("front end");
            assert_eq!(
                error,
                LevelError::FrontEnd {
                    level,
                    rule: &UNDEFINED_LAYER
                }
            );
        }
        let denied = levels(&[(Level::Deny, "NN001"), (Level::Deny, "warnings")]);
        let undefined = Diagnostic::new(&UNDEFINED_LAYER, Span::new(0, 1), "undefined");
        assert_eq!(denied.apply(vec![undefined.clone()]), [undefined]);
    }
}
