//! Binding a call's arguments to parameters, and reading argument values
//! with NN036/NN037 diagnostics. Every layer, init, activation, loss,
//! optimizer and schedule reads its arguments through here, so they all
//! accept and reject the same way (Python's rules: positional first, each
//! parameter at most once).

mod arith;

use crate::ast::{Call, Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::span::Span;
use crate::suggest::did_you_mean;

/// Arguments bound to a parameter list: `values[i]` is what was passed for
/// `params[i]`.
pub(crate) struct Bound<'e> {
    values: Vec<Option<&'e Expr>>,
}

impl<'e> Bound<'e> {
    /// `params` parameters, none given.
    pub(crate) fn empty(params: usize) -> Self {
        Bound {
            values: vec![None; params],
        }
    }

    pub(crate) fn get(&self, index: usize) -> Option<&'e Expr> {
        self.values.get(index).copied().flatten()
    }
}

/// Binds `call`'s arguments to `params`, the first `positional` of which
/// may be passed by position. `what` names the callee in messages
/// ("`linear`").
pub(crate) fn bind<'e>(
    call: &'e Call,
    what: &str,
    params: &[&str],
    positional: usize,
    diags: &mut Vec<Diagnostic>,
) -> Bound<'e> {
    let order: Vec<usize> = (0..positional.min(params.len())).collect();
    bind_in_order(call, what, params, &order, diags)
}

/// [`bind`] with the parameters positional arguments fill given
/// explicitly: `linear(16)` fills `out_features`, not `in_features`.
pub(crate) fn bind_in_order<'e>(
    call: &'e Call,
    what: &str,
    params: &[&str],
    order: &[usize],
    diags: &mut Vec<Diagnostic>,
) -> Bound<'e> {
    let positional = order.len();
    let mut values: Vec<Option<&'e Expr>> = vec![None; params.len()];
    let mut spans = vec![None; params.len()];
    let mut next_position = 0;
    let mut seen_keyword = false;
    for arg in &call.args {
        let index = match &arg.key {
            None if seen_keyword => {
                diags.push(
                    Diagnostic::new(
                        &rules::INVALID_VALUE,
                        arg.span,
                        "positional argument after a keyword argument",
                    )
                    .with_span_label("name this argument")
                    .with_help(format!(
                        "`{what}` takes its parameters in this order: {}",
                        params.join(", ")
                    )),
                );
                continue;
            }
            None => {
                if next_position >= positional {
                    diags.push(too_many_positional(what, params, positional, arg.span));
                    next_position += 1;
                    continue;
                }
                next_position += 1;
                order[next_position - 1]
            }
            Some(key) => {
                seen_keyword = true;
                let Some(index) = params.iter().position(|p| *p == key.name) else {
                    diags.push(unknown_name(
                        "argument",
                        &key.name,
                        key.span,
                        params,
                        &format!("for `{what}`"),
                    ));
                    continue;
                };
                index
            }
        };
        if let Some(first) = spans[index] {
            diags.push(
                Diagnostic::new(
                    &rules::INVALID_VALUE,
                    arg.span,
                    format!("argument `{}` given twice", params[index]),
                )
                .with_span_label("given again here")
                .with_label(first, "first given here"),
            );
            continue;
        }
        values[index] = Some(&arg.value);
        spans[index] = Some(arg.span);
    }
    Bound { values }
}

fn too_many_positional(
    what: &str,
    params: &[&str],
    positional: usize,
    span: crate::ir::Span,
) -> Diagnostic {
    let message = match positional {
        0 => format!("`{what}` takes no positional arguments"),
        1 => format!("`{what}` takes 1 positional argument"),
        n => format!("`{what}` takes at most {n} positional arguments"),
    };
    let diag =
        Diagnostic::new(&rules::INVALID_VALUE, span, message).with_span_label("extra argument");
    if params.is_empty() {
        diag.with_help(format!("`{what}` takes no arguments"))
    } else {
        diag.with_help(format!("`{what}` accepts: {}", params.join(", ")))
    }
}

/// NN036 for a name that is not among `known`, with did-you-mean. `kind`
/// names the category ("activation"), `context` ends the message ("for
/// `adam`", may be empty).
pub(crate) fn unknown_name(
    kind: &str,
    name: &str,
    span: crate::ir::Span,
    known: &[&str],
    context: &str,
) -> Diagnostic {
    unknown_name_of(&rules::UNKNOWN_NAME, kind, name, span, known, context)
}

/// [`unknown_name`] under another rule (NN038 for train keys).
pub(crate) fn unknown_name_of(
    rule: &rules::Rule,
    kind: &str,
    name: &str,
    span: crate::ir::Span,
    known: &[&str],
    context: &str,
) -> Diagnostic {
    let message = if context.is_empty() {
        format!("unknown {kind} `{name}`")
    } else {
        format!("unknown {kind} `{name}` {context}")
    };
    let diag = Diagnostic::new(rule, span, message);
    match did_you_mean(name, known.iter().copied()) {
        Some(similar) => diag
            .with_span_label(format!("did you mean `{similar}`?"))
            .with_help(format!(
                "{} with a similar name exists: `{similar}`",
                a_or_an(kind)
            ))
            .with_guessed_fix(span, similar),
        None if known.is_empty() => diag.with_span_label(format!("unknown {kind}")),
        None => diag
            .with_span_label(format!("unknown {kind}"))
            .with_help(format!("expected one of: {}", known.join(", "))),
    }
}

fn a_or_an(word: &str) -> String {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {word}")
    } else {
        format!("a {word}")
    }
}

/// NN037: a value of the wrong sort or out of range.
pub(crate) fn invalid(expr: &Expr, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(&rules::INVALID_VALUE, expr.span, message)
}

/// NN037 for a required argument that is missing.
pub(crate) fn missing(call_span: crate::ir::Span, what: &str, param: &str) -> Diagnostic {
    Diagnostic::new(
        &rules::INVALID_VALUE,
        call_span,
        format!("`{what}` is missing its argument `{param}`"),
    )
    .with_span_label(format!("`{param}` is required"))
}

/// The default when the argument is absent, else what `read` makes of it.
pub(crate) fn optional<T>(
    expr: Option<&Expr>,
    default: T,
    read: impl FnOnce(&Expr) -> Option<T>,
) -> Option<T> {
    match expr {
        Some(e) => read(e),
        None => Some(default),
    }
}

/// A number (integer arithmetic included), or NN037.
pub(crate) fn number(expr: &Expr, param: &str, diags: &mut Vec<Diagnostic>) -> Option<f64> {
    match &expr.ungrouped().kind {
        ExprKind::Add(_) | ExprKind::Arith(_) => match arith::evaluate(expr, param) {
            // An f64 holds every width exactly; a larger value is out of
            // any parameter's range anyway.
            Ok(value) => Some(value as f64),
            Err(diag) => {
                diags.push(*diag);
                None
            }
        },
        ExprKind::Number(n) if n.value.is_finite() => Some(n.value),
        ExprKind::Number(n) => {
            diags.push(invalid(
                expr,
                format!("`{param}` = {} is not a finite number", n.text),
            ));
            None
        }
        _ => {
            diags.push(
                invalid(
                    expr,
                    format!("`{param}` expects a number, found {}", expr.describe()),
                )
                .with_span_label("expected a number"),
            );
            None
        }
    }
}

/// A number in `[low, high]`, or NN037.
pub(crate) fn number_in(
    expr: &Expr,
    param: &str,
    low: f64,
    high: f64,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    let value = number(expr, param, diags)?;
    if (low..=high).contains(&value) {
        Some(value)
    } else {
        diags.push(
            invalid(
                expr,
                format!("`{param}` must be in [{low}, {high}], found {value}"),
            )
            .with_span_label("out of range"),
        );
        None
    }
}

/// A number > 0, or NN037.
pub(crate) fn positive_number(
    expr: &Expr,
    param: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    let value = number(expr, param, diags)?;
    if value > 0.0 {
        Some(value)
    } else {
        diags.push(
            invalid(expr, format!("`{param}` must be positive, found {value}"))
                .with_span_label("must be > 0"),
        );
        None
    }
}

/// Widths above this are a typo, not a model (and would overflow
/// parameter counts downstream).
pub(crate) const MAX_WIDTH: usize = 1 << 24;

/// An integer in `[min, max]`: written without fraction or exponent, or
/// integer arithmetic (`16 * 5 * 5`).
pub(crate) fn integer(
    expr: &Expr,
    param: &str,
    min: i64,
    max: u64,
    diags: &mut Vec<Diagnostic>,
) -> Option<u64> {
    // The value, and how a range error shows it and labels it.
    let (value, found, label) = match &expr.ungrouped().kind {
        ExprKind::Add(_) | ExprKind::Arith(_) => match arith::evaluate(expr, param) {
            Ok(value) => (
                i128::from(value),
                value.to_string(),
                format!("this is {value}"),
            ),
            Err(diag) => {
                diags.push(*diag);
                return None;
            }
        },
        ExprKind::Number(n) if n.is_integer_literal() => (
            n.text.parse::<i128>().unwrap_or(i128::MAX),
            format!("`{}`", n.text),
            "out of range".to_string(),
        ),
        ExprKind::Number(n) => {
            diags.push(
                invalid(
                    expr,
                    format!("`{param}` must be an integer, found `{}`", n.text),
                )
                .with_span_label("not an integer"),
            );
            return None;
        }
        _ => {
            diags.push(
                invalid(
                    expr,
                    format!("`{param}` expects an integer, found {}", expr.describe()),
                )
                .with_span_label("expected an integer"),
            );
            return None;
        }
    };
    let problem = if value < i128::from(min) {
        match min {
            1 => "must be a positive integer".to_string(),
            0 => "must not be negative".to_string(),
            _ => format!("must be at least {min}"),
        }
    } else if value > i128::from(max) {
        format!("must be at most {max}")
    } else {
        return u64::try_from(value).ok();
    };
    diags.push(invalid(expr, format!("`{param}` {problem}, found {found}")).with_span_label(label));
    None
}

/// A width: a positive integer.
pub(crate) fn width(expr: &Expr, param: &str, diags: &mut Vec<Diagnostic>) -> Option<usize> {
    size(expr, param, 1, diags)
}

/// A size in `[min, MAX_WIDTH]`: a kernel, stride, padding or dilation.
pub(crate) fn size(
    expr: &Expr,
    param: &str,
    min: i64,
    diags: &mut Vec<Diagnostic>,
) -> Option<usize> {
    let value = integer(expr, param, min, MAX_WIDTH as u64, diags)?;
    usize::try_from(value).ok()
}

/// PyTorch's `_size_2_t`: one size for both axes, or a `(height, width)`
/// pair, each in `[min, MAX_WIDTH]`.
pub(crate) fn size_pair(
    expr: &Expr,
    param: &str,
    min: i64,
    diags: &mut Vec<Diagnostic>,
) -> Option<(usize, usize)> {
    match &expr.ungrouped().kind {
        ExprKind::Tuple(items) => match items.as_slice() {
            [height, width] => {
                let height = size(height, param, min, diags);
                let width = size(width, param, min, diags);
                Some((height?, width?))
            }
            _ => {
                diags.push(
                    invalid(
                        expr,
                        format!(
                            "`{param}` expects one size or a (height, width) pair, found {} values",
                            items.len()
                        ),
                    )
                    .with_span_label("expected 2 values"),
                );
                None
            }
        },
        _ => size(expr, param, min, diags).map(|value| (value, value)),
    }
}

/// `true` or `false`, or NN037.
pub(crate) fn boolean(expr: &Expr, param: &str, diags: &mut Vec<Diagnostic>) -> Option<bool> {
    match &expr.ungrouped().kind {
        ExprKind::Bool(value) => Some(*value),
        _ => {
            diags.push(
                invalid(
                    expr,
                    format!(
                        "`{param}` expects `true` or `false`, found {}",
                        expr.describe()
                    ),
                )
                .with_span_label("expected `true` or `false`"),
            );
            None
        }
    }
}

/// A string, or NN037.
pub(crate) fn string<'e>(
    expr: &'e Expr,
    param: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'e str> {
    match &expr.ungrouped().kind {
        ExprKind::Str(text) => Some(text),
        _ => {
            diags.push(
                invalid(
                    expr,
                    format!("`{param}` expects a string, found {}", expr.describe()),
                )
                .with_span_label("expected a quoted string"),
            );
            None
        }
    }
}

/// A bare name among `known` (NN036 with did-you-mean otherwise), or NN037
/// when something other than a name was written.
pub(crate) fn name_among<'e>(
    expr: &'e Expr,
    param: &str,
    kind: &str,
    known: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Option<&'e str> {
    match &expr.ungrouped().kind {
        ExprKind::Name(name) if known.contains(&name.as_str()) => Some(name),
        ExprKind::Name(name) => {
            diags.push(unknown_name(kind, name, expr.span, known, ""));
            None
        }
        _ => {
            diags.push(
                invalid(
                    expr,
                    format!("`{param}` expects a name, found {}", expr.describe()),
                )
                .with_span_label("expected a name")
                .with_help(format!("expected one of: {}", known.join(", "))),
            );
            None
        }
    }
}

/// A callee with optional arguments: `adam`, `adam()`, `adam(lr=1e-3)`.
/// `None` (with NN037) for other shapes.
pub(crate) enum NamedCall<'e> {
    Bare(&'e str),
    Call(&'e Call),
}

impl<'e> NamedCall<'e> {
    pub(crate) fn name(&self) -> &'e str {
        match self {
            NamedCall::Bare(name) => name,
            NamedCall::Call(call) => &call.callee.name,
        }
    }

    /// The arguments (none for a bare name).
    pub(crate) fn bind(
        &self,
        what: &str,
        params: &[&str],
        positional: usize,
        diags: &mut Vec<Diagnostic>,
    ) -> Bound<'e> {
        match self {
            NamedCall::Bare(_) => Bound::empty(params.len()),
            NamedCall::Call(call) => bind(call, what, params, positional, diags),
        }
    }
}

/// Reads `expr` as a bare name or a call; `param` and `kind` word the
/// NN037 otherwise.
pub(crate) fn named_call<'e>(
    expr: &'e Expr,
    param: &str,
    kind: &str,
    known: &[&str],
    diags: &mut Vec<Diagnostic>,
) -> Option<NamedCall<'e>> {
    match &expr.ungrouped().kind {
        ExprKind::Name(name) => Some(NamedCall::Bare(name)),
        ExprKind::Call(call) => Some(NamedCall::Call(call)),
        _ => {
            diags.push(
                invalid(
                    expr,
                    format!(
                        "`{param}` expects {} name, found {}",
                        a_or_an(kind),
                        expr.describe()
                    ),
                )
                .with_span_label(format!("expected {} name", a_or_an(kind)))
                .with_help(format!("expected one of: {}", known.join(", "))),
            );
            None
        }
    }
}

/// The span of a named call's callee (the whole expression for a bare
/// name).
pub(crate) fn callee_span(expr: &Expr) -> crate::ir::Span {
    match &expr.ungrouped().kind {
        ExprKind::Call(call) => call.callee.span,
        _ => expr.ungrouped().span,
    }
}

pub(crate) fn required<'e>(
    bound: &Bound<'e>,
    index: usize,
    call_span: Span,
    what: &str,
    param: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'e Expr> {
    let value = bound.get(index);
    if value.is_none() {
        diags.push(missing(call_span, what, param));
    }
    value
}

/// `eps`: positive, `default` (PyTorch's) when left out.
pub(crate) fn eps(
    bound: &Bound<'_>,
    index: usize,
    default: f64,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    bound
        .get(index)
        .map_or(Some(default), |e| positive_number(e, "eps", diags))
}

/// An optional size pair, `default` when left out.
pub(crate) fn pair_or(
    bound: &Bound<'_>,
    index: usize,
    param: &str,
    min: i64,
    default: (usize, usize),
    diags: &mut Vec<Diagnostic>,
) -> Option<(usize, usize)> {
    optional(bound.get(index), default, |e| {
        size_pair(e, param, min, diags)
    })
}

/// `n` for a square pair, `(h, w)` otherwise: as the user would write it.
pub(crate) fn pair((h, w): (usize, usize)) -> String {
    if h == w {
        h.to_string()
    } else {
        format!("({h}, {w})")
    }
}
