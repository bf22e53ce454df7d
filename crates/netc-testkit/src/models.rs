//! Checked models for tests that lower one: the checker is the only way
//! to a `ValidModel`, so a test's model goes through it like a user's.

use netc_lang::{check_file, LintLevels, ValidModel};

/// Every model of `source`, checked. Panics with the diagnostics when the
/// checker finds an error: the test's model text is wrong.
pub fn valid_models(source: &str) -> Vec<ValidModel> {
    let checked = check_file(source.as_bytes(), &LintLevels::default());
    let models = checked.valid_models().to_vec();
    assert!(
        !models.is_empty(),
        "the test model does not check: {:#?}",
        checked.diagnostics
    );
    models
}

/// The first model of `source`, checked (see [`valid_models`]).
pub fn valid_model(source: &str) -> ValidModel {
    valid_models(source).swap_remove(0)
}
