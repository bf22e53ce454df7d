//! What the CLI tests share: running the built `netc` binary and reading
//! what it printed.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The built `netc`, uncolored (`NO_COLOR=1`), in this crate's directory.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netc"));
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    command
}

/// `netc ARGS` in this crate's directory.
pub fn netc(args: &[&str]) -> Output {
    run(command().args(args))
}

/// `netc ARGS` in `dir`, so that paths in its output are the relative
/// ones given.
pub fn netc_in(dir: &Path, args: &[&str]) -> Output {
    run(command().current_dir(dir).args(args))
}

pub fn run(command: &mut Command) -> Output {
    command.output().expect("netc runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every stdout line parsed as JSON (`--format json`).
pub fn json_lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each stdout line is JSON"))
        .collect()
}

/// A file of `tests/data`.
pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// A path as a command-line argument.
pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
