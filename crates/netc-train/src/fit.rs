//! The training loop over `&mut dyn Network`, shared by the interpreter
//! and generated models.

use std::fmt;
use std::time::Instant;

use netc_ops::{LrSchedule, TrainConfig};
use netc_runtime::{Network, NonFinite};

use crate::data::{gather, BatchOrder, Dataset};
use crate::health::{diagnose, GradientStats, HealthFinding};
use crate::metrics::{evaluate, EvalBuffers, Metrics, Task};

/// Everything the loop needs besides the network and the data.
#[derive(Debug, Clone)]
pub struct TrainSettings {
    pub epochs: usize,
    pub batch: usize,
    /// The base learning rate the schedule starts from.
    pub lr: f64,
    pub schedule: Option<LrSchedule>,
    /// Reshuffle the training rows every epoch (else file order).
    pub shuffle: bool,
    pub seed: u64,
    pub task: Task,
    /// The linear layers' weight names in forward order, for the gradient
    /// health checks.
    pub layer_weights: Vec<String>,
}

impl TrainSettings {
    /// A model's train block run as `netc train` runs it by default: its
    /// epochs, batch, learning rate, schedule and seed, reshuffled every
    /// epoch. A batch larger than the `train_rows` becomes one batch of
    /// every row, as a PyTorch `DataLoader` does.
    pub fn for_config(
        config: &TrainConfig,
        task: Task,
        train_rows: usize,
        layer_weights: Vec<String>,
    ) -> TrainSettings {
        TrainSettings {
            epochs: config.epochs,
            batch: config.batch.min(train_rows).max(1),
            lr: config.optimizer.lr(),
            schedule: config.lr_schedule,
            shuffle: true,
            seed: config.seed,
            task,
            layer_weights,
        }
    }
}

/// One step's progress, for a progress bar.
#[derive(Debug, Clone, Copy)]
pub struct StepProgress {
    /// 1-based.
    pub epoch: usize,
    pub epochs: usize,
    /// 1-based.
    pub step: usize,
    pub steps: usize,
    pub loss: f32,
    /// Rows in this step's batch.
    pub rows: usize,
}

/// What one epoch measured.
#[derive(Debug, Clone, PartialEq)]
pub struct EpochReport {
    /// 1-based.
    pub epoch: usize,
    pub lr: f64,
    /// `loss` is the mean of the epoch's step losses (train mode, weighted
    /// by batch rows, before each update); the other metrics re-evaluate
    /// the training rows in eval mode after the epoch, because
    /// `train_step` returns no outputs.
    pub train: Metrics,
    pub val: Option<Metrics>,
    /// Mean gradient L2 norm per parameter over the epoch's steps.
    pub grad_norm: Vec<(String, f64)>,
    pub health: Vec<HealthFinding>,
    pub seconds: f64,
}

/// The whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainSummary {
    pub epochs: Vec<EpochReport>,
    /// 1-based epoch with the lowest validation loss (training loss when
    /// there is no validation split).
    pub best_epoch: usize,
}

impl TrainSummary {
    pub fn last(&self) -> Option<&EpochReport> {
        self.epochs.last()
    }

    /// The report of [`TrainSummary::best_epoch`]; the first epoch's when
    /// no loss compared lower than infinity.
    pub fn best(&self) -> Option<&EpochReport> {
        self.epochs.get(self.best_epoch.saturating_sub(1))
    }
}

/// Sees progress as the loop runs; both methods default to nothing.
pub trait Observer {
    fn on_step(&mut self, _progress: &StepProgress) {}
    fn on_epoch(&mut self, _report: &EpochReport) {}
}

/// An observer that ignores everything.
impl Observer for () {}

#[derive(Debug, Clone, PartialEq)]
pub enum TrainError {
    /// A batch size of 0, or more rows than the training split has.
    Batch { batch: usize, rows: usize },
    /// The data does not fit the network.
    Width {
        what: &'static str,
        network: usize,
        data: usize,
    },
    /// A step's loss was NaN or infinite; training stopped there.
    NonFinite {
        epoch: usize,
        step: usize,
        loss: f32,
        at: Option<NonFinite>,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Batch { batch: 0, .. } => write!(f, "the batch size must be at least 1"),
            TrainError::Batch { batch, rows } => write!(
                f,
                "batch size {batch} is larger than the {rows} training rows"
            ),
            TrainError::Width {
                what,
                network,
                data,
            } => write!(f, "the network takes {network} {what}, the data has {data}"),
            TrainError::NonFinite {
                epoch,
                step,
                loss,
                at,
            } => {
                write!(
                    f,
                    "training diverged: loss {loss} at epoch {epoch}, step {step}"
                )?;
                match at {
                    Some(at) => write!(f, "; {at}"),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for TrainError {}

/// Trains `net` on `train` for `settings.epochs` epochs, evaluating on
/// `val` after each, and stops at the first non-finite loss.
pub fn fit(
    net: &mut dyn Network,
    train: &Dataset,
    val: Option<&Dataset>,
    settings: &TrainSettings,
    observer: &mut dyn Observer,
) -> Result<TrainSummary, TrainError> {
    check_shapes(net, train, val, settings.batch)?;
    let names: Vec<String> = net
        .parameter_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    let mut gradients = GradientStats::new(names);
    let mut order = BatchOrder::new(train.rows(), settings.shuffle, settings.seed);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    let mut eval_buffers = EvalBuffers::default();
    let steps = train.rows().div_ceil(settings.batch);
    // Grown per epoch: `--epochs` may be any count (a run can be cut
    // short), so reserving it up front could ask for terabytes.
    let mut reports = Vec::new();

    for epoch in 0..settings.epochs {
        let started = Instant::now();
        let lr = settings.schedule.map_or(settings.lr, |s| {
            s.lr_at(settings.lr, epoch, settings.epochs)
        });
        net.set_learning_rate(lr);
        let mut loss_sum = 0.0;
        for (step, rows) in order.next_epoch().chunks(settings.batch).enumerate() {
            gather(train, rows, &mut x, &mut y);
            let loss = net.train_step(&x, &y);
            if !loss.is_finite() {
                return Err(TrainError::NonFinite {
                    epoch: epoch + 1,
                    step: step + 1,
                    loss,
                    at: net.first_non_finite(),
                });
            }
            gradients.record(net);
            loss_sum += f64::from(loss) * rows.len() as f64;
            observer.on_step(&StepProgress {
                epoch: epoch + 1,
                epochs: settings.epochs,
                step: step + 1,
                steps,
                loss,
                rows: rows.len(),
            });
        }
        let gradient_summary = gradients.take();
        let mut train_metrics =
            evaluate(net, train, settings.task, settings.batch, &mut eval_buffers);
        train_metrics.loss = loss_sum / train.rows() as f64;
        let val_metrics =
            val.map(|v| evaluate(net, v, settings.task, settings.batch, &mut eval_buffers));
        let report = EpochReport {
            epoch: epoch + 1,
            lr,
            train: train_metrics,
            val: val_metrics,
            health: diagnose(&gradient_summary, &settings.layer_weights),
            grad_norm: gradient_summary.norms,
            seconds: started.elapsed().as_secs_f64(),
        };
        observer.on_epoch(&report);
        reports.push(report);
    }
    Ok(TrainSummary {
        best_epoch: best_epoch(&reports),
        epochs: reports,
    })
}

fn check_shapes(
    net: &dyn Network,
    train: &Dataset,
    val: Option<&Dataset>,
    batch: usize,
) -> Result<(), TrainError> {
    if batch == 0 || batch > train.rows() {
        return Err(TrainError::Batch {
            batch,
            rows: train.rows(),
        });
    }
    for data in std::iter::once(train).chain(val) {
        if data.width != net.input_width() {
            return Err(TrainError::Width {
                what: "input features",
                network: net.input_width(),
                data: data.width,
            });
        }
    }
    if net.target_width() != 1 {
        return Err(TrainError::Width {
            what: "target values per row",
            network: net.target_width(),
            data: 1,
        });
    }
    Ok(())
}

/// The epoch with the lowest validation loss (training loss without a
/// validation split); the earliest wins a tie.
fn best_epoch(reports: &[EpochReport]) -> usize {
    reports
        .iter()
        .map(|r| (r.epoch, r.val.map_or(r.train.loss, |v| v.loss)))
        .fold((0, f64::INFINITY), |(best, min), (epoch, loss)| {
            if loss < min {
                (epoch, loss)
            } else {
                (best, min)
            }
        })
        .0
}
