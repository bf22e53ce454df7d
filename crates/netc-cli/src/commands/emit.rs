//! `netc emit FILE [--model NAME]`: the Rust code `netc::model!` expands
//! to for one model, formatted, on stdout.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::failure::{finish, Failure};
use crate::model_file::ModelFile;
use crate::stdout;

#[derive(Args)]
pub struct EmitArgs {
    /// The model file.
    file: PathBuf,
    /// The model to emit (default: the first with a train block, or the
    /// only one).
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
}

pub fn run(args: EmitArgs) -> ExitCode {
    finish(emit(&args).map(|code| stdout::print(&code)))
}

fn emit(args: &EmitArgs) -> Result<String, Failure> {
    let file = ModelFile::load(&args.file)?;
    let model = file.select(args.model.as_deref())?;
    let tokens = netc_codegen::generate_model(model).map_err(Failure::input)?;
    netc_codegen::format(&tokens).map_err(Failure::input)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(name: &str, model: Option<&str>) -> Result<String, Failure> {
        let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name);
        emit(&EmitArgs {
            file,
            model: model.map(str::to_string),
        })
    }

    #[test]
    fn emits_the_generated_type_with_literal_widths() {
        let Ok(code) = example("water.nn", None) else {
            panic!("water.nn emits");
        };
        let compact: String = code.split_whitespace().collect();
        for expected in [
            "pubstructWaterNet{",
            "impl::netc::runtime::ExecutorforWaterNet{",
            "::netc::runtime::ops::Linear{",
            "in_f:::netc::runtime::Const::<9>,out_f:::netc::runtime::Const::<16>",
            "pubconstMAX_BATCH:usize=32;",
        ] {
            assert!(compact.contains(expected), "{expected} in {code}");
        }
    }

    #[test]
    fn an_unknown_model_is_refused() {
        assert!(example("water.nn", Some("NoSuchNet")).is_err());
    }
}
