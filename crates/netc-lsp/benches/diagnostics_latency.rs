//! Latency of diagnostics after a change, on a 200-layer model: the time
//! from sending `didChange` to receiving its `publishDiagnostics` (debounce
//! included), and the checking part alone.
//!
//! `cargo bench -p netc-lsp --bench diagnostics_latency`

#[path = "../tests/it/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

const LAYERS: usize = 200;
const RUNS: usize = 30;

fn model(width: usize) -> String {
    let mut text = format!("model Deep {{\n    input x: {width}\n");
    for i in 0..LAYERS {
        text.push_str(&format!(
            "    fc{i} = linear({width}, {width}, init=kaiming_uniform(nonlinearity=relu))\n"
        ));
    }
    text.push_str("    forward {\n");
    for i in 0..LAYERS {
        text.push_str(&format!("        x = relu(fc{i}(x))\n"));
    }
    text.push_str(
        "        return x\n    }\n    train {\n        loss = mse\n        batch = 32\n    }\n}\n",
    );
    text
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let mut client = harness::Client::utf16();
    let uri = harness::uri("deep.nn");
    client.open(&uri, &model(16));
    client.diagnostics(&uri, Some(1));
    let mut end_to_end = Vec::new();
    let mut checking = Vec::new();
    for run in 0..RUNS {
        // Alternate widths so every change is a real one.
        let text = model(16 + run % 2);
        let version = run as i32 + 2;
        let sent = Instant::now();
        client.change(&uri, version, &text);
        client.diagnostics(&uri, Some(version));
        end_to_end.push(sent.elapsed());
        let started = Instant::now();
        std::hint::black_box(netc_lang::check_source(&text));
        checking.push(started.elapsed());
    }
    client.shutdown();
    println!(
        "{LAYERS}-layer model, median of {RUNS}: change → publishDiagnostics {:.1} ms (debounce at most {} ms), check alone {:.1} ms",
        median(end_to_end).as_secs_f64() * 1e3,
        netc_lsp::DEBOUNCE.as_millis(),
        median(checking).as_secs_f64() * 1e3,
    );
}
