//! What the formatter tests share: the model files they run on and the
//! meaning of a model, compared before and after formatting.

use std::path::{Path, PathBuf};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every model file of the examples and of the test suites that parses,
/// with its text.
pub fn corpus() -> Vec<(PathBuf, String)> {
    let folders = [
        "examples",
        "crates/netc-cli/tests/models",
        "crates/netc-cli/tests/lint_config",
        "crates/netc-lang/tests/models/language",
        "crates/netc-bench/models",
        "crates/netc-fmt/tests/fixtures",
    ];
    let mut files = Vec::new();
    for folder in folders {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root().join(folder))
            .expect("corpus folder")
            .map(|entry| entry.expect("folder entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "nn"))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).expect("model text");
            if netc_lang::parse(&text).1.is_empty() {
                files.push((path, text));
            }
        }
    }
    files
}

/// What a model file means: its IR and its diagnostics, with every byte
/// offset removed (formatting moves text, not meaning).
pub fn meaning(source: &str) -> String {
    let (program, diagnostics) = netc_lang::check_source(source);
    let mut text = without_spans(&format!("{:#?}", program.models));
    for d in diagnostics {
        text.push_str(&format!(
            "\n{} {} {} fix:{}",
            d.code,
            d.severity.as_str(),
            d.message,
            d.fix.len()
        ));
    }
    text
}

/// `text` with the numbers of every `start: N` and `end: N` dropped.
fn without_spans(text: &str) -> String {
    text.lines()
        .filter(|line| {
            let line = line.trim_start();
            !(line.starts_with("start: ") || line.starts_with("end: "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}
