//! The interpreter against PyTorch: every `tests/fixtures/torch/*.json`
//! case replayed step by step from the same initial state and batches,
//! comparing the train-mode output, loss, gradients and whole state after
//! each step, and the eval output at the end, to the fixture's measured
//! tolerance (see the fixtures' README).

use std::path::{Path, PathBuf};

use netc_lang::Severity;
use netc_plan::Interpreter;
use netc_runtime::{Network, TensorData, TensorRef};
use netc_testkit::{workspace_path, Tolerance};
use serde_json::Value;

fn floats(value: &Value) -> Vec<f32> {
    value
        .as_array()
        .expect("an array of numbers")
        .iter()
        .map(|v| v.as_f64().expect("a number") as f32)
        .collect()
}

/// Mismatches of one case, reported together.
struct Report {
    case: String,
    problems: Vec<String>,
}

impl Report {
    fn compare(&mut self, what: &str, ours: &[f32], theirs: &[f32], tol: Tolerance) {
        if ours.len() != theirs.len() {
            self.problems.push(format!(
                "{what}: {} values, PyTorch has {}",
                ours.len(),
                theirs.len()
            ));
            return;
        }
        let mut worst: Option<(usize, f64)> = None;
        let mut failures = 0;
        for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
            let (a, b) = (f64::from(*a), f64::from(*b));
            let excess = tol.excess(a, b);
            if excess > 0.0 || !a.is_finite() {
                failures += 1;
                if worst.is_none_or(|(_, e)| excess > e) {
                    worst = Some((i, excess));
                }
            }
        }
        if let Some((i, _)) = worst {
            self.problems.push(format!(
                "{what}: {failures} of {} values off; worst [{i}]: {} vs PyTorch {}",
                ours.len(),
                ours[i],
                theirs[i]
            ));
        }
    }
}

fn run_case(json_path: &Path) -> Report {
    let text = std::fs::read_to_string(json_path).expect("read fixture");
    let fixture: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let case = fixture["case"].as_str().expect("case").to_string();
    let mut report = Report {
        case: case.clone(),
        problems: Vec::new(),
    };

    let source = std::fs::read_to_string(json_path.with_extension("nn")).expect("read .nn");
    let checked = netc_lang::check_file(source.as_bytes(), &Default::default());
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{} {}", d.code, d.message))
        .collect();
    assert!(
        errors.is_empty(),
        "{case}: the model has errors: {errors:?}"
    );
    let name = fixture["model"].as_str().expect("model");
    let model = checked
        .valid_models()
        .iter()
        .find(|m| m.name == name)
        .expect("the fixture's model is in its file");
    let train = model
        .train
        .clone()
        .expect("fixture models have a train block");
    assert_eq!(
        train.batch as u64,
        fixture["batch"].as_u64().expect("batch")
    );
    let mut net = Interpreter::from_model(model, &train, 0).expect("a valid plan");

    // Initial state, which must also name PyTorch's state_dict in order.
    let initial = fixture["initial"].as_object().expect("initial");
    let ours: Vec<&str> = net.state_dict().iter().map(|t| t.name).collect();
    let theirs: Vec<&str> = initial.keys().map(String::as_str).collect();
    assert_eq!(ours, theirs, "{case}: state_dict names and order");
    let decoded: Vec<(String, Vec<usize>, Value)> = initial
        .iter()
        .map(|(name, t)| {
            let shape = t["shape"]
                .as_array()
                .expect("shape")
                .iter()
                .map(|d| d.as_u64().expect("dim") as usize)
                .collect();
            (name.clone(), shape, t.clone())
        })
        .collect();
    let values: Vec<Vec<f32>> = decoded.iter().map(|(_, _, t)| floats(&t["data"])).collect();
    let tensors: Vec<TensorRef<'_>> = decoded
        .iter()
        .zip(&values)
        .map(|((name, shape, t), data)| TensorRef {
            name,
            shape,
            data: match t["dtype"].as_str() {
                Some("I64") => TensorData::I64(data[0] as i64),
                _ => TensorData::F32(data),
            },
        })
        .collect();
    net.load_state_dict(&tensors).expect("initial state loads");

    let tol = Tolerance::from_json(&fixture["tolerance"]);
    let loose_abs = fixture["loose_abs"].as_f64().unwrap_or(0.0);
    let loose: Vec<&str> = fixture["loose"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let tol_for = |name: &str| {
        if loose.contains(&name) {
            Tolerance {
                rel: 0.0,
                abs: loose_abs,
            }
        } else {
            tol
        }
    };

    let batches = fixture["batches"].as_array().expect("batches");
    let trace = fixture["trace"].as_array().expect("trace");
    assert_eq!(batches.len(), trace.len());
    for (step, (batch, expected)) in batches.iter().zip(trace).enumerate() {
        let loss = net.train_step(&floats(&batch["x"]), &floats(&batch["y"]));
        report.compare(
            &format!("step {step} output"),
            net.last_output(),
            &floats(&expected["output"]),
            tol,
        );
        let torch_loss = expected["loss"].as_f64().expect("loss") as f32;
        report.compare(&format!("step {step} loss"), &[loss], &[torch_loss], tol);
        for (name, grad) in expected["grads"].as_object().expect("grads") {
            match net.gradient(name) {
                Some(ours) => report.compare(
                    &format!("step {step} grad {name}"),
                    ours,
                    &floats(grad),
                    tol_for(name),
                ),
                None => report.problems.push(format!("no gradient for {name}")),
            }
        }
        let after = expected["state_after"].as_object().expect("state_after");
        for tensor in net.state_dict() {
            let Some(theirs) = after.get(tensor.name) else {
                report
                    .problems
                    .push(format!("state_after lacks {}", tensor.name));
                continue;
            };
            let what = format!("step {step} state {}", tensor.name);
            match tensor.data {
                TensorData::F32(ours) => {
                    report.compare(&what, ours, &floats(theirs), tol_for(tensor.name))
                }
                TensorData::I64(ours) => {
                    if Some(ours) != theirs[0].as_i64() {
                        report
                            .problems
                            .push(format!("{what}: {ours} vs PyTorch {theirs}"));
                    }
                }
            }
        }
    }

    let eval = &fixture["eval"];
    let x = floats(&eval["x"]);
    let expected = floats(&eval["output"]);
    let mut out = vec![0.0f32; expected.len()];
    net.predict(&x, &mut out);
    report.compare(
        "eval output",
        &out,
        &expected,
        Tolerance::from_json(&eval["tolerance"]),
    );
    report
}

#[test]
fn interpreter_matches_pytorch_on_every_fixture() {
    let fixtures = workspace_path("tests/fixtures/torch");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("the fixture directory exists")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    cases.sort();
    assert!(
        !cases.is_empty(),
        "no PyTorch fixtures in {}",
        fixtures.display()
    );
    let reports: Vec<Report> = cases.iter().map(|path| run_case(path)).collect();
    let failures: Vec<String> = reports
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| format!("{}:\n  {}", r.case, r.problems.join("\n  ")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ from PyTorch:\n{}",
        failures.len(),
        reports.len(),
        failures.join("\n")
    );
}
