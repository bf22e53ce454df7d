//! An in-process LSP client over `lsp-server`'s memory connection: the
//! server runs on a thread, the test sends requests and notifications and
//! reads what comes back.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidOpenTextDocument, Notification as LspNotification, PublishDiagnostics,
};
use lsp_types::request::Request as LspRequest;
use lsp_types::{
    ClientCapabilities, DidChangeTextDocumentParams, DidOpenTextDocumentParams,
    GeneralClientCapabilities, InitializeParams, InitializeResult, Position, PositionEncodingKind,
    PublishDiagnosticsParams, ServerCapabilities, TextDocumentContentChangeEvent,
    TextDocumentIdentifier, TextDocumentItem, TextDocumentPositionParams, Url,
    VersionedTextDocumentIdentifier,
};
use netc_lsp::Exit;
use serde_json::Value;

/// How long a test waits for the server before failing.
const PATIENCE: Duration = Duration::from_secs(30);

pub struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<Exit, lsp_server::ProtocolError>>>,
    next_id: i32,
    /// Notifications received while waiting for something else.
    pub notifications: Vec<Notification>,
    /// What the server said it can do.
    pub capabilities: ServerCapabilities,
}

impl Client {
    /// A server initialised by a client that offers these position
    /// encodings (none: the protocol's default, UTF-16).
    pub fn start(encodings: &[PositionEncodingKind]) -> Client {
        let (server_side, connection) = Connection::memory();
        let server = std::thread::spawn(move || netc_lsp::run(&server_side));
        let mut client = Client {
            connection,
            server: Some(server),
            next_id: 0,
            notifications: Vec::new(),
            capabilities: ServerCapabilities::default(),
        };
        let params = InitializeParams {
            capabilities: ClientCapabilities {
                general: Some(GeneralClientCapabilities {
                    position_encodings: (!encodings.is_empty()).then(|| encodings.to_vec()),
                    ..GeneralClientCapabilities::default()
                }),
                ..ClientCapabilities::default()
            },
            ..InitializeParams::default()
        };
        let response =
            client.raw_request("initialize", serde_json::to_value(params).expect("json"));
        let result: InitializeResult =
            serde_json::from_value(response.result.expect("initialize succeeds")).expect("result");
        client.capabilities = result.capabilities;
        client.raw_notify("initialized", serde_json::json!({}));
        client
    }

    pub fn utf16() -> Client {
        Client::start(&[])
    }

    /// Sends a request and waits for its response.
    pub fn raw_request(&mut self, method: &str, params: Value) -> Response {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let request = Request::new(id.clone(), method.to_string(), params);
        self.connection
            .sender
            .send(Message::Request(request))
            .expect("server is running");
        loop {
            match self.receive() {
                Message::Response(response) if response.id == id => return response,
                Message::Response(other) => panic!("unexpected response {other:?}"),
                Message::Notification(notification) => self.notifications.push(notification),
                Message::Request(request) => panic!("unexpected request {request:?}"),
            }
        }
    }

    /// A typed request; the error response as `Err`.
    pub fn request<R: LspRequest>(
        &mut self,
        params: R::Params,
    ) -> Result<R::Result, lsp_server::ResponseError> {
        let response = self.raw_request(R::METHOD, serde_json::to_value(params).expect("json"));
        match (response.result, response.error) {
            (_, Some(error)) => Err(error),
            (Some(result), None) => Ok(serde_json::from_value(result).expect("typed result")),
            (None, None) => Ok(serde_json::from_value(Value::Null).expect("typed null")),
        }
    }

    pub fn raw_notify(&mut self, method: &str, params: Value) {
        let notification = Notification::new(method.to_string(), params);
        self.connection
            .sender
            .send(Message::Notification(notification))
            .expect("server is running");
    }

    pub fn notify<N: LspNotification>(&mut self, params: N::Params) {
        self.raw_notify(N::METHOD, serde_json::to_value(params).expect("json"));
    }

    fn receive(&mut self) -> Message {
        self.connection
            .receiver
            .recv_timeout(PATIENCE)
            .expect("the server answers in time")
    }

    pub fn open(&mut self, uri: &Url, text: &str) {
        self.notify::<DidOpenTextDocument>(DidOpenTextDocumentParams {
            text_document: TextDocumentItem::new(uri.clone(), "netc".into(), 1, text.to_string()),
        });
    }

    /// Replaces the whole text (full sync).
    pub fn change(&mut self, uri: &Url, version: i32, text: &str) {
        self.notify::<DidChangeTextDocument>(DidChangeTextDocumentParams {
            text_document: VersionedTextDocumentIdentifier::new(uri.clone(), version),
            content_changes: vec![TextDocumentContentChangeEvent {
                range: None,
                range_length: None,
                text: text.to_string(),
            }],
        });
    }

    /// The next diagnostics published for `uri` (of `version`, when given).
    pub fn diagnostics(&mut self, uri: &Url, version: Option<i32>) -> PublishDiagnosticsParams {
        loop {
            let found = self.notifications.iter().position(|n| {
                n.method == PublishDiagnostics::METHOD && {
                    let params: PublishDiagnosticsParams =
                        serde_json::from_value(n.params.clone()).expect("diagnostics");
                    params.uri == *uri && (version.is_none() || params.version == version)
                }
            });
            if let Some(index) = found {
                let notification = self.notifications.remove(index);
                // Older publications of the same file are superseded.
                self.notifications.drain(..index);
                return serde_json::from_value(notification.params).expect("diagnostics");
            }
            let message = self.receive();
            match message {
                Message::Notification(notification) => self.notifications.push(notification),
                other => panic!("unexpected message {other:?}"),
            }
        }
    }

    /// `shutdown` then `exit`: how the server says it stopped.
    pub fn shutdown(mut self) -> Exit {
        let response = self.raw_request("shutdown", Value::Null);
        assert!(response.error.is_none(), "{response:?}");
        self.raw_notify("exit", Value::Null);
        self.join()
    }

    pub fn join(mut self) -> Exit {
        self.server
            .take()
            .expect("server thread")
            .join()
            .expect("the server thread does not panic")
            .expect("no protocol error")
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn example(name: &str) -> String {
    std::fs::read_to_string(root().join("examples").join(name)).expect("example")
}

pub fn uri(name: &str) -> Url {
    Url::parse(&format!("file:///models/{name}")).expect("uri")
}

/// The position of the `nth` (0-based) `needle` in `text`, plus `shift`
/// characters, in UTF-16 (the same as UTF-8 for ASCII text).
pub fn position_of(text: &str, needle: &str, nth: usize, shift: u32) -> Position {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("`{needle}` #{nth} in the text"))
        .0;
    let line = text[..offset].matches('\n').count();
    let line_start = text[..offset].rfind('\n').map_or(0, |n| n + 1);
    let character = text[line_start..offset].encode_utf16().count();
    Position::new(line as u32, character as u32 + shift)
}

pub fn at(uri: &Url, position: Position) -> TextDocumentPositionParams {
    TextDocumentPositionParams::new(TextDocumentIdentifier::new(uri.clone()), position)
}

/// `text` with LSP text edits applied (UTF-16 positions).
pub fn apply(text: &str, edits: &[lsp_types::TextEdit]) -> String {
    let offset = |p: Position| {
        let line_start: usize = text
            .split_inclusive('\n')
            .take(p.line as usize)
            .map(str::len)
            .sum();
        let line = &text[line_start..];
        let mut units = 0;
        for (at, c) in line.char_indices() {
            if units >= p.character as usize || c == '\n' {
                return line_start + at;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| {
            (
                offset(e.range.start),
                offset(e.range.end),
                e.new_text.as_str(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (start, end, new) in spans {
        out.replace_range(start..end, new);
    }
    out
}

/// The UTF-16 position of a byte offset.
pub fn position_at(text: &str, offset: usize) -> Position {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    Position::new(
        line as u32,
        before[line_start..].encode_utf16().count() as u32,
    )
}
