//! Plan → Rust: the code `netc::model!` expands to.
//!
//! [`generate`] walks a [`Plan`] (the program the interpreter runs) and
//! emits one `pub struct` per model whose methods are the Plan's op lists
//! as straight-line kernel calls with every width a literal, over buffers
//! allocated once in `new`. Generated code names only `::netc` paths
//! (the facade crate re-exports the runtime and the ops vocabulary).

mod error;
mod layout;
mod network;
mod ops;
mod state;
mod values;

use netc_lang::ir::Model;
use netc_plan::Plan;
use proc_macro2::TokenStream;

pub use error::CodegenError;

/// The type and `Network` impl of one Plan.
pub fn generate(plan: &Plan) -> Result<TokenStream, CodegenError> {
    network::emit_network(plan)
}

/// [`generate`] for a checked model, plus `train_config()` returning its
/// train block (PyTorch's defaults without one).
pub fn generate_model(model: &Model) -> Result<TokenStream, CodegenError> {
    let config = model.train.clone().unwrap_or_default();
    let plan = netc_plan::build_plan(model, &config);
    let mut tokens = generate(&plan)?;
    let name = layout::type_ident(&plan.model)?;
    let config = values::train_config(&config);
    tokens.extend(quote::quote! {
        impl #name {
            /// The model's train block with every default filled in, as
            /// `netc train` reads it.
            pub fn train_config() -> ::netc::ops::TrainConfig {
                #config
            }
        }
    });
    Ok(tokens)
}

/// Generated tokens as formatted Rust source (`netc emit`).
pub fn format(tokens: &TokenStream) -> Result<String, CodegenError> {
    let file: syn::File =
        syn::parse2(tokens.clone()).map_err(|e| CodegenError::Unparsable(e.to_string()))?;
    Ok(prettyplease::unparse(&file))
}
