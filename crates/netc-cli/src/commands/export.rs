//! `netc export FILE --to onnx|torch`: the model for other tools.
//!
//! - `--to onnx --weights W.safetensors [--out M.onnx]`: the inference graph
//!   with the trained weights (default output: `W.onnx`);
//!   `--with-preprocessing` prepends the sidecar's feature transform.
//! - `--to torch [--out DIR]`: per model a PyTorch module and a `torchrun`
//!   training script (default folder: `<file stem>_torch`).
//!
//! A model with errors exports nothing (exit 1); weights that do not fit
//! the model name the tensor and both shapes (exit 1); an output that
//! cannot be written is a usage error (exit 2). Every file is written
//! atomically, after everything to write is known.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use netc_export::onnx::OnnxOptions;
use netc_export::torch::{GeneratedFile, ScriptContext};
use netc_export::{FeatureTransform, Weights};
use netc_lang::ir::Model;
use netc_lang::ValidModel;

use crate::checkpoint::{self, Sidecar};
use crate::failure::{finish, require_file, Failure};
use crate::model_file::ModelFile;

const NETC_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Target {
    /// ONNX (IR 8, opset 17): the inference graph with trained weights.
    Onnx,
    /// A PyTorch module and a torchrun training script per model.
    Torch,
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// The model file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[arg(long, value_enum, value_name = "TARGET")]
    to: Target,
    /// onnx: the model file to write (default: the weights' path with
    /// `.onnx`); torch: the folder (default: `<FILE stem>_torch`).
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
    /// The model (onnx default: the one the weights' sidecar names, else
    /// the first with a train block; torch default: every model).
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    /// Trained weights (onnx): safetensors as `netc train --save` writes.
    #[arg(long, value_name = "W.safetensors")]
    weights: Option<PathBuf>,
    /// onnx: take raw CSV features, imputing and standardising them as
    /// the weights' sidecar records.
    #[arg(long)]
    with_preprocessing: bool,
}

pub fn run(args: ExportArgs) -> ExitCode {
    finish(match args.to {
        Target::Onnx => export_onnx(&args),
        Target::Torch => export_torch(&args),
    })
}

fn export_onnx(args: &ExportArgs) -> Result<(), Failure> {
    let Some(weights_path) = &args.weights else {
        return Err(Failure::usage(
            "--to onnx needs the trained weights: --weights W.safetensors",
        ));
    };
    require_file(weights_path, "weight file")?;
    let sidecar_path = checkpoint::sidecar_path(weights_path);
    let sidecar = if sidecar_path.is_file() {
        Some(Sidecar::read(&sidecar_path).map_err(Failure::input)?)
    } else {
        None
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| weights_path.with_extension("onnx"));
    checkpoint::check_writable(&out).map_err(Failure::usage)?;

    let file = ModelFile::load(&args.file)?;
    let name = args
        .model
        .as_deref()
        .or(sidecar.as_ref().map(|s| s.model.as_str()));
    let model = file.select(name)?;
    let bytes = std::fs::read(weights_path)
        .map_err(|e| Failure::input(format!("cannot read `{}`: {e}", weights_path.display())))?;
    let weights = Weights::from_safetensors(model, &bytes)
        .map_err(|e| Failure::input(format!("{}: {e}", weights_path.display())))?;
    let transform = if args.with_preprocessing {
        let sidecar = sidecar.as_ref().ok_or_else(|| {
            Failure::input(format!(
                "--with-preprocessing reads the sidecar `{}` that `netc train --save` writes beside the weights, and there is none",
                sidecar_path.display()
            ))
        })?;
        Some(feature_transform(sidecar, &sidecar_path)?)
    } else {
        None
    };
    let options = OnnxOptions {
        netc_version: NETC_VERSION,
        preprocessing: transform.as_ref(),
    };
    let proto = netc_export::onnx::export(model, &weights, &options).map_err(|e| {
        Failure::input(format!(
            "{}: model `{}`: {e}",
            args.file.display(),
            model.name
        ))
    })?;
    checkpoint::write_atomically(&out, &proto).map_err(Failure::usage)?;
    eprintln!("wrote {} (model `{}`)", out.display(), model.name);
    Ok(())
}

/// The sidecar's preprocessing in the exporter's terms: imputation only
/// when training imputed (`--missing mean`).
fn feature_transform(sidecar: &Sidecar, path: &Path) -> Result<FeatureTransform, Failure> {
    let p = &sidecar.preprocessing;
    let n = p.features.len();
    if [p.impute.len(), p.center.len(), p.scale.len()] != [n; 3] {
        return Err(Failure::input(format!(
            "{}: inconsistent preprocessing fields",
            path.display()
        )));
    }
    Ok(FeatureTransform {
        features: p.features.clone(),
        impute: (p.missing == "mean").then(|| p.impute.clone()),
        center: p.center.clone(),
        scale: p.scale.clone(),
    })
}

fn export_torch(args: &ExportArgs) -> Result<(), Failure> {
    if args.weights.is_some() || args.with_preprocessing {
        return Err(Failure::usage(
            "--weights and --with-preprocessing are for --to onnx; the torch training script takes --init-weights",
        ));
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_torch_dir(&args.file));
    let file = ModelFile::load(&args.file)?;
    let models: Vec<&Model> = match &args.model {
        Some(name) => vec![file.select(Some(name))?.model()],
        None => file.models.iter().map(ValidModel::model).collect(),
    };
    if models.is_empty() {
        return Err(Failure::input(format!(
            "{}: the file defines no model",
            args.file.display()
        )));
    }
    prepare_dir(&out)?;
    let model_file = args.file.display().to_string();
    let mut files: Vec<GeneratedFile> = Vec::new();
    for model in models {
        let data = model
            .train
            .as_ref()
            .and_then(|t| t.data.as_deref())
            .map(|d| relative_to(&out, &file.relative(d)));
        let ctx = ScriptContext {
            model_file: &model_file,
            model_sha256: &file.sha256,
            netc_version: NETC_VERSION,
            data,
        };
        let generated = netc_export::torch::export(model, &ctx).map_err(|e| {
            Failure::input(format!(
                "{}: model `{}`: {e}",
                args.file.display(),
                model.name
            ))
        })?;
        files.extend(generated);
    }
    for generated in &files {
        let path = out.join(&generated.name);
        checkpoint::write_atomically(&path, generated.contents.as_bytes())
            .map_err(Failure::usage)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn default_torch_dir(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned());
    PathBuf::from(format!("{stem}_torch"))
}

/// Creates the output folder (its parent must exist); a file in its place
/// or a folder that cannot be written is a usage error.
fn prepare_dir(dir: &Path) -> Result<(), Failure> {
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::usage(format!(
            "cannot write into `{}`: it is not a directory",
            dir.display()
        )));
    }
    if !dir.exists() {
        std::fs::create_dir(dir)
            .map_err(|e| Failure::usage(format!("cannot create `{}`: {e}", dir.display())))?;
    }
    checkpoint::check_writable(&dir.join("probe")).map_err(Failure::usage)
}

/// `target` as a path relative to the folder `from` (both made absolute),
/// so the script finds the data wherever the folder pair moves; the
/// absolute path when no relative one exists (another drive).
fn relative_to(from: &Path, target: &Path) -> String {
    let absolute = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            std::env::current_dir()
                .map(|cwd| cwd.join(p))
                .unwrap_or_else(|_| p.to_path_buf())
        })
    };
    let (from, target) = (absolute(from), absolute(target));
    let from_parts: Vec<Component> = from.components().collect();
    let target_parts: Vec<Component> = target.components().collect();
    let common = from_parts
        .iter()
        .zip(&target_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return target.display().to_string();
    }
    let mut relative = PathBuf::new();
    for _ in common..from_parts.len() {
        relative.push("..");
    }
    for part in &target_parts[common..] {
        relative.push(part);
    }
    relative.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_to_the_common_folder() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let out = dir.path().join("out");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&out).expect("out folder");
        std::fs::create_dir_all(&data).expect("data folder");
        std::fs::write(data.join("d.csv"), "a,b\n1,2\n").expect("data file");
        assert_eq!(relative_to(&out, &data.join("d.csv")), "../data/d.csv");
        assert_eq!(relative_to(&data, &data.join("d.csv")), "d.csv");
    }
}
