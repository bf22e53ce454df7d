//! The checker's witness: a [`ValidModel`] exists only for a model of a
//! file the checker found no error in, so lowering (which takes nothing
//! else) never sees a model the [`ir`](crate::ir) invariant does not hold
//! for.

use std::ops::Deref;

use crate::diagnostic::Diagnostic;
use crate::ir::{Handle, Model, Node, Program};
use crate::Severity;

/// A model of a file checked without error-severity diagnostics: names
/// resolved, shapes agreeing, nodes in evaluation order, an output.
/// Only the checker makes one; it reads as the [`Model`] it wraps.
#[derive(Debug, Clone)]
pub struct ValidModel {
    model: Model,
    output: Handle<Node>,
}

impl ValidModel {
    /// The witnesses of every model of `program`, or none when any
    /// diagnostic is an error.
    pub(crate) fn all(program: &Program, diagnostics: &[Diagnostic]) -> Vec<ValidModel> {
        if diagnostics.iter().any(|d| d.severity == Severity::Error) {
            return Vec::new();
        }
        program
            .models
            .iter()
            .filter_map(|model| {
                // A model without a `return` has NN035; checked for the
                // type's sake, not because it can happen here.
                Some(ValidModel {
                    output: model.output?,
                    model: model.clone(),
                })
            })
            .collect()
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The node `forward` returns.
    pub fn output(&self) -> Handle<Node> {
        self.output
    }
}

/// Read access to the checked model, so passes read it as they read a
/// [`Model`]; there is no way back to a writable one.
impl Deref for ValidModel {
    type Target = Model;

    fn deref(&self) -> &Model {
        &self.model
    }
}
