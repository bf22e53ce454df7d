//! Dispatch between the two forms, and the shared tail: diagnostics to
//! errors and warnings, then code generation for every model.

use netc_lang::{ir::Program, Diagnostic, Severity};
use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::{file, inline, warning};

pub fn expand(input: proc_macro::TokenStream) -> TokenStream {
    match file::path_literal(&input) {
        Some(literal) => file::expand(&literal),
        None => inline::expand(input),
    }
}

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
    program: &Program,
    diagnostics: &[Diagnostic],
    place: impl Fn(&Diagnostic) -> Placed,
    fallback: Span,
) -> TokenStream {
    let mut errors: Option<syn::Error> = None;
    let mut warnings = TokenStream::new();
    for diagnostic in diagnostics {
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
    for model in &program.models {
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

/// The one-line headline of a diagnostic with its label, help and notes,
/// for an error shown on the token itself.
pub fn headline(diagnostic: &Diagnostic) -> String {
    let mut text = format!(
        "{} [{} {}]",
        diagnostic.message, diagnostic.code, diagnostic.name
    );
    if !diagnostic.span_label.is_empty() {
        text.push_str(&format!(": {}", diagnostic.span_label));
    }
    for label in &diagnostic.labels {
        text.push_str(&format!("\nnote: {}", label.message));
    }
    if let Some(help) = &diagnostic.help {
        text.push_str(&format!("\nhelp: {help}"));
    }
    for note in &diagnostic.notes {
        text.push_str(&format!("\nnote: {note}"));
    }
    text
}
