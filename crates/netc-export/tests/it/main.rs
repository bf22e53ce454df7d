//! PyTorch and ONNX export: generated sources, tract and the PyTorch
//! fixtures against netc's forward.
//!
//! The crate's one integration-test binary (one link, not one per file).
//! One module alone: `cargo test -p netc-export --test it -- <module>::`.

mod common;
mod export_fixtures;
mod image_fixtures;
mod onnx_tract;
mod torch_source;
