//! One op as one call: the op's `netc_runtime::ops` struct, each field
//! from the Plan's operand description ([`OpKind::operands`]) with widths
//! as `Const`s, then `run()`. The same struct and `run` the interpreter
//! calls; nothing here knows what any op computes.

use netc_plan::{OpKind, Operand};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, ToTokens};

use crate::image_geometry;
use crate::layout::Layout;
use crate::values::{activation, f32_lit, loss, usize_lit};

/// The statement running `op` for `batch` rows (a local of the
/// generated method).
pub fn emit_op(op: &OpKind, layout: &Layout<'_>) -> TokenStream {
    let name = Ident::new(op.runtime_op(), Span::call_site());
    let fields = op.operands().into_iter().map(|(field, operand)| {
        let field = Ident::new(field, Span::call_site());
        let value = operand_expr(operand, layout);
        quote!(#field: #value)
    });
    quote!(::netc::runtime::ops::#name { #(#fields,)* }.run();)
}

fn operand_expr(operand: Operand<'_>, layout: &Layout<'_>) -> TokenStream {
    let some = |value: Option<TokenStream>| match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    };
    match operand {
        Operand::Read(id) => layout.get(id),
        Operand::ReadOpt(id) => some(id.map(|id| layout.get(id))),
        Operand::Write(id) => layout.get_mut(id),
        Operand::WriteOpt(id) => some(id.map(|id| layout.get_mut(id))),
        Operand::Counter(id) | Operand::State(id) => {
            let field = layout.field(id);
            quote!(&mut self.#field)
        }
        Operand::Dim(width) => {
            let width = usize_lit(width);
            quote!(::netc::runtime::Const::<#width>)
        }
        Operand::Usize(value) => usize_lit(value).into_token_stream(),
        Operand::F32(value) => f32_lit(value),
        Operand::OptF32(value) => some(value.map(f32_lit)),
        Operand::Activation(act) => activation(act),
        Operand::Loss(l) => loss(l),
        Operand::Conv2d(g) => image_geometry::conv2d(g),
        Operand::Pool2d(g) => image_geometry::pool2d(g),
        Operand::AdaptivePool2d(g) => image_geometry::adaptive_pool2d(g),
        Operand::Image(shape) => image_geometry::shape(shape),
        Operand::Fresh(fresh) => {
            let bits = proc_macro2::Literal::u8_unsuffixed(fresh.0);
            quote!(::netc::runtime::kernels::Fresh(#bits))
        }
        Operand::Batch => quote!(batch),
        Operand::Rng => quote!(&mut self.step.dropout),
        Operand::Scalars => quote!(&self.step.scalars),
    }
}
