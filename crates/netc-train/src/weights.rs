//! safetensors weight files with PyTorch `state_dict` names, shapes and
//! dtypes, so `torch.nn.Module.load_state_dict` reads what netc writes and
//! the other way round.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView, View};

use netc_runtime::{Network, TensorData, TensorRef, WeightError};

/// Writes every `state_dict` tensor of `net`: F32 tensors, and
/// `num_batches_tracked` as a 0-d I64. Atomic: the bytes go to a temporary
/// file beside `path`, which is then renamed over it, so a crash never
/// leaves a half-written weight file.
pub fn save_safetensors(
    net: &dyn Network,
    path: &Path,
    metadata: &HashMap<String, String>,
) -> Result<(), WeightError> {
    let tensors: Vec<(String, OwnedTensor)> = net
        .state_dict()
        .iter()
        .map(|t| (t.name.to_string(), OwnedTensor::from_ref(t)))
        .collect();
    let info = (!metadata.is_empty()).then(|| metadata.clone());
    let bytes = safetensors::serialize(tensors, info).map_err(|e| WeightError::Format {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    write_atomically(path, &bytes)
}

/// Replaces the whole state of `net` with the file's tensors. Every name,
/// dtype and shape is checked against the model before anything is
/// copied: a missing or extra tensor, or a wrong one (named, with the
/// expected and found shape or dtype), is an error and leaves `net`
/// unchanged.
pub fn load_safetensors(net: &mut dyn Network, path: &Path) -> Result<(), WeightError> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, &e))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| WeightError::Format {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let decoded = decode_against(&*net, &file)?;
    let tensors: Vec<TensorRef<'_>> = decoded
        .iter()
        .map(|(name, shape, value)| TensorRef {
            name,
            shape,
            data: match value {
                Decoded::F32(values) => TensorData::F32(values),
                Decoded::I64(value) => TensorData::I64(*value),
            },
        })
        .collect();
    net.load_state_dict(&tensors)
}

enum Decoded {
    F32(Vec<f32>),
    I64(i64),
}

/// The file's tensors in the model's `state_dict` order, decoded after
/// their name, dtype and shape were checked.
fn decode_against(
    net: &dyn Network,
    file: &SafeTensors<'_>,
) -> Result<Vec<(String, Vec<usize>, Decoded)>, WeightError> {
    let expected = net.state_dict();
    let mut decoded = Vec::with_capacity(expected.len());
    for want in &expected {
        let view = file.tensor(want.name).map_err(|_| WeightError::Missing {
            name: want.name.to_string(),
        })?;
        let (want_dtype, want_name) = match want.data {
            TensorData::F32(_) => (Dtype::F32, "F32"),
            TensorData::I64(_) => (Dtype::I64, "I64"),
        };
        if view.dtype() != want_dtype {
            return Err(WeightError::Dtype {
                name: want.name.to_string(),
                expected: want_name,
                found: format!("{:?}", view.dtype()),
            });
        }
        if view.shape() != want.shape {
            return Err(WeightError::Shape {
                name: want.name.to_string(),
                expected: want.shape.to_vec(),
                found: view.shape().to_vec(),
            });
        }
        let value = match want_dtype {
            Dtype::I64 => match le_chunks::<8>(view.data()).first() {
                Some(bytes) => Decoded::I64(i64::from_le_bytes(*bytes)),
                None => {
                    return Err(WeightError::Shape {
                        name: want.name.to_string(),
                        expected: want.shape.to_vec(),
                        found: view.shape().to_vec(),
                    })
                }
            },
            _ => Decoded::F32(
                le_chunks::<4>(view.data())
                    .into_iter()
                    .map(f32::from_le_bytes)
                    .collect(),
            ),
        };
        decoded.push((want.name.to_string(), want.shape.to_vec(), value));
    }
    let mut extra: Vec<&str> = file
        .names()
        .into_iter()
        .filter(|name| !expected.iter().any(|t| t.name == *name))
        .collect();
    extra.sort_unstable();
    if let Some(name) = extra.first() {
        return Err(WeightError::Unexpected {
            name: name.to_string(),
        });
    }
    Ok(decoded)
}

/// Little-endian element bytes; safetensors' data is unaligned, so values
/// are assembled from bytes rather than cast in place. The caller checked
/// the shape, and safetensors checked the byte length against it.
fn le_chunks<const N: usize>(data: &[u8]) -> Vec<[u8; N]> {
    data.chunks_exact(N)
        .map(|chunk| {
            let mut bytes = [0u8; N];
            bytes.copy_from_slice(chunk);
            bytes
        })
        .collect()
}

/// A tensor's little-endian bytes, as safetensors serialises them: what
/// [`save_safetensors`] writes, and what a tool rewriting a weight file
/// holds between reading and writing it.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedTensor {
    pub dtype: Dtype,
    pub shape: Vec<usize>,
    pub bytes: Vec<u8>,
}

impl OwnedTensor {
    /// A copy of a tensor read from a safetensors file.
    pub fn from_view(view: &TensorView<'_>) -> Self {
        OwnedTensor {
            dtype: view.dtype(),
            shape: view.shape().to_vec(),
            bytes: view.data().to_vec(),
        }
    }

    pub fn from_ref(tensor: &TensorRef<'_>) -> Self {
        let (dtype, bytes) = match tensor.data {
            TensorData::F32(values) => (
                Dtype::F32,
                values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ),
            TensorData::I64(value) => (Dtype::I64, value.to_le_bytes().to_vec()),
        };
        OwnedTensor {
            dtype,
            shape: tensor.shape.to_vec(),
            bytes,
        }
    }
}

impl View for OwnedTensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), WeightError> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "weights".to_string());
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = std::fs::File::create(&temp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = result {
        // Best effort: the temporary file is garbage either way.
        let _ = std::fs::remove_file(&temp);
        return Err(io_error(path, &e));
    }
    Ok(())
}

fn io_error(path: &Path, e: &std::io::Error) -> WeightError {
    WeightError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}
