//! `netc export`: what it writes, and how bad input fails (exit 1 for a
//! bad model or weights, 2 for a bad command line or output) without
//! leaving a file behind.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{data, netc, path, stderr};

/// Trains `tiny.nn` into `dir/w.safetensors` (and its sidecar).
fn tiny_checkpoint(dir: &Path) -> PathBuf {
    let weights = dir.join("w.safetensors");
    let output = netc(&[
        "train",
        path(&data("tiny.nn")),
        "--save",
        path(&weights),
        "--epochs",
        "2",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    weights
}

/// `netc export MODEL --to onnx --weights WEIGHTS ARGS...`.
fn export_onnx(model: &Path, weights: &Path, args: &[&str]) -> Output {
    let mut all = vec![
        "export",
        path(model),
        "--to",
        "onnx",
        "--weights",
        path(weights),
    ];
    all.extend_from_slice(args);
    netc(&all)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("readable folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn onnx_export_writes_the_graph_beside_the_weights_by_default() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = tiny_checkpoint(dir.path());
    let model = data("tiny.nn");
    let output = export_onnx(&model, &weights, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let bytes = std::fs::read(dir.path().join("w.onnx")).expect("w.onnx written");
    let text = String::from_utf8_lossy(&bytes);
    for expected in [
        "Gemm",
        "fc.weight",
        "fc.bias",
        "netc_model",
        "Tiny",
        "batch",
    ] {
        assert!(text.contains(expected), "{expected} in the graph");
    }
    assert!(stderr(&output).contains("w.onnx"), "{}", stderr(&output));
}

#[test]
fn with_preprocessing_the_graph_reads_raw_features() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = tiny_checkpoint(dir.path());
    let out = dir.path().join("raw.onnx");
    let output = export_onnx(
        &data("tiny.nn"),
        &weights,
        &["--with-preprocessing", "--out", path(&out)],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&std::fs::read(&out).expect("written")).into_owned();
    for expected in [
        "IsNaN",
        "preprocess.center",
        "preprocess.scale",
        "netc_features",
    ] {
        assert!(text.contains(expected), "{expected} in the graph");
    }
}

#[test]
fn with_preprocessing_needs_the_sidecar() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = tiny_checkpoint(dir.path());
    std::fs::remove_file(dir.path().join("w.json")).expect("sidecar removed");
    let output = export_onnx(&data("tiny.nn"), &weights, &["--with-preprocessing"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("w.json"), "{}", stderr(&output));
    assert_eq!(files_in(dir.path()), ["w.safetensors"]);
}

#[test]
fn a_model_with_errors_exports_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let output = netc(&[
        "export",
        path(&data("broken.nn")),
        "--to",
        "torch",
        "--out",
        path(&out),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("fd"), "{}", stderr(&output));
    assert!(!out.exists(), "no output folder");
}

#[test]
fn weights_of_another_shape_name_the_tensor_and_both_shapes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = tiny_checkpoint(dir.path());
    let model = dir.path().join("three.nn");
    std::fs::write(
        &model,
        "model Tiny {\n input x: 2\n fc = linear(2, 3)\n forward {\n return fc(x)\n }\n}\n",
    )
    .expect("model written");
    let out = dir.path().join("m.onnx");
    let output = export_onnx(&model, &weights, &["--out", path(&out)]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("`fc.weight` has shape [1, 2], but the model expects [3, 2]"),
        "{message}"
    );
    assert!(!out.exists(), "no partial graph");
}

#[test]
fn an_unwritable_out_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let weights = tiny_checkpoint(dir.path());
    let out = dir.path().join("missing/m.onnx");
    let output = export_onnx(&data("tiny.nn"), &weights, &["--out", path(&out)]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));

    let file = dir.path().join("a_file");
    std::fs::write(&file, "x").expect("file");
    let output = netc(&[
        "export",
        path(&data("tiny.nn")),
        "--to",
        "torch",
        "--out",
        path(&file),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&file).expect("kept"), "x");
}

#[test]
fn onnx_needs_weights() {
    let output = netc(&["export", path(&data("tiny.nn")), "--to", "onnx"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--weights"), "{}", stderr(&output));
}

#[test]
fn torch_export_writes_a_module_and_a_training_script_per_model() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("torch");
    let output = netc(&[
        "export",
        path(&data("two.nn")),
        "--to",
        "torch",
        "--out",
        path(&out),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let names = files_in(&out);
    assert_eq!(names.len(), 4, "{names:?}");
    assert!(names.contains(&"no_block.py".to_string()), "{names:?}");
    assert!(
        names.contains(&"train_no_block.py".to_string()),
        "{names:?}"
    );
    let module = std::fs::read_to_string(out.join("no_block.py")).expect("module");
    assert!(module.contains("class NoBlock(nn.Module):"), "{module}");
    assert!(module.contains("self.fc = nn.Linear(2, 1)"), "{module}");

    let only = dir.path().join("only");
    let output = netc(&[
        "export",
        path(&data("tiny.nn")),
        "--to",
        "torch",
        "--out",
        path(&only),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(files_in(&only), ["tiny.py", "train_tiny.py"]);
    let script = std::fs::read_to_string(only.join("train_tiny.py")).expect("script");
    // The data path is relative to the script's folder.
    assert!(script.contains("tiny.csv\")"), "{script}");
    assert!(
        script.contains("from tiny import Tiny as MODEL_CLASS"),
        "{script}"
    );
    assert!(script.contains("nn.BCEWithLogitsLoss()"), "{script}");
}

/// A file of the repository.
fn repo(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn f32_tensors(path: &Path) -> Vec<(String, Vec<f32>)> {
    let bytes = std::fs::read(path).expect("weights");
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("safetensors");
    let mut tensors: Vec<(String, Vec<f32>)> = file
        .tensors()
        .into_iter()
        .filter(|(_, view)| view.dtype() == safetensors::Dtype::F32)
        .map(|(name, view)| {
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (name, values)
        })
        .collect();
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    tensors
}

/// The exported training script run by `torchrun` on 2 processes (the
/// fixture) ends where `netc train` ends: same initial weights, same
/// data, no shuffle, one epoch.
#[test]
fn two_process_torchrun_training_equals_netc_training() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = repo("tests/fixtures/export/ddp");
    let ours = dir.path().join("netc.safetensors");
    let output = netc(&[
        "train",
        path(&repo("examples/regression.nn")),
        "--init-weights",
        path(&fixtures.join("wine_init.safetensors")),
        "--no-shuffle",
        "--epochs",
        "1",
        "--save",
        path(&ours),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let netc_weights = f32_tensors(&ours);
    let ddp_weights = f32_tensors(&fixtures.join("wine_ddp.safetensors"));
    assert_eq!(netc_weights.len(), ddp_weights.len());
    for ((name, a), (other, b)) in netc_weights.iter().zip(&ddp_weights) {
        assert_eq!(name, other);
        let diff = a
            .iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
            .fold(0.0, f32::max);
        assert!(
            diff <= 1e-5,
            "{name}: netc vs 2-process DDP differ by {diff}"
        );
    }
}

/// Weights trained by the exported script under torchrun (batchnorm, 2
/// processes) come back to `netc predict` with their sidecar.
#[test]
fn netc_predict_runs_weights_trained_by_torchrun() {
    let output = netc(&[
        "predict",
        path(&repo("examples/water.nn")),
        "--weights",
        path(&repo("tests/fixtures/export/ddp/water_ddp.safetensors")),
        "--data",
        path(&repo("data/water_potability.csv")),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = common::stdout(&output);
    assert_eq!(text.lines().next(), Some("probability,class"));
    assert_eq!(text.lines().count(), 3277, "a line per row and the header");
}

/// With PyTorch installed, the generated module runs here too: netc's
/// weights load with `strict=True` and give the fixture's outputs.
#[test]
fn the_generated_module_runs_in_pytorch_when_it_is_installed() {
    let has_torch = std::process::Command::new("python3")
        .args(["-c", "import torch"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_torch {
        eprintln!("skipped: no torch");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("torch");
    let model = repo("tests/fixtures/export/every_layer.nn");
    let output = netc(&["export", path(&model), "--to", "torch", "--out", path(&out)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let fixture = repo("tests/fixtures/export/every_layer");
    let program = format!(
        "import sys; sys.path.insert(0, {out:?})\n\
         import torch, every_layer, train_every_layer as t\n\
         net = every_layer.EveryLayer(); net.load_state_dict(t.read_safetensors({w:?}), strict=True); net.eval()\n\
         io = t.read_safetensors({io:?})\n\
         with torch.no_grad(): out = net(io['input'])\n\
         print(float((out - io['torch_output']).abs().max()))\n",
        out = path(&out),
        w = path(&fixture.join("weights.safetensors")),
        io = path(&fixture.join("io.safetensors")),
    );
    let output = std::process::Command::new("python3")
        .args(["-c", &program])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", stderr(&output));
    let diff: f64 = common::stdout(&output).trim().parse().expect("a number");
    // Another PyTorch version or CPU may sum in another order: a few ulps.
    assert!(diff <= 1e-5, "the module's outputs moved by {diff}");
}
