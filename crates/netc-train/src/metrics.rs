//! Loss, accuracy, binary precision/recall/F1 and regression RMSE/R² over
//! a dataset in eval mode.

use netc_ops::Loss;
use netc_runtime::Network;

use crate::data::{Dataset, TargetKind};

/// What the model's output means, which decides the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    /// One output: a probability (`bce`) or a logit (`bce_with_logits`).
    Binary {
        logits: bool,
    },
    /// `classes` logits, class-index targets (`cross_entropy`).
    Multiclass {
        classes: usize,
    },
    Regression,
}

impl Task {
    pub fn for_loss(loss: Loss, output_width: usize) -> Task {
        match loss {
            Loss::Bce => Task::Binary { logits: false },
            Loss::BceWithLogits => Task::Binary { logits: true },
            Loss::CrossEntropy => Task::Multiclass {
                classes: output_width,
            },
            Loss::Mse | Loss::L1 | Loss::Huber { .. } => Task::Regression,
        }
    }

    pub fn target_kind(self) -> TargetKind {
        match self {
            Task::Binary { .. } => TargetKind::Binary,
            Task::Multiclass { classes } => TargetKind::Classes(classes),
            Task::Regression => TargetKind::Value,
        }
    }

    /// Binary metrics apply to a binary output and to two-class softmax
    /// (class 1 is the positive class in both).
    fn is_binary(self) -> bool {
        matches!(self, Task::Binary { .. } | Task::Multiclass { classes: 2 })
    }

    /// The class an output row predicts.
    fn predicted_class(self, out: &[f32]) -> usize {
        match self {
            Task::Binary { logits: false } => usize::from(out[0] >= 0.5),
            Task::Binary { logits: true } => usize::from(out[0] >= 0.0),
            Task::Multiclass { .. } | Task::Regression => {
                out.iter()
                    .enumerate()
                    .fold((0, f32::NEG_INFINITY), |(best, max), (i, &v)| {
                        if v > max {
                            (i, v)
                        } else {
                            (best, max)
                        }
                    })
                    .0
            }
        }
    }
}

/// Metrics of one pass over a dataset; the fields that do not apply to
/// the task are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Metrics {
    pub loss: f64,
    pub accuracy: Option<f64>,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub f1: Option<f64>,
    pub rmse: Option<f64>,
    pub r2: Option<f64>,
}

/// Sums over rows from which the metrics are computed at the end.
#[derive(Debug, Clone)]
pub struct MetricSums {
    task: Task,
    rows: usize,
    loss_sum: f64,
    correct: usize,
    true_pos: usize,
    false_pos: usize,
    false_neg: usize,
    squared_error: f64,
    target_sum: f64,
    target_square_sum: f64,
}

impl MetricSums {
    pub fn new(task: Task) -> Self {
        MetricSums {
            task,
            rows: 0,
            loss_sum: 0.0,
            correct: 0,
            true_pos: 0,
            false_pos: 0,
            false_neg: 0,
            squared_error: 0.0,
            target_sum: 0.0,
            target_square_sum: 0.0,
        }
    }

    /// Adds a batch: `out` is `[rows, width]`, `y` one target per row,
    /// `mean_loss` the batch's mean loss.
    pub fn add(&mut self, out: &[f32], y: &[f32], width: usize, mean_loss: f64) {
        self.loss_sum += mean_loss * y.len() as f64;
        self.rows += y.len();
        for (row, &target) in out.chunks_exact(width).zip(y) {
            match self.task {
                Task::Regression => {
                    let target = f64::from(target);
                    self.squared_error += (f64::from(row[0]) - target).powi(2);
                    self.target_sum += target;
                    self.target_square_sum += target * target;
                }
                task => {
                    let predicted = task.predicted_class(row);
                    let actual = target as usize;
                    self.correct += usize::from(predicted == actual);
                    match (predicted == 1, actual == 1) {
                        (true, true) => self.true_pos += 1,
                        (true, false) => self.false_pos += 1,
                        (false, true) => self.false_neg += 1,
                        (false, false) => {}
                    }
                }
            }
        }
    }

    pub fn finish(&self) -> Metrics {
        let n = self.rows.max(1) as f64;
        let mut metrics = Metrics {
            loss: self.loss_sum / n,
            ..Metrics::default()
        };
        match self.task {
            Task::Regression => {
                metrics.rmse = Some((self.squared_error / n).sqrt());
                let total = self.target_square_sum - self.target_sum * self.target_sum / n;
                // sklearn's convention for a constant target: 1 if the fit
                // is perfect, else 0.
                metrics.r2 = Some(if total > 0.0 {
                    1.0 - self.squared_error / total
                } else if self.squared_error == 0.0 {
                    1.0
                } else {
                    0.0
                });
            }
            task => {
                metrics.accuracy = Some(self.correct as f64 / n);
                if task.is_binary() {
                    // sklearn's zero_division=0: no positive prediction (or
                    // no positive row) gives 0, not NaN.
                    let ratio = |num: usize, den: usize| {
                        if den == 0 {
                            0.0
                        } else {
                            num as f64 / den as f64
                        }
                    };
                    let precision = ratio(self.true_pos, self.true_pos + self.false_pos);
                    let recall = ratio(self.true_pos, self.true_pos + self.false_neg);
                    let f1 = if precision + recall > 0.0 {
                        2.0 * precision * recall / (precision + recall)
                    } else {
                        0.0
                    };
                    metrics.precision = Some(precision);
                    metrics.recall = Some(recall);
                    metrics.f1 = Some(f1);
                }
            }
        }
        metrics
    }
}

/// Reused buffers for [`evaluate`], so evaluating every epoch allocates
/// only the first time.
#[derive(Debug, Default)]
pub struct EvalBuffers {
    out: Vec<f32>,
}

/// Eval-mode metrics of `net` on `data`, in batches of `batch` rows.
pub fn evaluate(
    net: &mut dyn Network,
    data: &Dataset,
    task: Task,
    batch: usize,
    buffers: &mut EvalBuffers,
) -> Metrics {
    let width = net.output_width();
    let mut sums = MetricSums::new(task);
    let batch = batch.max(1);
    for start in (0..data.rows()).step_by(batch) {
        let end = (start + batch).min(data.rows());
        let x = &data.x[start * data.width..end * data.width];
        let y = &data.y[start..end];
        buffers.out.resize((end - start) * width, 0.0);
        net.predict(x, &mut buffers.out);
        let loss = f64::from(net.loss(&buffers.out, y));
        sums.add(&buffers.out, y, width, loss);
    }
    sums.finish()
}
