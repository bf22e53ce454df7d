/// The `nonlinearity` argument of `torch.nn.init.calculate_gain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nonlinearity {
    Linear,
    Sigmoid,
    Tanh,
    Relu,
    LeakyRelu,
    Selu,
}

impl Nonlinearity {
    pub const NAMES: &'static [&'static str] =
        &["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"];

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "linear" | "identity" => Nonlinearity::Linear,
            "sigmoid" => Nonlinearity::Sigmoid,
            "tanh" => Nonlinearity::Tanh,
            "relu" => Nonlinearity::Relu,
            "leaky_relu" => Nonlinearity::LeakyRelu,
            "selu" => Nonlinearity::Selu,
            _ => return None,
        })
    }

    /// `torch.nn.init.calculate_gain(nonlinearity, param)`; `param` is the
    /// leaky slope and only read for `leaky_relu` (PyTorch's default 0.01
    /// applies when it is `None`).
    pub fn gain(self, param: Option<f64>) -> f64 {
        match self {
            Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
            Nonlinearity::Tanh => 5.0 / 3.0,
            Nonlinearity::Relu => 2f64.sqrt(),
            Nonlinearity::LeakyRelu => {
                let slope = param.unwrap_or(0.01);
                (2.0 / (1.0 + slope * slope)).sqrt()
            }
            Nonlinearity::Selu => 0.75,
        }
    }
}

/// `mode=` of the kaiming initialisers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FanMode {
    #[default]
    FanIn,
    FanOut,
}

/// A `torch.nn.init` initialiser with its arguments resolved to PyTorch's
/// defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// `kaiming_uniform_(t, a=0, mode='fan_in', nonlinearity='leaky_relu')`.
    KaimingUniform {
        a: f64,
        mode: FanMode,
        nonlinearity: Nonlinearity,
    },
    KaimingNormal {
        a: f64,
        mode: FanMode,
        nonlinearity: Nonlinearity,
    },
    XavierUniform {
        gain: f64,
    },
    XavierNormal {
        gain: f64,
    },
    Orthogonal {
        gain: f64,
    },
    Uniform {
        a: f64,
        b: f64,
    },
    Normal {
        mean: f64,
        std: f64,
    },
    /// `trunc_normal_(t, mean=0, std=1, a=-2, b=2)`: cut at absolute bounds.
    TruncNormal {
        mean: f64,
        std: f64,
        a: f64,
        b: f64,
    },
    Zeros,
    Ones,
    Constant {
        value: f64,
    },
}

impl Init {
    pub const NAMES: &'static [&'static str] = &[
        "kaiming_uniform",
        "kaiming_normal",
        "xavier_uniform",
        "xavier_normal",
        "orthogonal",
        "uniform",
        "normal",
        "trunc_normal",
        "zeros",
        "ones",
        "constant",
    ];

    /// `kaiming_uniform()` with PyTorch's defaults: gain √2 (leaky_relu, a=0).
    pub const KAIMING_UNIFORM_DEFAULT: Init = Init::KaimingUniform {
        a: 0.0,
        mode: FanMode::FanIn,
        nonlinearity: Nonlinearity::LeakyRelu,
    };

    /// `nn.Linear.reset_parameters`' weight init: `kaiming_uniform_(a=√5)`,
    /// i.e. U(±1/√fan_in).
    pub fn linear_default_weight() -> Init {
        Init::KaimingUniform {
            a: 5f64.sqrt(),
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::LeakyRelu,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Init::KaimingUniform { .. } => "kaiming_uniform",
            Init::KaimingNormal { .. } => "kaiming_normal",
            Init::XavierUniform { .. } => "xavier_uniform",
            Init::XavierNormal { .. } => "xavier_normal",
            Init::Orthogonal { .. } => "orthogonal",
            Init::Uniform { .. } => "uniform",
            Init::Normal { .. } => "normal",
            Init::TruncNormal { .. } => "trunc_normal",
            Init::Zeros => "zeros",
            Init::Ones => "ones",
            Init::Constant { .. } => "constant",
        }
    }

    /// The weight variance this init gives a `[fan_out, fan_in]` matrix, as
    /// the gradient-flow analysis and the init tests need it.
    pub fn variance(&self, fan_in: usize, fan_out: usize) -> f64 {
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        let kaiming_std = |a: f64, mode: FanMode, nl: Nonlinearity| {
            let fan = match mode {
                FanMode::FanIn => fi,
                FanMode::FanOut => fo,
            };
            nl.gain(Some(a)) / fan.sqrt()
        };
        match *self {
            Init::KaimingUniform {
                a,
                mode,
                nonlinearity,
            }
            | Init::KaimingNormal {
                a,
                mode,
                nonlinearity,
            } => kaiming_std(a, mode, nonlinearity).powi(2),
            Init::XavierUniform { gain } | Init::XavierNormal { gain } => {
                gain * gain * 2.0 / (fi + fo)
            }
            Init::Orthogonal { gain } => gain * gain * (fi / fo).min(1.0) / fi,
            Init::Uniform { a, b } => (b - a) * (b - a) / 12.0,
            Init::Normal { std, .. } => std * std,
            Init::TruncNormal { mean, std, a, b } => truncated_normal_variance(mean, std, a, b),
            Init::Zeros | Init::Ones | Init::Constant { .. } => 0.0,
        }
    }
}

/// Variance of N(mean, std²) truncated to [a, b].
fn truncated_normal_variance(mean: f64, std: f64, a: f64, b: f64) -> f64 {
    if std <= 0.0 {
        return 0.0;
    }
    let alpha = (a - mean) / std;
    let beta = (b - mean) / std;
    let z = normal_cdf(beta) - normal_cdf(alpha);
    if z <= 0.0 {
        return 0.0;
    }
    let (pa, pb) = (normal_pdf(alpha), normal_pdf(beta));
    let term1 = (alpha * pa - beta * pb) / z;
    let term2 = (pa - pb) / z;
    std * std * (1.0 + term1 - term2 * term2)
}

fn normal_pdf(x: f64) -> f64 {
    if x.is_infinite() {
        return 0.0;
    }
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Φ(x) through erfc (Abramowitz–Stegun 7.1.26 is too coarse for the
/// analysis; this uses the complementary error function's continued form).
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// erfc with relative error below 1.2e-7 everywhere (Numerical Recipes'
/// Chebyshev fit), enough for bounds and probabilities.
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}
