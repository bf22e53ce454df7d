//! The batch a generated network takes: any batch up to the train
//! block's `MAX_BATCH` trains, a larger one is refused without touching
//! the parameters (NaN loss, the reason in `first_non_finite`), and
//! `predict` takes any number of rows.

use netc::Network;

netc::model! {
    model Small {
        input x: 3
        fc1 = linear(3, 4)
        out = linear(4, 2)
        forward {
            return out(relu(fc1(x)))
        }
        train {
            loss = mse
            optimizer = sgd(lr=0.1)
            batch = 8
        }
    }
}

fn rows(n: usize) -> (Vec<f32>, Vec<f32>) {
    let x = (0..n * Small::INPUTS)
        .map(|i| (i as f32 * 0.61).cos())
        .collect();
    let y = (0..n * Small::OUTPUTS)
        .map(|i| (i as f32 * 0.23).sin())
        .collect();
    (x, y)
}

#[test]
fn the_constants_describe_the_model() {
    assert_eq!((Small::INPUTS, Small::OUTPUTS, Small::MAX_BATCH), (3, 2, 8));
    assert_eq!(Small::train_config().batch, Small::MAX_BATCH);
}

#[test]
fn a_batch_larger_than_max_batch_is_refused_and_changes_nothing() {
    let mut net = Small::new(1);
    let before = net.parameter("fc1.weight").unwrap().to_vec();
    let (x, y) = rows(Small::MAX_BATCH + 1);
    let loss = net.train_step(&x, &y);
    assert!(loss.is_nan());
    assert_eq!(net.parameter("fc1.weight").unwrap(), before.as_slice());
    let reason = net.first_non_finite().expect("a refusal names its reason");
    assert!(reason.location.contains("MAX_BATCH"), "{reason}");

    // The next valid step runs and clears the reason.
    let (x, y) = rows(Small::MAX_BATCH);
    assert!(net.train_step(&x, &y).is_finite());
    assert_eq!(net.first_non_finite(), None);
    assert_ne!(net.parameter("fc1.weight").unwrap(), before.as_slice());
}

#[test]
fn rows_that_do_not_match_are_refused() {
    let mut net = Small::new(1);
    let (x, y) = rows(4);
    assert!(net.train_step(&x[..5], &y).is_nan());
    assert!(net.train_step(&x, &y[..3]).is_nan());
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
