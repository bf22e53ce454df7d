//! `netc check --fix`: edits in place (comments and layout kept), says
//! what it fixed, reports what remains, and a second run changes nothing.

use crate::common;

use std::path::{Path, PathBuf};

use common::{netc_in, stderr};

const WATER: &str = "// water.nn: binary classifier for 9 water-quality measurements
model WaterNet {
    input x: 9                      // features per sample

    fc1 = linear(9, 16, init=kaiming_uniform(nonlinearity=relu))
    bn1 = batchnorm(16)
    fc2 = linear(16, 8, init=kaiming_uniform(nonlinearity=relu))
    bn2 = batchnorm(8)
    fc3 = linear(8, 1, init=kaiming_uniform(nonlinearity=sigmoid))

    forward {
        x = elu(bn1(fc1(x)))
        x = elu(bn2(fc2(x)))
        return sigmoid(fc3(x))      // probabilities
    }

    train {
        loss = bce
        optimizer = adam(lr=1e-3)
        batch = 32
    }
}
";

fn fixed_water() -> String {
    WATER
        .replace("relu))\n    bn1", "relu), bias=false)\n    bn1")
        .replace("relu))\n    bn2", "relu), bias=false)\n    bn2")
        .replace("return sigmoid(fc3(x))", "return fc3(x)")
        .replace("loss = bce\n", "loss = bce_with_logits\n")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write model");
    path
}

#[test]
fn fixes_in_place_keeping_comments_and_says_how_many() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "water.nn", WATER);
    let output = netc_in(dir.path(), &["check", "--fix", "water.nn"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "fixed 3 problems in water.nn\n");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), fixed_water());
}

#[test]
fn a_second_fix_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "water.nn", &fixed_water());
    let output = netc_in(dir.path(), &["check", "--fix", "water.nn"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stderr(&output), "");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), fixed_water());
}

#[test]
fn what_remains_is_reported_and_decides_the_exit_status() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A constant hidden init (NN011, an error) has no mechanical fix.
    let text = WATER.replace(
        "fc2 = linear(16, 8, init=kaiming_uniform(nonlinearity=relu))",
        "fc2 = linear(16, 8, init=constant(0.5))",
    );
    let path = write(dir.path(), "water.nn", &text);
    let output = netc_in(dir.path(), &["check", "--fix", "water.nn"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.starts_with("fixed 3 problems in water.nn\n"), "{err}");
    assert!(err.contains("error[NN011]"), "{err}");
    assert!(
        !err.contains("[NN009]") && !err.contains("[NN018]"),
        "{err}"
    );
    let fixed = std::fs::read_to_string(&path).expect("read");
    assert!(fixed.contains("init=constant(0.5), bias=false)"), "{fixed}");
}

#[test]
fn allowed_lints_are_not_fixed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "water.nn", WATER);
    let output = netc_in(
        dir.path(),
        &[
            "check",
            "--fix",
            "water.nn",
            "--allow",
            "bias-before-batchnorm",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stderr(&output), "fixed 1 problem in water.nn\n");
    let fixed = std::fs::read_to_string(&path).expect("read");
    assert!(!fixed.contains("bias=false"), "{fixed}");
    assert!(fixed.contains("loss = bce_with_logits\n"), "{fixed}");
}

#[test]
fn json_output_lists_what_remains() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = WATER.replace(
        "    bn2 = batchnorm(8)\n",
        "    bn2 = batchnorm(8)\n    spare = linear(8, 8)\n",
    );
    write(dir.path(), "water.nn", &text);
    let output = netc_in(
        dir.path(),
        &["check", "--fix", "--format", "json", "water.nn"],
    );
    assert_eq!(output.status.code(), Some(0));
    let items: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let codes: Vec<&str> = items
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert_eq!(codes, ["NN002"]);
    assert_eq!(stderr(&output), "fixed 3 problems in water.nn\n");
}

#[cfg(unix)]
#[test]
fn the_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write(dir.path(), "water.nn", WATER);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let output = netc_in(dir.path(), &["check", "--fix", "water.nn"]);
    assert_eq!(output.status.code(), Some(0));
    let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
}

#[test]
fn a_file_that_cannot_be_read_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = netc_in(dir.path(), &["check", "--fix", "missing.nn"]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_did_you_mean_rename_waits_for_unsafe_fixes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let typo = WATER.replace("x = elu(bn1(fc1(x)))", "x = elu(bc1(fc1(x)))");
    let path = write(dir.path(), "water.nn", &typo);

    let output = netc_in(dir.path(), &["check", "--fix", "water.nn"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("1 more fix available with `--unsafe-fixes`"),
        "{err}"
    );
    assert!(err.contains("error[NN001]"), "{err}");
    assert!(std::fs::read_to_string(&path)
        .expect("read")
        .contains("bc1"));

    let output = netc_in(
        dir.path(),
        &["check", "--fix", "--unsafe-fixes", "water.nn"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&path).expect("read"), fixed_water());
}

#[test]
fn unsafe_fixes_needs_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "water.nn", WATER);
    let output = netc_in(dir.path(), &["check", "--unsafe-fixes", "water.nn"]);
    assert_eq!(output.status.code(), Some(2));
}
