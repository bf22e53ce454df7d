//! The large products, through the `gemm` crate (single-threaded: netc
//! splits an op over its own pool, see `crate::parallel`).

use gemm_common::Parallelism;

use crate::parallel::{self, part_range};

use super::small_gemm::View;

/// `out (+)= a·b`: `out` is `m × n` row-major (rows of `n`), `a` is
/// `m × k`, `b` is `k × n`; with `accumulate` false, `out` is overwritten.
pub(crate) fn gemm_product(
    m: usize,
    n: usize,
    k: usize,
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    accumulate: bool,
) {
    check_operands(m, n, k, a, b, out);
    // SAFETY: `check_operands` gives A and B the extent gemm reads, and
    // `out` (a unique borrow, so aliasing neither input) holds the
    // `m × n` block at stride `n`.
    unsafe { gemm_raw(m, n, k, a, b, out.as_mut_ptr(), n, accumulate) }
}

/// [`gemm_product`] with `out`'s columns cut into `parts` ranges
/// starting on multiples of `align`, one per part on the current pool.
/// Each part packs only its columns of `b`, where a split by rows would
/// pack all of `b` in every part: the split for `m < n`. Every output is
/// the sum it is on one thread while each part stays on gemm's general
/// path (`gemm_general`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm_product_by_columns(
    m: usize,
    n: usize,
    k: usize,
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    accumulate: bool,
    parts: usize,
    align: usize,
) {
    check_operands(m, n, k, a, b, out);
    let out = SharedOut(out.as_mut_ptr());
    parallel::split(parts, &|p| {
        let columns = part_range(n, parts, p, align);
        if columns.is_empty() {
            return;
        }
        let b_part = View {
            data: &b.data[columns.start * b.cs..],
            ..b
        };
        // SAFETY: `check_operands` held for the whole product, so A, the
        // columns of B from `columns.start` (re-sliced above) and the
        // `m × columns.len()` block of `out` at column `columns.start`,
        // stride `n`, lie inside their buffers. The parts' column ranges
        // are disjoint, so no two parts write one element, and `out`
        // stays borrowed for the whole split.
        unsafe {
            let dst = out.ptr().add(columns.start);
            gemm_raw(m, columns.len(), k, a, b_part, dst, n, accumulate);
        }
    });
}

/// Hard checks before gemm gets raw pointers.
fn check_operands(m: usize, n: usize, k: usize, a: View<'_>, b: View<'_>, out: &[f32]) {
    assert!(a.covers(m, k), "gemm: A is shorter than m × k");
    assert!(b.covers(k, n), "gemm: B is shorter than k × n");
    assert!(out.len() >= m * n, "gemm: out is shorter than m × n");
}

/// The output of a product split by columns, written by every part.
struct SharedOut(*mut f32);

// SAFETY: the parts of `gemm_product_by_columns` write disjoint column
// ranges through the pointer while the split holds the unique borrow.
unsafe impl Sync for SharedOut {}

impl SharedOut {
    /// Through a method, so a closure captures the `Sync` wrapper rather
    /// than the pointer field.
    fn ptr(&self) -> *mut f32 {
        self.0
    }
}

/// One single-threaded gemm call (netc splits over its own pool).
///
/// # Safety
/// A's element (r, c) is `a.data[r·rs + c·cs]` and B's likewise, inside
/// their slices for `r, c` within `m × k` and `k × n`; `dst` points to an
/// `m × n` block with rows `dst_rs` apart that nothing else touches
/// during the call.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_raw(
    m: usize,
    n: usize,
    k: usize,
    a: View<'_>,
    b: View<'_>,
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
) {
    // gemm's micro-kernels hold a column of its output in their vector
    // lanes, so it is given the transposed product, `outᵀ = Bᵀ·Aᵀ`, whose
    // output is column-major: on a row-major output its AVX-512 kernels
    // ran 1.6–4× slower (wide's 256×2048×2048 forward: 38 → 17 ms).
    // Every output is the same chain of FMAs either way, bit for bit.
    // SAFETY: the caller's contract; the transposition reads the same
    // elements through swapped strides.
    unsafe {
        gemm_f32::gemm::f32::get_gemm_fn()(
            n,
            m,
            k,
            dst,
            dst_rs as isize,
            1,
            accumulate,
            b.data.as_ptr(),
            b.rs as isize,
            b.cs as isize,
            a.data.as_ptr(),
            a.rs as isize,
            a.cs as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            Parallelism::None,
        );
    }
}

/// Whether gemm runs an `m × n × k` product through its general blocked
/// path, where each output is the same sum whatever `m` and `n` are (the
/// reduction blocks depend on `k` only). Its other paths — tiny
/// products, matrix-vector, `k ≤ 2`, and `m, n ≤ 64` with another
/// reduction block — sum in other orders, so a product split into parts
/// keeps its bits only while the whole and every part stay on this path.
pub(crate) fn gemm_general(m: usize, n: usize, k: usize) -> bool {
    m > 1 && n > 1 && k > 2 && m * n > 256 && (m > 64 || n > 64)
}
