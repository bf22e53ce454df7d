//! `netc::model!`: a netc model becomes a Rust type at compile time.
//!
//! ```ignore
//! netc::model!(path = "water.nn");          // relative to this source file
//! netc::model! { model Tiny { input x: 2  fc = linear(2, 1)  forward { return fc(x) } } }
//! ```
//!
//! Each `model` becomes `pub struct <Name>` implementing `netc::Network`.
//! Errors in the model are compile errors: on the offending token for an
//! inline model, on the path literal (with `file:line:col` and the
//! snippet) for a model file. Lints become compiler warnings (a use of a
//! deprecated constant whose note is the lint), so they never fail the
//! build.

mod file;
mod inline;
mod output;
mod warning;

/// Compiles a netc model into a Rust type. See the crate docs.
#[proc_macro]
pub fn model(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    // `path = "..."` names a model file; anything else is an inline model.
    let expanded = match file::path_literal(&input) {
        Some(literal) => file::expand(&literal),
        None => inline::expand(input),
    };
    expanded.into()
}
