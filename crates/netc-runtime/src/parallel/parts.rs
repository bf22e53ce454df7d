//! One output buffer cut into the disjoint parts of a split op.

use std::ops::Range;
use std::sync::Mutex;

/// The most parts (and threads) an op splits into.
pub const MAX_PARTS: usize = 64;

/// A mutable buffer cut into at most [`MAX_PARTS`] disjoint ranges, part
/// `p` handed to whichever thread runs part `p` ([`PartsMut::take`]).
/// Safe by construction: the ranges are split off one another, and each
/// part can be taken once.
pub struct PartsMut<'a> {
    slots: [Mutex<Option<&'a mut [f32]>>; MAX_PARTS],
}

impl<'a> PartsMut<'a> {
    /// Cuts `data` into `range(p)` for `p < parts`: ranges in order, each
    /// starting where the previous ended or later.
    pub fn new(data: &'a mut [f32], parts: usize, range: impl Fn(usize) -> Range<usize>) -> Self {
        assert!(parts <= MAX_PARTS, "parts: more than MAX_PARTS");
        let slots = std::array::from_fn(|_| Mutex::new(None));
        let mut rest = data;
        let mut offset = 0;
        for (part, slot) in slots.iter().enumerate().take(parts) {
            let Range { start, end } = range(part);
            let (_, tail) = std::mem::take(&mut rest).split_at_mut(start - offset);
            let (this, tail) = tail.split_at_mut(end - start);
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(this);
            rest = tail;
            offset = end;
        }
        PartsMut { slots }
    }

    /// Part `part`'s range of the buffer; panics when it was taken
    /// already.
    pub fn take(&self, part: usize) -> &'a mut [f32] {
        self.slots[part]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .expect("parts: a part is taken once")
    }
}

/// `range` of units of `width` elements, as a range of elements.
pub fn scaled(range: Range<usize>, width: usize) -> Range<usize> {
    range.start * width..range.end * width
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_the_ranges_asked_for() {
        let mut data: Vec<f32> = (0..10).map(|v| v as f32).collect();
        let ranges = [0..3, 3..3, 5..10];
        let parts = PartsMut::new(&mut data, 3, |p| ranges[p].clone());
        assert_eq!(parts.take(0), &[0.0, 1.0, 2.0]);
        assert!(parts.take(1).is_empty());
        assert_eq!(parts.take(2), &[5.0, 6.0, 7.0, 8.0, 9.0]);
    }

    #[test]
    #[should_panic(expected = "taken once")]
    fn a_part_is_taken_once() {
        let mut data = [0f32; 4];
        let parts = PartsMut::new(&mut data, 2, |p| p * 2..p * 2 + 2);
        let _ = parts.take(1);
        let _ = parts.take(1);
    }
}
