//! What several modules of this binary share.

use netc::ops::Loss;
use netc::runtime::rng::Rng;

/// A batch of inputs and valid targets for `loss`.
pub fn batch(
    rng: &mut Rng,
    rows: usize,
    inputs: usize,
    outputs: usize,
    loss: Loss,
) -> (Vec<f32>, Vec<f32>) {
    let x = (0..rows * inputs).map(|_| rng.normal() as f32).collect();
    let y = match loss {
        Loss::CrossEntropy => (0..rows)
            .map(|_| rng.below(outputs as u64) as f32)
            .collect(),
        Loss::Bce | Loss::BceWithLogits => (0..rows * outputs)
            .map(|_| f32::from(u8::from(rng.next_f32_uniform() < 0.5)))
            .collect(),
        _ => (0..rows * outputs).map(|_| rng.normal() as f32).collect(),
    };
    (x, y)
}
