//! Document symbols: models, with their input, layers and blocks, and the
//! train block's settings.

use lsp_types::{DocumentSymbol, SymbolKind};
use netc_lang::ast::{self, Item, Span};

use crate::position::LineMap;

pub fn document_symbols(file: &ast::File, lines: &LineMap<'_>) -> Vec<DocumentSymbol> {
    file.models
        .iter()
        .map(|model| {
            let children = model
                .items
                .iter()
                .map(|item| item_symbol(item, lines))
                .collect();
            symbol(
                &model.name.name,
                "model",
                SymbolKind::CLASS,
                model.span,
                model.name.span,
                lines,
                children,
            )
        })
        .collect()
}

fn item_symbol(item: &Item, lines: &LineMap<'_>) -> DocumentSymbol {
    match item {
        Item::Input(decl) => symbol(
            &decl.name.name,
            "input",
            SymbolKind::VARIABLE,
            decl.span,
            decl.name.span,
            lines,
            Vec::new(),
        ),
        Item::Layer(decl) => {
            let kind = match &decl.value.kind {
                ast::ExprKind::Call(call) => call.callee.name.as_str(),
                _ => "layer",
            };
            symbol(
                &decl.name.name,
                kind,
                SymbolKind::FIELD,
                decl.span,
                decl.name.span,
                lines,
                Vec::new(),
            )
        }
        Item::Forward(block) => symbol(
            "forward",
            "",
            SymbolKind::METHOD,
            block.span,
            block.keyword,
            lines,
            Vec::new(),
        ),
        Item::Train(block) => {
            let children = block
                .entries
                .iter()
                .map(|entry| {
                    let value = netc_fmt::format_expr(&entry.value);
                    symbol(
                        &entry.key.name,
                        &value,
                        SymbolKind::PROPERTY,
                        entry.span,
                        entry.key.span,
                        lines,
                        Vec::new(),
                    )
                })
                .collect();
            symbol(
                "train",
                "",
                SymbolKind::STRUCT,
                block.span,
                block.keyword,
                lines,
                children,
            )
        }
    }
}

#[allow(deprecated)] // `deprecated` is a required field of the type
fn symbol(
    name: &str,
    detail: &str,
    kind: SymbolKind,
    span: Span,
    name_span: Span,
    lines: &LineMap<'_>,
    children: Vec<DocumentSymbol>,
) -> DocumentSymbol {
    DocumentSymbol {
        name: name.to_string(),
        detail: (!detail.is_empty()).then(|| detail.to_string()),
        kind,
        tags: None,
        deprecated: None,
        range: lines.range(span),
        selection_range: lines.range(name_span),
        children: (!children.is_empty()).then_some(children),
    }
}
