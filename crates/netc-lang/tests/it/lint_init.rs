//! Initialisation lints: NN011–NN016. Each rule fires on one model and
//! stays silent on a near miss.

use crate::support;

use netc_lang::Severity;
use support::{chain, lint};

fn mlp(fc1: &str, fc2: &str, forward: &str) -> String {
    format!(
        "model M {{\n    input x: 64\n    fc1 = linear(64, 64{fc1})\n    fc2 = linear(64, 2{fc2})\n    forward {{\n        return fc2({forward})\n    }}\n}}\n"
    )
}

#[test]
fn nn011_constant_hidden_init() {
    let fires = lint(&mlp(", init=zeros", "", "relu(fc1(x))"));
    let d = fires.one("NN011");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(fires.text(d), "zeros");
    assert_eq!(
        d.message,
        "constant init does not break symmetry; all units learn the same"
    );
    let constant = lint(&mlp(", init=constant(0.5)", "", "relu(fc1(x))"));
    assert_eq!(constant.text(constant.one("NN011")), "constant(0.5)");

    // A zero-initialised output layer is a working technique.
    lint(&mlp("", ", init=zeros", "relu(fc1(x))")).none("NN011");
}

#[test]
fn nn012_kaiming_before_tanh_with_fix() {
    let fires = lint(&mlp(
        ", init=kaiming_uniform(nonlinearity=relu)",
        "",
        "tanh(fc1(x))",
    ));
    let d = fires.one("NN012");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(fires.text(d), "kaiming_uniform(nonlinearity=relu)");
    assert_eq!(
        d.message,
        "kaiming init assumes ReLU; fc1 feeds tanh: use xavier (tanh/sigmoid) or lecun (selu)"
    );
    let fixed = fires.fixed(d);
    assert!(
        fixed.contains("init=xavier_uniform(gain=1.6666666666666667)"),
        "{fixed}"
    );
    lint(&fixed).none("NN012");

    // elu is ReLU-like for positive inputs: info only.
    let elu = lint(&mlp(", init=kaiming_normal()", "", "elu(fc1(x))"));
    assert_eq!(elu.one("NN012").severity, Severity::Info);

    lint(&mlp(
        ", init=kaiming_uniform(nonlinearity=relu)",
        "",
        "relu(fc1(x))",
    ))
    .none("NN012");
    lint(&mlp(", init=xavier_uniform()", "", "tanh(fc1(x))")).none("NN012");
    // nn.Linear's own init, kaiming_uniform(a=√5), has gain √(1/3).
    lint(&mlp(
        ", init=kaiming_uniform(a=2.2360679)",
        "",
        "tanh(fc1(x))",
    ))
    .none("NN012");
    // Batchnorm between the layer and the activation resets the scale.
    let normalised = "model M {\n    input x: 64\n    fc1 = linear(64, 64, bias=false, init=kaiming_uniform(nonlinearity=relu))\n    bn1 = batchnorm(64)\n    fc2 = linear(64, 2)\n    forward {\n        return fc2(tanh(bn1(fc1(x))))\n    }\n}\n";
    lint(normalised).none("NN012");
}

#[test]
fn nn013_relu_with_xavier_in_depth() {
    let fires = lint(&chain(
        256,
        10,
        "relu",
        "bias=false, init=xavier_uniform()",
        "",
    ));
    let d = fires.one("NN013");
    assert_eq!(fires.text(d), "xavier_uniform()");
    assert_eq!(
        d.message,
        "xavier_uniform shrinks the relu signal ×2e-3 over 9 hidden layers (χ≈0.5 per layer); use kaiming"
    );

    // The default init (σ_w² = 1/3, with bias) on the declaration itself.
    let default = lint(&chain(256, 10, "relu", "", ""));
    let d = default.one("NN013");
    assert_eq!(default.text(d), "fc1 = linear(256, 256)");
    assert_eq!(
        d.message,
        "the default init shrinks the relu signal ×9.9e-8 over 9 hidden layers (χ≈0.167 per layer); use kaiming"
    );

    lint(&chain(
        256,
        10,
        "relu",
        "bias=false, init=kaiming_uniform(nonlinearity=relu)",
        "",
    ))
    .none("NN013");
    // Too shallow for the damage to reach 1e-2.
    lint(&chain(
        256,
        4,
        "relu",
        "bias=false, init=xavier_uniform()",
        "",
    ))
    .none("NN013");
}

/// The model (a ReLU MLP from a public bug benchmark): the first
/// layer changes width, so xavier gives it σ_w² = 2·784/912 = 1.72 > 1,
/// and 32 square layers after it halve the signal each. The chain as a
/// whole shrinks it by ~1e-10: NN013 names the fix, not only NN025.
#[test]
fn nn013_judges_the_chain_not_each_layer() {
    let mut text = String::from("model Wide {\n    input x: 784\n");
    text += "    fc0 = linear(784, 128, init=xavier_uniform())\n";
    for i in 1..=32 {
        text += &format!("    fc{i} = linear(128, 128, init=xavier_uniform())\n");
    }
    text += "    out = linear(128, 10, init=xavier_uniform())\n    forward {\n";
    text += "        x = relu(fc0(x))\n";
    for i in 1..=32 {
        text += &format!("        x = relu(fc{i}(x))\n");
    }
    text += "        return out(x)\n    }\n}\n";
    let fires = lint(&text);
    let d = fires.one("NN013");
    // The first layer whose χ is below 1 carries the report: fc0 too
    // shrinks (χ = 1.72 · 1/2 = 0.86), only less than the square ones.
    assert_eq!(fires.text(d), "xavier_uniform()");
    let line = fires.source[..d.span.start].rsplit('\n').next();
    assert_eq!(line, Some("    fc0 = linear(784, 128, init="));
    assert!(
        d.message
            .starts_with("xavier_uniform shrinks the relu signal ×"),
        "{}",
        d.message
    );
    assert!(d.message.contains("over 33 hidden layers"), "{}", d.message);
}

#[test]
fn nn014_selu_misuse() {
    let fires = lint(&mlp("", "", "selu(fc1(x))"));
    let d = fires.one("NN014");
    assert_eq!(fires.text(d), "selu(fc1(x))");
    assert_eq!(
        d.message,
        "SELU self-normalizes only with lecun_normal init, no batchnorm, alpha_dropout"
    );
    assert!(
        d.labels[0].message.contains("σ_w² = 0.333"),
        "{:?}",
        d.labels
    );

    let lecun = ", init=kaiming_normal(nonlinearity=linear)";
    lint(&mlp(lecun, lecun, "selu(fc1(x))")).none("NN014");
}

#[test]
fn nn015_nonzero_hidden_bias() {
    let fires = lint(&mlp(", bias_init=constant(0.1)", "", "relu(fc1(x))"));
    let d = fires.one("NN015");
    assert_eq!(d.severity, Severity::Info);
    assert_eq!(fires.text(d), "constant(0.1)");
    assert_eq!(d.message, "biases are usually initialized to 0");

    lint(&mlp("", ", bias_init=constant(0.1)", "relu(fc1(x))")).none("NN015");
    lint(&mlp(", bias_init=zeros", "", "relu(fc1(x))")).none("NN015");
}

#[test]
fn nn016_dying_relu_bias() {
    // σ_w² Q = 1 (xavier on a square matrix, Q₀ = 1): P(z > 0) = Φ(−1).
    let fires = lint(&mlp(
        ", init=xavier_uniform(), bias_init=constant(-1.0)",
        "",
        "relu(fc1(x))",
    ));
    let d = fires.one("NN016");
    assert_eq!(fires.text(d), "constant(-1.0)");
    assert_eq!(
        d.message,
        "bias -1 makes ~84% of fc1 units inactive at init (dying ReLU)"
    );

    lint(&mlp(
        ", init=xavier_uniform(), bias_init=constant(-0.1)",
        "",
        "relu(fc1(x))",
    ))
    .none("NN016");
    lint(&mlp(
        ", init=xavier_uniform(), bias_init=constant(-1.0)",
        "",
        "tanh(fc1(x))",
    ))
    .none("NN016");
}
