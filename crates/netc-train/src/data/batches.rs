//! The order rows are visited in each epoch and gathering a batch.

use rand::seq::SliceRandom;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::Dataset;

/// The ChaCha stream epoch shuffles draw from (the split uses another).
const BATCH_STREAM: u64 = 2;

/// Row order per epoch: file order, or a fresh seeded permutation each
/// epoch, as a PyTorch `DataLoader(shuffle=True)` with a seeded generator.
#[derive(Debug, Clone)]
pub struct BatchOrder {
    order: Vec<usize>,
    rng: Option<ChaCha8Rng>,
}

impl BatchOrder {
    pub fn new(rows: usize, shuffle: bool, seed: u64) -> Self {
        let rng = shuffle.then(|| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(BATCH_STREAM);
            rng
        });
        BatchOrder {
            order: (0..rows).collect(),
            rng,
        }
    }

    /// The next epoch's row order. Shuffles permute the previous order, so
    /// the sequence depends only on the seed.
    pub fn next_epoch(&mut self) -> &[usize] {
        if let Some(rng) = &mut self.rng {
            self.order.shuffle(rng);
        }
        &self.order
    }
}

/// Copies the rows `idx` of `data` into `x` and `y` (reusing their
/// allocations).
pub fn gather(data: &Dataset, idx: &[usize], x: &mut Vec<f32>, y: &mut Vec<f32>) {
    x.clear();
    y.clear();
    for &r in idx {
        x.extend_from_slice(data.features(r));
        y.push(data.y[r]);
    }
}
