//! Applying the mechanical fixes diagnostics carry (`netc check --fix`).
//!
//! A diagnostic's edits go in together or not at all: half of NN009's fix
//! (dropping the sigmoid without switching to `bce_with_logits`) would make
//! the model wrong. Diagnostics are taken in source order; one whose edits
//! overlap an edit already taken is skipped, and a later pass over the
//! re-checked text can pick it up. Text outside the edits, comments and
//! layout included, is kept byte for byte.

use crate::diagnostic::{Diagnostic, Edit, FixSafety};
use crate::span::Span;

/// The fixed text and how many diagnostics were fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    pub text: String,
    /// Diagnostics whose edits were all applied.
    pub fixed: usize,
    /// Diagnostics with edits that were left out: they overlap another
    /// fix, or do not fit the text.
    pub skipped: usize,
}

/// Applies the fixes of `diagnostics` to `source`: the safe ones, and the
/// guesses (did-you-mean renames) too when `include_unsafe` is set.
pub fn apply_fixes(source: &str, diagnostics: &[Diagnostic], include_unsafe: bool) -> Fixed {
    let mut ordered: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| !d.fix.is_empty() && (include_unsafe || d.fix_safety == FixSafety::Safe))
        .collect();
    ordered.sort_by_key(|d| (d.span.start, d.span.end));
    let mut taken: Vec<&Edit> = Vec::new();
    let mut fixed = 0;
    let mut skipped = 0;
    for diagnostic in ordered {
        let fits = diagnostic
            .fix
            .iter()
            .all(|edit| in_bounds(source, edit.span));
        let clashes = diagnostic.fix.iter().enumerate().any(|(i, edit)| {
            taken.iter().any(|other| conflict(edit, other))
                || diagnostic.fix[..i]
                    .iter()
                    .any(|other| conflict(edit, other))
        });
        if !fits || clashes {
            skipped += 1;
            continue;
        }
        for edit in &diagnostic.fix {
            // The same edit from two diagnostics (both drop one softmax) is
            // made once.
            if !taken.contains(&edit) {
                taken.push(edit);
            }
        }
        fixed += 1;
    }
    taken.sort_by_key(|edit| (edit.span.start, edit.span.end));
    let mut text = String::with_capacity(source.len());
    let mut at = 0;
    for edit in taken {
        text.push_str(&source[at..edit.span.start]);
        text.push_str(&edit.replacement);
        at = edit.span.end;
    }
    text.push_str(&source[at..]);
    Fixed {
        text,
        fixed,
        skipped,
    }
}

fn in_bounds(source: &str, span: Span) -> bool {
    span.start <= span.end
        && span.end <= source.len()
        && source.is_char_boundary(span.start)
        && source.is_char_boundary(span.end)
}

/// Whether two edits cannot both be made: their ranges overlap, or both
/// insert at one point (their order would be a guess). Equal edits agree.
fn conflict(a: &Edit, b: &Edit) -> bool {
    if a == b {
        return false;
    }
    let (a, b) = (a.span, b.span);
    if a.start == a.end && b.start == b.end {
        return a.start == b.start;
    }
    // An insertion conflicts only strictly inside a replaced range; at
    // either end it goes before or after it.
    if a.start == a.end {
        return b.start < a.start && a.start < b.end;
    }
    if b.start == b.end {
        return a.start < b.start && b.start < a.end;
    }
    a.start < b.end && b.start < a.end
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::UNUSED_LAYER;

    fn with_edits(edits: &[(usize, usize, &str)]) -> Diagnostic {
        let mut diagnostic = Diagnostic::new(&UNUSED_LAYER, Span::new(edits[0].0, edits[0].1), "x");
        for &(start, end, replacement) in edits {
            diagnostic = diagnostic.with_fix(Span::new(start, end), replacement);
        }
        diagnostic
    }

    #[test]
    fn guessed_fixes_apply_only_when_asked() {
        let guess = Diagnostic::new(&UNUSED_LAYER, Span::new(0, 3), "x")
            .with_guessed_fix(Span::new(0, 3), "bn1");
        let safe = with_edits(&[(4, 5, "B")]);
        let both = [guess, safe];
        assert_eq!(apply_fixes("bc1 b", &both, false).text, "bc1 B");
        assert_eq!(apply_fixes("bc1 b", &both, true).text, "bn1 B");
    }

    #[test]
    fn edits_of_one_diagnostic_apply_together() {
        let fixed = apply_fixes("abcdef", &[with_edits(&[(0, 1, "A"), (4, 6, "")])], false);
        assert_eq!((fixed.text.as_str(), fixed.fixed), ("Abcd", 1));
    }

    #[test]
    fn an_overlapping_diagnostic_is_skipped_whole() {
        let first = with_edits(&[(0, 3, "X")]);
        let second = with_edits(&[(2, 4, "Y"), (5, 6, "Z")]);
        let fixed = apply_fixes("abcdef", &[second, first], false);
        assert_eq!(fixed.text, "Xdef");
        assert_eq!((fixed.fixed, fixed.skipped), (1, 1));
    }

    #[test]
    fn insertions_at_one_point_conflict_but_at_a_range_end_do_not() {
        let a = with_edits(&[(2, 2, "1")]);
        let b = with_edits(&[(2, 2, "2")]);
        assert_eq!(apply_fixes("abcd", &[a.clone(), b], false).text, "ab1cd");
        let replace = with_edits(&[(0, 2, "X")]);
        assert_eq!(apply_fixes("abcd", &[replace, a], false).text, "X1cd");
    }

    #[test]
    fn an_edit_made_by_two_diagnostics_is_made_once() {
        let a = with_edits(&[(1, 2, "")]);
        let b = with_edits(&[(1, 2, ""), (3, 3, "!")]);
        let fixed = apply_fixes("abcd", &[a, b], false);
        assert_eq!((fixed.text.as_str(), fixed.fixed), ("ac!d", 2));
    }

    #[test]
    fn an_edit_outside_the_text_is_skipped() {
        let fixed = apply_fixes("ab", &[with_edits(&[(1, 9, "")])], false);
        assert_eq!((fixed.text.as_str(), fixed.skipped), ("ab", 1));
    }
}
