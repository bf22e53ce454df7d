//! NN002: layers declared but never reached from the output.

use super::forward::LayerEntry;
use crate::diagnostic::Diagnostic;
use crate::ir::{Model, NodeKind};
use crate::rules;

/// When `forward` lowered cleanly and returns, a layer counts as used only
/// if the output depends on it; otherwise the graph is incomplete and any
/// call of the layer counts, so an error elsewhere does not make every
/// layer look unused.
pub(crate) fn unused_layers(model: &Model, entries: &[LayerEntry], clean: bool) -> Vec<Diagnostic> {
    let reached = match (clean, model.output) {
        (true, Some(output)) => {
            let mut reached = vec![false; model.layers.len()];
            let mut live = vec![false; model.nodes.len()];
            live[output.index()] = true;
            // Operands precede their users, so one backward sweep suffices.
            for (handle, node) in model.nodes.iter().collect::<Vec<_>>().into_iter().rev() {
                if !live[handle.index()] {
                    continue;
                }
                if let NodeKind::Call { layer, .. } = node.kind {
                    reached[layer.index()] = true;
                }
                for operand in node.kind.operands() {
                    live[operand.index()] = true;
                }
            }
            Some(reached)
        }
        _ => None,
    };
    let label = if reached.is_some() {
        "never reached from the output of `forward`"
    } else {
        "never called in `forward`"
    };
    entries
        .iter()
        .filter(|entry| match (&reached, entry.lowered) {
            (Some(reached), Some((handle, _))) => !reached[handle.index()],
            (None, Some(_)) => !entry.called,
            (_, None) => false,
        })
        .map(|entry| {
            Diagnostic::new(
                &rules::UNUSED_LAYER,
                entry.span,
                format!("layer `{}` is declared but never used", entry.name),
            )
            .with_span_label(label)
            .with_help(format!("remove `{}` or call it in `forward`", entry.name))
        })
        .collect()
}
