//! Activation calls in `forward`: the value first, then the activation's
//! options as PyTorch's functional API names them.

use netc_ops::Activation;

use super::args::{self, Bound};
use crate::diagnostic::Diagnostic;

/// The parameters of activation `name`; the first is the value.
pub(crate) fn params(name: &str) -> &'static [&'static str] {
    match name {
        "leaky_relu" => &["input", "negative_slope"],
        "elu" => &["input", "alpha"],
        "softplus" => &["input", "beta", "threshold"],
        _ => &["input"],
    }
}

/// Activation `name` (one of `Activation::NAMES`) with its options read
/// from `bound`, defaults filled in.
pub(crate) fn read(
    name: &str,
    bound: &Bound<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Activation> {
    let mut option = |index: usize, param: &str, default: f64| {
        args::optional(bound.get(index), default, |e| args::number(e, param, diags))
    };
    Some(match name {
        "relu" => Activation::Relu,
        "leaky_relu" => Activation::LeakyRelu {
            negative_slope: option(1, "negative_slope", 0.01)?,
        },
        "elu" => Activation::Elu {
            alpha: option(1, "alpha", 1.0)?,
        },
        "selu" => Activation::Selu,
        "gelu" => Activation::Gelu,
        "silu" => Activation::Silu,
        "tanh" => Activation::Tanh,
        "sigmoid" => Activation::Sigmoid,
        "softplus" => {
            let beta = option(1, "beta", 1.0);
            let threshold = option(2, "threshold", 20.0);
            let (beta, threshold) = (beta?, threshold?);
            if beta == 0.0 {
                if let Some(e) = bound.get(1) {
                    diags.push(
                        args::invalid(e, "`beta` of `softplus` must not be 0")
                            .with_span_label("softplus divides by beta"),
                    );
                }
                return None;
            }
            Activation::Softplus { beta, threshold }
        }
        "identity" => Activation::Identity,
        "softmax" => Activation::Softmax,
        _ => Activation::LogSoftmax,
    })
}

#[cfg(test)]
mod tests {
    use netc_ops::Activation;

    #[test]
    fn every_activation_name_reads_back_as_itself() {
        let bound = super::args::Bound::empty(3);
        for &name in Activation::NAMES {
            let activation = super::read(name, &bound, &mut Vec::new());
            assert_eq!(activation.map(|a| a.name()), Some(name));
        }
    }
}
