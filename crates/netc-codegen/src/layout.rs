//! Where each Plan buffer lives in the generated struct, and the Rust
//! expression that borrows it for one op.
//!
//! Every buffer is its own field, so one op can borrow its inputs shared
//! and its outputs exclusively at the same time (disjoint fields). f32
//! buffers are boxed slices sized for the train block's batch; counters
//! are `i64` fields and optimizer states `ParamState` fields.

use netc_plan::{BufferId, BufferKind, BufferLen, Plan};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::error::CodegenError;
use crate::values::usize_lit;

pub struct Layout<'p> {
    pub plan: &'p Plan,
}

/// How a buffer is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    F32,
    Counter,
    OptimizerState,
}

pub fn storage(kind: BufferKind) -> Storage {
    match kind {
        BufferKind::Counter => Storage::Counter,
        BufferKind::OptimizerState => Storage::OptimizerState,
        _ => Storage::F32,
    }
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
    pub fn len(&self, id: BufferId) -> TokenStream {
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

    fn expect(&self, id: BufferId, op: &'static str, want: Storage) -> Result<(), CodegenError> {
        let kind = self.plan.buffer(id).kind;
        if storage(kind) == want {
            return Ok(());
        }
        let expected = match want {
            Storage::F32 => "f32",
            Storage::Counter => BufferKind::Counter.name(),
            Storage::OptimizerState => BufferKind::OptimizerState.name(),
        };
        Err(CodegenError::WrongKind {
            op,
            buffer: self.plan.buffer(id).name.clone(),
            expected,
            found: kind.name(),
        })
    }

    /// `&self.bN[..len]`.
    pub fn get(&self, id: BufferId, op: &'static str) -> Result<TokenStream, CodegenError> {
        self.expect(id, op, Storage::F32)?;
        let (field, len) = (self.field(id), self.len(id));
        Ok(quote!(&self.#field[..#len]))
    }

    /// `&self.bN[..len]` for a given `len`.
    pub fn prefix(
        &self,
        id: BufferId,
        len: usize,
        op: &'static str,
    ) -> Result<TokenStream, CodegenError> {
        self.expect(id, op, Storage::F32)?;
        let (field, len) = (self.field(id), usize_lit(len));
        Ok(quote!(&self.#field[..#len]))
    }

    /// `&mut self.bN[..len]`.
    pub fn get_mut(&self, id: BufferId, op: &'static str) -> Result<TokenStream, CodegenError> {
        self.expect(id, op, Storage::F32)?;
        let (field, len) = (self.field(id), self.len(id));
        Ok(quote!(&mut self.#field[..#len]))
    }

    /// [`Self::get`] of an optional buffer, as an `Option` expression.
    pub fn get_opt(
        &self,
        id: Option<BufferId>,
        op: &'static str,
    ) -> Result<TokenStream, CodegenError> {
        option(id, |id| self.get(id, op))
    }

    /// [`Self::get_mut`] of an optional buffer, as an `Option` expression.
    pub fn get_mut_opt(
        &self,
        id: Option<BufferId>,
        op: &'static str,
    ) -> Result<TokenStream, CodegenError> {
        option(id, |id| self.get_mut(id, op))
    }

    /// [`Self::whole`] of an optional buffer, as an `Option` expression.
    pub fn whole_opt(
        &self,
        id: Option<BufferId>,
        op: &'static str,
    ) -> Result<TokenStream, CodegenError> {
        option(id, |id| self.whole(id, op))
    }

    /// `self.bN[0]`, a scalar's value as a place.
    pub fn scalar(&self, id: BufferId, op: &'static str) -> Result<TokenStream, CodegenError> {
        self.expect(id, op, Storage::F32)?;
        let field = self.field(id);
        Ok(quote!(self.#field[0]))
    }

    /// `self.bN`, a counter as a place.
    pub fn counter(&self, id: BufferId, op: &'static str) -> Result<TokenStream, CodegenError> {
        self.expect(id, op, Storage::Counter)?;
        let field = self.field(id);
        Ok(quote!(self.#field))
    }

    /// `&mut self.bN`, an optimizer state.
    pub fn state(&self, id: BufferId, op: &'static str) -> Result<TokenStream, CodegenError> {
        self.expect(id, op, Storage::OptimizerState)?;
        let field = self.field(id);
        Ok(quote!(&mut self.#field))
    }

    /// The struct's field declarations, one per buffer.
    pub fn fields(&self) -> TokenStream {
        let fields = (0..self.plan.buffers.len()).map(BufferId).map(|id| {
            let field = self.field(id);
            match storage(self.plan.buffer(id).kind) {
                Storage::F32 => quote!(#field: ::std::boxed::Box<[f32]>),
                Storage::Counter => quote!(#field: i64),
                Storage::OptimizerState => {
                    quote!(#field: ::netc::runtime::optim::ParamState)
                }
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
            match storage(buffer.kind) {
                Storage::F32 => {
                    quote!(#field: ::std::vec![0.0f32; #len].into_boxed_slice())
                }
                Storage::Counter => quote!(#field: 0),
                Storage::OptimizerState => {
                    quote!(#field: ::netc::runtime::optim::ParamState::new(#len, &optimizer))
                }
            }
        });
        quote!(#(#inits,)*)
    }

    /// The full f32 slice of a state entry (parameters, statistics,
    /// gradients), as `state_dict` and `parameter` expose it.
    pub fn whole(&self, id: BufferId, op: &'static str) -> Result<TokenStream, CodegenError> {
        self.expect(id, op, Storage::F32)?;
        let field = self.field(id);
        Ok(quote!(&self.#field[..]))
    }

    pub fn whole_mut(&self, id: BufferId, op: &'static str) -> Result<TokenStream, CodegenError> {
        self.expect(id, op, Storage::F32)?;
        let field = self.field(id);
        Ok(quote!(&mut self.#field[..]))
    }
}

/// `Some(slice)` or `None` for an optional buffer.
fn option(
    id: Option<BufferId>,
    slice: impl FnOnce(BufferId) -> Result<TokenStream, CodegenError>,
) -> Result<TokenStream, CodegenError> {
    Ok(match id {
        Some(id) => {
            let slice = slice(id)?;
            quote!(::core::option::Option::Some(#slice))
        }
        None => quote!(::core::option::Option::None),
    })
}

/// `format_ident!` for a model name, refusing what Rust cannot spell.
pub fn type_ident(name: &str) -> Result<Ident, CodegenError> {
    syn::parse_str::<Ident>(name).map_err(|_| CodegenError::BadIdent(name.to_string()))?;
    Ok(format_ident!("{}", name))
}
