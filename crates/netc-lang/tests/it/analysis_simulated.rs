//! `analyze` against PyTorch: R simulated at initialisation by
//! `scripts/torch_reference/simulate_r.py` (3 seeds × 4 batches of 256,
//! float64, train mode) for the models under `tests/lint_models/sim/` and
//! `examples/water.nn`, committed as `tests/fixtures/simulated_r.json`.
//! Every model is compared; none is excluded.

use netc_lang::analysis::analyze;
use serde_json::Value;

const TOLERANCE: f64 = 0.20;

fn repo_file(relative: &str) -> String {
    let path = format!("{}/../../{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn predicted_ratios_are_within_20_percent_of_pytorch() {
    let report: Value = serde_json::from_str(&repo_file(
        "crates/netc-lang/tests/fixtures/simulated_r.json",
    ))
    .expect("the fixture is JSON");
    let results = report["results"].as_array().expect("results");
    assert!(results.len() >= 20, "{} simulated models", results.len());
    let mut failures = Vec::new();
    for result in results {
        let file = result["file"].as_str().expect("file");
        let name = result["model"].as_str().expect("model");
        let simulated = result["R"].as_f64().expect("R");
        let (program, diagnostics) = netc_lang::check_source(&repo_file(file));
        assert!(
            !netc_lang::has_errors(&diagnostics),
            "{file}: {diagnostics:#?}"
        );
        let model = program.model(name).expect("the model named in the fixture");
        let predicted = analyze(model).r.expect("at least two linear layers");
        let error = (predicted - simulated).abs() / simulated;
        println!(
            "{file}: predicted {predicted:.4e}, simulated {simulated:.4e}, {:.1}%",
            error * 100.0
        );
        if error > TOLERANCE {
            failures.push(format!(
                "{file}: predicted {predicted:.4e}, simulated {simulated:.4e}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
