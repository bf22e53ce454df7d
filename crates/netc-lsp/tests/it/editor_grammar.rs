//! The VS Code TextMate grammar (`editors/vscode/syntaxes/`) colours the
//! built-in names from lists of its own; these must be the language's.
//! (Layer kinds need no list: the grammar scopes a declaration's callee.)

use std::collections::BTreeSet;

use netc_ops::{Activation, Init, Loss, LrSchedule, Optimizer};

/// The words of the grammar pattern scoped `scope`: its `\b(?:a|b)\b`
/// alternation.
fn grammar_words(scope: &str) -> BTreeSet<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../editors/vscode/syntaxes/netc.tmLanguage.json"
    );
    let grammar: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the grammar"))
            .expect("the grammar is JSON");
    let pattern = grammar["repository"]["expression"]["patterns"]
        .as_array()
        .expect("expression patterns")
        .iter()
        .find(|p| p["name"] == scope)
        .unwrap_or_else(|| panic!("no pattern scoped {scope}"));
    let regex = pattern["match"].as_str().expect("a match pattern");
    let words = regex
        .strip_prefix("\\b(?:")
        .and_then(|r| r.strip_suffix(")\\b"))
        .unwrap_or_else(|| panic!("{scope}: not a word alternation: {regex}"));
    words.split('|').map(str::to_string).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

#[test]
fn the_editor_grammar_colours_every_builtin_name() {
    let cases: [(&str, BTreeSet<String>); 4] = [
        ("support.function.activation.netc", set(Activation::NAMES)),
        ("support.function.init.netc", set(Init::NAMES)),
        ("support.constant.loss.netc", set(Loss::NAMES)),
        (
            "support.function.optimizer.netc",
            set(Optimizer::NAMES)
                .union(&set(LrSchedule::NAMES))
                .cloned()
                .collect(),
        ),
    ];
    for (scope, names) in cases {
        assert_eq!(grammar_words(scope), names, "the grammar's {scope} words");
    }
}
