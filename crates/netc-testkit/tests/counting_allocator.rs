//! The counter sees allocations and nothing else. One test in this
//! binary, so no other test thread allocates while counting.

use netc_testkit::CountingAllocator;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

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
