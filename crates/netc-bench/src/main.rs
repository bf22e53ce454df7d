//! `netc-bench`: times one training step of fixed workloads under each netc
//! executor, optionally beside PyTorch.
//!
//! `cargo run --release -p netc-bench -- [--json] [--compare] [--peak]`

mod compare;
mod executor;
mod peak;
mod report;
mod timing;
mod workload;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netc_runtime::simd::Isa;

use executor::{Figure, Run, EXECUTORS};
use report::Row;
use timing::Timing;
use workload::{Workload, WORKLOADS};

#[derive(Parser)]
#[command(
    name = "netc-bench",
    about = "Time netc's training step on fixed workloads"
)]
struct Args {
    /// Print one JSON line per workload instead of a table.
    #[arg(long)]
    json: bool,
    /// Also run scripts/torch_reference/bench_torch.py and add PyTorch's
    /// step and single-row inference times and the ratios torch / netc.
    #[arg(long)]
    compare: bool,
    /// Compare with PyTorch figures saved from `bench_torch.py --json`
    /// instead of running it.
    #[arg(long, value_name = "FILE")]
    torch_json: Option<std::path::PathBuf>,
    /// The Python that has torch installed.
    #[arg(long, default_value = "python3")]
    python: String,
    /// Seconds of timed calls per figure.
    #[arg(long, default_value_t = 0.5, value_parser = positive_seconds)]
    min_time: f64,
    /// Threads each network splits its ops over (PyTorch gets as many
    /// with --compare).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=64))]
    threads: u64,
    /// Run only these workloads (repeatable).
    #[arg(long = "workload", value_name = "NAME", value_parser = workload_name)]
    workloads: Vec<String>,
    /// Instead of the workloads, time one core's multiply-add peak on each
    /// SIMD path (GFLOP/s): what a workload's products are a share of.
    #[arg(long, conflicts_with_all = ["compare", "torch_json", "threads", "workloads"])]
    peak: bool,
}

fn positive_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s.is_finite() && s > 0.0 => Ok(s),
        _ => Err(format!("`{text}` is not a positive number of seconds")),
    }
}

fn workload_name(text: &str) -> Result<String, String> {
    if WORKLOADS.iter().any(|w| w.name == text) {
        Ok(text.to_string())
    } else {
        let names: Vec<_> = WORKLOADS.iter().map(|w| w.name).collect();
        Err(format!("unknown workload; one of: {}", names.join(", ")))
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let run = Run {
        timing: Timing::with_min_time(Duration::from_secs_f64(args.min_time)),
        threads: args.threads as usize,
    };
    if args.peak {
        let peaks = peak::measure_peaks(&run.timing);
        if args.json {
            for p in &peaks {
                println!("{}", peak::json_line(p).map_err(|e| e.to_string())?);
            }
        } else {
            print!("{}", peak::table(&peaks));
        }
        return Ok(());
    }
    let selected: Vec<&Workload> = WORKLOADS
        .iter()
        .filter(|w| args.workloads.is_empty() || args.workloads.iter().any(|n| n == w.name))
        .collect();

    let selected_names: Vec<&str> = selected.iter().map(|w| w.name).collect();
    // The peak of the path the kernels take, timed before the workloads
    // (with the cores to itself, as they have): each row's floor.
    let peak = peak::measure_peak(Isa::detect(), &run.timing);
    let mut rows = Vec::new();
    for workload in selected {
        let mut figures: Vec<Figure> = Vec::new();
        for executor in EXECUTORS {
            figures.extend(executor(workload, &run).map_err(|e| e.to_string())?);
        }
        rows.push(Row {
            workload: workload.name,
            figures,
        });
    }

    // PyTorch runs after netc so the two never share the cores.
    let torch_lines = match (&args.torch_json, args.compare) {
        (Some(path), _) => {
            Some(std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        (None, true) => Some(compare::run_torch(
            &args.python,
            args.min_time,
            run.threads,
            &selected_names,
        )?),
        (None, false) => None,
    };
    if let Some(lines) = torch_lines {
        compare::add_torch(&mut rows, &compare::parse_torch_lines(&lines)?);
    }

    for row in &mut rows {
        let rates = executor::product_rates(&row.figures);
        let floor = executor::floor_figures(&row.figures, peak.gflops, run.threads);
        row.figures.extend(rates);
        row.figures.extend(floor);
    }

    if args.json {
        for row in &rows {
            println!("{}", report::json_line(row).map_err(|e| e.to_string())?);
        }
    } else {
        print!("{}", report::table(&rows));
    }
    Ok(())
}
