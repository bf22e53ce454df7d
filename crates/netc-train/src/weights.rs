//! safetensors weight files with PyTorch `state_dict` names, shapes and
//! dtypes, so `torch.nn.Module.load_state_dict` reads what netc writes and
//! the other way round.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors, TensorView, View};

use netc_runtime::{Network, TensorData, TensorRef, WeightError};

/// Writes every `state_dict` tensor of `net`: F32 tensors, and
/// `num_batches_tracked` as a 0-d I64. Atomic: the bytes go to a temporary
/// file beside `path`, which is then renamed over it, so a crash never
/// leaves a half-written weight file. The same state and metadata give
/// the same bytes: the metadata is written in key order.
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
    let format_error = |message: String| WeightError::Format {
        path: path.display().to_string(),
        message,
    };
    let bytes = safetensors::serialize(tensors, None).map_err(|e| format_error(e.to_string()))?;
    let bytes = with_metadata(bytes, metadata).map_err(format_error)?;
    write_atomically(path, &bytes)
}

/// `bytes` (a safetensors file without metadata) with `metadata` put in
/// front of the tensors' header entries, in key order. safetensors writes
/// its metadata from a `HashMap`, in an order that changes from one
/// process to the next (safetensors issue 584), so two identical runs of
/// `netc train` (or one on 1 thread and one on 4) saved files whose bytes
/// differed, their tensors the same.
fn with_metadata(bytes: Vec<u8>, metadata: &HashMap<String, String>) -> Result<Vec<u8>, String> {
    if metadata.is_empty() {
        return Ok(bytes);
    }
    let malformed = || "safetensors wrote a header netc cannot read".to_string();
    let (length, rest) = bytes.split_first_chunk::<8>().ok_or_else(malformed)?;
    let length = usize::try_from(u64::from_le_bytes(*length)).map_err(|_| malformed())?;
    let (header, data) = rest.split_at_checked(length).ok_or_else(malformed)?;
    // The header is a JSON object padded with spaces.
    let entries = std::str::from_utf8(header)
        .ok()
        .and_then(|h| h.trim_end_matches(' ').strip_prefix('{'))
        .ok_or_else(malformed)?;
    let sorted: BTreeMap<&String, &String> = metadata.iter().collect();
    let sorted = serde_json::to_string(&sorted).map_err(|e| e.to_string())?;
    let separator = if entries == "}" { "" } else { "," };
    let mut header = format!("{{\"__metadata__\":{sorted}{separator}{entries}");
    // Tensor data starts on a multiple of 8 bytes, as safetensors aligns it.
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = Vec::with_capacity(8 + header.len() + data.len());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tensors() -> Vec<(String, OwnedTensor)> {
        let tensor = |shape: Vec<usize>, values: &[f32]| OwnedTensor {
            dtype: Dtype::F32,
            shape,
            bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        };
        vec![
            (
                "fc.weight".to_string(),
                tensor(vec![2, 3], &[1., 2., 3., 4., 5., 6.]),
            ),
            ("fc.bias".to_string(), tensor(vec![2], &[-1., 0.5])),
        ]
    }

    fn metadata() -> HashMap<String, String> {
        (0..16)
            .map(|i| (format!("key {i}"), format!("\"value\" {i}")))
            .collect()
    }

    #[test]
    fn the_same_tensors_and_metadata_give_the_same_bytes() {
        let write = |tensors| {
            let bytes = safetensors::serialize(tensors, None).expect("serialise");
            with_metadata(bytes, &metadata()).expect("metadata")
        };
        let first = write(tensors());
        // Sixteen keys in fresh maps: safetensors' own order differed
        // between such maps.
        for _ in 0..8 {
            assert_eq!(write(tensors()), first);
        }
        let file = SafeTensors::deserialize(&first).expect("a valid file");
        assert_eq!(
            file.tensor("fc.bias").expect("bias").data(),
            &tensors()[1].1.bytes[..]
        );
        assert_eq!(file.tensor("fc.weight").expect("weight").shape(), [2, 3]);
        let (length, header) = SafeTensors::read_metadata(&first).expect("a header");
        assert_eq!(header.metadata().as_ref(), Some(&metadata()));
        assert_eq!(length % 8, 0);
    }

    #[test]
    fn metadata_goes_into_a_file_without_tensors() {
        let empty: Vec<(String, OwnedTensor)> = Vec::new();
        let bytes = safetensors::serialize(empty, None).expect("serialise");
        let bytes = with_metadata(bytes, &metadata()).expect("metadata");
        let (_, header) = SafeTensors::read_metadata(&bytes).expect("a header");
        assert_eq!(header.metadata().as_ref(), Some(&metadata()));
        assert!(SafeTensors::deserialize(&bytes)
            .expect("valid")
            .names()
            .is_empty());
    }
}
