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
    /// `HuberLoss(delta)`: quadratic within `delta` of the target, linear
    /// beyond.
    Huber {
        delta: f64,
    },
}

impl Loss {
    /// `HuberLoss(delta=1.0)`.
    pub const HUBER_DELTA: f64 = 1.0;

    /// Every loss, with PyTorch's default parameters. A new variant goes
    /// here too.
    pub const ALL: [Loss; 6] = [
        Loss::Bce,
        Loss::BceWithLogits,
        Loss::CrossEntropy,
        Loss::Mse,
        Loss::L1,
        Loss::Huber {
            delta: Self::HUBER_DELTA,
        },
    ];

    /// Every loss name a model file may use, in the order of [`Loss::ALL`].
    pub const NAMES: &'static [&'static str] = &names_of!(Self::ALL);

    pub const fn name(&self) -> &'static str {
        match self {
            Loss::Bce => "bce",
            Loss::BceWithLogits => "bce_with_logits",
            Loss::CrossEntropy => "cross_entropy",
            Loss::Mse => "mse",
            Loss::L1 => "l1",
            Loss::Huber { .. } => "huber",
        }
    }

    /// The loss called `name`, with PyTorch's default parameters.
    pub fn from_name(name: &str) -> Option<Loss> {
        Self::ALL.into_iter().find(|loss| loss.name() == name)
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

#[cfg(test)]
mod tests {
    use super::Loss;

    #[test]
    fn names_read_back_as_the_losses_with_defaults() {
        for loss in Loss::ALL {
            assert_eq!(Loss::from_name(loss.name()), Some(loss));
        }
        assert_eq!(Loss::NAMES.len(), Loss::ALL.len());
        assert_eq!(Loss::from_name("huber"), Some(Loss::Huber { delta: 1.0 }));
    }
}
