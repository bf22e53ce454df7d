//! The lints on image models: a conv2d is judged like a linear layer
//! (fans from channels × kernel area), batchnorm2d like batchnorm.

use crate::support;

use netc_lang::analysis::{analyze, Verdict};
use netc_lang::ir::LayerType;
use support::lint;

/// `depth` conv 3×3 layers of 16 channels on (3, 16, 16), each followed by
/// relu, then flatten and a linear head; `args` go to every conv.
fn conv_chain(depth: usize, args: &str) -> String {
    let mut text = String::from("model Convs {\n    input x: (3, 16, 16)\n");
    for i in 1..=depth {
        let cin = if i == 1 { 3 } else { 16 };
        text += &format!("    conv{i} = conv2d({cin}, 16, 3, padding=1{args})\n");
    }
    text += "    head = linear(16 * 16 * 16, 10)\n    forward {\n";
    for i in 1..=depth {
        text += &format!("        x = relu(conv{i}(x))\n");
    }
    text += "        return head(flatten(x))\n    }\n}\n";
    text
}

#[test]
fn nn013_deep_conv_chain_with_the_default_init() {
    let fires = lint(&conv_chain(10, ""));
    let d = fires.one("NN013");
    assert_eq!(fires.text(d), "conv1 = conv2d(3, 16, 3, padding=1)");
    assert!(
        d.message
            .starts_with("the default init shrinks the relu signal ×"),
        "{}",
        d.message
    );
    lint(&conv_chain(10, ", init=kaiming_uniform(nonlinearity=relu)")).none("NN013");
}

#[test]
fn nn018_conv_bias_before_batchnorm2d_with_fix() {
    let text = "model M {\n    input x: (1, 8, 8)\n    conv = conv2d(1, 4, 3)\n    bn = batchnorm2d(4)\n    head = linear(144, 2)\n    forward {\n        return head(flatten(relu(bn(conv(x)))))\n    }\n}\n";
    let fires = lint(text);
    let d = fires.one("NN018");
    assert_eq!(
        d.message,
        "bias of conv is cancelled by batchnorm mean subtraction; set bias=false"
    );
    let fixed = fires.fixed(d);
    assert!(fixed.contains("conv2d(1, 4, 3, bias=false)"), "{fixed}");
    lint(&fixed).none("NN018");
}

#[test]
fn nn006_convs_without_a_nonlinearity_collapse() {
    let model = |second: &str, between: &str| {
        format!(
            "model M {{\n    input x: (8, 8, 8)\n    a = conv2d(8, 8, 3, padding=1)\n    b = {second}\n    head = linear(512, 2)\n    forward {{\n        return head(flatten(relu(b({between}))))\n    }}\n}}\n"
        )
    };
    let fires = lint(&model("conv2d(8, 8, 3, padding=1)", "a(x)"));
    assert_eq!(
        fires.one("NN006").message,
        "a→b has no nonlinearity: they collapse to one linear map"
    );
    lint(&model("conv2d(8, 8, 3, padding=1)", "relu(a(x))")).none("NN006");
    // A 1×1 conv after a depthwise one is a deliberate factorisation.
    let depthwise = "model M {\n    input x: (8, 8, 8)\n    dw = conv2d(8, 8, 3, padding=1, groups=8)\n    pw = conv2d(8, 8, 1)\n    head = linear(512, 2)\n    forward {\n        return head(flatten(relu(pw(dw(x)))))\n    }\n}\n";
    lint(depthwise).none("NN006");
    // Max pooling is a nonlinearity.
    let pooled = "model M {\n    input x: (8, 8, 8)\n    a = conv2d(8, 8, 3, padding=1)\n    pool = max_pool2d(2)\n    b = conv2d(8, 8, 3, padding=1)\n    head = linear(128, 2)\n    forward {\n        return head(flatten(relu(b(pool(a(x))))))\n    }\n}\n";
    lint(pooled).none("NN006");
    // conv → flatten → linear is one linear map of the image.
    let flat = "model M {\n    input x: (1, 4, 4)\n    a = conv2d(1, 2, 3)\n    head = linear(8, 2)\n    forward {\n        return head(flatten(a(x)))\n    }\n}\n";
    assert_eq!(
        lint(flat).one("NN006").message,
        "a→head has no nonlinearity: they collapse to one linear map"
    );
}

#[test]
fn nn011_constant_conv_init() {
    let text = conv_chain(2, ", init=zeros");
    let fires = lint(&text);
    assert_eq!(fires.all("NN011").len(), 2);
}

#[test]
fn lenet_is_analysed_through_conv_pool_and_flatten() {
    let path = format!("{}/../../examples/lenet.nn", env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(&path).expect("examples/lenet.nn");
    let (program, diagnostics) = netc_lang::check_source(&source);
    assert!(!netc_lang::has_errors(&diagnostics), "{diagnostics:#?}");
    // Shallow enough for the default init: NN013's product is below 1e-2
    // (4 hidden layers of χ = 1/6) but neither R nor q_L/q_1 shows damage.
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let analysis = analyze(&program.models[0]);
    let table: String = analysis
        .rows
        .iter()
        .map(|row| {
            let g = row.g.map_or("-".to_string(), |g| format!("{g:.3e}"));
            format!(
                "{:<6} {:<11} q={:.3e} Q={:.3e} D={:.3e} G={g}\n",
                row.name,
                row.kind.name(),
                row.q,
                row.big_q,
                row.d
            )
        })
        .collect();
    let kinds: Vec<LayerType> = analysis.rows.iter().map(|row| row.kind).collect();
    assert_eq!(
        kinds,
        [
            LayerType::Conv2d,
            LayerType::BatchNorm2d,
            LayerType::MaxPool2d,
            LayerType::Conv2d,
            LayerType::BatchNorm2d,
            LayerType::MaxPool2d,
            LayerType::Linear,
            LayerType::Linear,
            LayerType::Linear,
        ]
    );
    assert_eq!(analysis.verdict, Verdict::Healthy);
    let r = analysis.r.expect("five weight layers");
    insta::assert_snapshot!(format!("{table}R = {r:.3e}\n"));
}
