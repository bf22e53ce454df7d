//! Everything the front half knows of each layer kind, one module a
//! kind: its arguments (the declaration's reader, with PyTorch's names,
//! order, defaults and the checks PyTorch makes building the module),
//! its `state_dict`, its settings, its shape rule and its rule in the
//! gradient analysis. This file is the table of the kinds and the one
//! place that dispatches on them; the passes (lowering, shapes, the
//! analysis) hold the vocabulary the kinds speak.

mod adaptive_avg_pool2d;
mod batchnorm;
mod conv2d;
mod dropout;
mod flatten;
mod layernorm;
mod linear;
mod pool2d;

pub use adaptive_avg_pool2d::AdaptiveAvgPool2dSpec;
pub use batchnorm::BatchNormSpec;
pub use conv2d::{Conv2dPadding, Conv2dSpec};
pub use dropout::DropoutSpec;
pub use layernorm::LayerNormSpec;
pub use linear::LinearSpec;
pub use pool2d::Pool2dSpec;

use netc_ops::image::PoolKind;

use crate::analysis::call::CallStats;
use crate::analysis::stats::ValueStats;
use crate::ast::Call;
use crate::ast::{Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::lower::shape::{Output, Refusal};
use crate::shape::Shape;
use crate::span::Span;

#[derive(Debug, Clone, PartialEq)]
pub enum LayerKind {
    Linear(LinearSpec),
    BatchNorm(BatchNormSpec),
    LayerNorm(LayerNormSpec),
    Dropout(DropoutSpec),
    Conv2d(Conv2dSpec),
    /// `nn.BatchNorm2d`: per-channel statistics over batch, height and
    /// width; the same arguments and state as `batchnorm`.
    BatchNorm2d(BatchNormSpec),
    /// `max_pool2d` or `avg_pool2d`, by the spec's kind.
    Pool2d(Pool2dSpec),
    AdaptiveAvgPool2d(AdaptiveAvgPool2dSpec),
    /// `nn.Flatten()`: an image value read as its `C·H·W` floats.
    Flatten,
}

/// A layer kind without its arguments: the language's one table of the
/// layer kinds, which messages, lowering and tests derive from. A new
/// variant goes into [`LayerType::ALL`] too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayerType {
    Linear,
    BatchNorm,
    LayerNorm,
    Dropout,
    Conv2d,
    BatchNorm2d,
    MaxPool2d,
    AvgPool2d,
    AdaptiveAvgPool2d,
    Flatten,
}

impl LayerType {
    /// Every layer kind, in the order messages list them.
    pub const ALL: [LayerType; 10] = [
        LayerType::Linear,
        LayerType::BatchNorm,
        LayerType::LayerNorm,
        LayerType::Dropout,
        LayerType::Conv2d,
        LayerType::BatchNorm2d,
        LayerType::MaxPool2d,
        LayerType::AvgPool2d,
        LayerType::AdaptiveAvgPool2d,
        LayerType::Flatten,
    ];

    /// The name used in model files.
    pub const fn name(self) -> &'static str {
        match self {
            LayerType::Linear => "linear",
            LayerType::BatchNorm => "batchnorm",
            LayerType::LayerNorm => "layernorm",
            LayerType::Dropout => "dropout",
            LayerType::Conv2d => "conv2d",
            LayerType::BatchNorm2d => "batchnorm2d",
            LayerType::MaxPool2d => PoolKind::Max.layer_name(),
            LayerType::AvgPool2d => PoolKind::Avg {
                count_include_pad: true,
            }
            .layer_name(),
            LayerType::AdaptiveAvgPool2d => "adaptive_avg_pool2d",
            LayerType::Flatten => "flatten",
        }
    }

    pub fn from_name(name: &str) -> Option<LayerType> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// Reads a declaration of this kind (`call` spanning `span`); `None`
    /// once its mistakes are in `diags`.
    pub(crate) fn read(
        self,
        call: &Call,
        span: Span,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<LoweredLayer> {
        match self {
            LayerType::Linear => linear::read(call, span, diags),
            LayerType::BatchNorm | LayerType::BatchNorm2d => {
                batchnorm::read(call, span, self, diags)
            }
            LayerType::LayerNorm => layernorm::read(call, span, diags),
            LayerType::Dropout => dropout::read(call, diags),
            LayerType::Conv2d => conv2d::read(call, span, diags),
            LayerType::MaxPool2d | LayerType::AvgPool2d => pool2d::read(call, span, self, diags),
            LayerType::AdaptiveAvgPool2d => adaptive_avg_pool2d::read(call, span, diags),
            LayerType::Flatten => flatten::read(call, diags),
        }
    }
}

/// What a kind computes, and its arguments with PyTorch's defaults as a
/// model writes them: the editor's hover and completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindDoc {
    pub meaning: &'static str,
    pub arguments: &'static [&'static str],
}

impl LayerType {
    pub const fn doc(self) -> KindDoc {
        match self {
            LayerType::Linear => linear::DOC,
            LayerType::BatchNorm => batchnorm::DOC,
            LayerType::LayerNorm => layernorm::DOC,
            LayerType::Dropout => dropout::DOC,
            LayerType::Conv2d => conv2d::DOC,
            LayerType::BatchNorm2d => batchnorm::DOC_2D,
            LayerType::MaxPool2d => pool2d::MAX_DOC,
            LayerType::AvgPool2d => pool2d::AVG_DOC,
            LayerType::AdaptiveAvgPool2d => adaptive_avg_pool2d::DOC,
            LayerType::Flatten => flatten::DOC,
        }
    }
}

const fn layer_type_names() -> [&'static str; LayerType::ALL.len()] {
    let mut names = [""; LayerType::ALL.len()];
    let mut index = 0;
    while index < names.len() {
        names[index] = LayerType::ALL[index].name();
        index += 1;
    }
    names
}

impl LayerKind {
    /// Every layer kind a model file may declare, in the order of
    /// [`LayerType::ALL`].
    pub const NAMES: &'static [&'static str] = &layer_type_names();

    pub fn layer_type(&self) -> LayerType {
        match self {
            LayerKind::Linear(_) => LayerType::Linear,
            LayerKind::BatchNorm(_) => LayerType::BatchNorm,
            LayerKind::LayerNorm(_) => LayerType::LayerNorm,
            LayerKind::Dropout(_) => LayerType::Dropout,
            LayerKind::Conv2d(_) => LayerType::Conv2d,
            LayerKind::BatchNorm2d(_) => LayerType::BatchNorm2d,
            LayerKind::Pool2d(spec) => match spec.kind {
                PoolKind::Max => LayerType::MaxPool2d,
                PoolKind::Avg { .. } => LayerType::AvgPool2d,
            },
            LayerKind::AdaptiveAvgPool2d(_) => LayerType::AdaptiveAvgPool2d,
            LayerKind::Flatten => LayerType::Flatten,
        }
    }

    /// The name this kind has in model files.
    pub fn name(&self) -> &'static str {
        self.layer_type().name()
    }

    /// `(input, output)` widths the declaration fixes; `None` for a kind
    /// that takes the width of whatever it is called on, and for the
    /// image kinds, whose widths depend on the input's height and width.
    pub fn widths(&self) -> Option<(usize, usize)> {
        match self {
            LayerKind::Linear(spec) => Some((spec.in_features, spec.out_features)),
            LayerKind::BatchNorm(spec) => Some((spec.num_features, spec.num_features)),
            LayerKind::LayerNorm(spec) => Some((spec.normalized_shape, spec.normalized_shape)),
            LayerKind::Dropout(_)
            | LayerKind::Conv2d(_)
            | LayerKind::BatchNorm2d(_)
            | LayerKind::Pool2d(_)
            | LayerKind::AdaptiveAvgPool2d(_)
            | LayerKind::Flatten => None,
        }
    }

    /// The layer's `state_dict` entries in PyTorch's order, names and
    /// shapes: the one statement of them that lowering, the exporters and
    /// the editor derive from.
    pub fn state_dict(&self) -> Vec<StateTensor> {
        match self {
            LayerKind::Linear(spec) => spec.state_dict(),
            LayerKind::Conv2d(spec) => spec.state_dict(),
            LayerKind::BatchNorm(spec) | LayerKind::BatchNorm2d(spec) => spec.state_dict(),
            LayerKind::LayerNorm(spec) => spec.state_dict(),
            LayerKind::Dropout(_)
            | LayerKind::Pool2d(_)
            | LayerKind::AdaptiveAvgPool2d(_)
            | LayerKind::Flatten => Vec::new(),
        }
    }

    /// The arguments that are not widths, as `name=value` for people
    /// (hover text); PyTorch's spelling of each.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        match self {
            LayerKind::Linear(spec) => vec![("bias", spec.bias.to_string())],
            LayerKind::BatchNorm(spec) | LayerKind::BatchNorm2d(spec) => spec.settings(),
            LayerKind::LayerNorm(spec) => spec.settings(),
            LayerKind::Dropout(spec) => vec![("p", spec.p.to_string())],
            LayerKind::Conv2d(spec) => spec.settings(),
            LayerKind::Pool2d(spec) => spec.settings(),
            LayerKind::AdaptiveAvgPool2d(_) | LayerKind::Flatten => Vec::new(),
        }
    }

    /// The shape this kind gives for a value of shape `input`, or why it
    /// cannot take it.
    pub(crate) fn apply(&self, input: Shape) -> Result<Output, Refusal> {
        match self {
            LayerKind::Linear(spec) => spec.apply(input),
            LayerKind::BatchNorm(spec) => spec.apply_flat(input),
            LayerKind::BatchNorm2d(spec) => spec.apply_image(input),
            LayerKind::LayerNorm(spec) => spec.apply(input),
            LayerKind::Dropout(_) => Ok(Output::kept(input)),
            LayerKind::Conv2d(spec) => spec.apply(input),
            LayerKind::Pool2d(spec) => spec.apply(input),
            LayerKind::AdaptiveAvgPool2d(spec) => spec.apply(input),
            LayerKind::Flatten => Ok(flatten::apply(input)),
        }
    }

    /// A call's output statistics at init and the factor its backward
    /// applies to E[δ²] (the gradient analysis); the weight layers' rule
    /// is the analysis's own, from their weights' reach.
    pub(crate) fn propagate(&self, call: &mut CallStats<'_>) -> (ValueStats, f64) {
        match self {
            LayerKind::BatchNorm(spec) | LayerKind::BatchNorm2d(spec) => spec.propagate(call),
            LayerKind::LayerNorm(spec) => spec.propagate(call),
            LayerKind::Dropout(spec) => spec.propagate(call),
            LayerKind::Pool2d(spec) => spec.propagate(call),
            LayerKind::AdaptiveAvgPool2d(spec) => spec.propagate(call),
            // The same floats, read as one row; a weight layer reaches
            // here only on a value of the wrong kind (a model with
            // errors).
            LayerKind::Flatten | LayerKind::Linear(_) | LayerKind::Conv2d(_) => (call.x, 1.0),
        }
    }

    /// The `q` of a call's row in the analysis table, for the kinds
    /// without weights that get one (those that change the signal's
    /// moments): the variance a normalisation divides by, a pooling's
    /// output second moment. `None`: no row.
    pub(crate) fn analysis_row(&self, input: ValueStats, output: ValueStats) -> Option<f64> {
        match self {
            LayerKind::BatchNorm(_) | LayerKind::BatchNorm2d(_) => Some(input.batch_variance),
            LayerKind::LayerNorm(_) => Some(input.variance()),
            LayerKind::Pool2d(_) | LayerKind::AdaptiveAvgPool2d(_) => Some(output.second),
            LayerKind::Linear(_)
            | LayerKind::Conv2d(_)
            | LayerKind::Dropout(_)
            | LayerKind::Flatten => None,
        }
    }
}

/// One tensor of a layer's `state_dict`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateTensor {
    pub role: StateRole,
    /// Empty for a 0-d tensor.
    pub shape: Vec<usize>,
}

impl StateTensor {
    /// Elements, as PyTorch's `numel` (1 for a 0-d tensor).
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// What a `state_dict` entry holds; its name is `<layer>.<suffix>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRole {
    Weight,
    Bias,
    RunningMean,
    RunningVar,
    /// BatchNorm's step counter: a 0-d I64, the only integer entry.
    NumBatchesTracked,
}

impl StateRole {
    pub const fn suffix(self) -> &'static str {
        match self {
            StateRole::Weight => "weight",
            StateRole::Bias => "bias",
            StateRole::RunningMean => "running_mean",
            StateRole::RunningVar => "running_var",
            StateRole::NumBatchesTracked => "num_batches_tracked",
        }
    }

    /// Updated by the optimizer (the rest are buffers).
    pub const fn is_trainable(self) -> bool {
        matches!(self, StateRole::Weight | StateRole::Bias)
    }
}

/// A size a declaration fixes — a width for the flat kinds, a channel
/// count for the image kinds — and where it was fixed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Size {
    pub value: usize,
    /// The argument that wrote it, or the first call for `linear(out)`.
    pub span: Span,
    pub by: FixedBy,
}

/// What fixed a [`Size`]: how a fix may rewrite it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FixedBy {
    /// An integer literal.
    Literal,
    /// Any other argument expression (`16 * 5 * 5`).
    Expression,
    /// The first call of `linear(out)`: no argument to rewrite.
    FirstCall,
}

impl Size {
    /// The size `expr` wrote.
    pub(crate) fn written(value: usize, expr: &Expr) -> Size {
        let by = match expr.ungrouped().kind {
            ExprKind::Number(_) => FixedBy::Literal,
            _ => FixedBy::Expression,
        };
        Size {
            value,
            span: expr.span,
            by,
        }
    }
}

/// A declared layer's sizes as far as the declaration tells them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Widths {
    /// The width (flat kinds) or channels (conv2d, batchnorm2d) the layer
    /// accepts; `None` for `linear(out)` until its first call, and for
    /// kinds that take any input (dropout, pooling, flatten).
    pub input: Option<Size>,
    /// The width or channels the layer produces with the span that fixed
    /// it; `None` for kinds whose output follows from their input.
    pub output: Option<(usize, Span)>,
}

impl Widths {
    /// A kind that takes any input and whose output follows from it.
    pub(crate) const ANY: Widths = Widths {
        input: None,
        output: None,
    };
}

/// A successfully read declaration.
pub(crate) struct LoweredLayer {
    pub kind: LayerKind,
    pub widths: Widths,
}

/// One `state_dict` tensor.
fn tensor(role: StateRole, shape: &[usize]) -> StateTensor {
    StateTensor {
        role,
        shape: shape.to_vec(),
    }
}

/// A normalisation's `weight` (γ) and `bias` (β) over `n` features.
fn affine(n: usize) -> [StateTensor; 2] {
    [
        tensor(StateRole::Weight, &[n]),
        tensor(StateRole::Bias, &[n]),
    ]
}

/// A weight `[out, …]` and, with `bias`, its bias `[out]`.
fn weight_and_bias(shape: &[usize], bias: bool) -> Vec<StateTensor> {
    let mut tensors = vec![tensor(StateRole::Weight, shape)];
    if bias {
        tensors.push(tensor(StateRole::Bias, &shape[..1]));
    }
    tensors
}

/// `(h, w)` as PyTorch prints a pair argument.
fn torch_pair((h, w): (usize, usize)) -> String {
    format!("({h}, {w})")
}

#[cfg(test)]
mod tests {
    use super::{LayerKind, LayerType};

    #[test]
    fn layer_kind_names_read_back() {
        for layer_type in LayerType::ALL {
            assert_eq!(LayerType::from_name(layer_type.name()), Some(layer_type));
        }
        assert_eq!(
            LayerKind::NAMES,
            [
                "linear",
                "batchnorm",
                "layernorm",
                "dropout",
                "conv2d",
                "batchnorm2d",
                "max_pool2d",
                "avg_pool2d",
                "adaptive_avg_pool2d",
                "flatten"
            ]
        );
        assert_eq!(LayerType::from_name("conv3d"), None);
    }
}
