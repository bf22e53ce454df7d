//! An open model file: its text and, computed on first use after each
//! change, what the checker says about it.

use std::cell::OnceCell;

use netc_lang::{ast, ir, Diagnostic, LintLevels};

use crate::position::{Encoding, LineMap};

pub struct Document {
    pub text: String,
    pub version: i32,
    checked: OnceCell<Checked>,
}

/// What `netc check` finds in a text: the IR, the syntax tree, and the
/// diagnostics exactly as `check_source` gives them.
pub struct Checked {
    pub program: ir::Program,
    pub syntax: ast::File,
    pub diagnostics: Vec<Diagnostic>,
}

impl Document {
    pub fn new(text: String, version: i32) -> Self {
        Document {
            text,
            version,
            checked: OnceCell::new(),
        }
    }

    pub fn replace(&mut self, text: String, version: i32) {
        *self = Document::new(text, version);
    }

    pub fn checked(&self) -> &Checked {
        self.checked.get_or_init(|| check(&self.text))
    }

    pub fn lines(&self, encoding: Encoding) -> LineMap<'_> {
        LineMap::new(&self.text, encoding)
    }
}

/// `check_source` with the syntax tree kept: the same steps, so the
/// diagnostics are the CLI's.
pub fn check(text: &str) -> Checked {
    let mut checked = netc_lang::check_configured(text, &LintLevels::default());
    checked.diagnostics.extend(checked.config.finish());
    // Stable, by start, as `check_source` sorts.
    checked.diagnostics.sort_by_key(|d| d.span.start);
    Checked {
        program: checked.program,
        syntax: checked.syntax,
        diagnostics: checked.diagnostics,
    }
}
