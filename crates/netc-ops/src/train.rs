use crate::{Loss, LrSchedule, Optimizer};

/// A model's `train { ... }` block with every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    pub loss: Loss,
    pub optimizer: Optimizer,
    pub batch: usize,
    pub epochs: usize,
    pub clip_grad_norm: Option<f64>,
    pub seed: u64,
    pub lr_schedule: Option<LrSchedule>,
    /// CSV path relative to the model file.
    pub data: Option<String>,
    /// Target column; `None` means the last column.
    pub target: Option<String>,
}

impl TrainConfig {
    pub const KEYS: &'static [&'static str] = &[
        "loss",
        "optimizer",
        "batch",
        "epochs",
        "clip_grad_norm",
        "seed",
        "lr_schedule",
        "data",
        "target",
    ];
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            loss: Loss::Mse,
            optimizer: Optimizer::adam_default(),
            batch: 32,
            epochs: 10,
            clip_grad_norm: None,
            seed: 0,
            lr_schedule: None,
            data: None,
            target: None,
        }
    }
}
