//! Why an export failed, in words that name the tensor, layer or
//! activation at fault.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum ExportError {
    /// The weight file is not safetensors.
    WeightFormat {
        message: String,
    },
    MissingTensor {
        name: String,
    },
    UnexpectedTensor {
        name: String,
    },
    TensorShape {
        name: String,
        expected: Vec<usize>,
        found: Vec<usize>,
    },
    TensorDtype {
        name: String,
        expected: String,
        found: String,
    },
    /// The preprocessing does not fit the model's input.
    Preprocessing {
        message: String,
    },
    /// Something the target cannot express exactly.
    Unsupported {
        target: &'static str,
        what: String,
    },
    /// A model with errors (checked models always have an output).
    NoOutput {
        model: String,
    },
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::WeightFormat { message } => {
                write!(f, "not a safetensors file: {message}")
            }
            ExportError::MissingTensor { name } => {
                write!(f, "tensor `{name}` is missing from the weights")
            }
            ExportError::UnexpectedTensor { name } => write!(
                f,
                "tensor `{name}` in the weights is not a parameter of the model"
            ),
            ExportError::TensorShape {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` has shape {found:?}, but the model expects {expected:?}"
            ),
            ExportError::TensorDtype {
                name,
                expected,
                found,
            } => write!(
                f,
                "tensor `{name}` has dtype {found}, but the model expects {expected}"
            ),
            ExportError::Preprocessing { message } => write!(f, "{message}"),
            ExportError::Unsupported { target, what } => {
                write!(f, "{target} cannot express {what}")
            }
            ExportError::NoOutput { model } => {
                write!(f, "model `{model}` has no output; run `netc check` on it")
            }
        }
    }
}

impl std::error::Error for ExportError {}
