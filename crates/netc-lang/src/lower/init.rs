//! `init=...` and `bias_init=...` values → `Init`, with PyTorch's defaults
//! for every argument left out.

use netc_ops::{FanMode, Init, Nonlinearity};

use super::args::{self, callee_span, named_call, Bound, NamedCall};
use crate::ast::Expr;
use crate::diagnostic::Diagnostic;

const FAN_MODES: &[&str] = &["fan_in", "fan_out"];

/// Reads an init; `None` after reporting why it is not one.
pub(crate) fn lower_init(expr: &Expr, param: &str, diags: &mut Vec<Diagnostic>) -> Option<Init> {
    let init = named_call(expr, param, "init", Init::NAMES, diags)?;
    let name = init.name();
    match Init::with_defaults(name) {
        Some(default) => with_arguments(default, &init, expr, diags),
        // The one known init without defaults: `constant`.
        None if Init::NAMES.contains(&name) => {
            let bound = init.bind(name, &["val"], 1, diags);
            let Some(val) = bound.get(0) else {
                diags.push(args::missing(callee_span(expr), name, "val"));
                return None;
            };
            Some(Init::Constant {
                value: args::number(val, "val", diags)?,
            })
        }
        None => {
            diags.push(args::unknown_name(
                "init",
                name,
                callee_span(expr),
                Init::NAMES,
                "",
            ));
            None
        }
    }
}

/// `default` (an init with PyTorch's defaults) with the arguments of
/// `init` in place of its defaults. Every argument is read before any
/// error returns, so one run reports them all.
fn with_arguments(
    default: Init,
    init: &NamedCall<'_>,
    expr: &Expr,
    diags: &mut Vec<Diagnostic>,
) -> Option<Init> {
    let what = init.name();
    Some(match default {
        Init::KaimingUniform {
            a,
            mode,
            nonlinearity,
        }
        | Init::KaimingNormal {
            a,
            mode,
            nonlinearity,
        } => {
            let bound = init.bind(what, &["a", "mode", "nonlinearity"], 3, diags);
            let a = optional_number(bound.get(0), "a", a, diags);
            let mode = bound.get(1).map_or(Some(mode), |e| {
                args::name_among(e, "mode", "mode", FAN_MODES, diags).map(|m| match m {
                    "fan_out" => FanMode::FanOut,
                    _ => FanMode::FanIn,
                })
            });
            let nonlinearity = bound
                .get(2)
                .map_or(Some(nonlinearity), |e| read_nonlinearity(e, diags));
            let (a, mode, nonlinearity) = (a?, mode?, nonlinearity?);
            if let Init::KaimingUniform { .. } = default {
                Init::KaimingUniform {
                    a,
                    mode,
                    nonlinearity,
                }
            } else {
                Init::KaimingNormal {
                    a,
                    mode,
                    nonlinearity,
                }
            }
        }
        Init::XavierUniform { gain } | Init::XavierNormal { gain } | Init::Orthogonal { gain } => {
            let bound = init.bind(what, &["gain"], 1, diags);
            let gain = optional_number(bound.get(0), "gain", gain, diags)?;
            match default {
                Init::XavierUniform { .. } => Init::XavierUniform { gain },
                Init::XavierNormal { .. } => Init::XavierNormal { gain },
                _ => Init::Orthogonal { gain },
            }
        }
        Init::Uniform { a, b } => {
            let bound = init.bind(what, &["a", "b"], 2, diags);
            let a = optional_number(bound.get(0), "a", a, diags);
            let b = optional_number(bound.get(1), "b", b, diags);
            let (a, b) = (a?, b?);
            if a > b {
                let span = bound.get(0).map_or(callee_span(expr), |e| e.span);
                diags.push(
                    Diagnostic::new(
                        &crate::rules::INVALID_VALUE,
                        span,
                        format!("`uniform` needs a <= b, found a = {a}, b = {b}"),
                    )
                    .with_span_label("lower bound above the upper bound"),
                );
                return None;
            }
            Init::Uniform { a, b }
        }
        Init::Normal { mean, std } => {
            let bound = init.bind(what, &["mean", "std"], 2, diags);
            let mean = optional_number(bound.get(0), "mean", mean, diags);
            let std = optional_non_negative(bound.get(1), "std", std, diags);
            Init::Normal {
                mean: mean?,
                std: std?,
            }
        }
        Init::TruncNormal { mean, std, a, b } => {
            let bound = init.bind(what, &["mean", "std", "a", "b"], 4, diags);
            let mean = optional_number(bound.get(0), "mean", mean, diags);
            let std = optional_non_negative(bound.get(1), "std", std, diags);
            let a = optional_number(bound.get(2), "a", a, diags);
            let b = optional_number(bound.get(3), "b", b, diags);
            Init::TruncNormal {
                mean: mean?,
                std: std?,
                a: a?,
                b: b?,
            }
        }
        // Inits without arguments; `constant` has no defaults and never
        // gets here.
        Init::Zeros | Init::Ones | Init::Constant { .. } => {
            init.bind(what, &[], 0, diags);
            default
        }
    })
}

fn read_nonlinearity(expr: &Expr, diags: &mut Vec<Diagnostic>) -> Option<Nonlinearity> {
    // `from_name` also reads `identity`, PyTorch's other name for linear.
    let names: Vec<&str> = Nonlinearity::NAMES
        .iter()
        .copied()
        .chain([Nonlinearity::IDENTITY])
        .collect();
    let name = args::name_among(expr, "nonlinearity", "nonlinearity", &names, diags)?;
    Nonlinearity::from_name(name)
}

fn optional_number(
    expr: Option<&Expr>,
    param: &str,
    default: f64,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    args::optional(expr, default, |e| args::number(e, param, diags))
}

fn optional_non_negative(
    expr: Option<&Expr>,
    param: &str,
    default: f64,
    diags: &mut Vec<Diagnostic>,
) -> Option<f64> {
    args::optional(expr, default, |e| {
        args::number_in(e, param, 0.0, f64::INFINITY, diags)
    })
}

/// `init` and `bias_init`, bound at `index` and `index + 1`, of a layer
/// of kind `what` whose `bias` is as read (`None`: invalid, reported);
/// `None` when either is invalid, or `bias_init` is given without a bias.
pub(crate) fn inits(
    bound: &Bound<'_>,
    index: usize,
    bias: Option<bool>,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Option<Init>, Option<Init>)> {
    let init = match bound.get(index) {
        Some(e) => lower_init(e, "init", diags).map(Some),
        None => Some(None),
    };
    let bias_init = match bound.get(index + 1) {
        Some(e) => lower_init(e, "bias_init", diags).map(Some),
        None => Some(None),
    };
    let (init, bias_init) = (init?, bias_init?);
    if let (Some(_), Some(false), Some(e)) = (bias_init, bias, bound.get(index + 1)) {
        diags.push(
            args::invalid(
                e,
                format!("`bias_init` on a {what} layer with `bias=false`"),
            )
            .with_span_label("there is no bias to initialise"),
        );
        return None;
    }
    Some((init, bias_init))
}
