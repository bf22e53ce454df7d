//! The `netc` command. Each subcommand lives in `commands/` with its own
//! argument struct; this file only dispatches.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod checkpoint;
mod commands;
mod epoch_json;
mod failure;
mod health_text;
mod interpreter;
mod model_file;
mod plot;
mod progress;
mod row_blocks;
mod source;
mod stdout;
mod term;
mod threads;

#[derive(Parser)]
#[command(
    name = "netc",
    version,
    about = "Check, explain and train neural-network model files"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the Rust code `netc::model!` generates for a model.
    Emit(commands::emit::EmitArgs),
    /// Predict gradient flow at initialisation (mean field), per layer.
    Analyze(commands::analyze::AnalyzeArgs),
    /// Parse and check model files, printing diagnostics.
    Check(commands::check::CheckArgs),
    /// Print the long documentation of a diagnostic code or name.
    Explain(commands::explain::ExplainArgs),
    /// Rewrite model files in the canonical layout (`--check`: diff only).
    Fmt(commands::fmt::FmtArgs),
    /// Run the language server over stdio, for editors.
    Lsp(commands::lsp::LspArgs),
    /// Train a model on CSV data.
    Train(commands::train::TrainArgs),
    /// Apply a trained model to CSV data.
    Predict(commands::predict::PredictArgs),
    /// Export a model to ONNX or to PyTorch (a module and a torchrun script).
    Export(commands::export::ExportArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Emit(args) => commands::emit::run(args),
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Check(args) => commands::check::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Lsp(args) => commands::lsp::run(args),
        Command::Train(args) => commands::train::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Export(args) => commands::export::run(args),
    }
}
