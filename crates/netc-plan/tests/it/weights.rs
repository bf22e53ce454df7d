//! safetensors round trips and every way a weight file can be wrong, with
//! the interpreter as the network.

use crate::common;

use std::collections::HashMap;
use std::path::Path;

use common::{data, targets, train_config, ModelBuilder};
use netc_ops::{Activation, Loss, Optimizer};
use netc_plan::Interpreter;
use netc_runtime::{Network, TensorData, WeightError};
use netc_train::weights::{load_safetensors, save_safetensors, OwnedTensor};
use safetensors::tensor::{Dtype, SafeTensors};

fn network(seed: u64) -> Interpreter {
    let mut m = ModelBuilder::new("WeightsNet", 5);
    let fc1 = m.linear("fc1", 5, 7);
    let bn1 = m.batchnorm("bn1", 7, true);
    let ln1 = m.layernorm("ln1", 7);
    let fc2 = m.linear("fc2", 7, 2);
    let x = m.input();
    let h = m.call(fc1, x);
    let h = m.call(bn1, h);
    let h = m.act(Activation::Elu { alpha: 1.0 }, h);
    let h = m.call(ln1, h);
    let out = m.call(fc2, h);
    let train = train_config(Loss::Mse, Optimizer::adam_default(), 8);
    let model = m.finish(out, train.clone());
    Interpreter::from_model(&model, &train, seed).expect("a valid plan")
}

fn trained(seed: u64) -> Interpreter {
    let mut net = network(seed);
    let x = data(8 * 5, 1);
    let y = targets(Loss::Mse, 8, 2, 2);
    for _ in 0..3 {
        net.train_step(&x, &y);
    }
    net
}

/// An owned snapshot of the state, to prove "unchanged".
fn snapshot(net: &dyn Network) -> Vec<(String, Vec<usize>, Vec<f64>)> {
    net.state_dict()
        .iter()
        .map(|t| {
            let values = match t.data {
                TensorData::F32(v) => v.iter().map(|x| f64::from(*x)).collect(),
                TensorData::I64(v) => vec![v as f64],
            };
            (t.name.to_string(), t.shape.to_vec(), values)
        })
        .collect()
}

/// The saved file's tensors, edited by `edit`, written to `path`.
fn write_edited(source: &Path, path: &Path, edit: impl FnOnce(&mut HashMap<String, OwnedTensor>)) {
    let bytes = std::fs::read(source).expect("read saved file");
    let file = SafeTensors::deserialize(&bytes).expect("valid file");
    let mut tensors: HashMap<String, OwnedTensor> = file
        .tensors()
        .into_iter()
        .map(|(name, view)| (name, OwnedTensor::from_view(&view)))
        .collect();
    edit(&mut tensors);
    let out = safetensors::serialize(tensors, None).expect("serialise");
    std::fs::write(path, out).expect("write edited file");
}

#[test]
fn round_trip_restores_every_tensor_and_the_predictions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("w.safetensors");
    let net = trained(1);
    let metadata = HashMap::from([("model".to_string(), "WeightsNet".to_string())]);
    save_safetensors(&net, &path, &metadata).expect("save");

    let mut fresh = network(99);
    assert_ne!(snapshot(&fresh), snapshot(&net));
    load_safetensors(&mut fresh, &path).expect("load");
    assert_eq!(snapshot(&fresh), snapshot(&net));
    let counter = fresh
        .state_dict()
        .iter()
        .find(|t| t.name == "bn1.num_batches_tracked")
        .map(|t| t.data);
    assert!(matches!(counter, Some(TensorData::I64(3))));

    let x = data(4 * 5, 3);
    let (mut a, mut b) = (vec![0.0; 8], vec![0.0; 8]);
    let mut net = net;
    net.predict(&x, &mut a);
    fresh.predict(&x, &mut b);
    assert_eq!(a, b);

    let bytes = std::fs::read(&path).expect("read");
    let (_, header) = SafeTensors::read_metadata(&bytes).expect("header");
    assert_eq!(header.metadata().as_ref(), Some(&metadata));
    let file = SafeTensors::deserialize(&bytes).expect("file");
    let weight = file.tensor("fc1.weight").expect("fc1.weight");
    assert_eq!((weight.dtype(), weight.shape()), (Dtype::F32, &[7, 5][..]));
    let counter = file.tensor("bn1.num_batches_tracked").expect("counter");
    assert_eq!((counter.dtype(), counter.shape()), (Dtype::I64, &[][..]));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(
        leftovers,
        vec!["w.safetensors"],
        "no temporary file remains"
    );
}

/// Saves a trained network, edits the file, loads it into another
/// network and returns the error, checking that nothing changed.
fn load_error(edit: impl FnOnce(&mut HashMap<String, OwnedTensor>)) -> WeightError {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.safetensors");
    let bad = dir.path().join("bad.safetensors");
    save_safetensors(&trained(1), &good, &HashMap::new()).expect("save");
    write_edited(&good, &bad, edit);
    let mut target = network(2);
    let before = snapshot(&target);
    let error = load_safetensors(&mut target, &bad).expect_err("the file is wrong");
    assert_eq!(snapshot(&target), before, "a failed load changes nothing");
    error
}

#[test]
fn a_missing_tensor_is_named() {
    let error = load_error(|t| {
        t.remove("ln1.bias");
    });
    assert_eq!(
        error,
        WeightError::Missing {
            name: "ln1.bias".into()
        }
    );
}

#[test]
fn an_extra_tensor_is_named() {
    let error = load_error(|t| {
        let extra = OwnedTensor {
            dtype: Dtype::F32,
            shape: vec![2],
            bytes: vec![0; 8],
        };
        t.insert("fc3.weight".into(), extra);
    });
    assert_eq!(
        error,
        WeightError::Unexpected {
            name: "fc3.weight".into()
        }
    );
}

#[test]
fn a_misshaped_tensor_reports_expected_and_found() {
    let error = load_error(|t| {
        let w = t.get_mut("fc1.weight").expect("fc1.weight");
        w.shape = vec![5, 7];
    });
    assert_eq!(
        error,
        WeightError::Shape {
            name: "fc1.weight".into(),
            expected: vec![7, 5],
            found: vec![5, 7]
        }
    );
    assert_eq!(
        error.to_string(),
        "tensor `fc1.weight` has shape [5, 7], but the model expects [7, 5]"
    );
}

#[test]
fn a_wrong_dtype_is_named() {
    let error = load_error(|t| {
        let w = t.get_mut("fc2.bias").expect("fc2.bias");
        w.dtype = Dtype::I32;
    });
    assert_eq!(
        error,
        WeightError::Dtype {
            name: "fc2.bias".into(),
            expected: "F32",
            found: "I32".into()
        }
    );
    let error = load_error(|t| {
        let c = t.get_mut("bn1.num_batches_tracked").expect("counter");
        c.dtype = Dtype::F64;
    });
    assert!(
        matches!(error, WeightError::Dtype { name, expected: "I64", .. } if name == "bn1.num_batches_tracked")
    );
}

#[test]
fn truncated_and_garbage_files_are_format_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.safetensors");
    save_safetensors(&trained(1), &good, &HashMap::new()).expect("save");
    let bytes = std::fs::read(&good).expect("read");
    let truncated = dir.path().join("truncated.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() - 5]).expect("write");
    let garbage = dir.path().join("garbage.safetensors");
    std::fs::write(&garbage, b"this is not a weight file at all").expect("write");
    for path in [truncated, garbage] {
        let mut net = network(2);
        let before = snapshot(&net);
        let error = load_safetensors(&mut net, &path).expect_err("bad file");
        assert!(
            matches!(error, WeightError::Format { .. }),
            "{path:?}: {error:?}"
        );
        assert_eq!(snapshot(&net), before);
    }
    let mut net = network(2);
    let missing = load_safetensors(&mut net, &dir.path().join("absent.safetensors"));
    assert!(matches!(missing, Err(WeightError::Io { .. })));
}

#[test]
fn load_state_dict_validates_before_copying() {
    let source = trained(1);
    let mut target = network(2);
    let before = snapshot(&target);
    let mut tensors = source.state_dict();
    // The last tensor is wrong: the earlier ones must not be copied either.
    let last = tensors.len() - 1;
    tensors[last].shape = &[3];
    let error = target.load_state_dict(&tensors).expect_err("wrong shape");
    assert!(matches!(error, WeightError::Shape { .. }));
    assert_eq!(snapshot(&target), before);
}
