//! The compile errors a user sees, under the toolchain pinned in
//! rust-toolchain.toml. Regenerate with `TRYBUILD=overwrite`. Only
//! `compile_fail` cases: with them alone trybuild runs `cargo check`, so
//! its own build of the dependencies (in `target/tests/trybuild`, apart
//! from the workspace's) stays a check, not a full build; the one model
//! that must compile is `lint_warning`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail_*.rs");
}
