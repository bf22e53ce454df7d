#!/bin/sh
# Tests the TextMate grammar: scope assertions (tests/*.nn, with
# vscode-tmgrammar-test) and every example model tokenized with no word
# left unscoped. Needs Node.js; installs the test tools with npm.
set -eu
cd "$(dirname "$0")"
npm install --no-audit --no-fund --ignore-scripts >/dev/null
npx vscode-tmgrammar-test -g syntaxes/netc.tmLanguage.json 'tests/*.nn'
node tests/examples.js
