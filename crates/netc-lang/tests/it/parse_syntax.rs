//! Syntax errors (NN000): pest's expectations in words, the primary span
//! on the offending token, and recovery that keeps checking the rest.

use netc_lang::{check_source, parse, Diagnostic};

fn slice<'s>(source: &'s str, d: &Diagnostic) -> &'s str {
    &source[d.span.start..d.span.end]
}

fn syntax_errors(source: &str) -> Vec<(String, String)> {
    let (_, diags) = parse(source);
    diags
        .iter()
        .map(|d| {
            assert_eq!((d.code, d.name), ("NN000", "syntax-error"));
            (slice(source, d).to_string(), d.message.clone())
        })
        .collect()
}

#[test]
fn a_bad_model_item_lists_what_may_start_one() {
    let source = "model A {\n    input x: 9\n    42 = linear(9, 1)\n}\n";
    assert_eq!(
        syntax_errors(source),
        [(
            "42".to_string(),
            "expected `input`, a layer name, `forward`, `train` or `}`".to_string()
        )]
    );
}

#[test]
fn an_unclosed_call_expects_a_close_paren_or_comma() {
    let source = "model A {\n    input x: 9\n    fc = linear(9 1)\n}\n";
    assert_eq!(
        syntax_errors(source),
        [("1".to_string(), "expected `)`, `,` or `+`".to_string())]
    );
}

#[test]
fn a_paren_left_open_at_the_end_of_a_line_is_labelled() {
    let source =
        "model A {\n    input x: 9\n    fc = linear(9, 1\n    forward { return fc(x) }\n}\n";
    let (_, diags) = parse(source);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(slice(source, &diags[0]), "forward");
    assert_eq!(diags[0].labels.len(), 1);
    let label = &diags[0].labels[0];
    assert_eq!(label.message, "this `(` is never closed");
    assert_eq!(label.span.start, source.find("(9").expect("paren"));
}

#[test]
fn a_missing_operand_expects_a_value() {
    let source = "model A { input x: 9 forward { y = x + } }";
    assert_eq!(
        syntax_errors(source),
        [("}".to_string(), "expected a value".to_string())]
    );
}

#[test]
fn top_level_text_expects_a_model() {
    let source = "modle A { }";
    assert_eq!(
        syntax_errors(source),
        [("modle".to_string(), "expected `model`".to_string())]
    );
}

#[test]
fn an_unclosed_model_is_reported_at_the_end_of_the_file() {
    let source = "model A {\n    input x: 9\n";
    let (_, diags) = parse(source);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(
        (diags[0].span.start, diags[0].span.end),
        (source.len(), source.len())
    );
    assert!(diags[0].message.contains("`}`"), "{}", diags[0].message);
    assert_eq!(diags[0].span_label, "unexpected end of file");
}

#[test]
fn the_found_token_is_labelled() {
    let (_, diags) = parse("model A { input x 9 }");
    assert_eq!(diags[0].message, "expected `:`");
    assert_eq!(diags[0].span_label, "unexpected `9`");
}

#[test]
fn recovery_reports_every_broken_statement_and_checks_the_rest() {
    let source = "\
model A {
    input x: 9
    fc1 = linear(9, 16
    fc2 = linear(16 8)
    bn = batchnrom(16)
    forward {
        h = fc1(x)
        return fc3(h)
    }
}
";
    let (_, diags) = check_source(source);
    let summary: Vec<(&str, &str)> = diags.iter().map(|d| (d.code, slice(source, d))).collect();
    // Both syntax errors, then the semantic errors of what parsed; the
    // dropped `fc1` and `fc2` are neither undefined nor unused.
    assert_eq!(
        summary,
        [
            ("NN000", "fc2"),
            ("NN000", "8"),
            ("NN036", "batchnrom"),
            ("NN001", "fc3")
        ],
        "{diags:#?}"
    );
}

#[test]
fn a_broken_block_header_drops_the_block_not_the_model() {
    let source = "\
model A {
    input x: 9
    fc = linear(9, 1)
    forwrd {
        return fc(x)
    }
}
model B {
    input x: 2
    fc = linear(2, 1)
    forward { return fcc(x) }
}
";
    let (_, diags) = check_source(source);
    let summary: Vec<(&str, &str)> = diags.iter().map(|d| (d.code, slice(source, d))).collect();
    // No NN034 for A (its `forward` was dropped, not missing), no NN002
    // for A's `fc` (the dropped block called it); B's `fc` is unused.
    assert_eq!(
        summary,
        [("NN000", "{"), ("NN002", "fc"), ("NN001", "fcc")],
        "{diags:#?}"
    );
}

#[test]
fn statements_after_return_are_rejected() {
    let source = "model A { input x: 2 forward { return x y = x } }";
    let (_, diags) = check_source(source);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].code, "NN000");
    assert_eq!(diags[0].message, "statement after `return`");
    assert_eq!(slice(source, &diags[0]), "y = x");
    let label = &diags[0].labels[0];
    assert_eq!(&source[label.span.start..label.span.end], "return x");
}

#[test]
fn keywords_need_a_word_boundary() {
    // `returnx` is a variable, `models` is not `model`.
    let (file, diags) = parse("model A { input x: 1 forward { returnx = x return returnx } }");
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(file.models.len(), 1);
    assert!(!syntax_errors("models A { }").is_empty());
}
