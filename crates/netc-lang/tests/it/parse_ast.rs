//! The AST as written: every node's span slices the source to exactly the
//! text it came from (no trailing whitespace or comments).

use netc_lang::ast::{ExprKind, Item, StatementKind};
use netc_lang::ir::Span;
use netc_lang::parse;

const SOURCE: &str = "\
// comment
model Net {   // trailing comment
    input x: 9
    fc = linear(9, out_features=2, init=kaiming_uniform(nonlinearity=relu))  // why
    forward {
        h = relu(fc(x)) + fc(x)   // residual
        return h
    }
    train {
        betas_test = (0.9, 0.999)
        data = \"../data/w.csv\"
        flag = true
        lr = -1e-3
    }
}
";

fn at(span: Span) -> &'static str {
    &SOURCE[span.start..span.end]
}

#[test]
fn spans_slice_exactly_the_written_text() {
    let (file, diags) = parse(SOURCE);
    assert!(diags.is_empty(), "{diags:#?}");
    let model = &file.models[0];
    assert!(at(model.span).starts_with("model Net {") && at(model.span).ends_with('}'));
    assert_eq!(at(model.name.span), "Net");

    let Item::Input(input) = &model.items[0] else {
        panic!("input")
    };
    assert_eq!(
        (at(input.span), at(input.name.span), at(input.width.span)),
        ("input x: 9", "x", "9")
    );

    let Item::Layer(layer) = &model.items[1] else {
        panic!("layer")
    };
    assert_eq!(
        at(layer.span),
        "fc = linear(9, out_features=2, init=kaiming_uniform(nonlinearity=relu))"
    );
    let ExprKind::Call(call) = &layer.value.kind else {
        panic!("call")
    };
    assert_eq!(at(call.callee.span), "linear");
    let args: Vec<&str> = call.args.iter().map(|a| at(a.span)).collect();
    assert_eq!(
        args,
        [
            "9",
            "out_features=2",
            "init=kaiming_uniform(nonlinearity=relu)"
        ]
    );
    assert_eq!(
        call.args[1].key.as_ref().map(|k| at(k.span)),
        Some("out_features")
    );
    let ExprKind::Number(two) = &call.args[1].value.kind else {
        panic!("number")
    };
    assert_eq!(
        (two.value, two.text.as_str(), two.is_integer_literal()),
        (2.0, "2", true)
    );

    let Item::Forward(forward) = &model.items[2] else {
        panic!("forward")
    };
    assert_eq!(at(forward.keyword), "forward");
    let StatementKind::Assign { target, value } = &forward.statements[0].kind else {
        panic!("assign")
    };
    assert_eq!(at(forward.statements[0].span), "h = relu(fc(x)) + fc(x)");
    assert_eq!(at(target.span), "h");
    let ExprKind::Add(terms) = &value.kind else {
        panic!("add")
    };
    let terms: Vec<&str> = terms.iter().map(|t| at(t.span)).collect();
    assert_eq!(terms, ["relu(fc(x))", "fc(x)"]);
    assert!(matches!(&forward.statements[1].kind, StatementKind::Return(e) if at(e.span) == "h"));

    let Item::Train(train) = &model.items[3] else {
        panic!("train")
    };
    assert_eq!(at(train.keyword), "train");
    let values: Vec<(&str, &str)> = train
        .entries
        .iter()
        .map(|e| (at(e.key.span), at(e.value.span)))
        .collect();
    assert_eq!(
        values,
        [
            ("betas_test", "(0.9, 0.999)"),
            ("data", "\"../data/w.csv\""),
            ("flag", "true"),
            ("lr", "-1e-3")
        ]
    );
    assert!(matches!(&train.entries[1].value.kind, ExprKind::Str(s) if s == "../data/w.csv"));
    assert!(matches!(train.entries[2].value.kind, ExprKind::Bool(true)));
    assert!(
        matches!(&train.entries[3].value.kind, ExprKind::Number(n) if n.value == -1e-3 && !n.is_integer_literal())
    );
    let ExprKind::Tuple(pair) = &train.entries[0].value.kind else {
        panic!("tuple")
    };
    assert_eq!(pair.len(), 2);
}

#[test]
fn numbers_in_every_written_form() {
    for (text, value) in [
        ("1e-3", 1e-3),
        ("-3.0", -3.0),
        ("42", 42.0),
        (".5", 0.5),
        ("2.", 2.0),
        ("1E+2", 100.0),
    ] {
        let source = format!("model M {{ train {{ v = {text} }} }}");
        let (file, diags) = parse(&source);
        assert!(diags.is_empty(), "{text}: {diags:#?}");
        let Item::Train(train) = &file.models[0].items[0] else {
            panic!("train")
        };
        let ExprKind::Number(n) = &train.entries[0].value.kind else {
            panic!("number")
        };
        assert_eq!((n.value, n.text.as_str()), (value, text));
    }
}
