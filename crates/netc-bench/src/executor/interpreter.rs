//! The Plan interpreter, as `netc train` runs a model.

use netc_lang::{check_file, LintLevels, Severity};
use netc_ops::TrainConfig;
use netc_plan::Interpreter;

use super::{network_figures, BenchError, Figure, Run};
use crate::workload::{Workload, WEIGHT_SEED};

/// Key of the workload's product FLOPs per training step, in millions:
/// over `--peak`, the time its step cannot go below.
pub const PRODUCT_KEY: &str = "step_product_mflop";

pub fn figures(workload: &Workload, run: &Run) -> Result<Vec<Figure>, BenchError> {
    let (net, config) = build(workload)?;
    let mut figures = vec![product_figure(&net)];
    figures.extend(network_figures("interpreted", &net, &config, run));
    Ok(figures)
}

/// From the plan the interpreter runs, the one the generated code is
/// built from too.
fn product_figure(net: &Interpreter) -> Figure {
    Figure {
        key: PRODUCT_KEY.into(),
        value: net.plan().step_product_flops() as f64 / 1e6,
    }
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

    /// Seed at batch 32: 9·16 + 16·8 + 8·1 multiply-adds forward and for
    /// the weight gradients, 16·8 + 8·1 for the input gradients.
    #[test]
    fn the_product_figure_counts_the_seed_step() {
        let seed = WORKLOADS.iter().find(|w| w.name == "seed").expect("seed");
        let (net, _) = build(seed).expect("the workload builds");
        let figure = product_figure(&net);
        assert_eq!(figure.key, PRODUCT_KEY);
        assert_eq!(figure.value, 2.0 * 32.0 * (2.0 * 280.0 + 136.0) / 1e6);
    }

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
