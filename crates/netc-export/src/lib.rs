//! Export of checked netc models to other tools.
//!
//! - [`onnx`]: the inference graph as an ONNX model (IR 8, opset 17), with
//!   the weights of a safetensors file and optionally the checkpoint's
//!   feature preprocessing.
//! - [`torch`]: a readable PyTorch module per model and a `torchrun`
//!   training script reproducing the train block.
//!
//! Everything works from the checked IR (`netc_lang::ir::Model`), whose
//! validity the caller guarantees (no check errors).

mod error;
pub mod onnx;
mod state_dict;
pub mod torch;
mod weights;

pub use error::ExportError;
pub use state_dict::{expected_tensors, TensorKind, TensorSpec};
pub use weights::Weights;

/// A checkpoint's feature transform (its sidecar's `preprocessing`):
/// `(raw - center) / scale` per feature, after imputing missing cells.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureTransform {
    /// The CSV columns the model's input reads, in order.
    pub features: Vec<String>,
    /// Per feature: what a missing cell becomes; `None` when training
    /// imputed nothing (rows with missing cells were dropped or refused).
    pub impute: Option<Vec<f64>>,
    pub center: Vec<f64>,
    pub scale: Vec<f64>,
}

impl FeatureTransform {
    /// Every per-feature list must have one entry per input feature.
    pub fn check_width(&self, input_width: usize) -> Result<(), ExportError> {
        let impute = self.impute.as_ref().map_or(input_width, Vec::len);
        let lengths = [
            self.features.len(),
            impute,
            self.center.len(),
            self.scale.len(),
        ];
        if lengths.iter().any(|&n| n != input_width) {
            return Err(ExportError::Preprocessing {
                message: format!(
                    "the preprocessing describes {} features, but the model's input takes {input_width}",
                    self.features.len()
                ),
            });
        }
        Ok(())
    }
}
