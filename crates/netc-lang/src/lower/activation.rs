//! Activation calls in `forward`: the value first, then the activation's
//! options as PyTorch's functional API names them (netc-ops knows each
//! activation's options and their defaults).

use netc_ops::Activation;

use super::args::{self, Bound};
use crate::diagnostic::Diagnostic;

/// The parameters of `activation`: the value, then its options.
pub(crate) fn params(activation: &Activation) -> Vec<&'static str> {
    let options = activation.parameters().into_iter().map(|(name, _)| name);
    std::iter::once("input").chain(options).collect()
}

/// `default` (an activation with PyTorch's defaults) with its options read
/// from `bound`, bound to [`params`].
pub(crate) fn read(
    default: Activation,
    bound: &Bound<'_>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Activation> {
    // Every option is read before an error returns, so one run reports
    // them all.
    let values: Vec<Option<f64>> = default
        .parameters()
        .into_iter()
        .enumerate()
        .map(|(index, (param, value))| {
            args::optional(bound.get(index + 1), value, |e| {
                args::number(e, param, diags)
            })
        })
        .collect();
    let values: Vec<f64> = values.into_iter().collect::<Option<_>>()?;
    let activation = default.with_parameters(&values);
    if let Activation::Softplus { beta, .. } = activation {
        if beta == 0.0 {
            if let Some(e) = bound.get(1) {
                diags.push(
                    args::invalid(e, "`beta` of `softplus` must not be 0")
                        .with_span_label("softplus divides by beta"),
                );
            }
            return None;
        }
    }
    Some(activation)
}

#[cfg(test)]
mod tests {
    use netc_ops::Activation;

    #[test]
    fn every_activation_reads_back_as_itself_with_its_defaults() {
        for activation in Activation::ALL {
            let params = super::params(&activation);
            assert_eq!(params[0], "input");
            let bound = super::args::Bound::empty(params.len());
            let read = super::read(activation, &bound, &mut Vec::new());
            assert_eq!(read, Some(activation));
        }
    }
}
