//! `netc predict`'s rows, in blocks of [`BLOCK`] over every thread.
//!
//! A tabular model's layers are far under the work a split op needs, so
//! its prediction splits nothing however many rows there are. Runs of
//! whole blocks go to copies of the network instead, one per thread.
//! Every block starts on the same row and is the same call on the same
//! weights as on one thread, so the predictions are the same bits for
//! any thread count. A single block splits its large ops over the
//! threads as before.

use std::sync::{Mutex, PoisonError};
use std::thread;

use netc_plan::Interpreter;
use netc_runtime::parallel::part_range;
use netc_runtime::Network;

use crate::interpreter;

/// Rows per `predict` call: large enough to amortise the call, small
/// enough to keep the buffers small.
pub const BLOCK: usize = 256;

/// `net`'s outputs for the rows of `x` into `out` (as many rows), over
/// `net.threads()` threads.
pub fn predict(net: &mut Interpreter, x: &[f32], out: &mut [f32]) {
    let rows = x.len() / net.input_width().max(1);
    let blocks = rows.div_ceil(BLOCK);
    let threads = net.threads();
    let copies = interpreter::copies_that_fit(net, threads.min(blocks));
    if copies <= 1 {
        predict_blocks(net, x, out);
        return;
    }
    net.set_threads(1);
    let mut others = vec![net.clone(); copies - 1];
    let (input, output) = (net.input_width(), net.output_width());
    // Each copy's run of blocks, its rows and its outputs.
    let mut runs = Vec::with_capacity(copies);
    let (mut x, mut out) = (x, out);
    let nets = others.iter_mut().chain(std::iter::once(&mut *net));
    for (part, net) in nets.enumerate() {
        let range = part_range(blocks, copies, part, 1);
        let part_rows = (range.end * BLOCK).min(rows) - range.start * BLOCK;
        let (part_x, rest_x) = x.split_at(part_rows * input);
        let (part_out, rest_out) = std::mem::take(&mut out).split_at_mut(part_rows * output);
        (x, out) = (rest_x, rest_out);
        runs.push((net, part_x, part_out));
    }
    // Whoever is free takes the next run: a thread that cannot be
    // started leaves its run to the others, this one included.
    let runs = Mutex::new(runs);
    let next = || runs.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let work = || {
        while let Some((net, x, out)) = next() {
            predict_blocks(net, x, out);
        }
    };
    thread::scope(|scope| {
        for part in 1..copies {
            let spawned = thread::Builder::new()
                .name(format!("netc-predict-{part}"))
                .spawn_scoped(scope, work);
            if let Err(error) = spawned {
                eprintln!("warning: predicting on {part} threads, not {copies}: {error}");
                break;
            }
        }
        work();
    });
    net.set_threads(threads);
}

/// `net`'s outputs for `x`'s rows into `out`, a block at a time.
fn predict_blocks(net: &mut Interpreter, x: &[f32], out: &mut [f32]) {
    let (input, output) = (net.input_width(), net.output_width());
    for (x, out) in x.chunks(BLOCK * input).zip(out.chunks_mut(BLOCK * output)) {
        net.predict(x, out);
    }
}
