//! The image models' ONNX graphs against PyTorch: the module netc writes
//! for them (the `torch_source` snapshots), run by PyTorch in eval mode
//! with seeded weights, is the reference
//! (`scripts/export_reference/make_image_export_fixtures.py` writes
//! `tests/fixtures/export/images/`); the graph exported with the same
//! weights runs in tract on the same `[N, C, H, W]` input, and netc's
//! interpreter loads the same weights and predicts the same rows (flat
//! CHW, as netc stores an image). No Python runs here.

use crate::common::{interpreter, max_difference, netc_predict, read_f32};
use crate::onnx_tract::{image_model, options, run_tract_shaped, sample_dims};

use netc_export::onnx;
use netc_export::Weights;
use netc_testkit::workspace_path;
use netc_train::weights::load_safetensors;
use safetensors::SafeTensors;

const TOLERANCE: f32 = 1e-5;

/// (fixture folder, model file, model).
const CASES: [(&str, &str, &str); 2] = [
    ("lenet", "lenet.nn", "LeNet"),
    (
        "every_image_layer",
        "every_image_layer.nn",
        "EveryImageLayer",
    ),
];

#[test]
fn tract_runs_the_exported_image_graphs_as_pytorch_runs_the_module() {
    for (case, path, name) in CASES {
        let dir = workspace_path(&format!("tests/fixtures/export/images/{case}"));
        let model = image_model(path, name);
        let weights = std::fs::read(dir.join("weights.safetensors")).expect("weights");
        let weights = Weights::from_safetensors(&model, &weights)
            .expect("PyTorch's state_dict has netc's names and shapes");
        let bytes = onnx::export(&model, &weights, &options(None)).expect("exports");

        let io = std::fs::read(dir.join("io.safetensors")).expect("io.safetensors");
        let io = SafeTensors::deserialize(&io).expect("safetensors");
        let (x, shape) = read_f32(&io, "input");
        let (expected, expected_shape) = read_f32(&io, "torch_output");
        assert_eq!(shape[1..], sample_dims(&model), "{case}: NCHW input");
        let (actual, actual_shape) = run_tract_shaped(&bytes, &x, shape[0], &shape[1..]);
        assert_eq!(actual_shape, expected_shape, "{case}: output shape");
        let diff = max_difference(&actual, &expected);
        assert!(diff <= TOLERANCE, "{case}: tract vs PyTorch: {diff}");
    }
}

#[test]
fn netc_predicts_what_pytorch_computes_with_the_same_weights() {
    for (case, path, name) in CASES {
        let dir = workspace_path(&format!("tests/fixtures/export/images/{case}"));
        let model = image_model(path, name);
        let io = std::fs::read(dir.join("io.safetensors")).expect("io.safetensors");
        let io = SafeTensors::deserialize(&io).expect("safetensors");
        let (x, shape) = read_f32(&io, "input");
        let (expected, _) = read_f32(&io, "torch_output");
        let mut net = interpreter(&model, shape[0]);
        load_safetensors(&mut net, &dir.join("weights.safetensors"))
            .expect("PyTorch's state_dict loads into netc");
        let diff = max_difference(&netc_predict(&mut net, &x), &expected);
        assert!(diff <= TOLERANCE, "{case}: netc vs PyTorch: {diff}");
    }
}
