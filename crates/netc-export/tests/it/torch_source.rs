//! The generated PyTorch sources, as snapshots: the module of the
//! every-layer model (every layer kind, activation and init) and of
//! water.nn, and the generated settings of their training scripts.

use netc_export::torch::{self, GeneratedFile, ScriptContext};
use netc_testkit::workspace_path;

fn export(relative: &str, model: &str) -> Vec<GeneratedFile> {
    let source = std::fs::read_to_string(workspace_path(relative)).expect("model file");
    let (program, diagnostics) = netc_lang::check_source(&source);
    assert!(
        !diagnostics
            .iter()
            .any(|d| d.severity == netc_lang::Severity::Error),
        "{relative} checks clean"
    );
    let model = program.model(model).expect("the model");
    let ctx = ScriptContext {
        model_file: relative,
        model_sha256: "0123abcd",
        netc_version: "0.0.0-test",
        data: model
            .train
            .as_ref()
            .and_then(|t| t.data.clone())
            .map(|d| format!("../{d}")),
    };
    torch::export(model, &ctx).expect("exports")
}

/// The script up to the part every script shares.
fn generated_part(script: &str) -> &str {
    let end = script
        .find("# Everything below is the same for every exported model.")
        .expect("the shared part is marked");
    &script[..end]
}

#[test]
fn every_layer_module() {
    let files = export("tests/fixtures/export/every_layer.nn", "EveryLayer");
    assert_eq!(files[0].name, "every_layer.py");
    assert_eq!(files[1].name, "train_every_layer.py");
    insta::assert_snapshot!(files[0].contents);
    insta::assert_snapshot!(generated_part(&files[1].contents));
}

#[test]
fn every_image_layer_module() {
    let files = export(
        "tests/fixtures/export/every_image_layer.nn",
        "EveryImageLayer",
    );
    insta::assert_snapshot!(files[0].contents);
}

#[test]
fn lenet_module() {
    let files = export("examples/lenet.nn", "LeNet");
    assert_eq!(files[0].name, "le_net.py");
    insta::assert_snapshot!(files[0].contents);
    insta::assert_snapshot!(generated_part(&files[1].contents));
}

#[test]
fn water_module() {
    let files = export("examples/water.nn", "WaterNet");
    assert_eq!(files[0].name, "water_net.py");
    insta::assert_snapshot!(files[0].contents);
    insta::assert_snapshot!(generated_part(&files[1].contents));
}

#[test]
fn a_layer_named_like_a_module_method_is_refused() {
    let source = "model M {\n input x: 2\n train_ = linear(2, 1)\n eval = linear(1, 1)\n forward {\n return eval(train_(x))\n }\n}\n";
    let (program, diagnostics) = netc_lang::check_source(source);
    assert!(diagnostics
        .iter()
        .all(|d| d.severity != netc_lang::Severity::Error));
    let ctx = ScriptContext {
        model_file: "m.nn",
        model_sha256: "",
        netc_version: "test",
        data: None,
    };
    let error = torch::export(&program.models[0], &ctx).expect_err("`eval` is refused");
    assert_eq!(
        error.to_string(),
        "PyTorch cannot express layer name `eval` (an attribute every torch.nn.Module already has); rename the layer"
    );
}
