//! Generated code: one runtime call per Plan op.
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc-codegen --test it -- <module>::`.

mod op_calls;
