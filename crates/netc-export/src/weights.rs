//! A safetensors weight file checked against the model it is exported
//! with: every tensor present, F32 (I64 for batchnorm's counter), of the
//! model's shape, and nothing extra.

use std::collections::HashMap;

use netc_lang::ir::Model;
use safetensors::tensor::{Dtype, SafeTensors};

use crate::state_dict::{expected_tensors, TensorKind};
use crate::ExportError;

/// A model's float tensors by `state_dict` name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Weights {
    tensors: HashMap<String, Vec<f32>>,
}

impl Weights {
    /// Parses `bytes` (a safetensors file) and checks it against `model`.
    pub fn from_safetensors(model: &Model, bytes: &[u8]) -> Result<Weights, ExportError> {
        let file = SafeTensors::deserialize(bytes).map_err(|e| ExportError::WeightFormat {
            message: e.to_string(),
        })?;
        let expected = expected_tensors(model);
        let mut tensors = HashMap::new();
        for spec in &expected {
            let view = file
                .tensor(&spec.name)
                .map_err(|_| ExportError::MissingTensor {
                    name: spec.name.clone(),
                })?;
            let want = match spec.kind {
                TensorKind::Float => Dtype::F32,
                TensorKind::Counter => Dtype::I64,
            };
            if view.dtype() != want {
                return Err(ExportError::TensorDtype {
                    name: spec.name.clone(),
                    expected: format!("{want:?}"),
                    found: format!("{:?}", view.dtype()),
                });
            }
            if view.shape() != spec.shape {
                return Err(ExportError::TensorShape {
                    name: spec.name.clone(),
                    expected: spec.shape.clone(),
                    found: view.shape().to_vec(),
                });
            }
            if spec.kind == TensorKind::Float {
                // safetensors data is unaligned: assemble from bytes.
                let values = view
                    .data()
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                tensors.insert(spec.name.clone(), values);
            }
        }
        let mut extra: Vec<String> = file
            .names()
            .into_iter()
            .filter(|name| !expected.iter().any(|spec| spec.name == **name))
            .map(str::to_string)
            .collect();
        extra.sort_unstable();
        if let Some(name) = extra.into_iter().next() {
            return Err(ExportError::UnexpectedTensor { name });
        }
        Ok(Weights { tensors })
    }

    /// The values of a float tensor the model declares; the file was
    /// checked to hold every one.
    pub(crate) fn get(&self, name: &str) -> &[f32] {
        self.tensors
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or_else(|| panic!("`{name}` is a tensor the model declares"))
    }
}
