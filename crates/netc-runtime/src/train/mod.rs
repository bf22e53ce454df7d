//! The training loop, its metrics, the gradient health checks and the
//! text lines that report them.

mod fit;
mod health;
mod metrics;
pub mod text;

pub use fit::{fit, EpochReport, Observer, StepProgress, TrainError, TrainSettings, TrainSummary};
pub use health::{
    diagnose, GradientStats, GradientSummary, HealthFinding, DYING_ZERO_FRACTION, EXPLODING_RATIO,
    VANISHING_FIRST_NORM, VANISHING_RATIO,
};
pub use metrics::{evaluate, EvalBuffers, MetricSums, Metrics, Task};
