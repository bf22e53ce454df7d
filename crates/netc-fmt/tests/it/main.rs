//! The formatter: snapshots of the corpus and layout fixtures, and
//! property tests of its invariants.
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc-fmt --test it -- <module>::`.

mod common;
mod format_properties;
mod format_snapshots;
