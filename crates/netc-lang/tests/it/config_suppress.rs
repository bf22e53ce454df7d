//! Suppression comments (`// netc: allow(...)`) and their scopes, NN040
//! `unused-suppression`, and lint levels through `check_source_with`.

use netc_lang::{check_source, check_source_with, Diagnostic, Level, LintLevels, Severity};

/// A model with an unused layer `spare` (NN002, warning) and a bias before
/// batchnorm on `fc1` (NN018, info); `header` goes before the model,
/// `top` right after its `{`, `before_spare` on the line above `spare`.
fn model(header: &str, top: &str, before_spare: &str) -> String {
    format!(
        "{header}model M {{{top}
    input x: 4
    fc1 = linear(4, 8)
    bn1 = batchnorm(8)
{before_spare}    spare = linear(8, 8)
    fc2 = linear(8, 1)
    forward {{
        return fc2(relu(bn1(fc1(x))))
    }}
    train {{
        loss = mse
        batch = 16
    }}
}}
"
    )
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code).collect()
}

fn checked(source: &str) -> Vec<Diagnostic> {
    check_source(source).1
}

fn text<'s>(source: &'s str, d: &Diagnostic) -> &'s str {
    &source[d.span.start..d.span.end]
}

#[test]
fn without_comments_both_lints_fire() {
    assert_eq!(codes(&checked(&model("", "", ""))), ["NN018", "NN002"]);
}

#[test]
fn a_comment_on_the_line_before_suppresses_that_line_only() {
    let source = model("", "", "    // netc: allow(unused-layer)\n");
    assert_eq!(codes(&checked(&source)), ["NN018"]);
    let by_code = model("", "", "    // netc: allow(NN002)\n");
    assert_eq!(codes(&checked(&by_code)), ["NN018"]);
}

#[test]
fn stacked_directives_all_reach_the_declaration_below() {
    let source = model(
        "",
        "",
        "    // netc: allow(unused-layer)\n\n    // spare is kept for an experiment\n",
    );
    assert_eq!(codes(&checked(&source)), ["NN018"]);
}

#[test]
fn a_comment_at_the_top_of_a_model_covers_the_model() {
    let source = model(
        "",
        "\n    // netc: allow(unused-layer, bias-before-batchnorm)",
        "",
    );
    assert_eq!(codes(&checked(&source)), Vec::<&str>::new());
}

#[test]
fn a_comment_at_the_top_of_the_file_covers_every_model() {
    let one = model("// netc: allow(NN018, NN002)\n", "", "");
    let two = format!("{one}{}", model("", "", "").replace("model M", "model N"));
    assert_eq!(codes(&checked(&two)), Vec::<&str>::new());
}

#[test]
fn a_model_comment_does_not_reach_the_next_model() {
    let first = model("", "\n    // netc: allow(unused-layer)", "");
    let two = format!("{first}{}", model("", "", "").replace("model M", "model N"));
    let found = checked(&two);
    assert_eq!(codes(&found), ["NN018", "NN018", "NN002"]);
    assert!(found[2].span.start > first.len(), "{found:#?}");
}

#[test]
fn a_trailing_comment_covers_its_own_line() {
    let source = model("", "", "").replace(
        "spare = linear(8, 8)",
        "spare = linear(8, 8) // netc: allow(unused-layer)",
    );
    assert_eq!(codes(&checked(&source)), ["NN018"]);
}

#[test]
fn a_directive_inside_a_string_is_not_a_comment() {
    let source = model("", "", "").replace(
        "batch = 16",
        "batch = 16\n        data = \"x.csv // netc: allow(unused-layer)\"",
    );
    assert_eq!(codes(&checked(&source)), ["NN018", "NN002"]);
}

#[test]
fn an_unknown_name_is_nn040_on_the_name_with_a_suggestion() {
    let source = model("", "", "    // netc: allow(unused-layr)\n");
    let found = checked(&source);
    assert_eq!(codes(&found), ["NN018", "NN040", "NN002"]);
    let unknown = &found[1];
    assert_eq!(text(&source, unknown), "unused-layr");
    assert_eq!(unknown.severity, Severity::Warning);
    assert_eq!(
        unknown.help.as_deref(),
        Some("did you mean `unused-layer` (NN002)?")
    );
}

#[test]
fn a_name_that_suppresses_nothing_is_nn040_on_that_name() {
    let source = model("", "", "    // netc: allow(unused-layer,  NN018)\n");
    let found = checked(&source);
    assert_eq!(codes(&found), ["NN018", "NN040"]);
    assert_eq!(text(&source, &found[1]), "NN018");
    assert_eq!(
        found[1].message,
        "`bias-before-batchnorm` (NN018) is allowed here but nothing here triggers it"
    );
}

#[test]
fn front_end_errors_cannot_be_suppressed() {
    let source =
        model("// netc: allow(undefined-layer)\n", "", "").replace("fc2(relu(", "fc3(relu(");
    let found = checked(&source);
    assert!(codes(&found).contains(&"NN001"), "{found:#?}");
    let refused = found.iter().find(|d| d.code == "NN040").expect("NN040");
    assert_eq!(text(&source, refused), "undefined-layer");
    assert!(
        refused.message.contains("cannot be suppressed"),
        "{}",
        refused.message
    );
}

#[test]
fn a_malformed_directive_is_reported_whole() {
    let source = model("// netc: alow(NN002)\n", "", "");
    let found = checked(&source);
    assert_eq!(codes(&found), ["NN040", "NN018", "NN002"]);
    assert_eq!(text(&source, &found[0]), "// netc: alow(NN002)");
}

#[test]
fn a_file_with_errors_does_not_report_unused_directives() {
    // The error stops the lints, so `NN018` would look unused.
    let source =
        model("", "", "    // netc: allow(NN018)\n").replace("linear(8, 1)", "linear(9, 1)");
    let found = checked(&source);
    assert!(!codes(&found).contains(&"NN040"), "{found:#?}");
}

#[test]
fn unused_suppression_can_itself_be_allowed() {
    let source = model(
        "// netc: allow(unused-suppression)\n",
        "",
        "    // netc: allow(NN018)\n",
    );
    assert_eq!(codes(&checked(&source)), ["NN018", "NN002"]);
    let mut allow = LintLevels::default();
    allow
        .push(Level::Allow, "unused-suppression")
        .expect("a known lint");
    let flagged = model("", "", "    // netc: allow(NN018)\n");
    assert_eq!(
        codes(&check_source_with(&flagged, &allow).1),
        ["NN018", "NN002"]
    );
}

#[test]
fn levels_change_severity_and_drop_allowed_lints() {
    let source = model("", "", "");
    let mut levels = LintLevels::default();
    levels.push(Level::Deny, "NN018").expect("known");
    levels.push(Level::Allow, "unused-layer").expect("known");
    let found = check_source_with(&source, &levels).1;
    assert_eq!(codes(&found), ["NN018"]);
    assert_eq!(found[0].severity, Severity::Error);
    assert!(netc_lang::has_errors(&found));
}

proptest::proptest! {
    /// Directives cut anywhere, with multi-byte text and strings around
    /// them, never panic the scan.
    #[test]
    fn any_directive_text_checks_without_panicking(
        pieces in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::strategy::Just("// netc: allow(".to_string()),
                proptest::strategy::Just(")".to_string()),
                proptest::strategy::Just(",".to_string()),
                proptest::strategy::Just("\"".to_string()),
                proptest::strategy::Just("\n".to_string()),
                proptest::strategy::Just("model M {".to_string()),
                "[a-zé0-9 -]{0,6}",
            ],
            0..24,
        )
    ) {
        let source = pieces.concat();
        let (_, found) = check_source(&source);
        for d in found {
            proptest::prop_assert!(d.span.start <= d.span.end && d.span.end <= source.len());
        }
    }
}
