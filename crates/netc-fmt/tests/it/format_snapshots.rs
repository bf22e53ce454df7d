//! The formatted text of every example and test model, and of fixtures
//! written to exercise the layout rules; refused files show their errors.

use crate::common;

fn formatted(path: &std::path::Path) -> String {
    let source = std::fs::read_to_string(path).expect("model text");
    match netc_fmt::format(&source) {
        Ok(text) => text,
        Err(errors) => {
            let lines: Vec<String> = errors
                .diagnostics
                .iter()
                .map(|d| format!("refused: {} {}", d.code, d.message))
                .collect();
            lines.join("\n")
        }
    }
}

#[test]
fn examples() {
    insta::glob!("../../../..", "examples/*.nn", |path| {
        insta::assert_snapshot!(formatted(path));
    });
}

#[test]
fn cli_test_models() {
    insta::glob!(
        "../../../..",
        "crates/netc-cli/tests/{models,lint_config}/*.nn",
        |path| {
            insta::assert_snapshot!(formatted(path));
        }
    );
}

#[test]
fn language_models() {
    insta::glob!(
        "../../../..",
        "crates/netc-lang/tests/models/language/*.nn",
        |path| {
            insta::assert_snapshot!(formatted(path));
        }
    );
}

#[test]
fn layout_fixtures() {
    insta::glob!("..", "fixtures/*.nn", |path| {
        insta::assert_snapshot!(formatted(path));
    });
}

#[test]
fn the_formatted_corpus_is_a_fixed_point_with_the_same_meaning() {
    for (path, source) in common::corpus() {
        let once = netc_fmt::format(&source).expect("the corpus parses");
        let twice = netc_fmt::format(&once).expect("formatted text parses");
        assert_eq!(once, twice, "{} is not stable", path.display());
        assert_eq!(
            common::meaning(&source),
            common::meaning(&once),
            "{} changed meaning",
            path.display()
        );
    }
}

#[test]
fn an_empty_file_stays_empty_and_comments_alone_are_kept() {
    assert_eq!(netc_fmt::format("").expect("empty parses"), "");
    assert_eq!(
        netc_fmt::format("  // only a note   \n\n\n// another").expect("comments parse"),
        "// only a note\n\n// another\n"
    );
}

#[test]
fn a_call_too_wide_for_one_line_gets_one_argument_per_line() {
    let source = "model A { input x: 9 fc1 = linear(9, 16, init=kaiming_uniform(nonlinearity=relu, mode=fan_out), bias_init=zeros, bias=true) forward { return fc1(x) } }";
    let expected = "model A {
    input x: 9
    fc1 = linear(
        9,
        16,
        init=kaiming_uniform(nonlinearity=relu, mode=fan_out),
        bias_init=zeros,
        bias=true,
    )
    forward {
        return fc1(x)
    }
}
";
    assert_eq!(netc_fmt::format(source).expect("parses"), expected);
}

#[test]
fn a_syntax_error_is_refused_with_its_diagnostics() {
    let errors = netc_fmt::format("model A { input x: 9 fc1 = linear(9, }").expect_err("refused");
    assert!(errors.diagnostics.iter().all(|d| d.code == "NN000"));
    assert!(!errors.diagnostics.is_empty());
}
