//! Printing measured rows: one JSON line per workload, or a table.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::executor::Figure;

/// Every figure measured for one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub workload: &'static str,
    pub figures: Vec<Figure>,
}

impl Row {
    pub fn get(&self, key: &str) -> Option<f64> {
        self.figures.iter().find(|f| f.key == key).map(|f| f.value)
    }
}

// By hand, so the keys keep their measured order without switching
// serde_json's `preserve_order` on for the whole workspace.
impl Serialize for Row {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.figures.len() + 1))?;
        map.serialize_entry("workload", self.workload)?;
        for figure in &self.figures {
            map.serialize_entry(&figure.key, &figure.value)?;
        }
        map.end()
    }
}

/// `{"workload": "seed", "interpreted_train_step_us": 3.2, ...}`
pub fn json_line(row: &Row) -> serde_json::Result<String> {
    serde_json::to_string(row)
}

/// One line per workload, one column per figure key (in order of first
/// appearance); a workload without some figure shows `-` there.
pub fn table(rows: &[Row]) -> String {
    let mut keys: Vec<&str> = Vec::new();
    for figure in rows.iter().flat_map(|r| &r.figures) {
        if !keys.contains(&figure.key.as_str()) {
            keys.push(&figure.key);
        }
    }
    let mut lines = vec![std::iter::once(format!("{:<10}", "workload"))
        .chain(keys.iter().map(|k| format!("{k:>w$}", w = column_width(k))))
        .collect::<Vec<_>>()
        .join(" ")];
    for row in rows {
        let cells = keys.iter().map(|k| {
            let cell = row
                .get(k)
                .map_or_else(|| "-".into(), |v| format_value(k, v));
            format!("{cell:>w$}", w = column_width(k))
        });
        lines.push(
            std::iter::once(format!("{:<10}", row.workload))
                .chain(cells)
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    lines.join("\n") + "\n"
}

fn column_width(key: &str) -> usize {
    key.len().max(10)
}

/// Microseconds with two decimals, nanoseconds whole, MFLOP with three,
/// GFLOP/s with one, ratios with two.
fn format_value(key: &str, value: f64) -> String {
    if key.ends_with("_mflop") {
        format!("{value:.3}")
    } else if key.ends_with("_gflops") {
        format!("{value:.1}")
    } else if key.ends_with("_ns") {
        format!("{value:.0}")
    } else if key.ends_with("_us") {
        format!("{value:.2}")
    } else {
        format!("{value:.2}x")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(workload: &'static str, figures: &[(&str, f64)]) -> Row {
        Row {
            workload,
            figures: figures
                .iter()
                .map(|&(key, value)| Figure {
                    key: key.into(),
                    value,
                })
                .collect(),
        }
    }

    #[test]
    fn json_line_keeps_the_workload_first_and_figures_in_order() {
        let line = json_line(&row(
            "seed",
            &[
                ("interpreted_train_step_us", 3.5),
                ("interpreted_infer_one_ns", 120.0),
            ],
        ))
        .expect("a row serialises");
        assert_eq!(
            line,
            r#"{"workload":"seed","interpreted_train_step_us":3.5,"interpreted_infer_one_ns":120.0}"#
        );
        let parsed: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(parsed["interpreted_train_step_us"], 3.5);
    }

    #[test]
    fn table_has_a_column_per_key_and_dashes_for_gaps() {
        let text = table(&[
            row(
                "seed",
                &[("a_train_step_us", 1.234), ("a_infer_one_ns", 99.6)],
            ),
            row(
                "mnist",
                &[("a_train_step_us", 5000.0), ("torch_over_a", 2.5)],
            ),
        ]);
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("workload"));
        assert!(lines[0].contains("a_train_step_us") && lines[0].contains("torch_over_a"));
        let seed: Vec<_> = lines[1].split_whitespace().collect();
        assert_eq!(seed, ["seed", "1.23", "100", "-"]);
        let mnist: Vec<_> = lines[2].split_whitespace().collect();
        assert_eq!(mnist, ["mnist", "5000.00", "-", "2.50x"]);
    }

    #[test]
    fn product_flops_show_three_decimals_and_their_rates_one() {
        let text = table(&[row(
            "deep",
            &[
                ("step_product_mflop", 30.015_36),
                ("generated_product_gflops", 99.72),
            ],
        )]);
        let deep: Vec<_> = text
            .lines()
            .nth(1)
            .expect("a row")
            .split_whitespace()
            .collect();
        assert_eq!(deep, ["deep", "30.015", "99.7"]);
    }
}
