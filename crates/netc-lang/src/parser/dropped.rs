//! What a blanked stretch of text said, as far as words tell: the name a
//! dropped `name = ...` assigned, and every name it mentioned.

use super::lexical::for_each_code_byte;
use crate::ast::{Dropped, Ident};
use crate::span::Span;

/// Describes `text[start..end]` before it is blanked.
pub(super) fn describe(text: &str, start: usize, end: usize) -> Dropped {
    let region = &text[start..end];
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut code = vec![false; region.len()];
    let mut block = false;
    for_each_code_byte(region, |at, byte| {
        code[at] = true;
        block |= byte == b'{';
    });
    for (at, byte) in region.bytes().enumerate() {
        let in_word = code[at] && (byte.is_ascii_alphanumeric() || byte == b'_');
        match (in_word, word_start) {
            (true, None) => word_start = Some(at),
            (false, Some(from)) => {
                words.push((from, at));
                word_start = None;
            }
            _ => {}
        }
    }
    if let Some(from) = word_start {
        words.push((from, region.len()));
    }
    let names: Vec<String> = words
        .iter()
        .map(|&(from, to)| region[from..to].to_string())
        .filter(|w| !w.starts_with(|c: char| c.is_ascii_digit()))
        .collect();
    // `name =` opening the region (not `name ==`, not `input x:`).
    let assigned = words.first().and_then(|&(from, to)| {
        let after = region[to..].trim_start();
        let is_assignment = after.starts_with('=') && !after.starts_with("==");
        let is_name = !region[from..to].starts_with(|c: char| c.is_ascii_digit());
        (is_assignment && is_name && region[..from].trim().is_empty()).then(|| Ident {
            name: region[from..to].to_string(),
            span: Span::new(start + from, start + to),
        })
    });
    Dropped {
        span: Span::new(start, end),
        assigned,
        names,
        block,
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn finds_the_assigned_name_and_the_names_used() {
        let text = "  fc1 = linear(9, 16 // bn1\n";
        let dropped = describe(text, 0, text.len());
        let assigned = dropped.assigned.expect("assignment");
        assert_eq!(assigned.name, "fc1");
        assert_eq!(&text[assigned.span.start..assigned.span.end], "fc1");
        assert_eq!(dropped.names, ["fc1", "linear"]);
        assert!(!dropped.block);
    }

    #[test]
    fn a_statement_that_is_no_assignment_assigns_nothing() {
        let text = "forwrd { x = f(x) }";
        let dropped = describe(text, 0, text.len());
        assert_eq!(dropped.assigned, None);
        assert!(dropped.mentions("forwrd") && dropped.mentions("f"));
        assert!(dropped.block);
    }
}
