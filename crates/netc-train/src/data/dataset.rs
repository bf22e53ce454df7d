//! From a table to training and validation tensors: target selection,
//! label checks, missing values, the seeded split and preprocessing.

use rand::seq::SliceRandom;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

use netc_ops::TrainConfig;

use super::{DataError, MissingPolicy, Preprocessing, Table};

/// The ChaCha stream the train/validation split draws from; batch order
/// uses another, so changing the epochs never changes the split.
pub(crate) const SPLIT_STREAM: u64 = 1;

/// How the target column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// 0 or 1 (bce, bce_with_logits).
    Binary,
    /// A class index `0..classes` (cross_entropy).
    Classes(usize),
    /// Any number (regression losses).
    Value,
}

/// Rows as the network reads them: row-major features and targets.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    /// `[rows, width]`.
    pub x: Vec<f32>,
    /// `[rows]`: one target per row.
    pub y: Vec<f32>,
    pub width: usize,
}

impl Dataset {
    pub fn rows(&self) -> usize {
        self.y.len()
    }

    pub fn features(&self, row: usize) -> &[f32] {
        &self.x[row * self.width..(row + 1) * self.width]
    }
}

#[derive(Debug, Clone)]
pub struct DataOptions {
    /// Target column name; `None` = the last column.
    pub target: Option<String>,
    pub target_kind: TargetKind,
    /// Features the model's input takes.
    pub input_width: usize,
    pub missing: MissingPolicy,
    pub standardize: bool,
    /// Fraction of rows held out for validation, in `[0, 1)`.
    pub val_split: f64,
    /// Shuffle the rows before splitting.
    pub shuffle: bool,
    pub seed: u64,
}

impl DataOptions {
    /// `netc train`'s validation fraction.
    pub const DEFAULT_VAL_SPLIT: f64 = 0.2;

    /// Data for a model's train block as `netc train` prepares it by
    /// default: the block's target and seed, missing features imputed
    /// with the training mean, standardised, a shuffled 20% validation
    /// split.
    pub fn for_config(config: &TrainConfig, target_kind: TargetKind, input_width: usize) -> Self {
        DataOptions {
            target: config.target.clone(),
            target_kind,
            input_width,
            missing: MissingPolicy::Mean,
            standardize: true,
            val_split: Self::DEFAULT_VAL_SPLIT,
            shuffle: true,
            seed: config.seed,
        }
    }
}

/// The prepared data of one run.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub train: Dataset,
    /// `None` when `val_split` is 0 or leaves no row.
    pub val: Option<Dataset>,
    pub preprocessing: Preprocessing,
}

/// Splits and preprocesses `table` for training.
pub fn prepare(table: &Table, options: &DataOptions) -> Result<Prepared, DataError> {
    let target_idx = match &options.target {
        Some(name) => table.column_index(name)?,
        None => table.columns.len() - 1,
    };
    let target_name = table.columns[target_idx].clone();
    let feature_idx: Vec<usize> = (0..table.columns.len())
        .filter(|&c| c != target_idx)
        .collect();
    if feature_idx.len() != options.input_width {
        return Err(DataError::FeatureCount {
            path: table.path.clone(),
            expected: options.input_width,
            found: feature_idx.len(),
        });
    }

    let mut rows = Vec::with_capacity(table.rows());
    for r in 0..table.rows() {
        let cells = table.row(r);
        let complete = feature_idx.iter().all(|&c| !cells[c].is_nan());
        let target = cells[target_idx];
        if target.is_nan() {
            if options.missing == MissingPolicy::Drop {
                continue;
            }
            return Err(DataError::Missing {
                path: table.path.clone(),
                line: table.line(r),
                column: target_name.clone(),
                why: "a target cannot be imputed",
            });
        }
        check_label(table, r, &target_name, target, options.target_kind)?;
        match (options.missing, complete) {
            (_, true) | (MissingPolicy::Mean, false) => rows.push(r),
            (MissingPolicy::Drop, false) => {}
            (MissingPolicy::Error, false) => {
                let col = feature_idx
                    .iter()
                    .copied()
                    .find(|&c| cells[c].is_nan())
                    .unwrap_or(target_idx);
                return Err(DataError::Missing {
                    path: table.path.clone(),
                    line: table.line(r),
                    column: table.columns[col].clone(),
                    why: "--missing error",
                });
            }
        }
    }
    if rows.is_empty() {
        return Err(DataError::NoRows {
            path: table.path.clone(),
            reason: "without missing values",
        });
    }

    if options.shuffle {
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        rng.set_stream(SPLIT_STREAM);
        rows.shuffle(&mut rng);
    }
    let val_rows = (rows.len() as f64 * options.val_split).round() as usize;
    let val_rows = val_rows.min(rows.len() - 1);
    let (train_rows, val_rows) = rows.split_at(rows.len() - val_rows);

    let preprocessing = Preprocessing::fit(
        table,
        train_rows,
        &feature_idx,
        &target_name,
        options.missing,
        options.standardize,
    );
    let build = |rows: &[usize]| {
        let width = feature_idx.len();
        let mut data = Dataset {
            x: vec![0.0; rows.len() * width],
            y: Vec::with_capacity(rows.len()),
            width,
        };
        for (i, &r) in rows.iter().enumerate() {
            preprocessing.transform_into(
                table.row(r),
                &feature_idx,
                &mut data.x[i * width..(i + 1) * width],
            );
            data.y.push(table.row(r)[target_idx] as f32);
        }
        data
    };
    Ok(Prepared {
        train: build(train_rows),
        val: (!val_rows.is_empty()).then(|| build(val_rows)),
        preprocessing,
    })
}

/// Features of every row of `table` under a fitted transform, for
/// prediction: columns are found by name, so their order may differ and
/// the target column may be absent.
pub fn features_for_prediction(
    table: &Table,
    preprocessing: &Preprocessing,
) -> Result<Dataset, DataError> {
    let feature_idx = preprocessing.feature_indices(table)?;
    let width = feature_idx.len();
    let mut data = Dataset {
        x: vec![0.0; table.rows() * width],
        y: Vec::new(),
        width,
    };
    for r in 0..table.rows() {
        let cells = table.row(r);
        if preprocessing.missing != MissingPolicy::Mean {
            if let Some(&col) = feature_idx.iter().find(|&&c| cells[c].is_nan()) {
                return Err(DataError::Missing {
                    path: table.path.clone(),
                    line: table.line(r),
                    column: table.columns[col].clone(),
                    why: "the model was trained without imputation",
                });
            }
        }
        preprocessing.transform_into(cells, &feature_idx, &mut data.x[r * width..(r + 1) * width]);
    }
    Ok(data)
}

fn check_label(
    table: &Table,
    row: usize,
    column: &str,
    value: f64,
    kind: TargetKind,
) -> Result<(), DataError> {
    let expected = match kind {
        TargetKind::Value => return Ok(()),
        TargetKind::Binary if value == 0.0 || value == 1.0 => return Ok(()),
        TargetKind::Binary => "0 or 1 (binary cross-entropy)".to_string(),
        TargetKind::Classes(n) if value.fract() == 0.0 && value >= 0.0 && value < n as f64 => {
            return Ok(())
        }
        TargetKind::Classes(n) => format!(
            "a class index 0..={} (the model has {n} outputs)",
            n.saturating_sub(1)
        ),
    };
    Err(DataError::BadLabel {
        path: table.path.clone(),
        line: table.line(row),
        column: column.to_string(),
        value,
        expected,
    })
}
