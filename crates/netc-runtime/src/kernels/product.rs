//! `out (+)= a·b` for strided operands, on the kernel its size calls
//! for: the blocked product from
//! [`BLOCKED_MIN_MACS`](super::linear::BLOCKED_MIN_MACS) on with a
//! reduction longer than [`SHORT_K`], below that the register-tiled
//! `small_gemm`, its reduction cut into `MAX_K` blocks that accumulate
//! in order; either split by rows of `out` over the pool, or the blocked
//! one by columns when that packs less (`columns`): each output is the
//! same sum in any part, so the bits do not depend on the thread count.
//!
//! conv2d's products are this shape-agnostic kind: a weight against
//! PyTorch's `unfold` columns, whose sides are whatever the geometry makes
//! them.

use super::columns;
use super::linear::use_blocked;
use super::small_gemm::{blocked_product, chained_blocks, nothing_to_multiply, View, ROW_ALIGN};
use crate::parallel::{self, MIN_MACS_PER_PART};
use crate::simd::{multiversion, Fma, Isa};

/// The longest reduction `small_gemm` keeps at any size: each output is
/// then a chain of a few dozen FMAs from registers, written once, where
/// the blocked product packs both operands (LeNet's first convolution,
/// `k = 25`, and its second one's patch gradients, `k = 16`: a training
/// step 1.5× faster in `netc-bench`, measured against the `gemm` crate
/// the blocked product replaced).
const SHORT_K: usize = 64;

/// The operands of `a·b`: `a` is `m × k`, `b` is `k × n` with a
/// contiguous axis.
#[derive(Clone, Copy)]
pub(crate) struct Operands<'a> {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a: View<'a>,
    pub b: View<'a>,
}

/// `out (+)= a·b` into the `m × n` row-major `out`; with `accumulate`
/// false `out` is overwritten.
pub(crate) fn product(isa: Isa, p: Operands<'_>, out: &mut [f32], accumulate: bool) {
    let Operands { m, n, k, a, b } = p;
    assert_eq!(out.len(), m * n, "product: out is not m × n");
    if nothing_to_multiply(m, n, k, out, accumulate) {
        return;
    }
    let blocked = use_blocked(m, k, n) && k > SHORT_K;
    let column_parts = if blocked { columns::parts(m, k, n) } else { 1 };
    if column_parts > 1 {
        columns::split(out, (m, n), column_parts, accumulate, &|c, block| {
            let b = b.skip_columns(c.start);
            blocked_product(isa, m, c.len(), k, a, b, block, accumulate);
        });
        return;
    }
    // Each output is one in-order FMA chain whichever rows a part gets,
    // so a split by rows keeps the bits.
    let parts = parallel::parts_for(m * n * k, MIN_MACS_PER_PART, m / ROW_ALIGN);
    parallel::row_parts(out, (m, n), parts, ROW_ALIGN, &|rows, out| {
        if rows.is_empty() {
            return;
        }
        let a = View {
            data: &a.data[rows.start * a.rs..],
            ..a
        };
        let p = Operands {
            m: rows.len(),
            a,
            ..p
        };
        if blocked {
            blocked_product(isa, p.m, n, k, p.a, b, out, accumulate);
        } else {
            small_product_with(isa, p, out, accumulate);
        }
    });
}

multiversion! {
    fn small_product_with(p: Operands<'_>, out: &mut [f32], accumulate: bool)
        => small_product_body;
}

#[inline(always)]
fn small_product_body<M: Fma>(p: Operands<'_>, out: &mut [f32], accumulate: bool) {
    let Operands { m, n, k, a, b } = p;
    chained_blocks::<M>(m, k, n, a, b, out, accumulate);
}
