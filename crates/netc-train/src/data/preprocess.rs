//! Imputation and standardisation, fitted on the training rows only so no
//! statistic of the validation rows leaks into training.

use super::{DataError, Table};

/// What to do with a missing feature cell (`--missing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingPolicy {
    /// Replace with the column's mean over the training rows.
    Mean,
    /// Leave out every row with a missing cell.
    Drop,
    /// Refuse the file, naming the first missing cell.
    Error,
}

impl MissingPolicy {
    pub fn name(self) -> &'static str {
        match self {
            MissingPolicy::Mean => "mean",
            MissingPolicy::Drop => "drop",
            MissingPolicy::Error => "error",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "mean" => Some(MissingPolicy::Mean),
            "drop" => Some(MissingPolicy::Drop),
            "error" => Some(MissingPolicy::Error),
            _ => None,
        }
    }
}

/// The fitted feature transform, enough to apply it again to new data (a
/// checkpoint stores it beside the weights).
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessing {
    /// Feature columns, in the order the model's input reads them.
    pub features: Vec<String>,
    pub target: String,
    pub missing: MissingPolicy,
    /// Per feature: the value a missing cell becomes (the training mean).
    pub impute: Vec<f64>,
    /// Per feature: subtracted before dividing by `scale`; 0 when
    /// standardisation is off.
    pub center: Vec<f64>,
    /// Per feature: the training standard deviation, 1 when
    /// standardisation is off or the column is constant (it is then only
    /// centred: dividing by zero would make every value non-finite).
    pub scale: Vec<f64>,
}

impl Preprocessing {
    /// Fits on `rows` of `table` for the feature columns `feature_idx`.
    pub fn fit(
        table: &Table,
        rows: &[usize],
        feature_idx: &[usize],
        target: &str,
        missing: MissingPolicy,
        standardize: bool,
    ) -> Preprocessing {
        let n = feature_idx.len();
        let mut impute = vec![0.0; n];
        for (f, &col) in feature_idx.iter().enumerate() {
            let (sum, count) = rows
                .iter()
                .map(|&r| table.row(r)[col])
                .filter(|v| !v.is_nan())
                .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
            // A column with no value in the training rows imputes 0.
            impute[f] = if count > 0 { sum / count as f64 } else { 0.0 };
        }
        let mut center = vec![0.0; n];
        let mut scale = vec![1.0; n];
        if standardize && !rows.is_empty() {
            for (f, &col) in feature_idx.iter().enumerate() {
                let value = |r: usize| {
                    let v = table.row(r)[col];
                    if v.is_nan() {
                        impute[f]
                    } else {
                        v
                    }
                };
                let mean = rows.iter().map(|&r| value(r)).sum::<f64>() / rows.len() as f64;
                // Population variance, as sklearn's StandardScaler.
                let var = rows.iter().map(|&r| (value(r) - mean).powi(2)).sum::<f64>()
                    / rows.len() as f64;
                center[f] = mean;
                let std = var.sqrt();
                if std > f64::EPSILON * mean.abs().max(1.0) {
                    scale[f] = std;
                }
            }
        }
        Preprocessing {
            features: feature_idx
                .iter()
                .map(|&i| table.columns[i].clone())
                .collect(),
            target: target.to_string(),
            missing,
            impute,
            center,
            scale,
        }
    }

    /// Transforms one row's features (selected by `feature_idx`) into
    /// `out`; a missing cell is imputed (the caller has already applied
    /// `Drop`/`Error`).
    pub fn transform_into(&self, row: &[f64], feature_idx: &[usize], out: &mut [f32]) {
        for (f, &col) in feature_idx.iter().enumerate() {
            let v = row[col];
            let v = if v.is_nan() { self.impute[f] } else { v };
            out[f] = ((v - self.center[f]) / self.scale[f]) as f32;
        }
    }

    /// The columns of `table` holding this transform's features.
    pub fn feature_indices(&self, table: &Table) -> Result<Vec<usize>, DataError> {
        self.features
            .iter()
            .map(|name| table.column_index(name))
            .collect()
    }
}
