//! Data for training and prediction: CSV loading (plain or gzip), missing
//! values, the seeded train/validation split, standardisation and batches.

mod batches;
mod dataset;
mod error;
mod preprocess;
mod table;

pub use batches::{gather, BatchOrder};
pub use dataset::{features_for_prediction, prepare, DataOptions, Dataset, Prepared, TargetKind};
pub use error::DataError;
pub use preprocess::{MissingPolicy, Preprocessing};
pub use table::Table;
