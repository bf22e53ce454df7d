//! The benchmarked models and the random batches they train on.

use netc_ops::{Loss, TrainConfig};
use netc_runtime::Network;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One benchmarked model: a model file committed under `models/`.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// The name in reports and in the JSON lines.
    pub name: &'static str,
    /// The model file's text (exactly one model, with a train block).
    pub source: &'static str,
}

pub const WORKLOADS: &[Workload] = &[
    Workload {
        name: "seed",
        source: include_str!("../models/seed.nn"),
    },
    Workload {
        name: "mnist",
        source: include_str!("../models/mnist.nn"),
    },
    Workload {
        name: "deep",
        source: include_str!("../models/deep.nn"),
    },
    Workload {
        name: "wide",
        source: include_str!("../models/wide.nn"),
    },
    Workload {
        name: "lenet",
        source: include_str!("../models/lenet.nn"),
    },
];

/// Every executor sees the same data for a workload.
pub const DATA_SEED: u64 = 0;
/// Every executor starts from the same initial weights.
pub const WEIGHT_SEED: u64 = 0;

/// One batch of inputs and targets, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub rows: usize,
    pub x: Vec<f32>,
    pub y: Vec<f32>,
}

impl Batch {
    /// Inputs uniform in [-1, 1); targets valid for `loss`: class indices
    /// for cross_entropy, 0/1 labels for the binary losses, uniform values
    /// in [-1, 1) for the regression losses.
    pub fn random(
        rows: usize,
        input_width: usize,
        output_width: usize,
        loss: Loss,
        seed: u64,
    ) -> Batch {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let x = (0..rows * input_width)
            .map(|_| rng.gen_range(-1.0f32..1.0))
            .collect();
        let target_width = loss.target_width(output_width);
        let y = (0..rows * target_width)
            .map(|_| match loss {
                Loss::CrossEntropy => rng.gen_range(0..output_width.max(1)) as f32,
                Loss::Bce | Loss::BceWithLogits => f32::from(u8::from(rng.gen_bool(0.5))),
                Loss::Mse | Loss::L1 | Loss::Huber { .. } => rng.gen_range(-1.0f32..1.0),
            })
            .collect();
        Batch { rows, x, y }
    }

    /// A batch of the train block's size for `net`, drawn from
    /// [`DATA_SEED`], so every executor trains on the same rows.
    pub fn for_training(net: &dyn Network, config: &TrainConfig) -> Batch {
        Batch::random(
            config.batch,
            net.input_width(),
            net.output_width(),
            config.loss,
            DATA_SEED,
        )
    }

    /// The first `rows` rows (inputs only matter for inference).
    pub fn head(&self, rows: usize) -> &[f32] {
        let width = self.x.len() / self.rows.max(1);
        &self.x[..rows.min(self.rows) * width]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_names_its_model_file() {
        let names: Vec<_> = WORKLOADS.iter().map(|w| w.name).collect();
        assert_eq!(names, ["seed", "mnist", "deep", "wide", "lenet"]);
        for w in WORKLOADS {
            assert_eq!(w.source.matches("model ").count(), 1, "{}", w.name);
            assert!(w.source.contains("train {"), "{}", w.name);
        }
    }

    #[test]
    fn cross_entropy_targets_are_class_indices() {
        let batch = Batch::random(64, 3, 10, Loss::CrossEntropy, 1);
        assert_eq!(batch.x.len(), 64 * 3);
        assert_eq!(batch.y.len(), 64);
        assert!(batch
            .y
            .iter()
            .all(|&c| c.fract() == 0.0 && (0.0..10.0).contains(&c)));
        assert!(batch.y.contains(&9.0));
    }

    #[test]
    fn binary_targets_are_labels_and_inputs_in_range() {
        let batch = Batch::random(32, 9, 1, Loss::Bce, 1);
        assert!(batch.y.iter().all(|&t| t == 0.0 || t == 1.0));
        assert!(batch.y.contains(&0.0) && batch.y.contains(&1.0));
        assert!(batch.x.iter().all(|v| (-1.0..1.0).contains(v)));
    }

    #[test]
    fn regression_targets_have_the_output_width() {
        let batch = Batch::random(4, 2, 3, Loss::Mse, 1);
        assert_eq!(batch.y.len(), 12);
    }

    #[test]
    fn same_seed_same_batch() {
        let a = Batch::random(8, 4, 2, Loss::BceWithLogits, 7);
        assert_eq!(a, Batch::random(8, 4, 2, Loss::BceWithLogits, 7));
        assert_ne!(a, Batch::random(8, 4, 2, Loss::BceWithLogits, 8));
    }

    #[test]
    fn head_takes_whole_rows() {
        let batch = Batch::random(8, 4, 1, Loss::Bce, 0);
        assert_eq!(batch.head(1), &batch.x[..4]);
        assert_eq!(batch.head(100).len(), 32);
    }
}
