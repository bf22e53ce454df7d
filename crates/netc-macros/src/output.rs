//! The tail both forms share: a model's diagnostics become compile errors
//! and warnings, then, when none is an error, its generated types.

use netc_lang::{CheckedFile, Diagnostic, Severity};
use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::warning;

/// Where a diagnostic's message goes: the macro's span for it, and the
/// text the user reads there.
pub struct Placed {
    pub span: PlacedSpan,
    pub message: String,
}

/// One token, or a range from the first to the last token.
#[derive(Clone, Copy)]
pub enum PlacedSpan {
    One(Span),
    Range(Span, Span),
}

impl PlacedSpan {
    pub fn first(self) -> Span {
        match self {
            PlacedSpan::One(span) | PlacedSpan::Range(span, _) => span,
        }
    }

    fn error(self, message: &str) -> syn::Error {
        match self {
            PlacedSpan::One(span) => syn::Error::new(span, message),
            PlacedSpan::Range(first, last) => {
                // `Span::join` is unavailable on stable: two tokens carrying
                // the end spans make rustc underline the whole range.
                let mut a = proc_macro2::Punct::new('#', proc_macro2::Spacing::Alone);
                a.set_span(first);
                let mut b = proc_macro2::Punct::new('#', proc_macro2::Spacing::Alone);
                b.set_span(last);
                syn::Error::new_spanned(quote!(#a #b), message)
            }
        }
    }
}

/// Errors as one combined `compile_error!` set; warnings as deprecation
/// uses; then the generated types when nothing was an error.
pub fn finish(
    checked: &CheckedFile,
    place: impl Fn(&Diagnostic) -> Placed,
    fallback: Span,
) -> TokenStream {
    let mut errors: Option<syn::Error> = None;
    let mut warnings = TokenStream::new();
    for diagnostic in &checked.diagnostics {
        match diagnostic.severity {
            Severity::Error => {
                let placed = place(diagnostic);
                let error = placed.span.error(&placed.message);
                match errors.as_mut() {
                    Some(all) => all.combine(error),
                    None => errors = Some(error),
                }
            }
            Severity::Warning => {
                let placed = place(diagnostic);
                warnings.extend(warning::emit(
                    diagnostic,
                    placed.span.first(),
                    &placed.message,
                ));
            }
            // rustc has no level below warning; infos are advice that
            // `netc check` shows.
            Severity::Info => {}
        }
    }
    if let Some(errors) = errors {
        let errors = errors.to_compile_error();
        return quote!(#errors #warnings);
    }
    let mut generated = warnings;
    for model in checked.valid_models() {
        match netc_codegen::generate_model(model) {
            Ok(tokens) => generated.extend(tokens),
            Err(error) => {
                let message = format!("netc could not generate `{}`: {error}", model.name);
                generated.extend(syn::Error::new(fallback, message).to_compile_error());
            }
        }
    }
    generated
}
