//! `netc lsp`: a language server for netc model files over stdio, on
//! rust-analyzer's `lsp-server` (synchronous, no async runtime).
//!
//! Diagnostics are `netc check`'s, published as the user types; the rest
//! (hover, inlay hints, navigation, completion, fixes, formatting) reads
//! the same checked syntax tree and IR.

mod actions;
mod completion;
mod diagnostics;
mod document;
mod hover;
mod inlay;
mod lexer;
mod names;
mod navigation;
mod position;
mod server;
mod symbols;
mod vocabulary;
mod widths;

use lsp_server::Connection;
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, CompletionOptions,
    HoverProviderCapability, InitializeParams, OneOf, PositionEncodingKind, RenameOptions,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
};

pub use position::Encoding;
pub use server::{Exit, DEBOUNCE};

/// Serves one client over `connection` until it exits.
pub fn run(connection: &Connection) -> Result<Exit, lsp_server::ProtocolError> {
    let (id, params) = connection.initialize_start()?;
    // Unreadable capabilities are no capabilities: UTF-16 positions.
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    let encoding = negotiate(&params);
    let result = serde_json::json!({
        "capabilities": capabilities(encoding),
        "serverInfo": { "name": "netc", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result)?;
    server::Server::new(connection, encoding).run()
}

/// Serves a client over stdin and stdout.
pub fn run_stdio() -> Result<Exit, Box<dyn std::error::Error + Send + Sync>> {
    let (connection, io_threads) = Connection::stdio();
    let exit = run(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(exit)
}

/// UTF-8 positions when the client offers them, else the protocol's
/// default, UTF-16.
fn negotiate(params: &InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|general| general.position_encodings.as_ref());
    if offered.is_some_and(|kinds| kinds.contains(&PositionEncodingKind::UTF8)) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        inlay_hint_provider: Some(OneOf::Left(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["=".into(), "(".into(), ",".into()]),
            ..CompletionOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::new(actions::FIX_ALL),
            ]),
            ..CodeActionOptions::default()
        })),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}
