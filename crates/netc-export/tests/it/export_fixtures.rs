//! netc's eval forward against what PyTorch and onnxruntime computed on the
//! exported models (`scripts/export_reference/make_export_fixtures.py`
//! writes `tests/fixtures/export/`): the generated `nn.Module` loaded with
//! netc's weights, the ONNX graph, and the ONNX graph with the sidecar's
//! preprocessing on raw CSV rows. No Python runs here.

use crate::common;

use std::collections::HashMap;

use common::{interpreter, max_difference, netc_predict, read_f32};
use netc_runtime::Network;
use netc_testkit::workspace_path;
use netc_train::weights::load_safetensors;
use safetensors::SafeTensors;

const TOLERANCE: f32 = 1e-5;
const CASES: &[&str] = &[
    "breast_cancer",
    "digits",
    "regression",
    "water",
    "every_layer",
];

/// The sidecar's `(raw - center) / scale` after imputation, in f64 as
/// netc's preprocessing computes it.
fn standardise(raw: &[f32], sidecar: &serde_json::Value) -> Vec<f32> {
    let list = |key: &str| -> Vec<f64> {
        sidecar["preprocessing"][key]
            .as_array()
            .unwrap_or_else(|| panic!("preprocessing.{key}"))
            .iter()
            .map(|v| v.as_f64().expect("a number"))
            .collect()
    };
    let (impute, center, scale) = (list("impute"), list("center"), list("scale"));
    raw.iter()
        .enumerate()
        .map(|(i, &v)| {
            let f = i % center.len();
            let v = if v.is_nan() { impute[f] } else { f64::from(v) };
            ((v - center[f]) / scale[f]) as f32
        })
        .collect()
}

#[test]
fn netc_agrees_with_the_exported_torch_module_and_onnxruntime() {
    let mut report = HashMap::new();
    for case in CASES {
        let dir = workspace_path(&format!("tests/fixtures/export/{case}"));
        let meta: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("report.json")).expect("report.json"),
        )
        .expect("report.json is JSON");
        let model_file = workspace_path(meta["model_file"].as_str().expect("model_file"));
        let source = std::fs::read_to_string(&model_file).expect("the model file");
        let checked = netc_lang::check_file(source.as_bytes(), &Default::default());
        let model = checked
            .valid_models()
            .iter()
            .find(|m| m.name == meta["model"].as_str().expect("model"))
            .expect("the fixture's model");

        let bytes = std::fs::read(dir.join("io.safetensors")).expect("io.safetensors");
        let io = SafeTensors::deserialize(&bytes).expect("safetensors");
        let (x, shape) = read_f32(&io, "input");
        let mut net = interpreter(model, shape[0].max(64));
        load_safetensors(&mut net, &dir.join("weights.safetensors")).expect("netc's weights load");
        let ours = netc_predict(&mut net, &x);
        for reference in ["torch_output", "onnxruntime_output"] {
            let (theirs, _) = read_f32(&io, reference);
            let diff = max_difference(&ours, &theirs);
            assert!(diff <= TOLERANCE, "{case}: netc vs {reference}: {diff}");
            report.insert(format!("{case}/{reference}"), diff);
        }

        let sidecar: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("weights.json")).expect("the sidecar"),
        )
        .expect("JSON sidecar");
        let (raw, _) = read_f32(&io, "raw_input");
        assert!(raw.iter().any(|v| v.is_finite()), "{case}: raw rows");
        let ours = netc_predict(&mut net, &standardise(&raw, &sidecar));
        let (theirs, _) = read_f32(&io, "onnxruntime_raw_output");
        let diff = max_difference(&ours, &theirs);
        assert!(
            diff <= TOLERANCE,
            "{case}: raw rows, netc vs onnxruntime: {diff}"
        );
        assert_eq!(net.input_width(), shape[1], "{case}: input width");
    }
    eprintln!("{report:#?}");
}
