//! Gradient-flow lints from the mean-field analysis: NN022–NN028, NN030.
//! Each rule fires on one model and stays silent on a near miss.

use crate::support;

use netc_lang::Severity;
use support::{chain, lint};

const XAVIER: &str = "bias=false, init=xavier_uniform()";
const KAIMING: &str = "bias=false, init=kaiming_uniform(nonlinearity=relu)";
const STANDARD_NORMAL: &str = "bias=false, init=normal(0.0, 1.0)";

#[test]
fn nn022_saturating_deep_stack() {
    let fires = lint(&chain(64, 7, "sigmoid", XAVIER, ""));
    let d = fires.one("NN022");
    assert_eq!(fires.text(d), "sigmoid(fc1(x))");
    assert_eq!(
        d.message,
        "6 sigmoid layers without normalization: gradients vanish (χ≈0.0532 per layer)"
    );
    let four = lint(&chain(64, 5, "sigmoid", XAVIER, ""));
    assert!(four.one("NN022").message.starts_with("4 sigmoid layers"));

    lint(&chain(64, 4, "sigmoid", XAVIER, "")).none("NN022");
    lint(&chain(64, 8, "tanh", XAVIER, "")).none("NN022");
    let tanh = lint(&chain(64, 9, "tanh", XAVIER, ""));
    assert!(tanh
        .one("NN022")
        .message
        .starts_with("8 tanh layers without normalization"));
}

#[test]
fn nn022_normalization_breaks_the_stack() {
    let source = "model M {\n    input x: 8\n    fc1 = linear(8, 8)\n    fc2 = linear(8, 8)\n    ln = layernorm(8)\n    fc3 = linear(8, 8)\n    fc4 = linear(8, 8)\n    fc5 = linear(8, 1)\n    forward {\n        x = sigmoid(fc1(x))\n        x = ln(sigmoid(fc2(x)))\n        x = sigmoid(fc3(x))\n        x = sigmoid(fc4(x))\n        return fc5(x)\n    }\n}\n";
    lint(source).none("NN022");
}

#[test]
fn nn023_predicted_vanishing() {
    let fires = lint(&chain(256, 10, "sigmoid", XAVIER, ""));
    let d = fires.one("NN023");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(
        fires.text(d),
        "fc1 = linear(256, 256, bias=false, init=xavier_uniform())"
    );
    assert_eq!(
        d.message,
        "predicted ‖∇W1‖/‖∇W_L‖ = 3.9e-6: vanishing gradients; use relu+kaiming, elu, or batchnorm"
    );
    // Below 1e-6 nothing reaches the first layer: an error.
    let deeper = lint(&chain(256, 14, "sigmoid", XAVIER, ""));
    assert_eq!(deeper.one("NN023").severity, Severity::Error);

    lint(&chain(256, 10, "relu", KAIMING, "")).none("NN023");
    // A zero-initialised output layer blocks every gradient for one step
    // only: no ratio, no verdict.
    let zero_output = chain(256, 10, "relu", KAIMING, "").replace(
        "fc10 = linear(256, 256, bias=false, init=kaiming_uniform(nonlinearity=relu))",
        "fc10 = linear(256, 256, init=zeros)",
    );
    assert!(zero_output.contains("init=zeros"));
    lint(&zero_output).none("NN023");
}

#[test]
fn nn024_and_nn030_predicted_exploding() {
    let fires = lint(&chain(
        256,
        10,
        "tanh",
        STANDARD_NORMAL,
        "    train {\n        epochs = 3\n    }\n",
    ));
    let d = fires.one("NN024");
    assert_eq!(
        fires.text(d),
        "fc1 = linear(256, 256, bias=false, init=normal(0.0, 1.0))"
    );
    assert_eq!(
        d.message,
        "predicted gradient ratio 1.7e4: exploding; reduce init scale or add clipping/batchnorm"
    );
    let clip = fires.one("NN030");
    assert_eq!(clip.severity, Severity::Info);
    assert_eq!(fires.text(clip), "train");
    assert_eq!(clip.message, "add clip_grad_norm (e.g. max_norm=1.0)");

    let clipped = lint(&chain(
        256,
        10,
        "tanh",
        STANDARD_NORMAL,
        "    train {\n        clip_grad_norm = 1.0\n    }\n",
    ));
    clipped.one("NN024");
    clipped.none("NN030");
    let healthy = lint(&chain(
        256,
        10,
        "tanh",
        XAVIER,
        "    train {\n        epochs = 3\n    }\n",
    ));
    healthy.none("NN024");
    healthy.none("NN030");
}

#[test]
fn nn025_forward_scale_drift() {
    // "What R cannot see" (docs/lints-and-gradients.md): R = 1 here, but q
    // grows ×128 per layer.
    let fires = lint(&chain(256, 10, "relu", STANDARD_NORMAL, ""));
    fires.none("NN024");
    let d = fires.one("NN025");
    assert_eq!(
        fires.text(d),
        "fc10 = linear(256, 256, bias=false, init=normal(0.0, 1.0))"
    );
    assert_eq!(
        d.message,
        "activation variance grows ×9.2e18 over 10 layers"
    );

    lint(&chain(256, 10, "relu", KAIMING, "")).none("NN025");
}

#[test]
fn nn026_saturation_at_init() {
    let fires = lint(&chain(256, 3, "tanh", STANDARD_NORMAL, ""));
    let found = fires.all("NN026");
    assert_eq!(found.len(), 2);
    assert_eq!(fires.text(found[0]), "tanh(fc1(x))");
    assert_eq!(
        found[0].message,
        "fc1 pre-activations saturate tanh at init"
    );
    assert_eq!(
        found[0].span_label,
        "q = 256: 75% of the inputs lie beyond ±5"
    );

    lint(&chain(256, 3, "tanh", XAVIER, "")).none("NN026");
}

#[test]
fn nn027_logit_scale() {
    let train = "    train {\n        loss = cross_entropy\n    }\n";
    let fires = lint(&chain(256, 2, "tanh", STANDARD_NORMAL, train));
    let d = fires.one("NN027");
    assert_eq!(d.severity, Severity::Info);
    assert_eq!(
        fires.text(d),
        "fc2 = linear(256, 256, bias=false, init=normal(0.0, 1.0))"
    );
    assert!(
        d.message.starts_with("initial logits have std 1"),
        "{}",
        d.message
    );
    assert!(d.message.ends_with(": loss starts saturated"));

    lint(&chain(256, 2, "tanh", XAVIER, train)).none("NN027");
    lint(&chain(256, 2, "tanh", STANDARD_NORMAL, "")).none("NN027");
}

/// `blocks` linear→batchnorm→relu blocks of width 32 and an output layer.
fn batchnorm_stack(blocks: usize, residual: bool) -> String {
    let mut text = "model Deep {\n    input x: 32\n".to_string();
    for i in 1..=blocks {
        text += &format!("    fc{i} = linear(32, 32, bias=false)\n    bn{i} = batchnorm(32)\n");
    }
    text += "    out = linear(32, 2)\n    forward {\n";
    for i in 1..=blocks {
        if residual {
            text += &format!("        x = x + relu(bn{i}(fc{i}(x)))\n");
        } else {
            text += &format!("        x = relu(bn{i}(fc{i}(x)))\n");
        }
    }
    text += "        return out(x)\n    }\n}\n";
    text
}

#[test]
fn nn028_deep_batchnorm_without_residual() {
    // χ_BN = π/(π−1) per relu block: 1.467^23 > 70², 1.467^20 < 70².
    let fires = lint(&batchnorm_stack(23, false));
    let d = fires.one("NN028");
    assert_eq!(fires.text(d), "bn1 = batchnorm(32)");
    assert_eq!(
        d.message,
        "batchnorm itself explodes gradients ×1.47/layer for relu"
    );

    lint(&batchnorm_stack(20, false)).none("NN028");
    lint(&batchnorm_stack(23, true)).none("NN028");
}
