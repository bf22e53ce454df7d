//! The language server, driven over an in-memory connection.
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc-lsp --test it -- <module>::`.

mod edit_sequences;
mod editor_grammar;
mod features;
mod harness;
