//! The `netc` binary end to end, one module per command or concern.
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc-cli --test it -- <module>::`.

mod cli_analyze;
mod cli_check;
mod cli_explain;
mod cli_export;
mod cli_fix;
mod cli_fmt;
mod cli_lint_config;
mod cli_lsp;
mod cli_predict;
mod cli_threads;
mod cli_train;
mod cli_train_errors;
mod cli_train_examples;
mod cli_train_lints;
mod cli_train_torch;
mod common;
