//! The one registry of diagnostic codes: code, kebab name, default
//! severity, and the long documentation `netc explain` prints. Codes are
//! stable (docs/lints-and-gradients.md, "Codes"): a rule may be refined,
//! never renumbered.
//!
//! Each rule's documentation is `docs/<CODE>.md`, in ruff's three sections
//! ("What it does", "Why is this bad?", "Example") plus "Source", where the
//! rule comes from. The file is included at compile time, so a rule without
//! documentation does not build.

use crate::severity::Severity;
use crate::suggest::did_you_mean;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what the rule detects.
    pub summary: &'static str,
    /// The long form, Markdown: what it does, why it is bad, an example.
    pub doc: &'static str,
}

macro_rules! rules {
    ($($ident:ident = $code:literal, $name:literal, $sev:ident, $summary:literal;)*) => {
        $(pub const $ident: Rule = Rule {
            code: $code,
            name: $name,
            severity: Severity::$sev,
            summary: $summary,
            doc: include_str!(concat!("docs/", $code, ".md")),
        };)*
        /// Every rule, ordered by code.
        pub const ALL: &[Rule] = &[$($ident),*];
    };
}

rules! {
    SYNTAX_ERROR = "NN000", "syntax-error", Error, "the model file does not parse";
    UNDEFINED_LAYER = "NN001", "undefined-layer", Error, "a name used in `forward` is not declared";
    UNUSED_LAYER = "NN002", "unused-layer", Warning, "a declared layer is never reached from the output";
    DUPLICATE_NAME = "NN003", "duplicate-name", Error, "two declarations share a name";
    SHAPE_MISMATCH = "NN004", "shape-mismatch", Error, "a layer's input width or channels differ from the value it receives";
    LOSS_OUTPUT_MISMATCH = "NN005", "loss-output-mismatch", Error, "the output width does not fit the loss";
    COLLAPSED_LINEARS = "NN006", "collapsed-linears", Warning, "two linear layers with no nonlinearity between them";
    DOUBLE_ACTIVATION = "NN007", "double-activation", Warning, "an activation directly followed by another";
    DOUBLE_SOFTMAX = "NN008", "double-softmax", Warning, "a final softmax before cross_entropy";
    UNFUSED_SIGMOID_BCE = "NN009", "unfused-sigmoid-bce", Warning, "a final sigmoid with bce instead of bce_with_logits";
    FINAL_ACTIVATION_VS_LOSS = "NN010", "final-activation-vs-loss", Warning, "the final activation cannot produce the loss's targets";
    CONSTANT_INIT = "NN011", "constant-init", Error, "a hidden layer's weights start constant";
    KAIMING_WITHOUT_RELU = "NN012", "kaiming-without-relu", Warning, "kaiming init feeding a non-ReLU activation";
    RELU_WITHOUT_KAIMING = "NN013", "relu-without-kaiming", Warning, "a deep ReLU chain with an init that shrinks the signal";
    SELU_MISUSE = "NN014", "selu-misuse", Warning, "SELU without the conditions that make it self-normalising";
    NONZERO_BIAS_INIT = "NN015", "nonzero-bias-init", Info, "a hidden bias initialised to a nonzero constant";
    DYING_RELU_INIT = "NN016", "dying-relu-init", Warning, "a bias init that leaves most ReLU units inactive";
    DYING_RELU_RISK = "NN017", "dying-relu-risk", Info, "ReLU without normalisation at a high learning rate";
    BIAS_BEFORE_BATCHNORM = "NN018", "bias-before-batchnorm", Info, "a linear bias cancelled by the batchnorm after it";
    BATCHNORM_BATCH_ONE = "NN019", "batchnorm-batch-one", Error, "batchnorm trained on batches of one sample";
    BATCHNORM_SMALL_BATCH = "NN020", "batchnorm-small-batch", Warning, "batchnorm with noisy statistics from small batches";
    DROPOUT_BEFORE_BATCHNORM = "NN021", "dropout-before-batchnorm", Warning, "dropout directly before batchnorm";
    SATURATING_DEEP_STACK = "NN022", "saturating-deep-stack", Warning, "a deep stack of saturating activations without normalisation";
    PREDICTED_VANISHING = "NN023", "predicted-vanishing", Warning, "gradients predicted to vanish at initialisation";
    PREDICTED_EXPLODING = "NN024", "predicted-exploding", Warning, "gradients predicted to explode at initialisation";
    ACTIVATION_SCALE_DRIFT = "NN025", "activation-scale-drift", Warning, "activation variance predicted to blow up or collapse with depth";
    SATURATION_AT_INIT = "NN026", "saturation-at-init", Warning, "sigmoid/tanh inputs saturated at initialisation";
    LOGIT_SCALE = "NN027", "logit-scale", Info, "initial logits so large the loss starts saturated";
    DEEP_BATCHNORM_WITHOUT_RESIDUAL = "NN028", "deep-batchnorm-without-residual", Info, "a deep batchnorm stack without residual connections";
    LEARNING_RATE_RANGE = "NN029", "learning-rate-range", Warning, "a learning rate outside the usual range";
    EXPLODING_WITHOUT_CLIPPING = "NN030", "exploding-without-clipping", Info, "predicted exploding gradients and no gradient clipping";
    INVALID_CLIP_VALUE = "NN031", "invalid-clip-value", Error, "a gradient-clipping norm that is not positive and finite";
    TRAIN_HYPERPARAMETERS = "NN032", "train-hyperparameters", Error, "a batch size or epoch count that cannot train";
    DROPOUT_RATE = "NN033", "dropout-rate", Warning, "a dropout probability that is invalid or drops most units";
    MISSING_FORWARD = "NN034", "missing-forward", Error, "a model without a `forward` block";
    MISSING_RETURN = "NN035", "missing-return", Error, "a `forward` block that never returns a value";
    UNKNOWN_NAME = "NN036", "unknown-name", Error, "an unknown layer kind, activation, init, loss, optimizer or keyword";
    INVALID_VALUE = "NN037", "invalid-value", Error, "an argument value outside what the parameter accepts";
    INVALID_TRAIN_KEY = "NN038", "invalid-train-key", Error, "an unknown or repeated key in a `train` block";
    SOFTMAX_OVER_ONE = "NN039", "softmax-over-one", Error, "softmax over a single output";
    UNUSED_SUPPRESSION = "NN040", "unused-suppression", Warning, "a `// netc: allow(...)` comment that suppresses nothing or names no rule";
    FLAT_IMAGE_MISMATCH = "NN041", "flat-image-mismatch", Error, "a layer for flat values applied to an image, or an image layer to a flat value";
    WINDOW_TOO_LARGE = "NN042", "window-too-large", Error, "a kernel larger than its padded input: the output would have no rows or columns";
    INDIVISIBLE_GROUPS = "NN043", "indivisible-groups", Error, "a conv2d whose channels `groups` does not divide";
    INVALID_PADDING = "NN044", "invalid-padding", Error, "padding PyTorch refuses: `same` with a stride, or pool padding above half the kernel";
}

/// A rule by code (`NN001`, case-insensitive) or kebab name.
pub fn lookup(code_or_name: &str) -> Option<&'static Rule> {
    ALL.iter()
        .find(|rule| rule.code.eq_ignore_ascii_case(code_or_name) || rule.name == code_or_name)
}

/// The rule someone most likely meant by an unknown code or name: a code
/// by its number (`NN1`, `nn0001`, `1` all mean `NN001`, which edit
/// distance would confuse with `NN010`), a name by rustc's similarity rule.
pub fn closest(code_or_name: &str) -> Option<&'static Rule> {
    let digits = code_or_name
        .get(..2)
        .filter(|prefix| prefix.eq_ignore_ascii_case("NN"))
        .map_or(code_or_name, |_| &code_or_name[2..]);
    if let Some(rule) = digits.parse::<usize>().ok().and_then(|n| ALL.get(n)) {
        return Some(rule);
    }
    did_you_mean(
        &code_or_name.to_ascii_lowercase(),
        ALL.iter().map(|rule| rule.name),
    )
    .and_then(lookup)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_numbered_in_order_without_gaps() {
        for (number, rule) in ALL.iter().enumerate() {
            assert_eq!(rule.code, format!("NN{number:03}"));
        }
    }

    #[test]
    fn names_are_unique_kebab_case() {
        for (i, rule) in ALL.iter().enumerate() {
            assert!(
                rule.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                rule.name
            );
            assert!(ALL[..i].iter().all(|other| other.name != rule.name));
        }
    }

    #[test]
    fn every_doc_has_the_sections_in_order_and_an_example() {
        let sections = [
            "## What it does\n",
            "## Why is this bad?\n",
            "## Example\n",
            "## Source\n",
        ];
        for rule in ALL {
            let mut from = 0;
            for section in sections {
                let at = rule.doc[from..].find(section).unwrap_or_else(|| {
                    panic!(
                        "{}: `{}` missing or out of order",
                        rule.code,
                        section.trim()
                    )
                });
                from += at + section.len();
            }
            let example = &rule.doc[rule.doc.find("## Example").unwrap_or(0)..];
            assert!(example.contains("```text\n"), "{}: no example", rule.code);
        }
    }

    #[test]
    fn lookup_by_code_any_case_or_by_name() {
        assert_eq!(lookup("NN001"), Some(&UNDEFINED_LAYER));
        assert_eq!(lookup("nn001"), Some(&UNDEFINED_LAYER));
        assert_eq!(lookup("undefined-layer"), Some(&UNDEFINED_LAYER));
        assert_eq!(lookup("unused-suppression"), Some(&UNUSED_SUPPRESSION));
        assert_eq!(lookup("NN045"), None);
    }

    #[test]
    fn closest_reads_codes_by_number_and_names_by_similarity() {
        assert_eq!(closest("NN1"), Some(&UNDEFINED_LAYER));
        assert_eq!(closest("nn0001"), Some(&UNDEFINED_LAYER));
        assert_eq!(closest("10"), Some(&FINAL_ACTIVATION_VS_LOSS));
        assert_eq!(closest("NN045"), None);
        assert_eq!(closest("undefined-layr"), Some(&UNDEFINED_LAYER));
        assert_eq!(closest("Unused-Layer"), Some(&UNUSED_LAYER));
        assert_eq!(closest("gradient-magic"), None);
    }
}
