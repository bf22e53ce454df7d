//! With threads on, a step allocates nothing on any thread: the pool's
//! workers are counted too, for a dense model and an image model. A
//! binary without the test harness (`harness = false` in Cargo.toml), so
//! that no thread but this one and the network's workers runs while
//! allocations are counted.

use netc::ops::TrainConfig;
use netc::Network;
use netc_testkit::CountingAllocator;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

mod models {
    netc::model!(path = "models/threaded.nn");
    netc::model!(path = "models/threaded_image.nn");
}

use models::{Threaded, ThreadedImage};

/// Threads of this process, where the system says (Linux).
fn os_threads() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/task").ok()?.count())
}

/// Trains `net` (and predicts three batches of its train block's size)
/// on 3 threads and asserts that, once warm, 30 steps and a prediction
/// allocate nothing.
fn check(name: &str, net: &mut dyn Network) {
    let batch = net.max_batch();
    let inputs = net.input_width();
    let classes = net.output_width();
    let x: Vec<f32> = (0..batch * inputs)
        .map(|i| (i as f32 * 0.37).sin())
        .collect();
    let y: Vec<f32> = (0..batch).map(|i| (i % classes) as f32).collect();
    let mut out = vec![0.0; 3 * batch * classes];
    let many: Vec<f32> = x.iter().cycle().take(3 * x.len()).copied().collect();

    net.set_threads(3);
    let threads_before = os_threads();
    // Warm-up: the first split starts the workers, and each thread's
    // kernel scratch grows on the first parts it claims (parts go to
    // whichever thread comes first, so a few steps give every thread
    // each kind of part; after 5, a worker the system had scheduled
    // late could still claim its first product in the counted steps).
    for _ in 0..20 {
        net.train_step(&x, &y);
        net.predict(&many, &mut out);
    }
    if let (Some(before), Some(after)) = (threads_before, os_threads()) {
        assert_eq!(after, before + 2, "{name}: the ops split over 2 workers");
    }
    let mut losses = [0.0f32; 30];
    let allocations = ALLOCATOR.allocations_on_every_thread_during(|| {
        for loss in &mut losses {
            *loss = net.train_step(&x, &y);
        }
        net.predict(&many, &mut out);
    });
    assert_eq!(allocations, 0, "{name}: allocations with 3 threads");
    assert!(losses[29] < losses[0], "{name}: {losses:?}");
    println!("{name}: 0 allocations in 30 steps and a prediction on 3 threads");
}

/// [`check`] on a model's generated type and on its interpreter.
fn check_both(name: &str, source: &str, generated: &mut dyn Network, config: TrainConfig) {
    check(&format!("generated {name} model"), generated);
    let model = netc_testkit::valid_model(source);
    let mut interpreted =
        netc_plan::Interpreter::from_model(&model, &config, 3).expect("a valid plan");
    check(&format!("interpreted {name} model"), &mut interpreted);
}

fn main() {
    check_both(
        "dense",
        include_str!("models/threaded.nn"),
        &mut Threaded::new(3),
        Threaded::train_config(),
    );
    check_both(
        "image",
        include_str!("models/threaded_image.nn"),
        &mut ThreadedImage::new(3),
        ThreadedImage::train_config(),
    );
}
