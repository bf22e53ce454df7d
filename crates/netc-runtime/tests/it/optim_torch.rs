//! The optimizers replay torch.optim's update sequences (fixture from
//! scripts/torch_reference/optim_reference.py) on every ISA path.

use netc_ops::Optimizer;
use netc_runtime::optim::{optimizer_step_with, ParamState};
use netc_runtime::simd::Isa;

struct Case {
    name: String,
    opt: Optimizer,
    init: Vec<f32>,
    /// (gradient, parameter after the step) per step.
    steps: Vec<(Vec<f32>, Vec<f32>)>,
}

fn floats(rest: &str) -> Vec<f32> {
    rest.split_whitespace()
        .map(|v| v.parse::<f64>().expect("fixture number") as f32)
        .collect()
}

fn optimizer(kind: &str, fields: &[(&str, f64)]) -> Optimizer {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(name, _)| *name == k)
            .map(|&(_, v)| v)
            .expect("fixture field")
    };
    match kind {
        "sgd" => Optimizer::Sgd {
            lr: get("lr"),
            momentum: get("momentum"),
            nesterov: get("nesterov") != 0.0,
            weight_decay: get("weight_decay"),
        },
        "adam" => Optimizer::Adam {
            lr: get("lr"),
            betas: (get("beta1"), get("beta2")),
            eps: get("eps"),
            weight_decay: get("weight_decay"),
        },
        "adamw" => Optimizer::AdamW {
            lr: get("lr"),
            betas: (get("beta1"), get("beta2")),
            eps: get("eps"),
            weight_decay: get("weight_decay"),
        },
        other => panic!("unknown optimizer {other}"),
    }
}

fn cases() -> Vec<Case> {
    let text = include_str!("../fixtures/optim_reference.txt");
    let mut cases: Vec<Case> = Vec::new();
    let mut pending_grad = None;
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (tag, rest) = line.split_once(' ').expect("tagged line");
        match tag {
            "case" => {
                let mut words = rest.split_whitespace();
                let name = words.next().expect("name").to_string();
                let kind = words.next().expect("kind");
                let fields: Vec<(&str, f64)> = words
                    .map(|w| {
                        let (k, v) = w.split_once('=').expect("key=value");
                        (k, v.parse().expect("number"))
                    })
                    .collect();
                cases.push(Case {
                    name,
                    opt: optimizer(kind, &fields),
                    init: Vec::new(),
                    steps: Vec::new(),
                });
            }
            "init" => cases.last_mut().expect("case").init = floats(rest),
            "grad" => pending_grad = Some(floats(rest)),
            "param" => {
                let g = pending_grad.take().expect("grad before param");
                cases
                    .last_mut()
                    .expect("case")
                    .steps
                    .push((g, floats(rest)));
            }
            other => panic!("unknown fixture line {other}"),
        }
    }
    cases
}

#[test]
fn fixture_covers_every_optimizer_variant() {
    let cases = cases();
    assert_eq!(cases.len(), 8);
    assert!(cases
        .iter()
        .all(|c| c.steps.len() == 6 && !c.init.is_empty()));
    let has = |f: &dyn Fn(&Optimizer) -> bool| cases.iter().any(|c| f(&c.opt));
    assert!(has(&|o| matches!(o, Optimizer::Sgd { nesterov: true, .. })));
    assert!(has(
        &|o| matches!(o, Optimizer::Sgd { momentum, .. } if *momentum == 0.0)
    ));
    assert!(has(
        &|o| matches!(o, Optimizer::Adam { weight_decay, .. } if *weight_decay > 0.0)
    ));
    assert!(has(&|o| matches!(o, Optimizer::AdamW { .. })));
}

#[test]
fn every_path_reproduces_torch_optim_step_by_step() {
    for isa in Isa::available() {
        for case in cases() {
            let mut param = case.init.clone();
            let mut state = ParamState::new(param.len(), &case.opt);
            for (step, (grad, want)) in case.steps.iter().enumerate() {
                let before = param.clone();
                optimizer_step_with(
                    isa,
                    &case.opt,
                    &mut param,
                    grad,
                    &mut state,
                    step as u64 + 1,
                );
                for (i, ((&got, &w), &b)) in param.iter().zip(want).zip(&before).enumerate() {
                    // A few f32 ulps of the operands plus the rounding every
                    // earlier step of size ~lr carried in: FMA and PyTorch's
                    // own vector kernels round differently, nothing more. A
                    // wrong rule term is off by orders of magnitude more.
                    let scale = w.abs().max(b.abs()) + case.opt.lr() as f32 * (step + 1) as f32;
                    let tol = 4.0 * f32::EPSILON * scale;
                    assert!(
                        (got - w).abs() <= tol,
                        "{} on {}: step {} element {i}: got {got}, torch {w}",
                        case.name,
                        isa.name(),
                        step + 1
                    );
                }
            }
        }
    }
}

#[test]
fn optimizer_state_has_the_buffers_the_rule_needs() {
    let n = 5;
    assert!(ParamState::new(n, &Optimizer::sgd_default())
        .first_moment()
        .is_empty());
    let momentum = Optimizer::Sgd {
        lr: 0.1,
        momentum: 0.9,
        nesterov: false,
        weight_decay: 0.0,
    };
    assert_eq!(ParamState::new(n, &momentum).first_moment().len(), n);
    let adam = ParamState::new(n, &Optimizer::adam_default());
    assert_eq!(
        (adam.first_moment().len(), adam.second_moment().len()),
        (n, n)
    );
}
