//! `netc train` reproduces PyTorch end to end: from the same initial
//! weights, with file-order batches and no preprocessing, the epoch(s) of
//! each case in `tests/fixtures/torch_epoch/` end in PyTorch's state_dict
//! and report PyTorch's mean train loss. The fixtures come from
//! `scripts/torch_reference/make_epoch_fixtures.py`; their JSON holds the
//! tolerances measured there (PyTorch float32 against a float64 replay).

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use netc_testkit::{workspace_path, Tolerance};
use safetensors::tensor::Dtype;
use safetensors::SafeTensors;
use serde_json::Value;

fn case_dir(case: &str) -> PathBuf {
    workspace_path("tests/fixtures/torch_epoch").join(case)
}

/// A tensor decoded from a safetensors file.
#[derive(Debug, Clone, PartialEq)]
enum Tensor {
    F32 { shape: Vec<usize>, data: Vec<f32> },
    I64 { shape: Vec<usize>, data: Vec<i64> },
}

fn read_tensors(path: &Path) -> BTreeMap<String, Tensor> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = SafeTensors::deserialize(&bytes)
        .unwrap_or_else(|e| panic!("{} is not safetensors: {e}", path.display()));
    file.tensors()
        .into_iter()
        .map(|(name, view)| {
            let shape = view.shape().to_vec();
            let tensor = match view.dtype() {
                Dtype::F32 => Tensor::F32 {
                    shape,
                    data: view
                        .data()
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect(),
                },
                Dtype::I64 => Tensor::I64 {
                    shape,
                    data: view
                        .data()
                        .chunks_exact(8)
                        .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
                        .collect(),
                },
                other => panic!("{name} in {}: unexpected dtype {other:?}", path.display()),
            };
            (name, tensor)
        })
        .collect()
}

/// What the fixture's JSON says about comparing a case.
struct Expectation {
    tolerance: Tolerance,
    loose: Vec<String>,
    loose_abs: f64,
}

impl Expectation {
    fn from_json(fixture: &Value) -> Expectation {
        Expectation {
            tolerance: Tolerance::from_json(&fixture["tolerance"]),
            loose: fixture["loose"]
                .as_array()
                .expect("loose")
                .iter()
                .map(|v| v.as_str().expect("loose name").to_string())
                .collect(),
            loose_abs: fixture["loose_abs"].as_f64().expect("loose_abs"),
        }
    }

    /// A loose tensor's absolute slack replaces `abs`; `rel` stays, since
    /// a running mean of unstandardised features is large enough for its
    /// float32 rounding alone to exceed lr × steps.
    fn tolerance_of(&self, name: &str) -> Tolerance {
        if self.loose.iter().any(|l| l == name) {
            Tolerance {
                rel: self.tolerance.rel,
                abs: self.loose_abs,
            }
        } else {
            self.tolerance
        }
    }
}

/// Every way `actual` differs from `expected` beyond the tolerances: a
/// missing or extra tensor, another dtype or shape, a float out of
/// tolerance (the worst element per tensor), an integer not equal.
fn mismatches(
    actual: &BTreeMap<String, Tensor>,
    expected: &BTreeMap<String, Tensor>,
    expectation: &Expectation,
) -> Vec<String> {
    let mut found = Vec::new();
    for name in actual.keys().filter(|n| !expected.contains_key(*n)) {
        found.push(format!("{name}: not in PyTorch's state_dict"));
    }
    for (name, want) in expected {
        let Some(got) = actual.get(name) else {
            found.push(format!("{name}: missing"));
            continue;
        };
        match (got, want) {
            (Tensor::F32 { shape: gs, data: g }, Tensor::F32 { shape: ws, data: w })
                if gs == ws =>
            {
                let tolerance = expectation.tolerance_of(name);
                let worst = g
                    .iter()
                    .zip(w)
                    .enumerate()
                    .filter(|(_, (&a, &b))| !tolerance.accepts(f64::from(a), f64::from(b)))
                    .max_by(|(_, (a1, b1)), (_, (a2, b2))| {
                        (*a1 - *b1).abs().total_cmp(&(*a2 - *b2).abs())
                    });
                if let Some((i, (a, b))) = worst {
                    found.push(format!(
                        "{name}[{i}]: netc {a}, PyTorch {b} (|diff| {}, tolerance {tolerance:?})",
                        (a - b).abs()
                    ));
                }
            }
            (Tensor::I64 { shape: gs, data: g }, Tensor::I64 { shape: ws, data: w })
                if gs == ws =>
            {
                if g != w {
                    found.push(format!("{name}: netc {g:?}, PyTorch {w:?}"));
                }
            }
            _ => found.push(format!(
                "{name}: netc {got:?} vs PyTorch {want:?} (dtype or shape)"
            )),
        }
    }
    found
}

fn fixture(case: &str) -> Value {
    let path = case_dir(case).join(format!("{case}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture JSON")
}

/// What `netc train` printed for one epoch.
struct EpochLine {
    train_loss: f64,
    lr: f64,
}

/// Runs `netc train` on the case as tests/fixtures/torch_epoch/README.md says
/// and returns its per-epoch JSON lines and the saved state.
fn train_like_pytorch(case: &str, epochs: u64) -> (Vec<EpochLine>, BTreeMap<String, Tensor>) {
    let dir = case_dir(case);
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("trained.safetensors");
    let output = common::command()
        .current_dir(work.path())
        .arg("train")
        .arg(dir.join(format!("{case}.nn")))
        .arg("--data")
        .arg(dir.join(format!("{case}.csv")))
        .arg("--init-weights")
        .arg(dir.join("init.safetensors"))
        .args(["--no-shuffle", "--no-standardize", "--val-split", "0"])
        .args(["--epochs", &epochs.to_string()])
        .arg("--save")
        .arg(&out)
        .args(["--format", "json"])
        .output()
        .expect("netc runs");
    assert!(
        output.status.success(),
        "netc train on {case} failed:\n{}",
        common::stderr(&output)
    );
    let lines = common::json_lines(&output)
        .into_iter()
        .filter(|line| line.get("final").is_none())
        .map(|line| EpochLine {
            train_loss: line["train_loss"].as_f64().expect("train_loss"),
            lr: line["lr"].as_f64().expect("lr"),
        })
        .collect();
    (lines, read_tensors(&out))
}

fn reproduces_pytorch(case: &str) {
    let fixture = fixture(case);
    let epochs = fixture["epochs"].as_u64().expect("epochs");
    let (lines, trained) = train_like_pytorch(case, epochs);

    let expected = read_tensors(&case_dir(case).join("expected.safetensors"));
    let problems = mismatches(&trained, &expected, &Expectation::from_json(&fixture));
    assert!(
        problems.is_empty(),
        "{case}: netc's weights after {epochs} epoch(s) differ from PyTorch's:\n{}",
        problems.join("\n")
    );

    let want: Vec<f64> = fixture["train_loss"]
        .as_array()
        .expect("train_loss")
        .iter()
        .map(|v| v.as_f64().expect("loss"))
        .collect();
    let lrs: Vec<f64> = fixture["lr_per_step"]
        .as_array()
        .expect("lr_per_step")
        .iter()
        .map(|v| v.as_f64().expect("lr"))
        .collect();
    let steps_per_epoch = lrs.len() / want.len();
    let tolerance = Tolerance::from_json(&fixture["loss_tolerance"]);
    assert_eq!(lines.len(), want.len(), "{case}: one JSON line per epoch");
    for (epoch, (got, want)) in lines.iter().zip(&want).enumerate() {
        assert!(
            tolerance.accepts(got.train_loss, *want),
            "{case}: epoch {} train_loss netc {}, PyTorch {want} ({tolerance:?})",
            epoch + 1,
            got.train_loss
        );
        let torch_lr = lrs[epoch * steps_per_epoch];
        assert!(
            (got.lr - torch_lr).abs() <= 1e-12 * torch_lr,
            "{case}: epoch {} lr netc {}, PyTorch {torch_lr}",
            epoch + 1,
            got.lr
        );
    }
}

#[test]
fn seed_network_on_water_rows_matches_pytorch() {
    reproduces_pytorch("seed_water");
}

#[test]
fn digits_cross_entropy_with_nesterov_and_clipping_matches_pytorch() {
    reproduces_pytorch("digits_ce");
}

#[test]
fn wine_mse_with_adamw_and_named_target_matches_pytorch() {
    reproduces_pytorch("wine_mse");
}

#[test]
fn two_epochs_under_a_step_schedule_match_pytorch() {
    reproduces_pytorch("cancer_step");
}

#[test]
fn three_epochs_under_a_cosine_schedule_match_pytorch() {
    reproduces_pytorch("cancer_cosine");
}

/// The comparison is not vacuous: PyTorch's own state against itself
/// passes, and one float nudged past the tolerance, a loose tensor moved
/// past lr × steps, a changed step count or a dropped tensor each fail.
#[test]
fn the_comparison_catches_each_kind_of_difference() {
    let fixture = fixture("seed_water");
    let expectation = Expectation::from_json(&fixture);
    let expected = read_tensors(&case_dir("seed_water").join("expected.safetensors"));
    assert_eq!(
        mismatches(&expected, &expected, &expectation),
        Vec::<String>::new()
    );

    let nudge = |name: &str, by: f32| {
        let mut changed = expected.clone();
        match changed.get_mut(name) {
            Some(Tensor::F32 { data, .. }) => data[0] += by,
            other => panic!("{name}: {other:?}"),
        }
        mismatches(&changed, &expected, &expectation)
    };
    let tight = expectation.tolerance_of("fc3.weight");
    let Some(Tensor::F32 { data, .. }) = expected.get("fc3.weight") else {
        panic!("fc3.weight is F32");
    };
    let past = (tight.abs + tight.rel * f64::from(data[0]).abs()) * 2.0;
    assert_eq!(nudge("fc3.weight", past as f32).len(), 1);
    assert_eq!(
        nudge("fc1.bias", 0.5 * expectation.loose_abs as f32).len(),
        0
    );
    assert_eq!(
        nudge("fc1.bias", 2.0 * expectation.loose_abs as f32).len(),
        1
    );

    let mut counted = expected.clone();
    if let Some(Tensor::I64 { data, .. }) = counted.get_mut("bn1.num_batches_tracked") {
        data[0] += 1;
    }
    assert_eq!(mismatches(&counted, &expected, &expectation).len(), 1);

    let mut dropped = expected.clone();
    dropped.remove("fc2.weight");
    assert_eq!(mismatches(&dropped, &expected, &expectation).len(), 1);
}
