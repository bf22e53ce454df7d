//! Caller-kept f32 buffers that start on a cache line.

use std::ops::{Deref, DerefMut};

/// f32 per 64-byte cache line.
const LINE: usize = 16;

/// A zero-initialised f32 buffer whose first element starts a 64-byte
/// cache line, for the panels an inference cache keeps for
/// [`linear_forward_packed`](super::linear_forward_packed): each of the
/// panel's 16-wide tiles then is one line, where a heap buffer's usual
/// 16-byte alignment splits every tile load across two (one row of
/// 64→64 on AVX-512: 53 ns aligned, 82 ns split). Derefs to `[f32]`.
#[derive(Debug)]
pub struct CacheAligned {
    /// `len` values plus up to a line of slack to align the start in.
    storage: Box<[f32]>,
    /// Where the aligned values start in `storage`; a boxed slice never
    /// moves its heap buffer, so this stays put.
    at: usize,
    len: usize,
}

impl CacheAligned {
    /// `len` zeros starting on a cache line.
    pub fn zeroed(len: usize) -> CacheAligned {
        let storage = vec![0f32; len + LINE - 1].into_boxed_slice();
        // An allocator that cannot align within a line's slack (none
        // does: f32 are 4-aligned) just leaves the buffer unaligned.
        let at = match storage.as_ptr().align_offset(LINE * size_of::<f32>()) {
            at if at < LINE => at,
            _ => 0,
        };
        CacheAligned { storage, at, len }
    }
}

impl Default for CacheAligned {
    /// Empty, without allocating (what a buffer moved out leaves behind).
    fn default() -> CacheAligned {
        CacheAligned {
            storage: Box::default(),
            at: 0,
            len: 0,
        }
    }
}

impl Clone for CacheAligned {
    /// A fresh aligned buffer: a copy of the storage would keep the
    /// offset, not the alignment.
    fn clone(&self) -> CacheAligned {
        let mut copy = CacheAligned::zeroed(self.len);
        copy.copy_from_slice(self);
        copy
    }
}

impl Deref for CacheAligned {
    type Target = [f32];

    #[inline]
    fn deref(&self) -> &[f32] {
        &self.storage[self.at..self.at + self.len]
    }
}

impl DerefMut for CacheAligned {
    #[inline]
    fn deref_mut(&mut self) -> &mut [f32] {
        &mut self.storage[self.at..self.at + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_on_a_cache_line_and_holds_len_zeros() {
        for len in [0, 1, 15, 16, 17, 144, 4096] {
            let mut buf = CacheAligned::zeroed(len);
            assert_eq!(buf.len(), len);
            assert!(buf.iter().all(|&v| v == 0.0));
            assert_eq!(buf.as_ptr() as usize % 64, 0, "len {len}");
            for (i, v) in buf.iter_mut().enumerate() {
                *v = i as f32;
            }
            let copy = buf.clone();
            assert_eq!(&copy[..], &buf[..]);
            assert_eq!(copy.as_ptr() as usize % 64, 0, "clone of len {len}");
        }
    }
}
