//! Integer arithmetic in arguments: the tree it parses to (precedence,
//! flat chains, exact spans), and the one rule that tells a `//` comment
//! from a `//` division, held against every reader of the text in this
//! crate (parser, suppression comments, the lexical scan).

use netc_lang::ast::{BinOp, Expr, ExprKind, Item};
use netc_lang::ir::Span;
use netc_lang::{check_source, lexical, parse};

/// The value of the first layer declared in a model around `layers`.
fn first_layer_value(source: &str) -> Expr {
    let (file, diags) = parse(source);
    assert!(diags.is_empty(), "{source}: {diags:#?}");
    file.models[0]
        .items
        .iter()
        .find_map(|item| match item {
            Item::Layer(layer) => Some(layer.value.clone()),
            _ => None,
        })
        .expect("a layer")
}

fn model(layers: &str) -> String {
    format!("model M {{\n    input x: 9\n{layers}\n    forward {{ return x }}\n}}\n")
}

fn text(source: &str, span: Span) -> &str {
    &source[span.start..span.end]
}

/// The first argument of a call.
fn first_arg(expr: &Expr) -> &Expr {
    let ExprKind::Call(call) = &expr.kind else {
        panic!("a call: {expr:?}")
    };
    &call.args[0].value
}

/// `expr` written back with explicit grouping, from the tree alone.
fn grouped(source: &str, expr: &Expr) -> String {
    match &expr.kind {
        ExprKind::Add(terms) => {
            let terms: Vec<String> = terms.iter().map(|t| grouped(source, t)).collect();
            format!("[{}]", terms.join(" + "))
        }
        ExprKind::Arith(chain) => {
            let mut out = format!("[{}", grouped(source, &chain.first));
            for step in &chain.rest {
                out.push_str(&format!(
                    " {} {}",
                    step.op.symbol(),
                    grouped(source, &step.operand)
                ));
            }
            out + "]"
        }
        ExprKind::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|t| grouped(source, t)).collect();
            format!("({})", items.join(", "))
        }
        _ => text(source, expr.span).to_string(),
    }
}

#[test]
fn products_bind_tighter_and_each_level_stays_flat() {
    for (arithmetic, tree) in [
        ("16 * 5 * 5", "[16 * 5 * 5]"),
        ("1 + 2 * 3 - 4", "[1 + [2 * 3] - 4]"),
        ("1 + 2 + 3", "[1 + 2 + 3]"),
        ("(5 - 1) // 2", "[([5 - 1]) // 2]"),
        ("7 // 2 * 2", "[7 // 2 * 2]"),
        ("5 -1", "[5 - 1]"),
        ("5 - -1", "[5 - -1]"),
        ("-3 * 2", "[-3 * 2]"),
    ] {
        let source = model(&format!("    fc = linear({arithmetic}, 2)"));
        let value = first_layer_value(&source);
        assert_eq!(grouped(&source, first_arg(&value)), tree, "{arithmetic}");
    }
}

#[test]
fn every_sub_expression_and_operator_has_its_span() {
    let source = model("    fc = linear(16 * (5 - 1) // 2 + 3, 2)");
    let value = first_layer_value(&source);
    let sum = first_arg(&value);
    assert_eq!(text(&source, sum.span), "16 * (5 - 1) // 2 + 3");
    let ExprKind::Add(terms) = &sum.kind else {
        panic!("a sum: {sum:?}")
    };
    assert_eq!(text(&source, terms[0].span), "16 * (5 - 1) // 2");
    let ExprKind::Arith(product) = &terms[0].kind else {
        panic!("a product")
    };
    assert_eq!(text(&source, product.first.span), "16");
    let steps: Vec<(BinOp, &str, &str)> = product
        .rest
        .iter()
        .map(|s| {
            (
                s.op,
                text(&source, s.op_span),
                text(&source, s.operand.span),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [(BinOp::Mul, "*", "(5 - 1)"), (BinOp::FloorDiv, "//", "2")]
    );
    let ExprKind::Tuple(group) = &product.rest[0].operand.kind else {
        panic!("a group")
    };
    assert_eq!(text(&source, group[0].span), "5 - 1");
}

#[test]
fn a_residual_sum_in_forward_is_still_a_sum_and_other_operators_are_not_allowed_there() {
    let source =
        "model M {\n    input x: 2\n    forward {\n        return relu(x + x) + x\n    }\n}\n";
    let (_, diags) = check_source(source);
    assert!(diags.iter().all(|d| d.code != "NN000"), "{diags:#?}");
    let (_, diags) =
        parse("model M {\n    input x: 2\n    forward {\n        return x - x\n    }\n}\n");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].code, "NN000");
}

/// How each reader must see a tricky line: the comments in it and whether
/// it holds a division.
struct Case {
    line: &'static str,
    comments: &'static [&'static str],
    divides: bool,
    parses: bool,
}

const CASES: &[Case] = &[
    Case {
        line: "    fc = linear(9, 16) // 2 layers",
        comments: &["// 2 layers"],
        divides: false,
        parses: true,
    },
    Case {
        line: "    fc = linear(784 // 2, 10)",
        comments: &[],
        divides: true,
        parses: true,
    },
    Case {
        line: "    fc = linear(784 //(2), 10)  // half of 28 * 28",
        comments: &["// half of 28 * 28"],
        divides: true,
        parses: true,
    },
    Case {
        line: "    fc = linear(\n        784,  // 28 * 28\n        (10) // 2,  // (ten)\n        // 2 for the bias\n    )",
        comments: &["// 28 * 28", "// (ten)", "// 2 for the bias"],
        divides: true,
        parses: true,
    },
    Case {
        line: "    fc = linear(9 // width\n    , 16)",
        comments: &["// width"],
        divides: false,
        parses: true,
    },
    Case {
        line: "    fc = linear(9,\n        16\n        // 2\n    )",
        comments: &["// 2"],
        divides: false,
        parses: true,
    },
    Case {
        line: "    fc = linear(\"a\" // 2, 16)",
        comments: &["// 2, 16)"],
        divides: false,
        parses: false,
    },
    Case {
        // A comment after a value inside parentheses that starts with a
        // number is read as a division: a syntax error, not a new meaning.
        line: "    fc = linear(9, 16 // 2 layers\n    )",
        comments: &[],
        divides: true,
        parses: false,
    },
    Case {
        line: "    train {\n        epochs = 10 // 5 more\n        data = \"a//b.csv\" // 2 files\n    }",
        comments: &["// 5 more", "// 2 files"],
        divides: false,
        parses: true,
    },
];

fn holds_division(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Arith(chain) => {
            chain.rest.iter().any(|s| s.op == BinOp::FloorDiv)
                || chain.operands().any(holds_division)
        }
        ExprKind::Add(items) | ExprKind::Tuple(items) => items.iter().any(holds_division),
        ExprKind::Call(call) => call.args.iter().any(|a| holds_division(&a.value)),
        _ => false,
    }
}

fn source_of(case: &Case) -> String {
    format!(
        "model M {{\n    input x: 9\n{}\n    forward {{ return fc(x) }}\n}}\n",
        case.line
    )
}

#[test]
fn the_scan_and_the_parser_read_every_double_slash_alike() {
    for case in CASES {
        let source = source_of(case);
        let comments: Vec<&str> = lexical::comments(&source)
            .into_iter()
            .map(|span| text(&source, span))
            .collect();
        assert_eq!(comments, case.comments, "{}", case.line);
        let (file, diags) = parse(&source);
        assert_eq!(diags.is_empty(), case.parses, "{}: {diags:#?}", case.line);
        if case.parses {
            let divides = file.models[0].items.iter().any(|item| match item {
                Item::Layer(layer) => holds_division(&layer.value),
                _ => false,
            });
            assert_eq!(divides, case.divides, "{}", case.line);
        } else {
            // The text pest saw has `//` only where the scan found code.
            let blanked = lexical::without_comments(&source);
            assert_eq!(blanked.contains("//"), case.divides, "{}", case.line);
        }
    }
}

#[test]
fn a_suppression_comment_after_a_division_applies_and_a_division_is_no_directive() {
    let allowed = model("    spare = linear(784 // 2, 10)  // netc: allow(unused-layer)");
    let (_, diags) = check_source(&allowed);
    assert!(diags.is_empty(), "{diags:#?}");
    let unsuppressed = model("    spare = linear(784 // 2, 10)");
    let (_, diags) = check_source(&unsuppressed);
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["NN002"]);
}
