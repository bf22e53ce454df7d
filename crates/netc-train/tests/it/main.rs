//! Data loading, the training loop, metrics and their text.
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc-train --test it -- <module>::`.

mod data_batches;
mod data_prepare;
mod data_table;
mod facade_dependencies;
mod train_loop;
mod train_metrics_health;
mod train_text;
