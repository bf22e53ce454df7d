//! Hover: a layer's kind, widths or shapes, parameter count, init and
//! predicted gradient; a value's width or shape; a built-in name's meaning
//! and defaults; the
//! `netc explain` text of the diagnostics under the cursor.

use netc_lang::analysis;
use netc_lang::ast::{self, ExprKind, Item};
use netc_lang::ir::{self, LayerKind, Shape, StateTensor};
use netc_lang::rules;

use crate::document::Checked;
use crate::names::{self, Occurrence};
use crate::vocabulary;
use crate::widths;

/// Markdown for what is at `offset`, or `None` when there is nothing to
/// say.
pub fn hover(text: &str, checked: &Checked, offset: usize) -> Option<String> {
    let mut sections = Vec::new();
    let occurrences = names::occurrences(&checked.syntax);
    if let Some(occurrence) = names::at(&occurrences, offset) {
        sections.extend(name_hover(checked, &occurrences, occurrence));
    } else if let Some(word) = word_at(text, offset) {
        sections.extend(vocabulary::lookup(word).map(vocabulary::describe));
        let before = text[..offset].trim_end_matches(is_name_char).trim_end();
        let key = before.strip_suffix('=').map(str::trim_end);
        if key.is_some_and(|key| key.ends_with("nonlinearity")) {
            if let Some((_, gain)) = vocabulary::NONLINEARITIES.iter().find(|(n, _)| *n == word) {
                sections = vec![format!(
                    "**{word}** — init nonlinearity: {gain} (`nn.init.calculate_gain`)"
                )];
            }
        }
    }
    // The rules of the diagnostics under the cursor: `netc explain`'s text
    // when there is nothing else to show, else one line each.
    let rules: Vec<&rules::Rule> = checked
        .diagnostics
        .iter()
        .filter(|d| d.span.start <= offset && offset <= d.span.end)
        .filter_map(|d| rules::lookup(d.code))
        .collect();
    if sections.is_empty() {
        sections.extend(rules.into_iter().map(explanation));
    } else {
        sections.extend(rules.into_iter().map(|rule| {
            format!(
                "**{} {}**: {} (`netc explain {}`)",
                rule.code, rule.name, rule.summary, rule.code
            )
        }));
    }
    (!sections.is_empty()).then(|| sections.join("\n\n---\n\n"))
}

/// `netc explain`'s text of a rule.
pub fn explanation(rule: &rules::Rule) -> String {
    format!(
        "**{} {}**: {} (default severity: {})\n\n{}",
        rule.code,
        rule.name,
        rule.summary,
        rule.severity.as_str(),
        rule.doc
    )
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The name (letters, digits, `_`) around `offset`.
pub fn word_at(text: &str, offset: usize) -> Option<&str> {
    let offset = offset.min(text.len());
    if !text.is_char_boundary(offset) {
        return None;
    }
    let start = text[..offset].trim_end_matches(is_name_char).len();
    let end = offset
        + text[offset..]
            .find(|c| !is_name_char(c))
            .unwrap_or(text.len() - offset);
    (start < end).then(|| &text[start..end])
}

fn name_hover(
    checked: &Checked,
    occurrences: &[Occurrence],
    occurrence: &Occurrence,
) -> Option<String> {
    let syntax_model = checked.syntax.models.get(occurrence.model)?;
    let model = widths::ir_model(&checked.program, syntax_model);
    if occurrence.role.is_layer() {
        let model = model?;
        let (handle, layer) = widths::layer_named(model, &occurrence.name)?;
        return Some(layer_hover(checked, syntax_model, model, handle, layer));
    }
    let shape = model.and_then(|model| value_shape(syntax_model, model, occurrences, occurrence));
    Some(match shape {
        Some(shape) => format!("**{}** — value of {}", occurrence.name, described(shape)),
        None => format!("**{}** — value", occurrence.name),
    })
}

/// `width 16` or `shape (6, 24, 24)`.
fn described(shape: Shape) -> String {
    match shape {
        Shape::Flat(width) => format!("width {width}"),
        Shape::Image(_) => format!("shape {shape}"),
    }
}

/// The shape of the value a variable names at this occurrence: that of
/// the statement that assigned it, or the input's.
fn value_shape(
    syntax: &ast::Model,
    model: &ir::Model,
    occurrences: &[Occurrence],
    occurrence: &Occurrence,
) -> Option<Shape> {
    let definition = names::definition(occurrences, occurrence)?;
    if definition.role == names::Role::Input {
        return Some(model.input.shape);
    }
    let forward = syntax.items.iter().find_map(|item| match item {
        Item::Forward(block) => Some(block),
        _ => None,
    })?;
    widths::statements(forward, model)
        .into_iter()
        .find(|(span, _)| span.start <= definition.span.start && definition.span.end <= span.end)
        .map(|(_, shape)| shape)
}

fn layer_hover(
    checked: &Checked,
    syntax: &ast::Model,
    model: &ir::Model,
    handle: ir::Handle<ir::Layer>,
    layer: &ir::Layer,
) -> String {
    let mut lines = vec![format!("**{}** — {} layer", layer.name, layer.kind.name())];
    if let Some((input, output)) = widths::layer_io(model, handle) {
        lines.push(match (input, output) {
            (Shape::Flat(input), Shape::Flat(output)) => format!("width {input} → {output}"),
            _ => format!("shape {input} → {output}"),
        });
        let trainable: usize = layer
            .kind
            .state_dict()
            .iter()
            .filter(|tensor| tensor.role.is_trainable())
            .map(StateTensor::numel)
            .sum();
        lines.push(format!("{trainable} trainable parameters"));
    }
    let settings: Vec<String> = layer
        .kind
        .settings()
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    if !settings.is_empty() {
        lines.push(settings.join(", "));
    }
    let init = match &layer.kind {
        LayerKind::Linear(spec) => Some(&spec.init),
        LayerKind::Conv2d(spec) => Some(&spec.init),
        _ => None,
    };
    if let Some(init) = init {
        lines.push(match init_as_written(syntax, &layer.name) {
            Some(init) => format!("init: `{init}`"),
            None if init.is_none() => {
                "init: PyTorch's default, `kaiming_uniform(a=√5)` = U(±1/√fan_in)".to_string()
            }
            None => "init: as declared".to_string(),
        });
    }
    if netc_lang::has_errors(&checked.diagnostics) {
        lines.push("gradient prediction: fix the errors first".to_string());
    } else {
        lines.extend(gradient_lines(model, handle));
    }
    lines.join("\n\n")
}

/// The `init=` argument of a layer's declaration, as written.
fn init_as_written(syntax: &ast::Model, layer: &str) -> Option<String> {
    syntax.items.iter().find_map(|item| match item {
        Item::Layer(decl) if decl.name.name == layer => match &decl.value.kind {
            ExprKind::Call(call) => call
                .args
                .iter()
                .find(|arg| arg.key.as_ref().is_some_and(|k| k.name == "init"))
                .map(|arg| netc_fmt::format_expr(&arg.value)),
            _ => None,
        },
        _ => None,
    })
}

/// The mean-field prediction at init for a layer's calls, and the
/// model's gradient ratio R (`netc analyze`).
fn gradient_lines(model: &ir::Model, handle: ir::Handle<ir::Layer>) -> Vec<String> {
    let analysis = analysis::analyze(model);
    let mut lines = Vec::new();
    for row in analysis.rows.iter().filter(|row| row.layer == handle) {
        let mut line = format!(
            "predicted at init: gradient E[δ²] = {} × the output's",
            number(row.d)
        );
        if let Some(g) = row.g {
            line.push_str(&format!(", E‖∇W‖² = {}", number(g)));
        }
        if let Some(step) = row.step {
            line.push_str(&format!(", relative step {}", number(step)));
        }
        lines.push(line);
    }
    if let Some(r) = analysis.r {
        lines.push(format!(
            "model gradient ratio R = √(G_first / G_last) = {} ({})",
            number(r),
            analysis.verdict.as_str()
        ));
    }
    lines
}

fn number(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e4) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}
