//! The compile errors (and the warning) a user sees, under the toolchain
//! pinned in rust-toolchain.toml. Regenerate with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail_*.rs");
    cases.pass("tests/ui/pass_*.rs");
}
