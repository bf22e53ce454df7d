//! `model!(path = "water.nn")`: the model file, relative to the source
//! file invoking the macro (as `include_str!`). Diagnostics cannot point
//! inside another file, so each one sits on the path literal and carries
//! `file:line:col` and the rendered snippet.

use std::path::PathBuf;

use netc_lang::render::{text, FileDiagnostics};
use proc_macro::{TokenStream, TokenTree};
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::quote;

use crate::output::{finish, Placed, PlacedSpan};

/// The literal of `path = "<literal>"`, if that is the whole input.
pub fn path_literal(input: &TokenStream) -> Option<proc_macro::Literal> {
    let tokens: Vec<TokenTree> = input.clone().into_iter().collect();
    match tokens.as_slice() {
        [TokenTree::Ident(key), TokenTree::Punct(eq), value]
            if key.to_string() == "path" && eq.as_char() == '=' =>
        {
            literal_in(value)
        }
        _ => None,
    }
}

/// A literal, also when a `macro_rules!` fragment wrapped it in an
/// invisible group.
fn literal_in(token: &TokenTree) -> Option<proc_macro::Literal> {
    match token {
        TokenTree::Literal(literal) => Some(literal.clone()),
        TokenTree::Group(group) if group.delimiter() == proc_macro::Delimiter::None => {
            let mut inner = group.stream().into_iter();
            match (inner.next(), inner.next()) {
                (Some(token), None) => literal_in(&token),
                _ => None,
            }
        }
        _ => None,
    }
}

pub fn expand(literal: &proc_macro::Literal) -> TokenStream2 {
    let span = Span::from(literal.span());
    let token = TokenStream2::from(TokenStream::from(TokenTree::Literal(literal.clone())));
    let written = match syn::parse2::<syn::LitStr>(token) {
        Ok(lit) => lit.value(),
        Err(_) => return error(span, "expected a string literal: `path = \"model.nn\"`"),
    };
    let Some(path) = resolve(&written) else {
        return error(
            span,
            "cannot locate the source file invoking `model!`, so the model path cannot be resolved",
        );
    };
    let source = match std::fs::read_to_string(&path) {
        Ok(source) => source,
        Err(e) => return error(span, &format!("cannot read `{written}`: {e}")),
    };
    // Cargo rebuilds when the model changes only if the expansion includes
    // it, and that must hold for an erroneous model too.
    let tracked = match path.to_str() {
        Some(absolute) => quote!(
            const _: &[u8] = ::core::include_bytes!(#absolute);
        ),
        None => TokenStream2::new(),
    };
    let checked = netc_lang::check_file(source.as_bytes(), &netc_lang::LintLevels::default());
    let place = |diagnostic: &netc_lang::Diagnostic| Placed {
        span: PlacedSpan::One(span),
        message: render(diagnostic, &written, &source),
    };
    let generated = finish(&checked, place, span);
    quote!(#tracked #generated)
}

/// The terminal rendering of one diagnostic (no color), without the
/// renderer's per-file summary line.
fn render(diagnostic: &netc_lang::Diagnostic, path: &str, source: &str) -> String {
    let one = std::slice::from_ref(diagnostic);
    let file = FileDiagnostics {
        path,
        source,
        diagnostics: one,
    };
    let rendered = text::render(&[file], false);
    let rendered = rendered.trim_end();
    let rendered = match rendered.rsplit_once("\n\n") {
        Some((diagnostic, _summary)) => diagnostic,
        None => rendered,
    };
    // rustc already prints `error:`/`warning:`; the code moves to the end
    // of the headline, as for inline models.
    let body = rendered.split_once('\n').map_or("", |(_, body)| body);
    format!(
        "{} [{} {}]\n{body}",
        diagnostic.message, diagnostic.code, diagnostic.name
    )
}

/// `written` relative to the invoking file's directory.
fn resolve(written: &str) -> Option<PathBuf> {
    let written = PathBuf::from(written);
    if written.is_absolute() {
        return Some(written);
    }
    let invoker = proc_macro::Span::call_site().local_file()?;
    let dir = invoker.parent()?;
    let joined = dir.join(written);
    // An absolute path for `include_bytes!`, which resolves relative
    // paths against the invoking file, not the working directory.
    std::path::absolute(joined).ok()
}

fn error(span: Span, message: &str) -> TokenStream2 {
    syn::Error::new(span, message).to_compile_error()
}
