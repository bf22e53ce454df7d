//! Initial parameter and statistic values, drawn in `state_dict` order
//! from one stream.

use netc_runtime::init::{init_linear_default_bias, init_weight};
use netc_runtime::rng::Rng;

use super::store::Store;
use crate::plan::{BufferKind, Initializer, Plan};

pub(crate) fn initialise(plan: &Plan, store: &mut Store, rng: &mut Rng) {
    for entry in &plan.state {
        let id = entry.buffer;
        if plan.buffer(id).kind == BufferKind::Counter {
            store.counters[id.0] = match entry.init {
                Initializer::Fill(value) => value as i64,
                _ => 0,
            };
            continue;
        }
        let values = store.get_mut(id, plan.batch);
        match entry.init {
            Initializer::Random {
                init,
                fan_in,
                fan_out,
            } => init_weight(&init, values, fan_in, fan_out, rng),
            Initializer::LinearDefaultBias { fan_in } => {
                init_linear_default_bias(values, fan_in, rng)
            }
            Initializer::Fill(value) => values.fill(value),
        }
    }
}
