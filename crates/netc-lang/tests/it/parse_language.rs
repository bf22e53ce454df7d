//! Every construct of the language reference (grammar/README.md) parses
//! exactly as written and lowers without front-end errors. The fixtures in
//! `tests/models/language/` are the water model plus one model file per
//! part of the language (values, arithmetic, layers, inits, activations,
//! forward, train, images, several models in one file).

use netc_lang::{check_source, parse, Diagnostic};

fn fixtures() -> Vec<(String, String)> {
    let dir = format!("{}/tests/models/language", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "nn"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("fixture");
            (
                path.file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned(),
                text,
            )
        })
        .collect();
    files.sort();
    files
}

/// The checks this crate's front end owns (the lint catalogue is tested
/// on its own).
fn is_front_end(d: &Diagnostic) -> bool {
    matches!(
        d.code,
        "NN000"
            | "NN001"
            | "NN002"
            | "NN003"
            | "NN004"
            | "NN005"
            | "NN034"
            | "NN035"
            | "NN036"
            | "NN037"
            | "NN038"
            | "NN041"
            | "NN042"
            | "NN043"
            | "NN044"
    )
}

#[test]
fn every_fixture_parses_without_syntax_errors() {
    let files = fixtures();
    assert_eq!(
        files.len(),
        10,
        "fixtures: {:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for (name, text) in &files {
        let (file, diags) = parse(text);
        assert!(diags.is_empty(), "{name}: {diags:#?}");
        assert!(!file.models.is_empty(), "{name}");
    }
}

#[test]
fn every_fixture_checks_without_front_end_diagnostics() {
    for (name, text) in fixtures() {
        let (program, diags) = check_source(&text);
        let ours: Vec<&Diagnostic> = diags.iter().filter(|d| is_front_end(d)).collect();
        assert!(ours.is_empty(), "{name}: {ours:#?}");
        for model in &program.models {
            assert!(
                model.output.is_some(),
                "{name}: {} has an output",
                model.name
            );
        }
    }
}

#[test]
fn the_sketch_water_model_is_verbatim() {
    let sketch = include_str!("../models/language/water.nn");
    assert!(sketch.starts_with("// water.nn: binary classifier"));
    assert!(sketch.contains("optimizer = adam(lr=1e-3)"));
    let (program, _) = check_source(sketch);
    assert_eq!(program.models[0].name, "WaterNet");
}
