//! Trains `examples/water.nn`, compiled by `netc::model!`, on the shipped
//! water-potability data with the same preparation, loop and metrics as
//! `netc train examples/water.nn` (default options).
//!
//! ```text
//! cargo run --release -p netc --example water
//! ```

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use netc::runtime::data::{prepare, DataOptions, MissingPolicy, Table};
use netc::runtime::train::{fit, EpochReport, Metrics, Task, TrainSettings};
use netc::Network;

mod model {
    // water.nn keeps the notebook's sigmoid + bce on purpose; its NN009
    // warning is `netc check`'s to show, not this example's.
    #![allow(deprecated)]
    netc::model!(path = "../../../examples/water.nn");
}
use model::WaterNet;

/// `netc train`'s default validation split.
const VAL_SPLIT: f64 = 0.2;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let started = Instant::now();
    let config = WaterNet::train_config();
    let mut net = WaterNet::new(config.seed);
    let task = Task::for_loss(config.loss, net.output_width());
    // The train block's data path is relative to the model file.
    let model_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let data = model_dir.join(config.data.as_deref().ok_or("the model names no data")?);
    let table = Table::read(&data).map_err(|e| e.to_string())?;
    let prepared = prepare(
        &table,
        &DataOptions {
            target: config.target.clone(),
            target_kind: task.target_kind(),
            input_width: net.input_width(),
            missing: MissingPolicy::Mean,
            standardize: true,
            val_split: VAL_SPLIT,
            shuffle: true,
            seed: config.seed,
        },
    )
    .map_err(|e| e.to_string())?;
    let settings = TrainSettings {
        epochs: config.epochs,
        batch: config.batch,
        lr: config.optimizer.lr(),
        schedule: config.lr_schedule,
        shuffle: true,
        seed: config.seed,
        task,
        // The linear weights are the state's 2-D tensors, declared in
        // forward order in water.nn.
        layer_weights: net
            .state_dict()
            .iter()
            .filter(|t| t.shape.len() == 2)
            .map(|t| t.name.to_string())
            .collect(),
    };
    println!(
        "training `WaterNet` (generated code) on {}: {} training rows, {} validation rows, {} epochs, batch {}",
        data.display(),
        prepared.train.rows(),
        prepared.val.as_ref().map_or(0, |v| v.rows()),
        settings.epochs,
        settings.batch,
    );
    let summary = fit(
        &mut net,
        &prepared.train,
        prepared.val.as_ref(),
        &settings,
        &mut (),
    )
    .map_err(|e| e.to_string())?;
    let (Some(last), Some(best)) = (
        summary.last(),
        summary.epochs.get(summary.best_epoch.saturating_sub(1)),
    ) else {
        return Err("no epoch ran".into());
    };
    let split = |r: &EpochReport| match &r.val {
        Some(val) => format!("val {}", metrics_text(val, task)),
        None => format!("train {}", metrics_text(&r.train, task)),
    };
    println!("best epoch {}: {}", best.epoch, split(best));
    println!(
        "final epoch {}: {} ({:.1}s in all)",
        last.epoch,
        split(last),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `netc train`'s metric line.
fn metrics_text(m: &Metrics, task: Task) -> String {
    let mut text = format!("loss {:.4}", m.loss);
    let fields = [
        ("acc", m.accuracy.filter(|_| task != Task::Regression)),
        ("f1", m.f1),
        ("rmse", m.rmse),
        ("r2", m.r2),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            text.push_str(&format!(" {name} {value:.4}"));
        }
    }
    text
}
