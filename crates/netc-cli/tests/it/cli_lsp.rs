//! `netc lsp` end to end: the built binary over stdio, driven by a small
//! JSON-RPC client (Content-Length framing), as an editor drives it.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

struct Server {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    next_id: i64,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_netc"))
            .args(["lsp", "--stdio"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("netc lsp starts");
        let input = child.stdin.take().expect("stdin");
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        Server {
            child,
            input,
            output,
            next_id: 0,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.input.flush().expect("flush");
    }

    fn receive(&mut self) -> Value {
        let mut length = None;
        loop {
            let mut line = String::new();
            self.output.read_line(&mut line).expect("read header");
            assert!(!line.is_empty(), "the server closed its output");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = Some(n.parse::<usize>().expect("length"));
            }
        }
        let mut body = vec![0; length.expect("a Content-Length header")];
        self.output.read_exact(&mut body).expect("read body");
        serde_json::from_slice(&body).expect("JSON body")
    }

    /// Sends a request and returns its result, keeping notifications that
    /// arrive first.
    fn request(&mut self, method: &str, params: Value, seen: &mut Vec<Value>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.receive();
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{message}");
                return message["result"].clone();
            }
            seen.push(message);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }
}

#[test]
fn an_editor_session_over_stdio() {
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/seed.nn"
    ))
    .expect("seed example");
    let uri = "file:///models/seed.nn";
    let mut server = Server::start();
    let mut seen = Vec::new();
    let init = server.request(
        "initialize",
        json!({"capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]}}}),
        &mut seen,
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    assert_eq!(init["serverInfo"]["name"], "netc");
    server.notify("initialized", json!({}));
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "netc", "version": 1, "text": seed}}),
    );
    let diagnostics = loop {
        let message = server.receive();
        if message["method"] == "textDocument/publishDiagnostics" {
            break message["params"]["diagnostics"].clone();
        }
    };
    let codes: Vec<&str> = diagnostics
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| d["code"].as_str().expect("code"))
        .collect();
    let expected: Vec<&str> = netc_lang_codes(&seed);
    assert_eq!(codes, expected);

    // Hover on `bn1` in `model Net2`, and jump from `fc1(x)` to `fc1 =`.
    let (line, character) = find(&seed, "bn1 = batchnorm");
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        &mut seen,
    );
    let text = hover["contents"]["value"].as_str().expect("markdown");
    assert!(text.contains("batchnorm layer"), "{text}");
    let (line, character) = find(&seed, "fc1(x)");
    let definition = server.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        &mut seen,
    );
    let (declared, _) = find_nth(&seed, "fc1 = linear", 1);
    assert_eq!(definition["range"]["start"]["line"], json!(declared));

    let shutdown = server.request("shutdown", Value::Null, &mut seen);
    assert_eq!(shutdown, Value::Null);
    server.notify("exit", Value::Null);
    drop(server.input);
    let status = server.child.wait().expect("netc lsp exits");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let mut server = Server::start();
    let mut seen = Vec::new();
    server.request("initialize", json!({"capabilities": {}}), &mut seen);
    server.notify("exit", Value::Null);
    drop(server.input);
    assert_eq!(server.child.wait().expect("exits").code(), Some(1));
}

/// `netc check`'s codes for `text`: the CLI checks with this library.
fn netc_lang_codes(text: &str) -> Vec<&'static str> {
    netc_lang::check_source(text)
        .1
        .iter()
        .map(|d| d.code)
        .collect()
}

fn find(text: &str, needle: &str) -> (usize, usize) {
    find_nth(text, needle, 0)
}

/// Line and column (ASCII text) of the `nth` `needle`.
fn find_nth(text: &str, needle: &str, nth: usize) -> (usize, usize) {
    let offset = text.match_indices(needle).nth(nth).expect("in the text").0;
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |n| n + 1);
    (line, column)
}
