//! The Plan's shape: op order, buffer packing, aliasing, clipping and
//! which parameters the update touches.

use crate::common;

use std::collections::HashSet;

use common::{train_config, ModelBuilder};
use netc_lang::ValidModel;
use netc_ops::{Activation, Loss, Optimizer};
use netc_plan::{build_plan, Access, BufferKind, Fresh, OpKind, Plan};

/// fc1 → bn1 → elu → fc2 → bn2 → elu → fc3 → sigmoid, the seed network.
fn seed_model() -> ValidModel {
    let mut m = ModelBuilder::new("SeedNet", 9);
    let fc1 = m.linear("fc1", 9, 16);
    let bn1 = m.batchnorm("bn1", 16, true);
    let fc2 = m.linear("fc2", 16, 8);
    let bn2 = m.batchnorm("bn2", 8, true);
    let fc3 = m.linear("fc3", 8, 1);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.call(bn1, h);
    let h = m.act(Activation::Elu { alpha: 1.0 }, h);
    let h = m.call(fc2, h);
    let h = m.call(bn2, h);
    let h = m.act(Activation::Elu { alpha: 1.0 }, h);
    let h = m.call(fc3, h);
    let out = m.act(Activation::Sigmoid, h);
    m.finish(out, train_config(Loss::Bce, Optimizer::adam_default(), 32))
}

fn plan_of(model: &ValidModel) -> Plan {
    build_plan(model, model.train.as_ref().expect("train block"))
        .expect("a valid plan")
        .into_plan()
}

#[test]
fn loss_ends_the_forward_pass_and_starts_the_backward_kernels() {
    let plan = plan_of(&seed_model());
    assert!(matches!(
        plan.forward.last().map(|op| &op.kind),
        Some(OpKind::Loss { .. })
    ));
    let first_kernel = plan
        .backward
        .iter()
        .find(|op| !matches!(op.kind, OpKind::Zero { .. }));
    assert!(matches!(
        first_kernel.map(|op| &op.kind),
        Some(OpKind::LossBackward { .. })
    ));
    let origins: Vec<&str> = plan.forward.iter().map(|op| op.origin.as_str()).collect();
    assert_eq!(
        origins,
        [
            "fc1",
            "bn1",
            "elu after bn1",
            "fc2",
            "bn2",
            "elu after bn2",
            "fc3",
            "sigmoid after fc3",
            "loss"
        ]
    );
    assert!(plan.inference.iter().all(|op| !matches!(
        op.kind,
        OpKind::BatchNormTrain { .. } | OpKind::Dropout { .. } | OpKind::Loss { .. }
    )));
}

#[test]
fn no_op_writes_a_buffer_it_reads_or_writes_twice() {
    for plan in [plan_of(&seed_model()), plan_of(&residual_model())] {
        for op in plan
            .forward
            .iter()
            .chain(&plan.backward)
            .chain(&plan.update)
        {
            let mut reads = HashSet::new();
            let mut writes = Vec::new();
            op.kind.for_each_buffer(|id, access| match access {
                Access::Read => {
                    reads.insert(id);
                }
                Access::Write => writes.push(id),
            });
            let distinct: HashSet<_> = writes.iter().collect();
            assert_eq!(distinct.len(), writes.len(), "{op:?} writes a buffer twice");
            assert!(
                writes.iter().all(|w| !reads.contains(w)),
                "{op:?} reads what it writes"
            );
        }
    }
}

#[test]
fn activation_buffers_are_reused() {
    let plan = plan_of(&seed_model());
    let pooled = plan
        .buffers
        .iter()
        .filter(|b| b.kind == BufferKind::Activation)
        .count();
    // 7 intermediate forward values and 7 value gradients share fewer
    // buffers: gradients reuse what backward no longer needs.
    assert!(pooled < 14, "{pooled} pooled buffers:\n{plan}");
}

fn residual_model() -> ValidModel {
    let mut m = ModelBuilder::new("Residual", 4);
    let fc1 = m.linear("fc1", 4, 8);
    let fc2 = m.linear("fc2", 8, 8);
    let unused = m.linear("unused", 8, 8);
    let head = m.linear("head", 8, 3);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.act(Activation::Relu, h);
    let r = m.call(fc2, h);
    let h = m.add(h, r);
    let out = m.call(head, h);
    let _ = unused;
    let mut train = train_config(Loss::CrossEntropy, Optimizer::adam_default(), 16);
    train.clip_grad_norm = Some(1.0);
    m.finish(out, train)
}

#[test]
fn clipping_scales_a_copy_and_unused_layers_are_not_updated() {
    let plan = plan_of(&residual_model());
    // One norm per trained tensor, then their norm, then the coefficient.
    let norms = 6;
    for (index, op) in plan.update[..norms].iter().enumerate() {
        assert!(
            matches!(op.kind, OpKind::TensorNorm { index: i, .. } if i == index),
            "{op:?}"
        );
    }
    assert!(matches!(plan.update[norms].kind, OpKind::TotalNorm { .. }));
    assert!(matches!(
        plan.update[norms + 1].kind,
        OpKind::ClipCoef { .. }
    ));
    let stepped: Vec<&str> = plan
        .update
        .iter()
        .filter(|op| matches!(op.kind, OpKind::OptimizerStep { .. }))
        .map(|op| op.origin.as_str())
        .collect();
    assert_eq!(
        stepped,
        [
            "fc1.weight",
            "fc1.bias",
            "fc2.weight",
            "fc2.bias",
            "head.weight",
            "head.bias"
        ]
    );
    for op in &plan.update {
        if let OpKind::OptimizerStep { grad, .. } = op.kind {
            assert_eq!(plan.buffer(grad).kind, BufferKind::Scratch);
        }
    }
    // PyTorch keeps an unused layer in the state_dict.
    assert!(plan.state_entry("unused.weight").is_some());
}

#[test]
fn the_dump_names_buffers_and_origins() {
    let dump = plan_of(&seed_model()).to_string();
    for expected in [
        "plan SeedNet (batch 32, loss bce, optimizer adam lr=0.001)",
        "fc1.weight",
        "bn1.running_var",
        "bn1.num_batches_tracked",
        "counter",
        "forward (train):",
        "inference (eval):",
        "backward:",
        "update:",
        "batchnorm_backward",
        "; elu after bn1",
    ] {
        assert!(dump.contains(expected), "missing {expected:?} in\n{dump}");
    }
}

#[test]
fn memory_counts_every_buffer_and_saturates_for_impossible_widths() {
    let plan = plan_of(&seed_model());
    let bytes = plan.memory_bytes(32);
    // fc1 alone: a [16, 9] weight, its gradient and two Adam moments.
    assert!(bytes > 4 * 16 * 9 * 4, "{bytes}");
    assert!(plan.memory_bytes(64) > bytes, "per-sample buffers grow");

    let mut m = ModelBuilder::new("Huge", 9);
    let fc1 = m.linear("fc1", 9, 16_777_216);
    let fc2 = m.linear("fc2", 16_777_216, 16_777_216);
    let x = m.input();
    let h = m.call(fc1, x);
    let out = m.call(fc2, h);
    let huge = m.finish(out, train_config(Loss::Mse, Optimizer::adam_default(), 32));
    assert!(plan_of(&huge).memory_bytes(usize::MAX) == u64::MAX);
    assert!(plan_of(&huge).memory_bytes(32) > 1 << 50);
}

/// Lowering lays out the state the IR states (`LayerKind::state_dict`),
/// which the exporters and the editor also read: same names, order and
/// shapes for every layer kind and option.
#[test]
fn state_layout_is_the_irs_state_dict() {
    let path = netc_testkit::workspace_path("tests/fixtures/export/every_layer.nn");
    let source = std::fs::read_to_string(path).expect("every_layer.nn is in the repo");
    let model = netc_testkit::valid_model(&source);
    let plan = plan_of(&model);
    let from_plan: Vec<(String, Vec<usize>)> = plan
        .state
        .iter()
        .map(|entry| (entry.name.clone(), entry.shape.clone()))
        .collect();
    let from_ir: Vec<(String, Vec<usize>)> = model
        .layers
        .iter()
        .flat_map(|(_, layer)| {
            layer.kind.state_dict().into_iter().map(|tensor| {
                let name = format!("{}.{}", layer.name, tensor.role.suffix());
                (name, tensor.shape)
            })
        })
        .collect();
    assert_eq!(from_plan, from_ir);
    let trainable: Vec<bool> = plan.state.iter().map(|e| e.is_parameter()).collect();
    let trainable_in_ir: Vec<bool> = model
        .layers
        .iter()
        .flat_map(|(_, layer)| layer.kind.state_dict())
        .map(|tensor| tensor.role.is_trainable())
        .collect();
    assert_eq!(trainable, trainable_in_ir);
}

#[test]
fn first_writers_overwrite_and_only_the_others_are_zeroed() {
    // The seed network's every gradient has a linear, batchnorm or
    // activation backward as its first writer: no zeroing pass is left.
    let seed = plan_of(&seed_model());
    let zeros = seed
        .backward
        .iter()
        .filter(|op| matches!(op.kind, OpKind::Zero { .. }));
    assert_eq!(zeros.count(), 0, "{seed}");
    let dump = seed.to_string();
    assert!(dump.contains("=fc1.weight.grad"), "{dump}");
    // No backward op adds into a buffer nothing wrote earlier in the
    // pass (a stale step's values): through the residual sum, the
    // gradient of `h` is first overwritten by the sum's fan-out and then
    // added into by fc2's backward.
    for plan in [seed, plan_of(&residual_model())] {
        let mut written = HashSet::new();
        for op in &plan.backward {
            let fresh = op.kind.fresh().copied().unwrap_or_default();
            let starts_from_zero =
                matches!(op.kind, OpKind::Zero { .. } | OpKind::LossBackward { .. });
            for (index, output) in op.kind.outputs().into_iter().enumerate() {
                let Some(output) = output else { continue };
                let adds = !starts_from_zero && !fresh.output(index);
                assert!(
                    !adds || written.contains(&output),
                    "{op:?} adds into a buffer not written this pass:\n{plan}"
                );
                written.insert(output);
            }
        }
    }
}

#[test]
fn a_fresh_output_the_op_does_not_write_is_refused() {
    let mut plan = plan_of(&seed_model());
    let op = plan
        .backward
        .iter_mut()
        .find(|op| matches!(op.kind, OpKind::LinearBackward { dx: None, .. }))
        .expect("fc1's backward has no dx");
    *op.kind.fresh_mut().expect("a fresh operand") = Fresh(0b111);
    let error = plan.validate().expect_err("dx is absent");
    assert_eq!(
        error.to_string(),
        "`linear_backward` overwrites its output 0, which it does not write"
    );
}

#[test]
fn an_activation_backward_names_only_what_its_derivative_reads() {
    let mut plan = plan_of(&seed_model());
    // ELU's derivative reads its output (whose sign is the input's) and
    // sigmoid's reads its output: neither keeps its input for the backward.
    let mut activations = 0;
    for op in &plan.backward {
        if let OpKind::ActivationBackward { x, y, .. } = op.kind {
            assert_eq!((x.is_some(), y.is_some()), (false, true), "{op:?}");
            activations += 1;
        }
    }
    assert_eq!(activations, 3);
    let op = plan
        .backward
        .iter_mut()
        .find(|op| matches!(op.kind, OpKind::ActivationBackward { .. }))
        .expect("an activation backward");
    if let OpKind::ActivationBackward { y, .. } = &mut op.kind {
        *y = None;
    }
    let error = plan.validate().expect_err("y is absent");
    assert_eq!(
        error.to_string(),
        "`activation_backward` reads `y`, which it does not name"
    );
}

/// Seed at batch 32: the forward's 9·16 + 16·8 + 8·1 multiply-adds per
/// sample, every weight gradient again, and the input gradients of fc2
/// and fc3 (fc1's input, the batch, has none).
#[test]
fn step_product_flops_count_forward_weight_and_input_gradients() {
    let plan = plan_of(&seed_model());
    let forward = 9 * 16 + 16 * 8 + 8;
    let input_gradients = 16 * 8 + 8;
    assert_eq!(
        plan.step_product_flops(),
        2 * 32 * (2 * forward + input_gradients)
    );
}

/// Convolutions count each output value's window of its group's
/// channels: 3·5·5 outputs of 2·3·3, 3·2·2 of 1·2·2 (depthwise), 2·2·2
/// of 3·2·2; the first has no input gradient.
#[test]
fn step_product_flops_count_convolution_windows() {
    let model = netc_testkit::valid_model(common::CONVOLUTIONS);
    let (conv1, conv2, conv3) = (75 * 18, 12 * 4, 8 * 12);
    let per_sample = 2 * conv1 + 3 * conv2 + 3 * conv3;
    assert_eq!(plan_of(&model).step_product_flops(), 2 * 8 * per_sample);
}
