//! Whole-model checks run after lowering: input widths nothing fixed
//! (NN037) and the output width against the loss (NN005).

use super::forward::LayerEntry;
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::span::Span;

/// NN037 for `linear(out)` layers never called: nothing fixes their input
/// width.
pub(super) fn uninferred_inputs(entries: &[LayerEntry], diags: &mut Vec<Diagnostic>) {
    for entry in entries {
        if let Some((_, widths)) = entry.lowered {
            if widths.input.is_none() && widths.output.is_some() && !entry.called {
                diags.push(
                    Diagnostic::new(
                        &rules::INVALID_VALUE,
                        entry.span,
                        format!("cannot infer the input width of `{}`", entry.name),
                    )
                    .with_span_label("declared without `in_features` and never called")
                    .with_help(
                        "give the input width, `linear(in, out)`, or call the layer in `forward`",
                    ),
                );
            }
        }
    }
}

/// NN005: cross_entropy needs two or more logits, bce one output.
pub(super) fn loss_fits_output(
    loss: &netc_ops::Loss,
    width: usize,
    loss_span: Span,
    returned: Span,
) -> Option<Diagnostic> {
    use netc_ops::Loss;
    let (message, help) = match loss {
        Loss::CrossEntropy if width < 2 => (
            format!("`cross_entropy` needs at least 2 outputs (one logit per class), but `forward` returns {width}"),
            "for two classes use one output with `bce_with_logits`, or return one logit per class",
        ),
        Loss::Bce | Loss::BceWithLogits if width > 1 => (
            format!("`{}` needs 1 output per sample, but `forward` returns {width}", loss.name()),
            "for several classes use `cross_entropy` on one logit per class",
        ),
        _ => return None,
    };
    Some(
        Diagnostic::new(&rules::LOSS_OUTPUT_MISMATCH, loss_span, message)
            .with_span_label(format!("`{}`", loss.name()))
            .with_label(returned, format!("this has width {width}"))
            .with_help(help),
    )
}
