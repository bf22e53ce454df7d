//! The training loop, its metrics and the gradient health checks.

mod fit;
mod health;
mod metrics;

pub use fit::{fit, EpochReport, Observer, StepProgress, TrainError, TrainSettings, TrainSummary};
pub use health::{
    diagnose, GradientStats, GradientSummary, HealthFinding, DYING_ZERO_FRACTION, EXPLODING_RATIO,
    VANISHING_FIRST_NORM, VANISHING_RATIO,
};
pub use metrics::{evaluate, EvalBuffers, MetricSums, Metrics, Task};
