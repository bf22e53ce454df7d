//! The point of this crate being apart from the runtime: a `netc::model!`
//! user compiles none of its file-format dependencies unless the facade's
//! `train` feature asks for them. Asked of `cargo tree`, which resolves
//! the facade exactly as a user's build would.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The crates only this one brings in.
const TRAIN_ONLY: [&str; 4] = ["netc-train", "csv", "flate2", "safetensors"];

/// The names of every package the facade compiles (normal and build
/// dependencies, proc-macros included) with the given extra arguments.
fn facade_packages(extra: &[&str]) -> BTreeSet<String> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--locked", "--manifest-path"])
        .arg(&workspace)
        .args(["-p", "netc", "-e", "normal,build", "--prefix", "none"])
        .args(["--format", "{p}"])
        .args(extra)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("cargo tree prints UTF-8")
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn the_facade_compiles_no_training_dependency_by_default() {
    let packages = facade_packages(&[]);
    assert!(packages.contains("netc-runtime"), "{packages:?}");
    for name in TRAIN_ONLY {
        assert!(!packages.contains(name), "netc depends on {name}");
    }
}

#[test]
fn the_train_feature_brings_them_in() {
    let packages = facade_packages(&["--features", "train"]);
    for name in TRAIN_ONLY {
        assert!(
            packages.contains(name),
            "netc --features train lacks {name}"
        );
    }
}
