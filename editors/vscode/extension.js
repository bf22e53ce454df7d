// Starts `netc lsp` for netc model files.
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate() {
  const command = vscode.workspace.getConfiguration("netc").get("path", "netc");
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient(
    "netc",
    "netc",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "netc" }, { scheme: "untitled", language: "netc" }] },
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
