//! Whole-model gradient check: the Plan's parameter gradients against
//! central finite differences of the train-mode loss.
//!
//! The optimizer is SGD with lr 0, so `train_step` evaluates the loss and
//! gradients without moving the parameters (batchnorm's running statistics
//! move, but train mode does not read them). The interpreter is f32, so
//! models are tiny and smooth, h = 1e-2, and each gradient must match to
//! 1e-2 relative (plus 1e-3 absolute) element-wise and 1e-2 in norm.

use crate::common;

use common::{data, targets, train_config, ModelBuilder};
use netc_lang::ValidModel;
use netc_ops::{Activation, Loss, Optimizer, TrainConfig};
use netc_plan::{Interpreter, OpKind};
use netc_runtime::Network;

const BATCH: usize = 8;
const H: f32 = 1e-2;

fn frozen_sgd() -> Optimizer {
    Optimizer::Sgd {
        lr: 0.0,
        momentum: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    }
}

/// Checks every element of every parameter; returns how many were checked.
fn check_gradients(model: &ValidModel) -> usize {
    check_gradients_with_step(model, H)
}

/// Models with kinks (relu family, l1) need a smaller step so that no
/// perturbation crosses one; f32 rounding still stays far below the
/// tolerance at 1e-3.
fn check_gradients_with_step(model: &ValidModel, h: f32) -> usize {
    // A model file cannot say lr 0 (NN029); the check sets it.
    let train = TrainConfig {
        optimizer: frozen_sgd(),
        ..model.train.clone().expect("test models have a train block")
    };
    let mut net = Interpreter::from_model(model, &train, 7).expect("a valid plan");
    let x = data(BATCH * net.input_width(), 11);
    let y = targets(train.loss, BATCH, net.output_width(), 13);
    net.train_step(&x, &y);
    // Every later train_step overwrites the gradients: copy them first.
    let gradients: Vec<(String, Vec<f32>)> = net
        .parameter_names()
        .iter()
        .map(|name| {
            let grad = net.gradient(name).expect("parameter has a gradient");
            (name.to_string(), grad.to_vec())
        })
        .collect();
    let mut checked = 0;
    for (name, analytic) in &gradients {
        let mut numeric = vec![0.0f32; analytic.len()];
        for (i, slot) in numeric.iter_mut().enumerate() {
            let original = net.parameter(name).expect("parameter")[i];
            net.parameter_mut(name).expect("parameter")[i] = original + h;
            let plus = net.train_step(&x, &y);
            net.parameter_mut(name).expect("parameter")[i] = original - h;
            let minus = net.train_step(&x, &y);
            net.parameter_mut(name).expect("parameter")[i] = original;
            *slot = (plus - minus) / (2.0 * h);
        }
        for (i, (a, n)) in analytic.iter().zip(&numeric).enumerate() {
            assert!(
                (a - n).abs() <= 1e-3 + 1e-2 * a.abs().max(n.abs()),
                "{}: d loss / d {name}[{i}] = {a} by the plan, {n} by finite differences",
                model.name
            );
        }
        let diff: f32 = analytic
            .iter()
            .zip(&numeric)
            .map(|(a, n)| (a - n).powi(2))
            .sum();
        let norm: f32 = numeric.iter().map(|n| n * n).sum();
        assert!(
            diff.sqrt() <= 1e-2 * norm.sqrt() + 1e-4,
            "{}: gradient of {name} off by {} in norm ({})",
            model.name,
            diff.sqrt(),
            norm.sqrt()
        );
        checked += analytic.len();
    }
    checked
}

#[test]
fn linear_tanh_stack_with_mse() {
    let mut m = ModelBuilder::new("Mlp", 4);
    let fc1 = m.linear("fc1", 4, 6);
    let fc2 = m.linear("fc2", 6, 3);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.act(Activation::Tanh, h);
    let out = m.call(fc2, h);
    let model = m.finish(
        out,
        train_config(Loss::Mse, Optimizer::sgd_default(), BATCH),
    );
    assert_eq!(check_gradients(&model), 4 * 6 + 6 + 6 * 3 + 3);
}

#[test]
fn batchnorm_elu_sigmoid_with_bce() {
    let mut m = ModelBuilder::new("Bn", 4);
    let fc1 = m.linear("fc1", 4, 6);
    let bn1 = m.batchnorm("bn1", 6, true);
    let fc2 = m.linear("fc2", 6, 1);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.call(bn1, h);
    let h = m.act(Activation::Elu { alpha: 1.0 }, h);
    let h = m.call(fc2, h);
    let out = m.act(Activation::Sigmoid, h);
    let model = m.finish(
        out,
        train_config(Loss::Bce, Optimizer::sgd_default(), BATCH),
    );
    check_gradients(&model);
}

#[test]
fn layernorm_gelu_with_cross_entropy() {
    let mut m = ModelBuilder::new("Ln", 4);
    let fc1 = m.linear("fc1", 4, 6);
    let ln1 = m.layernorm("ln1", 6);
    let fc2 = m.linear("fc2", 6, 3);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.call(ln1, h);
    let h = m.act(Activation::Gelu, h);
    let out = m.call(fc2, h);
    let model = m.finish(
        out,
        train_config(Loss::CrossEntropy, Optimizer::sgd_default(), BATCH),
    );
    check_gradients(&model);
}

#[test]
fn residual_add_with_huber() {
    let mut m = ModelBuilder::new("Residual", 4);
    let fc1 = m.linear("fc1", 4, 5);
    let fc2 = m.linear("fc2", 5, 5);
    let fc3 = m.linear("fc3", 5, 2);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.act(Activation::Silu, h);
    let branch = m.call(fc2, h);
    let branch = m.act(Activation::Tanh, branch);
    let h = m.add(h, branch);
    let out = m.call(fc3, h);
    let model = m.finish(
        out,
        train_config(Loss::Huber { delta: 0.5 }, Optimizer::sgd_default(), BATCH),
    );
    check_gradients(&model);
    let plan =
        netc_plan::build_plan(&model, model.train.as_ref().expect("train")).expect("a valid plan");
    let accumulates = plan
        .backward
        .iter()
        .filter(|op| matches!(op.kind, OpKind::Accumulate { .. }))
        .count();
    assert_eq!(accumulates, 2, "the + sends its gradient to both operands");
}

#[test]
fn shared_layer_called_twice_with_bce_with_logits() {
    let mut m = ModelBuilder::new("Shared", 3);
    let fc1 = m.linear("fc1", 3, 5);
    let shared = m.linear("shared", 5, 5);
    let out_layer = m.linear_with("out", 5, 1, false);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.act(Activation::Tanh, h);
    let h = m.call(shared, h);
    let h = m.act(
        Activation::Softplus {
            beta: 1.0,
            threshold: 20.0,
        },
        h,
    );
    let h = m.call(shared, h);
    let h = m.act(Activation::Tanh, h);
    let out = m.call(out_layer, h);
    let model = m.finish(
        out,
        train_config(Loss::BceWithLogits, Optimizer::sgd_default(), BATCH),
    );
    check_gradients(&model);
    let plan =
        netc_plan::build_plan(&model, model.train.as_ref().expect("train")).expect("a valid plan");
    let shared_weight = plan.state_entry("shared.weight").and_then(|e| e.grad);
    let writers = plan
        .backward
        .iter()
        .filter(
            |op| matches!(op.kind, OpKind::LinearBackward { dw, .. } if Some(dw) == shared_weight),
        )
        .count();
    assert_eq!(
        writers, 2,
        "both calls accumulate into shared.weight's gradient"
    );
}

#[test]
fn softmax_output_with_l1_and_leaky_relu() {
    let mut m = ModelBuilder::new("SoftmaxL1", 4);
    let fc1 = m.linear("fc1", 4, 6);
    let fc2 = m.linear("fc2", 6, 3);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.act(
        Activation::LeakyRelu {
            negative_slope: 0.1,
        },
        h,
    );
    let h = m.call(fc2, h);
    let out = m.act(Activation::Softmax, h);
    let model = m.finish(out, train_config(Loss::L1, Optimizer::sgd_default(), BATCH));
    check_gradients_with_step(&model, 1e-3);
}

#[test]
fn plain_batchnorm_without_bias_selu_log_softmax_with_mse() {
    let mut m = ModelBuilder::new("PlainBn", 4);
    let fc1 = m.linear_with("fc1", 4, 6, false);
    let bn1 = m.batchnorm("bn1", 6, false);
    let fc2 = m.linear("fc2", 6, 3);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.call(bn1, h);
    let h = m.act(Activation::Selu, h);
    let h = m.call(fc2, h);
    let out = m.act(Activation::LogSoftmax, h);
    let model = m.finish(
        out,
        train_config(Loss::Mse, Optimizer::sgd_default(), BATCH),
    );
    check_gradients(&model);
}

#[test]
fn normalisation_on_the_input_still_trains_its_affine_parameters() {
    let mut m = ModelBuilder::new("InputNorm", 4);
    let ln = m.layernorm("ln0", 4);
    let fc1 = m.linear("fc1", 4, 2);
    let x = m.input();
    let h = m.call(ln, x);
    let h = m.act(Activation::Sigmoid, h);
    let out = m.call(fc1, h);
    let model = m.finish(
        out,
        train_config(Loss::Mse, Optimizer::sgd_default(), BATCH),
    );
    assert_eq!(check_gradients(&model), 4 + 4 + 4 * 2 + 2);
}

/// Convolutions through the whole Plan: padding, a depthwise stride-2
/// one, an even kernel with `same` (asymmetric) padding; tanh keeps the
/// loss smooth for h = 1e-2.
#[test]
fn convolutions_with_padding_groups_and_same_padding() {
    let model = netc_testkit::valid_model(common::CONVOLUTIONS);
    assert_eq!(
        check_gradients(&model),
        (3 * 2 * 9 + 3) + (3 * 4 + 3) + (2 * 3 * 4 + 2)
    );
}

/// Batchnorm2d, max, average and adaptive pooling and flatten (as a
/// function and as a declared layer, one of them the output's argument)
/// between the input image and a linear head. The max pooling's kinks
/// need the smaller step.
#[test]
fn batchnorm2d_pooling_and_flatten_with_cross_entropy() {
    let model = netc_testkit::valid_model(
        "model Pools {
            input x: (2, 6, 6)
            bn = batchnorm2d(2)
            pool = max_pool2d(2)
            avg = avg_pool2d(2, stride=1, padding=1, count_include_pad=false)
            gap = adaptive_avg_pool2d(3)
            flat = flatten()
            fc = linear(18, 3)
            forward {
                h = pool(tanh(bn(x)))
                a = fc(flatten(gap(avg(h))))
                return a + fc(flat(gap(h)))
            }
            train {
                loss = cross_entropy
                optimizer = sgd(lr=0.1)
                batch = 8
            }
        }",
    );
    assert_eq!(check_gradients_with_step(&model, 1e-3), 2 + 2 + 18 * 3 + 3);
}

/// A flatten as the model's output: copied into the output buffer, its
/// gradient accumulated back into the batchnorm's.
#[test]
fn flatten_as_the_output_with_mse() {
    let model = netc_testkit::valid_model(
        "model FlatOut {
            input x: (3, 4, 4)
            bn = batchnorm2d(3)
            pool = avg_pool2d(2)
            forward {
                return flatten(pool(sigmoid(bn(x))))
            }
            train {
                loss = mse
                optimizer = sgd(lr=0.1)
                batch = 8
            }
        }",
    );
    assert_eq!(check_gradients(&model), 3 + 3);
}
