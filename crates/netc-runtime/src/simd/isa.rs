use std::sync::OnceLock;

/// An instruction-set path a kernel can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Portable code, no FMA: builds and runs on any target.
    Scalar,
    /// x86-64 AVX2 with FMA.
    Avx2Fma,
    /// x86-64 AVX-512 (F, VL, BW, DQ) with AVX2 and FMA.
    Avx512,
}

/// Overrides detection for a whole process, e.g. `NETC_SIMD=scalar`, to
/// compare paths end to end. Values the CPU cannot run fall back.
pub const ISA_ENV: &str = "NETC_SIMD";

static BEST: OnceLock<Isa> = OnceLock::new();
static SUPPORTED: OnceLock<[bool; 3]> = OnceLock::new();

impl Isa {
    pub const ALL: [Isa; 3] = [Isa::Scalar, Isa::Avx2Fma, Isa::Avx512];

    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2Fma => "avx2+fma",
            Isa::Avx512 => "avx512",
        }
    }

    pub fn from_name(name: &str) -> Option<Isa> {
        Isa::ALL
            .into_iter()
            .find(|isa| isa.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The path the public kernels take: the best this CPU runs, unless
    /// [`ISA_ENV`] names a lesser one. Detected once per process.
    #[inline]
    pub fn detect() -> Isa {
        *BEST.get_or_init(|| {
            let best = Isa::ALL
                .into_iter()
                .rev()
                .find(|isa| isa.is_supported())
                .unwrap_or(Isa::Scalar);
            match std::env::var(ISA_ENV).ok().and_then(|v| Isa::from_name(&v)) {
                Some(forced) if forced.is_supported() => forced,
                _ => best,
            }
        })
    }

    /// Whether this CPU can run the path.
    #[inline]
    pub fn is_supported(self) -> bool {
        SUPPORTED.get_or_init(cpu_support)[self as usize]
    }

    /// Every path this CPU runs, scalar first (for tests and benchmarks).
    pub fn available() -> impl Iterator<Item = Isa> {
        Isa::ALL.into_iter().filter(|isa| isa.is_supported())
    }

    /// `self` if the CPU runs it, else the scalar path: the only way a
    /// kernel reaches a `#[target_feature]` body, so that a caller passing
    /// an unsupported `Isa` gets correct results instead of an illegal
    /// instruction.
    #[inline]
    pub(crate) fn usable(self) -> Isa {
        if self.is_supported() {
            self
        } else {
            Isa::Scalar
        }
    }
}

#[cfg(target_arch = "x86_64")]
fn cpu_support() -> [bool; 3] {
    let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    let avx512 = avx2
        && is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512bw")
        && is_x86_feature_detected!("avx512dq");
    [true, avx2, avx512]
}

#[cfg(not(target_arch = "x86_64"))]
fn cpu_support() -> [bool; 3] {
    [true, false, false]
}
