//! Intra-op parallelism that cannot change a result.
//!
//! A large op is cut into parts so that every output element is computed
//! by exactly one thread, by the same arithmetic in the same order as on
//! one thread (a linear layer by rows or columns of its output and by
//! rows of `dW`, an elementwise op or an optimizer update by chunks):
//! the bits are the same for any thread count, by construction. Ops
//! under a work threshold ([`parts_for`]) stay on the calling thread, so
//! tiny layers never pay for a wake-up.
//!
//! The step driver owns the pool (one per network, in [`Threads`]) and
//! makes it current for the ops of a step or a prediction ([`install`]);
//! an op asks for it with [`split`]. Ops run outside the driver (tests,
//! benchmarks calling a kernel) run on one thread.

mod parts;
mod pool;
mod threads;

use std::cell::RefCell;
use std::ops::Range;

pub use parts::{scaled, PartsMut, MAX_PARTS};
pub use pool::Pool;
pub use threads::{default_threads, env_threads, Threads, THREADS_ENV};

/// Multiply-adds below which a part is not worth a wake-up: several
/// microseconds of products, against one or two to hand a part to a
/// spinning worker (more on a loaded machine). The deep workload's 64×64
/// layers on 64 rows stay on one thread: split, they measured slower.
pub const MIN_MACS_PER_PART: usize = 512 * 1024;
/// Elements below which a part of an elementwise op or an optimizer
/// update is not worth a wake-up.
pub const MIN_ELEMENTS_PER_PART: usize = 16 * 1024;
/// Elementwise parts start on multiples of this many elements: whole
/// vectors and whole cache lines, so no part starts inside another's
/// vector and no two threads write one cache line.
pub const ELEMENT_ALIGN: usize = 64;

thread_local! {
    /// The pool the ops on this thread may use, while [`install`]ed.
    static CURRENT: RefCell<Option<Box<Pool>>> = const { RefCell::new(None) };
}

/// Puts the previous pool back when dropped (a panic included), and the
/// installed one back where it came from.
struct Installed<'a> {
    current: &'a RefCell<Option<Box<Pool>>>,
    previous: Option<Box<Pool>>,
    home: &'a mut Option<Box<Pool>>,
}

impl Drop for Installed<'_> {
    #[inline]
    fn drop(&mut self) {
        *self.home = self.current.replace(self.previous.take());
    }
}

/// Runs `f` with `pool` as the pool the ops it runs split over (none:
/// every op on this thread). The pool is moved in for the call and back
/// into `pool` after it, never shared, and the thread-local is looked up
/// once: a single-row prediction is a hundred nanoseconds, and each
/// reference count or lookup showed in it.
pub fn install<R>(pool: &mut Option<Box<Pool>>, f: impl FnOnce() -> R) -> R {
    CURRENT.with(|current| {
        // One thread asked for and none current: nothing to swap.
        if pool.is_none() && current.borrow().is_none() {
            return f();
        }
        let previous = current.replace(pool.take());
        let _restore = Installed {
            current,
            previous,
            home: pool,
        };
        f()
    })
}

/// How many parts `work` units merit at `min_per_part` units each, at
/// most `max_parts`, on the current pool (1 without one).
#[inline]
pub fn parts_for(work: usize, min_per_part: usize, max_parts: usize) -> usize {
    // Most ops of a small network: one part, decided without the
    // thread-local lookup.
    if max_parts < 2 || work / min_per_part.max(1) < 2 {
        return 1;
    }
    let threads = CURRENT.with(|current| current.borrow().as_ref().map_or(1, |p| p.threads()));
    threads
        .min(max_parts)
        .min(work / min_per_part.max(1))
        .max(1)
}

/// Runs `job(part)` for every `part < parts` on the current pool (on this
/// thread without one, or for a single part). `parts` comes from
/// [`parts_for`].
pub fn split(parts: usize, job: &(dyn Fn(usize) + Sync)) {
    if parts <= 1 {
        job(0);
        return;
    }
    CURRENT.with(|current| match current.borrow().as_ref() {
        Some(pool) if parts <= pool.threads() => pool.run(parts, job),
        _ => (0..parts).for_each(job),
    });
}

/// Runs `f(elements, out_part)` over `out` (rows of `width`) cut into
/// parts of whole rows, over the current pool when the op is large
/// enough: for ops with one output whose rows are computed on their own
/// (elementwise ops, and those that reduce within a row). `elements` is
/// the part's range of `out`, for the inputs of the same shape. Parts
/// start on multiples of [`ELEMENT_ALIGN`] elements where the width
/// allows.
#[inline]
pub fn by_rows<F: Fn(Range<usize>, &mut [f32]) + Sync>(out: &mut [f32], width: usize, f: &F) {
    // A small op (most of a small network's) calls `f` inline, without
    // going through the split's dynamic call.
    if out.len() < 2 * MIN_ELEMENTS_PER_PART {
        f(0..out.len(), out);
        return;
    }
    split_rows(out, width, f);
}

/// `dst.copy_from_slice(src)` in chunks over the current pool: a batch
/// loaded into a network's input (mnist's 400 KB on one core was a
/// serial stretch of every two-thread step).
pub fn copy(dst: &mut [f32], src: &[f32]) {
    assert_eq!(dst.len(), src.len(), "parallel::copy: lengths differ");
    by_rows(dst, 1, &|elements, part| {
        part.copy_from_slice(&src[elements])
    });
}

/// [`by_rows`] for an op large enough to split.
fn split_rows(out: &mut [f32], width: usize, f: &(dyn Fn(Range<usize>, &mut [f32]) + Sync)) {
    let width = width.max(1);
    let rows = out.len() / width;
    let row_align = ELEMENT_ALIGN / gcd(width, ELEMENT_ALIGN);
    let parts = parts_for(out.len(), MIN_ELEMENTS_PER_PART, rows / row_align);
    if parts == 1 {
        f(0..out.len(), out);
        return;
    }
    row_parts(out, (rows, width), parts, row_align, &|rows, out| {
        f(scaled(rows, width), out)
    });
}

/// Runs `f(rows, out_part)` for `parts` parts over the current pool:
/// `out`, `rows` rows of `width`, cut into row ranges whose starts are
/// multiples of `align` rows ([`part_range`]). One part is called
/// inline, without the split's dynamic call.
#[inline]
pub fn row_parts<F: Fn(Range<usize>, &mut [f32]) + Sync>(
    out: &mut [f32],
    (rows, width): (usize, usize),
    parts: usize,
    align: usize,
    f: &F,
) {
    if parts <= 1 {
        f(0..rows, out);
        return;
    }
    let range = |p| part_range(rows, parts, p, align);
    let outs = PartsMut::new(out, parts, |p| scaled(range(p), width));
    split(parts, &|p| f(range(p), outs.take(p)));
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Part `part` of `0..len` cut into `parts` ranges whose starts are
/// multiples of `align`: the `align`-sized units shared out as evenly as
/// whole units allow (the last range ends at `len`). No range is empty
/// while `parts` is at most the number of units, as a count from
/// `parts_for` capped at `len / align` is; a split that cuts two ranges
/// into the same parts (the linear backward's rows of `dx` and of `dW`)
/// may leave some empty in the shorter, and its part takes them.
pub fn part_range(len: usize, parts: usize, part: usize, align: usize) -> Range<usize> {
    let align = align.max(1);
    let units = len.div_ceil(align);
    let parts = parts.max(1);
    let start = (part * units / parts * align).min(len);
    let end = ((part + 1) * units / parts * align).min(len);
    start..end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_ranges_tile_the_whole_range_on_aligned_starts() {
        for len in [0usize, 1, 63, 64, 65, 769, 1000, 4097] {
            for parts in 1..=8 {
                for align in [1, 8, 16, 64] {
                    let what = format!("len {len} parts {parts} align {align}");
                    let units = len.div_ceil(align);
                    let mut next = 0;
                    let mut sizes = Vec::new();
                    for part in 0..parts {
                        let range = part_range(len, parts, part, align);
                        assert_eq!(range.start, next, "{what}");
                        assert!(range.start.is_multiple_of(align) || range.start == len);
                        // 769 outputs in 16s over 8 parts once left the
                        // last part empty, and a kernel's empty part panicked.
                        assert!(parts > units || !range.is_empty(), "{what}: part {part}");
                        sizes.push(range.len().div_ceil(align));
                        next = range.end;
                    }
                    assert_eq!(next, len);
                    let (least, most) = (sizes.iter().min(), sizes.iter().max());
                    assert!(most.unwrap() - least.unwrap() <= 1, "{what}: {sizes:?}");
                }
            }
        }
    }

    #[test]
    fn parts_follow_the_installed_pool_and_the_work() {
        assert_eq!(parts_for(1 << 30, 1, 8), 1, "no pool: one part");
        install(&mut Some(Box::new(Pool::new(3))), || {
            assert_eq!(parts_for(1 << 30, 1, 8), 3);
            assert_eq!(parts_for(1 << 30, 1, 2), 2);
            assert_eq!(parts_for(10, 4, 8), 2);
            assert_eq!(parts_for(3, 4, 8), 1);
        });
        assert_eq!(parts_for(1 << 30, 1, 8), 1, "uninstalled again");
    }

    #[test]
    fn install_hands_the_pool_back_even_after_a_panic() {
        let mut pool = Some(Box::new(Pool::new(2)));
        install(&mut pool, || assert_eq!(parts_for(1 << 30, 1, 8), 2));
        assert!(pool.is_some(), "back home after the call");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            install(&mut pool, || panic!("an op failed"))
        }));
        assert!(panicked.is_err());
        assert!(pool.is_some(), "back home after a panic");
        assert_eq!(parts_for(1 << 30, 1, 8), 1, "and uninstalled");
    }

    #[test]
    fn copy_copies_every_element_over_the_pool() {
        let src: Vec<f32> = (0..5 * MIN_ELEMENTS_PER_PART + 7)
            .map(|v| v as f32)
            .collect();
        let mut dst = vec![0f32; src.len()];
        install(&mut Some(Box::new(Pool::new(3))), || copy(&mut dst, &src));
        assert_eq!(dst, src);
    }

    #[test]
    fn by_rows_hands_out_whole_aligned_rows() {
        let mut out = vec![0f32; 10 * MIN_ELEMENTS_PER_PART];
        install(&mut Some(Box::new(Pool::new(4))), || {
            by_rows(&mut out, 10, &|elements, part| {
                assert_eq!(elements.len(), part.len());
                assert_eq!(elements.start % 320, 0, "whole rows, 64-aligned");
                for (i, v) in elements.zip(part.iter_mut()) {
                    *v = i as f32;
                }
            });
        });
        assert!(out.iter().enumerate().all(|(i, &v)| v == i as f32));
    }
}
