//! Code actions: each diagnostic's fix (a safe fix is the preferred quick
//! fix, a guess is offered unpreferred), and "fix all safe problems" for
//! the file, the edits `netc check --fix` makes.

use std::collections::HashMap;

use lsp_types::{CodeAction, CodeActionKind, TextEdit, Url, WorkspaceEdit};
use netc_lang::ast::Span;
use netc_lang::fix::apply_fixes;
use netc_lang::{Diagnostic, FixSafety};

use crate::diagnostics;
use crate::document::{self, Checked};
use crate::position::LineMap;

/// Fixing can unblock further fixes (an edit skipped for overlapping
/// another is made on the re-checked text), so "fix all" repeats, a
/// bounded number of times, as `netc check --fix` does.
const MAX_FIX_PASSES: usize = 10;

pub const FIX_ALL: &str = "source.fixAll.netc";

pub fn actions(
    text: &str,
    checked: &Checked,
    lines: &LineMap<'_>,
    uri: &Url,
    within: Span,
    only: Option<&[CodeActionKind]>,
) -> Vec<CodeAction> {
    let wants = |kind: &CodeActionKind| {
        only.is_none_or(|only| only.iter().any(|o| kind.as_str().starts_with(o.as_str())))
    };
    let mut actions = Vec::new();
    if wants(&CodeActionKind::QUICKFIX) {
        for diagnostic in &checked.diagnostics {
            let touches =
                diagnostic.span.start <= within.end && within.start <= diagnostic.span.end;
            if touches && !diagnostic.fix.is_empty() {
                actions.push(quick_fix(diagnostic, lines, uri));
            }
        }
    }
    let fix_all = CodeActionKind::new(FIX_ALL);
    if wants(&fix_all) || wants(&CodeActionKind::SOURCE_FIX_ALL) {
        if let Some(fixed) = fix_all_safe(text) {
            actions.push(CodeAction {
                title: "Fix all safe problems (netc check --fix)".to_string(),
                kind: Some(fix_all),
                edit: Some(whole_text_edit(uri, lines, text, fixed)),
                ..CodeAction::default()
            });
        }
    }
    actions
}

fn quick_fix(diagnostic: &Diagnostic, lines: &LineMap<'_>, uri: &Url) -> CodeAction {
    let safe = diagnostic.fix_safety == FixSafety::Safe;
    let what = diagnostic.help.as_deref().unwrap_or(&diagnostic.message);
    let title = if safe {
        format!("Fix {}: {what}", diagnostic.code)
    } else {
        format!("Fix {} (unsafe: check it): {what}", diagnostic.code)
    };
    let edits = diagnostic
        .fix
        .iter()
        .map(|edit| TextEdit::new(lines.range(edit.span), edit.replacement.clone()))
        .collect();
    CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostics::to_lsp(diagnostic, lines, uri)]),
        edit: Some(WorkspaceEdit::new(HashMap::from([(uri.clone(), edits)]))),
        is_preferred: Some(safe),
        ..CodeAction::default()
    }
}

/// The text with every safe fix applied, or `None` when nothing changes.
pub fn fix_all_safe(text: &str) -> Option<String> {
    let mut current = text.to_string();
    let mut diagnostics = document::check(&current).diagnostics;
    for _ in 0..MAX_FIX_PASSES {
        let pass = apply_fixes(&current, &diagnostics, false);
        if pass.text == current {
            break;
        }
        current = pass.text;
        diagnostics = document::check(&current).diagnostics;
    }
    (current != text).then_some(current)
}

/// One edit replacing all of `text` with `new_text`.
pub fn whole_text_edit(
    uri: &Url,
    lines: &LineMap<'_>,
    text: &str,
    new_text: String,
) -> WorkspaceEdit {
    let edit = TextEdit::new(lines.range(Span::new(0, text.len())), new_text);
    WorkspaceEdit::new(HashMap::from([(uri.clone(), vec![edit])]))
}
