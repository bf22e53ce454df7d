//! The large products, through the `gemm` crate (single-threaded: netc
//! splits an op over its own pool, see `crate::parallel`).

use std::cell::RefCell;

use gemm_common::Parallelism;

use crate::parallel::{self, part_range};
use crate::simd::Isa;

use super::grown;
use super::small_gemm::View;
use super::transpose::transpose;

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
    let direct = direct_pays(m, n, k, a, b);
    oriented(direct, m, n, k, a, b, out, accumulate);
}

/// Whether an `m × n × k` product runs faster given to gemm as it is,
/// through a column-major copy of `out`, than transposed (see
/// [`gemm_raw`]). gemm's left operand must be copied column-major unless
/// it is already: transposed, that operand is Bᵀ, copied unless B's rows
/// are contiguous; as it is, it is A, copied unless A's columns are, and
/// `out` is transposed into and out of the copy in blocks. The counts
/// were set while gemm still gathered that operand itself: a linear
/// forward (B = Wᵀ) gathered all of W transposed, and wide's 256 × 2048 ×
/// 2048 ran at 134 GFLOP/s that way, 219 as it is. The factor 2 leaves
/// products whose counts are close on the transposed call, which measured
/// as fast before the copies (wide's 784 → 2048 forward: 4.3 ms
/// transposed, 4.2 ms as it is); with the lhs copied, a factor of 1 was
/// no faster on any workload.
pub(crate) fn direct_pays(m: usize, n: usize, k: usize, a: View<'_>, b: View<'_>) -> bool {
    let copied = |operand: View<'_>, elements: usize| if operand.cs == 1 { 0 } else { elements };
    let transposed = copied(b, k * n);
    let direct = copied(a.t(), m * k) + 2 * m * n;
    2 * direct < transposed
}

thread_local! {
    /// [`oriented`]'s column-major copy of `out`: grown to the largest a
    /// thread has seen, then reused, so a step allocates nothing for it.
    static OUT_COLUMNS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
    /// [`gemm_raw`]'s column-major copy of a row-major lhs, likewise.
    static LHS_COLUMNS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// [`gemm_product`] given to gemm transposed (see [`gemm_raw`]), or, with
/// `direct`, as it is into a column-major copy of `out` (its columns in a
/// row each), transposed back after. Every output is the same chain of
/// FMAs onto the same starting value either way, so the bits are too.
#[allow(clippy::too_many_arguments)]
fn oriented(
    direct: bool,
    m: usize,
    n: usize,
    k: usize,
    a: View<'_>,
    b: View<'_>,
    out: &mut [f32],
    accumulate: bool,
) {
    if !direct {
        // SAFETY: `check_operands` (in `gemm_product`) gives A and B the
        // extent gemm reads, and `out` (a unique borrow, so aliasing
        // neither input) holds the `m × n` block at stride `n`.
        unsafe { gemm_rows(m, n, k, a, b, out.as_mut_ptr(), n, accumulate) };
        return;
    }
    let isa = Isa::detect();
    OUT_COLUMNS.with(|copy| {
        let mut copy = copy.borrow_mut();
        let columns = grown(&mut copy, m * n);
        if accumulate {
            transpose(isa, out, n, m, n, columns);
        }
        // SAFETY: `check_operands` (in `gemm_product`) gives A and B the
        // extent gemm reads; `columns` is a unique `m × n` block, column
        // `j` at `j·m`.
        unsafe { gemm_raw(m, n, k, a, b, columns.as_mut_ptr(), m, accumulate) };
        transpose(isa, columns, m, n, m, out);
    });
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
            gemm_rows(m, columns.len(), k, a, b_part, dst, n, accumulate);
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

/// `dst (+)= a·b` into a row-major `m × n` block with rows `dst_rs`
/// apart, given to gemm transposed (`dstᵀ = Bᵀ·Aᵀ`, column-major; see
/// [`gemm_raw`]): the same chain of FMAs per output.
///
/// # Safety
/// As [`gemm_raw`]'s, for A (`m × k`), B (`k × n`) and `dst` with rows
/// `dst_rs` apart.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_rows(
    m: usize,
    n: usize,
    k: usize,
    a: View<'_>,
    b: View<'_>,
    dst: *mut f32,
    dst_rs: usize,
    accumulate: bool,
) {
    // SAFETY: the caller's contract, read through swapped strides.
    unsafe { gemm_raw(n, m, k, b.t(), a.t(), dst, dst_rs, accumulate) }
}

/// One single-threaded gemm call (netc splits over its own pool): `dst
/// (+)= lhs·rhs` with `dst` column-major. gemm's micro-kernels hold a
/// column of the output in their vector lanes; on a row-major output its
/// AVX-512 kernels ran 1.6–4× slower, so a row-major product reaches it
/// transposed ([`gemm_rows`]). A row-major lhs is first copied
/// column-major, 16 × 16 blocks at a time through the registers: gemm's
/// packing gathers such an lhs one element at a time, 12% of mnist's
/// two-thread step, and a contiguous one it copies by vectors (or reads
/// in place). The packed panels, hence the bits, are the same.
///
/// # Safety
/// The lhs's element (r, c) is `lhs.data[r·rs + c·cs]` and the rhs's
/// likewise, inside their slices for `r, c` within `m × k` and `k × n`;
/// `dst` points to an `m × n` block with columns `dst_cs` apart that
/// nothing else touches during the call.
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_raw(
    m: usize,
    n: usize,
    k: usize,
    lhs: View<'_>,
    rhs: View<'_>,
    dst: *mut f32,
    dst_cs: usize,
    accumulate: bool,
) {
    if lhs.rs != 1 && lhs.cs == 1 {
        LHS_COLUMNS.with(|copy| {
            let mut copy = copy.borrow_mut();
            let columns = grown(&mut copy, m * k);
            transpose(Isa::detect(), lhs.data, lhs.rs, m, k, columns);
            let lhs = View::columns(columns, m);
            // SAFETY: the caller's contract for rhs and dst; the copy
            // holds the whole `m × k` lhs, column `c` at `c·m` (so this
            // call goes straight to gemm).
            unsafe { gemm_raw(m, n, k, lhs, rhs, dst, dst_cs, accumulate) };
        });
        return;
    }
    // SAFETY: the caller's contract.
    unsafe {
        gemm_f32::gemm::f32::get_gemm_fn()(
            m,
            n,
            k,
            dst,
            dst_cs as isize,
            1,
            accumulate,
            lhs.data.as_ptr(),
            lhs.cs as isize,
            lhs.rs as isize,
            rhs.data.as_ptr(),
            rhs.cs as isize,
            rhs.rs as isize,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Both ways of giving gemm a product, on every operand layout, onto
    /// zeros and onto a start: the same bits, and the product within
    /// rounding of an f64 reference.
    #[test]
    fn direct_and_transposed_products_agree_bit_for_bit() {
        for (m, n, k) in [(65, 70, 3), (256, 96, 200), (100, 300, 17), (130, 65, 600)] {
            let a_data: Vec<f32> = (0..m * k)
                .map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 1.3e-3)
                .collect();
            let b_data: Vec<f32> = (0..k * n)
                .map(|i| ((i * 104729 % 1000) as f32 - 500.0) * 2.1e-3)
                .collect();
            let start: Vec<f32> = (0..m * n).map(|i| (i % 17) as f32 * 0.25).collect();
            for a in [View::rows(&a_data, k), View::columns(&a_data, m)] {
                for b in [View::rows(&b_data, n), View::columns(&b_data, k)] {
                    for accumulate in [false, true] {
                        let mut by_direct = start.clone();
                        let mut by_transposed = start.clone();
                        oriented(true, m, n, k, a, b, &mut by_direct, accumulate);
                        oriented(false, m, n, k, a, b, &mut by_transposed, accumulate);
                        let what = format!("{m}×{n}×{k}, accumulate {accumulate}");
                        for (i, (d, t)) in by_direct.iter().zip(&by_transposed).enumerate() {
                            assert_eq!(d.to_bits(), t.to_bits(), "{what}: element {i}");
                            let (r, c) = (i / n, i % n);
                            let base = if accumulate { f64::from(start[i]) } else { 0.0 };
                            let exact = (0..k).fold(base, |s, p| {
                                s + f64::from(a.data[r * a.rs + p * a.cs])
                                    * f64::from(b.data[p * b.rs + c * b.cs])
                            });
                            assert!(
                                (f64::from(*d) - exact).abs() < 1e-4 * (1.0 + exact.abs()),
                                "{what}: element {i}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// A row-major lhs reaches gemm through its column-major copy: the
    /// bits of the same values handed to gemm column-major.
    #[test]
    fn a_row_major_lhs_through_its_copy_keeps_gemms_bits() {
        for (m, n, k) in [(17, 5, 3), (64, 96, 200), (130, 65, 600), (256, 10, 33)] {
            let value =
                |r: usize, c: usize| ((r * 7919 + c * 104729) % 1000) as f32 * 1.3e-3 - 0.65;
            let rows: Vec<f32> = (0..m * k).map(|i| value(i / k, i % k)).collect();
            let columns: Vec<f32> = (0..m * k).map(|i| value(i % m, i / m)).collect();
            let rhs_data: Vec<f32> = (0..k * n)
                .map(|i| ((i * 104729 % 1000) as f32 - 500.0) * 2.1e-3)
                .collect();
            let rhs = View::rows(&rhs_data, n);
            let start: Vec<f32> = (0..m * n).map(|i| (i % 13) as f32 * 0.5).collect();
            for accumulate in [false, true] {
                let (mut copied, mut given) = (start.clone(), start.clone());
                let (row_major, column_major) = (View::rows(&rows, k), View::columns(&columns, m));
                // SAFETY: both lhs views are whole `m × k` matrices and the
                // rhs a whole `k × n` one; each `dst` is a unique `m × n`
                // column-major block.
                unsafe {
                    gemm_raw(m, n, k, row_major, rhs, copied.as_mut_ptr(), m, accumulate);
                    gemm_raw(
                        m,
                        n,
                        k,
                        column_major,
                        rhs,
                        given.as_mut_ptr(),
                        m,
                        accumulate,
                    );
                }
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&copied), bits(&given), "{m}×{n}×{k}");
            }
        }
    }

    #[test]
    fn a_forward_of_a_wide_layer_is_given_as_it_is_and_a_gradient_transposed() {
        let (x, w) = (vec![0f32; 4], vec![0f32; 4]);
        let x = View::rows(&x, 2048);
        let pays = |n: usize, w: View<'_>| direct_pays(256, n, 2048, x, w);
        // y = x·Wᵀ: gathering W transposed costs more than copying y.
        assert!(pays(2048, View::columns(&w, 2048)));
        // dx = dy·W: W's rows are contiguous, nothing to gather.
        assert!(!pays(2048, View::rows(&w, 2048)));
        // A narrow output: its copy costs more than the gathered W.
        assert!(!pays(10, View::columns(&w, 2048)));
    }
}
