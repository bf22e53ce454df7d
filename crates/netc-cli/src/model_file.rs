//! Loading, checking and picking the model `train` and `predict` run:
//! check errors are printed as diagnostics and stop the command.

use std::path::{Path, PathBuf};

use netc_lang::ir::{LayerKind, Model, NodeKind};
use netc_lang::render::{self, FileDiagnostics};
use netc_lang::{Diagnostic, LintLevels, Severity, ValidModel};
use sha2::{Digest, Sha256};

use crate::failure::Failure;
use crate::source::read_model;
use crate::term;

/// A model file that checked without errors.
pub struct ModelFile {
    pub path: PathBuf,
    /// Every model of the file, in file order.
    pub models: Vec<ValidModel>,
    /// Hex SHA-256 of the file's bytes, recorded with checkpoints.
    pub sha256: String,
    /// Warnings not yet printed: [`select`](Self::select) prints those of
    /// the model it picks, so a command on one model does not list the
    /// others'.
    pub warnings: Vec<Diagnostic>,
    /// The file's text, for rendering `warnings`.
    pub source: String,
}

impl ModelFile {
    /// Reads and checks `path`. Errors (and the warnings beside them) are
    /// printed in rustc's style and stop the command; warnings alone wait
    /// for [`select`](Self::select).
    pub fn load(path: &Path) -> Result<ModelFile, Failure> {
        let bytes = read_model(path).map_err(Failure::usage)?;
        let checked = netc_lang::check_file(&bytes, &LintLevels::default());
        let shown: Vec<_> = checked
            .diagnostics
            .iter()
            .filter(|d| d.severity != Severity::Info)
            .cloned()
            .collect();
        let source = String::from_utf8_lossy(&bytes).into_owned();
        if shown.iter().any(|d| d.severity == Severity::Error) {
            print_diagnostics(path, &source, &shown);
            return Err(Failure::Reported);
        }
        Ok(ModelFile {
            path: path.to_path_buf(),
            models: checked.into_valid_models(),
            sha256: sha256_hex(&bytes),
            warnings: shown,
            source,
        })
    }

    /// `--model NAME`, else the first model with a train block, else the
    /// only model.
    /// Prints the warnings of the model it picks and of no model in
    /// particular.
    pub fn select(&self, name: Option<&str>) -> Result<&ValidModel, Failure> {
        let model = self.pick(name)?;
        let warnings: Vec<_> = self
            .warnings
            .iter()
            .filter(|d| {
                self.owner(d.span.start)
                    .is_none_or(|m| std::ptr::eq(m, model))
            })
            .cloned()
            .collect();
        print_diagnostics(&self.path, &self.source, &warnings);
        Ok(model)
    }

    /// The model whose text holds byte `offset`: models follow each other
    /// in the file, so each runs from its name to the next one's.
    fn owner(&self, offset: usize) -> Option<&ValidModel> {
        self.models
            .iter()
            .take_while(|m| m.name_span.start <= offset)
            .last()
    }

    fn pick(&self, name: Option<&str>) -> Result<&ValidModel, Failure> {
        let models = &self.models;
        let names = || {
            models
                .iter()
                .map(|m| format!("`{}`", m.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if models.is_empty() {
            return Err(Failure::input(format!(
                "{}: the file defines no model",
                self.path.display()
            )));
        }
        match name {
            Some(name) => models.iter().find(|m| m.name == name).ok_or_else(|| {
                Failure::usage(format!(
                    "{}: no model `{name}` (the file defines {})",
                    self.path.display(),
                    names()
                ))
            }),
            None => models
                .iter()
                .find(|m| m.train.is_some())
                .or(match models.as_slice() {
                    [only] => Some(only),
                    _ => None,
                })
                .ok_or_else(|| {
                    Failure::usage(format!(
                        "{}: no model has a train block; pick one with --model ({})",
                        self.path.display(),
                        names()
                    ))
                }),
        }
    }

    /// A path from the model file (the train block's `data`), resolved
    /// against the model file's folder.
    pub fn relative(&self, path: &str) -> PathBuf {
        self.path
            .parent()
            .map_or_else(|| PathBuf::from(path), |dir| dir.join(path))
    }
}

/// The linear layers' weight names in forward order (first call wins), as
/// the gradient health checks compare first with last.
pub fn linear_weights_in_forward_order(model: &Model) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (_, node) in model.nodes.iter() {
        if let NodeKind::Call { layer, .. } = node.kind {
            let layer = &model.layers[layer];
            let name = format!("{}.weight", layer.name);
            if matches!(layer.kind, LayerKind::Linear(_)) && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Diagnostics in `netc check`'s text form on stderr.
fn print_diagnostics(path: &Path, source: &str, diagnostics: &[Diagnostic]) {
    if diagnostics.is_empty() {
        return;
    }
    let path_text = path.display().to_string();
    let file = FileDiagnostics {
        path: &path_text,
        source,
        diagnostics,
    };
    eprint!("{}", render::text::render(&[file], term::stderr_color()));
}
