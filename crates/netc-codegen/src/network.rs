//! The generated type: `pub struct <Model>` with its buffers and the
//! runtime's `StepState`, `new`, `predict_one`, the Plan's op lists as
//! straight-line methods, and `netc::runtime::Executor` (from which the
//! runtime's step driver gives it `netc::Network`).

use netc_plan::{Op, OpKind, Plan, ValidPlan};
use proc_macro2::TokenStream;
use quote::quote;

use crate::error::CodegenError;
use crate::layout::{type_ident, Layout};
use crate::ops::emit_op;
use crate::values::{optimizer, usize_lit};

pub fn emit_network(plan: &ValidPlan) -> Result<TokenStream, CodegenError> {
    let name = type_ident(&plan.model)?;
    let layout = Layout::new(plan);
    let fields = layout.fields();
    let inputs = usize_lit(plan.input_width);
    let outputs = usize_lit(plan.output_width);
    let targets = usize_lit(plan.target_width);
    let max_batch = usize_lit(plan.batch.max(1));
    let new = emit_new(plan, &layout);
    let forward = emit_forward(&plan.forward, &layout);
    let backward = emit_phase(&plan.backward, &layout);
    let update = emit_phase(&plan.update, &layout);
    let cache = emit_phase(&plan.cache, &layout);
    let inference = emit_phase(&plan.inference, &layout);
    let origins = plan.forward.iter().map(|op| op.origin.as_str());
    let executor = crate::state::emit_executor(plan, &layout, &name);
    let doc = format!(
        "The `{}` model compiled by `netc::model!`: {} inputs, {} outputs, buffers for up to {} rows.",
        plan.model, plan.input_width, plan.output_width, plan.batch.max(1)
    );
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone)]
        pub struct #name {
            #fields
            /// Optimizer, step count, dropout stream, non-finite report
            /// and cache staleness: what the runtime's step driver keeps.
            step: ::netc::runtime::StepState,
        }

        impl #name {
            /// Features per input sample.
            pub const INPUTS: usize = #inputs;
            /// Values per output sample.
            pub const OUTPUTS: usize = #outputs;
            /// Target values per sample `train_step` reads.
            pub const TARGETS: usize = #targets;
            /// The train block's batch: the most rows one `train_step`
            /// takes; `predict` takes any number of rows, in chunks of
            /// this size.
            pub const MAX_BATCH: usize = #max_batch;
            /// The layer each train-mode forward op comes from.
            const FORWARD_ORIGINS: &'static [&'static str] = &[#(#origins),*];

            #new

            /// Eval-mode forward of one sample.
            pub fn predict_one(&mut self, x: &[f32; #inputs]) -> [f32; #outputs] {
                let mut out = [0.0f32; #outputs];
                ::netc::Network::predict(self, x, &mut out);
                out
            }

            /// Train-mode forward; the loss lands in its scalar.
            /// `CHECKED` notes the first op that wrote a non-finite value
            /// (the probe after a non-finite loss); the step itself runs
            /// unchecked.
            #[allow(unused_variables)]
            fn forward<const CHECKED: bool>(&mut self, batch: usize) { #forward }

            #[allow(unused_variables)]
            fn backward(&mut self, batch: usize) { #backward }

            #[allow(unused_variables)]
            fn update(&mut self, batch: usize) { #update }

            /// Rebuilds the inference cache from the weights and
            /// statistics.
            #[allow(unused_variables)]
            fn cache(&mut self, batch: usize) { #cache }

            /// Eval-mode forward (running statistics, no dropout).
            #[allow(unused_variables)]
            fn inference(&mut self, batch: usize) { #inference }
        }

        #executor
    })
}

/// One op list as statements.
fn emit_phase(ops: &[Op], layout: &Layout<'_>) -> TokenStream {
    let calls = ops.iter().map(|op| emit_op(&op.kind, layout));
    quote!(#({ #calls })*)
}

/// The train-mode forward; with `CHECKED`, each op's outputs are scanned
/// and the first op that wrote a non-finite value is noted, as the
/// interpreter's probe does.
fn emit_forward(ops: &[Op], layout: &Layout<'_>) -> TokenStream {
    let mut body = TokenStream::new();
    for (index, op) in ops.iter().enumerate() {
        let call = emit_op(&op.kind, layout);
        body.extend(quote!({ #call }));
        if let Some(finite) = probe_check(&op.kind, layout) {
            let index = usize_lit(index);
            body.extend(quote! {
                if CHECKED && self.step.non_finite_at.is_none() && !(#finite) {
                    self.step.non_finite_at = ::core::option::Option::Some(#index);
                }
            });
        }
    }
    body
}

/// Whether every value the probe scans after `op` is finite, or `None`
/// when it scans nothing there.
fn probe_check(op: &OpKind, layout: &Layout<'_>) -> Option<TokenStream> {
    let checked = layout.plan.checked_outputs(op);
    if checked.is_empty() {
        return None;
    }
    let slices = checked.into_iter().map(|id| layout.get(id));
    Some(quote!(::netc::runtime::kernels::all_finite(&[#(#slices),*])))
}

/// `new(seed)`: buffers for the plan's batch, then every `state_dict`
/// entry initialised by the runtime's driver, as the interpreter does.
fn emit_new(plan: &Plan, layout: &Layout<'_>) -> TokenStream {
    let inits = layout.field_inits();
    let opt = optimizer(&plan.optimizer);
    quote! {
        /// Buffers sized for [`Self::MAX_BATCH`] rows and parameters
        /// initialised from `seed` exactly as the interpreter initialises
        /// them. The only allocations the network ever makes.
        pub fn new(seed: u64) -> Self {
            // Resolve the kernels' ISA now: detection reads the
            // environment, which allocates.
            let _ = ::netc::runtime::simd::Isa::detect();
            let optimizer = #opt;
            let mut net = Self {
                #inits
                step: ::netc::runtime::StepState::new(optimizer, seed),
            };
            ::netc::runtime::step::initialise(&mut net, seed);
            net
        }
    }
}
