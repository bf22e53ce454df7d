//! The seeded random source of a run: ChaCha8, so that a seed reproduces
//! initialisation, shuffling and dropout bit for bit on every machine.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

#[derive(Debug, Clone)]
pub struct Rng {
    inner: ChaCha8Rng,
    /// Box–Muller draws two normals; the second waits here.
    spare_normal: Option<f64>,
}

/// Where [`Rng::fork`] reads a child's key inside the parent key's
/// streams: far enough that the parent's own stream never reaches it.
const FORK_WORD_POS: u128 = 1 << 64;

impl Rng {
    pub fn seed_from_u64(seed: u64) -> Rng {
        Rng {
            inner: ChaCha8Rng::seed_from_u64(seed),
            spare_normal: None,
        }
    }

    /// An independent generator for `stream` (e.g. one per dropout layer).
    /// It depends only on this generator's seed and `stream`, not on how
    /// much has been drawn, so adding draws elsewhere does not shift it.
    pub fn fork(&self, stream: u64) -> Rng {
        let mut derive = ChaCha8Rng::from_seed(self.inner.get_seed());
        derive.set_stream(stream);
        derive.set_word_pos(FORK_WORD_POS);
        let mut key = [0u8; 32];
        derive.fill_bytes(&mut key);
        Rng {
            inner: ChaCha8Rng::from_seed(key),
            spare_normal: None,
        }
    }

    pub fn next_u32(&mut self) -> u32 {
        self.inner.next_u32()
    }

    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in [0, 1) on the 2⁻²⁴ grid (every value exact in f32).
    #[inline]
    pub fn next_f32_uniform(&mut self) -> f32 {
        (self.inner.next_u32() >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Uniform in [0, 1) on the 2⁻⁵³ grid.
    #[inline]
    pub fn next_f64_uniform(&mut self) -> f64 {
        (self.inner.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [a, b).
    pub fn uniform(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.next_f64_uniform()
    }

    /// Standard normal (Box–Muller in f64).
    pub fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        // 1 − u lies in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.next_f64_uniform();
        let u2 = self.next_f64_uniform();
        let radius = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare_normal = Some(radius * sin);
        radius * cos
    }

    /// A uniform index in [0, n) without modulo bias (Lemire), e.g. for
    /// shuffling. `n` must be non-zero.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = (self.inner.next_u64() as u128) * (n as u128);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}
