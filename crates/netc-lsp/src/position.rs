//! Byte offsets ↔ LSP positions. A position's `character` counts UTF-8
//! bytes or UTF-16 code units, whichever encoding was negotiated; lines
//! end at `\n`.

use lsp_types::{Position, Range};
use netc_lang::ast::Span;

/// The position encoding agreed at `initialize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    fn width(self, c: char) -> usize {
        match self {
            Encoding::Utf8 => c.len_utf8(),
            Encoding::Utf16 => c.len_utf16(),
        }
    }
}

/// The line starts of one text, for converting positions both ways.
pub struct LineMap<'t> {
    text: &'t str,
    starts: Vec<usize>,
    encoding: Encoding,
}

impl<'t> LineMap<'t> {
    pub fn new(text: &'t str, encoding: Encoding) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        LineMap {
            text,
            starts,
            encoding,
        }
    }

    /// The position of a byte offset; offsets past the end clamp to it and
    /// offsets inside a character snap to its start.
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&start| start <= offset) - 1;
        let character = self.text[self.starts[line]..offset]
            .chars()
            .map(|c| self.encoding.width(c))
            .sum::<usize>();
        Position::new(to_u32(line), to_u32(character))
    }

    pub fn range(&self, span: Span) -> Range {
        Range::new(
            self.position(span.start),
            self.position(span.end.max(span.start)),
        )
    }

    /// The byte offset of a position. A line past the end is the end of
    /// the text; a character past the end of its line, or inside a
    /// character, is the end of that line or the start of that character.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return self.text.len();
        };
        let line = &self.text[start..];
        let line = &line[..line.find('\n').unwrap_or(line.len())];
        let mut units = 0;
        for (at, c) in line.char_indices() {
            let next = units + self.encoding.width(c);
            if next > position.character as usize {
                return start + at;
            }
            units = next;
        }
        start + line.len()
    }

    /// The byte span of a range, start and end in order.
    pub fn span(&self, range: Range) -> Span {
        let (a, b) = (self.offset(range.start), self.offset(range.end));
        Span::new(a.min(b), a.max(b))
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a\ndata = \"é🦀\" x\n";

    #[test]
    fn utf16_counts_code_units_and_utf8_bytes() {
        let x = TEXT.rfind('x').expect("x");
        assert_eq!(
            LineMap::new(TEXT, Encoding::Utf16).position(x),
            Position::new(1, 13)
        );
        assert_eq!(
            LineMap::new(TEXT, Encoding::Utf8).position(x),
            Position::new(1, 16)
        );
    }

    #[test]
    fn offsets_and_positions_round_trip() {
        for encoding in [Encoding::Utf8, Encoding::Utf16] {
            let map = LineMap::new(TEXT, encoding);
            for (offset, _) in TEXT.char_indices() {
                assert_eq!(map.offset(map.position(offset)), offset);
            }
        }
    }

    #[test]
    fn positions_out_of_range_clamp() {
        let map = LineMap::new(TEXT, Encoding::Utf16);
        assert_eq!(map.offset(Position::new(9, 0)), TEXT.len());
        assert_eq!(map.offset(Position::new(0, 99)), 1);
        // Inside the surrogate pair of the crab: the crab's start.
        let crab = TEXT.find('🦀').expect("crab");
        assert_eq!(map.offset(Position::new(1, 10)), crab);
    }
}
