//! Graph-shape lints: NN006–NN010, NN018, NN021, NN039. Each rule fires on
//! one model and stays silent on a near miss.

use crate::support;

use netc_lang::Severity;
use support::lint;

/// A two-layer classifier around the given forward body and train block.
fn two_layer(layers: &str, forward: &str, train: &str) -> String {
    format!(
        "model M {{\n    input x: 4\n{layers}\n    forward {{\n{forward}\n    }}\n{train}\n}}\n"
    )
}

const LAYERS: &str = "    fc1 = linear(4, 8)\n    fc2 = linear(8, 3)";

#[test]
fn nn006_collapsed_linears() {
    let fires = lint(&two_layer(LAYERS, "        return fc2(fc1(x))", ""));
    let d = fires.one("NN006");
    assert_eq!(fires.text(d), "fc2(fc1(x))");
    assert_eq!(
        d.message,
        "fc1→fc2 has no nonlinearity: they collapse to one linear map"
    );

    let through_dropout = lint(&two_layer(
        "    fc1 = linear(4, 8)\n    drop = dropout(0.2)\n    fc2 = linear(8, 3)",
        "        h = drop(fc1(x))\n        return fc2(h)",
        "",
    ));
    assert_eq!(through_dropout.text(through_dropout.one("NN006")), "fc2(h)");

    lint(&two_layer(LAYERS, "        return fc2(relu(fc1(x)))", "")).none("NN006");
}

#[test]
fn nn007_double_activation() {
    let fires = lint(&two_layer(
        LAYERS,
        "        return fc2(tanh(relu(fc1(x))))",
        "",
    ));
    let d = fires.one("NN007");
    assert_eq!(fires.text(d), "tanh(relu(fc1(x)))");
    assert_eq!(d.message, "relu followed by tanh: redundant activations");

    lint(&two_layer(LAYERS, "        return fc2(tanh(fc1(x)))", "")).none("NN007");
}

#[test]
fn nn008_double_softmax_with_fix() {
    let train = "    train {\n        loss = cross_entropy\n    }";
    let fires = lint(&two_layer(
        LAYERS,
        "        return softmax(fc2(relu(fc1(x))))",
        train,
    ));
    let d = fires.one("NN008");
    assert_eq!(fires.text(d), "softmax(fc2(relu(fc1(x))))");
    assert_eq!(
        d.message,
        "cross_entropy expects raw logits; remove the final softmax"
    );
    let fixed = fires.fixed(d);
    assert!(
        fixed.contains("        return fc2(relu(fc1(x)))\n"),
        "{fixed}"
    );
    lint(&fixed).none("NN008");

    let mse = "    train {\n        loss = mse\n    }";
    lint(&two_layer(
        LAYERS,
        "        return softmax(fc2(relu(fc1(x))))",
        mse,
    ))
    .none("NN008");
}

#[test]
fn nn009_sigmoid_before_bce_with_fix() {
    let layers = "    fc1 = linear(4, 8)\n    fc2 = linear(8, 1)";
    let train = "    train {\n        loss = bce\n        epochs = 5\n    }";
    let fires = lint(&two_layer(
        layers,
        "        h = relu(fc1(x))\n        return sigmoid(fc2(h))",
        train,
    ));
    let d = fires.one("NN009");
    assert_eq!(fires.text(d), "sigmoid(fc2(h))");
    assert_eq!(
        d.message,
        "use bce_with_logits and drop the sigmoid (log-sum-exp, stable)"
    );
    let fixed = fires.fixed(d);
    assert!(fixed.contains("return fc2(h)\n"), "{fixed}");
    assert!(fixed.contains("loss = bce_with_logits\n"), "{fixed}");
    let refixed = lint(&fixed);
    refixed.none("NN009");
    refixed.none("NN010");

    let logits = "    train {\n        loss = bce_with_logits\n    }";
    lint(&two_layer(
        layers,
        "        return fc2(relu(fc1(x)))",
        logits,
    ))
    .none("NN009");
}

#[test]
fn nn010_final_activation_vs_loss() {
    let train = "    train {\n        loss = cross_entropy\n    }";
    let fires = lint(&two_layer(
        LAYERS,
        "        return relu(fc2(relu(fc1(x))))",
        train,
    ));
    let d = fires.one("NN010");
    assert_eq!(fires.text(d), "relu(fc2(relu(fc1(x))))");
    assert_eq!(
        d.message,
        "final relu before cross_entropy: the loss expects unbounded logits"
    );
    // A final relu under mse is only wrong for negative targets: the data
    // decides (see `run_with_dataset`), the model alone does not.
    let mse = "    train {\n        loss = mse\n    }";
    lint(&two_layer(
        LAYERS,
        "        return relu(fc2(relu(fc1(x))))",
        mse,
    ))
    .none("NN010");
}

#[test]
fn nn010_negative_targets_need_the_data() {
    let source = two_layer(
        LAYERS,
        "        return relu(fc2(relu(fc1(x))))",
        "    train {\n        loss = mse\n    }",
    );
    let (program, _) = netc_lang::check_source(&source);
    let (file, _) = netc_lang::parse(&source);
    let facts = |min, max| netc_lang::lints::DatasetFacts {
        size: 100,
        target_range: Some((min, max)),
    };
    let found =
        netc_lang::lints::run_with_dataset(&program.models[0], &file.models[0], facts(-2.5, 3.0));
    let d = found.iter().find(|d| d.code == "NN010").expect("NN010");
    assert_eq!(
        d.message,
        "final relu cannot produce negative targets (the targets reach -2.5)"
    );
    assert_eq!(&source[d.span.start..d.span.end], "relu(fc2(relu(fc1(x))))");
    let found =
        netc_lang::lints::run_with_dataset(&program.models[0], &file.models[0], facts(0.0, 3.0));
    assert!(found.iter().all(|d| d.code != "NN010"), "{found:#?}");
}

#[test]
fn nn018_bias_before_batchnorm_with_fix() {
    let layers = "    fc1 = linear(4, 8)\n    bn1 = batchnorm(8)\n    fc2 = linear(8, 3)";
    let fires = lint(&two_layer(
        layers,
        "        return fc2(relu(bn1(fc1(x))))",
        "",
    ));
    let d = fires.one("NN018");
    assert_eq!(d.severity, Severity::Info);
    assert_eq!(fires.text(d), "fc1 = linear(4, 8)");
    assert_eq!(
        d.message,
        "bias of fc1 is cancelled by batchnorm mean subtraction; set bias=false"
    );
    let fixed = fires.fixed(d);
    assert!(fixed.contains("fc1 = linear(4, 8, bias=false)"), "{fixed}");
    lint(&fixed).none("NN018");

    let explicit =
        "    fc1 = linear(4, 8, bias=true)\n    bn1 = batchnorm(8)\n    fc2 = linear(8, 3)";
    let fires = lint(&two_layer(
        explicit,
        "        return fc2(relu(bn1(fc1(x))))",
        "",
    ));
    let fixed = fires.fixed(fires.one("NN018"));
    assert!(fixed.contains("fc1 = linear(4, 8, bias=false)"), "{fixed}");
}

#[test]
fn nn021_dropout_before_batchnorm() {
    let layers = "    fc1 = linear(4, 8, bias=false)\n    drop = dropout(0.2)\n    bn1 = batchnorm(8)\n    fc2 = linear(8, 3)";
    let fires = lint(&two_layer(
        layers,
        "        return fc2(bn1(drop(relu(fc1(x)))))",
        "",
    ));
    let d = fires.one("NN021");
    assert_eq!(fires.text(d), "drop(relu(fc1(x)))");
    assert_eq!(d.message, "put batchnorm before dropout (variance shift)");

    lint(&two_layer(
        layers,
        "        return fc2(drop(relu(bn1(fc1(x)))))",
        "",
    ))
    .none("NN021");
}

#[test]
fn nn039_softmax_over_one_unit() {
    let layers = "    fc1 = linear(4, 8)\n    fc2 = linear(8, 1)";
    let fires = lint(&two_layer(
        layers,
        "        return softmax(fc2(relu(fc1(x))))",
        "",
    ));
    let d = fires.one("NN039");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(fires.text(d), "softmax(fc2(relu(fc1(x))))");
    assert!(d.message.starts_with("softmax over 1 output is always 1.0"));

    let two = "    fc1 = linear(4, 8)\n    fc2 = linear(8, 2)";
    lint(&two_layer(
        two,
        "        return softmax(fc2(relu(fc1(x))))",
        "",
    ))
    .none("NN039");
}
