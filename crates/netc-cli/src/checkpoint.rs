//! The JSON sidecar written beside a weight file (`out.safetensors` →
//! `out.json`): which model the weights belong to and how to preprocess
//! new data for them, so `netc predict` reproduces training's inputs.

use std::io::Write;
use std::path::{Path, PathBuf};

use netc_train::data::{MissingPolicy, Preprocessing};
use serde::{Deserialize, Serialize};

/// Bumped when the sidecar's meaning changes.
pub const FORMAT: &str = "netc-checkpoint-1";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sidecar {
    pub format: String,
    pub model: String,
    /// The model file as the user named it, for messages.
    pub model_file: String,
    pub model_sha256: String,
    /// The loss's name: decides how outputs read (probability, logit,
    /// logits, value).
    pub loss: String,
    /// Output classes for classifiers (2 for a binary output), else null.
    pub classes: Option<usize>,
    pub preprocessing: SidecarPreprocessing,
    /// The final epoch's metrics as `netc train --format json` prints them.
    pub metrics: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SidecarPreprocessing {
    pub features: Vec<String>,
    pub target: String,
    pub missing: String,
    pub impute: Vec<f64>,
    pub center: Vec<f64>,
    pub scale: Vec<f64>,
}

impl SidecarPreprocessing {
    pub fn from_runtime(p: &Preprocessing) -> Self {
        SidecarPreprocessing {
            features: p.features.clone(),
            target: p.target.clone(),
            missing: p.missing.name().to_string(),
            impute: p.impute.clone(),
            center: p.center.clone(),
            scale: p.scale.clone(),
        }
    }

    /// Back to the runtime's form; `None` when the fields disagree (a
    /// hand-edited or truncated sidecar).
    pub fn to_runtime(&self) -> Option<Preprocessing> {
        let n = self.features.len();
        if [self.impute.len(), self.center.len(), self.scale.len()] != [n; 3] {
            return None;
        }
        Some(Preprocessing {
            features: self.features.clone(),
            target: self.target.clone(),
            missing: MissingPolicy::from_name(&self.missing)?,
            impute: self.impute.clone(),
            center: self.center.clone(),
            scale: self.scale.clone(),
        })
    }
}

/// `weights.safetensors` → `weights.json`.
pub fn sidecar_path(weights: &Path) -> PathBuf {
    weights.with_extension("json")
}

impl Sidecar {
    pub fn read(path: &Path) -> Result<Sidecar, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let sidecar: Sidecar = serde_json::from_str(&text)
            .map_err(|e| format!("{}: not a netc checkpoint sidecar: {e}", path.display()))?;
        if sidecar.format != FORMAT {
            return Err(format!(
                "{}: sidecar format `{}`, this netc reads `{FORMAT}`",
                path.display(),
                sidecar.format
            ));
        }
        Ok(sidecar)
    }

    pub fn write(&self, path: &Path) -> Result<(), String> {
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| format!("cannot encode the sidecar: {e}"))?;
        text.push('\n');
        write_atomically(path, text.as_bytes())
    }
}

/// Writes through a temporary file in the same folder renamed over
/// `path`, so a reader never sees half a file and a failure leaves the old
/// one in place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    check_writable(path)?;
    let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    let mut file = tempfile::NamedTempFile::new_in(parent_dir(path)).map_err(fail)?;
    file.write_all(bytes).map_err(fail)?;
    file.as_file().sync_all().map_err(fail)?;
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// Fails early when `path` cannot be written (its folder is missing, is
/// not a folder or refuses a new file), so a long run does not end
/// unable to save. Writes nothing at `path` itself.
pub fn check_writable(path: &Path) -> Result<(), String> {
    let fail = |why: String| format!("cannot write `{}`: {why}", path.display());
    if path.is_dir() {
        return Err(fail("it is a directory".into()));
    }
    let dir = parent_dir(path);
    if !dir.is_dir() {
        return Err(fail(format!(
            "`{}` is not an existing directory",
            dir.display()
        )));
    }
    // The temporary file's own path in the error would only confuse.
    tempfile::NamedTempFile::new_in(dir)
        .map(drop)
        .map_err(|e| fail(e.kind().to_string()))
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}
