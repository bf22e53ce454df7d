//! PyTorch export: per model a module (`<model>.py`, the `nn.Module`) and
//! a `torchrun` training script (`train_<model>.py`).

mod init;
mod layers;
mod module;
mod python;
mod script;

use netc_lang::ir::Model;

pub use python::module_name;
pub use script::ScriptContext;

use crate::ExportError;

/// A file to write into the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// A bare file name.
    pub name: String,
    pub contents: String,
}

/// The module and the training script of `model`.
pub fn export(model: &Model, ctx: &ScriptContext<'_>) -> Result<Vec<GeneratedFile>, ExportError> {
    let module = module_name(&model.name);
    Ok(vec![
        GeneratedFile {
            name: format!("{module}.py"),
            contents: module::module_source(model, ctx.model_file, ctx.netc_version)?,
        },
        GeneratedFile {
            name: format!("train_{module}.py"),
            contents: script::script_source(model, &module, ctx),
        },
    ])
}
