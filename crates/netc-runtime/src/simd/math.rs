//! Branch-free f32 transcendental functions that LLVM vectorises: bit
//! tricks plus Cephes polynomials, selects instead of branches, no libm
//! call. NaN inputs give NaN (a non-finite activation must stay visible).

use super::Fma;

/// ln(f32::MAX): above it exp overflows to +inf.
const EXP_HI: f32 = 88.722_84;
/// Below it exp rounds to 0 (ln of half the smallest subnormal).
const EXP_LO: f32 = -103.972_08;
const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split so that `n·LN2_HI` is exact for every |n| ≤ 150 (Cody–Waite).
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5·2²³: adding it rounds an f32 of magnitude < 2²² to an integer and
/// leaves that integer in the low mantissa bits.
const ROUND_SHIFTER: f32 = 12_582_912.0;

/// eˣ with a relative error below 3e-7 on [-87, 88]; subnormal results
/// down to the smallest subnormal, +inf above ln(f32::MAX).
#[inline(always)]
pub fn exp<M: Fma>(x: f32) -> f32 {
    // `clamp` keeps NaN, so NaN flows through to the result.
    let xc = x.clamp(EXP_LO, EXP_HI);
    // The clamp keeps n in [-150, 128]: no cap.
    let (ni, r) = reduce::<M>(xc);
    let mut p = 1.987_569_1e-4;
    p = M::mul_add(p, r, 1.398_199_9e-3);
    p = M::mul_add(p, r, 8.333_452e-3);
    p = M::mul_add(p, r, 4.166_579_6e-2);
    p = M::mul_add(p, r, 1.666_666_5e-1);
    p = M::mul_add(p, r, 5e-1);
    let y = M::mul_add(p, r * r, r) + 1.0;
    // 2ⁿ for n ∈ [-150, 128] as two normal factors 2^(n/2)·2^(n - n/2).
    let n1 = ni >> 1;
    let e = y * pow2(n1) * pow2(ni.wrapping_sub(n1));
    if x > EXP_HI {
        f32::INFINITY
    } else if x < EXP_LO {
        0.0
    } else {
        e
    }
}

/// eˣ − 1 for x ≤ 0 without the cancellation near 0 (ELU and SELU on
/// their negative side, tanh on −2|x|: as PyTorch uses `expm1`), with one
/// polynomial: x = n·ln2 + r, |r| ≤ ln2/2, and eˣ − 1 = 2ⁿ·expm1(r) +
/// (2ⁿ − 1) in one rounding. For |x| < ln2/2 (n = 0) that is the Taylor
/// polynomial of x itself. Relative error below 3e-7; NaN stays NaN. One
/// polynomial where `exp(x) − 1` and a Taylor branch took two: ELU's
/// forward pass is about a third cheaper. A positive x gives junk: the
/// callers' selects discard it, and without a clamp above, a cap on n and
/// an overflow select for values they never keep, ELU's forward takes
/// a fifth fewer instructions.
#[inline(always)]
pub fn expm1_nonpositive<M: Fma>(x: f32) -> f32 {
    // Below it eˣ − 1 rounds to −1, and 2ⁿ stays normal (n ≥ −126).
    const EXPM1_LO: f32 = -87.0;
    // Not `max`, which would turn NaN into the bound.
    let xc = if x < EXPM1_LO { EXPM1_LO } else { x };
    let (n, r) = reduce::<M>(xc);
    // Taylor to r⁷ is exact to 2e-8 relative for |r| < ln2/2.
    let mut p = 1.0 / 5040.0;
    p = M::mul_add(p, r, 1.0 / 720.0);
    p = M::mul_add(p, r, 1.0 / 120.0);
    p = M::mul_add(p, r, 1.0 / 24.0);
    p = M::mul_add(p, r, 1.0 / 6.0);
    p = M::mul_add(p, r, 0.5);
    let q = M::mul_add(p, r * r, r);
    let scale = pow2(n);
    M::mul_add(scale, q, scale - 1.0)
}

/// `x = n·ln2 + r` for [`exp`] and [`expm1_nonpositive`]: n =
/// round(x·log₂e) and r = x − n·ln2, exact by Cody–Waite for |n| ≤ 150;
/// |r| ≤ ln2/2.
#[inline(always)]
fn reduce<M: Fma>(x: f32) -> (i32, f32) {
    let t = M::mul_add(x, LOG2E, ROUND_SHIFTER);
    // The rounded value is both `t − ROUND_SHIFTER` and the integer in t's
    // low mantissa bits.
    let n = t - ROUND_SHIFTER;
    let ni = (t.to_bits() as i32).wrapping_sub(0x4B40_0000);
    let r = M::mul_add(n, -LN2_HI, x);
    (ni, M::mul_add(n, -LN2_LO, r))
}

/// 2ⁿ for n in the normal range [-126, 127], from its exponent bits.
#[inline(always)]
fn pow2(n: i32) -> f32 {
    f32::from_bits((n.wrapping_add(127) << 23) as u32)
}

/// Division by a divisor fixed over a whole pass, with the bits of `a /
/// d` and no divide instruction on the FMA paths, whose vector divides
/// cost several FMAs' time each (Adam's step over the deep workload's
/// parameters: about a quarter faster). With `r` = RN(1/d) and `q` = RN(a·r)
/// within an ulp of a/d, the residual `a − q·d` is exact in one FMA, and
/// `q + residual·r` rounds to RN(a/d) (Markstein's theorem), provided
/// nothing under- or overflows: exact for d in [2⁻²⁷, 2] and a = 0 or
/// |a| in [2⁻⁸⁰, 2⁶⁴], which covers Adam's `√v / √(1 − β₂ᵗ)` (√v is 0
/// or at least 2⁻⁷⁴·⁵, the root of the smallest subnormal) for every β₂
/// in [0, 1). A non-finite quotient (a = ±∞ or NaN) is `a·r`, as `a / d`
/// gives. The portable path, without a single-rounding FMA, divides.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedDivisor {
    divisor: f32,
    reciprocal: f32,
}

impl FixedDivisor {
    pub fn new(divisor: f32) -> Self {
        FixedDivisor {
            divisor,
            reciprocal: 1.0 / divisor,
        }
    }

    /// `a / divisor`, correctly rounded (within the domain above).
    #[inline(always)]
    pub fn divide<M: Fma>(self, a: f32) -> f32 {
        if !M::FUSED {
            return a / self.divisor;
        }
        let q = a * self.reciprocal;
        let residual = M::mul_add(-q, self.divisor, a);
        // The sign copied for a = −0, whose residual and correction are +0.
        let corrected = M::mul_add(residual, self.reciprocal, q).copysign(q);
        if q.is_finite() {
            corrected
        } else {
            q
        }
    }
}

/// Natural logarithm (Cephes `logf`), subnormals included; ln 0 = -inf,
/// negative → NaN.
#[inline(always)]
pub fn ln<M: Fma>(x: f32) -> f32 {
    const SQRT_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;
    let subnormal = x < f32::MIN_POSITIVE;
    let xs = if subnormal { x * 8_388_608.0 } else { x };
    let bits = xs.to_bits();
    // xs = m·2ᵉ with m ∈ [0.5, 1).
    let e = ((bits >> 23) & 0xff) as i32 - 126 - if subnormal { 23 } else { 0 };
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let low = m < SQRT_HALF;
    let e = if low { e - 1 } else { e };
    let z = if low { m + m - 1.0 } else { m - 1.0 };
    let ef = e as f32;
    let z2 = z * z;
    let mut p = 7.037_683_6e-2;
    p = M::mul_add(p, z, -1.151_461e-1);
    p = M::mul_add(p, z, 1.167_699_9e-1);
    p = M::mul_add(p, z, -1.242_014_1e-1);
    p = M::mul_add(p, z, 1.424_932_3e-1);
    p = M::mul_add(p, z, -1.666_805_8e-1);
    p = M::mul_add(p, z, 2.000_071_4e-1);
    p = M::mul_add(p, z, -2.499_999_4e-1);
    p = M::mul_add(p, z, 3.333_333e-1);
    let mut y = p * z * z2;
    y = M::mul_add(ef, LN2_LO, y);
    y = M::mul_add(z2, -0.5, y);
    let r = M::mul_add(ef, LN2_HI, z + y);
    if x == f32::INFINITY {
        x
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x > 0.0 {
        r
    } else {
        f32::NAN
    }
}

/// ln(1 + u) for u > −1, exact near 0 (Goldberg: ln(w)·u/(w−1), w = 1+u).
#[inline(always)]
pub fn log1p<M: Fma>(u: f32) -> f32 {
    let w = 1.0 + u;
    let d = w - 1.0;
    let l = ln::<M>(w);
    if d == 0.0 {
        u
    } else {
        l * (u / d)
    }
}

/// ln(1 + eˣ) without overflow: max(x, 0) + ln(1 + e^−|x|).
#[inline(always)]
pub fn softplus<M: Fma>(x: f32) -> f32 {
    let pos = if x > 0.0 { x } else { 0.0 };
    pos + log1p::<M>(exp::<M>(-x.abs()))
}

/// 1 / (1 + e^−x).
#[inline(always)]
pub fn sigmoid<M: Fma>(x: f32) -> f32 {
    1.0 / (1.0 + exp::<M>(-x))
}

/// tanh through expm1: sign(x)·(−m)/(2 + m), m = e^(−2|x|) − 1.
#[inline(always)]
pub fn tanh<M: Fma>(x: f32) -> f32 {
    let m = expm1_nonpositive::<M>(-2.0 * x.abs());
    (-m / (2.0 + m)).copysign(x)
}

/// erfc with a relative error near 1.2e-7 (Numerical Recipes' Chebyshev
/// fit), accurate in the far tail where 1 − erf would cancel.
#[inline(always)]
pub fn erfc<M: Fma>(x: f32) -> f32 {
    let z = x.abs();
    let t = 1.0 / M::mul_add(0.5, z, 1.0);
    let mut p = 0.170_872_77;
    p = M::mul_add(p, t, -0.822_152_2);
    p = M::mul_add(p, t, 1.488_515_9);
    p = M::mul_add(p, t, -1.135_204);
    p = M::mul_add(p, t, 0.278_868_07);
    p = M::mul_add(p, t, -0.186_288_06);
    p = M::mul_add(p, t, 0.096_784_18);
    p = M::mul_add(p, t, 0.374_091_96);
    p = M::mul_add(p, t, 1.000_023_7);
    p = M::mul_add(p, t, -1.265_512_2);
    let r = t * exp::<M>(M::mul_add(-z, z, p));
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Φ(x), the standard normal CDF: relative error below 2e-6 for x ≥ −5;
/// further down, the rounding of −z² in erfc's exponent leaves only an
/// absolute error (< 1e-12), irrelevant to GELU.
#[inline(always)]
pub fn normal_cdf<M: Fma>(x: f32) -> f32 {
    0.5 * erfc::<M>(-x * std::f32::consts::FRAC_1_SQRT_2)
}

/// φ(x), the standard normal density.
#[inline(always)]
pub fn normal_pdf<M: Fma>(x: f32) -> f32 {
    const INV_SQRT_2PI: f32 = 0.398_942_3;
    INV_SQRT_2PI * exp::<M>(-0.5 * x * x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::simd::{multiversion, Isa};

    multiversion! {
        fn divide_all(a: &[f32], d: FixedDivisor, out: &mut [f32]) => divide_all_body;
    }

    #[inline(always)]
    fn divide_all_body<M: Fma>(a: &[f32], d: FixedDivisor, out: &mut [f32]) {
        for (o, &a) in out.iter_mut().zip(a) {
            *o = d.divide::<M>(a);
        }
    }

    /// Divisors across the domain (its ends, all-ones and near-one
    /// significands, Adam's `√(1 − β₂ᵗ)`), dividends over every binade
    /// it covers and the special values: on every path, the bits of `/`.
    #[test]
    fn a_fixed_divisor_divides_with_the_bits_of_a_division() {
        let mut rng = Rng::seed_from_u64(11);
        let mut divisors = vec![2f32.powi(-27), 2.0, 1.0, 0.5, 1.0 - f32::EPSILON / 2.0];
        for e in -27..1 {
            let binade = 2f32.powi(e).to_bits();
            divisors
                .extend([binade | 0x7f_ffff, binade | 0x7f_fffe, binade | 1].map(f32::from_bits));
        }
        for t in [1, 2, 3, 10, 100, 1000, 100_000] {
            for beta2 in [0.0f64, 0.9, 0.99, 0.999, 0.9999, 1.0 - 1e-15] {
                divisors.push((1.0 - beta2.powi(t)).sqrt() as f32);
            }
        }
        divisors.extend((0..200).map(|_| 2f32.powf(-27.0 * rng.next_f32_uniform()) * 2.0));
        let mut dividends = vec![0.0, -0.0, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
        dividends.extend([2f32.powi(-80), 2f32.powi(64), 1.0, 2.0]);
        for _ in 0..20_000 {
            let magnitude = 2f32.powf(rng.next_f32_uniform() * 144.0 - 80.0);
            let sign = if rng.next_f32_uniform() < 0.5 {
                -1.0
            } else {
                1.0
            };
            dividends.push(sign * magnitude);
        }
        // Every significand of one binade, once: the theorem's whole case
        // analysis for a divisor at one end of the domain and one inside.
        let binade: Vec<f32> = (1f32.to_bits()..2f32.to_bits())
            .map(f32::from_bits)
            .collect();
        let mut out = vec![0.0; binade.len()];
        for isa in Isa::available() {
            for &d in &divisors {
                let divisor = FixedDivisor::new(d);
                let quotients = {
                    let mut out = vec![0.0; dividends.len()];
                    divide_all(isa, &dividends, divisor, &mut out);
                    out
                };
                for (&a, q) in dividends.iter().zip(&quotients) {
                    let want = a / d;
                    let same = q.to_bits() == want.to_bits() || (q.is_nan() && want.is_nan());
                    assert!(same, "{}: {a:e} / {d:e} = {q:e}, not {want:e}", isa.name());
                }
            }
            for d in [2f32.powi(-27), 0.031_622_775] {
                divide_all(isa, &binade, FixedDivisor::new(d), &mut out);
                let wrong = binade
                    .iter()
                    .zip(&out)
                    .find(|(a, q)| (*a / d).to_bits() != q.to_bits());
                assert!(wrong.is_none(), "{}: {wrong:?} / {d:e}", isa.name());
            }
        }
    }
}
