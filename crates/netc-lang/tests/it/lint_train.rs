//! Training-setting lints: NN017, NN019, NN020, NN029, NN031–NN033. Each
//! rule fires on one model and stays silent on a near miss.

use crate::support;

use netc_lang::lints::{run_with_dataset, DatasetFacts};
use netc_lang::Severity;
use support::lint;

/// A relu MLP, optionally with batchnorm, and the given train entries.
fn model(batchnorm: bool, train: &str) -> String {
    let (bn_decl, hidden) = if batchnorm {
        ("    bn1 = batchnorm(8)\n", "relu(bn1(fc1(x)))")
    } else {
        ("", "relu(fc1(x))")
    };
    format!(
        "model M {{\n    input x: 4\n    fc1 = linear(4, 8, bias=false)\n{bn_decl}    fc2 = linear(8, 2)\n    forward {{\n        return fc2({hidden})\n    }}\n    train {{\n{train}\n    }}\n}}\n"
    )
}

#[test]
fn nn017_high_lr_with_relu() {
    let fires = lint(&model(false, "        optimizer = sgd(lr=0.5)"));
    let d = fires.one("NN017");
    assert_eq!(d.severity, Severity::Info);
    assert_eq!(fires.text(d), "0.5");
    assert_eq!(
        d.message,
        "high lr with relu risks dead units; consider leaky_relu/elu or lower lr"
    );

    lint(&model(false, "        optimizer = sgd(lr=0.05)")).none("NN017");
    lint(&model(true, "        optimizer = sgd(lr=0.5)")).none("NN017");
}

#[test]
fn nn019_batchnorm_with_batch_one() {
    let fires = lint(&model(true, "        batch = 1"));
    let d = fires.one("NN019");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(fires.text(d), "1");
    assert_eq!(
        d.message,
        "batchnorm needs >1 value per channel in training (batch_size=1)"
    );

    lint(&model(false, "        batch = 1")).none("NN019");
    lint(&model(true, "        batch = 16")).none("NN019");
}

#[test]
fn nn019_and_nn032_with_the_dataset_size() {
    let source = model(true, "        batch = 32");
    let (program, _) = netc_lang::check_source(&source);
    let (file, _) = netc_lang::parse(&source);
    let facts = |size| DatasetFacts {
        size,
        target_range: None,
    };
    let run = |size| run_with_dataset(&program.models[0], &file.models[0], facts(size));

    let found = run(65);
    let d = found.iter().find(|d| d.code == "NN019").expect("NN019");
    assert_eq!(&source[d.span.start..d.span.end], "32");
    assert_eq!(
        d.message,
        "batchnorm needs >1 value per channel in training: 65 samples in batches of 32 leave a last batch of 1"
    );
    let found = run(20);
    let d = found.iter().find(|d| d.code == "NN032").expect("NN032");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.message, "batch_size 32 > dataset size 20");

    assert!(run(64).is_empty(), "{:#?}", run(64));
}

#[test]
fn nn020_batchnorm_with_small_batch() {
    let fires = lint(&model(true, "        batch = 4"));
    let d = fires.one("NN020");
    assert_eq!(fires.text(d), "4");
    assert_eq!(
        d.message,
        "batch statistics are noisy below ~8 samples; consider layernorm"
    );

    lint(&model(true, "        batch = 8")).none("NN020");
}

#[test]
fn nn029_learning_rate_range() {
    let fires = lint(&model(false, "        optimizer = adam(lr=0.5)"));
    let d = fires.one("NN029");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(fires.text(d), "0.5");
    assert_eq!(d.message, "adam lr=0.5 is far above the usual 1e-4..1e-2");

    let tiny = lint(&model(false, "        optimizer = sgd(lr=1e-9)"));
    assert_eq!(
        tiny.one("NN029").message,
        "sgd lr=1e-9 is far below the usual 1e-3..1"
    );

    lint(&model(false, "        optimizer = adam(lr=3e-4)")).none("NN029");
    lint(&model(false, "        optimizer = sgd(lr=0.9)")).none("NN029");
}

#[test]
fn nn031_clip_value() {
    let fires = lint(&model(false, "        clip_grad_norm = -1.0"));
    let d = fires.one("NN031");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(fires.text(d), "-1.0");
    assert_eq!(d.message, "clip_grad_norm must be > 0 (got -1)");

    lint(&model(false, "        clip_grad_norm = 1.0")).none("NN031");
}

#[test]
fn nn033_dropout_rate() {
    let with_dropout = |p: &str| {
        format!(
            "model M {{\n    input x: 4\n    fc1 = linear(4, 8)\n    drop = dropout({p})\n    fc2 = linear(8, 2)\n    forward {{\n        return fc2(drop(relu(fc1(x))))\n    }}\n}}\n"
        )
    };
    let fires = lint(&with_dropout("0.8"));
    let d = fires.one("NN033");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(fires.text(d), "0.8");
    assert_eq!(d.message, "dropout 0.8 drops most units");

    let keyword = lint(&with_dropout("p=0.9"));
    assert_eq!(keyword.text(keyword.one("NN033")), "0.9");

    lint(&with_dropout("0.5")).none("NN033");
}

#[test]
fn nn032_zero_batch_or_epochs() {
    let fires = lint(&model(false, "        epochs = 0"));
    let d = fires.one("NN032");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(fires.text(d), "0");
    assert_eq!(d.message, "epochs must be > 0");
    assert_eq!(
        lint(&model(false, "        batch = 0"))
            .one("NN032")
            .message,
        "batch must be > 0"
    );

    lint(&model(false, "        epochs = 1\n        batch = 1")).none("NN032");
}

#[test]
fn nn029_non_positive_lr_is_an_error() {
    let fires = lint(&model(false, "        optimizer = adam(lr=0)"));
    let d = fires.one("NN029");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(fires.text(d), "0");
    assert_eq!(d.message, "adam lr=0 must be positive and finite");
}
