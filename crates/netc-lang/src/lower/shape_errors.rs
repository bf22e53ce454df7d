//! The diagnostics of a layer refusing a value (NN004, NN041, NN042,
//! NN037): both shapes, where each came from, and a fix where the intent
//! is plain.

use netc_ops::image::ImageShape;

use super::shape::{Misfit, Refusal};
use crate::diagnostic::{Diagnostic, Label};
use crate::layers::{FixedBy, Widths};
use crate::layers::{LayerKind, LayerType};
use crate::rules;
use crate::shape::Shape;
use crate::span::Span;

/// Where a value's shape came from: labels, nearest first. A computed
/// shape also shows the one it was computed from, so a message after
/// `flatten` reaches back to the convolution that fixed the size.
#[derive(Debug, Clone)]
pub(super) struct Origin {
    labels: Vec<Label>,
}

impl Origin {
    pub(super) fn new(span: Span, message: impl Into<String>) -> Origin {
        Origin {
            labels: vec![Label {
                span,
                message: message.into(),
            }],
        }
    }

    /// `self`, then the nearest label of `from` (the origin of the input
    /// `self` was computed from).
    pub(super) fn after(mut self, from: &Origin) -> Origin {
        self.labels.extend(from.labels.first().cloned());
        self
    }

    /// `diag` with these labels, but for those on a span in `shown` or
    /// already on `diag` (two operands of one origin).
    pub(super) fn label(&self, mut diag: Diagnostic, shown: &[Span]) -> Diagnostic {
        for label in &self.labels {
            if !shown.contains(&label.span) && !diag.labels.contains(label) {
                diag = diag.with_label(label.span, label.message.clone());
            }
        }
        diag
    }
}

/// `width 9` or `shape (6, 24, 24)`.
pub(super) fn describe(shape: Shape) -> String {
    match shape {
        Shape::Flat(width) => format!("width {width}"),
        Shape::Image(_) => format!("shape {shape}"),
    }
}

/// A layer call whose layer refused its argument.
pub(super) struct Refused<'a> {
    /// The layer's name.
    pub name: &'a str,
    pub kind: &'a LayerKind,
    pub widths: Widths,
    /// The kind's name in the declaration (`batchnorm` of
    /// `bn = batchnorm(16)`); `None` for the implicit `flatten`.
    pub kind_span: Option<Span>,
    /// The layer's name in the call.
    pub callee: Span,
    /// The argument expression.
    pub arg: Span,
    pub received: Shape,
    pub origin: &'a Origin,
    /// The image the argument is the `flatten` of, if it is one.
    pub flattened: Option<ImageShape>,
    /// Whether `flatten(...)` at this call means the function.
    pub can_flatten: bool,
}

impl Refused<'_> {
    pub(super) fn diagnostic(&self, refusal: Refusal) -> Diagnostic {
        match refusal {
            Refusal::Width { expected } => self.width(expected),
            Refusal::Channels { expected } => self.channels(expected),
            Refusal::NeedsFlat => self.needs_flat(),
            Refusal::NeedsImage => self.needs_image(),
            Refusal::WindowTooLarge { kernel, misfits } => self.window_too_large(kernel, &misfits),
            Refusal::TooLarge { shape, numel } => self.too_large(shape, numel),
        }
    }

    fn layer_type(&self) -> LayerType {
        self.kind.layer_type()
    }

    /// The argument's label and its origin's.
    fn with_received(&self, diag: Diagnostic) -> Diagnostic {
        let diag = diag.with_label(
            self.arg,
            format!("this value has {}", describe(self.received)),
        );
        self.origin.label(diag, &[self.arg])
    }

    /// The declared input size's label, and a guessed fix rewriting it to
    /// `received` (the mistake may be upstream, hence a guess).
    fn with_declared(&self, diag: Diagnostic, message: String, received: usize) -> Diagnostic {
        let Some(size) = self.widths.input else {
            return diag;
        };
        let diag = diag.with_label(size.span, message);
        let replacement = match (size.by, self.flattened) {
            (FixedBy::FirstCall, _) => return diag,
            // Keep a derivation a derivation: `16 * 5 * 5` → `16 * 4 * 4`.
            (FixedBy::Expression, Some(image)) => {
                format!("{} * {} * {}", image.channels, image.height, image.width)
            }
            _ => received.to_string(),
        };
        let param = match self.layer_type() {
            LayerType::Linear => "in_features",
            LayerType::LayerNorm => "normalized_shape",
            LayerType::Conv2d => "in_channels",
            _ => "num_features",
        };
        diag.with_help(format!(
            "make `{param}` {received}, or change the layers before `{}`",
            self.name
        ))
        .with_guessed_fix(size.span, replacement)
    }

    /// NN004: a flat value of another width.
    fn width(&self, expected: usize) -> Diagnostic {
        let name = self.name;
        let received = self.received.numel();
        let (message, declared) = match self.layer_type() {
            LayerType::Linear => (
                format!("`{name}` expects {expected} inputs but receives {received}"),
                format!("`{name}` takes {expected} inputs"),
            ),
            _ => (
                format!("`{name}` normalises {expected} features but receives {received}"),
                format!("`{name}` is declared for {expected} features"),
            ),
        };
        let diag = Diagnostic::new(&rules::SHAPE_MISMATCH, self.callee, message)
            .with_span_label(format!("expects width {expected}"));
        let diag = self.with_received(diag);
        self.with_declared(diag, declared, received)
    }

    /// NN004: an image of other channels.
    fn channels(&self, expected: usize) -> Diagnostic {
        let name = self.name;
        let received = self.received.image().map_or(0, |image| image.channels);
        let (message, declared) = match self.layer_type() {
            LayerType::Conv2d => (
                format!("`{name}` expects {expected} input channels but receives {received}"),
                format!("`{name}` takes {expected} input channels"),
            ),
            _ => (
                format!("`{name}` normalises {expected} channels but receives {received}"),
                format!("`{name}` is declared for {expected} channels"),
            ),
        };
        let diag = Diagnostic::new(&rules::SHAPE_MISMATCH, self.callee, message)
            .with_span_label(format!("expects {expected} channels"));
        let diag = self.with_received(diag);
        self.with_declared(diag, declared, received)
    }

    /// NN041: a flat layer given an image.
    fn needs_flat(&self) -> Diagnostic {
        let (name, kind) = (self.name, self.layer_type().name());
        let diag = Diagnostic::new(
            &rules::FLAT_IMAGE_MISMATCH,
            self.callee,
            format!(
                "`{name}` ({kind}) works on flat values but receives an image of shape {}",
                self.received
            ),
        )
        .with_span_label("expects a flat value");
        let diag = self.with_received(diag);
        if self.layer_type() == LayerType::BatchNorm {
            let diag = diag.with_help(
                "declare it `batchnorm2d` to normalise each channel over the batch, height and width",
            );
            return self.renamed(diag, LayerType::BatchNorm2d);
        }
        let diag = diag.with_help(format!(
            "flatten the image first: `{name}(flatten(...))` gives it {} features",
            self.received.numel()
        ));
        if !self.can_flatten {
            return diag;
        }
        diag.with_fix(Span::new(self.arg.start, self.arg.start), "flatten(")
            .with_fix(Span::new(self.arg.end, self.arg.end), ")")
    }

    /// NN041: an image layer given a flat value.
    fn needs_image(&self) -> Diagnostic {
        let (name, kind) = (self.name, self.layer_type().name());
        let diag = Diagnostic::new(
            &rules::FLAT_IMAGE_MISMATCH,
            self.callee,
            format!(
                "`{name}` ({kind}) works on images (channels, height, width) but receives a flat value of width {}",
                self.received.numel()
            ),
        )
        .with_span_label("expects an image");
        let diag = self.with_received(diag);
        if self.layer_type() == LayerType::BatchNorm2d {
            let diag = diag.with_help("declare it `batchnorm` to normalise flat features");
            return self.renamed(diag, LayerType::BatchNorm);
        }
        diag.with_help(
            "declare the input's shape, e.g. `input x: (1, 28, 28)`, and apply image layers before `flatten`",
        )
    }

    /// `diag` with a guessed fix renaming the declaration's kind to `to`.
    fn renamed(&self, diag: Diagnostic, to: LayerType) -> Diagnostic {
        match self.kind_span {
            Some(span) => diag.with_guessed_fix(span, to.name()),
            None => diag,
        }
    }

    /// NN042: a window that does not fit its padded input.
    fn window_too_large(&self, kernel: (usize, usize), misfits: &[Misfit]) -> Diagnostic {
        let name = self.name;
        let mut diag = Diagnostic::new(
            &rules::WINDOW_TOO_LARGE,
            self.callee,
            format!(
                "the {}×{} window of `{name}` does not fit its input {}",
                kernel.0, kernel.1, self.received
            ),
        )
        .with_span_label("the output would have no rows or columns");
        diag = self.with_received(diag);
        for misfit in misfits {
            diag = diag.with_note(format!(
                "{}: padded input {} < window {}: no output {}",
                misfit.axis,
                misfit.padded(),
                misfit.extent(),
                misfit.lines()
            ));
        }
        let help = match self.layer_type() {
            LayerType::Conv2d => "use a smaller kernel, pad the input (`padding=`), or downsample less before this layer",
            _ => "use a smaller window, or downsample less before this layer",
        };
        diag.with_help(help)
    }

    /// NN037: an output too large to hold.
    fn too_large(&self, (c, h, w): (usize, usize, usize), numel: Option<usize>) -> Diagnostic {
        let count = numel.map_or("more than 2^64".to_string(), |n| n.to_string());
        Diagnostic::new(
            &rules::INVALID_VALUE,
            self.callee,
            format!(
                "`{}` would give ({c}, {h}, {w}): {count} floats per sample, more than 2^24",
                self.name
            ),
        )
        .with_span_label("too large")
        .with_help("check the layer's channels and output size")
    }
}
