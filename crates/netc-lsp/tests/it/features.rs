//! Each feature of `netc lsp` through the in-process harness, with
//! snapshots of what a client receives.

use crate::harness;

use harness::{apply, at, example, position_of, uri, Client};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    InlayHintRequest, PrepareRenameRequest, References, Rename,
};
use lsp_types::{
    CodeActionContext, CodeActionOrCommand, CodeActionParams, CompletionParams, CompletionResponse,
    DocumentFormattingParams, DocumentSymbolParams, FormattingOptions, GotoDefinitionParams,
    GotoDefinitionResponse, HoverContents, HoverParams, InlayHintLabel, InlayHintParams,
    PositionEncodingKind, Range, ReferenceContext, ReferenceParams, RenameParams,
    TextDocumentIdentifier, Url,
};
use serde_json::{json, Value};

/// Diagnostics in a compact, reviewable form.
fn summarize(diagnostics: &[lsp_types::Diagnostic]) -> Vec<Value> {
    diagnostics
        .iter()
        .map(|d| {
            json!({
                "code": d.code,
                "message": d.message,
                "range": format!("{}:{}-{}:{}", d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character),
                "related": d.related_information.iter().flatten().map(|r| format!(
                    "{}:{} {}", r.location.range.start.line, r.location.range.start.character, r.message
                )).collect::<Vec<_>>(),
                "severity": d.severity,
            })
        })
        .collect()
}

/// JSON snapshots with sorted keys: serde_json keeps insertion order when
/// another crate of the build turns on its `preserve_order` feature (a
/// whole-workspace `cargo test` does), and sorts them otherwise.
fn sorted_keys() -> insta::internals::SettingsBindDropGuard {
    let mut settings = insta::Settings::clone_current();
    settings.set_sort_maps(true);
    settings.bind_to_scope()
}

/// What `netc check` says, as (code, severity) pairs in order.
fn check_codes(text: &str) -> Vec<(String, String)> {
    netc_lang::check_source(text)
        .1
        .iter()
        .map(|d| (d.code.to_string(), d.severity.as_str().to_string()))
        .collect()
}

fn lsp_codes(diagnostics: &[lsp_types::Diagnostic]) -> Vec<(String, String)> {
    diagnostics
        .iter()
        .map(|d| {
            let code = match &d.code {
                Some(lsp_types::NumberOrString::String(code)) => code.clone(),
                other => panic!("code {other:?}"),
            };
            let severity = match d.severity {
                Some(lsp_types::DiagnosticSeverity::ERROR) => "error",
                Some(lsp_types::DiagnosticSeverity::WARNING) => "warning",
                Some(lsp_types::DiagnosticSeverity::INFORMATION) => "info",
                other => panic!("severity {other:?}"),
            };
            (code, severity.to_string())
        })
        .collect()
}

fn hover_text(client: &mut Client, uri: &Url, position: lsp_types::Position) -> String {
    let hover = client
        .request::<HoverRequest>(HoverParams {
            text_document_position_params: at(uri, position),
            work_done_progress_params: Default::default(),
        })
        .expect("hover answers")
        .unwrap_or_else(|| panic!("nothing to show at {position:?}"));
    match hover.contents {
        HoverContents::Markup(markup) => markup.value,
        other => panic!("{other:?}"),
    }
}

fn code_actions(client: &mut Client, uri: &Url, range: Range) -> Vec<lsp_types::CodeAction> {
    client
        .request::<CodeActionRequest>(CodeActionParams {
            text_document: TextDocumentIdentifier::new(uri.clone()),
            range,
            context: CodeActionContext::default(),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        })
        .expect("code actions answer")
        .unwrap_or_default()
        .into_iter()
        .map(|action| match action {
            CodeActionOrCommand::CodeAction(action) => action,
            CodeActionOrCommand::Command(command) => panic!("{command:?}"),
        })
        .collect()
}

fn edits_for(action: &lsp_types::CodeAction, uri: &Url) -> Vec<lsp_types::TextEdit> {
    action
        .edit
        .as_ref()
        .and_then(|edit| edit.changes.as_ref())
        .and_then(|changes| changes.get(uri))
        .cloned()
        .expect("the action edits the file")
}

#[test]
fn utf8_is_chosen_when_offered_and_utf16_otherwise() {
    let utf8 = Client::start(&[PositionEncodingKind::UTF16, PositionEncodingKind::UTF8]);
    assert_eq!(
        utf8.capabilities.position_encoding,
        Some(PositionEncodingKind::UTF8)
    );
    assert_eq!(utf8.shutdown(), netc_lsp::Exit::Clean);
    let utf16 = Client::utf16();
    assert_eq!(
        utf16.capabilities.position_encoding,
        Some(PositionEncodingKind::UTF16)
    );
    assert_eq!(utf16.shutdown(), netc_lsp::Exit::Clean);
}

#[test]
fn seed_diagnostics_are_netc_checks_and_the_bn1_fix_applies() {
    let _sorted = sorted_keys();
    let mut client = Client::utf16();
    let seed = example("seed.nn");
    let uri = uri("seed.nn");
    client.open(&uri, &seed);
    let published = client.diagnostics(&uri, Some(1));
    assert_eq!(lsp_codes(&published.diagnostics), check_codes(&seed));
    insta::assert_json_snapshot!("seed_diagnostics", summarize(&published.diagnostics));

    let bc1 = position_of(&seed, "x = bc1", 0, 4);
    let actions = code_actions(&mut client, &uri, Range::new(bc1, bc1));
    let fix = actions
        .iter()
        .find(|a| a.title.contains("NN001"))
        .expect("a fix for bc1");
    assert_eq!(fix.is_preferred, Some(false), "a did-you-mean is a guess");
    insta::assert_json_snapshot!(
        "seed_bc1_action",
        json!({
            "title": fix.title,
            "kind": fix.kind,
            "edits": edits_for(fix, &uri),
        })
    );
    let fixed = apply(&seed, &edits_for(fix, &uri));
    assert!(fixed.contains("x = bn1(x)"), "{fixed}");
    client.change(&uri, 2, &fixed);
    let after = client.diagnostics(&uri, Some(2));
    assert!(lsp_codes(&after.diagnostics)
        .iter()
        .all(|(code, _)| code != "NN001"));
    assert_eq!(lsp_codes(&after.diagnostics), check_codes(&fixed));
    client.shutdown();
}

#[test]
fn fix_all_makes_the_safe_fixes_of_netc_check_fix() {
    let mut client = Client::utf16();
    let water = example("water.nn");
    let uri = uri("water.nn");
    client.open(&uri, &water);
    client.diagnostics(&uri, Some(1));
    let start = lsp_types::Position::new(0, 0);
    let actions = code_actions(&mut client, &uri, Range::new(start, start));
    let fix_all = actions
        .iter()
        .find(|a| {
            a.kind
                .as_ref()
                .is_some_and(|k| k.as_str() == "source.fixAll.netc")
        })
        .expect("fix all");
    let fixed = apply(&water, &edits_for(fix_all, &uri));
    insta::assert_snapshot!("water_fix_all", fixed);
    // What remains has no safe fix left.
    let (_, remaining) = netc_lang::check_source(&fixed);
    assert!(remaining
        .iter()
        .all(|d| d.fix.is_empty() || d.fix_safety == netc_lang::FixSafety::Unsafe));
    // Safe quick fixes are preferred.
    let everything = Range::new(start, lsp_types::Position::new(99, 0));
    let quick: Vec<_> = code_actions(&mut client, &uri, everything)
        .into_iter()
        .filter(|a| a.kind == Some(lsp_types::CodeActionKind::QUICKFIX))
        .collect();
    assert!(!quick.is_empty());
    assert!(
        quick.iter().all(|a| a.is_preferred == Some(true)),
        "{quick:?}"
    );
    client.shutdown();
}

/// Each inlay hint of an example, shown at the end of the text before it.
fn inlay_lines(example_name: &str) -> String {
    let mut client = Client::utf16();
    let text = example(example_name);
    let uri = uri(example_name);
    client.open(&uri, &text);
    let hints = client
        .request::<InlayHintRequest>(InlayHintParams {
            text_document: TextDocumentIdentifier::new(uri.clone()),
            range: Range::new(
                lsp_types::Position::new(0, 0),
                lsp_types::Position::new(100, 0),
            ),
            work_done_progress_params: Default::default(),
        })
        .expect("hints")
        .expect("some hints");
    let lines: Vec<&str> = text.lines().collect();
    let shown: Vec<String> = hints
        .iter()
        .map(|hint| {
            let label = match &hint.label {
                InlayHintLabel::String(label) => label.clone(),
                other => panic!("{other:?}"),
            };
            let line = lines[hint.position.line as usize];
            format!("{}{label}", &line[..hint.position.character as usize])
        })
        .collect();
    client.shutdown();
    shown.join("\n")
}

#[test]
fn inlay_hints_show_widths_on_water() {
    insta::assert_snapshot!("water_inlay_hints", inlay_lines("water.nn"));
}

/// Image values show `(C, H, W)`; flatten turns a shape into a width.
#[test]
fn inlay_hints_show_image_shapes_on_lenet() {
    insta::assert_snapshot!("lenet_inlay_hints", inlay_lines("lenet.nn"));
}

#[test]
fn hover_explains_layers_builtins_and_diagnostics() {
    let mut client = Client::utf16();
    let water = example("water.nn");
    let water_uri = uri("water.nn");
    client.open(&water_uri, &water);
    let mut shown = Vec::new();
    for (needle, nth) in [
        ("fc1", 1),
        ("bn2", 0),
        ("elu(bn1", 0),
        ("kaiming_uniform", 0),
        ("relu)", 0),
        ("adam", 0),
        ("bce", 0),
        ("x = elu", 1),
    ] {
        let position = position_of(&water, needle, nth, 1);
        shown.push(format!(
            "## {needle} #{nth}\n{}",
            hover_text(&mut client, &water_uri, position)
        ));
    }
    insta::assert_snapshot!("water_hovers", shown.join("\n\n"));

    let seed = example("seed.nn");
    let seed_uri = uri("seed.nn");
    client.open(&seed_uri, &seed);
    let text = hover_text(&mut client, &seed_uri, position_of(&seed, "x = bc1", 0, 5));
    assert!(text.contains("NN001 undefined-layer"), "{text}");
    assert!(
        text.contains(netc_lang::rules::UNDEFINED_LAYER.doc.trim()),
        "{text}"
    );
    client.shutdown();
}

#[test]
fn definition_and_references_follow_layers_and_values() {
    let mut client = Client::utf16();
    let water = example("water.nn");
    let uri = uri("water.nn");
    client.open(&uri, &water);
    let definition = |client: &mut Client, position| match client
        .request::<GotoDefinition>(GotoDefinitionParams {
            text_document_position_params: at(&uri, position),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        })
        .expect("definition answers")
    {
        Some(GotoDefinitionResponse::Scalar(location)) => location.range.start,
        other => panic!("{other:?}"),
    };
    // `fc2` in forward → its declaration.
    assert_eq!(
        definition(&mut client, position_of(&water, "fc2(x)", 0, 1)),
        position_of(&water, "fc2 =", 0, 0)
    );
    // The `x` read by the second statement → the first statement's `x`.
    assert_eq!(
        definition(&mut client, position_of(&water, "fc2(x)", 0, 4)),
        position_of(&water, "x = elu", 0, 0)
    );
    // The first statement's `x` → the input.
    assert_eq!(
        definition(&mut client, position_of(&water, "fc1(x)", 0, 4)),
        position_of(&water, "x: 9", 0, 0)
    );
    let references = client
        .request::<References>(ReferenceParams {
            text_document_position: at(&uri, position_of(&water, "fc1", 1, 1)),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
            context: ReferenceContext {
                include_declaration: true,
            },
        })
        .expect("references")
        .expect("some");
    let starts: Vec<_> = references.iter().map(|r| r.range.start).collect();
    assert_eq!(
        starts,
        [
            position_of(&water, "fc1", 0, 0),
            position_of(&water, "fc1", 1, 0)
        ]
    );
    client.shutdown();
}

#[test]
fn rename_changes_a_value_across_forward_and_refuses_clashes() {
    let _sorted = sorted_keys();
    let mut client = Client::utf16();
    let water = example("water.nn");
    let uri = uri("water.nn");
    client.open(&uri, &water);
    let position = position_of(&water, "fc3(x)", 0, 4);
    let prepared = client
        .request::<PrepareRenameRequest>(at(&uri, position))
        .expect("prepare answers")
        .expect("renameable");
    insta::assert_json_snapshot!("water_prepare_rename", prepared);
    let rename = |client: &mut Client, new_name: &str| {
        client.request::<Rename>(RenameParams {
            text_document_position: at(&uri, position),
            new_name: new_name.to_string(),
            work_done_progress_params: Default::default(),
        })
    };
    let edit = rename(&mut client, "h").expect("rename").expect("an edit");
    let edits = edit.changes.expect("changes")[&uri].clone();
    let renamed = apply(&water, &edits);
    insta::assert_snapshot!("water_renamed_x_to_h", renamed);
    assert_eq!(check_codes(&renamed), check_codes(&water));
    for refused in ["fc1", "9x", "return"] {
        let error = rename(&mut client, refused).expect_err("refused");
        assert_eq!(error.code, lsp_server::ErrorCode::RequestFailed as i32);
    }
    // A layer renamed everywhere it is called.
    let layer = position_of(&water, "bn1", 0, 0);
    let edit = client
        .request::<Rename>(RenameParams {
            text_document_position: at(&uri, layer),
            new_name: "norm1".into(),
            work_done_progress_params: Default::default(),
        })
        .expect("rename")
        .expect("an edit");
    let renamed = apply(&water, &edit.changes.expect("changes")[&uri]);
    assert_eq!(renamed.matches("norm1").count(), 2);
    assert_eq!(check_codes(&renamed), check_codes(&water));
    client.shutdown();
}

#[test]
fn document_symbols_list_models_layers_and_blocks() {
    let mut client = Client::utf16();
    let text = example("seed.nn") + &example("water.nn");
    let uri = uri("two.nn");
    client.open(&uri, &text);
    let symbols = client
        .request::<DocumentSymbolRequest>(DocumentSymbolParams {
            text_document: TextDocumentIdentifier::new(uri.clone()),
            work_done_progress_params: Default::default(),
            partial_result_params: Default::default(),
        })
        .expect("symbols")
        .expect("some");
    let lsp_types::DocumentSymbolResponse::Nested(symbols) = symbols else {
        panic!("nested symbols");
    };
    fn outline(symbols: &[lsp_types::DocumentSymbol], depth: usize, out: &mut String) {
        for symbol in symbols {
            out.push_str(&format!(
                "{}{} {:?} {} (line {})\n",
                "  ".repeat(depth),
                symbol.name,
                symbol.kind,
                symbol.detail.as_deref().unwrap_or(""),
                symbol.selection_range.start.line
            ));
            outline(symbol.children.as_deref().unwrap_or(&[]), depth + 1, out);
        }
    }
    let mut shown = String::new();
    outline(&symbols, 0, &mut shown);
    insta::assert_snapshot!("symbols", shown);
    client.shutdown();
}

/// Layers and values of an image model show shapes; the image layer
/// kinds are described with PyTorch's signatures. (The gradient
/// predictions are the analysis's, shown on water.nn above.)
#[test]
fn hover_shows_image_shapes_on_lenet() {
    let mut client = Client::utf16();
    let lenet = example("lenet.nn");
    let lenet_uri = uri("lenet.nn");
    client.open(&lenet_uri, &lenet);
    let mut shown = Vec::new();
    for (needle, nth) in [
        ("conv1", 0),
        ("pool1", 0),
        ("fc1", 0),
        ("x = pool1(relu(bn1(conv1", 0),
        ("x = flatten", 0),
        ("flatten(x)", 0),
        ("conv2d", 0),
        ("max_pool2d", 0),
    ] {
        let position = position_of(&lenet, needle, nth, 1);
        let text = hover_text(&mut client, &lenet_uri, position);
        let text: Vec<&str> = text
            .split("\n\n")
            .filter(|line| {
                !line.starts_with("predicted at init") && !line.starts_with("model gradient ratio")
            })
            .collect();
        shown.push(format!("## {needle} #{nth}\n{}", text.join("\n\n")));
    }
    insta::assert_snapshot!("lenet_hovers", shown.join("\n\n"));
    client.shutdown();
}

#[test]
fn completion_offers_what_fits_the_context() {
    let mut client = Client::utf16();
    let uri = uri("typing.nn");
    let cases = [
        ("init", "model A {\n    input x: 9\n    fc1 = linear(9, 16, init=|)\n}\n"),
        ("nonlinearity", "model A {\n    input x: 9\n    fc1 = linear(9, 16, init=kaiming_uniform(nonlinearity=re|\n"),
        ("linear arguments", "model A {\n    input x: 9\n    fc1 = linear(9, |\n"),
        ("layer kinds", "model A {\n    input x: 9\n    fc1 = |\n"),
        ("conv2d arguments", "model A {\n    input x: (1, 28, 28)\n    c = conv2d(1, |\n"),
        ("conv2d padding", "model A {\n    input x: (1, 28, 28)\n    c = conv2d(1, 6, 5, padding=|)\n}\n"),
        ("flatten argument", "model A {\n    input x: (1, 28, 28)\n    forward {\n        h = flatten(|\n"),
        ("model items", "model A {\n    input x: 9\n    |\n"),
        ("forward values", "model A {\n    input x: 9\n    fc1 = linear(9, 1)\n    forward {\n        h = |\n    }\n    bn = batchnorm(1)\n}\n"),
        ("layer call argument", "model A {\n    input x: 9\n    fc1 = linear(9, 1)\n    forward {\n        h = fc1(|\n"),
        ("train keys", "model A {\n    train {\n        |\n    }\n}\n"),
        ("losses", "model A {\n    train {\n        loss = |\n    }\n}\n"),
        ("optimizers", "model A {\n    train {\n        optimizer = ad|\n"),
        ("top level", "|"),
    ];
    let mut shown = Vec::new();
    for (version, (name, marked)) in cases.iter().enumerate() {
        let text = marked.replace('|', "");
        let position = position_of(marked, "|", 0, 0);
        if version == 0 {
            client.open(&uri, &text);
        } else {
            client.change(&uri, version as i32 + 1, &text);
        }
        let items = match client
            .request::<Completion>(CompletionParams {
                text_document_position: at(&uri, position),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: None,
            })
            .expect("completion answers")
        {
            Some(CompletionResponse::Array(items)) => items,
            other => panic!("{other:?}"),
        };
        let labels: Vec<String> = items
            .iter()
            .map(|i| i.insert_text.clone().unwrap_or_else(|| i.label.clone()))
            .collect();
        shown.push(format!("{name}: {}", labels.join(" ")));
    }
    insta::assert_snapshot!("completions", shown.join("\n"));
    client.shutdown();
}

#[test]
fn formatting_gives_netc_fmt_and_leaves_broken_files_alone() {
    let mut client = Client::utf16();
    let uri = uri("messy.nn");
    let messy = "model A{input x:2 fc=linear(2,1) forward{return fc(x)}}";
    client.open(&uri, messy);
    let format = |client: &mut Client| {
        client
            .request::<Formatting>(DocumentFormattingParams {
                text_document: TextDocumentIdentifier::new(uri.clone()),
                options: FormattingOptions::default(),
                work_done_progress_params: Default::default(),
            })
            .expect("formatting answers")
    };
    let edits = format(&mut client).expect("edits");
    assert_eq!(
        apply(messy, &edits),
        netc_fmt::format(messy).expect("parses")
    );
    client.change(&uri, 2, "model A { input x: 2 fc = linear(2,");
    assert_eq!(format(&mut client), None);
    client.shutdown();
}

#[test]
fn a_diagnostic_after_non_ascii_text_is_placed_in_either_encoding() {
    let text = "model A {\n    input x: 2\n    fc = linear(2, 1)\n    forward { return fc(x) }\n    train { data = \"données/🦀.csv\" bacth = 3 }\n}\n";
    let line = 4;
    let bacth = text
        .lines()
        .nth(line)
        .expect("line")
        .find("bacth")
        .expect("bacth");
    let prefix = &text.lines().nth(line).expect("line")[..bacth];
    for (encoding, expected) in [
        (PositionEncodingKind::UTF8, prefix.len()),
        (PositionEncodingKind::UTF16, prefix.encode_utf16().count()),
    ] {
        let mut client = Client::start(std::slice::from_ref(&encoding));
        let uri = uri("accents.nn");
        client.open(&uri, text);
        let published = client.diagnostics(&uri, Some(1));
        let nn038 = published
            .diagnostics
            .iter()
            .find(|d| d.code == Some(lsp_types::NumberOrString::String("NN038".into())))
            .expect("bacth is an unknown key");
        assert_eq!(
            nn038.range.start,
            lsp_types::Position::new(line as u32, expected as u32),
            "{encoding:?}"
        );
        assert_eq!(nn038.range.end.character - nn038.range.start.character, 5);
        // Hover at that position finds the same diagnostic.
        let hover = hover_text(&mut client, &uri, nn038.range.start);
        assert!(hover.contains("NN038"), "{hover}");
        client.shutdown();
    }
    // The two encodings differ on this line: é is 2 bytes, 🦀 4 bytes / 2 units.
    assert_eq!(prefix.len() - prefix.encode_utf16().count(), 3);
}

#[test]
fn closing_clears_diagnostics_and_edits_are_debounced() {
    let mut client = Client::utf16();
    let seed = example("seed.nn");
    let uri = uri("seed.nn");
    client.open(&uri, &seed);
    client.diagnostics(&uri, Some(1));
    for version in 2..=6 {
        client.change(
            &uri,
            version,
            &seed.replace("bc1", &"b".repeat(version as usize)),
        );
    }
    let last = client.diagnostics(&uri, Some(6));
    assert_eq!(
        lsp_codes(&last.diagnostics),
        check_codes(&seed.replace("bc1", "bbbbbb"))
    );
    client.notify::<lsp_types::notification::DidCloseTextDocument>(
        lsp_types::DidCloseTextDocumentParams {
            text_document: TextDocumentIdentifier::new(uri.clone()),
        },
    );
    let cleared = client.diagnostics(&uri, None);
    assert!(cleared.diagnostics.is_empty());
    client.shutdown();
}

#[test]
fn malformed_requests_get_errors_and_the_server_goes_on() {
    let mut client = Client::utf16();
    let bad_params = client.raw_request("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(
        bad_params.error.expect("error").code,
        lsp_server::ErrorCode::InvalidParams as i32
    );
    let unknown = client.raw_request("netc/unknown", json!(null));
    assert_eq!(
        unknown.error.expect("error").code,
        lsp_server::ErrorCode::MethodNotFound as i32
    );
    let not_open = client.raw_request(
        "textDocument/hover",
        json!({"textDocument": {"uri": "file:///nowhere.nn"}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(
        not_open.error.expect("error").code,
        lsp_server::ErrorCode::InvalidParams as i32
    );
    // A notification with bad parameters is ignored.
    client.raw_notify("textDocument/didOpen", json!({"textDocument": "nope"}));
    // Positions far outside the text are clamped, not fatal.
    let uri = uri("tiny.nn");
    client.open(&uri, "model A {");
    let far = lsp_types::Position::new(u32::MAX, u32::MAX);
    let hover = client.request::<HoverRequest>(HoverParams {
        text_document_position_params: at(&uri, far),
        work_done_progress_params: Default::default(),
    });
    assert!(hover.is_ok());
    assert_eq!(client.shutdown(), netc_lsp::Exit::Clean);
}

#[test]
fn exit_without_shutdown_is_abrupt() {
    let mut client = Client::utf16();
    client.raw_notify("exit", Value::Null);
    assert_eq!(client.join(), netc_lsp::Exit::Abrupt);
}

#[test]
fn suppression_comments_apply_as_in_netc_check() {
    let mut client = Client::utf16();
    let path = harness::root().join("crates/netc-cli/tests/lint_config/suppressed.nn");
    let text = std::fs::read_to_string(path).expect("suppressed.nn");
    let uri = uri("suppressed.nn");
    client.open(&uri, &text);
    let published = client.diagnostics(&uri, Some(1));
    assert_eq!(lsp_codes(&published.diagnostics), check_codes(&text));
    // The misspelt rule name is reported (NN040), the others suppress.
    assert!(lsp_codes(&published.diagnostics)
        .iter()
        .any(|(code, _)| code == "NN040"));
    assert!(lsp_codes(&published.diagnostics)
        .iter()
        .all(|(code, _)| code != "NN018" && code != "NN002"));
    client.shutdown();
}
