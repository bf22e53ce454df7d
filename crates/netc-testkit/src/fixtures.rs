//! The committed PyTorch fixtures (`tests/fixtures/`, written by
//! `scripts/torch_reference/`): where they are and how their measured
//! tolerances read.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// `relative` (like `tests/fixtures/torch`) below the workspace root.
pub fn workspace_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// A fixture's `{"rel": …, "abs": …}`: `actual` passes when
/// `|actual − expected| ≤ abs + rel·|expected|`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub rel: f64,
    pub abs: f64,
}

impl Tolerance {
    /// Panics on a malformed fixture, which is a broken test setup.
    pub fn from_json(value: &Value) -> Tolerance {
        Tolerance {
            rel: value["rel"].as_f64().expect("tolerance.rel"),
            abs: value["abs"].as_f64().expect("tolerance.abs"),
        }
    }

    pub fn accepts(self, actual: f64, expected: f64) -> bool {
        (actual - expected).abs() <= self.allowance(expected)
    }

    /// How far `|actual − expected|` is past what this tolerance allows
    /// (positive: rejected), to find the worst element of a tensor.
    pub fn excess(self, actual: f64, expected: f64) -> f64 {
        (actual - expected).abs() - self.allowance(expected)
    }

    fn allowance(self, expected: f64) -> f64 {
        self.abs + self.rel * expected.abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowance_grows_with_the_expected_value() {
        let tol = Tolerance::from_json(&serde_json::json!({"rel": 0.1, "abs": 0.01}));
        assert!(tol.accepts(1.1, 1.0));
        assert!(!tol.accepts(1.12, 1.0));
        assert!(tol.accepts(0.005, 0.0));
        assert!(!tol.accepts(f64::NAN, 0.0));
        assert!(tol.excess(1.12, 1.0) > 0.0 && tol.excess(1.0, 1.0) < 0.0);
    }

    #[test]
    fn workspace_paths_reach_the_fixtures() {
        assert!(workspace_path("tests/fixtures/torch").is_dir());
    }
}
