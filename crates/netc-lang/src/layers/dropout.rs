//! `dropout(p=0.5)`: `nn.Dropout`, any shape.

use netc_ops::layer as defaults;

use super::{KindDoc, LayerKind, LayerType};
use super::{LoweredLayer, Widths};
use crate::analysis::call::CallStats;
use crate::analysis::stats::ValueStats;
use crate::ast::Call;
use crate::diagnostic::Diagnostic;
use crate::lower::args;

pub(super) const DOC: KindDoc = KindDoc {
    meaning: "zeroes each value with probability p in training and scales the rest by 1/(1 − p) (`nn.Dropout`)",
    arguments: &["p=0.5"],
};

#[derive(Debug, Clone, PartialEq)]
pub struct DropoutSpec {
    pub p: f64,
}

impl DropoutSpec {
    /// Inverted dropout in train mode scales kept units by 1/(1−p).
    pub(super) fn propagate(&self, call: &CallStats<'_>) -> (ValueStats, f64) {
        let x = call.x;
        let keep = (1.0 - self.p).max(f64::MIN_POSITIVE);
        let second = x.second / keep;
        let stats = ValueStats {
            second,
            mean: x.mean,
            batch_variance: (second - x.mean * x.mean).max(0.0),
        };
        (stats, 1.0 / keep)
    }
}

pub(super) fn read(call: &Call, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
    let bound = args::bind(call, LayerType::Dropout.name(), &["p"], 1, diags);
    let p = match bound.get(0) {
        Some(e) => args::number_in(e, "p", 0.0, 1.0, diags)?,
        None => defaults::DROPOUT_P,
    };
    Some(LoweredLayer {
        kind: LayerKind::Dropout(DropoutSpec { p }),
        widths: Widths::ANY,
    })
}
