//! Side by side with PyTorch: runs `scripts/torch_reference/bench_torch.py`
//! (or reads its saved output) and adds its figure and the ratios
//! torch / netc to each row.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::executor::Figure;
use crate::report::Row;

pub const TORCH_KEY: &str = "torch_train_step_us";
const NETC_STEP_SUFFIX: &str = "_train_step_us";

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

/// `torch_train_step_us` per workload from the script's JSON lines.
pub fn parse_torch_lines(text: &str) -> Result<HashMap<String, f64>, String> {
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
        let step = value[TORCH_KEY]
            .as_f64()
            .ok_or_else(|| bad(&format!("no number \"{TORCH_KEY}\"")))?;
        figures.insert(workload.to_string(), step);
    }
    Ok(figures)
}

/// Appends PyTorch's step time and, for each netc step time
/// `<executor>_train_step_us`, the ratio `torch_over_<executor>` (above 1:
/// netc is faster).
pub fn add_torch(rows: &mut [Row], torch: &HashMap<String, f64>) {
    for row in rows {
        let Some(&torch_us) = torch.get(row.workload) else {
            continue;
        };
        let ratios: Vec<Figure> = row
            .figures
            .iter()
            .filter_map(|f| {
                let executor = f.key.strip_suffix(NETC_STEP_SUFFIX)?;
                Some(Figure {
                    key: format!("torch_over_{executor}"),
                    value: torch_us / f.value,
                })
            })
            .collect();
        row.figures.push(Figure {
            key: TORCH_KEY.into(),
            value: torch_us,
        });
        row.figures.extend(ratios);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_scripts_lines() {
        let text = concat!(
            r#"{"workload": "seed", "torch_train_step_us": 350.5, "steps_timed": 10}"#,
            "\n\n",
            r#"{"workload": "mnist", "torch_train_step_us": 6000}"#,
            "\n"
        );
        let figures = parse_torch_lines(text).expect("valid lines");
        assert_eq!(figures["seed"], 350.5);
        assert_eq!(figures["mnist"], 6000.0);
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
    fn ratios_are_torch_over_each_netc_step() {
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
        let torch = HashMap::from([("seed".to_string(), 400.0)]);
        add_torch(&mut rows, &torch);
        assert_eq!(rows[0].get(TORCH_KEY), Some(400.0));
        assert_eq!(rows[0].get("torch_over_interpreted"), Some(100.0));
        assert_eq!(rows[0].figures.len(), 4);
        assert!(rows[1].figures.is_empty());
    }

    #[test]
    fn the_torch_script_is_in_the_repository() {
        assert!(torch_script().is_file(), "{}", torch_script().display());
    }
}
