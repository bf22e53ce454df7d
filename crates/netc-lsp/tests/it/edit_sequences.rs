//! Property test: random edit sequences on the example files, sent as
//! full and ranged changes with requests in between, never break the
//! server, and the diagnostics of the final text are `netc check`'s.

use crate::harness;

use harness::{at, example, position_at, uri, Client};
use lsp_types::notification::DidChangeTextDocument;
use lsp_types::request::{Completion, DocumentSymbolRequest, HoverRequest, InlayHintRequest};
use lsp_types::{
    CompletionParams, DidChangeTextDocumentParams, DocumentSymbolParams, HoverParams,
    InlayHintParams, Range, TextDocumentContentChangeEvent, TextDocumentIdentifier,
    VersionedTextDocumentIdentifier,
};
use proptest::prelude::*;

const EXAMPLES: &[&str] = &[
    "seed.nn",
    "water.nn",
    "digits.nn",
    "regression.nn",
    "breast_cancer.nn",
];

const SNIPPETS: &[&str] = &[
    "",
    "x",
    "(",
    ")",
    "{",
    "}",
    "=",
    ",",
    " ",
    "\n",
    "linear(",
    "relu(x)",
    "// c\n",
    "é🦀",
    "\"",
    "forward {",
    "return ",
    "9",
    "-1.5e",
    "bn1",
    "model B {",
    "train { batch = 0 }",
    "netc: allow(",
    "\u{feff}",
];

#[derive(Debug, Clone)]
struct Edit {
    /// Where, as a fraction of the text.
    at: f64,
    /// Characters deleted there.
    delete: usize,
    snippet: usize,
    /// Sent as a ranged change (else the whole text).
    ranged: bool,
    /// Which request follows it.
    request: u8,
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        0.0..1.0f64,
        0..12usize,
        0..SNIPPETS.len(),
        any::<bool>(),
        0..5u8,
    )
        .prop_map(|(at, delete, snippet, ranged, request)| Edit {
            at,
            delete,
            snippet,
            ranged,
            request,
        })
}

fn boundary(text: &str, mut offset: usize) -> usize {
    offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn send(
    client: &mut Client,
    uri: &lsp_types::Url,
    version: i32,
    text: &str,
    edit: &Edit,
) -> String {
    let start = boundary(text, (edit.at * text.len() as f64) as usize);
    let end = text[start..]
        .char_indices()
        .nth(edit.delete)
        .map_or(text.len(), |(n, _)| start + n);
    let snippet = SNIPPETS[edit.snippet];
    let mut next = text.to_string();
    next.replace_range(start..end, snippet);
    let change = if edit.ranged {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(position_at(text, start), position_at(text, end))),
            range_length: None,
            text: snippet.to_string(),
        }
    } else {
        TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: next.clone(),
        }
    };
    client.notify::<DidChangeTextDocument>(DidChangeTextDocumentParams {
        text_document: VersionedTextDocumentIdentifier::new(uri.clone(), version),
        content_changes: vec![change],
    });
    let here = position_at(&next, boundary(&next, start + snippet.len()));
    let document = TextDocumentIdentifier::new(uri.clone());
    let answered = match edit.request {
        0 => client
            .request::<HoverRequest>(HoverParams {
                text_document_position_params: at(uri, here),
                work_done_progress_params: Default::default(),
            })
            .map(drop),
        1 => client
            .request::<Completion>(CompletionParams {
                text_document_position: at(uri, here),
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
                context: None,
            })
            .map(drop),
        2 => client
            .request::<InlayHintRequest>(InlayHintParams {
                text_document: document,
                range: Range::new(lsp_types::Position::new(0, 0), here),
                work_done_progress_params: Default::default(),
            })
            .map(drop),
        3 => client
            .request::<DocumentSymbolRequest>(DocumentSymbolParams {
                text_document: document,
                work_done_progress_params: Default::default(),
                partial_result_params: Default::default(),
            })
            .map(drop),
        _ => Ok(()),
    };
    assert!(
        answered.is_ok(),
        "{answered:?} after an edit giving:\n{next}"
    );
    next
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn edits_never_break_the_server_and_diagnostics_match_netc_check(
        file in 0..EXAMPLES.len(),
        edits in prop::collection::vec(edit(), 1..12),
    ) {
        let mut client = Client::utf16();
        let uri = uri(EXAMPLES[file]);
        let mut text = example(EXAMPLES[file]);
        client.open(&uri, &text);
        for (i, edit) in edits.iter().enumerate() {
            text = send(&mut client, &uri, i as i32 + 2, &text, edit);
        }
        let published = client.diagnostics(&uri, Some(edits.len() as i32 + 1));
        let got: Vec<(String, lsp_types::Position)> = published
            .diagnostics
            .iter()
            .map(|d| (format!("{:?}", d.code), d.range.start))
            .collect();
        let expected: Vec<(String, lsp_types::Position)> = netc_lang::check_source(&text)
            .1
            .iter()
            .map(|d| {
                let code = Some(lsp_types::NumberOrString::String(d.code.to_string()));
                (format!("{code:?}"), position_at(&text, boundary(&text, d.span.start)))
            })
            .collect();
        prop_assert_eq!(got, expected, "text:\n{}", text);
        prop_assert_eq!(client.shutdown(), netc_lsp::Exit::Clean);
    }
}
