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
    pub const NAMES: &'static [&'static str] = &["sgd", "adam", "adamw"];

    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd { .. } => "sgd",
            Optimizer::Adam { .. } => "adam",
            Optimizer::AdamW { .. } => "adamw",
        }
    }

    pub fn sgd_default() -> Self {
        Optimizer::Sgd {
            lr: 1e-3,
            momentum: 0.0,
            nesterov: false,
            weight_decay: 0.0,
        }
    }

    pub fn adam_default() -> Self {
        Optimizer::Adam {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }

    pub fn adamw_default() -> Self {
        Optimizer::AdamW {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 1e-2,
        }
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
    /// `StepLR(step_size, gamma=0.1)`.
    Step { step_size: usize, gamma: f64 },
    /// `CosineAnnealingLR(T_max, eta_min=0)`; `t_max` defaults to the epochs.
    Cosine { t_max: Option<usize>, eta_min: f64 },
}

impl LrSchedule {
    pub const NAMES: &'static [&'static str] = &["step", "cosine"];

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
