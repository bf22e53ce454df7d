//! The generated type: `pub struct <Model>` with its buffers, `new`,
//! `predict_one`, the four op lists as straight-line methods, and
//! `netc::Network`.

use netc_plan::{BufferKind, Initializer, Op, OpKind, Plan};
use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::error::CodegenError;
use crate::inference_cache::InferenceCache;
use crate::layout::{type_ident, Layout};
use crate::ops::emit_op;
use crate::values::{f32_lit, init, loss, optimizer, usize_lit};

type Emitted = Result<TokenStream, CodegenError>;

/// The dropout masks' stream, forked from the model seed: the
/// interpreter's constant, so that both draw the same masks.
const DROPOUT_STREAM: u64 = 1;

pub fn emit_network(plan: &Plan) -> Emitted {
    let name = type_ident(&plan.model)?;
    let layout = Layout::new(plan);
    let cache = InferenceCache::new(plan, &layout);
    let fields = layout.fields();
    let cache_fields = cache.fields();
    let inputs = usize_lit(plan.input_width);
    let outputs = usize_lit(plan.output_width);
    let targets = usize_lit(plan.target_width);
    let max_batch = usize_lit(plan.batch.max(1));
    let new = emit_new(plan, &layout, &cache)?;
    let forward = emit_phase(&plan.forward, &layout, Checks::Probe)?;
    let backward = emit_phase(&plan.backward, &layout, Checks::None)?;
    let update = emit_phase(&plan.update, &layout, Checks::None)?;
    let inference = emit_inference(&plan.inference, &layout, &cache)?;
    let refresh = cache.refresh()?;
    let origins = plan.forward.iter().map(|op| op.origin.as_str());
    let io = emit_io(plan, &layout)?;
    let trait_impl = crate::state::emit_network_impl(plan, &layout, &name)?;
    let doc = format!(
        "The `{}` model compiled by `netc::model!`: {} inputs, {} outputs, buffers for up to {} rows.",
        plan.model, plan.input_width, plan.output_width, plan.batch.max(1)
    );
    Ok(quote! {
        #[doc = #doc]
        #[derive(Clone)]
        pub struct #name {
            #fields
            #cache_fields
            optimizer: ::netc::ops::Optimizer,
            /// Optimizer steps taken so far.
            step: u64,
            dropout: ::netc::runtime::rng::Rng,
            /// The forward op that first wrote a non-finite value in the
            /// last step, found only when its loss was not finite.
            non_finite_at: ::core::option::Option<usize>,
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
            /// The layer each train-mode forward op comes from.
            const FORWARD_ORIGINS: &'static [&'static str] = &[#(#origins),*];

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
            /// `CHECKED` notes the first op that wrote a non-finite value
            /// (the probe after a non-finite loss); the step itself runs
            /// unchecked.
            #[allow(unused_variables)]
            fn forward<const CHECKED: bool>(&mut self, batch: usize) { #forward }

            #[allow(unused_variables)]
            fn backward(&mut self, batch: usize) { #backward }

            #[allow(unused_variables)]
            fn update(&mut self, batch: usize) { #update }

            /// Eval-mode forward (running statistics, no dropout).
            #[allow(unused_variables)]
            fn inference(&mut self, batch: usize) {
                if self.inference_cache_stale {
                    self.refresh_inference_cache();
                }
                #inference
            }

            #refresh
        }

        #trait_impl
    })
}

/// Whether an op list notes where non-finite values appear.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Checks {
    None,
    /// After each op, when the method's `CHECKED` parameter is true.
    Probe,
}

/// One op list as statements; the probed forward notes the first op that
/// wrote a non-finite value, as the interpreter's probe does.
fn emit_phase(ops: &[Op], layout: &Layout<'_>, checks: Checks) -> Emitted {
    let mut body = TokenStream::new();
    for (index, op) in ops.iter().enumerate() {
        let call = emit_op(&op.kind, layout)?;
        body.extend(quote!({ #call }));
        if checks == Checks::None {
            continue;
        }
        if let Some(finite) = probe_check(&op.kind, layout)? {
            let index = usize_lit(index);
            body.extend(quote! {
                if CHECKED && self.non_finite_at.is_none() && !(#finite) {
                    self.non_finite_at = ::core::option::Option::Some(#index);
                }
            });
        }
    }
    Ok(body)
}

/// Whether every value the probe scans after `op` is finite, or `None`
/// when it scans nothing there.
fn probe_check(op: &OpKind, layout: &Layout<'_>) -> Result<Option<TokenStream>, CodegenError> {
    let checked = layout.plan.checked_outputs(op);
    if checked.is_empty() {
        return Ok(None);
    }
    let slices = checked
        .into_iter()
        .map(|id| layout.get(id, op.name()))
        .collect::<Result<Vec<_>, CodegenError>>()?;
    Ok(Some(
        quote!(::netc::runtime::fixed::all_finite(&[#(#slices),*])),
    ))
}

/// The eval-mode forward: ops that read a cached value take it from the
/// cache.
fn emit_inference(ops: &[Op], layout: &Layout<'_>, cache: &InferenceCache<'_>) -> Emitted {
    let mut body = TokenStream::new();
    for op in ops {
        let call = match cache.emit_op(&op.kind)? {
            Some(call) => call,
            None => emit_op(&op.kind, layout)?,
        };
        body.extend(quote!({ #call }));
    }
    Ok(body)
}

/// `new(seed)`: buffers for the plan's batch, then every `state_dict`
/// entry initialised in order from one stream, as the interpreter does.
fn emit_new(plan: &Plan, layout: &Layout<'_>, cache: &InferenceCache<'_>) -> Emitted {
    let inits = layout.field_inits();
    let cache_inits = cache.field_inits();
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
                #cache_inits
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
    let (snapshot, probe_masks, masks_param, restore_masks) = if plan.forward_draws_masks() {
        (
            quote!(let masks = self.dropout.clone();),
            quote!(masks,),
            quote!(masks: ::netc::runtime::rng::Rng,),
            quote!(probe.dropout = masks;),
        )
    } else {
        Default::default()
    };
    Ok(quote! {
        /// Replays the step's forward on a copy with every op's output
        /// checked, after a non-finite loss: the step itself runs without
        /// checks, and the copy leaves its state (running statistics,
        /// parameters) as the step left it. Allocates, but only on this
        /// failure path.
        fn probe_non_finite(&self, #masks_param batch: usize) -> ::core::option::Option<usize> {
            let mut probe = self.clone();
            #restore_masks
            probe.non_finite_at = ::core::option::Option::None;
            probe.forward::<true>(batch);
            probe.non_finite_at
        }

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
            // The step changes parameters and running statistics.
            self.inference_cache_stale = true;
            #snapshot
            self.forward::<false>(batch);
            let loss = #loss_value;
            if !loss.is_finite() {
                self.non_finite_at = self.probe_non_finite(#probe_masks batch);
            }
            self.backward(batch);
            self.step += 1;
            self.update(batch);
            loss
        }

        /// The loss function of the train block.
        const LOSS: ::netc::ops::Loss = #loss_kind;
    })
}
