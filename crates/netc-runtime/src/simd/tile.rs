//! `acc += s·tile` over one `LANES`-wide tile (the step of a row's FMA
//! chain in the one-row product), and `a·b + c` lane by lane over three
//! tiles (an affine step, whose per-lane operands LLVM would cut into
//! pieces when it built them lane by lane). Written with intrinsics on x86
//! because LLVM's vectoriser, left to the plain loop, scalarises it in
//! some instantiations (the same body took 55 ns in one crate and 1.4 µs
//! in another for a 64→64 row). Each lane is one fused multiply-add, as in
//! the portable loop, so every path gives the same bits.
//!
//! Reached through [`Fma::fma_tile`](super::Fma::fma_tile) and
//! [`Fma::mul_add_tiles`](super::Fma::mul_add_tiles), which the ISA marker
//! types override, as [`super::transpose`] is.

use super::{Fma, LANES};

/// Lanes of a half tile: a product's column tile with at most this many
/// real lanes (a layer 8 or fewer wide, the last tile of a width such as
/// 24 or 100) costs half the FMAs.
pub(crate) const HALF_LANES: usize = LANES / 2;

/// The plain loop, for paths without the x86 kernels.
#[inline(always)]
pub fn portable<M: Fma>(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
    for l in 0..LANES {
        acc[l] = M::mul_add(s, tile[l], acc[l]);
    }
}

/// [`portable`] over the low [`HALF_LANES`] lanes; the others are left as
/// they are.
#[inline(always)]
pub fn portable_half<M: Fma>(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
    for l in 0..HALF_LANES {
        acc[l] = M::mul_add(s, tile[l], acc[l]);
    }
}

/// `a[l]·b[l] + c[l]`, the plain loop.
#[inline(always)]
pub fn portable_lanes<M: Fma>(
    a: &[f32; LANES],
    b: &[f32; LANES],
    c: &[f32; LANES],
) -> [f32; LANES] {
    let mut out = [0f32; LANES];
    for l in 0..LANES {
        out[l] = M::mul_add(a[l], b[l], c[l]);
    }
    out
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{avx2, avx2_lanes, avx512, avx512_lanes, ymm_half};

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::LANES;

    /// One zmm FMA.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) fn avx512(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        // SAFETY: both arrays hold exactly the 16 f32 one zmm loads or
        // stores; unaligned loads and stores have no alignment demand.
        unsafe {
            let t = _mm512_loadu_ps(tile.as_ptr());
            let a = _mm512_loadu_ps(acc.as_ptr());
            _mm512_storeu_ps(acc.as_mut_ptr(), _mm512_fmadd_ps(_mm512_set1_ps(s), t, a));
        }
    }

    /// Two ymm FMAs.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(crate) fn avx2(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        let s = _mm256_set1_ps(s);
        ymm_at(s, tile, acc, 0);
        ymm_at(s, tile, acc, 8);
    }

    /// One ymm FMA over the low half of the lanes (both x86 paths).
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(crate) fn ymm_half(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        ymm_at(_mm256_set1_ps(s), tile, acc, 0);
    }

    /// `acc[at..at + 8] += s·tile[at..at + 8]`, one ymm FMA.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    fn ymm_at(s: __m256, tile: &[f32; LANES], acc: &mut [f32; LANES], at: usize) {
        // A constant at every call: the check compiles away.
        assert!(at + 8 <= LANES, "a ymm inside the tile");
        // SAFETY: `at + 8 ≤ 16`: the ymm load or store stays in each
        // 16-element array; unaligned access has no alignment demand.
        unsafe {
            let t = _mm256_loadu_ps(tile.as_ptr().add(at));
            let a = _mm256_loadu_ps(acc.as_ptr().add(at));
            _mm256_storeu_ps(acc.as_mut_ptr().add(at), _mm256_fmadd_ps(s, t, a));
        }
    }

    /// One zmm FMA, lane by lane.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) fn avx512_lanes(
        a: &[f32; LANES],
        b: &[f32; LANES],
        c: &[f32; LANES],
    ) -> [f32; LANES] {
        let mut out = [0f32; LANES];
        // SAFETY: every array holds exactly the 16 f32 one zmm loads or
        // stores; unaligned loads and stores have no alignment demand.
        unsafe {
            let (a, b, c) = (
                _mm512_loadu_ps(a.as_ptr()),
                _mm512_loadu_ps(b.as_ptr()),
                _mm512_loadu_ps(c.as_ptr()),
            );
            _mm512_storeu_ps(out.as_mut_ptr(), _mm512_fmadd_ps(a, b, c));
        }
        out
    }

    /// Two ymm FMAs, lane by lane.
    #[target_feature(enable = "avx2,fma")]
    #[inline]
    pub(crate) fn avx2_lanes(a: &[f32; LANES], b: &[f32; LANES], c: &[f32; LANES]) -> [f32; LANES] {
        let mut out = [0f32; LANES];
        for half in 0..2 {
            // SAFETY: `half·8 + 8 ≤ 16`: each ymm load or store stays in
            // its 16-element array; unaligned access has no alignment demand.
            unsafe {
                let at = half * 8;
                let (a, b, c) = (
                    _mm256_loadu_ps(a.as_ptr().add(at)),
                    _mm256_loadu_ps(b.as_ptr().add(at)),
                    _mm256_loadu_ps(c.as_ptr().add(at)),
                );
                _mm256_storeu_ps(out.as_mut_ptr().add(at), _mm256_fmadd_ps(a, b, c));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{multiversion, Isa};

    multiversion! {
        fn fma_tile_with(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) => fma_tile_body;
    }

    #[inline(always)]
    fn fma_tile_body<M: Fma>(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        M::fma_tile(s, tile, acc);
    }

    multiversion! {
        fn fma_half_tile_with(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) => fma_half_tile_body;
    }

    #[inline(always)]
    fn fma_half_tile_body<M: Fma>(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
        M::fma_half_tile(s, tile, acc);
    }

    multiversion! {
        fn lanes_with(a: &[f32; LANES], b: &[f32; LANES], c: &[f32; LANES]) -> [f32; LANES]
            => lanes_body;
    }

    #[inline(always)]
    fn lanes_body<M: Fma>(a: &[f32; LANES], b: &[f32; LANES], c: &[f32; LANES]) -> [f32; LANES] {
        M::mul_add_tiles(a, b, c)
    }

    /// Values whose products need the single rounding to come out right:
    /// `a·b + c` with `c ≈ −a·b` differs from `round(a·b) + c`.
    fn operands(seed: u32) -> [[f32; LANES]; 3] {
        let a: [f32; LANES] = std::array::from_fn(|l| 1.0 + (l as f32 + seed as f32) / 3.0);
        let b: [f32; LANES] = std::array::from_fn(|l| 1.0 / (l as f32 + 1.5));
        let c: [f32; LANES] = std::array::from_fn(|l| -(a[l] * b[l]) + l as f32 * 1e-3);
        [a, b, c]
    }

    #[test]
    fn every_fused_path_rounds_each_lane_once() {
        for seed in 0..4 {
            let [a, b, c] = operands(seed);
            let fused: [f32; LANES] = std::array::from_fn(|l| a[l].mul_add(b[l], c[l]));
            let bits = |v: &[f32; LANES]| v.map(f32::to_bits);
            for isa in Isa::available().filter(|isa| *isa != Isa::Scalar) {
                let got = lanes_with(isa, &a, &b, &c);
                assert_eq!(bits(&got), bits(&fused), "mul_add_tiles on {}", isa.name());
                let s = a[3];
                let mut acc = c;
                fma_tile_with(isa, s, &b, &mut acc);
                let want: [f32; LANES] = std::array::from_fn(|l| s.mul_add(b[l], c[l]));
                assert_eq!(bits(&acc), bits(&want), "fma_tile on {}", isa.name());
                let mut half = c;
                fma_half_tile_with(isa, s, &b, &mut half);
                let want: [f32; LANES] = std::array::from_fn(|l| {
                    if l < HALF_LANES {
                        s.mul_add(b[l], c[l])
                    } else {
                        c[l]
                    }
                });
                assert_eq!(bits(&half), bits(&want), "fma_half_tile on {}", isa.name());
            }
            // The scalar path multiplies, then adds.
            let unfused: [f32; LANES] = std::array::from_fn(|l| a[l] * b[l] + c[l]);
            assert_ne!(
                bits(&fused),
                bits(&unfused),
                "operands that tell the roundings apart"
            );
            let got = lanes_with(Isa::Scalar, &a, &b, &c);
            assert_eq!(bits(&got), bits(&unfused), "mul_add_tiles on scalar");
        }
    }
}
