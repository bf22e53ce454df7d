//! The Plan interpreter, as `netc train` runs a model.

use netc_lang::{check_file, LintLevels, Severity};
use netc_ops::TrainConfig;
use netc_plan::Interpreter;

use super::{network_figures, BenchError, Figure, Run};
use crate::workload::{Workload, WEIGHT_SEED};

pub fn figures(workload: &Workload, run: &Run) -> Result<Vec<Figure>, BenchError> {
    let (mut net, config) = build(workload)?;
    Ok(network_figures("interpreted", &mut net, &config, run))
}

/// The workload's model checked and loaded into the interpreter, with its
/// train block.
fn build(workload: &Workload) -> Result<(Interpreter, TrainConfig), BenchError> {
    let error = |message: String| BenchError {
        workload: workload.name,
        message,
    };
    let checked = check_file(workload.source.as_bytes(), &LintLevels::default());
    if let Some(first) = checked
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
    {
        return Err(error(format!(
            "the model does not check: {}",
            first.message
        )));
    }
    let model = checked
        .valid_models()
        .first()
        .ok_or_else(|| error("the file holds no model".into()))?;
    let config = model
        .train
        .clone()
        .ok_or_else(|| error("the model has no train block".into()))?;
    let net =
        Interpreter::from_model(model, &config, WEIGHT_SEED).map_err(|e| error(e.to_string()))?;
    Ok((net, config))
}

#[cfg(test)]
mod tests {
    use netc_runtime::Network;

    use super::*;
    use crate::workload::{Batch, WORKLOADS};

    #[test]
    fn every_workload_trains_in_the_interpreter() {
        for workload in WORKLOADS {
            let (mut net, config) = build(workload).expect("the workload builds");
            let batch = Batch::for_training(&net, &config);
            let first = net.train_step(&batch.x, &batch.y);
            let second = net.train_step(&batch.x, &batch.y);
            assert!(first.is_finite() && second.is_finite(), "{}", workload.name);
            // Adam on one repeated batch must make progress at once.
            assert!(second < first, "{}: {first} then {second}", workload.name);
        }
    }

    #[test]
    fn the_workloads_have_the_documented_shapes() {
        let shapes: Vec<_> = WORKLOADS
            .iter()
            .map(|w| {
                let (net, config) = build(w).expect("the workload builds");
                (w.name, net.input_width(), net.output_width(), config.batch)
            })
            .collect();
        assert_eq!(
            shapes,
            [
                ("seed", 9, 1, 32),
                ("mnist", 784, 10, 128),
                ("deep", 9, 1, 64),
                ("wide", 784, 10, 256),
                ("lenet", 784, 10, 64)
            ]
        );
    }

    #[test]
    fn a_model_with_errors_is_reported_not_run() {
        let broken = Workload {
            name: "broken",
            source: "model M { input x: 2\n fc = linear(2, 1)\n forward { return fc(y) } }",
        };
        let error = build(&broken).map(|_| ()).expect_err("undefined name");
        assert_eq!(error.workload, "broken");
        assert!(
            error.message.starts_with("the model does not check"),
            "{error}"
        );
    }
}
