//! `netc fmt` end to end: rewrites in place, `--check` diffs and exit
//! codes, files with syntax errors refused and left untouched.

use crate::common;

use std::path::{Path, PathBuf};

use common::{netc_in, stderr, stdout};

const MESSY: &str = "model A{input x:2 fc=linear(2,1)
forward{return fc(x)}}
";

const TIDY: &str = "model A {
    input x: 2
    fc = linear(2, 1)
    forward {
        return fc(x)
    }
}
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write model");
    path
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read model")
}

#[test]
fn formats_in_place_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messy = write(dir.path(), "messy.nn", MESSY);
    let tidy = write(dir.path(), "tidy.nn", TIDY);
    let output = netc_in(dir.path(), &["fmt", "messy.nn", "tidy.nn"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "1 file reformatted, 1 file left unchanged\n"
    );
    assert_eq!(read(&messy), TIDY);
    assert_eq!(read(&tidy), TIDY);

    let again = netc_in(dir.path(), &["fmt", "messy.nn"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(
        stderr(&again),
        "0 files reformatted, 1 file left unchanged\n"
    );
}

#[test]
fn check_prints_a_unified_diff_exits_1_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let messy = write(dir.path(), "messy.nn", MESSY);
    let output = netc_in(dir.path(), &["fmt", "--check", "messy.nn"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(read(&messy), MESSY);
    insta::assert_snapshot!(stdout(&output));
    assert_eq!(
        stderr(&output),
        "1 file would be reformatted, 0 files left unchanged\n"
    );
}

#[test]
fn check_of_formatted_files_exits_0_silently() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "tidy.nn", TIDY);
    let output = netc_in(dir.path(), &["fmt", "--check", "tidy.nn"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_file_with_syntax_errors_is_refused_untouched_and_the_others_formatted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broken_text = "model A { input x: 2 fc = linear(2, forward { return fc(x) } }\n";
    let broken = write(dir.path(), "broken.nn", broken_text);
    let messy = write(dir.path(), "messy.nn", MESSY);
    let output = netc_in(dir.path(), &["fmt", "broken.nn", "messy.nn"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(read(&broken), broken_text);
    assert_eq!(read(&messy), TIDY);
    let err = stderr(&output);
    assert!(err.contains("error[NN000]"), "{err}");
    assert!(
        err.contains("broken.nn was not formatted: fix its syntax errors first"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_refused_with_nn000() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("latin1.nn");
    std::fs::write(&path, b"model A { input x: 2 } // caf\xe9\n").expect("write");
    let output = netc_in(dir.path(), &["fmt", "latin1.nn"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("not valid UTF-8"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_unreadable_file_is_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = netc_in(dir.path(), &["fmt", "missing.nn"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read `missing.nn`"));
}

#[test]
fn no_file_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = netc_in(dir.path(), &["fmt"]);
    assert_eq!(output.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn formatting_keeps_the_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let messy = write(dir.path(), "messy.nn", MESSY);
    std::fs::set_permissions(&messy, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let output = netc_in(dir.path(), &["fmt", "messy.nn"]);
    assert_eq!(output.status.code(), Some(0));
    let mode = std::fs::metadata(&messy)
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
}
