//! Row order per epoch and batch gathering.

use netc_train::data::{gather, BatchOrder, Dataset};

#[test]
fn file_order_without_shuffle_keeps_the_last_partial_batch() {
    let mut order = BatchOrder::new(5, false, 0);
    let batches: Vec<Vec<usize>> = order
        .next_epoch()
        .chunks(2)
        .map(<[usize]>::to_vec)
        .collect();
    assert_eq!(batches, [vec![0, 1], vec![2, 3], vec![4]]);
    assert_eq!(order.next_epoch(), [0, 1, 2, 3, 4]);
}

#[test]
fn shuffled_epochs_differ_and_repeat_with_the_seed() {
    let epochs = |seed| {
        let mut order = BatchOrder::new(50, true, seed);
        (0..3)
            .map(|_| order.next_epoch().to_vec())
            .collect::<Vec<_>>()
    };
    let a = epochs(1);
    assert_eq!(a, epochs(1));
    assert_ne!(a, epochs(2));
    assert_ne!(a[0], a[1], "every epoch reshuffles");
    for epoch in &a {
        let mut sorted = epoch.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }
}

#[test]
fn gather_copies_rows_and_targets() {
    let data = Dataset {
        x: vec![0.0, 1.0, 10.0, 11.0, 20.0, 21.0],
        y: vec![0.0, 1.0, 2.0],
        width: 2,
    };
    let (mut x, mut y) = (vec![9.0; 10], Vec::new());
    gather(&data, &[2, 0], &mut x, &mut y);
    assert_eq!(x, [20.0, 21.0, 0.0, 1.0]);
    assert_eq!(y, [2.0, 0.0]);
}
