//! Any input yields diagnostics: never a panic, a hang or a stack
//! overflow.

use netc_lang::{check_bytes, check_source, has_errors, parse, Diagnostic, MAX_NESTING};
use proptest::prelude::*;

/// The default stack of a spawned thread; the main thread's 8 MiB would
/// hide an overflow.
const SMALL_STACK: usize = 2 * 1024 * 1024;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no panic, no overflow")
}

/// Invariants every result must hold, whatever the input.
fn assert_well_formed(source: &str, diags: &[Diagnostic]) {
    for pair in diags.windows(2) {
        assert!(
            pair[0].span.start <= pair[1].span.start,
            "sorted: {diags:#?}"
        );
    }
    for d in diags {
        let spans = std::iter::once(d.span).chain(d.labels.iter().map(|l| l.span));
        for span in spans {
            assert!(span.start <= span.end && span.end <= source.len(), "{d:#?}");
            assert!(
                source.is_char_boundary(span.start) && source.is_char_boundary(span.end),
                "{d:#?}"
            );
        }
        assert!(!d.message.is_empty());
    }
}

fn nested_calls(depth: usize) -> String {
    format!(
        "model M {{\n input x: 2\n forward {{\n return {}x{}\n }}\n}}\n",
        "relu(".repeat(depth),
        ")".repeat(depth)
    )
}

#[test]
fn two_thousand_nested_calls_are_rejected_without_overflow() {
    let source = nested_calls(2000);
    let diags = on_small_stack(move || check_source(&nested_calls(2000)).1);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    assert_eq!(d.code, "NN000");
    assert_eq!(
        d.message,
        format!("nesting deeper than {MAX_NESTING} levels")
    );
    // The primary span is the parenthesis that opens one level too many.
    assert_eq!(&source[d.span.start..d.span.end], "(");
    assert_eq!(source[..d.span.start].matches('(').count(), MAX_NESTING);
}

#[test]
fn nesting_at_the_limit_parses_and_lowers_on_a_small_stack() {
    let (program, diags) = on_small_stack(|| check_source(&nested_calls(MAX_NESTING)));
    // Lints may warn about the stacked activations; nothing is an error.
    assert!(!has_errors(&diags), "{diags:#?}");
    assert_eq!(program.models[0].nodes.len(), MAX_NESTING + 1);
}

#[test]
fn deep_tuples_and_unclosed_parens_do_not_overflow() {
    let tuples = format!(
        "model M {{ input x: 2 train {{ seed = {}1{} }} }}",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let diags = on_small_stack(move || check_source(&tuples).1);
    assert_eq!(diags[0].code, "NN000");
    let unclosed = format!(
        "model M {{ input x: 2 forward {{ return {}",
        "f(".repeat(200)
    );
    let diags = on_small_stack(move || check_source(&unclosed).1);
    assert!(diags.iter().any(|d| d.code == "NN000"), "{diags:#?}");
}

#[test]
fn a_long_residual_sum_stays_flat() {
    let sum = vec!["x"; 20_000].join(" + ");
    let source = format!("model M {{ input x: 2 forward {{ return {sum} }} }}");
    let (program, diags) = on_small_stack(move || check_source(&source));
    assert!(!has_errors(&diags), "{diags:#?}");
    assert_eq!(program.models[0].nodes.len(), 20_000);
}

#[test]
fn long_and_deep_arithmetic_evaluates_on_a_small_stack() {
    let chain = vec!["2 * 3 - 5"; 20_000].join(" + ");
    let source =
        format!("model M {{ input x: 2 fc = linear(2, {chain}) forward {{ return fc(x) }} }}");
    let (_, diags) = on_small_stack(move || check_source(&source));
    assert!(!has_errors(&diags), "{diags:#?}");
    let depth = MAX_NESTING - 1;
    let deep = format!(
        "model M {{ input x: 2 fc = linear(2, {}1 // 1{}) forward {{ return fc(x) }} }}",
        "(1 + ".repeat(depth),
        ")".repeat(depth)
    );
    let (_, diags) = on_small_stack(move || check_source(&deep));
    assert!(!has_errors(&diags), "{diags:#?}");
}

#[test]
fn error_reports_are_bounded_on_large_broken_files() {
    use netc_lang::MAX_SYNTAX_ERRORS;
    let broken = "model A { input x: 1 fc = linear(1 1) forward { return fc(x) } }\n".repeat(5_000);
    let (_, diags) = check_source(&broken);
    let syntax = diags.iter().filter(|d| d.code == "NN000").count();
    assert_eq!(syntax, MAX_SYNTAX_ERRORS);
    // One long line of nonsense: one report, not one per token.
    let line = "x".repeat(1_000_000) + " = = =";
    let (_, diags) = check_source(&line);
    assert_eq!(diags.len(), 1, "{diags:#?}");
}

#[test]
fn invalid_utf8_names_the_first_bad_byte() {
    let mut bytes = b"model M { input x: 9 } // caf".to_vec();
    bytes.extend_from_slice(&[0xC3, 0x28, b'!']);
    let (program, diags) = check_bytes(&bytes);
    assert!(program.models.is_empty());
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, "NN000");
    assert_eq!((diags[0].span.start, diags[0].span.end), (29, 30));
    assert!(
        diags[0].message.contains("offset 29"),
        "{}",
        diags[0].message
    );
    let (_, truncated) = check_bytes(&[b'a', 0xE2, 0x82]);
    assert_eq!((truncated[0].span.start, truncated[0].span.end), (1, 3));
}

#[test]
fn a_byte_order_mark_is_whitespace() {
    let mut bytes = "\u{FEFF}".as_bytes().to_vec();
    bytes.extend_from_slice(b"model M { input x: 1 forward { return x } }");
    let (program, diags) = check_bytes(&bytes);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(program.models[0].name, "M");
}

#[test]
fn empty_and_blank_files_are_valid() {
    for source in ["", "   \n", "// only a comment\n"] {
        let (program, diags) = check_source(source);
        assert!(
            program.models.is_empty() && diags.is_empty(),
            "{source:?}: {diags:#?}"
        );
    }
}

const WATER: &str = include_str!("../../../../examples/water.nn");
const SEED: &str = include_str!("../../../../examples/seed.nn");
const LENET: &str = include_str!("../../../../examples/lenet.nn");

/// A size argument: small, at the width limit, or beyond any integer.
fn size() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..40).prop_map(|n| n.to_string()),
        Just((1u64 << 24).to_string()),
        Just("99999999999999999999999".to_string()),
        (0u64..9, 0u64..9).prop_map(|(h, w)| format!("({h}, {w})")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_give_diagnostics_not_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let (_, diags) = check_bytes(&bytes);
        if let Ok(source) = std::str::from_utf8(&bytes) {
            assert_well_formed(source, &diags);
        } else {
            prop_assert_eq!(diags.len(), 1);
        }
    }

    #[test]
    fn random_text_gives_diagnostics_not_panics(source in "[a-z(){}=:,+.0-9\" \\n/_é-]{0,300}") {
        let (_, diags) = check_source(&source);
        assert_well_formed(&source, &diags);
    }

    #[test]
    fn mutated_examples_give_diagnostics_not_panics(
        base in prop_oneof![Just(WATER), Just(SEED), Just(LENET)],
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..4, "[a-z(){}=,:+ \\n0-9é]{0,3}"), 1..6),
    ) {
        let mut source = base.to_string();
        for (at, delete, insert) in edits {
            let mut start = at.index(source.len() + 1);
            while !source.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + delete).min(source.len());
            while !source.is_char_boundary(end) {
                end += 1;
            }
            source.replace_range(start..end, &insert);
        }
        let (_, diags) = check_source(&source);
        assert_well_formed(&source, &diags);
        let (file, _) = parse(&source);
        for dropped in &file.dropped {
            prop_assert!(dropped.span.end <= source.len());
            prop_assert!(source.is_char_boundary(dropped.span.start));
        }
    }

    #[test]
    fn image_layers_of_any_sizes_give_diagnostics_not_panics(
        input in (size(), size(), size()),
        sizes in proptest::collection::vec(size(), 6),
        pool in prop_oneof![Just("max_pool2d"), Just("avg_pool2d")],
    ) {
        let (c, h, w) = input;
        let source = format!(
            "model M {{\n input x: ({c}, {h}, {w})\n conv = conv2d({c}, {}, {}, stride={}, padding={}, dilation={}, groups={})\n pool = {pool}({}, {}, {})\n gap = adaptive_avg_pool2d({})\n fc = linear(3)\n forward {{\n return fc(flatten(gap(pool(relu(conv(x)))))) + fc(flatten(x))\n }}\n}}\n",
            sizes[0], sizes[1], sizes[2], sizes[3], sizes[4], sizes[5],
            sizes[1], sizes[2], sizes[3], sizes[4],
        );
        let (_, diags) = check_source(&source);
        assert_well_formed(&source, &diags);
    }
}
