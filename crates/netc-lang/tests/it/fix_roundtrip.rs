//! `fix::apply_fixes` on real diagnostics: the fixed text re-checks without
//! the fixed problems, keeps comments and layout, and fixing again changes
//! nothing.

use netc_lang::check_source;
use netc_lang::fix::apply_fixes;

fn codes(source: &str) -> Vec<&'static str> {
    check_source(source).1.iter().map(|d| d.code).collect()
}

/// Fixes until nothing changes, as `netc check --fix` does
/// (`--unsafe-fixes` when `include_unsafe`).
fn fix_all(source: &str, include_unsafe: bool) -> String {
    let mut text = source.to_string();
    for _ in 0..10 {
        let fixed = apply_fixes(&text, &check_source(&text).1, include_unsafe);
        if fixed.text == text {
            return text;
        }
        text = fixed.text;
    }
    panic!("fixes did not settle:\n{text}");
}

const WATER: &str = "// water.nn: binary classifier
model WaterNet {
    input x: 9
    // the first block
    fc1 = linear(9, 16, init=kaiming_uniform(nonlinearity=relu))  // keep
    bn1 = batchnorm(16)
    fc2 = linear(
        16, 8,
    )
    bn2 = batchnorm(8)
    fc3 = linear(8, 1)

    forward {
        x = elu(bn1(fc1(x)))
        x = elu(bn2(fc2(x)))
        return sigmoid(fc3(x))   // probabilities
    }

    train {
        loss = bce   // binary
        batch = 32
    }
}
";

#[test]
fn water_fixes_round_trip_with_comments_kept() {
    assert_eq!(codes(WATER), ["NN018", "NN018", "NN009"]);
    let fixed = fix_all(WATER, false);
    assert_eq!(codes(&fixed), Vec::<&str>::new(), "{fixed}");
    assert_eq!(
        fixed,
        WATER
            .replace("relu))  // keep", "relu), bias=false)  // keep")
            .replace("16, 8,\n", "16, 8, bias=false,\n")
            .replace("return sigmoid(fc3(x))", "return fc3(x)")
            .replace("loss = bce ", "loss = bce_with_logits ")
    );
}

#[test]
fn fixing_is_idempotent() {
    let once = fix_all(WATER, false);
    let again = apply_fixes(&once, &check_source(&once).1, false);
    assert_eq!((again.text.as_str(), again.fixed), (once.as_str(), 0));
}

#[test]
fn nn009_fix_drops_the_sigmoid_and_switches_the_loss_together() {
    let one_pass = apply_fixes(WATER, &check_source(WATER).1, false);
    assert_eq!(one_pass.fixed, 3);
    assert!(one_pass.text.contains("return fc3(x)   // probabilities"));
    assert!(one_pass.text.contains("loss = bce_with_logits   // binary"));
}

#[test]
fn nn008_fix_drops_the_final_softmax() {
    let source = "model C {
    input x: 4
    fc1 = linear(4, 8)
    fc2 = linear(8, 3)
    forward { return softmax(fc2(relu(fc1(x)))) }
    train { loss = cross_entropy }
}
";
    assert_eq!(codes(source), ["NN008"]);
    let fixed = fix_all(source, false);
    assert!(
        fixed.contains("forward { return fc2(relu(fc1(x))) }"),
        "{fixed}"
    );
    assert_eq!(codes(&fixed), Vec::<&str>::new());
}

#[test]
fn nn012_fix_writes_the_tanh_gain_in_full() {
    let source = "model T {
    input x: 4
    fc1 = linear(4, 8, init=kaiming_normal(nonlinearity=relu))
    fc2 = linear(8, 1)
    forward { return fc2(tanh(fc1(x))) }
    train { loss = mse }
}
";
    assert_eq!(codes(source), ["NN012"]);
    let fixed = fix_all(source, false);
    assert!(
        fixed.contains("init=xavier_uniform(gain=1.6666666666666667))"),
        "{fixed}"
    );
    assert_eq!(codes(&fixed), Vec::<&str>::new());
}

#[test]
fn a_misspelt_suppression_is_fixed_to_the_rule_it_meant() {
    let source = WATER.replace(
        "    bn2 = batchnorm(8)\n",
        "    bn2 = batchnorm(8)\n    // netc: allow(unused-layr)\n    spare = linear(8, 8)\n",
    );
    assert_eq!(
        codes(&source),
        ["NN018", "NN018", "NN040", "NN002", "NN009"]
    );
    // The rename is a guess: plain `--fix` leaves it for a person.
    assert!(fix_all(&source, false).contains("allow(unused-layr)"));
    let fixed = fix_all(&source, true);
    assert!(
        fixed.contains("    // netc: allow(unused-layer)\n    spare = linear(8, 8)\n"),
        "{fixed}"
    );
    assert_eq!(codes(&fixed), Vec::<&str>::new(), "{fixed}");
}

#[test]
fn a_did_you_mean_rename_is_applied_only_as_an_unsafe_fix() {
    let source = "model M {\n    input x: 2\n    bn1 = batchnorm(2)\n    forward {\n        return bc1(x)\n    }\n}\n";
    assert_eq!(codes(source), ["NN002", "NN001"]);
    assert_eq!(fix_all(source, false), source);
    let renamed = fix_all(source, true);
    assert!(renamed.contains("return bn1(x)"), "{renamed}");
    assert_eq!(codes(&renamed), Vec::<&str>::new());
}
