//! `train { ... }` → `TrainConfig` with netc-ops' defaults for every key
//! left out; NN038 for unknown and repeated keys.

use std::collections::HashMap;

use netc_ops::{Loss, LrSchedule, Optimizer, TrainConfig};

use super::args::{self, callee_span, named_call, optional};
use crate::ast::{Expr, ExprKind, TrainBlock};
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::span::Span;

pub(crate) struct LoweredTrain {
    pub config: TrainConfig,
    /// The `loss = ...` value, for NN005.
    pub loss_span: Option<Span>,
}

pub(crate) fn lower_train(block: &TrainBlock, diags: &mut Vec<Diagnostic>) -> LoweredTrain {
    let mut config = TrainConfig::default();
    let mut loss_span = None;
    let mut seen: HashMap<&str, Span> = HashMap::new();
    for entry in &block.entries {
        let key = entry.key.name.as_str();
        if !TrainConfig::KEYS.contains(&key) {
            diags.push(args::unknown_name_of(
                &rules::INVALID_TRAIN_KEY,
                "train setting",
                key,
                entry.key.span,
                TrainConfig::KEYS,
                "",
            ));
            continue;
        }
        if let Some(&first) = seen.get(key) {
            diags.push(
                Diagnostic::new(
                    &rules::INVALID_TRAIN_KEY,
                    entry.key.span,
                    format!("`{key}` is set twice"),
                )
                .with_span_label("set again here")
                .with_label(first, "first set here")
                .with_help("keep one of them"),
            );
            continue;
        }
        seen.insert(key, entry.key.span);
        let value = &entry.value;
        match key {
            "loss" => {
                if let Some(loss) = loss(value, diags) {
                    config.loss = loss;
                    loss_span = Some(value.span);
                }
            }
            "optimizer" => {
                if let Some(optimizer) = optimizer(value, diags) {
                    config.optimizer = optimizer;
                }
            }
            "batch" => {
                if let Some(batch) = count(value, "batch", diags) {
                    config.batch = batch;
                }
            }
            "epochs" => {
                if let Some(epochs) = count(value, "epochs", diags) {
                    config.epochs = epochs;
                }
            }
            "clip_grad_norm" => {
                if let Some(norm) = args::number(value, "clip_grad_norm", diags) {
                    config.clip_grad_norm = Some(norm);
                }
            }
            "seed" => {
                if let Some(seed) = args::integer(value, "seed", 0, u64::MAX, diags) {
                    config.seed = seed;
                }
            }
            "lr_schedule" => {
                if let Some(schedule) = lr_schedule(value, diags) {
                    config.lr_schedule = Some(schedule);
                }
            }
            "data" => {
                if let Some(path) = args::string(value, "data", diags) {
                    config.data = Some(path.to_string());
                }
            }
            _ => {
                if let Some(column) = args::string(value, "target", diags) {
                    config.target = Some(column.to_string());
                }
            }
        }
    }
    LoweredTrain { config, loss_span }
}

/// `batch` and `epochs`: non-negative integers. Zero is kept so NN032
/// (train hyperparameters) can report it with its own explanation.
fn count(expr: &Expr, param: &str, diags: &mut Vec<Diagnostic>) -> Option<usize> {
    let value = args::integer(expr, param, 0, u32::MAX.into(), diags)?;
    usize::try_from(value).ok()
}

fn loss(expr: &Expr, diags: &mut Vec<Diagnostic>) -> Option<Loss> {
    let loss = named_call(expr, "loss", "loss", Loss::NAMES, diags)?;
    let name = loss.name();
    let Some(default) = Loss::from_name(name) else {
        diags.push(args::unknown_name(
            "loss",
            name,
            callee_span(expr),
            Loss::NAMES,
            "",
        ));
        return None;
    };
    Some(match default {
        Loss::Huber { delta } => {
            let bound = loss.bind(name, &["delta"], 1, diags);
            let delta = match bound.get(0) {
                Some(e) => args::positive_number(e, "delta", diags)?,
                None => delta,
            };
            Loss::Huber { delta }
        }
        Loss::Bce | Loss::BceWithLogits | Loss::CrossEntropy | Loss::Mse | Loss::L1 => {
            loss.bind(name, &[], 0, diags);
            default
        }
    })
}

fn optimizer(expr: &Expr, diags: &mut Vec<Diagnostic>) -> Option<Optimizer> {
    let optimizer = named_call(expr, "optimizer", "optimizer", Optimizer::NAMES, diags)?;
    let name = optimizer.name();
    let Some(default) = Optimizer::from_name(name) else {
        diags.push(args::unknown_name(
            "optimizer",
            name,
            callee_span(expr),
            Optimizer::NAMES,
            "",
        ));
        return None;
    };
    Some(match default {
        Optimizer::Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay,
        } => {
            let params = ["lr", "momentum", "nesterov", "weight_decay"];
            let bound = optimizer.bind(name, &params, 4, diags);
            // Read every argument before returning on an error.
            let lr = optional(bound.get(0), lr, |e| args::number(e, "lr", diags));
            let momentum = optional(bound.get(1), momentum, |e| {
                non_negative(e, "momentum", diags)
            });
            let nesterov = optional(bound.get(2), nesterov, |e| {
                args::boolean(e, "nesterov", diags)
            });
            let weight_decay = optional(bound.get(3), weight_decay, |e| {
                non_negative(e, "weight_decay", diags)
            });
            let (lr, momentum, nesterov, weight_decay) = (lr?, momentum?, nesterov?, weight_decay?);
            if nesterov && momentum <= 0.0 {
                let span = bound.get(2).map_or(callee_span(expr), |e| e.span);
                diags.push(
                    Diagnostic::new(
                        &rules::INVALID_VALUE,
                        span,
                        "nesterov momentum needs `momentum` > 0",
                    )
                    .with_span_label("nesterov without momentum")
                    .with_help("set `momentum`, e.g. `momentum=0.9`"),
                );
                return None;
            }
            Optimizer::Sgd {
                lr,
                momentum,
                nesterov,
                weight_decay,
            }
        }
        Optimizer::Adam {
            lr,
            betas,
            eps,
            weight_decay,
        }
        | Optimizer::AdamW {
            lr,
            betas,
            eps,
            weight_decay,
        } => {
            let params = ["lr", "betas", "eps", "weight_decay"];
            let bound = optimizer.bind(name, &params, 4, diags);
            let lr = optional(bound.get(0), lr, |e| args::number(e, "lr", diags));
            let betas = optional(bound.get(1), betas, |e| adam_betas(e, diags));
            let eps = optional(bound.get(2), eps, |e| non_negative(e, "eps", diags));
            let weight_decay = optional(bound.get(3), weight_decay, |e| {
                non_negative(e, "weight_decay", diags)
            });
            let (lr, betas, eps, weight_decay) = (lr?, betas?, eps?, weight_decay?);
            if let Optimizer::Adam { .. } = default {
                Optimizer::Adam {
                    lr,
                    betas,
                    eps,
                    weight_decay,
                }
            } else {
                Optimizer::AdamW {
                    lr,
                    betas,
                    eps,
                    weight_decay,
                }
            }
        }
    })
}

fn non_negative(expr: &Expr, param: &str, diags: &mut Vec<Diagnostic>) -> Option<f64> {
    args::number_in(expr, param, 0.0, f64::MAX, diags)
}

/// `betas=(0.9, 0.999)`: two numbers in [0, 1).
fn adam_betas(expr: &Expr, diags: &mut Vec<Diagnostic>) -> Option<(f64, f64)> {
    let ExprKind::Tuple(items) = &expr.kind else {
        diags.push(
            args::invalid(
                expr,
                format!("`betas` expects a pair, found {}", expr.describe()),
            )
            .with_span_label("expected `(beta1, beta2)`"),
        );
        return None;
    };
    let [beta1, beta2] = items.as_slice() else {
        diags.push(
            args::invalid(
                expr,
                format!("`betas` takes 2 numbers, found {}", items.len()),
            )
            .with_span_label("expected `(beta1, beta2)`"),
        );
        return None;
    };
    let mut beta = |e: &Expr, param: &str| {
        let value = args::number(e, param, diags)?;
        if (0.0..1.0).contains(&value) {
            Some(value)
        } else {
            diags.push(
                args::invalid(e, format!("`{param}` must be in [0, 1), found {value}"))
                    .with_span_label("out of range"),
            );
            None
        }
    };
    let first = beta(beta1, "betas[0]");
    let second = beta(beta2, "betas[1]");
    Some((first?, second?))
}

fn lr_schedule(expr: &Expr, diags: &mut Vec<Diagnostic>) -> Option<LrSchedule> {
    let schedule = named_call(expr, "lr_schedule", "schedule", LrSchedule::NAMES, diags)?;
    let name = schedule.name();
    Some(match name {
        "step" => {
            let bound = schedule.bind(name, &["step_size", "gamma"], 2, diags);
            let Some(size) = bound.get(0) else {
                diags.push(args::missing(callee_span(expr), "step", "step_size"));
                return None;
            };
            let step_size = args::width(size, "step_size", diags)?;
            let gamma = match bound.get(1) {
                Some(e) => args::positive_number(e, "gamma", diags)?,
                None => LrSchedule::STEP_GAMMA,
            };
            LrSchedule::Step { step_size, gamma }
        }
        "cosine" => {
            let bound = schedule.bind(name, &["t_max", "eta_min"], 2, diags);
            let t_max = match bound.get(0) {
                Some(e) => Some(args::width(e, "t_max", diags)?),
                None => None,
            };
            let eta_min = match bound.get(1) {
                Some(e) => args::number_in(e, "eta_min", 0.0, f64::MAX, diags)?,
                None => LrSchedule::COSINE_ETA_MIN,
            };
            LrSchedule::Cosine { t_max, eta_min }
        }
        unknown => {
            diags.push(args::unknown_name(
                "schedule",
                unknown,
                callee_span(expr),
                LrSchedule::NAMES,
                "",
            ));
            return None;
        }
    })
}
