//! The front end: parsing, checking, lints, analysis, fixes, rendering.
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc-lang --test it -- <module>::`.

mod analysis_simulated;
mod analysis_validation;
mod check_arithmetic;
mod check_codes;
mod check_examples;
mod check_lowering;
mod check_shapes;
mod config_suppress;
mod fix_roundtrip;
mod lint_gradients;
mod lint_init;
mod lint_structure;
mod lint_train;
mod parse_arithmetic;
mod parse_ast;
mod parse_language;
mod parse_syntax;
mod render_github;
mod render_json;
mod render_sarif;
mod render_text;
mod robust_input;
mod support;
