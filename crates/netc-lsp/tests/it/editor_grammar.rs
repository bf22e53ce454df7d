//! The VS Code TextMate grammar (`editors/vscode/syntaxes/`) colours the
//! built-in names from lists of its own; these must be the language's.
//! (Layer kinds need no list: the grammar scopes a declaration's callee.)
//! `NETC_BLESS=1 cargo test -p netc-lsp --test it -- editor_grammar`
//! rewrites the lists from the language, as insta rewrites a snapshot.

use std::collections::BTreeSet;

use netc_ops::{Activation, Init, Loss, LrSchedule, Optimizer};

const GRAMMAR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../editors/vscode/syntaxes/netc.tmLanguage.json"
);

/// The byte range of the `match` value of the pattern scoped `scope`,
/// and the words of its `\b(?:a|b)\b` alternation.
fn word_list(grammar: &str, scope: &str) -> (std::ops::Range<usize>, BTreeSet<String>) {
    let named = grammar
        .find(&format!("\"name\": \"{scope}\""))
        .unwrap_or_else(|| panic!("no pattern scoped {scope}"));
    let key = "\"match\": \"";
    let start = named + grammar[named..].find(key).expect("its match") + key.len();
    let end = start + grammar[start..].find('"').expect("the match's end");
    let regex = &grammar[start..end];
    let words = regex
        .strip_prefix("\\\\b(?:")
        .and_then(|r| r.strip_suffix(")\\\\b"))
        .unwrap_or_else(|| panic!("{scope}: not a word alternation: {regex}"));
    (start..end, words.split('|').map(str::to_string).collect())
}

#[test]
fn the_editor_grammar_colours_every_builtin_name() {
    let schedules = LrSchedule::NAMES.iter();
    let cases: [(&str, Vec<&str>); 4] = [
        (
            "support.function.activation.netc",
            Activation::NAMES.to_vec(),
        ),
        ("support.function.init.netc", Init::NAMES.to_vec()),
        ("support.constant.loss.netc", Loss::NAMES.to_vec()),
        (
            "support.function.optimizer.netc",
            Optimizer::NAMES.iter().chain(schedules).copied().collect(),
        ),
    ];
    let mut grammar = std::fs::read_to_string(GRAMMAR).expect("the grammar");
    let bless = std::env::var_os("NETC_BLESS").is_some();
    for (scope, names) in cases {
        let (range, words) = word_list(&grammar, scope);
        let want: BTreeSet<String> = names.iter().map(|n| n.to_string()).collect();
        if words == want {
            continue;
        }
        assert!(
            bless,
            "the grammar's {scope} words {words:?} are not the language's {want:?}: \
             run NETC_BLESS=1 cargo test -p netc-lsp --test it -- editor_grammar"
        );
        grammar.replace_range(range, &format!("\\\\b(?:{})\\\\b", names.join("|")));
    }
    if bless {
        std::fs::write(GRAMMAR, grammar).expect("the grammar, rewritten");
    }
}
