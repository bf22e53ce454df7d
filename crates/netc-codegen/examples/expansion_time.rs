//! How long `netc::model!` spends on a 50-layer model: the same work the
//! macro does (front end, Plan, code generation) plus rendering the tokens
//! to text, as rustc receives them, timed over repeated runs.
//!
//! ```text
//! cargo run --release -p netc-codegen --example expansion_time [LAYERS]
//! ```

use std::fmt::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const DEFAULT_LAYERS: usize = 50;
const WIDTH: usize = 64;
const RUNS: usize = 20;

/// `layers` linear layers of width 64, batchnorm + relu between them.
fn model_source(layers: usize) -> String {
    let mut text = String::from("model Deep50 {\n    input x: 9\n");
    for i in 1..=layers {
        let input = if i == 1 { 9 } else { WIDTH };
        let output = if i == layers { 1 } else { WIDTH };
        let _ = writeln!(text, "    fc{i} = linear({input}, {output}, bias=false)");
        if i < layers {
            let _ = writeln!(text, "    bn{i} = batchnorm({WIDTH})");
        }
    }
    text.push_str("    forward {\n");
    for i in 1..layers {
        let _ = writeln!(text, "        x = relu(bn{i}(fc{i}(x)))");
    }
    let _ = writeln!(text, "        return fc{layers}(x)\n    }}");
    text.push_str("    train {\n        loss = bce_with_logits\n        batch = 64\n    }\n}\n");
    text
}

fn main() -> ExitCode {
    let layers = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => DEFAULT_LAYERS,
        Some(Ok(n)) if n >= 2 => n,
        Some(_) => {
            eprintln!("usage: expansion_time [LAYERS >= 2]");
            return ExitCode::FAILURE;
        }
    };
    let source = model_source(layers);
    let mut times = Vec::with_capacity(RUNS);
    let mut tokens_len = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let checked = netc_lang::check_file(source.as_bytes(), &Default::default());
        let Some(model) = checked.valid_models().first() else {
            let diagnostics = &checked.diagnostics;
            eprintln!("the generated model does not check: {diagnostics:?}");
            return ExitCode::FAILURE;
        };
        let tokens = match netc_codegen::generate_model(model) {
            Ok(tokens) => tokens,
            Err(error) => {
                eprintln!("{error}");
                return ExitCode::FAILURE;
            }
        };
        tokens_len = tokens.to_string().len();
        times.push(started.elapsed());
    }
    times.sort();
    let median = times[RUNS / 2];
    println!(
        "{layers} linear layers (+{} batchnorms): expansion {:.2} ms median of {RUNS} (min {:.2} ms), {} KiB of generated code",
        layers - 1,
        ms(median),
        ms(times[0]),
        tokens_len / 1024
    );
    ExitCode::SUCCESS
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
