//! The seeded ChaCha8 source: reproducible, forkable, with the right
//! ranges and moments.

use netc_runtime::rng::Rng;

#[test]
fn a_seed_reproduces_the_stream_bit_for_bit() {
    let draw = |seed| {
        let mut r = Rng::seed_from_u64(seed);
        (0..64)
            .map(|i| match i % 4 {
                0 => r.next_f32_uniform().to_bits() as u64,
                1 => r.uniform(-3.0, 5.0).to_bits(),
                2 => r.normal().to_bits(),
                _ => r.next_u64(),
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(draw(42), draw(42));
    assert_ne!(draw(42), draw(43));
}

#[test]
fn forks_depend_on_the_stream_not_on_the_parent_position() {
    let mut parent = Rng::seed_from_u64(7);
    let early = parent.fork(3).next_u64();
    for _ in 0..1000 {
        parent.next_u64();
    }
    assert_eq!(parent.fork(3).next_u64(), early);
    assert_ne!(parent.fork(4).next_u64(), early);
    let mut fresh = Rng::seed_from_u64(7);
    assert_ne!(fresh.next_u64(), early, "a fork is not the parent stream");
    // Forks of forks stay distinct from siblings.
    assert_ne!(parent.fork(3).fork(4).next_u64(), parent.fork(4).next_u64());
}

#[test]
fn uniform_draws_stay_in_range_with_the_right_moments() {
    let mut r = Rng::seed_from_u64(1);
    let n = 100_000;
    let mut sum = 0.0;
    for _ in 0..n {
        let u = r.next_f32_uniform();
        assert!((0.0..1.0).contains(&u));
        let v = r.uniform(-2.0, 6.0);
        assert!((-2.0..6.0).contains(&v));
        sum += v;
    }
    // Standard error of the mean: 8/√12/√n ≈ 7e-3.
    assert!((sum / n as f64 - 2.0).abs() < 0.04);
}

#[test]
fn normal_draws_have_zero_mean_and_unit_variance() {
    let mut r = Rng::seed_from_u64(2);
    let n = 200_000;
    let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
    let mean = xs.iter().sum::<f64>() / n as f64;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
    assert!(mean.abs() < 0.01, "{mean}");
    assert!((var - 1.0).abs() < 0.015, "{var}");
    assert!(xs.iter().all(|x| x.is_finite()));
}

#[test]
fn below_is_unbiased_and_in_range() {
    let mut r = Rng::seed_from_u64(3);
    let mut counts = [0usize; 6];
    for _ in 0..60_000 {
        let k = r.below(6);
        counts[k as usize] += 1;
    }
    // Each bucket expects 10 000 with σ ≈ 91.
    assert!(
        counts.iter().all(|&c| (c as i64 - 10_000).abs() < 500),
        "{counts:?}"
    );
    assert_eq!(r.below(1), 0);
}
