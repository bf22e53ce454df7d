//! Inlay hints: `: 16` (a width) or `: (6, 24, 24)` (an image) after each
//! `forward` statement, `: 9 → 16` or `: (1, 28, 28) → (6, 24, 24)` after
//! each layer declaration, from the checker's shape inference.

use lsp_types::{InlayHint, InlayHintKind, InlayHintLabel};
use netc_lang::ast::{Item, Span};

use crate::document::Checked;
use crate::position::LineMap;
use crate::widths;

/// The hints whose anchor lies in `within`.
pub fn hints(checked: &Checked, lines: &LineMap<'_>, within: Span) -> Vec<InlayHint> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for syntax in &checked.syntax.models {
        let Some(model) = widths::ir_model(&checked.program, syntax) else {
            continue;
        };
        for item in &syntax.items {
            match item {
                Item::Layer(decl) => {
                    let io = widths::layer_named(model, &decl.name.name)
                        .and_then(|(handle, _)| widths::layer_io(model, handle));
                    if let Some((input, output)) = io {
                        found.push((decl.span.end, format!(": {input} → {output}")));
                    }
                }
                Item::Forward(block) => {
                    for (span, shape) in widths::statements(block, model) {
                        found.push((span.end, format!(": {shape}")));
                    }
                }
                Item::Input(_) | Item::Train(_) => {}
            }
        }
    }
    found
        .into_iter()
        .filter(|(at, _)| within.start <= *at && *at <= within.end)
        .map(|(at, label)| InlayHint {
            position: lines.position(at),
            label: InlayHintLabel::String(label),
            kind: Some(InlayHintKind::TYPE),
            text_edits: None,
            tooltip: None,
            padding_left: Some(true),
            padding_right: None,
            data: None,
        })
        .collect()
}
