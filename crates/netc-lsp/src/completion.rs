//! Completion from the tokens before the cursor: what the grammar and the
//! checker accept there.

use lsp_types::{
    CompletionItem, CompletionItemKind, Documentation, InsertTextFormat, MarkupContent, MarkupKind,
};

use crate::lexer::{self, Kind, Token};
use crate::vocabulary::{self, Category, Word};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Model,
    Forward,
    Train,
    Other,
}

/// What the text before the cursor says about where it is.
#[derive(Debug, Default)]
struct Context<'t> {
    blocks: Vec<Block>,
    /// Open parentheses, with the name called by each (`None`: a tuple).
    calls: Vec<Option<&'t str>>,
    /// The last two tokens before the word being typed.
    previous: Vec<Token<'t>>,
    /// Layers declared in the model around the cursor, anywhere in it.
    layers: Vec<&'t str>,
    /// The input and variables assigned before the cursor.
    values: Vec<&'t str>,
}

pub fn complete(text: &str, offset: usize) -> Vec<CompletionItem> {
    let offset = floor_boundary(text, offset);
    let context = context(text, offset);
    let mut items = Vec::new();
    match (context.blocks.last(), context.calls.last()) {
        (_, Some(callee)) => in_call(&context, *callee, &mut items),
        (Some(Block::Train), None) => in_train(&context, &mut items),
        (Some(Block::Forward), None) => in_forward(&context, &mut items),
        (Some(Block::Model), None) => in_model(&context, &mut items),
        (None, None) => items.push(keyword("model", "a model block")),
        (Some(Block::Other), None) => {}
    }
    items
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn context(text: &str, offset: usize) -> Context<'_> {
    let tokens = lexer::tokens(text);
    // The word being typed is not context.
    let before: Vec<&Token<'_>> = tokens
        .iter()
        .filter(|t| {
            t.start + t.text.len() < offset
                || (t.start + t.text.len() == offset && t.kind != Kind::Name)
        })
        .collect();
    let mut context = Context::default();
    let mut model_layers: Vec<&str> = Vec::new();
    let mut assigning: Option<&str> = None;
    for (i, token) in before.iter().enumerate() {
        let prev = |back: usize| i.checked_sub(back).map(|j| before[j].text);
        match token.text {
            "{" => {
                let block = match (prev(1), prev(2)) {
                    (Some("forward"), _) => Block::Forward,
                    (Some("train"), _) => Block::Train,
                    (_, Some("model")) if context.blocks.is_empty() => Block::Model,
                    _ => Block::Other,
                };
                if block == Block::Model {
                    model_layers.clear();
                    context.values.clear();
                }
                assigning = None;
                context.blocks.push(block);
                context.calls.clear();
            }
            "}" => {
                context.blocks.pop();
                context.calls.clear();
            }
            "(" => context.calls.push(
                prev(1).filter(|p| p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')),
            ),
            ")" => {
                context.calls.pop();
            }
            "=" if context.calls.is_empty() => {
                if let Some(name) = prev(1) {
                    match context.blocks.last() {
                        Some(Block::Model) => model_layers.push(name),
                        // A value exists once its statement is over: when
                        // the next one starts.
                        Some(Block::Forward) => {
                            context.values.extend(assigning.replace(name));
                        }
                        _ => {}
                    }
                }
            }
            "return" => context.values.extend(assigning.take()),
            ":" if context.blocks.last() == Some(&Block::Model) && prev(2) == Some("input") => {
                if let Some(name) = prev(1) {
                    context.values.push(name);
                }
            }
            _ => {}
        }
    }
    context.previous = before
        .iter()
        .rev()
        .take(2)
        .rev()
        .map(|t| (*t).clone())
        .collect();
    context.layers = model_layers;
    // Layers declared after the cursor in the same model count too.
    let mut depth = context.blocks.len();
    let mut parens = context.calls.len();
    let after: Vec<&Token<'_>> = tokens.iter().filter(|t| t.start >= offset).collect();
    for (i, token) in after.iter().enumerate() {
        match token.text {
            "{" => depth += 1,
            "}" if depth <= 1 => break,
            "}" => depth -= 1,
            "(" => parens += 1,
            ")" => parens = parens.saturating_sub(1),
            "=" if depth == 1 && parens == 0 && i > 0 && after[i - 1].kind == Kind::Name => {
                context.layers.push(after[i - 1].text)
            }
            _ => {}
        }
    }
    let mut seen = std::collections::HashSet::new();
    context.values.retain(|value| seen.insert(*value));
    context
}

impl Context<'_> {
    fn previous_is(&self, text: &str) -> bool {
        self.previous.last().is_some_and(|t| t.text == text)
    }

    /// `key` in `key =` right before the cursor.
    fn assigned_key(&self) -> Option<&str> {
        match self.previous.as_slice() {
            [key, eq] if eq.text == "=" && key.kind == Kind::Name => Some(key.text),
            _ => None,
        }
    }
}

fn in_call(context: &Context<'_>, callee: Option<&str>, items: &mut Vec<CompletionItem>) {
    if let Some(key) = context.assigned_key() {
        match key {
            "init" | "bias_init" => words(Category::Init, items),
            "nonlinearity" => {
                for (name, gain) in vocabulary::NONLINEARITIES {
                    items.push(item(name, CompletionItemKind::ENUM_MEMBER, gain, None));
                }
            }
            "mode" => words(Category::FanMode, items),
            "bias" | "affine" | "elementwise_affine" | "nesterov" | "count_include_pad" => {
                for value in ["true", "false"] {
                    items.push(item(value, CompletionItemKind::VALUE, "boolean", None));
                }
            }
            "momentum" => items.push(item(
                "none",
                CompletionItemKind::VALUE,
                "cumulative average",
                None,
            )),
            "padding" => {
                for (value, detail) in [
                    ("same", "output size = input size (stride 1)"),
                    ("valid", "no padding"),
                ] {
                    items.push(item(value, CompletionItemKind::VALUE, detail, None));
                }
            }
            _ => {}
        }
        return;
    }
    if !(context.previous_is("(") || context.previous_is(",")) {
        return;
    }
    if let Some(word) = callee.and_then(|c| vocabulary::lookup(c).next()) {
        for argument in &word.arguments {
            let (name, detail) = match argument.split_once('=') {
                Some((name, default)) => {
                    (name, format!("{} argument, default {default}", word.name))
                }
                None => (
                    argument.as_str(),
                    format!("{} argument, required", word.name),
                ),
            };
            let mut completion = item(name, CompletionItemKind::PROPERTY, &detail, None);
            completion.insert_text = Some(format!("{name}="));
            items.push(completion);
        }
    }
    let in_forward = context.blocks.last() == Some(&Block::Forward);
    let is_layer_call = callee.is_some_and(|c| context.layers.contains(&c));
    let is_function = callee.is_some_and(vocabulary::is_forward_function);
    if in_forward && (is_layer_call || is_function) {
        values(context, items);
    }
}

fn in_train(context: &Context<'_>, items: &mut Vec<CompletionItem>) {
    match context.assigned_key() {
        Some("loss") => words(Category::Loss, items),
        Some("optimizer") => words(Category::Optimizer, items),
        Some("lr_schedule") => words(Category::Schedule, items),
        Some(_) => {}
        None => {
            for word in vocabulary::of(Category::TrainKey) {
                let mut completion = word_item(word);
                completion.insert_text = Some(format!("{} = ", word.name));
                items.push(completion);
            }
        }
    }
}

fn in_forward(context: &Context<'_>, items: &mut Vec<CompletionItem>) {
    if context.previous_is("=") || context.previous_is("return") || context.previous_is("+") {
        values(context, items);
    } else {
        for value in &context.values {
            items.push(item(value, CompletionItemKind::VARIABLE, "value", None));
        }
        items.push(keyword("return", "the model's output"));
    }
}

fn in_model(context: &Context<'_>, items: &mut Vec<CompletionItem>) {
    if context.previous_is("=") {
        for word in vocabulary::of(Category::LayerKind) {
            let mut completion = word_item(word);
            completion.insert_text = Some(format!("{}($1)", word.name));
            completion.insert_text_format = Some(InsertTextFormat::SNIPPET);
            items.push(completion);
        }
    } else if !context.previous_is(":") && !context.previous_is("input") {
        items.push(keyword("input", "the input: `input x: 9`"));
        items.push(keyword("forward", "the forward pass"));
        items.push(keyword("train", "the training settings"));
    }
}

/// Layer names, functions (activations, flatten) and values: what a
/// forward expression reads.
fn values(context: &Context<'_>, items: &mut Vec<CompletionItem>) {
    for layer in &context.layers {
        items.push(item(layer, CompletionItemKind::FIELD, "layer", None));
    }
    words(Category::Activation, items);
    items.extend(
        vocabulary::of(Category::LayerKind)
            .filter(|word| vocabulary::is_forward_function(word.name))
            .map(word_item),
    );
    for value in &context.values {
        items.push(item(value, CompletionItemKind::VARIABLE, "value", None));
    }
}

fn words(category: Category, items: &mut Vec<CompletionItem>) {
    items.extend(vocabulary::of(category).map(word_item));
}

fn word_item(word: &Word) -> CompletionItem {
    let kind = match word.category {
        Category::TrainKey => CompletionItemKind::PROPERTY,
        Category::FanMode => CompletionItemKind::ENUM_MEMBER,
        _ => CompletionItemKind::FUNCTION,
    };
    item(
        word.name,
        kind,
        word.category.label(),
        Some(vocabulary::describe(word)),
    )
}

fn keyword(name: &str, detail: &str) -> CompletionItem {
    item(name, CompletionItemKind::KEYWORD, detail, None)
}

fn item(
    label: &str,
    kind: CompletionItemKind,
    detail: &str,
    docs: Option<String>,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.to_string()),
        documentation: docs.map(|value| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            })
        }),
        ..CompletionItem::default()
    }
}
