//! Integer arithmetic in arguments evaluates where an integer (or a
//! number) is read, and each error is an NN037 at the sub-expression that
//! caused it: the divisor that is 0, the step that overflows, the operand
//! that is no integer, the whole expression whose value is out of range.

use netc_lang::render::{text, FileDiagnostics};
use netc_lang::{check_source, Diagnostic};

fn model(layers: &str) -> String {
    format!(
        "model M {{\n    input x: 400\n{layers}\n    forward {{\n        return fc(x)\n    }}\n}}\n"
    )
}

fn errors(source: &str) -> Vec<Diagnostic> {
    let (_, diags) = check_source(source);
    diags.into_iter().filter(|d| d.code == "NN037").collect()
}

/// `(text under the primary span, message, label)` of the one NN037.
fn one(layers: &str) -> (String, String, String) {
    let source = model(layers);
    let found = errors(&source);
    assert_eq!(found.len(), 1, "{layers}: {found:#?}");
    let d = &found[0];
    (
        source[d.span.start..d.span.end].to_string(),
        d.message.clone(),
        d.span_label.clone(),
    )
}

#[test]
fn arithmetic_widths_lower_to_their_values() {
    let source = model("    fc = linear(16 * 5 * 5, (120 - 20) // 3 + 2 * 1 - 1)");
    let (program, diags) = check_source(&source);
    assert!(diags.iter().all(|d| d.code != "NN037"), "{diags:#?}");
    let rendered = format!("{:?}", program.models[0].layers);
    assert!(rendered.contains("in_features: 400"), "{rendered}");
    assert!(rendered.contains("out_features: 34"), "{rendered}");
}

#[test]
fn floor_division_rounds_down_as_python_does() {
    // (-7) // 2 is -4 in Python; + 5 gives 1.
    let source = model("    fc = linear(400, (-7) // 2 + 5)");
    let (program, diags) = check_source(&source);
    assert!(diags.iter().all(|d| d.code != "NN037"), "{diags:#?}");
    assert!(format!("{:?}", program.models[0].layers).contains("out_features: 1"));
}

#[test]
fn division_by_zero_points_at_the_divisor() {
    assert_eq!(
        one("    fc = linear(400, 10 // (3 - 3))"),
        (
            "(3 - 3)".to_string(),
            "division by zero in `out_features`".to_string(),
            "this is 0".to_string()
        )
    );
}

#[test]
fn a_negative_size_shows_the_value_under_the_whole_expression() {
    assert_eq!(
        one("    fc = linear(400, 16 - 20)"),
        (
            "16 - 20".to_string(),
            "`out_features` must be a positive integer, found -4".to_string(),
            "this is -4".to_string()
        )
    );
}

#[test]
fn overflow_points_at_the_step_that_overflows() {
    assert_eq!(
        one("    fc = linear(400, 1 + 4294967296 * 4294967296 * 2)"),
        (
            "4294967296 * 4294967296".to_string(),
            "integer overflow in `out_features`".to_string(),
            "beyond the 64-bit integer range".to_string()
        )
    );
}

#[test]
fn a_float_or_a_name_in_arithmetic_is_named() {
    assert_eq!(
        one("    fc = linear(400, 2.5 * 4)"),
        (
            "2.5".to_string(),
            "`out_features` is integer arithmetic, but `2.5` is not an integer".to_string(),
            "not an integer".to_string()
        )
    );
    assert_eq!(
        one("    fc = linear(400, wide * 4)"),
        (
            "wide".to_string(),
            "`out_features` is integer arithmetic, but found the name `wide` in it".to_string(),
            "expected an integer".to_string()
        )
    );
}

#[test]
fn number_arguments_take_integer_arithmetic_too() {
    let source = model("    fc = linear(400, 2, init=uniform(a=-1, b=3 // 2))");
    let (_, diags) = check_source(&source);
    assert!(diags.iter().all(|d| d.code != "NN037"), "{diags:#?}");
    assert_eq!(
        one("    fc = linear(400, 2, init=uniform(a=-1, b=0.5 * 2))"),
        (
            "0.5".to_string(),
            "`b` is integer arithmetic, but `0.5` is not an integer".to_string(),
            "not an integer".to_string()
        )
    );
}

#[test]
fn train_settings_take_parenthesised_arithmetic() {
    let source = "model M {\n    input x: 2\n    fc = linear(2, 1)\n    forward {\n        return fc(x)\n    }\n    train {\n        batch = (8 * 4)\n        epochs = (0 - 1)\n    }\n}\n";
    let found = errors(source);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(&source[found[0].span.start..found[0].span.end], "(0 - 1)");
}

#[test]
fn rendered_errors() {
    let source = model(
        "    fc = linear(16 * 5 * 5, 10 // (2 - 2))\n    fc2 = linear(400, (1 - 2) * 3)\n    fc3 = linear(400, 9223372036854775807 + 1)",
    );
    let (_, diagnostics) = check_source(&source);
    let diagnostics: Vec<Diagnostic> = diagnostics
        .into_iter()
        .filter(|d| d.code == "NN037")
        .collect();
    let file = FileDiagnostics {
        path: "arithmetic.nn",
        source: &source,
        diagnostics: &diagnostics,
    };
    insta::assert_snapshot!(text::render(&[file], false));
}

mod evaluation {
    //! Random expressions, printed with only the parentheses precedence
    //! needs, evaluate as Python would.

    use netc_lang::check_source;
    use netc_lang::ir::LayerKind;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Tree {
        Int(i64),
        Op(Box<Tree>, &'static str, Box<Tree>),
    }

    fn tree() -> impl Strategy<Value = Tree> {
        let leaf = (-20i64..=20).prop_map(Tree::Int);
        leaf.prop_recursive(3, 8, 2, |inner| {
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*", "//"]),
                inner,
            )
                .prop_map(|(l, op, r)| Tree::Op(Box::new(l), op, Box::new(r)))
        })
    }

    fn precedence(op: &str) -> u8 {
        if matches!(op, "*" | "//") {
            2
        } else {
            1
        }
    }

    /// The text, with a group only where precedence or left-associativity
    /// needs one (and around a negative literal after `//`, which the
    /// comment rule asks for).
    fn print(tree: &Tree) -> String {
        match tree {
            Tree::Int(v) => v.to_string(),
            Tree::Op(l, op, r) => {
                let needs = |child: &Tree, right: bool| match child {
                    Tree::Op(_, child_op, _) => {
                        precedence(child_op) < precedence(op)
                            || (right && precedence(child_op) == precedence(op))
                    }
                    Tree::Int(v) => right && *op == "//" && *v < 0,
                };
                let side = |child: &Tree, right: bool| {
                    if needs(child, right) {
                        format!("({})", print(child))
                    } else {
                        print(child)
                    }
                };
                format!("{} {op} {}", side(l, false), side(r, true))
            }
        }
    }

    /// Python's value; `None` on division by zero.
    fn value(tree: &Tree) -> Option<i64> {
        match tree {
            Tree::Int(v) => Some(*v),
            Tree::Op(l, op, r) => {
                let (l, r) = (value(l)?, value(r)?);
                match *op {
                    "+" => Some(l + r),
                    "-" => Some(l - r),
                    "*" => Some(l * r),
                    _ if r == 0 => None,
                    _ => Some((l as f64 / r as f64).floor() as i64),
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn arithmetic_evaluates_as_python(tree in tree()) {
            let text = print(&tree);
            let source = format!(
                "model M {{\n    input x: 1\n    fc = linear(1, {text} + 1000000)\n    forward {{\n        return fc(x)\n    }}\n}}\n"
            );
            let (program, diags) = check_source(&source);
            let nn037: Vec<&str> = diags
                .iter()
                .filter(|d| d.code == "NN037")
                .map(|d| d.message.as_str())
                .collect();
            match value(&tree) {
                None => prop_assert_eq!(nn037, ["division by zero in `out_features`"], "{}", text),
                Some(v) if !(1..=1 << 24).contains(&(v + 1_000_000)) => {
                    prop_assert_eq!(nn037.len(), 1, "{}", text);
                    prop_assert!(nn037[0].ends_with(&format!("found {}", v + 1_000_000)), "{text}: {nn037:?}");
                }
                Some(v) => {
                    prop_assert!(nn037.is_empty(), "{text}: {nn037:?}");
                    let (_, layer) = program.models[0].layers.iter().next().expect("a layer");
                    let LayerKind::Linear(spec) = &layer.kind else {
                        panic!("linear")
                    };
                    prop_assert_eq!(spec.out_features as i64, v + 1_000_000, "{}", text);
                }
            }
        }
    }
}
