//! Plan → Rust: the code `netc::model!` expands to.
//!
//! [`generate`] walks a [`Plan`] (the program the interpreter runs) and
//! emits one `pub struct` per model whose methods are the Plan's op lists
//! as straight-line kernel calls with every width a literal, over buffers
//! allocated once in `new`. Generated code names only `::netc` paths
//! (the facade crate re-exports the runtime and the ops vocabulary).

mod error;
mod image_geometry;
mod layout;
mod network;
mod ops;
mod state;
mod values;

use netc_lang::ValidModel;
use netc_plan::ValidPlan;
use proc_macro2::TokenStream;

pub use error::CodegenError;

/// The type and `Network` impl of one validated Plan.
pub fn generate(plan: &ValidPlan) -> Result<TokenStream, CodegenError> {
    network::emit_network(plan)
}

/// [`generate`] for a checked model, plus `train_config()` returning its
/// train block (PyTorch's defaults without one).
pub fn generate_model(model: &ValidModel) -> Result<TokenStream, CodegenError> {
    let config = model.train.clone().unwrap_or_default();
    let plan = netc_plan::build_plan(model, &config).map_err(CodegenError::InvalidPlan)?;
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

#[cfg(test)]
mod tests {
    use netc_plan::{BufferKind, OpKind, Plan, PlanError};

    use super::*;

    const MODEL: &str = "model Tiny {\n input x: 3\n fc = linear(3, 2)\n forward { return fc(x) }\n train { loss = mse\n batch = 4 }\n}\n";

    fn valid_plan() -> ValidPlan {
        let checked = netc_lang::check_file(MODEL.as_bytes(), &Default::default());
        let model = &checked.valid_models()[0];
        let config = model.train.clone().unwrap_or_default();
        netc_plan::build_plan(model, &config).expect("a valid plan")
    }

    fn plan() -> Plan {
        valid_plan().into_plan()
    }

    #[test]
    fn a_plan_becomes_a_type_with_literal_widths() {
        let code = format(&generate(&valid_plan()).expect("generates")).expect("parses");
        let compact: String = code.split_whitespace().collect();
        assert!(compact.contains("pubstructTiny{"), "{code}");
        assert!(
            compact.contains("::netc::runtime::ops::Linear{") && compact.contains("Const::<3>"),
            "{code}"
        );
        assert!(compact.contains("pubconstMAX_BATCH:usize=4;"), "{code}");
    }

    #[test]
    fn an_op_reading_what_it_writes_is_an_error_not_a_panic() {
        let mut plan = plan();
        let op = plan
            .forward
            .iter_mut()
            .find(|op| matches!(op.kind, OpKind::Linear { .. }))
            .expect("a linear op");
        if let OpKind::Linear { x, y, .. } = &mut op.kind {
            *y = *x;
        }
        assert!(matches!(
            plan.validate(),
            Err(PlanError::Aliased { op: "linear", .. })
        ));
    }

    #[test]
    fn a_counter_where_values_belong_is_an_error_not_a_panic() {
        let mut plan = plan();
        plan.buffers[plan.input.0].kind = BufferKind::Counter;
        assert!(matches!(plan.validate(), Err(PlanError::WrongKind { .. })));
    }

    #[test]
    fn a_model_name_rust_cannot_spell_is_an_error() {
        let mut plan = plan();
        plan.model = "type".into();
        let plan = plan
            .validate()
            .expect("a name is not the validator's business");
        assert_eq!(
            generate(&plan).err(),
            Some(CodegenError::BadIdent("type".into()))
        );
    }
}
