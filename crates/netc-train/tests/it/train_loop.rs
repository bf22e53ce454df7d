//! The training loop against a real (if small) network: a linear layer
//! `fc` with a logistic, softmax or squared-error loss and plain SGD.

use netc_ops::{Loss, LrSchedule};
use netc_runtime::{BatchError, Network, NonFinite, TensorData, TensorRef, WeightError};
use netc_train::data::Dataset;
use netc_train::{fit, EpochReport, Observer, StepProgress, Task, TrainError, TrainSettings};

/// `fc = linear(inputs, outputs)` trained with SGD on one of three losses.
struct LinearModel {
    inputs: usize,
    outputs: usize,
    loss: Loss,
    lr: f64,
    weight: Vec<f32>,
    bias: Vec<f32>,
    weight_grad: Vec<f32>,
    bias_grad: Vec<f32>,
    shapes: [Vec<usize>; 2],
    non_finite: Option<NonFinite>,
}

impl LinearModel {
    fn new(inputs: usize, outputs: usize, loss: Loss, lr: f64) -> Self {
        // A fixed, asymmetric start so softmax units differ.
        let weight = (0..inputs * outputs)
            .map(|i| 0.01 * ((i * 7 % 5) as f32 - 2.0))
            .collect();
        LinearModel {
            inputs,
            outputs,
            loss,
            lr,
            weight,
            bias: vec![0.0; outputs],
            weight_grad: vec![0.0; inputs * outputs],
            bias_grad: vec![0.0; outputs],
            shapes: [vec![outputs, inputs], vec![outputs]],
            non_finite: None,
        }
    }

    fn forward(&self, x: &[f32], out: &mut [f32]) {
        for (xr, or) in x
            .chunks_exact(self.inputs)
            .zip(out.chunks_exact_mut(self.outputs))
        {
            for (o, value) in or.iter_mut().enumerate() {
                let w = &self.weight[o * self.inputs..(o + 1) * self.inputs];
                *value = self.bias[o] + w.iter().zip(xr).map(|(a, b)| a * b).sum::<f32>();
            }
        }
    }

    /// Mean loss and, into `dz`, its gradient with respect to `out`.
    fn loss_and_grad(&self, out: &[f32], y: &[f32], dz: &mut [f32]) -> f32 {
        let n = y.len() as f32;
        let mut total = 0.0;
        for ((z, d), &t) in out
            .chunks_exact(self.outputs)
            .zip(dz.chunks_exact_mut(self.outputs))
            .zip(y)
        {
            match self.loss {
                Loss::BceWithLogits => {
                    let z0 = z[0];
                    total += z0.max(0.0) - z0 * t + (-z0.abs()).exp().ln_1p();
                    d[0] = (1.0 / (1.0 + (-z0).exp()) - t) / n;
                }
                Loss::CrossEntropy => {
                    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let sum: f32 = z.iter().map(|v| (v - max).exp()).sum();
                    total += sum.ln() + max - z[t as usize];
                    for (k, dk) in d.iter_mut().enumerate() {
                        let p = (z[k] - max).exp() / sum;
                        *dk = (p - f32::from(k == t as usize)) / n;
                    }
                }
                _ => {
                    let e = z[0] - t;
                    total += e * e;
                    d[0] = 2.0 * e / n;
                }
            }
        }
        total / n
    }
}

impl LinearModel {
    /// One plain SGD step.
    fn step(&mut self, x: &[f32], y: &[f32]) -> f32 {
        let mut out = vec![0.0; y.len() * self.outputs];
        self.forward(x, &mut out);
        if out.iter().any(|v| !v.is_finite()) {
            self.non_finite = Some(NonFinite {
                location: "fc".into(),
            });
            return f32::NAN;
        }
        let mut dz = vec![0.0; out.len()];
        let loss = self.loss_and_grad(&out, y, &mut dz);
        if !loss.is_finite() {
            self.non_finite = Some(NonFinite {
                location: "loss".into(),
            });
            return loss;
        }
        self.weight_grad.fill(0.0);
        self.bias_grad.fill(0.0);
        for (xr, dr) in x
            .chunks_exact(self.inputs)
            .zip(dz.chunks_exact(self.outputs))
        {
            for (o, &d) in dr.iter().enumerate() {
                self.bias_grad[o] += d;
                for (g, &xi) in self.weight_grad[o * self.inputs..(o + 1) * self.inputs]
                    .iter_mut()
                    .zip(xr)
                {
                    *g += d * xi;
                }
            }
        }
        let lr = self.lr as f32;
        for (w, g) in self.weight.iter_mut().zip(&self.weight_grad) {
            *w -= lr * g;
        }
        for (b, g) in self.bias.iter_mut().zip(&self.bias_grad) {
            *b -= lr * g;
        }
        loss
    }
}

impl Network for LinearModel {
    fn input_width(&self) -> usize {
        self.inputs
    }
    fn output_width(&self) -> usize {
        self.outputs
    }
    fn target_width(&self) -> usize {
        self.loss.target_width(self.outputs)
    }
    fn max_batch(&self) -> usize {
        usize::MAX
    }
    fn try_train_step(&mut self, x: &[f32], y: &[f32]) -> Result<f32, BatchError> {
        Ok(self.step(x, y))
    }
    fn try_predict(&mut self, x: &[f32], out: &mut [f32]) -> Result<(), BatchError> {
        self.forward(x, out);
        Ok(())
    }
    fn loss(&self, out: &[f32], y: &[f32]) -> f32 {
        let mut dz = vec![0.0; out.len()];
        self.loss_and_grad(out, y, &mut dz)
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }
    fn state_dict(&self) -> Vec<TensorRef<'_>> {
        vec![
            TensorRef {
                name: "fc.weight",
                shape: &self.shapes[0],
                data: TensorData::F32(&self.weight),
            },
            TensorRef {
                name: "fc.bias",
                shape: &self.shapes[1],
                data: TensorData::F32(&self.bias),
            },
        ]
    }
    fn load_state_dict(&mut self, _tensors: &[TensorRef<'_>]) -> Result<(), WeightError> {
        Err(WeightError::Missing {
            name: "fc.weight".into(),
        })
    }
    fn parameter(&self, name: &str) -> Option<&[f32]> {
        match name {
            "fc.weight" => Some(&self.weight),
            "fc.bias" => Some(&self.bias),
            _ => None,
        }
    }
    fn parameter_mut(&mut self, name: &str) -> Option<&mut [f32]> {
        match name {
            "fc.weight" => Some(&mut self.weight),
            "fc.bias" => Some(&mut self.bias),
            _ => None,
        }
    }
    fn gradient(&self, name: &str) -> Option<&[f32]> {
        match name {
            "fc.weight" => Some(&self.weight_grad),
            "fc.bias" => Some(&self.bias_grad),
            _ => None,
        }
    }
    fn parameter_names(&self) -> Vec<&str> {
        vec!["fc.weight", "fc.bias"]
    }
    fn first_non_finite(&self) -> Option<NonFinite> {
        self.non_finite.clone()
    }
}

/// Two features; the class is whether their sum is positive (with a
/// margin, so it is separable).
fn separable(rows: usize, offset: usize) -> Dataset {
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..rows {
        let a = (((i + offset) * 37 % 101) as f32 - 50.0) / 25.0;
        let b = (((i + offset) * 53 % 97) as f32 - 48.0) / 24.0;
        let class = a + b > 0.0;
        let push = if class { 0.3 } else { -0.3 };
        x.extend_from_slice(&[a + push, b + push]);
        y.push(f32::from(u8::from(class)));
    }
    Dataset { x, y, width: 2 }
}

fn settings(task: Task, epochs: usize, batch: usize) -> TrainSettings {
    TrainSettings {
        epochs,
        batch,
        lr: 0.5,
        schedule: None,
        shuffle: true,
        seed: 3,
        task,
        layer_weights: vec!["fc.weight".into()],
    }
}

#[derive(Default)]
struct Recorder {
    steps: Vec<StepProgress>,
    epochs: Vec<EpochReport>,
}

impl Observer for Recorder {
    fn on_step(&mut self, progress: &StepProgress) {
        self.steps.push(*progress);
    }
    fn on_epoch(&mut self, report: &EpochReport) {
        self.epochs.push(report.clone());
    }
}

#[test]
fn logistic_regression_learns_a_separable_problem() {
    let (train, val) = (separable(200, 0), separable(50, 1000));
    let mut net = LinearModel::new(2, 1, Loss::BceWithLogits, 0.5);
    let task = Task::Binary { logits: true };
    let mut recorder = Recorder::default();
    let summary = fit(
        &mut net,
        &train,
        Some(&val),
        &settings(task, 20, 16),
        &mut recorder,
    )
    .expect("training runs");
    let first = &summary.epochs[0];
    let last = summary.last().expect("20 epochs");
    assert!(
        last.train.loss < first.train.loss / 2.0,
        "{} vs {}",
        last.train.loss,
        first.train.loss
    );
    let val_metrics = last.val.expect("validation metrics");
    assert!(
        val_metrics.accuracy.expect("accuracy") >= 0.95,
        "{val_metrics:?}"
    );
    assert!(val_metrics.f1.expect("binary f1") >= 0.95);
    assert_eq!(val_metrics.rmse, None);
    // 200 rows in batches of 16: 12 full batches and one of 8.
    assert_eq!(recorder.steps.len(), 20 * 13);
    assert_eq!(recorder.steps[12].rows, 8);
    assert_eq!(recorder.epochs, summary.epochs);
}

#[test]
fn softmax_regression_learns_and_reports_multiclass_metrics() {
    let train = separable(200, 0);
    let mut net = LinearModel::new(2, 3, Loss::CrossEntropy, 0.5);
    let task = Task::Multiclass { classes: 3 };
    let summary =
        fit(&mut net, &train, None, &settings(task, 20, 32), &mut ()).expect("training runs");
    let last = summary.last().expect("epochs");
    assert!(last.train.accuracy.expect("accuracy") >= 0.95);
    assert_eq!(
        last.train.precision, None,
        "three classes: no binary metrics"
    );
    assert!(last.val.is_none());
}

#[test]
fn linear_regression_reports_rmse_and_r2() {
    let mut train = separable(100, 0);
    // y = 2a - b + 1
    train.y = train.x.chunks(2).map(|r| 2.0 * r[0] - r[1] + 1.0).collect();
    let mut net = LinearModel::new(2, 1, Loss::Mse, 0.03);
    let s = TrainSettings {
        lr: 0.03,
        ..settings(Task::Regression, 100, 10)
    };
    let summary = fit(&mut net, &train, None, &s, &mut ()).expect("training runs");
    let last = summary.last().expect("epochs");
    assert!(last.train.rmse.expect("rmse") < 0.01, "{:?}", last.train);
    assert!(last.train.r2.expect("r2") > 0.999);
    assert_eq!(last.train.accuracy, None);
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let (train, val) = (separable(100, 0), separable(30, 500));
    let run = |seed| {
        let mut net = LinearModel::new(2, 1, Loss::BceWithLogits, 0.5);
        let s = TrainSettings {
            seed,
            ..settings(Task::Binary { logits: true }, 3, 8)
        };
        let mut summary = fit(&mut net, &train, Some(&val), &s, &mut ()).expect("runs");
        for e in &mut summary.epochs {
            e.seconds = 0.0;
        }
        summary
    };
    assert_eq!(run(5), run(5));
    assert_ne!(
        run(5),
        run(6),
        "another seed visits batches in another order"
    );
}

#[test]
fn gradient_norm_is_the_mean_over_steps() {
    let train = separable(64, 0);
    let mut net = LinearModel::new(2, 1, Loss::BceWithLogits, 0.5);
    // One step per epoch: the mean is that step's norm.
    let summary = fit(
        &mut net,
        &train,
        None,
        &settings(Task::Binary { logits: true }, 1, 64),
        &mut (),
    )
    .expect("runs");
    let norm: f64 = net
        .gradient("fc.weight")
        .expect("gradient")
        .iter()
        .map(|&g| f64::from(g).powi(2))
        .sum::<f64>()
        .sqrt();
    let reported = &summary.epochs[0].grad_norm;
    assert_eq!(reported[0].0, "fc.weight");
    assert!((reported[0].1 - norm).abs() < 1e-12 && norm > 0.0);
    assert_eq!(reported[1].0, "fc.bias");
}

#[test]
fn the_schedule_sets_each_epochs_learning_rate() {
    let train = separable(32, 0);
    let mut net = LinearModel::new(2, 1, Loss::BceWithLogits, 0.5);
    let s = TrainSettings {
        schedule: Some(LrSchedule::Step {
            step_size: 2,
            gamma: 0.1,
        }),
        ..settings(Task::Binary { logits: true }, 5, 8)
    };
    let summary = fit(&mut net, &train, None, &s, &mut ()).expect("runs");
    let lrs: Vec<f64> = summary.epochs.iter().map(|e| e.lr).collect();
    let expected = [0.5, 0.5, 0.05, 0.05, 0.005];
    for (lr, want) in lrs.iter().zip(expected) {
        assert!((lr - want).abs() < 1e-12, "{lrs:?}");
    }
    assert!((net.learning_rate() - 0.005).abs() < 1e-12);
}

#[test]
fn best_epoch_has_the_lowest_validation_loss() {
    let (train, val) = (separable(100, 0), separable(40, 300));
    let mut net = LinearModel::new(2, 1, Loss::BceWithLogits, 0.5);
    let summary = fit(
        &mut net,
        &train,
        Some(&val),
        &settings(Task::Binary { logits: true }, 8, 16),
        &mut (),
    )
    .expect("runs");
    let min = summary
        .epochs
        .iter()
        .map(|e| e.val.expect("val").loss)
        .fold(f64::INFINITY, f64::min);
    let best = &summary.epochs[summary.best_epoch - 1];
    assert_eq!(best.val.expect("val").loss, min);
}

#[test]
fn a_diverging_run_stops_and_names_where() {
    let mut train = separable(64, 0);
    train.y = train.x.chunks(2).map(|r| 1e3 * r[0]).collect();
    // A learning rate far past 2/λ_max makes SGD on MSE blow up.
    let mut net = LinearModel::new(2, 1, Loss::Mse, 50.0);
    let err = fit(
        &mut net,
        &train,
        None,
        &settings(Task::Regression, 100, 8),
        &mut (),
    )
    .expect_err("diverges");
    let TrainError::NonFinite { at, epoch, .. } = &err else {
        panic!("expected a non-finite stop, got {err}");
    };
    let location = at.as_ref().map(|a| a.location.as_str());
    assert!(matches!(location, Some("fc" | "loss")), "{location:?}");
    assert!(*epoch < 100);
    assert!(
        err.to_string().contains("non-finite value first in `"),
        "{err}"
    );
}

#[test]
fn an_epoch_count_no_run_could_finish_reserves_nothing_up_front() {
    let mut train = separable(64, 0);
    train.y = train.x.chunks(2).map(|r| 1e3 * r[0]).collect();
    let mut net = LinearModel::new(2, 1, Loss::Mse, 50.0);
    // Diverges within a few epochs, so the run ends with an error instead
    // of aborting on a reservation of `usize::MAX / 2` reports.
    let err = fit(
        &mut net,
        &train,
        None,
        &settings(Task::Regression, usize::MAX / 2, 8),
        &mut (),
    )
    .expect_err("diverges");
    assert!(matches!(err, TrainError::NonFinite { .. }), "{err}");
}

#[test]
fn batch_larger_than_the_data_is_refused() {
    let train = separable(10, 0);
    let mut net = LinearModel::new(2, 1, Loss::BceWithLogits, 0.5);
    let err = fit(
        &mut net,
        &train,
        None,
        &settings(Task::Binary { logits: true }, 1, 11),
        &mut (),
    )
    .expect_err("batch 11 > 10 rows");
    assert_eq!(
        err.to_string(),
        "batch size 11 is larger than the 10 training rows"
    );
}

#[test]
fn data_of_another_width_is_refused() {
    let train = separable(10, 0);
    let mut net = LinearModel::new(3, 1, Loss::BceWithLogits, 0.5);
    let err = fit(
        &mut net,
        &train,
        None,
        &settings(Task::Binary { logits: true }, 1, 5),
        &mut (),
    )
    .expect_err("2 features for a 3-input model");
    assert!(
        matches!(
            err,
            TrainError::Width {
                network: 3,
                data: 2,
                ..
            }
        ),
        "{err}"
    );
}
