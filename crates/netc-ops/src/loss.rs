/// A loss with mean reduction, as PyTorch's default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    /// `BCELoss`: the model outputs probabilities; logs are clamped at -100.
    Bce,
    /// `BCEWithLogitsLoss` in its log-sum-exp form.
    BceWithLogits,
    /// `CrossEntropyLoss` on logits with class-index targets.
    CrossEntropy,
    Mse,
    L1,
    /// `HuberLoss(delta=1.0)`.
    Huber {
        delta: f64,
    },
}

impl Loss {
    pub const NAMES: &'static [&'static str] = &[
        "bce",
        "bce_with_logits",
        "cross_entropy",
        "mse",
        "l1",
        "huber",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Loss::Bce => "bce",
            Loss::BceWithLogits => "bce_with_logits",
            Loss::CrossEntropy => "cross_entropy",
            Loss::Mse => "mse",
            Loss::L1 => "l1",
            Loss::Huber { .. } => "huber",
        }
    }

    /// Classification losses read targets as labels (0/1 or class indices)
    /// and report accuracy.
    pub fn is_classification(&self) -> bool {
        matches!(self, Loss::Bce | Loss::BceWithLogits | Loss::CrossEntropy)
    }

    /// How many target values one sample carries for an output of `width`:
    /// one class index for cross_entropy, one per output otherwise.
    pub fn target_width(&self, output_width: usize) -> usize {
        match self {
            Loss::CrossEntropy => 1,
            _ => output_width,
        }
    }
}
