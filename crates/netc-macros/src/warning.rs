//! Lints as compiler warnings on stable: proc macros cannot emit
//! warnings, but a use of a `#[deprecated]` item can. The expansion
//! declares a deprecated constant named after the lint whose note is the
//! lint's message, and uses it at the offending token's span, so rustc
//! prints `warning: use of deprecated constant ...: <message>` there. It
//! never fails a build (unless the user denies `deprecated`).

use netc_lang::Diagnostic;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

pub fn emit(diagnostic: &Diagnostic, span: Span, message: &str) -> TokenStream {
    let name: String = format!("{}_{}", diagnostic.code, diagnostic.name)
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let declared = Ident::new(&name, Span::call_site());
    let used = Ident::new(&name, span);
    quote! {
        const _: () = {
            #[deprecated(note = #message)]
            #[allow(non_upper_case_globals)]
            const #declared: () = ();
            #used
        };
    }
}
