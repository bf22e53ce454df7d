//! `acc += s·tile` over one `LANES`-wide tile: the step of a row's FMA
//! chain in the one-row product. Written with intrinsics on x86 because
//! LLVM's vectoriser, left to the plain loop, scalarises it in some
//! instantiations (the same body took 55 ns in one crate and 1.4 µs in
//! another for a 64→64 row). Each lane is one fused multiply-add, as in
//! the portable loop, so every path gives the same bits.
//!
//! Reached through [`Fma::fma_tile`](super::Fma::fma_tile), which the ISA
//! marker types override, as [`super::transpose`] is.

use super::{Fma, LANES};

/// The plain loop, for paths without the x86 kernels.
#[inline(always)]
pub fn portable<M: Fma>(s: f32, tile: &[f32; LANES], acc: &mut [f32; LANES]) {
    for l in 0..LANES {
        acc[l] = M::mul_add(s, tile[l], acc[l]);
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) use x86::{avx2, avx512};

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
        for half in 0..2 {
            // SAFETY: `half·8 + 8 ≤ 16`: each ymm load or store stays in
            // its 16-element array; unaligned access has no alignment demand.
            unsafe {
                let t = _mm256_loadu_ps(tile.as_ptr().add(half * 8));
                let a = _mm256_loadu_ps(acc.as_ptr().add(half * 8));
                _mm256_storeu_ps(acc.as_mut_ptr().add(half * 8), _mm256_fmadd_ps(s, t, a));
            }
        }
    }
}
