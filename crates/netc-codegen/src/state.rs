//! The generated `netc::Network` impl: stepping and predicting through
//! the phase methods, and the `state_dict` view by PyTorch name.

use netc_plan::{BufferKind, Plan};
use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::error::CodegenError;
use crate::layout::Layout;
use crate::values::usize_lit;

type Emitted = Result<TokenStream, CodegenError>;

pub fn emit_network_impl(plan: &Plan, layout: &Layout<'_>, name: &Ident) -> Emitted {
    let state_dict = emit_state_dict(plan, layout)?;
    let load = emit_load(plan, layout)?;
    let lookups = emit_lookups(plan, layout)?;
    let (inputs, outputs, targets) = (
        usize_lit(plan.input_width),
        usize_lit(plan.output_width),
        usize_lit(plan.target_width),
    );
    Ok(quote! {
        impl ::netc::Network for #name {
            fn input_width(&self) -> usize { #inputs }
            fn output_width(&self) -> usize { #outputs }
            fn target_width(&self) -> usize { #targets }

            /// A batch that is not whole rows, whose targets do not match
            /// it, or that has more than `MAX_BATCH` rows is refused: the
            /// loss is NaN, nothing changes, and `first_non_finite` says
            /// why.
            fn train_step(&mut self, x: &[f32], y: &[f32]) -> f32 {
                let batch = x.len() / #inputs;
                let refusal = if x.len() != batch * #inputs {
                    ::core::option::Option::Some("input is not whole rows")
                } else if y.len() != batch * #targets {
                    ::core::option::Option::Some("targets do not match the input rows")
                } else if batch > Self::MAX_BATCH {
                    ::core::option::Option::Some("batch exceeds MAX_BATCH")
                } else {
                    ::core::option::Option::None
                };
                if refusal.is_some() {
                    self.refused = refusal;
                    self.non_finite_at = ::core::option::Option::None;
                    return f32::NAN;
                }
                self.train_rows(x, y, batch)
            }

            /// Rows are independent in eval mode, so any number of rows
            /// runs in chunks of `MAX_BATCH`.
            fn predict(&mut self, x: &[f32], out: &mut [f32]) {
                let rows = x.len() / #inputs;
                assert_eq!(x.len(), rows * #inputs, "input is not whole rows of {}", #inputs);
                assert_eq!(out.len(), rows * #outputs, "output must be {} values per row", #outputs);
                let chunks = x
                    .chunks(Self::MAX_BATCH * #inputs)
                    .zip(out.chunks_mut(Self::MAX_BATCH * #outputs));
                for (xs, outs) in chunks {
                    self.infer_chunk(xs);
                    outs.copy_from_slice(self.output_rows(xs.len() / #inputs));
                }
            }

            fn loss(&self, out: &[f32], y: &[f32]) -> f32 {
                let batch = out.len() / #outputs;
                ::netc::runtime::loss::loss_forward(&Self::LOSS, out, y, batch, #outputs)
            }

            fn learning_rate(&self) -> f64 {
                self.optimizer.lr()
            }

            fn set_learning_rate(&mut self, lr: f64) {
                self.optimizer = self.optimizer.with_lr(lr);
            }

            #state_dict
            #load
            #lookups

            fn first_non_finite(&self) -> ::core::option::Option<::netc::NonFinite> {
                if let ::core::option::Option::Some(reason) = self.refused {
                    return ::core::option::Option::Some(::netc::NonFinite {
                        location: ::std::format!("{reason} ({} rows at most)", Self::MAX_BATCH)
                    });
                }
                let index = self.non_finite_at?;
                ::core::option::Option::Some(::netc::NonFinite {
                    location: ::std::string::String::from(Self::FORWARD_ORIGINS[index])
                })
            }
        }
    })
}

fn is_counter(plan: &Plan, id: netc_plan::BufferId) -> bool {
    plan.buffer(id).kind == BufferKind::Counter
}

fn emit_state_dict(plan: &Plan, layout: &Layout<'_>) -> Emitted {
    let entries = plan
        .state
        .iter()
        .map(|entry| {
            let name = &entry.name;
            let shape = entry.shape.iter().map(|&d| usize_lit(d));
            let data = if is_counter(plan, entry.buffer) {
                let counter = layout.counter(entry.buffer, "state_dict")?;
                quote!(::netc::TensorData::I64(#counter))
            } else {
                let values = layout.whole(entry.buffer, "state_dict")?;
                quote!(::netc::TensorData::F32(#values))
            };
            Ok(quote!(::netc::TensorRef { name: #name, shape: &[#(#shape),*], data: #data }))
        })
        .collect::<Result<Vec<_>, CodegenError>>()?;
    Ok(quote! {
        fn state_dict(&self) -> ::std::vec::Vec<::netc::TensorRef<'_>> {
            ::std::vec![#(#entries),*]
        }
    })
}

/// Checks every tensor (in `state_dict` order, then extras) before
/// copying any, as the interpreter does.
fn emit_load(plan: &Plan, layout: &Layout<'_>) -> Emitted {
    let expected = plan.state.iter().map(|entry| {
        let name = &entry.name;
        let shape = entry.shape.iter().map(|&d| usize_lit(d));
        let counter = is_counter(plan, entry.buffer);
        quote! {
            ::netc::runtime::fixed::ExpectedTensor { name: #name, shape: &[#(#shape),*], counter: #counter }
        }
    });
    let count = usize_lit(plan.state.len());
    let copies = plan
        .state
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            let index = usize_lit(index);
            if is_counter(plan, entry.buffer) {
                let counter = layout.counter(entry.buffer, "load_state_dict")?;
                Ok(quote!(#counter = ::netc::runtime::fixed::i64_value(found[#index]);))
            } else {
                let values = layout.whole_mut(entry.buffer, "load_state_dict")?;
                Ok(quote! {
                    (#values).copy_from_slice(::netc::runtime::fixed::f32_values(found[#index]));
                })
            }
        })
        .collect::<Result<Vec<_>, CodegenError>>()?;
    Ok(quote! {
        fn load_state_dict(
            &mut self,
            tensors: &[::netc::TensorRef<'_>],
        ) -> ::core::result::Result<(), ::netc::WeightError> {
            const EXPECTED: [::netc::runtime::fixed::ExpectedTensor; #count] = [#(#expected),*];
            let mut found = [::netc::TensorData::I64(0); #count];
            for (slot, expected) in found.iter_mut().zip(&EXPECTED) {
                *slot = ::netc::runtime::fixed::find_tensor(tensors, expected)?;
            }
            ::netc::runtime::fixed::reject_unexpected(tensors, &EXPECTED)?;
            #(#copies)*
            self.inference_cache_stale = true;
            ::core::result::Result::Ok(())
        }
    })
}

/// `parameter`, `parameter_mut`, `gradient` and `parameter_names`.
fn emit_lookups(plan: &Plan, layout: &Layout<'_>) -> Emitted {
    let params: Vec<_> = plan.state.iter().filter(|e| e.is_parameter()).collect();
    let names: Vec<&str> = params.iter().map(|e| e.name.as_str()).collect();
    let values = params
        .iter()
        .map(|e| layout.whole(e.buffer, "parameter"))
        .collect::<Result<Vec<_>, _>>()?;
    let values_mut = params
        .iter()
        .map(|e| layout.whole_mut(e.buffer, "parameter_mut"))
        .collect::<Result<Vec<_>, _>>()?;
    let grads = params
        .iter()
        .filter_map(|e| e.grad.map(|g| (e.name.as_str(), g)))
        .map(|(name, g)| {
            let slice = layout.whole(g, "gradient")?;
            Ok(quote!(#name => ::core::option::Option::Some(#slice)))
        })
        .collect::<Result<Vec<_>, CodegenError>>()?;
    Ok(quote! {
        fn parameter(&self, name: &str) -> ::core::option::Option<&[f32]> {
            match name {
                #(#names => ::core::option::Option::Some(#values),)*
                _ => ::core::option::Option::None,
            }
        }

        fn parameter_mut(&mut self, name: &str) -> ::core::option::Option<&mut [f32]> {
            // The caller may change the weights through the borrow.
            self.inference_cache_stale = true;
            match name {
                #(#names => ::core::option::Option::Some(#values_mut),)*
                _ => ::core::option::Option::None,
            }
        }

        fn gradient(&self, name: &str) -> ::core::option::Option<&[f32]> {
            match name {
                #(#grads,)*
                _ => ::core::option::Option::None,
            }
        }

        fn parameter_names(&self) -> ::std::vec::Vec<&str> {
            ::std::vec![#(#names),*]
        }
    })
}
