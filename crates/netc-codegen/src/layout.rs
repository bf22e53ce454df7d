//! Where each Plan buffer lives in the generated struct, and the Rust
//! expression that borrows it for one op.
//!
//! Every buffer is its own field, so one op can borrow its inputs shared
//! and its outputs exclusively at the same time (disjoint fields). f32
//! buffers are sized for the train block's batch and start on a cache
//! line, as the interpreter's: a heap buffer's 16-byte alignment splits
//! every 64-byte load in two (one row through wide's 2048×2048 layer took
//! 1.6× as long as in the interpreter). Counters are `i64` fields and
//! optimizer states `ParamState` fields. The Plan is validated before
//! any of this runs, so every operand has the storage its place needs.

use netc_plan::{BufferId, BufferKind, BufferLen, Plan};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::error::CodegenError;
use crate::values::usize_lit;

pub struct Layout<'p> {
    pub plan: &'p Plan,
}

impl<'p> Layout<'p> {
    pub fn new(plan: &'p Plan) -> Self {
        Layout { plan }
    }

    /// `b3_fc1_weight`: the id keeps names unique, the name keeps the
    /// expansion readable.
    pub fn field(&self, id: BufferId) -> Ident {
        let name: String = self
            .plan
            .buffer(id)
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        Ident::new(&format!("b{}_{}", id.0, name), Span::call_site())
    }

    /// The elements of `id` in use: `batch * width` (with the op's runtime
    /// `batch`) or a fixed length.
    fn len(&self, id: BufferId) -> TokenStream {
        match self.plan.buffer(id).len {
            BufferLen::PerSample(width) => {
                let width = usize_lit(width);
                quote!(batch * #width)
            }
            BufferLen::Fixed(len) => {
                let len = usize_lit(len);
                quote!(#len)
            }
        }
    }

    /// `&self.bN[..len]`.
    pub fn get(&self, id: BufferId) -> TokenStream {
        let (field, len) = (self.field(id), self.len(id));
        quote!(&self.#field[..#len])
    }

    /// `&mut self.bN[..len]`.
    pub fn get_mut(&self, id: BufferId) -> TokenStream {
        let (field, len) = (self.field(id), self.len(id));
        quote!(&mut self.#field[..#len])
    }

    /// `&self.bN[..]`: a whole state entry or gradient.
    pub fn whole(&self, id: BufferId) -> TokenStream {
        let field = self.field(id);
        quote!(&self.#field[..])
    }

    pub fn whole_mut(&self, id: BufferId) -> TokenStream {
        let field = self.field(id);
        quote!(&mut self.#field[..])
    }

    /// The struct's field declarations, one per buffer.
    pub fn fields(&self) -> TokenStream {
        let fields = (0..self.plan.buffers.len()).map(BufferId).map(|id| {
            let field = self.field(id);
            match self.plan.buffer(id).kind {
                BufferKind::Counter => quote!(#field: i64),
                BufferKind::OptimizerState => {
                    quote!(#field: ::netc::runtime::optim::ParamState)
                }
                _ => quote!(#field: ::netc::runtime::kernels::CacheAligned),
            }
        });
        quote!(#(#fields,)*)
    }

    /// The field initialisers of `new`: zeroed f32 buffers sized for the
    /// plan's batch, zero counters, fresh optimizer states (`optimizer`
    /// names a local holding the plan's optimizer).
    pub fn field_inits(&self) -> TokenStream {
        let batch = self.plan.batch.max(1);
        let inits = (0..self.plan.buffers.len()).map(BufferId).map(|id| {
            let field = self.field(id);
            let buffer = self.plan.buffer(id);
            let len = usize_lit(buffer.len.elements(batch));
            match buffer.kind {
                BufferKind::Counter => quote!(#field: 0),
                BufferKind::OptimizerState => {
                    quote!(#field: ::netc::runtime::optim::ParamState::new(#len, &optimizer))
                }
                _ => quote!(#field: ::netc::runtime::kernels::CacheAligned::zeroed(#len)),
            }
        });
        quote!(#(#inits,)*)
    }
}

/// `format_ident!` for a model name, refusing what Rust cannot spell.
pub fn type_ident(name: &str) -> Result<Ident, CodegenError> {
    syn::parse_str::<Ident>(name).map_err(|_| CodegenError::BadIdent(name.to_string()))?;
    Ok(format_ident!("{}", name))
}
