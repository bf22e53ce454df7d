//! `netc explain` end to end: by code, by name, and unknown names.

use crate::common;

use common::{netc, stderr, stdout};

#[test]
fn by_code_and_by_name_print_the_same() {
    let by_code = netc(&["explain", "NN001"]);
    let by_name = netc(&["explain", "undefined-layer"]);
    let lower_case = netc(&["explain", "nn001"]);
    assert_eq!(by_code.status.code(), Some(0), "{}", stderr(&by_code));
    assert_eq!(by_name.status.code(), Some(0));
    assert_eq!(stdout(&by_code), stdout(&by_name));
    assert_eq!(stdout(&by_code), stdout(&lower_case));
    insta::assert_snapshot!(stdout(&by_code));
}

#[test]
fn every_rule_explains_itself_with_its_header() {
    for number in 0..=39 {
        let code = format!("NN{number:03}");
        let output = netc(&["explain", &code]);
        assert_eq!(output.status.code(), Some(0), "{code}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(text.starts_with(&format!("# {code} ")), "{text}");
        assert!(text.contains("Default severity: "), "{text}");
        assert!(text.contains("## What it does"), "{code}");
        assert!(text.contains("## Why is this bad?"), "{code}");
        assert!(text.contains("## Example"), "{code}");
    }
}

#[test]
fn a_near_miss_suggests_the_rule() {
    let misspelt = netc(&["explain", "undefined-layr"]);
    assert_eq!(misspelt.status.code(), Some(2));
    assert!(stdout(&misspelt).is_empty());
    let message = stderr(&misspelt);
    assert!(
        message.starts_with("error: no rule named `undefined-layr`"),
        "{message}"
    );
    assert!(
        message.contains("did you mean `NN001` (undefined-layer)?"),
        "{message}"
    );

    let code = netc(&["explain", "nn0001"]);
    assert_eq!(code.status.code(), Some(2));
    assert!(
        stderr(&code).contains("did you mean `NN001`"),
        "{}",
        stderr(&code)
    );
}

#[test]
fn an_unknown_rule_explains_how_rules_are_named() {
    let output = netc(&["explain", "gradient-magic"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("help: a rule is named by its code"),
        "{message}"
    );
}
