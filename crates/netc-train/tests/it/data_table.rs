//! Reading CSV files: numbers, missing markers, line numbers, gzip, and
//! the errors a user sees for broken files.

use std::io::Write;

use netc_train::data::{DataError, Table};

fn table(text: &str) -> Result<Table, DataError> {
    Table::from_reader("t.csv", text.as_bytes())
}

#[test]
fn reads_header_rows_and_missing_markers() {
    let t = table("a,b,y\n1,2.5,0\n,NA,1\nNaN, nan ,0\n").expect("valid csv");
    assert_eq!(t.columns, ["a", "b", "y"]);
    assert_eq!(t.rows(), 3);
    assert_eq!(t.row(0), [1.0, 2.5, 0.0]);
    assert!(t.row(1)[0].is_nan() && t.row(1)[1].is_nan());
    assert!(t.row(2)[0].is_nan() && t.row(2)[1].is_nan());
    assert_eq!(t.line(0), 2);
    assert_eq!(t.line(2), 4);
}

#[test]
fn non_numeric_cell_names_line_and_column() {
    let err = table("a,b,y\n1,2,0\n3,abc,1\n").expect_err("abc is no number");
    assert_eq!(
        err,
        DataError::NotNumeric {
            path: "t.csv".into(),
            line: 3,
            column: "b".into(),
            value: "abc".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "t.csv:3: column `b`: `abc` is not a number"
    );
}

#[test]
fn infinity_is_not_a_usable_number() {
    assert!(matches!(
        table("a,y\ninf,0\n"),
        Err(DataError::NotNumeric { line: 2, .. })
    ));
}

#[test]
fn ragged_row_names_line_and_counts() {
    let err = table("a,b,y\n1,2,0\n1,2\n").expect_err("short row");
    assert_eq!(
        err.to_string(),
        "t.csv:3: the row has 2 fields, but the header has 3"
    );
}

#[test]
fn empty_and_header_only_files_are_refused() {
    assert!(matches!(table(""), Err(DataError::Empty { .. })));
    assert!(matches!(table("a,b,y\n"), Err(DataError::NoRows { .. })));
}

#[test]
fn gzip_file_reads_like_the_plain_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "a,y\n1,0\n2,1\n";
    let plain = dir.path().join("d.csv");
    std::fs::write(&plain, text).expect("write csv");
    let gz = dir.path().join("d.csv.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).expect("create gz"),
        flate2::Compression::default(),
    );
    encoder.write_all(text.as_bytes()).expect("compress");
    encoder.finish().expect("finish gz");

    let a = Table::read(&plain).expect("plain");
    let b = Table::read(&gz).expect("gzip");
    assert_eq!(a.columns, b.columns);
    assert_eq!((a.row(0), a.row(1)), (b.row(0), b.row(1)));
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = Table::read(std::path::Path::new("no/such/file.csv")).expect_err("missing");
    assert!(matches!(err, DataError::Io { .. }));
    assert!(err.to_string().starts_with("no/such/file.csv: "));
}

#[test]
fn bytes_that_are_not_utf8_name_the_line_and_column() {
    let err = Table::from_reader("t.csv", &b"a,b,y\n1,2,0\n1,\xff,1\n"[..]).expect_err("latin-1");
    assert_eq!(
        err.to_string(),
        "t.csv:3: column `b`: not UTF-8 text (save the file as UTF-8)"
    );
    let err = Table::from_reader("t.csv", &b"a,\xffb,y\n1,2,0\n"[..]).expect_err("latin-1");
    assert_eq!(
        err.to_string(),
        "t.csv:1: not UTF-8 text (save the file as UTF-8)"
    );
}

#[test]
fn a_broken_gzip_stream_says_the_file_cannot_be_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let gz = dir.path().join("broken.csv.gz");
    std::fs::write(&gz, b"not gzip at all").expect("write");
    let err = Table::read(&gz).expect_err("not gzip");
    let text = err.to_string();
    assert!(
        text.contains("broken.csv.gz: cannot read the file: ") && !text.contains("record"),
        "{text}"
    );
}

#[test]
fn a_column_named_twice_is_refused() {
    let err = table("a,b,a,y\n1,2,3,0\n").expect_err("duplicate");
    assert_eq!(
        err.to_string(),
        "t.csv:1: the header names column `a` twice"
    );
}
