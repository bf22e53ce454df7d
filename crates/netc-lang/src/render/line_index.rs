//! Byte offsets → 1-based line and character column, the one place every
//! renderer (terminal, JSON, proc-macro) gets positions from, so they all
//! agree on what "column 13" means.

use serde::Serialize;

use crate::span::Span;

/// A position in a source text. `line` and `column` are 1-based; `column`
/// counts characters (Unicode scalar values), not bytes, so a `é` before a
/// name moves it by one column. `offset` is the byte offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// The start of every line of one source text.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    text: &'a str,
    /// Byte offset of the first character of each line; `line_starts[0] == 0`.
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        LineIndex { text, line_starts }
    }

    /// The position of a byte offset. Offsets past the end clamp to the end
    /// and offsets inside a multi-byte character snap back to its start, so a
    /// slightly wrong span from a checker still renders instead of panicking.
    pub fn position(&self, offset: usize) -> Position {
        let offset = self.floor(offset);
        // `line_starts` is sorted and starts with 0, so the partition point is
        // at least 1: the line holding `offset` is the last start <= offset.
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let line_start = self.line_starts[line - 1];
        let column = self.text[line_start..offset].chars().count() + 1;
        Position {
            line,
            column,
            offset,
        }
    }

    /// A span made safe to slice this text with: both ends clamped to the
    /// text, `start <= end`, and widened to whole characters (the start
    /// snaps back, the end forward), so a span over part of a character,
    /// like the first byte of a `U+FFFD` standing for an invalid byte, shows
    /// the whole character.
    ///
    /// An empty span at the very end of a text that ends in a newline (where
    /// "unexpected end of file" points) moves onto that newline, so it is
    /// shown after the last character people can see, not on an empty line
    /// the editor doesn't show.
    pub fn clamp_span(&self, span: Span) -> Span {
        let len = self.text.len();
        let start = self.floor(span.start);
        let end = self.ceil(span.end).max(start);
        if start == len && end == len && self.text.ends_with('\n') {
            return Span::new(len - 1, len - 1);
        }
        Span::new(start, end)
    }

    /// The start of the character holding `offset`, or the end of the text.
    fn floor(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    /// The end of the character holding `offset`, or the end of the text.
    fn ceil(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset += 1;
        }
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: usize, column: usize, offset: usize) -> Position {
        Position {
            line,
            column,
            offset,
        }
    }

    #[test]
    fn first_character_is_line_one_column_one() {
        let index = LineIndex::new("model A {}");
        assert_eq!(index.position(0), pos(1, 1, 0));
        assert_eq!(index.position(6), pos(1, 7, 6));
    }

    #[test]
    fn a_newline_belongs_to_its_line_and_the_next_byte_starts_a_new_one() {
        let index = LineIndex::new("ab\ncd\n");
        assert_eq!(index.position(2), pos(1, 3, 2));
        assert_eq!(index.position(3), pos(2, 1, 3));
        assert_eq!(index.position(4), pos(2, 2, 4));
        // The end of a text that ends in a newline is the start of an empty line.
        assert_eq!(index.position(6), pos(3, 1, 6));
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        // `é` is 2 bytes, `→` 3 bytes, `🦀` 4 bytes: each is one column.
        let text = "// é → 🦀\nx = bc1(x)\n  é bc1";
        let index = LineIndex::new(text);
        let crab = text.find('🦀').expect("present in the text");
        assert_eq!(index.position(crab), pos(1, 8, crab));
        assert_eq!(index.position(crab + 4), pos(1, 9, crab + 4));
        let second_bc1 = text.rfind("bc1").expect("present in the text");
        assert_eq!(
            second_bc1 - text.rfind('\n').expect("present in the text") - 1,
            5
        );
        assert_eq!(index.position(second_bc1), pos(3, 5, second_bc1));
    }

    #[test]
    fn offsets_inside_a_character_snap_to_its_start() {
        let index = LineIndex::new("aé");
        assert_eq!(index.position(2), pos(1, 2, 1));
    }

    #[test]
    fn offsets_past_the_end_clamp_to_the_end() {
        let index = LineIndex::new("ab");
        assert_eq!(index.position(99), pos(1, 3, 2));
    }

    #[test]
    fn empty_text_has_one_line() {
        let index = LineIndex::new("");
        assert_eq!(index.position(0), pos(1, 1, 0));
    }

    #[test]
    fn clamped_spans_are_sliceable_and_ordered() {
        let text = "aé";
        let index = LineIndex::new(text);
        assert_eq!(index.clamp_span(Span::new(2, 1)), Span::new(1, 1));
        // Part of `é` widens to all of it.
        assert_eq!(index.clamp_span(Span::new(1, 2)), Span::new(1, 3));
        let span = index.clamp_span(Span::new(0, 50));
        assert_eq!(&text[span.start..span.end], "aé");
    }

    #[test]
    fn an_end_of_file_point_moves_onto_the_final_newline() {
        let index = LineIndex::new("a\n}\n");
        assert_eq!(index.clamp_span(Span::new(4, 4)), Span::new(3, 3));
        assert_eq!(index.position(3), pos(2, 2, 3));
        // Without a final newline the end is already on the last line.
        let index = LineIndex::new("a\n}");
        assert_eq!(index.clamp_span(Span::new(9, 9)), Span::new(3, 3));
    }
}
