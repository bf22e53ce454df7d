//! `linear(in_features, out_features, bias=true, init=…, bias_init=…)`:
//! `nn.Linear`. `linear(out)` leaves the input width to the first call.

use netc_ops::Init;

use super::{weight_and_bias, KindDoc, LayerType, StateTensor};
use super::{LoweredLayer, Size, Widths};
use crate::ast::Call;
use crate::diagnostic::Diagnostic;
use crate::lower::args;
use crate::lower::args::required;
use crate::lower::init::inits;
use crate::lower::shape::{flat, Output, Refusal};
use crate::shape::Shape;
use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct LinearSpec {
    pub in_features: usize,
    pub out_features: usize,
    pub bias: bool,
    /// `None`: `nn.Linear`'s default (`kaiming_uniform_(a=√5)`).
    pub init: Option<Init>,
    /// `None`: `nn.Linear`'s default bias, U(±1/√fan_in).
    pub bias_init: Option<Init>,
}

pub(super) const DOC: KindDoc = KindDoc {
    meaning: "y = x Wᵀ + b (`nn.Linear`); with one positional argument it is `out_features` and `in_features` is inferred",
    arguments: &["in_features", "out_features", "bias=true", "init", "bias_init"],
};

const LINEAR: &str = LayerType::Linear.name();

impl LinearSpec {
    pub(super) fn state_dict(&self) -> Vec<StateTensor> {
        weight_and_bias(&[self.out_features, self.in_features], self.bias)
    }

    pub(super) fn apply(&self, input: Shape) -> Result<Output, Refusal> {
        flat(input, self.in_features).map(|()| Output::declared(self.out_features))
    }
}

// Each reader reads every argument before any error returns, so one run
// reports all of a declaration's mistakes.

pub(super) fn read(call: &Call, span: Span, diags: &mut Vec<Diagnostic>) -> Option<LoweredLayer> {
    let params = ["in_features", "out_features", "bias", "init", "bias_init"];
    // `linear(16)` means the output width; the input is inferred.
    let positional = call.args.iter().filter(|a| a.key.is_none()).count();
    let names_out = call
        .args
        .iter()
        .any(|a| a.key.as_ref().is_some_and(|k| k.name == "out_features"));
    let order: &[usize] = if positional == 1 && !names_out {
        &[1]
    } else {
        &[0, 1, 2]
    };
    let bound = args::bind_in_order(call, LINEAR, &params, order, diags);
    // `Some(None)`: left out; `None`: invalid (already reported).
    let input = match bound.get(0) {
        Some(e) => args::width(e, "in_features", diags).map(|w| Some(Size::written(w, e))),
        None => Some(None),
    };
    let out_expr = required(&bound, 1, span, LINEAR, "out_features", diags);
    let out_features = out_expr.and_then(|e| args::width(e, "out_features", diags));
    let bias = bound
        .get(2)
        .map_or(Some(true), |e| args::boolean(e, "bias", diags));
    let inits = inits(&bound, 3, bias, LINEAR, diags);
    let (input, out_expr, out_features, bias) = (input?, out_expr?, out_features?, bias?);
    let (init, bias_init) = inits?;
    Some(LoweredLayer {
        kind: super::LayerKind::Linear(LinearSpec {
            in_features: input.map_or(0, |size| size.value),
            out_features,
            bias,
            init,
            bias_init,
        }),
        widths: Widths {
            input,
            output: Some((out_features, out_expr.span)),
        },
    })
}
