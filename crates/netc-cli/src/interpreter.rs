//! The interpreter `train` and `predict` run, built only when the model's
//! buffers fit in memory: a width the language accepts can still ask for
//! terabytes (`linear(1000000, 1000000)`), and an allocation that fails
//! aborts the process instead of reporting anything.

use netc_lang::ValidModel;
use netc_ops::TrainConfig;
use netc_plan::{Interpreter, PlanError, ValidPlan};

use crate::failure::Failure;

/// The most a model's buffers may take: far above any model one core
/// trains in reasonable time, far below what makes the allocator abort.
const MEMORY_LIMIT: u64 = 8 << 30;

/// The interpreter for `plan`, its buffers sized for at most `rows` rows
/// a step (the plan's batch may be larger than the data ever gives).
pub fn build(mut plan: ValidPlan, rows: usize, seed: u64) -> Result<Interpreter, Failure> {
    plan.set_batch(plan.batch.min(rows));
    let bytes = plan.memory_bytes(plan.batch);
    if bytes > MEMORY_LIMIT {
        return Err(Failure::input(format!(
            "model `{}` needs {} for its parameters, gradients, optimizer state and \
             activations at batch {}; netc refuses models over {}",
            plan.model,
            size_text(bytes),
            plan.batch,
            size_text(MEMORY_LIMIT)
        )));
    }
    Ok(Interpreter::new(plan, seed))
}

/// How many copies of `net` (itself included, at most `wanted`) stay
/// together under the limit `build` holds one model to: each copy holds
/// all its buffers.
pub fn copies_that_fit(net: &Interpreter, wanted: usize) -> usize {
    let plan = net.plan();
    let bytes = plan.memory_bytes(plan.batch).max(1);
    wanted
        .min((MEMORY_LIMIT / bytes).try_into().unwrap_or(usize::MAX))
        .max(1)
}

/// The Plan of a checked model.
pub fn plan(model: &ValidModel, config: &TrainConfig) -> Result<ValidPlan, Failure> {
    netc_plan::build_plan(model, config).map_err(internal)
}

/// A Plan the validator refuses is netc's bug, not the model's.
fn internal(error: PlanError) -> Failure {
    Failure::input(format!(
        "internal error: netc compiled an invalid plan ({error}); please report it with the model file"
    ))
}

fn size_text(bytes: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    match bytes {
        u64::MAX => "more memory than 64-bit addresses reach".to_string(),
        _ => format!("{:.1} GiB", bytes as f64 / GIB),
    }
}
