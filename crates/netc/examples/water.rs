//! Trains `examples/water.nn`, compiled by `netc::model!`, on the shipped
//! water-potability data with the same preparation, loop and metrics as
//! `netc train examples/water.nn` (default options).
//!
//! ```text
//! cargo run --release -p netc --features train --example water
//! ```

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use netc::train::data::{prepare, DataOptions, Table};
use netc::train::{fit, text, Task, TrainSettings};
use netc::Network;

mod model {
    // water.nn keeps the notebook's sigmoid + bce on purpose; its NN009
    // warning is `netc check`'s to show, not this example's.
    #![allow(deprecated)]
    netc::model!(path = "../../../examples/water.nn");
}
use model::WaterNet;

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
    let options = DataOptions::for_config(&config, task.target_kind(), net.input_width());
    let prepared = prepare(&table, &options).map_err(|e| e.to_string())?;
    // The linear weights are the state's 2-D tensors, declared in forward
    // order in water.nn.
    let layer_weights = net
        .state_dict()
        .iter()
        .filter(|t| t.shape.len() == 2)
        .map(|t| t.name.to_string())
        .collect();
    let settings = TrainSettings::for_config(&config, task, prepared.train.rows(), layer_weights);
    println!(
        "{}",
        text::start_line("WaterNet", &data, &prepared, &settings)
    );
    let summary = fit(
        &mut net,
        &prepared.train,
        prepared.val.as_ref(),
        &settings,
        &mut (),
    )
    .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let lines = text::summary_lines(&summary, task, seconds).ok_or("no epoch ran")?;
    println!("{lines}");
    Ok(())
}
