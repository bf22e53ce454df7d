use std::process::ExitCode;

#[derive(clap::Args)]
pub struct PredictArgs {}

pub fn run(_args: PredictArgs) -> ExitCode {
    eprintln!("netc predict: not available yet");
    ExitCode::from(2)
}
