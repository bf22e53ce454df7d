use crate::scalar::{elu, elu_derivative, normal_cdf, normal_pdf, sigmoid, softplus};

/// A stateless elementwise (or row-wise, for the softmax family) function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Activation {
    Relu,
    LeakyRelu {
        negative_slope: f64,
    },
    Elu {
        alpha: f64,
    },
    Selu,
    /// Exact (erf) GELU, PyTorch's `approximate='none'`.
    Gelu,
    Silu,
    Tanh,
    Sigmoid,
    Softplus {
        beta: f64,
        threshold: f64,
    },
    Identity,
    /// Row-wise over the feature axis.
    Softmax,
    /// Row-wise over the feature axis.
    LogSoftmax,
}

impl Activation {
    /// PyTorch's `negative_slope` of `leaky_relu`, which is also
    /// `calculate_gain`'s default `param`.
    pub const LEAKY_RELU_SLOPE: f64 = 0.01;

    /// Every activation a model file may call, with PyTorch's default
    /// parameters: the one list of activations that tests and name tables
    /// derive from. A new variant goes here too.
    pub const ALL: [Activation; 12] = [
        Activation::Relu,
        Activation::LeakyRelu {
            negative_slope: Self::LEAKY_RELU_SLOPE,
        },
        Activation::Elu { alpha: 1.0 },
        Activation::Selu,
        Activation::Gelu,
        Activation::Silu,
        Activation::Tanh,
        Activation::Sigmoid,
        Activation::Softplus {
            beta: 1.0,
            threshold: 20.0,
        },
        Activation::Identity,
        Activation::Softmax,
        Activation::LogSoftmax,
    ];

    /// Every activation name a model file may call, in the order of
    /// [`Activation::ALL`].
    pub const NAMES: &'static [&'static str] = &names_of!(Self::ALL);

    /// The name used in model files.
    pub const fn name(&self) -> &'static str {
        match self {
            Activation::Relu => "relu",
            Activation::LeakyRelu { .. } => "leaky_relu",
            Activation::Elu { .. } => "elu",
            Activation::Selu => "selu",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
            Activation::Tanh => "tanh",
            Activation::Sigmoid => "sigmoid",
            Activation::Softplus { .. } => "softplus",
            Activation::Identity => "identity",
            Activation::Softmax => "softmax",
            Activation::LogSoftmax => "log_softmax",
        }
    }

    /// What it computes, for people (the editor's hover).
    pub const fn meaning(&self) -> &'static str {
        match self {
            Activation::Relu => "max(0, x)",
            Activation::LeakyRelu { .. } => "max(0, x) + negative_slope · min(0, x)",
            Activation::Elu { .. } => "x if x > 0, else alpha · (eˣ − 1)",
            Activation::Selu => {
                "scale · (max(0, x) + min(0, alpha · (eˣ − 1))), alpha ≈ 1.6733, scale ≈ 1.0507"
            }
            Activation::Gelu => "x · Φ(x), Φ the standard normal CDF (exact erf form)",
            Activation::Silu => "x · σ(x)",
            Activation::Tanh => "tanh(x)",
            Activation::Sigmoid => "σ(x) = 1 / (1 + e⁻ˣ)",
            Activation::Softplus { .. } => {
                "log(1 + e^(beta·x)) / beta, linear where beta·x > threshold"
            }
            Activation::Identity => "x",
            Activation::Softmax => "eˣⁱ / Σⱼ eˣʲ over each sample's features (dim=1)",
            Activation::LogSoftmax => "xᵢ − log Σⱼ eˣʲ over each sample's features (dim=1)",
        }
    }

    /// The variant's identifier, for code generators: with
    /// [`Activation::parameters`] (whose names are the variant's field
    /// names) it spells the value as a Rust literal.
    pub const fn variant(&self) -> &'static str {
        match self {
            Activation::Relu => "Relu",
            Activation::LeakyRelu { .. } => "LeakyRelu",
            Activation::Elu { .. } => "Elu",
            Activation::Selu => "Selu",
            Activation::Gelu => "Gelu",
            Activation::Silu => "Silu",
            Activation::Tanh => "Tanh",
            Activation::Sigmoid => "Sigmoid",
            Activation::Softplus { .. } => "Softplus",
            Activation::Identity => "Identity",
            Activation::Softmax => "Softmax",
            Activation::LogSoftmax => "LogSoftmax",
        }
    }

    /// The activation called `name`, with PyTorch's default parameters.
    pub fn from_name(name: &str) -> Option<Activation> {
        Self::ALL
            .into_iter()
            .find(|activation| activation.name() == name)
    }

    /// The numeric parameters, named as `torch.nn.functional` names them,
    /// with their values.
    pub fn parameters(&self) -> Vec<(&'static str, f64)> {
        match *self {
            Activation::LeakyRelu { negative_slope } => vec![("negative_slope", negative_slope)],
            Activation::Elu { alpha } => vec![("alpha", alpha)],
            Activation::Softplus { beta, threshold } => {
                vec![("beta", beta), ("threshold", threshold)]
            }
            _ => Vec::new(),
        }
    }

    /// This activation with its parameters set to `values`, given in the
    /// order of [`Activation::parameters`]; a parameter without a value
    /// keeps its own.
    pub fn with_parameters(self, values: &[f64]) -> Activation {
        let value = |index: usize, own: f64| values.get(index).copied().unwrap_or(own);
        match self {
            Activation::LeakyRelu { negative_slope } => Activation::LeakyRelu {
                negative_slope: value(0, negative_slope),
            },
            Activation::Elu { alpha } => Activation::Elu {
                alpha: value(0, alpha),
            },
            Activation::Softplus { beta, threshold } => Activation::Softplus {
                beta: value(0, beta),
                threshold: value(1, threshold),
            },
            other => other,
        }
    }

    /// φ(z) in f64 for the static analysis, beside the variant so a new
    /// activation is defined in one file; [`crate::scalar::ScalarActivation`]
    /// exposes it for the elementwise activations.
    pub(crate) fn value_at(&self, z: f64) -> f64 {
        match *self {
            Activation::Relu => z.max(0.0),
            Activation::LeakyRelu { negative_slope } => {
                if z > 0.0 {
                    z
                } else {
                    negative_slope * z
                }
            }
            Activation::Elu { alpha } => elu(alpha, z),
            Activation::Selu => SELU_SCALE * elu(SELU_ALPHA, z),
            Activation::Gelu => z * normal_cdf(z),
            Activation::Silu => z * sigmoid(z),
            Activation::Tanh => z.tanh(),
            Activation::Sigmoid => sigmoid(z),
            Activation::Softplus { beta, threshold } => softplus(beta, threshold, z),
            Activation::Identity | Activation::Softmax | Activation::LogSoftmax => z,
        }
    }

    /// φ'(z); at a kink (z = 0 for relu/leaky/elu) the right-hand limit,
    /// as PyTorch's backward uses `z > 0`.
    pub(crate) fn derivative_at(&self, z: f64) -> f64 {
        match *self {
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Activation::LeakyRelu { negative_slope } => {
                if z > 0.0 {
                    1.0
                } else {
                    negative_slope
                }
            }
            Activation::Elu { alpha } => elu_derivative(alpha, z),
            Activation::Selu => SELU_SCALE * elu_derivative(SELU_ALPHA, z),
            Activation::Gelu => normal_cdf(z) + z * normal_pdf(z),
            Activation::Silu => {
                let s = sigmoid(z);
                s * (1.0 + z * (1.0 - s))
            }
            Activation::Tanh => {
                let t = z.tanh();
                1.0 - t * t
            }
            Activation::Sigmoid => {
                let s = sigmoid(z);
                s * (1.0 - s)
            }
            Activation::Softplus { beta, threshold } => {
                // PyTorch reverts to the identity above the threshold.
                if beta * z > threshold {
                    1.0
                } else {
                    sigmoid(beta * z)
                }
            }
            Activation::Identity | Activation::Softmax | Activation::LogSoftmax => 1.0,
        }
    }

    /// Softmax and log_softmax couple the features of a row; every other
    /// activation is elementwise.
    pub fn is_row_wise(&self) -> bool {
        matches!(self, Activation::Softmax | Activation::LogSoftmax)
    }

    /// The forward values the derivative is computed from, so that a
    /// backward pass keeps only those alive until it runs.
    ///
    /// Where φ(z) > 0 exactly when z > 0 (relu, selu, elu with α ≥ 0,
    /// leaky relu with a slope ≥ 0), the derivative's `z > 0` test reads
    /// the output, and the input is not kept: in a deep stack of
    /// batchnorm and ELU that is one activation buffer a layer fewer
    /// between the forward and the backward pass.
    pub fn derivative_reads(&self) -> DerivativeReads {
        const INPUT: DerivativeReads = DerivativeReads {
            input: true,
            output: false,
        };
        const OUTPUT: DerivativeReads = DerivativeReads {
            input: false,
            output: true,
        };
        match *self {
            Activation::Relu
            | Activation::Selu
            | Activation::Tanh
            | Activation::Sigmoid
            | Activation::Softmax
            | Activation::LogSoftmax => OUTPUT,
            Activation::LeakyRelu { negative_slope } if negative_slope < 0.0 => INPUT,
            Activation::LeakyRelu { .. } => OUTPUT,
            // A negative α makes the output positive below zero: the sign
            // comes from the input, the value (y + α) from the output.
            Activation::Elu { alpha } if alpha < 0.0 => DerivativeReads {
                input: true,
                output: true,
            },
            Activation::Elu { .. } => OUTPUT,
            Activation::Gelu | Activation::Silu | Activation::Softplus { .. } => INPUT,
            Activation::Identity => DerivativeReads {
                input: false,
                output: false,
            },
        }
    }
}

/// Which of an activation's forward values its derivative reads
/// ([`Activation::derivative_reads`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DerivativeReads {
    /// The activation's input z.
    pub input: bool,
    /// Its output φ(z).
    pub output: bool,
}

impl DerivativeReads {
    /// `(input, output)`, each kept only when the derivative reads it:
    /// the operands a backward names.
    pub fn keep<T>(self, input: T, output: T) -> (Option<T>, Option<T>) {
        (self.input.then_some(input), self.output.then_some(output))
    }
}

/// SELU's constants, from Klambauer et al. 2017 as PyTorch spells them.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

#[cfg(test)]
mod tests {
    use super::{Activation, SELU_ALPHA};

    #[test]
    fn names_are_distinct_and_read_back_with_their_parameters() {
        for (index, activation) in Activation::ALL.iter().enumerate() {
            let name = activation.name();
            assert!(!Activation::NAMES[..index].contains(&name), "{name}");
            assert_eq!(Activation::from_name(name), Some(*activation));
            let values: Vec<f64> = activation.parameters().iter().map(|p| p.1).collect();
            assert_eq!(activation.with_parameters(&values), *activation);
        }
        assert_eq!(Activation::NAMES.len(), Activation::ALL.len());
        assert_eq!(Activation::from_name("swish"), None);
    }

    /// Code generators spell an activation from `variant` and
    /// `parameters`; `Debug` spells it from the declaration itself.
    #[test]
    fn variant_and_parameters_spell_the_declaration() {
        for activation in Activation::ALL {
            let fields: Vec<String> = activation
                .parameters()
                .iter()
                .map(|(name, value)| format!("{name}: {value:?}"))
                .collect();
            let spelled = if fields.is_empty() {
                activation.variant().to_string()
            } else {
                format!("{} {{ {} }}", activation.variant(), fields.join(", "))
            };
            assert_eq!(spelled, format!("{activation:?}"));
        }
    }

    #[test]
    fn with_parameters_sets_them_in_order() {
        let softplus = Activation::from_name("softplus").map(|a| a.with_parameters(&[2.0, 5.0]));
        assert_eq!(
            softplus,
            Some(Activation::Softplus {
                beta: 2.0,
                threshold: 5.0
            })
        );
        let names = softplus.map(|a| a.parameters().iter().map(|p| p.0).collect::<Vec<_>>());
        assert_eq!(names, Some(vec!["beta", "threshold"]));
    }

    /// Where the derivative reads the output alone, its `z > 0` test
    /// gives the same answer on φ(z) as on z, including at ±0, the
    /// smallest magnitudes and NaN (compared as "not positive").
    #[test]
    fn an_output_sign_test_matches_the_input_sign() {
        let mut sign_tested = vec![Activation::Relu, Activation::Selu];
        for alpha in [0.0, 1e-30, 0.5, 1.0, SELU_ALPHA, 3.0] {
            sign_tested.push(Activation::Elu { alpha });
        }
        for negative_slope in [0.0, 1e-30, 0.01, 1.0, 3.0] {
            sign_tested.push(Activation::LeakyRelu { negative_slope });
        }
        let zs = [
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
            1e-300,
            -1e-300,
            1e-8,
            -1e-8,
            0.3,
            -0.3,
            2.0,
            -2.0,
            90.0,
            -90.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        for act in sign_tested {
            let reads = act.derivative_reads();
            assert!(reads.output && !reads.input, "{act:?}");
            for z in zs {
                assert_eq!(act.value_at(z) > 0.0, z > 0.0, "{act:?} at {z}");
            }
        }
        let negative = [
            Activation::Elu { alpha: -1.0 },
            Activation::LeakyRelu {
                negative_slope: -0.5,
            },
        ];
        for act in negative {
            assert!(act.derivative_reads().input, "{act:?}");
        }
    }
}
