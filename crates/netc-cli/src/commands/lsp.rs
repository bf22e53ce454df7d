//! `netc lsp`: the language server (netc-lsp) over stdin and stdout, for
//! editors. Exit status: 0 after the client's `shutdown` and `exit`, 1 if
//! it exits without `shutdown` or the connection breaks.

use std::process::ExitCode;

use netc_lsp::Exit;

#[derive(clap::Args)]
pub struct LspArgs {
    /// Talk over stdin and stdout (the only transport; accepted because
    /// language clients pass it).
    #[arg(long)]
    stdio: bool,
}

pub fn run(args: LspArgs) -> ExitCode {
    let _ = args.stdio;
    match netc_lsp::run_stdio() {
        Ok(Exit::Clean) => ExitCode::SUCCESS,
        Ok(Exit::Abrupt) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: netc lsp: {error}");
            ExitCode::FAILURE
        }
    }
}
