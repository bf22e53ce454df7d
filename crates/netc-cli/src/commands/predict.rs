//! `netc predict FILE --weights W --data CSV [--out preds.csv]`: apply a
//! trained model to new rows with the preprocessing recorded at training
//! (the sidecar `W.json`), writing probabilities and the class for
//! classifiers, the value for regression.

use std::path::PathBuf;
use std::process::ExitCode;

use netc_ops::Loss;
use netc_runtime::Network;
use netc_train::data::{features_for_prediction, Table};
use netc_train::weights::load_safetensors;
use netc_train::Task;

use crate::checkpoint::{self, Sidecar};
use crate::commands::train::weight_failure;
use crate::failure::{finish, require_file, Failure};
use crate::interpreter;
use crate::model_file::ModelFile;
use crate::row_blocks::{self, BLOCK};
use crate::stdout;
use crate::threads;

#[derive(clap::Args)]
pub struct PredictArgs {
    /// The model file the weights were trained from.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The model (default: the one the checkpoint names).
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// Weights written by `netc train --save` (its `.json` sidecar must
    /// sit beside them).
    #[arg(long, value_name = "W.safetensors")]
    weights: PathBuf,
    /// Rows to predict; the feature columns are found by name, a target
    /// column is ignored.
    #[arg(long, value_name = "CSV")]
    data: PathBuf,
    /// Write the predictions here instead of stdout.
    #[arg(long, value_name = "PREDS.csv")]
    out: Option<PathBuf>,
    /// Threads the blocks of rows are shared out over (default:
    /// `NETC_NUM_THREADS`, else the cores available); the predictions
    /// are the same bits for any count.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: Option<u64>,
}

pub fn run(args: PredictArgs) -> ExitCode {
    finish(predict(args))
}

fn predict(args: PredictArgs) -> Result<(), Failure> {
    let threads = threads::requested(args.threads)?;
    require_file(&args.weights, "weight file")?;
    require_file(&args.data, "data file")?;
    let sidecar_path = checkpoint::sidecar_path(&args.weights);
    let sidecar = Sidecar::read(&sidecar_path).map_err(Failure::input)?;
    let file = ModelFile::load(&args.file)?;
    if file.sha256 != sidecar.model_sha256 {
        eprintln!(
            "warning: {} changed since {} was trained from it",
            args.file.display(),
            args.weights.display()
        );
    }
    let model = file.select(Some(args.model.as_deref().unwrap_or(&sidecar.model)))?;
    let config = model.train.clone().unwrap_or_default();
    let mut net = interpreter::build(interpreter::plan(model, &config)?, BLOCK, config.seed)?;
    if let Some(threads) = threads {
        net.set_threads(threads);
    }
    load_safetensors(&mut net, &args.weights).map_err(|e| weight_failure(&args.weights, e))?;

    let loss = loss_named(&sidecar.loss).ok_or_else(|| {
        Failure::input(format!(
            "{}: unknown loss `{}`",
            sidecar_path.display(),
            sidecar.loss
        ))
    })?;
    let task = Task::for_loss(loss, net.output_width());
    let preprocessing = sidecar.preprocessing.to_runtime().ok_or_else(|| {
        Failure::input(format!(
            "{}: inconsistent preprocessing fields",
            sidecar_path.display()
        ))
    })?;
    if preprocessing.features.len() != net.input_width() {
        return Err(Failure::input(format!(
            "{}: {} features, but model `{}` takes {}",
            sidecar_path.display(),
            preprocessing.features.len(),
            model.name,
            net.input_width()
        )));
    }
    let table = Table::read(&args.data).map_err(Failure::input)?;
    let data = features_for_prediction(&table, &preprocessing).map_err(Failure::input)?;

    let width = net.output_width();
    let mut out = vec![0.0; table.rows() * width];
    row_blocks::predict(&mut net, &data.x[..table.rows() * data.width], &mut out);
    let mut text = header(task, width, &preprocessing.target);
    for row in out.chunks_exact(width) {
        text.push_str(&prediction_line(task, row));
    }
    match &args.out {
        Some(path) => checkpoint::write_atomically(path, text.as_bytes()).map_err(Failure::input),
        None => {
            stdout::print(&text);
            Ok(())
        }
    }
}

fn loss_named(name: &str) -> Option<Loss> {
    [
        Loss::Bce,
        Loss::BceWithLogits,
        Loss::CrossEntropy,
        Loss::Mse,
        Loss::L1,
        Loss::Huber { delta: 1.0 },
    ]
    .into_iter()
    .find(|loss| loss.name() == name)
}

fn header(task: Task, width: usize, target: &str) -> String {
    let mut columns: Vec<String> = match task {
        Task::Binary { .. } => vec!["probability".into()],
        Task::Multiclass { classes } => (0..classes).map(|k| format!("prob_{k}")).collect(),
        Task::Regression if width == 1 => vec![target.to_string()],
        Task::Regression => (0..width).map(|k| format!("{target}_{k}")).collect(),
    };
    if task != Task::Regression {
        columns.push("class".into());
    }
    columns.join(",") + "\n"
}

/// One output row as CSV: probabilities (a logit through the sigmoid,
/// logits through the softmax) and the class, or the raw values.
fn prediction_line(task: Task, row: &[f32]) -> String {
    let values: Vec<f64> = match task {
        Task::Binary { logits: true } => vec![1.0 / (1.0 + (-f64::from(row[0])).exp())],
        Task::Binary { logits: false } | Task::Regression => {
            row.iter().map(|&v| f64::from(v)).collect()
        }
        Task::Multiclass { .. } => {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let exp: Vec<f64> = row.iter().map(|&v| f64::from(v - max).exp()).collect();
            let sum: f64 = exp.iter().sum();
            exp.iter().map(|e| e / sum).collect()
        }
    };
    let mut fields: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
    match task {
        Task::Binary { .. } => fields.push(u8::from(values[0] >= 0.5).to_string()),
        Task::Multiclass { .. } => {
            let class = values
                .iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |best, (k, &p)| {
                    if p > best.1 {
                        (k, p)
                    } else {
                        best
                    }
                })
                .0;
            fields.push(class.to_string());
        }
        Task::Regression => {}
    }
    fields.join(",") + "\n"
}
