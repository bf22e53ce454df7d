// Tokenizes every example model with the TextMate grammar and fails if a
// word or number is left without a scope of its own (only the file's or a
// block's), or if a line does not end back inside the model or top level.
const fs = require("fs");
const path = require("path");
const textmate = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
const onigLib = oniguruma.loadWASM(wasm).then(() => ({
  createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
  createOnigString: (s) => new oniguruma.OnigString(s),
}));
const registry = new textmate.Registry({
  onigLib,
  loadGrammar: async () =>
    textmate.parseRawGrammar(
      fs.readFileSync(path.join(__dirname, "../syntaxes/netc.tmLanguage.json"), "utf8"),
      "netc.tmLanguage.json",
    ),
});

async function main() {
  const grammar = await registry.loadGrammar("source.netc");
  const folder = process.argv[2] || path.join(__dirname, "../../../examples");
  const files = fs.readdirSync(folder).filter((f) => f.endsWith(".nn"));
  let failures = 0;
  for (const file of files) {
    let state = textmate.INITIAL;
    const lines = fs.readFileSync(path.join(folder, file), "utf8").split("\n");
    lines.forEach((line, index) => {
      const result = grammar.tokenizeLine(line, state);
      for (const token of result.tokens) {
        const text = line.slice(token.startIndex, token.endIndex);
        const specific = token.scopes.filter((s) => s !== "source.netc" && !s.startsWith("meta."));
        if (/[A-Za-z0-9]/.test(text) && specific.length === 0) {
          console.error(`${file}:${index + 1}: \`${text.trim()}\` has no scope`);
          failures += 1;
        }
      }
      state = result.ruleStack;
    });
    console.log(`${file}: ${lines.length} lines tokenized`);
  }
  if (files.length === 0 || failures > 0) {
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
