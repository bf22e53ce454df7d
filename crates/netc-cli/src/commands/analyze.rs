//! `netc analyze FILE [--model NAME] [--format text|json]`: the static
//! gradient-flow report (docs/cli.md; what it computes:
//! docs/lints-and-gradients.md, "Gradient-flow analysis").
//!
//! Exit status: 0 report printed, 1 the file has errors (printed; lint
//! levels as in `netc check`, so `--deny warnings` refuses a model with
//! warnings, or it defines no model), 2 usage error (unreadable file, unknown or ambiguous model,
//! unknown lint).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use netc_lang::analysis::{analyze, Analysis, LayerRow, EXPLODING_ABOVE, VANISHING_BELOW};
use netc_lang::ir::{Model, Program};
use netc_lang::render::{self, FileDiagnostics};
use serde_json::{json, Value};

use super::check::LintArgs;
use crate::failure::Failure;
use crate::source::read_model;
use crate::term;

#[derive(clap::Args)]
pub struct AnalyzeArgs {
    /// The model file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The model to analyse; required when the file holds several.
    #[arg(long, value_name = "NAME")]
    model: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    lints: LintArgs,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: AnalyzeArgs) -> ExitCode {
    let bytes = match read_model(&args.file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let (program, diagnostics) = netc_lang::check_bytes_with(&bytes, &args.lints.levels);
    if netc_lang::has_errors(&diagnostics) {
        let path = args.file.display().to_string();
        let source = String::from_utf8_lossy(&bytes);
        let files = [FileDiagnostics {
            path: &path,
            source: &source,
            diagnostics: &diagnostics,
        }];
        let _ = write!(
            std::io::stderr().lock(),
            "{}",
            render::text::render(&files, term::stderr_color())
        );
        return ExitCode::FAILURE;
    }
    let model = match select_model(&args.file, &program, args.model.as_deref()) {
        Ok(model) => model,
        Err(failure) => return failure.exit(),
    };
    let analysis = analyze(model);
    let report = match args.format {
        Format::Text => text_report(model, &analysis),
        Format::Json => format!("{:#}\n", json_report(model, &analysis)),
    };
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    let _ = write!(std::io::stdout().lock(), "{report}");
    ExitCode::SUCCESS
}

/// `--model NAME`, else the only model. A file without models is bad
/// input (exit 1); a missing or ambiguous choice is a usage error (exit 2).
fn select_model<'p>(
    path: &Path,
    program: &'p Program,
    name: Option<&str>,
) -> Result<&'p Model, Failure> {
    let names = || {
        program
            .models
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let path = path.display();
    match (name, program.models.as_slice()) {
        (_, []) => Err(Failure::input(format!("{path}: the file defines no model"))),
        (Some(name), _) => program.model(name).ok_or_else(|| {
            Failure::usage(format!(
                "{path}: no model `{name}` in the file (it has: {})",
                names()
            ))
        }),
        (None, [only]) => Ok(only),
        (None, _) => Err(Failure::usage(format!(
            "{path}: the file holds several models; pick one with --model ({})",
            names()
        ))),
    }
}

/// docs/cli.md's shape: `{"model", "layers": [{"name", "q", "Q", "D", "G"}],
/// "R", "verdict"}`, plus each row's kind and relative step. Non-finite
/// numbers become `null`.
fn json_report(model: &Model, analysis: &Analysis) -> Value {
    let layers: Vec<Value> = analysis
        .rows
        .iter()
        .map(|row| {
            json!({
                "name": row.name,
                "kind": row.kind.name(),
                "q": row.q,
                "Q": row.big_q,
                "D": row.d,
                "G": row.g,
                "step": row.step,
            })
        })
        .collect();
    json!({
        "model": model.name,
        "layers": layers,
        "R": analysis.r,
        "verdict": analysis.verdict.as_str(),
    })
}

/// Width of the widest gradient bar.
const BAR_WIDTH: usize = 30;

fn text_report(model: &Model, analysis: &Analysis) -> String {
    let mut out = format!(
        "model {}: predicted signal and gradient moments at initialisation (mean field)\n\n",
        model.name
    );
    let name_width = analysis
        .rows
        .iter()
        .map(|row| row.name.len())
        .chain([5])
        .max()
        .unwrap_or(5);
    let kind_width = analysis
        .rows
        .iter()
        .map(|row| row.kind.name().len())
        .chain([9])
        .max()
        .unwrap_or(9);
    out += &format!(
        "{:<name_width$}  {:<kind_width$}  {:>9}  {:>9}  {:>9}  {:>9}  {:>11}  gradient (log scale)\n",
        "layer", "kind", "q", "Q", "D", "G", "|∇W|/|∇W_L|"
    );
    let last_g = analysis.weight_rows().last().and_then(|row| row.g);
    let bars = GradientBars::new(analysis);
    for row in &analysis.rows {
        let relative = row.g.zip(last_g).map(|(g, l)| (g / l).sqrt());
        out += &format!(
            "{:<name_width$}  {:<kind_width$}  {:>9}  {:>9}  {:>9}  {:>9}  {:>11}  {}\n",
            row.name,
            row.kind.name(),
            sci(row.q),
            sci(row.big_q),
            sci(row.d),
            row.g.map_or("-".to_string(), sci),
            relative.map_or("-".to_string(), sci),
            bars.bar(row),
        );
    }
    out += "\n";
    out += &match analysis.r {
        Some(r) => format!(
            "R = sqrt(G_first / G_last) = {}: {} (vanishing below {VANISHING_BELOW:e}, exploding above {EXPLODING_ABOVE})\n",
            sci(r),
            analysis.verdict.as_str()
        ),
        None => format!(
            "R: undefined (fewer than two linear or conv2d layers, or a zero-initialised weight matrix stops the gradient at init); verdict {}\n",
            analysis.verdict.as_str()
        ),
    };
    out
}

/// Bars of log10 √G, scaled so the largest gradient gets the full width
/// and the smallest one character.
struct GradientBars {
    low: f64,
    high: f64,
}

impl GradientBars {
    fn new(analysis: &Analysis) -> Self {
        let logs: Vec<f64> = analysis
            .weight_rows()
            .filter_map(|row| row.g)
            .filter(|g| *g > 0.0 && g.is_finite())
            .map(|g| g.sqrt().log10())
            .collect();
        GradientBars {
            low: logs.iter().copied().fold(f64::INFINITY, f64::min),
            high: logs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    fn bar(&self, row: &LayerRow) -> String {
        let Some(g) = row.g.filter(|g| *g > 0.0 && g.is_finite()) else {
            return String::new();
        };
        let span = self.high - self.low;
        let fraction = if span > 0.0 {
            (g.sqrt().log10() - self.low) / span
        } else {
            1.0
        };
        let length = 1 + (fraction * (BAR_WIDTH - 1) as f64).round() as usize;
        "█".repeat(length)
    }
}

/// `1.23e-4` style, fixed width.
fn sci(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.2e}")
    } else {
        x.to_string()
    }
}
