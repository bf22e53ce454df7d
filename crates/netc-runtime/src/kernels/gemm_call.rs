//! The large products, through the `gemm` crate (single-threaded: netc
//! splits an op over its own pool, see `crate::parallel`).

use gemm::Parallelism;

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
    // Hard checks: gemm gets raw pointers.
    assert!(a.covers(m, k), "gemm: A is shorter than m × k");
    assert!(b.covers(k, n), "gemm: B is shorter than k × n");
    assert!(out.len() >= m * n, "gemm: out is shorter than m × n");
    // SAFETY: the checks above give every pointer/stride pair the extent
    // gemm reads or writes: A's element (r, c) is a.data[r·rs + c·cs],
    // B's likewise, out's (r, c) is out[r·n + c]; `out` is a unique
    // borrow, so it aliases neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
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
