use std::process::ExitCode;

#[derive(clap::Args)]
pub struct TrainArgs {}

pub fn run(_args: TrainArgs) -> ExitCode {
    eprintln!("netc train: not available yet");
    ExitCode::from(2)
}
