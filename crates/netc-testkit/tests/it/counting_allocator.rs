//! The counter sees the measured thread's allocations and nothing else.

use crate::ALLOCATOR;

#[test]
fn counts_allocations_and_only_those() {
    let mut kept = Vec::with_capacity(4);
    assert_eq!(ALLOCATOR.allocations_during(|| kept.push(1u64)), 0);
    assert_eq!(ALLOCATOR.allocations_during(|| kept.reserve_exact(1024)), 1);
    assert_eq!(
        ALLOCATOR.allocations_during(|| drop(std::hint::black_box(Box::new(7u64)))),
        1
    );
}

#[test]
fn other_threads_are_not_counted() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    // Flags, not channels: a blocking receive allocates its waker on the
    // counted thread.
    let (go, done) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let other = {
        let (go, done) = (Arc::clone(&go), Arc::clone(&done));
        std::thread::spawn(move || {
            while !go.load(Ordering::SeqCst) {
                std::hint::spin_loop();
            }
            drop(std::hint::black_box(vec![0u8; 64]));
            done.store(true, Ordering::SeqCst);
        })
    };
    let counted = ALLOCATOR.allocations_during(|| {
        go.store(true, Ordering::SeqCst);
        while !done.load(Ordering::SeqCst) {
            std::hint::spin_loop();
        }
    });
    other.join().expect("the other thread ends");
    assert_eq!(counted, 0);
}
