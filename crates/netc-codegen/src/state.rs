//! The generated `netc::runtime::Executor` impl: widths, the `state_dict`
//! table and its entries by index, rows in and out, and the phases.

use netc_plan::{BufferKind, Initializer, Plan};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::layout::Layout;
use crate::values::{f32_lit, init, loss, usize_lit};

pub fn emit_executor(plan: &Plan, layout: &Layout<'_>, name: &Ident) -> TokenStream {
    let (inputs, outputs, targets) = (
        usize_lit(plan.input_width),
        usize_lit(plan.output_width),
        usize_lit(plan.target_width),
    );
    let loss_kind = loss(&plan.loss);
    let table = state_table(plan);
    let count = usize_lit(plan.state.len());
    let (tensor, tensor_mut, gradient) = state_arms(plan, layout);
    let input = layout.field(plan.input);
    let target = layout.field(plan.target);
    let output = layout.field(plan.output);
    let loss_value = layout.field(plan.loss_value);
    let draws_masks = plan.forward_draws_masks();
    quote! {
        impl #name {
            /// The `state_dict` in PyTorch's order.
            const STATE: [::netc::runtime::step::StateEntry<'static>; #count] = [#(#table),*];
        }

        impl ::netc::runtime::Executor for #name {
            fn widths(&self) -> ::netc::runtime::step::Widths {
                ::netc::runtime::step::Widths { input: #inputs, output: #outputs, target: #targets }
            }

            fn max_batch(&self) -> usize {
                Self::MAX_BATCH
            }

            fn loss_kind(&self) -> ::netc::ops::Loss {
                #loss_kind
            }

            fn step_state(&self) -> &::netc::runtime::StepState {
                &self.step
            }

            fn step_state_mut(&mut self) -> &mut ::netc::runtime::StepState {
                &mut self.step
            }

            fn state_len(&self) -> usize {
                #count
            }

            fn state_entry(&self, index: usize) -> ::netc::runtime::step::StateEntry<'_> {
                Self::STATE[index]
            }

            fn tensor(&self, index: usize) -> ::netc::TensorData<'_> {
                match index {
                    #(#tensor,)*
                    _ => ::netc::TensorData::F32(&[]),
                }
            }

            fn tensor_mut(&mut self, index: usize) -> ::netc::runtime::step::TensorMut<'_> {
                match index {
                    #(#tensor_mut,)*
                    _ => ::netc::runtime::step::TensorMut::F32(&mut []),
                }
            }

            fn gradient(&self, index: usize) -> ::core::option::Option<&[f32]> {
                match index {
                    #(#gradient,)*
                    _ => ::core::option::Option::None,
                }
            }

            fn load_rows(&mut self, x: &[f32], y: ::core::option::Option<&[f32]>, rows: usize) {
                ::netc::runtime::parallel::copy(&mut self.#input[..rows * #inputs], x);
                if let ::core::option::Option::Some(y) = y {
                    ::netc::runtime::parallel::copy(&mut self.#target[..rows * #targets], y);
                }
            }

            fn forward(&mut self, rows: usize) {
                self.forward::<false>(rows);
            }

            fn backward(&mut self, rows: usize) {
                #name::backward(self, rows);
            }

            fn update(&mut self, rows: usize) {
                #name::update(self, rows);
            }

            fn loss_value(&self) -> f32 {
                self.#loss_value[0]
            }

            fn probe_forward(
                &self,
                masks: ::netc::runtime::rng::Rng,
                rows: usize,
            ) -> ::core::option::Option<usize> {
                let mut probe = self.clone();
                probe.step.dropout = masks;
                probe.step.non_finite_at = ::core::option::Option::None;
                probe.forward::<true>(rows);
                probe.step.non_finite_at
            }

            fn forward_origin(&self, op: usize) -> &str {
                Self::FORWARD_ORIGINS.get(op).copied().unwrap_or("forward")
            }

            fn draws_masks(&self) -> bool {
                #draws_masks
            }

            fn refresh_cache(&mut self) {
                self.cache(Self::MAX_BATCH);
            }

            fn inference(&mut self, rows: usize) {
                #name::inference(self, rows);
            }

            fn output(&self, rows: usize) -> &[f32] {
                &self.#output[..rows * #outputs]
            }
        }
    }
}

/// One `StateEntry` literal per `state_dict` entry.
fn state_table(plan: &Plan) -> Vec<TokenStream> {
    plan.state
        .iter()
        .map(|entry| {
            let name = &entry.name;
            let shape = entry.shape.iter().map(|&d| usize_lit(d));
            let role = if plan.buffer(entry.buffer).kind == BufferKind::Counter {
                quote!(Counter)
            } else if entry.is_parameter() {
                quote!(Parameter)
            } else {
                quote!(Buffer)
            };
            let initializer = match entry.init {
                Initializer::Random {
                    init: i,
                    fan_in,
                    fan_out,
                } => {
                    let i = init(&i);
                    let (fan_in, fan_out) = (usize_lit(fan_in), usize_lit(fan_out));
                    quote!(Random { init: #i, fan_in: #fan_in, fan_out: #fan_out })
                }
                Initializer::Fill(value) => {
                    let value = f32_lit(value);
                    quote!(Fill(#value))
                }
            };
            quote! {
                ::netc::runtime::step::StateEntry {
                    name: #name,
                    shape: &[#(#shape),*],
                    role: ::netc::runtime::step::Role::#role,
                    init: ::netc::runtime::step::Initializer::#initializer,
                }
            }
        })
        .collect()
}

/// The match arms of `tensor`, `tensor_mut` and `gradient`.
fn state_arms(
    plan: &Plan,
    layout: &Layout<'_>,
) -> (Vec<TokenStream>, Vec<TokenStream>, Vec<TokenStream>) {
    let (mut tensor, mut tensor_mut, mut gradient) = (Vec::new(), Vec::new(), Vec::new());
    for (index, entry) in plan.state.iter().enumerate() {
        let index = usize_lit(index);
        if plan.buffer(entry.buffer).kind == BufferKind::Counter {
            let field = layout.field(entry.buffer);
            tensor.push(quote!(#index => ::netc::TensorData::I64(self.#field)));
            tensor_mut
                .push(quote!(#index => ::netc::runtime::step::TensorMut::I64(&mut self.#field)));
        } else {
            let values = layout.whole(entry.buffer);
            let values_mut = layout.whole_mut(entry.buffer);
            tensor.push(quote!(#index => ::netc::TensorData::F32(#values)));
            tensor_mut.push(quote!(#index => ::netc::runtime::step::TensorMut::F32(#values_mut)));
        }
        if let Some(grad) = entry.grad {
            let values = layout.whole(grad);
            gradient.push(quote!(#index => ::core::option::Option::Some(#values)));
        }
    }
    (tensor, tensor_mut, gradient)
}
