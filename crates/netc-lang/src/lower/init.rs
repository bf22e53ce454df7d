//! `init=...` and `bias_init=...` values → `Init`, with PyTorch's defaults
//! for every argument left out.

use netc_ops::{FanMode, Init, Nonlinearity};

use super::args::{self, callee_span, named_call};
use crate::ast::Expr;
use crate::diagnostic::Diagnostic;

const FAN_MODES: &[&str] = &["fan_in", "fan_out"];

/// Reads an init; `None` after reporting why it is not one.
pub(crate) fn lower_init(expr: &Expr, param: &str, diags: &mut Vec<Diagnostic>) -> Option<Init> {
    let init = named_call(expr, param, "init", Init::NAMES, diags)?;
    let name = init.name();
    let what = name;
    Some(match name {
        "kaiming_uniform" | "kaiming_normal" => {
            let bound = init.bind(what, &["a", "mode", "nonlinearity"], 3, diags);
            // Every argument is read before any error returns, so one run
            // reports them all.
            let a = optional_number(bound.get(0), "a", 0.0, diags);
            let mode = bound.get(1).map_or(Some(FanMode::FanIn), |e| {
                args::name_among(e, "mode", "mode", FAN_MODES, diags).map(|m| match m {
                    "fan_out" => FanMode::FanOut,
                    _ => FanMode::FanIn,
                })
            });
            let nonlinearity = bound
                .get(2)
                .map_or(Some(Nonlinearity::LeakyRelu), |e| nonlinearity(e, diags));
            let (a, mode, nonlinearity) = (a?, mode?, nonlinearity?);
            if name == "kaiming_uniform" {
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
        "xavier_uniform" | "xavier_normal" | "orthogonal" => {
            let bound = init.bind(what, &["gain"], 1, diags);
            let gain = optional_number(bound.get(0), "gain", 1.0, diags)?;
            match name {
                "xavier_uniform" => Init::XavierUniform { gain },
                "xavier_normal" => Init::XavierNormal { gain },
                _ => Init::Orthogonal { gain },
            }
        }
        "uniform" => {
            let bound = init.bind(what, &["a", "b"], 2, diags);
            let a = optional_number(bound.get(0), "a", 0.0, diags);
            let b = optional_number(bound.get(1), "b", 1.0, diags);
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
        "normal" => {
            let bound = init.bind(what, &["mean", "std"], 2, diags);
            let mean = optional_number(bound.get(0), "mean", 0.0, diags);
            let std = optional_non_negative(bound.get(1), "std", 1.0, diags);
            Init::Normal {
                mean: mean?,
                std: std?,
            }
        }
        "trunc_normal" => {
            let bound = init.bind(what, &["mean", "std", "a", "b"], 4, diags);
            let mean = optional_number(bound.get(0), "mean", 0.0, diags);
            let std = optional_non_negative(bound.get(1), "std", 1.0, diags);
            let a = optional_number(bound.get(2), "a", -2.0, diags);
            let b = optional_number(bound.get(3), "b", 2.0, diags);
            Init::TruncNormal {
                mean: mean?,
                std: std?,
                a: a?,
                b: b?,
            }
        }
        "constant" => {
            let bound = init.bind(what, &["val"], 1, diags);
            let Some(val) = bound.get(0) else {
                diags.push(args::missing(callee_span(expr), "constant", "val"));
                return None;
            };
            Init::Constant {
                value: args::number(val, "val", diags)?,
            }
        }
        "zeros" | "ones" => {
            init.bind(what, &[], 0, diags);
            if name == "zeros" {
                Init::Zeros
            } else {
                Init::Ones
            }
        }
        unknown => {
            diags.push(args::unknown_name(
                "init",
                unknown,
                callee_span(expr),
                Init::NAMES,
                "",
            ));
            return None;
        }
    })
}

fn nonlinearity(expr: &Expr, diags: &mut Vec<Diagnostic>) -> Option<Nonlinearity> {
    let name = args::name_among(expr, "nonlinearity", "nonlinearity", NONLINEARITIES, diags)?;
    Nonlinearity::from_name(name)
}

/// `Nonlinearity::NAMES` plus `identity`, which `from_name` also reads.
const NONLINEARITIES: &[&str] = &[
    "linear",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
    "identity",
];

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

#[cfg(test)]
mod tests {
    use super::NONLINEARITIES;
    use netc_ops::Nonlinearity;

    #[test]
    fn every_listed_nonlinearity_is_known_to_netc_ops() {
        for name in NONLINEARITIES {
            assert!(Nonlinearity::from_name(name).is_some(), "{name}");
        }
        for name in Nonlinearity::NAMES {
            assert!(NONLINEARITIES.contains(name), "{name}");
        }
    }
}
