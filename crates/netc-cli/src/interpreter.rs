//! The interpreter `train` and `predict` run, built only when the model's
//! buffers fit in memory: a width the language accepts can still ask for
//! terabytes (`linear(1000000, 1000000)`), and an allocation that fails
//! aborts the process instead of reporting anything.

use netc_lang::ir::Model;
use netc_ops::TrainConfig;
use netc_plan::Interpreter;

use crate::failure::Failure;

/// The most a model's buffers may take: far above any model one core
/// trains in reasonable time, far below what makes the allocator abort.
const MEMORY_LIMIT: u64 = 8 << 30;

pub fn build(model: &Model, config: &TrainConfig, seed: u64) -> Result<Interpreter, Failure> {
    let plan = netc_plan::build_plan(model, config);
    let bytes = plan.memory_bytes(plan.batch.max(1));
    if bytes > MEMORY_LIMIT {
        return Err(Failure::input(format!(
            "model `{}` needs {} for its parameters, gradients, optimizer state and \
             activations at batch {}; netc refuses models over {}",
            model.name,
            size_text(bytes),
            plan.batch,
            size_text(MEMORY_LIMIT)
        )));
    }
    Ok(Interpreter::new(plan, seed))
}

fn size_text(bytes: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    match bytes {
        u64::MAX => "more memory than 64-bit addresses reach".to_string(),
        _ => format!("{:.1} GiB", bytes as f64 / GIB),
    }
}
