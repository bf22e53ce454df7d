//! Every Plan op kind becomes exactly one call of its `netc_runtime::ops`
//! struct — the struct the interpreter runs for the same op (both come
//! from the op table) — with the Plan's buffers and its widths as
//! `Const`s, and nothing else: no arithmetic of the generator's own.
//! The snapshot shows one emitted statement per op kind.

use netc_plan::{build_plan, Fresh, Op, OpKind, ValidPlan, RUNTIME_OPS};

/// Uses every op kind: linear, batchnorm, layernorm, dropout,
/// activations, a residual sum (and so an accumulated gradient),
/// clipping and an optimizer; the other two models, the image ops
/// (convolutions; batchnorm2d and the three poolings — a flatten is no op).
const EVERY_OP: &str = "
model EveryOp {
    input x: 4
    fc1 = linear(4, 8)
    bn = batchnorm(8)
    ln = layernorm(8)
    drop = dropout(0.25)
    fc2 = linear(8, 2)
    forward {
        h = relu(bn(fc1(x)))
        h = h + ln(h)
        return fc2(drop(h))
    }
    train {
        loss = mse
        optimizer = adam(lr=1e-3)
        batch = 4
        clip_grad_norm = 1.0
    }
}

model Images {
    input x: (1, 4, 4)
    conv1 = conv2d(1, 2, 3, padding=1)
    conv2 = conv2d(2, 1, 2, stride=2)
    forward {
        return conv2(relu(conv1(x)))
    }
    train {
        loss = mse
        optimizer = sgd(lr=0.1)
        batch = 4
    }
}

model ImageOps {
    input x: (2, 6, 6)
    bn = batchnorm2d(2)
    pool = max_pool2d(2)
    avg = avg_pool2d(2, stride=1)
    gap = adaptive_avg_pool2d(1)
    fc = linear(2, 3)
    forward {
        return fc(flatten(gap(avg(pool(bn(x))))))
    }
    train {
        loss = mse
        optimizer = sgd(lr=0.1)
        batch = 4
    }
}
";

fn plans() -> Vec<ValidPlan> {
    let mut plans: Vec<ValidPlan> = netc_testkit::valid_models(EVERY_OP)
        .iter()
        .map(|model| {
            build_plan(model, model.train.as_ref().expect("a train block")).expect("a valid plan")
        })
        .collect();
    plans.push(with_a_zero(plans[0].clone()));
    plans
}

/// Every backward op of these models starts its outputs itself, so
/// lowering leaves no `Zero` (it remains for ops that cannot): a Plan
/// with one, as another producer of Plans may write it.
fn with_a_zero(plan: ValidPlan) -> ValidPlan {
    let mut plan = plan.into_plan();
    let first = &mut plan.backward[1];
    let buf = first.kind.outputs()[0].expect("a written output");
    *first.kind.fresh_mut().expect("a fresh operand") = Fresh::NONE;
    let zero = Op {
        kind: OpKind::Zero { buf },
        origin: first.origin.clone(),
    };
    plan.backward.insert(1, zero);
    plan.validate().expect("a valid plan")
}

#[test]
fn every_op_kind_is_one_call_of_its_runtime_op() {
    let plans = plans();
    let codes: Vec<String> = plans
        .iter()
        .map(|plan| {
            netc_codegen::format(&netc_codegen::generate(plan).expect("generates"))
                .expect("formats")
        })
        .collect();
    let mut shown = String::new();
    for &kind in RUNTIME_OPS {
        let (op, code) = plans
            .iter()
            .zip(&codes)
            .find_map(|(plan, code)| {
                let op = plan.all_ops().find(|op| op.kind.runtime_op() == kind)?;
                Some((op, code))
            })
            .unwrap_or_else(|| panic!("the models exercise no `{kind}` op"));
        let call = format!("::netc::runtime::ops::{kind} {{");
        let statement = code
            .split("::netc::runtime::ops::")
            .skip(1)
            .map(|rest| format!("::netc::runtime::ops::{rest}"))
            .find(|statement| statement.starts_with(&call))
            .unwrap_or_else(|| panic!("no `{call}` in the generated code"));
        let statement = statement
            .split_inclusive(".run();")
            .next()
            .expect("a call ends in run()");
        assert_eq!(statement.matches("::netc::runtime::ops::").count(), 1);
        shown.push_str(&format!(
            "// {} ({})\n{statement}\n\n",
            op.kind.name(),
            op.origin
        ));
    }
    insta::assert_snapshot!(shown);
}
