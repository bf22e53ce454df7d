//! The main loop: notifications update documents, requests are answered
//! from them, diagnostics are published once edits settle.
//!
//! Every request runs under `catch_unwind`: a bug becomes an error
//! response for that request, never a dead server.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response, ResponseError};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _,
    PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    InlayHintRequest, PrepareRenameRequest, References, Rename, Request as LspRequest,
};
use lsp_types::{
    CodeActionOrCommand, CodeActionParams, CompletionParams, CompletionResponse,
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DocumentFormattingParams, DocumentSymbolParams, DocumentSymbolResponse, GotoDefinitionParams,
    GotoDefinitionResponse, Hover, HoverContents, HoverParams, InlayHint, InlayHintParams,
    Location, MarkupContent, MarkupKind, PrepareRenameResponse, PublishDiagnosticsParams,
    ReferenceParams, RenameParams, TextDocumentPositionParams, TextEdit, Url, WorkspaceEdit,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::document::Document;
use crate::position::Encoding;
use crate::{actions, completion, diagnostics, hover, inlay, names, navigation, symbols};

/// The longest diagnostics of a changed document wait while more messages
/// keep arriving. They are published as soon as no message is queued, so a
/// burst of edits is checked once and a single edit without delay.
pub const DEBOUNCE: Duration = Duration::from_millis(20);

/// How the server stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// `shutdown`, then `exit`.
    Clean,
    /// `exit` without `shutdown`, or the client went away.
    Abrupt,
}

pub struct Server<'c> {
    connection: &'c Connection,
    encoding: Encoding,
    documents: HashMap<Url, Document>,
    /// Documents whose diagnostics wait for edits to settle, and when they
    /// are due.
    pending: HashMap<Url, Instant>,
}

type Answer = Result<Value, ResponseError>;

impl<'c> Server<'c> {
    pub fn new(connection: &'c Connection, encoding: Encoding) -> Self {
        Server {
            connection,
            encoding,
            documents: HashMap::new(),
            pending: HashMap::new(),
        }
    }

    pub fn run(mut self) -> Result<Exit, lsp_server::ProtocolError> {
        loop {
            let message = match self.pending.values().min() {
                Some(due) => {
                    let wait = due.saturating_duration_since(Instant::now());
                    match self.connection.receiver.recv_timeout(wait) {
                        Ok(message) => Some(message),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return Ok(Exit::Abrupt),
                    }
                }
                None => match self.connection.receiver.recv() {
                    Ok(message) => Some(message),
                    Err(_) => return Ok(Exit::Abrupt),
                },
            };
            match message {
                Some(Message::Request(request)) => {
                    if self.connection.handle_shutdown(&request)? {
                        return Ok(Exit::Clean);
                    }
                    let response = self.respond(request);
                    self.send(Message::Response(response));
                }
                Some(Message::Notification(notification)) => {
                    if notification.method == lsp_types::notification::Exit::METHOD {
                        return Ok(Exit::Abrupt);
                    }
                    self.notify(notification);
                }
                Some(Message::Response(_)) | None => {}
            }
            let settled = self.connection.receiver.is_empty();
            self.publish_due(settled);
        }
    }

    fn send(&self, message: Message) {
        // The client hung up: the receive side ends the loop.
        let _ = self.connection.sender.send(message);
    }

    fn respond(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let method = request.method.clone();
        let answer = panic::catch_unwind(AssertUnwindSafe(|| self.dispatch(request)))
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(error(
                    ErrorCode::InternalError,
                    format!("netc lsp failed on `{method}`: {what}"),
                ))
            });
        match answer {
            Ok(result) => Response::new_ok(id, result),
            Err(error) => Response {
                id,
                result: None,
                error: Some(error),
            },
        }
    }

    fn dispatch(&mut self, request: Request) -> Answer {
        let params = request.params;
        match request.method.as_str() {
            HoverRequest::METHOD => self.answer::<HoverRequest>(params, Self::hover),
            InlayHintRequest::METHOD => self.answer::<InlayHintRequest>(params, Self::inlay_hints),
            GotoDefinition::METHOD => self.answer::<GotoDefinition>(params, Self::definition),
            References::METHOD => self.answer::<References>(params, Self::references),
            PrepareRenameRequest::METHOD => {
                self.answer::<PrepareRenameRequest>(params, Self::prepare_rename)
            }
            Rename::METHOD => self.answer::<Rename>(params, Self::rename),
            DocumentSymbolRequest::METHOD => {
                self.answer::<DocumentSymbolRequest>(params, Self::document_symbols)
            }
            Completion::METHOD => self.answer::<Completion>(params, Self::completion),
            CodeActionRequest::METHOD => {
                self.answer::<CodeActionRequest>(params, Self::code_actions)
            }
            Formatting::METHOD => self.answer::<Formatting>(params, Self::formatting),
            method => Err(error(
                ErrorCode::MethodNotFound,
                format!("netc lsp does not handle `{method}`"),
            )),
        }
    }

    fn answer<R: LspRequest>(
        &mut self,
        params: Value,
        handler: fn(&mut Self, R::Params) -> Result<R::Result, ResponseError>,
    ) -> Answer {
        let params = parse::<R::Params>(params)?;
        let result = handler(self, params)?;
        serde_json::to_value(result).map_err(|e| {
            error(
                ErrorCode::InternalError,
                format!("cannot encode the result: {e}"),
            )
        })
    }

    fn notify(&mut self, notification: Notification) {
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| -> Result<(), ResponseError> {
            match notification.method.as_str() {
                DidOpenTextDocument::METHOD => {
                    let params: DidOpenTextDocumentParams = parse(notification.params)?;
                    let document = params.text_document;
                    let uri = document.uri;
                    self.documents
                        .insert(uri.clone(), Document::new(document.text, document.version));
                    self.pending.remove(&uri);
                    self.publish(&uri);
                    Ok(())
                }
                DidChangeTextDocument::METHOD => {
                    let params: DidChangeTextDocumentParams = parse(notification.params)?;
                    self.change(params);
                    Ok(())
                }
                DidCloseTextDocument::METHOD => {
                    let params: DidCloseTextDocumentParams = parse(notification.params)?;
                    let uri = params.text_document.uri;
                    self.documents.remove(&uri);
                    self.pending.remove(&uri);
                    self.send_diagnostics(uri, Vec::new(), None);
                    Ok(())
                }
                // `initialized`, `didSave`, `$/cancelRequest`, ...: nothing to do.
                _ => Ok(()),
            }
        }));
        match outcome {
            Ok(Ok(())) => {}
            // A notification has no reply: say what went wrong on stderr,
            // which editors show in their log.
            Ok(Err(error)) => eprintln!("netc lsp: {}: {}", notification.method, error.message),
            Err(_) => eprintln!("netc lsp: {} failed", notification.method),
        }
    }

    fn change(&mut self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let encoding = self.encoding;
        let Some(document) = self.documents.get_mut(&uri) else {
            return;
        };
        let mut text = std::mem::take(&mut document.text);
        for change in params.content_changes {
            match change.range {
                None => text = change.text,
                Some(range) => {
                    let span = crate::position::LineMap::new(&text, encoding).span(range);
                    text.replace_range(span.start..span.end, &change.text);
                }
            }
        }
        document.replace(text, params.text_document.version);
        // A steady stream of edits delays diagnostics by DEBOUNCE at most.
        self.pending
            .entry(uri)
            .or_insert_with(|| Instant::now() + DEBOUNCE);
    }

    /// Publishes the diagnostics that are due, or all pending ones when
    /// the edits have `settled` (no message waits).
    fn publish_due(&mut self, settled: bool) {
        let now = Instant::now();
        let due: Vec<Url> = self
            .pending
            .iter()
            .filter(|(_, at)| settled || **at <= now)
            .map(|(uri, _)| uri.clone())
            .collect();
        for uri in due {
            self.pending.remove(&uri);
            let published = panic::catch_unwind(AssertUnwindSafe(|| self.publish(&uri)));
            if published.is_err() {
                eprintln!("netc lsp: checking {uri} failed");
            }
        }
    }

    fn publish(&self, uri: &Url) {
        let Some(document) = self.documents.get(uri) else {
            return;
        };
        let lines = document.lines(self.encoding);
        let found = document
            .checked()
            .diagnostics
            .iter()
            .map(|d| diagnostics::to_lsp(d, &lines, uri))
            .collect();
        self.send_diagnostics(uri.clone(), found, Some(document.version));
    }

    fn send_diagnostics(
        &self,
        uri: Url,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) {
        let params = PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.send(Message::Notification(Notification::new(
            PublishDiagnostics::METHOD.to_string(),
            params,
        )));
    }

    fn document(&self, uri: &Url) -> Result<&Document, ResponseError> {
        self.documents.get(uri).ok_or_else(|| {
            error(
                ErrorCode::InvalidParams,
                format!("`{uri}` is not open (send textDocument/didOpen first)"),
            )
        })
    }

    /// The document and byte offset of a position.
    fn at(
        &self,
        position: &TextDocumentPositionParams,
    ) -> Result<(&Document, usize), ResponseError> {
        let document = self.document(&position.text_document.uri)?;
        let offset = document.lines(self.encoding).offset(position.position);
        Ok((document, offset))
    }

    fn hover(&mut self, params: HoverParams) -> Result<Option<Hover>, ResponseError> {
        let (document, offset) = self.at(&params.text_document_position_params)?;
        Ok(
            hover::hover(&document.text, document.checked(), offset).map(|value| Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value,
                }),
                range: None,
            }),
        )
    }

    fn inlay_hints(
        &mut self,
        params: InlayHintParams,
    ) -> Result<Option<Vec<InlayHint>>, ResponseError> {
        let document = self.document(&params.text_document.uri)?;
        let lines = document.lines(self.encoding);
        let within = lines.span(params.range);
        Ok(Some(inlay::hints(document.checked(), &lines, within)))
    }

    fn definition(
        &mut self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>, ResponseError> {
        let position = &params.text_document_position_params;
        let (document, offset) = self.at(position)?;
        let occurrences = names::occurrences(&document.checked().syntax);
        let lines = document.lines(self.encoding);
        Ok(navigation::definition(&occurrences, offset).map(|span| {
            GotoDefinitionResponse::Scalar(Location::new(
                position.text_document.uri.clone(),
                lines.range(span),
            ))
        }))
    }

    fn references(
        &mut self,
        params: ReferenceParams,
    ) -> Result<Option<Vec<Location>>, ResponseError> {
        let position = &params.text_document_position;
        let (document, offset) = self.at(position)?;
        let occurrences = names::occurrences(&document.checked().syntax);
        let lines = document.lines(self.encoding);
        let uri = &position.text_document.uri;
        let found =
            navigation::references(&occurrences, offset, params.context.include_declaration);
        Ok(Some(
            found
                .into_iter()
                .map(|span| Location::new(uri.clone(), lines.range(span)))
                .collect(),
        ))
    }

    fn prepare_rename(
        &mut self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>, ResponseError> {
        let (document, offset) = self.at(&params)?;
        let occurrences = names::occurrences(&document.checked().syntax);
        let lines = document.lines(self.encoding);
        Ok(
            navigation::prepare_rename(&occurrences, offset).map(|(span, name)| {
                PrepareRenameResponse::RangeWithPlaceholder {
                    range: lines.range(span),
                    placeholder: name.to_string(),
                }
            }),
        )
    }

    fn rename(&mut self, params: RenameParams) -> Result<Option<WorkspaceEdit>, ResponseError> {
        let position = &params.text_document_position;
        let (document, offset) = self.at(position)?;
        let occurrences = names::occurrences(&document.checked().syntax);
        let lines = document.lines(self.encoding);
        let spans = navigation::rename(&occurrences, offset, &params.new_name)
            .map_err(|message| error(ErrorCode::RequestFailed, message))?;
        let edits = spans
            .into_iter()
            .map(|span| TextEdit::new(lines.range(span), params.new_name.clone()))
            .collect();
        Ok(Some(WorkspaceEdit::new(HashMap::from([(
            position.text_document.uri.clone(),
            edits,
        )]))))
    }

    fn document_symbols(
        &mut self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>, ResponseError> {
        let document = self.document(&params.text_document.uri)?;
        let lines = document.lines(self.encoding);
        Ok(Some(DocumentSymbolResponse::Nested(
            symbols::document_symbols(&document.checked().syntax, &lines),
        )))
    }

    fn completion(
        &mut self,
        params: CompletionParams,
    ) -> Result<Option<CompletionResponse>, ResponseError> {
        let (document, offset) = self.at(&params.text_document_position)?;
        Ok(Some(CompletionResponse::Array(completion::complete(
            &document.text,
            offset,
        ))))
    }

    fn code_actions(
        &mut self,
        params: CodeActionParams,
    ) -> Result<Option<Vec<CodeActionOrCommand>>, ResponseError> {
        let uri = &params.text_document.uri;
        let document = self.document(uri)?;
        let lines = document.lines(self.encoding);
        let within = lines.span(params.range);
        let found = actions::actions(
            &document.text,
            document.checked(),
            &lines,
            uri,
            within,
            params.context.only.as_deref(),
        );
        Ok(Some(
            found
                .into_iter()
                .map(CodeActionOrCommand::CodeAction)
                .collect(),
        ))
    }

    fn formatting(
        &mut self,
        params: DocumentFormattingParams,
    ) -> Result<Option<Vec<TextEdit>>, ResponseError> {
        let document = self.document(&params.text_document.uri)?;
        // A file with syntax errors is left as it is: its diagnostics say why.
        let Ok(formatted) = netc_fmt::format(&document.text) else {
            return Ok(None);
        };
        if formatted == document.text {
            return Ok(Some(Vec::new()));
        }
        let lines = document.lines(self.encoding);
        let whole = lines.range(netc_lang::ast::Span::new(0, document.text.len()));
        Ok(Some(vec![TextEdit::new(whole, formatted)]))
    }
}

fn parse<T: DeserializeOwned>(params: Value) -> Result<T, ResponseError> {
    serde_json::from_value(params)
        .map_err(|e| error(ErrorCode::InvalidParams, format!("invalid parameters: {e}")))
}

fn error(code: ErrorCode, message: String) -> ResponseError {
    ResponseError {
        code: code as i32,
        message,
        data: None,
    }
}
