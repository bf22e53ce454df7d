//! What the export tests share: the models they export (every example
//! that checks clean, and the every-layer model), netc's own eval-mode
//! forward as the reference, and weights that exercise every tensor.

#![allow(dead_code)] // each test binary uses part of this module

use std::path::PathBuf;

use netc_lang::ValidModel;
use netc_plan::Interpreter;
use netc_runtime::{Network, TensorData, TensorRef};
use netc_testkit::workspace_path;
use netc_train::weights::OwnedTensor;
use safetensors::SafeTensors;

/// A model file checked without errors, and its models.
pub struct ModelFile {
    pub path: PathBuf,
    pub models: Vec<ValidModel>,
}

/// `examples/*.nn` without check errors, and the every-layer models.
pub fn export_models() -> Vec<ModelFile> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(workspace_path("examples"))
        .expect("examples/ is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "nn"))
        .collect();
    paths.sort();
    paths.push(workspace_path("tests/fixtures/export/every_layer.nn"));
    paths.push(workspace_path("tests/fixtures/export/every_image_layer.nn"));
    paths
        .into_iter()
        .filter_map(|path| {
            let source = std::fs::read_to_string(&path).expect("model files are UTF-8");
            let checked = netc_lang::check_file(source.as_bytes(), &Default::default());
            let models = checked.into_valid_models();
            (!models.is_empty()).then_some(ModelFile { path, models })
        })
        .collect()
}

/// netc's interpreter for `model`, sized for `rows` rows a call.
pub fn interpreter(model: &ValidModel, rows: usize) -> Interpreter {
    let config = model.train.clone().unwrap_or_default();
    let mut plan = netc_plan::build_plan(model, &config).expect("a checked model lowers");
    plan.set_batch(rows);
    Interpreter::new(plan, config.seed)
}

/// A deterministic value in [-1, 1) from a counter (splitmix64).
pub fn noise(i: u64) -> f32 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 40) as f32 / (1u64 << 23) as f32 - 1.0
}

/// One state_dict entry, owned: float values, or the batch counter.
struct Entry {
    name: String,
    shape: Vec<usize>,
    values: Option<Vec<f32>>,
    count: i64,
}

/// Moves every float tensor of `net` off its init (the running variances
/// stay positive), so batchnorm statistics and affine parameters matter.
pub fn perturb(net: &mut Interpreter) {
    let mut counter = 0u64;
    let changed: Vec<Entry> = net
        .state_dict()
        .iter()
        .map(|t| {
            let name = t.name.to_string();
            let (values, count) = match t.data {
                TensorData::F32(values) => {
                    let moved = values
                        .iter()
                        .map(|&v| {
                            counter += 1;
                            let n = noise(counter);
                            if name.ends_with("running_var") {
                                0.5 + n.abs()
                            } else {
                                v + 0.3 * n
                            }
                        })
                        .collect();
                    (Some(moved), 0)
                }
                TensorData::I64(value) => (None, value),
            };
            Entry {
                name,
                shape: t.shape.to_vec(),
                values,
                count: count + 7,
            }
        })
        .collect();
    let refs: Vec<TensorRef<'_>> = changed
        .iter()
        .map(|entry| TensorRef {
            name: &entry.name,
            shape: &entry.shape,
            data: match &entry.values {
                Some(values) => TensorData::F32(values),
                None => TensorData::I64(entry.count),
            },
        })
        .collect();
    net.load_state_dict(&refs)
        .expect("the perturbed state fits");
}

/// `net`'s state as a safetensors file's bytes.
pub fn safetensors_bytes(net: &Interpreter) -> Vec<u8> {
    let tensors: Vec<(String, OwnedTensor)> = net
        .state_dict()
        .iter()
        .map(|t| (t.name.to_string(), OwnedTensor::from_ref(t)))
        .collect();
    safetensors::serialize(tensors, None).expect("tensors serialise")
}

/// `rows` rows of inputs of `width` features, spread like standardised
/// data with a few large values.
pub fn inputs(rows: usize, width: usize, salt: u64) -> Vec<f32> {
    (0..rows * width)
        .map(|i| 2.5 * noise(salt * 1_000_003 + i as u64))
        .collect()
}

/// netc's eval-mode outputs for `x`.
pub fn netc_predict(net: &mut Interpreter, x: &[f32]) -> Vec<f32> {
    let rows = x.len() / net.input_width();
    let mut out = vec![0.0; rows * net.output_width()];
    net.predict(x, &mut out);
    out
}

/// The largest |a - b| relative to max(1, |b|).
pub fn max_difference(actual: &[f32], expected: &[f32]) -> f32 {
    assert_eq!(actual.len(), expected.len(), "output lengths");
    actual
        .iter()
        .zip(expected)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
        .fold(0.0, f32::max)
}

/// An f32 tensor of a fixture's `io.safetensors`, with its shape.
pub fn read_f32(file: &SafeTensors<'_>, name: &str) -> (Vec<f32>, Vec<usize>) {
    let view = file
        .tensor(name)
        .unwrap_or_else(|_| panic!("{name} in io.safetensors"));
    let values = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    (values, view.shape().to_vec())
}
