/// An optimizer with PyTorch's update rule and defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Optimizer {
    /// `torch.optim.SGD` (dampening 0).
    Sgd {
        lr: f64,
        momentum: f64,
        nesterov: bool,
        weight_decay: f64,
    },
    /// `torch.optim.Adam` (L2 weight decay added to the gradient).
    Adam {
        lr: f64,
        betas: (f64, f64),
        eps: f64,
        weight_decay: f64,
    },
    /// `torch.optim.AdamW` (decoupled weight decay, default 1e-2).
    AdamW {
        lr: f64,
        betas: (f64, f64),
        eps: f64,
        weight_decay: f64,
    },
}

impl Optimizer {
    const SGD_DEFAULT: Optimizer = Optimizer::Sgd {
        lr: 1e-3,
        momentum: 0.0,
        nesterov: false,
        weight_decay: 0.0,
    };

    const ADAM_DEFAULT: Optimizer = Optimizer::Adam {
        lr: 1e-3,
        betas: (0.9, 0.999),
        eps: 1e-8,
        weight_decay: 0.0,
    };

    const ADAMW_DEFAULT: Optimizer = Optimizer::AdamW {
        lr: 1e-3,
        betas: (0.9, 0.999),
        eps: 1e-8,
        weight_decay: 1e-2,
    };

    /// Every optimizer, with its defaults. A new variant goes here too.
    pub const ALL: [Optimizer; 3] = [Self::SGD_DEFAULT, Self::ADAM_DEFAULT, Self::ADAMW_DEFAULT];

    /// Every optimizer name a model file may use, in the order of
    /// [`Optimizer::ALL`].
    pub const NAMES: &'static [&'static str] = &names_of!(Self::ALL);

    pub const fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd { .. } => "sgd",
            Optimizer::Adam { .. } => "adam",
            Optimizer::AdamW { .. } => "adamw",
        }
    }

    /// The optimizer called `name`, with PyTorch's defaults.
    pub fn from_name(name: &str) -> Option<Optimizer> {
        Self::ALL
            .into_iter()
            .find(|optimizer| optimizer.name() == name)
    }

    pub fn sgd_default() -> Self {
        Self::SGD_DEFAULT
    }

    pub fn adam_default() -> Self {
        Self::ADAM_DEFAULT
    }

    pub fn adamw_default() -> Self {
        Self::ADAMW_DEFAULT
    }

    pub fn lr(&self) -> f64 {
        match *self {
            Optimizer::Sgd { lr, .. }
            | Optimizer::Adam { lr, .. }
            | Optimizer::AdamW { lr, .. } => lr,
        }
    }

    pub fn with_lr(mut self, new_lr: f64) -> Self {
        match &mut self {
            Optimizer::Sgd { lr, .. }
            | Optimizer::Adam { lr, .. }
            | Optimizer::AdamW { lr, .. } => *lr = new_lr,
        }
        self
    }
}

/// A learning-rate schedule stepped once per epoch, as PyTorch's schedulers
/// are in the usual loop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LrSchedule {
    /// `StepLR(step_size, gamma)`.
    Step { step_size: usize, gamma: f64 },
    /// `CosineAnnealingLR(T_max, eta_min)`; `t_max` defaults to the epochs.
    Cosine { t_max: Option<usize>, eta_min: f64 },
}

impl LrSchedule {
    pub const NAMES: &'static [&'static str] = &["step", "cosine"];

    /// `StepLR(gamma=0.1)`.
    pub const STEP_GAMMA: f64 = 0.1;
    /// `CosineAnnealingLR(eta_min=0)`.
    pub const COSINE_ETA_MIN: f64 = 0.0;

    /// The learning rate for `epoch` (0-based) given the base rate.
    pub fn lr_at(&self, base_lr: f64, epoch: usize, epochs: usize) -> f64 {
        match *self {
            LrSchedule::Step { step_size, gamma } => {
                base_lr * gamma.powi((epoch / step_size.max(1)) as i32)
            }
            LrSchedule::Cosine { t_max, eta_min } => {
                let t_max = t_max.unwrap_or(epochs).max(1) as f64;
                eta_min
                    + (base_lr - eta_min)
                        * (1.0 + (std::f64::consts::PI * epoch as f64 / t_max).cos())
                        / 2.0
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Optimizer;

    #[test]
    fn names_read_back_as_the_optimizers_with_defaults() {
        for optimizer in Optimizer::ALL {
            assert_eq!(Optimizer::from_name(optimizer.name()), Some(optimizer));
        }
        assert_eq!(Optimizer::NAMES, ["sgd", "adam", "adamw"]);
        assert_eq!(
            Optimizer::from_name("adamw"),
            Some(Optimizer::adamw_default())
        );
    }
}
