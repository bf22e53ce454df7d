//! Side by side with PyTorch: runs `scripts/torch_reference/bench_torch.py`
//! (or reads its saved output) and adds its figure and the ratios
//! torch / netc to each row.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::executor::{Figure, STEP_SUFFIX};
use crate::report::Row;

pub const TORCH_KEY: &str = "torch_train_step_us";
pub const TORCH_INFER_KEY: &str = "torch_infer_one_ns";

/// A PyTorch figure and the netc figures it is compared with: each
/// `<executor><netc_suffix>` gets the ratio `<ratio_prefix><executor>`,
/// torch / netc (above 1: netc is faster).
struct Comparison {
    torch_key: &'static str,
    netc_suffix: &'static str,
    ratio_prefix: &'static str,
}

const COMPARISONS: [Comparison; 2] = [
    Comparison {
        torch_key: TORCH_KEY,
        netc_suffix: STEP_SUFFIX,
        ratio_prefix: "torch_over_",
    },
    Comparison {
        torch_key: TORCH_INFER_KEY,
        netc_suffix: "_infer_one_ns",
        ratio_prefix: "torch_infer_over_",
    },
];

/// PyTorch's figures for one workload, by key ([`TORCH_KEY`] always).
pub type TorchFigures = HashMap<&'static str, f64>;

/// The PyTorch script beside this crate in the repository.
pub fn torch_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/torch_reference/bench_torch.py")
}

/// Runs the PyTorch benchmark on `threads` threads for `workloads` and
/// returns its JSON lines.
pub fn run_torch(
    python: &str,
    min_time_secs: f64,
    threads: usize,
    workloads: &[&str],
) -> Result<String, String> {
    let script = torch_script();
    let mut command = Command::new(python);
    command
        .arg(&script)
        .arg("--json")
        .arg("--min-time")
        .arg(min_time_secs.to_string())
        .arg("--threads")
        .arg(threads.to_string());
    for workload in workloads {
        command.arg("--workload").arg(workload);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run `{python}`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{python} {}` failed ({}): {}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|e| format!("PyTorch output is not UTF-8: {e}"))
}

/// PyTorch's figures per workload from the script's JSON lines: the
/// step time, and the single-row inference time where the line has it
/// (output saved by an older script has none).
pub fn parse_torch_lines(text: &str) -> Result<HashMap<String, TorchFigures>, String> {
    let mut figures = HashMap::new();
    for (number, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let bad = |why: &str| format!("PyTorch output line {}: {why}: {line}", number + 1);
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(&e.to_string()))?;
        let workload = value["workload"]
            .as_str()
            .ok_or_else(|| bad("no \"workload\""))?;
        let found: TorchFigures = COMPARISONS
            .iter()
            .filter_map(|c| Some((c.torch_key, value[c.torch_key].as_f64()?)))
            .collect();
        if !found.contains_key(TORCH_KEY) {
            return Err(bad(&format!("no number \"{TORCH_KEY}\"")));
        }
        figures.insert(workload.to_string(), found);
    }
    Ok(figures)
}

/// Appends PyTorch's figures and, for each netc figure they compare
/// with, the ratio torch / netc (see [`COMPARISONS`]).
pub fn add_torch(rows: &mut [Row], torch: &HashMap<String, TorchFigures>) {
    for row in rows {
        let Some(found) = torch.get(row.workload) else {
            continue;
        };
        for c in &COMPARISONS {
            let Some(&torch_value) = found.get(c.torch_key) else {
                continue;
            };
            let ratios: Vec<Figure> = row
                .figures
                .iter()
                .filter_map(|f| {
                    let executor = f.key.strip_suffix(c.netc_suffix)?;
                    Some(Figure {
                        key: format!("{}{executor}", c.ratio_prefix),
                        value: torch_value / f.value,
                    })
                })
                .collect();
            row.figures.push(Figure {
                key: c.torch_key.into(),
                value: torch_value,
            });
            row.figures.extend(ratios);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_scripts_lines() {
        let text = concat!(
            r#"{"workload": "seed", "torch_train_step_us": 350.5, "steps_timed": 10, "#,
            r#""torch_infer_one_ns": 30000}"#,
            "\n\n",
            r#"{"workload": "mnist", "torch_train_step_us": 6000}"#,
            "\n"
        );
        let figures = parse_torch_lines(text).expect("valid lines");
        assert_eq!(figures["seed"][TORCH_KEY], 350.5);
        assert_eq!(figures["seed"][TORCH_INFER_KEY], 30000.0);
        assert_eq!(figures["mnist"][TORCH_KEY], 6000.0);
        assert!(
            !figures["mnist"].contains_key(TORCH_INFER_KEY),
            "an older line"
        );
    }

    #[test]
    fn rejects_a_line_without_the_figure() {
        let error = parse_torch_lines(r#"{"workload": "seed"}"#).expect_err("no figure");
        assert!(
            error.contains("line 1") && error.contains(TORCH_KEY),
            "{error}"
        );
        assert!(parse_torch_lines("not json").is_err());
    }

    #[test]
    fn ratios_are_torch_over_each_netc_figure() {
        let mut rows = vec![
            Row {
                workload: "seed",
                figures: vec![
                    Figure {
                        key: "interpreted_train_step_us".into(),
                        value: 4.0,
                    },
                    Figure {
                        key: "interpreted_infer_one_ns".into(),
                        value: 100.0,
                    },
                ],
            },
            Row {
                workload: "deep",
                figures: Vec::new(),
            },
        ];
        let torch = HashMap::from([
            (
                "seed".to_string(),
                TorchFigures::from([(TORCH_KEY, 400.0), (TORCH_INFER_KEY, 30000.0)]),
            ),
            ("deep".to_string(), TorchFigures::from([(TORCH_KEY, 300.0)])),
        ]);
        add_torch(&mut rows, &torch);
        assert_eq!(rows[0].get(TORCH_KEY), Some(400.0));
        assert_eq!(rows[0].get("torch_over_interpreted"), Some(100.0));
        assert_eq!(rows[0].get(TORCH_INFER_KEY), Some(30000.0));
        assert_eq!(rows[0].get("torch_infer_over_interpreted"), Some(300.0));
        assert_eq!(rows[0].figures.len(), 6);
        assert_eq!(rows[1].get(TORCH_KEY), Some(300.0));
        assert_eq!(rows[1].figures.len(), 1, "no netc figures, no ratios");
    }

    #[test]
    fn the_torch_script_is_in_the_repository() {
        assert!(torch_script().is_file(), "{}", torch_script().display());
    }
}
