//! Target selection, label checks, missing values, the seeded split and
//! standardisation fitted on the training rows only.

use netc_train::data::{
    features_for_prediction, prepare, DataError, DataOptions, MissingPolicy, Table, TargetKind,
};

fn table(text: &str) -> Table {
    Table::from_reader("t.csv", text.as_bytes()).expect("valid csv")
}

fn options(input_width: usize) -> DataOptions {
    DataOptions {
        target: None,
        target_kind: TargetKind::Value,
        input_width,
        missing: MissingPolicy::Mean,
        standardize: false,
        val_split: 0.0,
        shuffle: false,
        seed: 0,
    }
}

/// `n` rows `i, 10*i, i%2` (features a, b; target y).
fn numbered(n: usize) -> Table {
    let mut text = String::from("a,b,y\n");
    for i in 0..n {
        text.push_str(&format!("{i},{},{}\n", 10 * i, i % 2));
    }
    table(&text)
}

#[test]
fn target_defaults_to_last_column_or_is_found_by_name() {
    let t = table("a,b,y\n1,2,3\n");
    let p = prepare(&t, &options(2)).expect("prepare");
    assert_eq!(p.train.x, [1.0, 2.0]);
    assert_eq!(p.train.y, [3.0]);

    let by_name = DataOptions {
        target: Some("a".into()),
        ..options(2)
    };
    let p = prepare(&t, &by_name).expect("prepare");
    assert_eq!(p.train.x, [2.0, 3.0]);
    assert_eq!(p.train.y, [1.0]);
    assert_eq!(p.preprocessing.features, ["b", "y"]);
    assert_eq!(p.preprocessing.target, "a");
}

#[test]
fn unknown_target_lists_the_columns() {
    let t = table("a,b,y\n1,2,3\n");
    let err = prepare(
        &t,
        &DataOptions {
            target: Some("label".into()),
            ..options(2)
        },
    )
    .expect_err("no such column");
    assert_eq!(
        err.to_string(),
        "t.csv: no column `label` (the header has: a, b, y)"
    );
}

#[test]
fn feature_count_must_match_the_model_input() {
    let err = prepare(&table("a,b,y\n1,2,3\n"), &options(5)).expect_err("width");
    assert_eq!(
        err,
        DataError::FeatureCount {
            path: "t.csv".into(),
            expected: 5,
            found: 2
        }
    );
}

#[test]
fn labels_are_checked_against_the_loss() {
    let t = table("a,y\n1,0\n2,1\n3,3\n");
    let binary = DataOptions {
        target_kind: TargetKind::Binary,
        ..options(1)
    };
    let err = prepare(&t, &binary).expect_err("3 is not binary");
    assert!(matches!(err, DataError::BadLabel { line: 4, .. }), "{err}");

    let three = DataOptions {
        target_kind: TargetKind::Classes(3),
        ..options(1)
    };
    let err = prepare(&t, &three).expect_err("class 3 of 3");
    assert_eq!(
        err.to_string(),
        "t.csv:4: column `y`: label 3 is not a class index 0..=2 (the model has 3 outputs)"
    );
    let four = DataOptions {
        target_kind: TargetKind::Classes(4),
        ..options(1)
    };
    assert!(prepare(&t, &four).is_ok());

    let fractional = table("a,y\n1,0.5\n");
    assert!(prepare(&fractional, &four).is_err());
}

#[test]
fn mean_imputation_uses_training_rows_only() {
    // The last row is the validation row (no shuffle); its 100 must not
    // move the imputed mean of the training rows (1 and 3 → 2).
    let t = table("a,y\n1,0\n,0\n3,0\n100,0\n");
    let p = prepare(
        &t,
        &DataOptions {
            val_split: 0.25,
            ..options(1)
        },
    )
    .expect("prepare");
    assert_eq!(p.preprocessing.impute, [2.0]);
    assert_eq!(p.train.x, [1.0, 2.0, 3.0]);
    assert_eq!(p.val.expect("one validation row").x, [100.0]);
}

#[test]
fn drop_and_error_policies() {
    let t = table("a,b,y\n1,2,0\n,3,1\n4,5,0\n");
    let dropped = prepare(
        &t,
        &DataOptions {
            missing: MissingPolicy::Drop,
            ..options(2)
        },
    )
    .expect("drop");
    assert_eq!(dropped.train.x, [1.0, 2.0, 4.0, 5.0]);

    let err = prepare(
        &t,
        &DataOptions {
            missing: MissingPolicy::Error,
            ..options(2)
        },
    )
    .expect_err("missing cell");
    assert_eq!(
        err.to_string(),
        "t.csv:3: column `a`: missing value (--missing error)"
    );
}

#[test]
fn a_missing_target_is_never_imputed() {
    let t = table("a,y\n1,0\n2,\n");
    let err = prepare(&t, &options(1)).expect_err("missing target");
    assert!(matches!(err, DataError::Missing { line: 3, .. }), "{err}");
}

#[test]
fn standardisation_is_fitted_on_training_rows_and_skips_constant_columns() {
    let t = table("a,c,y\n1,5,0\n2,5,0\n3,5,0\n1000,5,0\n");
    let p = prepare(
        &t,
        &DataOptions {
            standardize: true,
            val_split: 0.25,
            ..options(2)
        },
    )
    .expect("prepare");
    let pre = &p.preprocessing;
    assert_eq!(pre.center, [2.0, 5.0]);
    assert!((pre.scale[0] - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
    assert_eq!(pre.scale[1], 1.0, "constant column is only centred");
    let a: Vec<f32> = p.train.x.chunks(2).map(|r| r[0]).collect();
    let mean: f32 = a.iter().sum::<f32>() / 3.0;
    let var: f32 = a.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 3.0;
    assert!(mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5);
    assert!(p.train.x.chunks(2).all(|r| r[1] == 0.0));
}

#[test]
fn the_split_is_seeded_and_holds_out_the_fraction() {
    let t = numbered(100);
    let shuffled = |seed| {
        prepare(
            &t,
            &DataOptions {
                val_split: 0.2,
                shuffle: true,
                seed,
                ..options(2)
            },
        )
        .expect("prepare")
    };
    let (a, b, c) = (shuffled(7), shuffled(7), shuffled(8));
    let val = a.val.clone().expect("validation rows");
    assert_eq!((a.train.rows(), val.rows()), (80, 20));
    assert_eq!(a.train, b.train);
    assert_ne!(a.train, c.train, "another seed, another split");
    // Every row lands in exactly one split.
    let mut firsts: Vec<f32> = a
        .train
        .x
        .chunks(2)
        .chain(val.x.chunks(2))
        .map(|r| r[0])
        .collect();
    firsts.sort_by(f32::total_cmp);
    assert_eq!(firsts, (0..100).map(|i| i as f32).collect::<Vec<_>>());
}

#[test]
fn without_shuffle_validation_is_the_end_of_the_file() {
    let p = prepare(
        &numbered(10),
        &DataOptions {
            val_split: 0.3,
            ..options(2)
        },
    )
    .expect("prepare");
    let val = p.val.expect("validation rows");
    assert_eq!(val.x, [7.0, 70.0, 8.0, 80.0, 9.0, 90.0]);
    assert_eq!(p.train.rows(), 7);
}

#[test]
fn prediction_reuses_the_fit_and_finds_columns_by_name() {
    let train = table("a,b,y\n0,10,0\n2,30,1\n");
    let p = prepare(
        &train,
        &DataOptions {
            standardize: true,
            ..options(2)
        },
    )
    .expect("prepare");
    // Columns reordered, no target column, one missing cell.
    let new = table("b,a\n20,1\n,4\n");
    let d = features_for_prediction(&new, &p.preprocessing).expect("features");
    assert_eq!(d.x, [0.0, 0.0, 3.0, 0.0]);

    let lacking = table("a\n1\n");
    assert!(matches!(
        features_for_prediction(&lacking, &p.preprocessing),
        Err(DataError::UnknownColumn { .. })
    ));
}
