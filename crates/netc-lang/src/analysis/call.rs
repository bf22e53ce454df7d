//! A layer call as the analysis sees it: what each layer kind's rule
//! (`crate::layers`) reads.

use netc_ops::image::{ImageShape, Pool2dGeometry};
use netc_ops::scalar::ScalarActivation;

use super::moments::MomentCache;
use super::pooling;
use super::stats::ValueStats;

/// A layer call as the analysis sees it: its argument's statistics and
/// shape, the activation that made the argument (with that
/// activation's input), and the moments cache. Each kind's rule
/// (`crate::layers`) reads it.
pub(crate) struct CallStats<'a> {
    /// The argument's statistics.
    pub x: ValueStats,
    /// The argument's image shape (a flat one only in a model with
    /// errors).
    pub image: Option<ImageShape>,
    pub source: Option<(ScalarActivation, ValueStats)>,
    pub cache: &'a mut MomentCache,
}

impl CallStats<'_> {
    /// A max or average pooling's rule, over the windows `geometry`
    /// gives the argument's image.
    pub fn pool(
        &mut self,
        geometry: impl FnOnce(ImageShape) -> Pool2dGeometry,
    ) -> (ValueStats, f64) {
        match self.image {
            Some(image) => pooling::pool(self.x, &geometry(image), self.source, self.cache),
            None => (self.x, 1.0),
        }
    }

    /// An adaptive average pooling's rule, to `output_size`.
    pub fn adaptive_average(&mut self, output_size: (usize, usize)) -> (ValueStats, f64) {
        match self.image {
            Some(image) => {
                let cover = pooling::adaptive_cover(output_size, image);
                pooling::average(self.x, self.source, cover)
            }
            None => (self.x, 1.0),
        }
    }
}
