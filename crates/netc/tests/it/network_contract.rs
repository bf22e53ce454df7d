//! The `Network` contract, enforced the same way by both executors (the
//! runtime's step driver serves both): the same inputs are refused with
//! the same `BatchError`, and a refused step or prediction changes
//! nothing.

use netc::runtime::BatchError;
use netc::Network;
use netc_plan::Interpreter;

netc::model!(path = "../models/small.nn");

const SOURCE: &str = include_str!("../models/small.nn");
const SEED: u64 = 3;

fn interpreter() -> Interpreter {
    let model = &netc_testkit::valid_model(SOURCE);
    Interpreter::from_model(model, &model.train.clone().unwrap_or_default(), SEED)
        .expect("a valid plan")
}

/// Both executors of the same model and seed.
fn executors() -> [(&'static str, Box<dyn Network>); 2] {
    [
        ("generated", Box::new(Small::new(SEED))),
        ("interpreter", Box::new(interpreter())),
    ]
}

fn rows(n: usize) -> (Vec<f32>, Vec<f32>) {
    let x = (0..n * 3).map(|i| (i as f32 * 0.61).cos()).collect();
    let y = (0..n * 2).map(|i| (i as f32 * 0.23).sin()).collect();
    (x, y)
}

fn snapshot(net: &dyn Network) -> Vec<Vec<f32>> {
    net.parameter_names()
        .iter()
        .map(|name| net.parameter(name).expect("a parameter").to_vec())
        .collect()
}

#[test]
fn both_executors_refuse_the_same_train_steps_and_change_nothing() {
    for (executor, mut net) in executors() {
        assert_eq!(net.max_batch(), 8, "{executor}");
        let before = snapshot(net.as_ref());
        let (x, y) = rows(4);
        let (big_x, big_y) = rows(9);
        let refused = [
            (
                net.try_train_step(&x[..5], &y),
                BatchError::Ragged {
                    values: 5,
                    width: 3,
                },
            ),
            (
                net.try_train_step(&x, &y[..3]),
                BatchError::Targets {
                    rows: 4,
                    width: 2,
                    values: 3,
                },
            ),
            (net.try_train_step(&[], &[]), BatchError::Empty),
            (
                net.try_train_step(&big_x, &big_y),
                BatchError::TooLarge { rows: 9, max: 8 },
            ),
        ];
        for (got, expected) in refused {
            assert_eq!(got, Err(expected), "{executor}");
        }
        assert_eq!(snapshot(net.as_ref()), before, "{executor}");
        assert_eq!(net.first_non_finite(), None, "{executor}");

        // A batch up to the maximum trains.
        let (x, y) = rows(8);
        assert!(net
            .try_train_step(&x, &y)
            .expect("8 rows train")
            .is_finite());
        assert_ne!(snapshot(net.as_ref()), before, "{executor}");
    }
}

#[test]
fn both_executors_give_the_same_losses_and_predictions() {
    let [(_, mut generated), (_, mut interpreted)] = executors();
    for n in [8, 3, 1] {
        let (x, y) = rows(n);
        assert_eq!(generated.train_step(&x, &y), interpreted.train_step(&x, &y));
    }
    let (x, _) = rows(3 * 8 + 1);
    let mut a = vec![0.0; 25 * 2];
    let mut b = a.clone();
    generated.predict(&x, &mut a);
    interpreted.predict(&x, &mut b);
    assert_eq!(a, b);
}

#[test]
fn both_executors_refuse_the_same_predictions() {
    for (executor, mut net) in executors() {
        let (x, _) = rows(3);
        let mut out = vec![0.0; 6];
        assert_eq!(
            net.try_predict(&x[..7], &mut out),
            Err(BatchError::Ragged {
                values: 7,
                width: 3
            }),
            "{executor}"
        );
        assert_eq!(
            net.try_predict(&x, &mut out[..5]),
            Err(BatchError::Outputs {
                rows: 3,
                width: 2,
                values: 5
            }),
            "{executor}"
        );
        // No rows is an empty prediction, not an error.
        assert_eq!(net.try_predict(&[], &mut []), Ok(()), "{executor}");
        assert_eq!(net.try_predict(&x, &mut out), Ok(()), "{executor}");
    }
}

#[test]
fn predict_runs_any_number_of_rows_in_chunks() {
    let mut net = Small::new(2);
    let (x, _) = rows(3 * Small::MAX_BATCH + 1);
    let mut all = vec![0.0; (3 * Small::MAX_BATCH + 1) * Small::OUTPUTS];
    net.predict(&x, &mut all);
    for (row, expected) in x.chunks(Small::INPUTS).zip(all.chunks(Small::OUTPUTS)) {
        let one: [f32; 3] = row.try_into().unwrap();
        assert_eq!(net.predict_one(&one).as_slice(), expected);
    }
}

#[test]
fn the_constants_describe_the_model() {
    assert_eq!((Small::INPUTS, Small::OUTPUTS, Small::MAX_BATCH), (3, 2, 8));
    assert_eq!(Small::train_config().batch, Small::MAX_BATCH);
}

#[test]
#[should_panic(expected = "train_step: a train step of 9 rows exceeds the model's batch of 8 rows")]
fn the_plain_step_panics_with_the_refusal() {
    let (x, y) = rows(9);
    Small::new(1).train_step(&x, &y);
}
