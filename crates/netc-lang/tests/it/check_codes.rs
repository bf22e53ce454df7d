//! One test group per front-end code: the code, the primary span's text,
//! the message, the labels and the help, as data (rendering is tested by
//! the renderer's snapshots).

use netc_lang::{check_source, Diagnostic, Severity};

/// The diagnostics of `code` for `source`.
fn found(source: &str, code: &str) -> Vec<Diagnostic> {
    let (_, diags) = check_source(source);
    diags.into_iter().filter(|d| d.code == code).collect()
}

/// The single diagnostic of `code`.
fn one(source: &str, code: &str) -> Diagnostic {
    let mut all = found(source, code);
    assert_eq!(
        all.len(),
        1,
        "{code} in {source}: {:#?}",
        check_source(source).1
    );
    all.remove(0)
}

fn text(source: &str, span: netc_lang::ir::Span) -> &str {
    &source[span.start..span.end]
}

/// `(label text, label message)` pairs.
fn labels<'s>(source: &'s str, d: &Diagnostic) -> Vec<(&'s str, String)> {
    d.labels
        .iter()
        .map(|l| (text(source, l.span), l.message.clone()))
        .collect()
}

/// A model around `body` (declarations and a forward block).
fn model(body: &str) -> String {
    format!("model M {{\n    input x: 9\n{body}\n}}\n")
}

mod nn001_undefined {
    use super::*;

    #[test]
    fn a_misspelt_layer_suggests_the_declared_one() {
        let source = model(
            "    fc1 = linear(9, 16)\n    bn1 = batchnorm(16)\n    forward {\n        return bc1(fc1(x))\n    }",
        );
        let d = one(&source, "NN001");
        assert_eq!((d.name, d.severity), ("undefined-layer", Severity::Error));
        assert_eq!(text(&source, d.span), "bc1");
        assert_eq!(d.message, "undefined layer `bc1`");
        assert_eq!(
            labels(&source, &d),
            [("bn1", "`bn1` is declared here".to_string())]
        );
        assert_eq!(
            d.help.as_deref(),
            Some("a layer with a similar name exists: `bn1`")
        );
        assert_eq!(d.fix.len(), 1);
        assert_eq!(d.fix[0].replacement, "bn1");
    }

    #[test]
    fn case_alone_is_enough_for_a_suggestion() {
        let source = model("    fc1 = linear(9, 1)\n    forward { return FC1(x) }");
        let d = one(&source, "NN001");
        assert_eq!(
            d.help.as_deref(),
            Some("a layer with a similar name exists: `fc1`")
        );
    }

    #[test]
    fn a_name_far_from_every_layer_gets_no_suggestion() {
        let source = model("    fc1 = linear(9, 1)\n    forward { return head(x) }");
        let d = one(&source, "NN001");
        assert_eq!(d.message, "undefined layer `head`");
        assert!(d.labels.is_empty());
        assert!(d
            .help
            .as_deref()
            .is_some_and(|h| h.contains("`head = linear(...)`")));
    }

    #[test]
    fn an_undefined_variable_suggests_a_defined_one() {
        let source = model("    fc1 = linear(9, 1)\n    forward {\n        hid = fc1(x)\n        return hdi\n    }");
        let d = one(&source, "NN001");
        assert_eq!(text(&source, d.span), "hdi");
        assert_eq!(d.message, "undefined variable `hdi`");
        assert_eq!(
            labels(&source, &d),
            [("hid", "`hid` is defined here".to_string())]
        );
        assert_eq!(
            d.help.as_deref(),
            Some("a variable with a similar name exists: `hid`")
        );
    }

    #[test]
    fn a_variable_is_undefined_before_its_assignment() {
        let source = model("    fc1 = linear(9, 9)\n    forward {\n        a = fc1(b)\n        b = x\n        return a\n    }");
        let d = one(&source, "NN001");
        assert_eq!(d.message, "undefined variable `b`");
    }
}

mod nn002_unused {
    use super::*;

    #[test]
    fn a_layer_never_called_is_reported_on_its_declaration() {
        let source = model(
            "    fc1 = linear(9, 1)\n    spare = linear(9, 1)\n    forward { return fc1(x) }",
        );
        let d = one(&source, "NN002");
        assert_eq!((d.name, d.severity), ("unused-layer", Severity::Warning));
        assert_eq!(text(&source, d.span), "spare");
        assert_eq!(d.message, "layer `spare` is declared but never used");
    }

    #[test]
    fn a_layer_whose_result_never_reaches_the_output_is_unused() {
        let source = model(
            "    fc1 = linear(9, 1)\n    side = linear(9, 1)\n    forward {\n        s = side(x)\n        return fc1(x)\n    }",
        );
        assert_eq!(text(&source, one(&source, "NN002").span), "side");
    }

    #[test]
    fn no_unused_report_in_a_model_without_forward() {
        let source = model("    fc1 = linear(9, 1)");
        assert!(found(&source, "NN002").is_empty());
    }
}

mod nn003_duplicate {
    use super::*;

    #[test]
    fn the_second_declaration_is_the_error() {
        let source =
            model("    fc = linear(9, 1)\n    fc = linear(9, 2)\n    forward { return fc(x) }");
        let d = one(&source, "NN003");
        assert_eq!((d.name, d.severity), ("duplicate-name", Severity::Error));
        assert_eq!(d.span.start, source.rfind("fc = ").expect("second"));
        assert_eq!(d.message, "layer `fc` is defined twice");
        let first = source.find("fc = ").expect("first");
        assert_eq!(d.labels[0].span.start, first);
        assert_eq!(d.labels[0].message, "first defined here");
    }

    #[test]
    fn two_models_with_one_name() {
        let source = "model A { input x: 1 f = linear(1, 1) forward { return f(x) } }\nmodel A { input x: 1 f = linear(1, 1) forward { return f(x) } }";
        let d = one(source, "NN003");
        assert_eq!(d.message, "model `A` is defined twice");
        assert!(d.span.start > source.find('\n').expect("two lines"));
    }

    #[test]
    fn a_layer_cannot_shadow_the_input() {
        let source = model("    x = linear(9, 1)\n    forward { return x }");
        let d = one(&source, "NN003");
        assert_eq!(d.message, "layer `x` is defined twice");
    }

    #[test]
    fn forward_cannot_assign_to_a_layer() {
        let source = model(
            "    fc = linear(9, 9)\n    forward {\n        fc = relu(x)\n        return fc\n    }",
        );
        let all = found(&source, "NN003");
        assert_eq!(all[0].message, "`fc` is a layer and cannot be assigned");
        assert_eq!(
            labels(&source, &all[0]),
            [("fc", "declared here as a layer".to_string())]
        );
    }
}

mod nn004_widths {
    use super::*;

    #[test]
    fn a_linear_layer_fed_the_wrong_width_names_both_widths_and_their_sources() {
        let source = model(
            "    fc1 = linear(9, 8)\n    fc2 = linear(16, 1)\n    forward {\n        h = fc1(x)\n        return fc2(h)\n    }",
        );
        let d = one(&source, "NN004");
        assert_eq!((d.name, d.severity), ("shape-mismatch", Severity::Error));
        assert_eq!(text(&source, d.span), "fc2");
        assert_eq!(d.message, "`fc2` expects 16 inputs but receives 8");
        assert_eq!(
            labels(&source, &d),
            [
                ("h", "this value has width 8".to_string()),
                ("8", "`fc1` produces 8".to_string()),
                ("16", "`fc2` takes 16 inputs".to_string()),
            ]
        );
    }

    #[test]
    fn the_first_layer_is_checked_against_the_input() {
        let source = model("    fc = linear(10, 1)\n    forward { return fc(x) }");
        let d = one(&source, "NN004");
        assert_eq!(d.message, "`fc` expects 10 inputs but receives 9");
        assert!(labels(&source, &d).contains(&("9", "`x` has 9 features".to_string())));
    }

    #[test]
    fn a_batchnorm_of_the_wrong_size() {
        let source = model(
            "    fc = linear(9, 8)\n    bn = batchnorm(16)\n    forward { return bn(fc(x)) }",
        );
        let d = one(&source, "NN004");
        assert_eq!(text(&source, d.span), "bn");
        assert_eq!(d.message, "`bn` normalises 16 features but receives 8");
    }

    #[test]
    fn a_residual_sum_of_different_widths() {
        let source = model("    fc = linear(9, 4)\n    forward { return fc(x) + x }");
        let d = one(&source, "NN004");
        assert_eq!(text(&source, d.span), "fc(x) + x");
        assert_eq!(d.message, "cannot add values of widths 4 and 9");
        let found = labels(&source, &d);
        assert!(
            found.contains(&("fc(x)", "width 4".to_string())),
            "{found:?}"
        );
        assert!(found.contains(&("x", "width 9".to_string())), "{found:?}");
    }

    #[test]
    fn the_first_call_fixes_an_inferred_input_width() {
        let source = model(
            "    a = linear(9, 4)\n    shared = linear(2)\n    forward {\n        h = shared(x)\n        return shared(a(x))\n    }",
        );
        let d = one(&source, "NN004");
        assert_eq!(d.message, "`shared` expects 9 inputs but receives 4");
        // The label points at the call that fixed the width.
        let first_call = source.find("shared(x)").expect("first call");
        let fixed = d
            .labels
            .iter()
            .find(|l| l.message == "`shared` takes 9 inputs")
            .expect("label");
        assert_eq!(fixed.span.start, first_call);
    }
}

mod nn005_loss {
    use super::*;

    fn with_loss(out: usize, loss: &str) -> String {
        model(&format!(
            "    fc = linear(9, {out})\n    forward {{ return fc(x) }}\n    train {{ loss = {loss} }}"
        ))
    }

    #[test]
    fn cross_entropy_needs_two_logits() {
        let source = with_loss(1, "cross_entropy");
        let d = one(&source, "NN005");
        assert_eq!(
            (d.name, d.severity),
            ("loss-output-mismatch", Severity::Error)
        );
        assert_eq!(text(&source, d.span), "cross_entropy");
        assert!(
            d.message
                .starts_with("`cross_entropy` needs at least 2 outputs"),
            "{}",
            d.message
        );
        assert_eq!(
            labels(&source, &d),
            [("fc(x)", "this has width 1".to_string())]
        );
    }

    #[test]
    fn bce_needs_one_output() {
        for loss in ["bce", "bce_with_logits"] {
            let d = one(&with_loss(3, loss), "NN005");
            assert_eq!(
                d.message,
                format!("`{loss}` needs 1 output per sample, but `forward` returns 3")
            );
        }
    }

    #[test]
    fn fitting_pairs_pass() {
        assert!(found(&with_loss(3, "cross_entropy"), "NN005").is_empty());
        assert!(found(&with_loss(1, "bce"), "NN005").is_empty());
        assert!(found(&with_loss(3, "mse"), "NN005").is_empty());
    }
}

mod nn034_nn035_structure {
    use super::*;

    #[test]
    fn a_model_without_forward() {
        let source = model("    fc = linear(9, 1)");
        let d = one(&source, "NN034");
        assert_eq!((d.name, d.severity), ("missing-forward", Severity::Error));
        assert_eq!(text(&source, d.span), "M");
        assert_eq!(d.message, "model `M` has no `forward` block");
    }

    #[test]
    fn a_forward_without_return() {
        let source = model("    fc = linear(9, 1)\n    forward {\n        h = fc(x)\n    }");
        let d = one(&source, "NN035");
        assert_eq!((d.name, d.severity), ("missing-return", Severity::Error));
        assert_eq!(text(&source, d.span), "forward");
        assert_eq!(d.message, "`forward` never returns a value");
        assert_eq!(d.help.as_deref(), Some("end `forward` with `return h`"));
    }
}

mod nn036_unknown {
    use super::*;

    fn unknown(source: &str) -> (String, String, Option<String>) {
        let d = one(source, "NN036");
        assert_eq!((d.name, d.severity), ("unknown-name", Severity::Error));
        (text(source, d.span).to_string(), d.message, d.help)
    }

    #[test]
    fn a_misspelt_layer_kind() {
        let source = model("    bn = batchnrom(9)\n    forward { return bn(x) }");
        assert_eq!(
            unknown(&source),
            (
                "batchnrom".to_string(),
                "unknown layer kind `batchnrom`".to_string(),
                Some("a layer kind with a similar name exists: `batchnorm`".to_string())
            )
        );
    }

    #[test]
    fn a_misspelt_activation() {
        let source = model("    fc = linear(9, 1)\n    forward { return rellu(fc(x)) }");
        let (span, message, help) = unknown(&source);
        assert_eq!(
            (span.as_str(), message.as_str()),
            ("rellu", "unknown activation `rellu`")
        );
        assert_eq!(
            help.as_deref(),
            Some("an activation with a similar name exists: `relu`")
        );
    }

    #[test]
    fn a_misspelt_nonlinearity_and_mode() {
        let source = model(
            "    fc = linear(9, 1, init=kaiming_normal(nonlinearity=reluu))\n    forward { return fc(x) }",
        );
        let (span, message, help) = unknown(&source);
        assert_eq!(
            (span.as_str(), message.as_str()),
            ("reluu", "unknown nonlinearity `reluu`")
        );
        assert_eq!(
            help.as_deref(),
            Some("a nonlinearity with a similar name exists: `relu`")
        );
        let source = model(
            "    fc = linear(9, 1, init=kaiming_normal(mode=fan_ot))\n    forward { return fc(x) }",
        );
        assert_eq!(
            unknown(&source).2.as_deref(),
            Some("a mode with a similar name exists: `fan_out`")
        );
    }

    #[test]
    fn misspelt_init_loss_optimizer_and_schedule() {
        let cases = [
            ("    fc = linear(9, 1, init=xavier_unifrom)\n    forward { return fc(x) }", "xavier_unifrom", "xavier_uniform"),
            ("    fc = linear(9, 1)\n    forward { return fc(x) }\n    train { loss = mes }", "mes", "mse"),
            ("    fc = linear(9, 1)\n    forward { return fc(x) }\n    train { optimizer = adma(lr=0.1) }", "adma", "adam"),
            ("    fc = linear(9, 1)\n    forward { return fc(x) }\n    train { lr_schedule = stpe(step_size=2) }", "stpe", "step"),
        ];
        for (body, typo, meant) in cases {
            let source = model(body);
            let (span, _, help) = unknown(&source);
            assert_eq!(span, typo);
            assert!(
                help.is_some_and(|h| h.ends_with(&format!("`{meant}`"))),
                "{body}"
            );
        }
    }

    #[test]
    fn a_misspelt_keyword_argument() {
        let source = model("    fc = linear(9, 1)\n    forward { return fc(x) }\n    train { optimizer = adam(lrr=0.01) }");
        let (span, message, help) = unknown(&source);
        assert_eq!(
            (span.as_str(), message.as_str()),
            ("lrr", "unknown argument `lrr` for `adam`")
        );
        assert_eq!(
            help.as_deref(),
            Some("an argument with a similar name exists: `lr`")
        );
    }

    #[test]
    fn a_layer_kind_called_in_forward() {
        let source = model("    forward { return linear(x) }");
        let (span, message, _) = unknown(&source);
        assert_eq!(
            (span.as_str(), message.as_str()),
            ("linear", "`linear` is a layer kind, not a layer")
        );
    }

    #[test]
    fn an_activation_declared_as_a_layer() {
        let source = model("    act = relu(9)\n    forward { return x }");
        let (span, message, help) = unknown(&source);
        assert_eq!(
            (span.as_str(), message.as_str()),
            ("relu", "`relu` is an activation, not a layer kind")
        );
        assert_eq!(
            help.as_deref(),
            Some("call it in `forward` on a value: `relu(x)`")
        );
    }
}

mod nn037_invalid_values {
    use super::*;

    fn invalid(body: &str) -> (String, String) {
        let source = model(body);
        let d = one(&source, "NN037");
        assert_eq!((d.name, d.severity), ("invalid-value", Severity::Error));
        (text(&source, d.span).to_string(), d.message)
    }

    fn decl(layer: &str) -> String {
        format!("    l = {layer}\n    forward {{ return l(x) }}")
    }

    #[test]
    fn missing_required_arguments() {
        assert_eq!(
            invalid(&decl("linear()")),
            (
                "linear()".to_string(),
                "`linear` is missing its argument `out_features`".to_string()
            )
        );
        assert_eq!(
            invalid(&decl("batchnorm()")),
            (
                "batchnorm()".to_string(),
                "`batchnorm` is missing its argument `num_features`".to_string()
            )
        );
        assert_eq!(
            invalid(&decl("layernorm(eps=1e-3)")).1,
            "`layernorm` is missing its argument `normalized_shape`"
        );
    }

    #[test]
    fn widths_must_be_positive_integers() {
        assert_eq!(
            invalid(&decl("linear(9, 0)")),
            (
                "0".to_string(),
                "`out_features` must be a positive integer, found `0`".to_string()
            )
        );
        assert_eq!(
            invalid(&decl("linear(9, -4)")),
            (
                "-4".to_string(),
                "`out_features` must be a positive integer, found `-4`".to_string()
            )
        );
        assert_eq!(
            invalid(&decl("linear(9.0, 4)")),
            (
                "9.0".to_string(),
                "`in_features` must be an integer, found `9.0`".to_string()
            )
        );
        let source = "model M { input x: 0 forward { return x } }";
        let d = one(source, "NN037");
        assert_eq!(text(source, d.span), "0");
        assert_eq!(
            d.message,
            "`input width` must be a positive integer, found `0`"
        );
    }

    #[test]
    fn probabilities_and_momentum_stay_in_the_unit_interval() {
        assert_eq!(
            invalid(&decl("batchnorm(9, momentum=1.5)")),
            (
                "1.5".to_string(),
                "`momentum` must be in [0, 1], found 1.5".to_string()
            )
        );
        assert_eq!(
            invalid(&decl("dropout(p=-0.1)")).1,
            "`p` must be in [0, 1], found -0.1"
        );
        assert_eq!(
            invalid(&decl("dropout(2)")).1,
            "`p` must be in [0, 1], found 2"
        );
        assert_eq!(
            invalid(&decl("layernorm(9, eps=0)")).1,
            "`eps` must be positive, found 0"
        );
    }

    #[test]
    fn a_number_where_a_name_belongs_and_back() {
        assert_eq!(
            invalid(&decl("linear(9, 1, init=kaiming_uniform(nonlinearity=3))")),
            (
                "3".to_string(),
                "`nonlinearity` expects a name, found the number `3`".to_string()
            )
        );
        assert_eq!(
            invalid(&decl("batchnorm(9, eps=small)")),
            (
                "small".to_string(),
                "`eps` expects a number, found the name `small`".to_string()
            )
        );
        assert_eq!(
            invalid(&decl("linear(9, 1, init=0.5)")).1,
            "`init` expects an init name, found the number `0.5`"
        );
        assert_eq!(
            invalid(&decl("linear(9, 1, bias=1)")).1,
            "`bias` expects `true` or `false`, found the number `1`"
        );
    }

    #[test]
    fn too_many_positional_arguments() {
        assert_eq!(
            invalid(&decl("batchnorm(9, 1e-5, 0.1, true, 5)")),
            (
                "5".to_string(),
                "`batchnorm` takes at most 4 positional arguments".to_string()
            )
        );
        assert_eq!(
            invalid(&decl("dropout(0.1, 0.2)")).1,
            "`dropout` takes 1 positional argument"
        );
    }

    #[test]
    fn an_argument_given_twice() {
        let (span, message) = invalid(&decl("linear(9, 1, bias=true, bias=false)"));
        assert_eq!(
            (span.as_str(), message.as_str()),
            ("bias=false", "argument `bias` given twice")
        );
    }

    #[test]
    fn values_used_wrongly_in_forward() {
        assert_eq!(
            invalid("    fc = linear(9, 1)\n    forward { return fc }"),
            ("fc".to_string(), "`fc` is a layer, not a value".to_string())
        );
        assert_eq!(
            invalid("    forward { return relu() }"),
            (
                "relu()".to_string(),
                "activation `relu` is called without a value".to_string()
            )
        );
        assert_eq!(
            invalid("    forward { return x(x) }"),
            (
                "x".to_string(),
                "`x` is a value, not a layer or activation".to_string()
            )
        );
        assert_eq!(
            invalid("    forward { return 3 }"),
            (
                "3".to_string(),
                "expected a value, found the number `3`".to_string()
            )
        );
    }

    #[test]
    fn an_input_width_nothing_can_infer() {
        let (span, message) =
            invalid("    fc = linear(9, 1)\n    spare = linear(3)\n    forward { return fc(x) }");
        assert_eq!(
            (span.as_str(), message.as_str()),
            ("spare", "cannot infer the input width of `spare`")
        );
    }

    #[test]
    fn train_values_of_the_wrong_kind() {
        let train = |entry: &str| {
            invalid(&format!(
                "    fc = linear(9, 1)\n    forward {{ return fc(x) }}\n    train {{ {entry} }}"
            ))
        };
        assert_eq!(
            train("epochs = 2.5").1,
            "`epochs` must be an integer, found `2.5`"
        );
        assert_eq!(
            train("batch = -1").1,
            "`batch` must not be negative, found `-1`"
        );
        assert_eq!(
            train("data = water").1,
            "`data` expects a string, found the name `water`"
        );
        assert_eq!(
            train("optimizer = adam(betas=(0.9, 1.0))").1,
            "`betas[1]` must be in [0, 1), found 1"
        );
        assert_eq!(
            train("optimizer = adam(betas=0.9)").1,
            "`betas` expects a pair, found the number `0.9`"
        );
        assert_eq!(
            train("optimizer = sgd(nesterov=true)").1,
            "nesterov momentum needs `momentum` > 0"
        );
    }
}

mod nn038_train_keys {
    use super::*;

    fn train(entries: &str) -> String {
        model(&format!("    fc = linear(9, 1)\n    forward {{ return fc(x) }}\n    train {{\n{entries}\n    }}"))
    }

    #[test]
    fn an_unknown_key_suggests_a_known_one() {
        let source = train("        epoch = 5");
        let d = one(&source, "NN038");
        assert_eq!((d.name, d.severity), ("invalid-train-key", Severity::Error));
        assert_eq!(text(&source, d.span), "epoch");
        assert_eq!(d.message, "unknown train setting `epoch`");
        assert_eq!(
            d.help.as_deref(),
            Some("a train setting with a similar name exists: `epochs`")
        );
    }

    #[test]
    fn a_repeated_key_points_at_the_first() {
        let source = train("        epochs = 5\n        epochs = 6");
        let d = one(&source, "NN038");
        assert_eq!(d.message, "`epochs` is set twice");
        assert_eq!(d.span.start, source.rfind("epochs").expect("second"));
        assert_eq!(
            d.labels[0].span.start,
            source.find("epochs").expect("first")
        );
        assert_eq!(d.labels[0].message, "first set here");
    }
}
