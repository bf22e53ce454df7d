//! Run-time choice of instruction set for the numeric kernels.
//!
//! Every kernel body is written once as an `#[inline(always)]` function
//! generic over [`Fma`]; the crate-private `multiversion!` macro compiles
//! it three times — inside an AVX-512 and an AVX2+FMA `#[target_feature]`
//! wrapper, where LLVM vectorises it for that ISA, and as the portable
//! scalar fallback — and picks one per call. The detection runs once and
//! is cached; [`ISA_ENV`] overrides it for a whole process.

mod isa;
pub mod math;
pub mod peak;
mod tile;
pub(crate) mod transpose;

pub use isa::{Isa, ISA_ENV};
pub(crate) use tile::HALF_LANES;

/// How a kernel body spells `a·b + c`, and the ISA it is compiled for.
///
/// rustc never contracts `a*b + c` into an FMA on its own, and `mul_add`
/// outside an FMA-enabled function is a software `fmaf` call per element;
/// so the FMA paths use [`Fused`] and the scalar path [`Unfused`].
///
/// Inside the x86 wrappers the type is an ISA marker (crate-private) that
/// also overrides the kernels LLVM cannot vectorise from portable code.
pub trait Fma: Copy {
    fn mul_add(a: f32, b: f32, c: f32) -> f32;
    fn mul_add64(a: f64, b: f64, c: f64) -> f64;

    /// Whether [`Fma::mul_add`] rounds once: what makes an FMA's residual
    /// exact (see [`math::FixedDivisor`]).
    const FUSED: bool = true;

    /// Rows of A `small_gemm` carries at once (8 or 6): as many
    /// independent FMA chains as the register file holds.
    const GEMM_ROWS: usize = 8;

    /// Whether masked vector loads and stores cost about what plain ones
    /// do (AVX-512), so that a loop over a slice shorter than the vector
    /// width × interleave LLVM picks is best written as one [`LANES`]-wide
    /// pass whose lanes past the end load and store nothing. Elsewhere the
    /// guarded lanes cost more than LLVM's own remainder: AVX2's
    /// `vmaskmovps` store is slow on AMD, and the portable path has no
    /// masks at all.
    const CHEAP_MASKS: bool = false;

    /// Whether a transposing pack into a panel that lives past L1
    /// prefetches the panel's lines ahead of its writes
    /// ([`prefetch_lines`]). AVX-512's 16×16 transposes otherwise wait on
    /// the lines their stores bring in (mnist's 784→512 forward 5% faster
    /// with it); AVX2's are bound by their shuffles, and gained nothing.
    const PREFETCH_PANELS: bool = false;

    /// `dst[c·LANES + r] = src[r·stride + c]` for `r, c <` [`LANES`].
    /// Panics unless `src` holds `15·stride + 16` values and `dst` holds
    /// `LANES²`.
    #[inline(always)]
    fn transpose_block(src: &[f32], stride: usize, dst: &mut [f32]) {
        transpose::portable(src, stride, dst)
    }

    /// `acc[l] = s·tile[l] + acc[l]` (one rounding per lane on the FMA
    /// paths).
    #[inline(always)]
    fn fma_tile(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        tile::portable::<Self>(s, tile, acc)
    }

    /// [`Fma::fma_tile`] over the low [`HALF_LANES`] lanes, the others
    /// left as they are: half the FMAs for a tile whose real lanes fit.
    #[inline(always)]
    fn fma_half_tile(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        tile::portable_half::<Self>(s, tile, acc)
    }

    /// `a[l]·b[l] + c[l]` in every lane (one rounding on the FMA paths).
    #[inline(always)]
    fn mul_add_tiles(a: &[f32; LANES], b: &[f32; LANES], c: &[f32; LANES]) -> [f32; LANES] {
        tile::portable_lanes::<Self>(a, b, c)
    }
}

/// A single rounding: only used inside FMA-enabled wrappers.
#[derive(Debug, Clone, Copy)]
pub struct Fused;

/// Multiply then add: the portable fallback.
#[derive(Debug, Clone, Copy)]
pub struct Unfused;

impl Fma for Fused {
    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a.mul_add(b, c)
    }
    #[inline(always)]
    fn mul_add64(a: f64, b: f64, c: f64) -> f64 {
        a.mul_add(b, c)
    }
}

impl Fma for Unfused {
    const FUSED: bool = false;

    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        a * b + c
    }
    #[inline(always)]
    fn mul_add64(a: f64, b: f64, c: f64) -> f64 {
        a * b + c
    }
}

/// [`Fused`] inside the AVX-512 wrappers of `multiversion!`.
/// Crate-private: only those wrappers, which run after [`Isa::usable`]
/// saw the CPU's AVX-512 support, instantiate a body with it, which is
/// what makes its intrinsics sound.
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub(crate) struct FusedAvx512;

/// [`Fused`] inside the AVX2+FMA wrappers, as [`FusedAvx512`].
#[cfg(target_arch = "x86_64")]
#[derive(Debug, Clone, Copy)]
pub(crate) struct FusedAvx2;

#[cfg(target_arch = "x86_64")]
impl Fma for FusedAvx512 {
    const CHEAP_MASKS: bool = true;
    const PREFETCH_PANELS: bool = true;

    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        Fused::mul_add(a, b, c)
    }
    #[inline(always)]
    fn mul_add64(a: f64, b: f64, c: f64) -> f64 {
        Fused::mul_add64(a, b, c)
    }
    #[inline(always)]
    fn transpose_block(src: &[f32], stride: usize, dst: &mut [f32]) {
        // SAFETY: this type is only instantiated inside the AVX-512
        // wrappers, entered after the CPU reported avx512f.
        unsafe { transpose::avx512(src, stride, dst) }
    }
    #[inline(always)]
    fn fma_tile(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        // SAFETY: as for `transpose_block`.
        unsafe { tile::avx512(s, tile, acc) }
    }
    #[inline(always)]
    fn fma_half_tile(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        // SAFETY: as for `transpose_block` (AVX-512F CPUs have AVX2 and
        // FMA, which this path's wrappers enable too).
        unsafe { tile::ymm_half(s, tile, acc) }
    }
    #[inline(always)]
    fn mul_add_tiles(a: &[f32; LANES], b: &[f32; LANES], c: &[f32; LANES]) -> [f32; LANES] {
        // SAFETY: as for `transpose_block`.
        unsafe { tile::avx512_lanes(a, b, c) }
    }
}

#[cfg(target_arch = "x86_64")]
impl Fma for FusedAvx2 {
    // 6 rows × 2 ymm accumulators, 2 for the tile and a broadcast fit the
    // 16 ymm registers; 8 rows spill accumulators in the inner loop.
    const GEMM_ROWS: usize = 6;

    #[inline(always)]
    fn mul_add(a: f32, b: f32, c: f32) -> f32 {
        Fused::mul_add(a, b, c)
    }
    #[inline(always)]
    fn mul_add64(a: f64, b: f64, c: f64) -> f64 {
        Fused::mul_add64(a, b, c)
    }
    #[inline(always)]
    fn transpose_block(src: &[f32], stride: usize, dst: &mut [f32]) {
        // SAFETY: this type is only instantiated inside the AVX2+FMA
        // wrappers, entered after the CPU reported avx2 and fma.
        unsafe { transpose::avx2(src, stride, dst) }
    }
    #[inline(always)]
    fn fma_tile(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        // SAFETY: as for `transpose_block`.
        unsafe { tile::avx2(s, tile, acc) }
    }
    #[inline(always)]
    fn fma_half_tile(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        // SAFETY: as for `transpose_block`.
        unsafe { tile::ymm_half(s, tile, acc) }
    }
    #[inline(always)]
    fn mul_add_tiles(a: &[f32; LANES], b: &[f32; LANES], c: &[f32; LANES]) -> [f32; LANES] {
        // SAFETY: as for `transpose_block`.
        unsafe { tile::avx2_lanes(a, b, c) }
    }
}

/// Defines `$name(isa, args..)` running the generic body `$body::<M>` on
/// the best path `isa` allows on this CPU. Optional type parameters (the
/// [`Dim`](crate::dim::Dim) widths of a kernel) carry through to the
/// per-ISA functions, so a constant width is a constant inside the
/// `#[target_feature]` function the body is inlined into.
macro_rules! multiversion {
    (
        $(#[$attr:meta])* $vis:vis fn $name:ident $(<$($g:ident : $bound:path),+>)?
        ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? => $body:ident;
    ) => {
        $(#[$attr])*
        #[allow(clippy::too_many_arguments)]
        #[inline]
        $vis fn $name $(<$($g: $bound),+>)? (isa: $crate::simd::Isa, $($arg: $ty),*) $(-> $ret)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn avx512 $(<$($g: $bound),+>)? ($($arg: $ty),*) $(-> $ret)? {
                    $body::<$crate::simd::FusedAvx512>($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                fn avx2 $(<$($g: $bound),+>)? ($($arg: $ty),*) $(-> $ret)? {
                    $body::<$crate::simd::FusedAvx2>($($arg),*)
                }
                match isa.usable() {
                    // SAFETY: `usable` yields Avx512 only after the CPU
                    // reported avx512f/vl/bw/dq, avx2 and fma.
                    $crate::simd::Isa::Avx512 => return unsafe { avx512 $(::<$($g),+>)? ($($arg),*) },
                    // SAFETY: `usable` yields Avx2Fma only after the CPU
                    // reported avx2 and fma.
                    $crate::simd::Isa::Avx2Fma => return unsafe { avx2 $(::<$($g),+>)? ($($arg),*) },
                    $crate::simd::Isa::Scalar => {}
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            let _ = isa;
            $body::<$crate::simd::Unfused>($($arg),*)
        }
    };
}

pub(crate) use multiversion;

/// Lane count of the fixed partial sums: reductions over 16 independent
/// accumulators vectorise without reassociating (no fast-math needed).
pub(crate) const LANES: usize = 16;

/// Σ a[i]·b[i]: four chains of [`LANES`] partial sums (enough
/// independent FMAs to cover their latency), then one chain, then scalar.
#[inline(always)]
pub(crate) fn dot<M: Fma>(a: &[f32], b: &[f32]) -> f32 {
    const WIDE: usize = 4 * LANES;
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut wide = [0f32; WIDE];
    let main = n / WIDE * WIDE;
    for (ca, cb) in a[..main]
        .chunks_exact(WIDE)
        .zip(b[..main].chunks_exact(WIDE))
    {
        for l in 0..WIDE {
            wide[l] = M::mul_add(ca[l], cb[l], wide[l]);
        }
    }
    let mut acc = [0f32; LANES];
    for l in 0..LANES {
        acc[l] = (wide[l] + wide[l + LANES]) + (wide[l + 2 * LANES] + wide[l + 3 * LANES]);
    }
    let mid = main + (n - main) / LANES * LANES;
    for (ca, cb) in a[main..mid]
        .chunks_exact(LANES)
        .zip(b[main..mid].chunks_exact(LANES))
    {
        for l in 0..LANES {
            acc[l] = M::mul_add(ca[l], cb[l], acc[l]);
        }
    }
    let mut tail = 0f32;
    for (&x, &y) in a[mid..].iter().zip(&b[mid..]) {
        tail = M::mul_add(x, y, tail);
    }
    hsum(&acc) + tail
}

/// Σ a[i] with [`LANES`] partial sums.
#[inline(always)]
pub(crate) fn sum(a: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let mut chunks = a.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            acc[l] += c[l];
        }
    }
    let tail: f32 = chunks.remainder().iter().sum();
    hsum(&acc) + tail
}

/// Σ (a[i] − centre)² with [`LANES`] partial sums (the second pass of a
/// two-pass variance).
#[inline(always)]
pub(crate) fn sum_sq_dev<M: Fma>(a: &[f32], centre: f32) -> f32 {
    let mut acc = [0f32; LANES];
    let mut chunks = a.chunks_exact(LANES);
    for c in &mut chunks {
        for l in 0..LANES {
            let d = c[l] - centre;
            acc[l] = M::mul_add(d, d, acc[l]);
        }
    }
    let mut tail = 0f32;
    for &x in chunks.remainder() {
        let d = x - centre;
        tail = M::mul_add(d, d, tail);
    }
    hsum(&acc) + tail
}

/// Pairwise sum of the lanes.
#[inline(always)]
pub(crate) fn hsum(acc: &[f32; LANES]) -> f32 {
    let mut h = [0f32; LANES / 2];
    for l in 0..LANES / 2 {
        h[l] = acc[l] + acc[l + LANES / 2];
    }
    let mut q = [0f32; LANES / 4];
    for l in 0..LANES / 4 {
        q[l] = h[l] + h[l + LANES / 4];
    }
    (q[0] + q[2]) + (q[1] + q[3])
}

/// Row maximum, NaN-propagating (a NaN logit must not vanish in softmax).
#[inline(always)]
pub(crate) fn max(a: &[f32]) -> f32 {
    let mut m = f32::NEG_INFINITY;
    for &x in a {
        m = if x > m || x.is_nan() { x } else { m };
    }
    m
}

/// `src[start..start + LANES]` as a fixed array, zero-padded past the end
/// of `src`. Used on whole row-major buffers, the window may run into the
/// next row: one vector load, and callers never store those lanes. Only
/// the last window of a buffer takes the padding path; both paths end in
/// the same 16-lane load, so the caller's tile arithmetic vectorises.
#[inline(always)]
pub(crate) fn load_tile(src: &[f32], start: usize) -> [f32; LANES] {
    let mut pad = [0f32; LANES];
    let window: &[f32] = match src.get(start..start + LANES) {
        Some(full) => full,
        None => {
            let tail = &src[start.min(src.len())..];
            pad[..tail.len()].copy_from_slice(tail);
            &pad
        }
    };
    let mut t = [0f32; LANES];
    t.copy_from_slice(&window[..LANES]);
    t
}

/// [`load_tile`] with the padding path built lane by lane (a masked load
/// on AVX-512) instead of a `memcpy` call of the tail: for a reduction
/// whose accumulators would otherwise live in memory across that call
/// (batchnorm's column sums). Elsewhere the call is the cheaper of the
/// two (every kernel through this one: seed step 1.84 → 2.00 µs).
#[inline(always)]
pub(crate) fn load_tile_by_lanes(src: &[f32], start: usize) -> [f32; LANES] {
    let mut t = [0f32; LANES];
    for (l, v) in t.iter_mut().enumerate() {
        *v = src.get(start + l).copied().unwrap_or(0.0);
    }
    t
}

/// How many of `rows` rows of `n` features have a whole [`LANES`]-wide
/// window at column `j0` inside the buffer: every row but the last one or
/// two when the tile runs past a row's end.
#[inline(always)]
pub(crate) fn whole_windows(rows: usize, n: usize, j0: usize) -> usize {
    let len = rows * n;
    if len < j0 + LANES {
        return 0;
    }
    ((len - j0 - LANES) / n + 1).min(rows)
}

/// The [`LANES`] values at `off`, which [`whole_windows`] put inside `buf`.
/// A reduction reads them straight from the buffer: through
/// [`load_tile`]'s padding branch LLVM keeps the accumulators in
/// memory, one store-forward per row on their dependency chain.
#[inline(always)]
pub(crate) fn window(buf: &[f32], off: usize) -> &[f32; LANES] {
    buf[off..off + LANES]
        .try_into()
        .expect("whole_windows keeps the window inside the buffer")
}

/// Asks for the cache lines of `data` (a tile of [`LANES`] floats is
/// one line) ahead of a packing loop's writes to them
/// ([`Fma::PREFETCH_PANELS`]). A store to a line not in L1 waits for the
/// line to come in first, and a packing loop writes nothing but new
/// lines: AVX-512's 16×16 transpose into a 512 KiB panel took 170 cycles
/// a block with its lines brought in by the stores, 95 with them
/// prefetched two blocks ahead (60 with everything in L1).
#[inline(always)]
pub(crate) fn prefetch_lines(data: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    for line in data.chunks(LANES) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is a hint: it reads nothing the program
        // sees and does not fault, and the address is inside `data`.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = data;
}

/// All-ones for the first `width` lanes (at most [`LANES`]), zero after:
/// the store mask of a tile that holds `width` real features.
#[inline(always)]
pub(crate) fn lane_mask(width: usize) -> [u32; LANES] {
    // A table row is one load; LLVM built the mask lane by lane with a
    // compare and a store each (about 500 instructions of a seed step).
    LANE_MASKS[width.min(LANES)]
}

/// `LANE_MASKS[w]`: [`lane_mask`]`(w)`.
const LANE_MASKS: [[u32; LANES]; LANES + 1] = {
    let mut masks = [[0u32; LANES]; LANES + 1];
    let mut width = 1;
    while width <= LANES {
        let mut lane = 0;
        while lane < width {
            masks[width][lane] = u32::MAX;
            lane += 1;
        }
        width += 1;
    }
    masks
};

/// `t` with the lanes `mask` (from [`lane_mask`]) leaves out set to zero.
#[inline(always)]
pub(crate) fn masked(t: &[f32; LANES], mask: &[u32; LANES]) -> [f32; LANES] {
    std::array::from_fn(|l| f32::from_bits(t[l].to_bits() & mask[l]))
}

/// Writes the lanes of `t` selected by `mask` (from [`lane_mask`]) to
/// `buf[start..]`. Inside the buffer the other lanes are written back
/// unchanged through a bitwise blend — one vector load, and/or, store,
/// where a per-lane condition would be scalarised; at the end of the
/// buffer only the selected lanes are copied.
#[inline(always)]
pub(crate) fn store_tile(buf: &mut [f32], start: usize, mask: &[u32; LANES], t: &[f32; LANES]) {
    let len = buf.len();
    match buf.get_mut(start..start + LANES) {
        Some(full) => {
            for l in 0..LANES {
                let keep = full[l].to_bits() & !mask[l];
                full[l] = f32::from_bits((t[l].to_bits() & mask[l]) | keep);
            }
        }
        None => {
            let tail = &mut buf[start.min(len)..];
            let width = mask.iter().take_while(|&&m| m != 0).count();
            let n = tail.len().min(width);
            tail[..n].copy_from_slice(&t[..n]);
        }
    }
}
