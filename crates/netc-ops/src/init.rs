use crate::scalar::{normal_cdf, normal_pdf};
use crate::Activation;

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
    pub const ALL: [Nonlinearity; 6] = [
        Nonlinearity::Linear,
        Nonlinearity::Sigmoid,
        Nonlinearity::Tanh,
        Nonlinearity::Relu,
        Nonlinearity::LeakyRelu,
        Nonlinearity::Selu,
    ];

    /// The names `calculate_gain` takes, in the order of
    /// [`Nonlinearity::ALL`]; the activations among them are spelled as
    /// the activations are.
    pub const NAMES: &'static [&'static str] = &names_of!(Self::ALL);

    /// PyTorch's other name for `linear`, which [`Nonlinearity::from_name`]
    /// also reads.
    pub const IDENTITY: &'static str = Activation::Identity.name();

    pub const fn name(self) -> &'static str {
        match self {
            Nonlinearity::Linear => "linear",
            Nonlinearity::Sigmoid => Activation::Sigmoid.name(),
            Nonlinearity::Tanh => Activation::Tanh.name(),
            Nonlinearity::Relu => Activation::Relu.name(),
            Nonlinearity::LeakyRelu => Activation::LeakyRelu {
                negative_slope: Activation::LEAKY_RELU_SLOPE,
            }
            .name(),
            Nonlinearity::Selu => Activation::Selu.name(),
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        if name == Self::IDENTITY {
            return Some(Nonlinearity::Linear);
        }
        Self::ALL.into_iter().find(|nl| nl.name() == name)
    }

    /// `torch.nn.init.calculate_gain(nonlinearity, param)`; `param` is the
    /// leaky slope and only read for `leaky_relu` (PyTorch's default slope
    /// applies when it is `None`).
    pub fn gain(self, param: Option<f64>) -> f64 {
        match self {
            Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
            Nonlinearity::Tanh => 5.0 / 3.0,
            Nonlinearity::Relu => 2f64.sqrt(),
            Nonlinearity::LeakyRelu => {
                let slope = param.unwrap_or(Activation::LEAKY_RELU_SLOPE);
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

    /// Every init whose arguments all have PyTorch defaults, with those
    /// defaults. `constant` is the one init missing: PyTorch requires its
    /// value.
    pub const DEFAULTS: [Init; 10] = [
        Self::KAIMING_UNIFORM_DEFAULT,
        Init::KaimingNormal {
            a: 0.0,
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::LeakyRelu,
        },
        Init::XavierUniform { gain: 1.0 },
        Init::XavierNormal { gain: 1.0 },
        Init::Orthogonal { gain: 1.0 },
        Init::Uniform { a: 0.0, b: 1.0 },
        Init::Normal {
            mean: 0.0,
            std: 1.0,
        },
        Init::TruncNormal {
            mean: 0.0,
            std: 1.0,
            a: -2.0,
            b: 2.0,
        },
        Init::Zeros,
        Init::Ones,
    ];

    /// The init called `name` with PyTorch's defaults; `None` for a name
    /// not in [`Init::DEFAULTS`].
    pub fn with_defaults(name: &str) -> Option<Init> {
        Self::DEFAULTS.into_iter().find(|init| init.name() == name)
    }

    /// `nn.Linear.reset_parameters`' weight init: `kaiming_uniform_(a=√5)`,
    /// i.e. U(±1/√fan_in).
    pub fn linear_default_weight() -> Init {
        Init::KaimingUniform {
            a: 5f64.sqrt(),
            mode: FanMode::FanIn,
            nonlinearity: Nonlinearity::LeakyRelu,
        }
    }

    /// `nn.Linear.reset_parameters`' bias init: U(±1/√fan_in), zero when
    /// `fan_in == 0`.
    pub fn linear_default_bias(fan_in: usize) -> Init {
        let bound = if fan_in > 0 {
            1.0 / (fan_in as f64).sqrt()
        } else {
            0.0
        };
        Init::Uniform {
            a: -bound,
            b: bound,
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

#[cfg(test)]
mod tests {
    use super::{Init, Nonlinearity};

    #[test]
    fn every_init_but_constant_has_defaults() {
        for name in Init::NAMES {
            let init = Init::with_defaults(name);
            assert_eq!(
                init.map(|i| i.name()),
                (*name != "constant").then_some(*name)
            );
        }
    }

    #[test]
    fn nonlinearity_names_read_back() {
        for nonlinearity in Nonlinearity::ALL {
            assert_eq!(
                Nonlinearity::from_name(nonlinearity.name()),
                Some(nonlinearity)
            );
        }
        assert_eq!(Nonlinearity::NAMES.len(), Nonlinearity::ALL.len());
        assert_eq!(
            Nonlinearity::from_name("identity"),
            Some(Nonlinearity::Linear)
        );
        assert_eq!(Nonlinearity::from_name("gelu"), None);
    }
}
