use std::process::ExitCode;

#[derive(clap::Args)]
pub struct ExplainArgs {}

pub fn run(_args: ExplainArgs) -> ExitCode {
    eprintln!("netc explain: not available yet");
    ExitCode::from(2)
}
