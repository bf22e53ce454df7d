//! The generated type: `pub struct <Model>` with its buffers, `new`,
//! `predict_one`, the four op lists as straight-line methods, and
//! `netc::Network`.

use netc_plan::{BufferKind, Initializer, Op, OpKind, Plan};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::error::CodegenError;
use crate::layout::{type_ident, Layout};
use crate::ops::{checked_outputs, emit_op};
use crate::values::{f32_lit, init, loss, optimizer, usize_lit};

type Emitted = Result<TokenStream, CodegenError>;

/// The dropout masks' stream, forked from the model seed: the
/// interpreter's constant, so that both draw the same masks.
const DROPOUT_STREAM: u64 = 1;

/// The phases of a train step, numbered as `first_non_finite` stores them.
const PHASE_NAMES: [&str; 3] = ["forward", "backward", "update"];

pub fn emit_network(plan: &Plan) -> Emitted {
    let name = type_ident(&plan.model)?;
    let layout = Layout::new(plan);
    let fields = layout.fields();
    let inputs = usize_lit(plan.input_width);
    let outputs = usize_lit(plan.output_width);
    let targets = usize_lit(plan.target_width);
    let max_batch = usize_lit(plan.batch.max(1));
    let new = emit_new(plan, &layout)?;
    let forward = emit_phase(&plan.forward, &layout, Some(0))?;
    let backward = emit_phase(&plan.backward, &layout, Some(1))?;
    let update = emit_phase(&plan.update, &layout, Some(2))?;
    let inference = emit_phase(&plan.inference, &layout, None)?;
    let origins = [&plan.forward, &plan.backward, &plan.update].map(|ops| {
        let names = ops.iter().map(|op| op.origin.as_str());
        quote!(&[#(#names),*])
    });
    let phase_names = PHASE_NAMES;
    let io = emit_io(plan, &layout)?;
    let trait_impl = crate::state::emit_network_impl(plan, &layout, &name)?;
    let doc = format!(
        "The `{}` model compiled by `netc::model!`: {} inputs, {} outputs, buffers for up to {} rows.",
        plan.model, plan.input_width, plan.output_width, plan.batch.max(1)
    );
    Ok(quote! {
        #[doc = #doc]
        pub struct #name {
            #fields
            optimizer: ::netc::ops::Optimizer,
            /// Optimizer steps taken so far.
            step: u64,
            dropout: ::netc::runtime::rng::Rng,
            /// (phase, op index) of the first op of the last step that
            /// wrote a non-finite value.
            non_finite_at: ::core::option::Option<(usize, usize)>,
            /// Why the last `train_step` did not run, if it refused.
            refused: ::core::option::Option<&'static str>,
        }

        impl #name {
            /// Features per input sample.
            pub const INPUTS: usize = #inputs;
            /// Values per output sample.
            pub const OUTPUTS: usize = #outputs;
            /// Target values per sample `train_step` reads.
            pub const TARGETS: usize = #targets;
            /// The train block's batch: the most rows one `train_step`
            /// takes (a larger batch returns a NaN loss and names the
            /// reason in `first_non_finite`); `predict` takes any number
            /// of rows, in chunks of this size.
            pub const MAX_BATCH: usize = #max_batch;
            const ORIGINS: [&'static [&'static str]; 3] = [#(#origins),*];
            const PHASES: [&'static str; 3] = [#(#phase_names),*];

            #new

            /// Eval-mode forward of one sample.
            pub fn predict_one(&mut self, x: &[f32; #inputs]) -> [f32; #outputs] {
                self.infer_chunk(x);
                let mut out = [0.0f32; #outputs];
                out.copy_from_slice(self.output_rows(1));
                out
            }

            #io

            /// Train-mode forward; the loss lands in its scalar.
            #[allow(unused_variables)]
            fn forward(&mut self, batch: usize) { #forward }

            #[allow(unused_variables)]
            fn backward(&mut self, batch: usize) { #backward }

            #[allow(unused_variables)]
            fn update(&mut self, batch: usize) { #update }

            /// Eval-mode forward (running statistics, no dropout).
            #[allow(unused_variables)]
            fn inference(&mut self, batch: usize) { #inference }
        }

        #trait_impl
    })
}

/// One op list as statements; train phases note the first op that wrote
/// a non-finite value, as the interpreter does.
fn emit_phase(ops: &[Op], layout: &Layout<'_>, phase: Option<usize>) -> Emitted {
    let mut body = TokenStream::new();
    for (index, op) in ops.iter().enumerate() {
        let call = emit_op(&op.kind, layout)?;
        body.extend(quote!({ #call }));
        // A zeroed buffer is finite by construction: the interpreter's
        // check can never fire there, so skipping it changes nothing.
        let checked = !matches!(op.kind, OpKind::Zero { .. });
        if let (Some(phase), true) = (phase, checked) {
            let finite = checked_outputs(&op.kind, layout)?;
            let (phase, index) = (usize_lit(phase), usize_lit(index));
            body.extend(quote! {
                if self.non_finite_at.is_none() && !(#finite) {
                    self.non_finite_at = ::core::option::Option::Some((#phase, #index));
                }
            });
        }
    }
    Ok(body)
}

/// `new(seed)`: buffers for the plan's batch, then every `state_dict`
/// entry initialised in order from one stream, as the interpreter does.
fn emit_new(plan: &Plan, layout: &Layout<'_>) -> Emitted {
    let inits = layout.field_inits();
    let opt = optimizer(&plan.optimizer);
    let stream = Literal::u64_suffixed(DROPOUT_STREAM);
    let mut fills = TokenStream::new();
    for entry in &plan.state {
        let id = entry.buffer;
        if plan.buffer(id).kind == BufferKind::Counter {
            let counter = layout.counter(id, "init")?;
            let value = match entry.init {
                Initializer::Fill(value) => value as i64,
                _ => 0,
            };
            let value = Literal::i64_suffixed(value);
            fills.extend(quote!(#counter = #value;));
            continue;
        }
        let values = layout.whole_mut(id, "init")?;
        fills.extend(match entry.init {
            Initializer::Random {
                init: i,
                fan_in,
                fan_out,
            } => {
                let i = init(&i);
                let (fan_in, fan_out) = (usize_lit(fan_in), usize_lit(fan_out));
                quote!(::netc::runtime::init::init_weight(&#i, #values, #fan_in, #fan_out, &mut rng);)
            }
            Initializer::LinearDefaultBias { fan_in } => {
                let fan_in = usize_lit(fan_in);
                quote!(::netc::runtime::init::init_linear_default_bias(#values, #fan_in, &mut rng);)
            }
            Initializer::Fill(value) => {
                let value = f32_lit(value);
                quote!((#values).fill(#value);)
            }
        });
    }
    Ok(quote! {
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
                optimizer,
                step: 0,
                dropout: ::netc::runtime::rng::Rng::seed_from_u64(seed).fork(#stream),
                non_finite_at: ::core::option::Option::None,
                refused: ::core::option::Option::None,
            };
            net.initialise(seed);
            net
        }

        /// Every `state_dict` entry in order from one stream seeded by
        /// `seed`.
        fn initialise(&mut self, seed: u64) {
            let mut rng = ::netc::runtime::rng::Rng::seed_from_u64(seed);
            #fills
        }
    })
}

/// Copying rows in and out of the input, target and output buffers.
fn emit_io(plan: &Plan, layout: &Layout<'_>) -> Emitted {
    let input = layout.field(plan.input);
    let target = layout.field(plan.target);
    let output = layout.field(plan.output);
    let loss_value = layout.scalar(plan.loss_value, "loss")?;
    let (inputs, outputs, targets) = (
        usize_lit(plan.input_width),
        usize_lit(plan.output_width),
        usize_lit(plan.target_width),
    );
    let loss_kind = loss(&plan.loss);
    Ok(quote! {
        /// The forward output of the last `batch` rows run.
        fn output_rows(&self, batch: usize) -> &[f32] {
            &self.#output[..batch * #outputs]
        }

        /// Eval-mode forward of at most `MAX_BATCH` whole rows.
        fn infer_chunk(&mut self, x: &[f32]) {
            let batch = x.len() / #inputs;
            self.#input[..batch * #inputs].copy_from_slice(x);
            self.inference(batch);
        }

        /// One step on at most `MAX_BATCH` rows.
        fn train_rows(&mut self, x: &[f32], y: &[f32], batch: usize) -> f32 {
            self.#input[..batch * #inputs].copy_from_slice(x);
            self.#target[..batch * #targets].copy_from_slice(y);
            self.non_finite_at = ::core::option::Option::None;
            self.refused = ::core::option::Option::None;
            self.forward(batch);
            let loss = #loss_value;
            self.backward(batch);
            self.step += 1;
            self.update(batch);
            loss
        }

        /// The loss function of the train block.
        const LOSS: ::netc::ops::Loss = #loss_kind;
    })
}
