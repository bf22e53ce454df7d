//! What the language's built-in names mean, for hover and completion:
//! each name's formula or meaning and PyTorch's defaults.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    LayerKind,
    Activation,
    Init,
    FanMode,
    Loss,
    Optimizer,
    Schedule,
    TrainKey,
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::LayerKind => "layer kind",
            Category::Activation => "activation",
            Category::Init => "init",
            Category::FanMode => "kaiming init mode",
            Category::Loss => "loss",
            Category::Optimizer => "optimizer",
            Category::Schedule => "learning-rate schedule",
            Category::TrainKey => "train setting",
        }
    }
}

/// One built-in name.
pub struct Word {
    pub name: &'static str,
    pub category: Category,
    /// The formula or meaning.
    pub meaning: &'static str,
    /// Keyword arguments with PyTorch's defaults, as written in a model.
    pub arguments: Vec<String>,
}

fn word(name: &'static str, category: Category, meaning: &'static str, arguments: &[&str]) -> Word {
    Word {
        name,
        category,
        meaning,
        arguments: arguments.iter().map(|a| a.to_string()).collect(),
    }
}

use std::sync::LazyLock;

use netc_lang::ir::LayerType;

use Category::*;

/// Every built-in name: the layer kinds and activations as their own
/// modules describe them, then the rest.
static WORDS: LazyLock<Vec<Word>> = LazyLock::new(|| {
    let kinds = LayerType::ALL.into_iter().map(|kind| {
        let doc = kind.doc();
        word(kind.name(), LayerKind, doc.meaning, doc.arguments)
    });
    let activations = netc_ops::Activation::ALL
        .into_iter()
        .map(|activation| Word {
            name: activation.name(),
            category: Category::Activation,
            meaning: activation.meaning(),
            arguments: activation
                .parameters()
                .into_iter()
                // Python's spelling of a float default: `alpha=1.0`.
                .map(|(name, default)| format!("{name}={default:?}"))
                .collect(),
        });
    let others = OTHER_WORDS
        .iter()
        .map(|&(name, category, meaning, arguments)| word(name, category, meaning, arguments));
    kinds.chain(activations).chain(others).collect()
});

type Entry = (
    &'static str,
    Category,
    &'static str,
    &'static [&'static str],
);

/// The inits, losses, optimizers, schedules and train settings.
const OTHER_WORDS: &[Entry] = &[
    ("kaiming_uniform", Init, "U(−b, b), b = gain · √(3 / fan) (`nn.init.kaiming_uniform_`)", &["a=0", "mode=fan_in", "nonlinearity=leaky_relu"]),
    ("kaiming_normal", Init, "N(0, std²), std = gain / √fan (`nn.init.kaiming_normal_`)", &["a=0", "mode=fan_in", "nonlinearity=leaky_relu"]),
    ("xavier_uniform", Init, "U(−b, b), b = gain · √(6 / (fan_in + fan_out))", &["gain=1.0"]),
    ("xavier_normal", Init, "N(0, std²), std = gain · √(2 / (fan_in + fan_out))", &["gain=1.0"]),
    ("orthogonal", Init, "a (semi-)orthogonal matrix scaled by gain", &["gain=1.0"]),
    ("uniform", Init, "U(a, b)", &["a=0", "b=1"]),
    ("normal", Init, "N(mean, std²)", &["mean=0", "std=1"]),
    ("trunc_normal", Init, "N(mean, std²) redrawn outside [a, b] (absolute bounds)", &["mean=0", "std=1", "a=-2", "b=2"]),
    ("zeros", Init, "every value = 0", &[]),
    ("ones", Init, "every value = 1", &[]),
    ("constant", Init, "every value = val", &["val"]),
    ("fan_in", FanMode, "kaiming `mode`: keep the forward variance (fan = in_features)", &[]),
    ("fan_out", FanMode, "kaiming `mode`: keep the backward variance (fan = out_features)", &[]),
    ("mse", Loss, "mean (ŷ − y)² (`nn.MSELoss`)", &[]),
    ("l1", Loss, "mean |ŷ − y| (`nn.L1Loss`)", &[]),
    ("huber", Loss, "½d² if |d| < delta, else delta · (|d| − ½delta), d = ŷ − y (`nn.HuberLoss`)", &["delta=1.0"]),
    ("bce", Loss, "−mean[y log p + (1 − y) log(1 − p)] on probabilities, logs clamped at −100 (`nn.BCELoss`)", &[]),
    ("bce_with_logits", Loss, "bce on σ(z), computed stably from the logits z (`nn.BCEWithLogitsLoss`)", &[]),
    ("cross_entropy", Loss, "−mean log softmax(z)_y over class-index targets (`nn.CrossEntropyLoss`)", &[]),
    ("sgd", Optimizer, "w ← w − lr · (g + weight_decay · w), with momentum buffers when momentum > 0 (`torch.optim.SGD`)", &["lr=1e-3", "momentum=0", "nesterov=false", "weight_decay=0"]),
    ("adam", Optimizer, "Adam with bias-corrected moments; weight decay added to the gradient (`torch.optim.Adam`)", &["lr=1e-3", "betas=(0.9, 0.999)", "eps=1e-8", "weight_decay=0"]),
    ("adamw", Optimizer, "Adam with decoupled weight decay, w ← w − lr · weight_decay · w (`torch.optim.AdamW`)", &["lr=1e-3", "betas=(0.9, 0.999)", "eps=1e-8", "weight_decay=1e-2"]),
    ("step", Schedule, "lr · gamma^⌊epoch / step_size⌋ (`StepLR`)", &["step_size", "gamma=0.1"]),
    ("cosine", Schedule, "eta_min + (lr − eta_min) · (1 + cos(π · epoch / t_max)) / 2 (`CosineAnnealingLR`)", &["t_max=epochs", "eta_min=0"]),
    ("loss", TrainKey, "the loss function (default `mse`)", &[]),
    ("optimizer", TrainKey, "the optimizer (default `adam(lr=1e-3)`)", &[]),
    ("batch", TrainKey, "samples per step (default 32)", &[]),
    ("epochs", TrainKey, "passes over the training data (default 10)", &[]),
    ("clip_grad_norm", TrainKey, "clip the global gradient norm to this value (default: no clipping)", &[]),
    ("seed", TrainKey, "the seed of init, shuffling and dropout (default 0)", &[]),
    ("lr_schedule", TrainKey, "`step(...)` or `cosine(...)` (default: constant lr)", &[]),
    ("data", TrainKey, "the CSV file, relative to the model file", &[]),
    ("target", TrainKey, "the target column (default: the last column)", &[]),
];

/// The `nonlinearity=` values with their gains (`nn.init.calculate_gain`).
pub const NONLINEARITIES: &[(&str, &str)] = &[
    ("linear", "gain 1"),
    ("identity", "gain 1"),
    ("sigmoid", "gain 1"),
    ("tanh", "gain 5/3"),
    ("relu", "gain √2"),
    ("leaky_relu", "gain √(2 / (1 + a²))"),
    ("selu", "gain 3/4"),
];

/// The entries for `name` (an activation and a nonlinearity may share it).
pub fn lookup(name: &str) -> impl Iterator<Item = &'static Word> + '_ {
    WORDS.iter().filter(move |w| w.name == name)
}

/// Whether `forward` may call `name` directly: an activation, or
/// `flatten` (also a layer kind).
pub fn is_forward_function(name: &str) -> bool {
    name == LayerType::Flatten.name() || lookup(name).any(|w| w.category == Activation)
}

pub fn of(category: Category) -> impl Iterator<Item = &'static Word> {
    WORDS.iter().filter(move |w| w.category == category)
}

/// Markdown for one word: its category, signature, meaning and defaults.
pub fn describe(word: &Word) -> String {
    let signature = if word.arguments.is_empty() {
        word.name.to_string()
    } else {
        format!("{}({})", word.name, word.arguments.join(", "))
    };
    format!(
        "**{}** — {}\n\n```netc\n{signature}\n```\n\n{}",
        word.name,
        word.category.label(),
        word.meaning
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name the language knows is described, and nothing else.
    #[test]
    fn the_vocabulary_matches_the_language() {
        let names = |category| of(category).map(|w| w.name).collect::<Vec<_>>();
        assert_eq!(names(LayerKind), netc_lang::ir::LayerKind::NAMES);
        assert_eq!(names(Activation), netc_ops::Activation::NAMES);
        assert_eq!(names(Init), netc_ops::Init::NAMES);
        assert_eq!(names(Optimizer), netc_ops::Optimizer::NAMES);
        assert_eq!(names(Schedule), netc_ops::LrSchedule::NAMES);
        let mut losses = names(Loss);
        losses.sort_unstable();
        let mut known = netc_ops::Loss::NAMES.to_vec();
        known.sort_unstable();
        assert_eq!(losses, known);
        for name in netc_ops::Nonlinearity::NAMES {
            assert!(NONLINEARITIES.iter().any(|(n, _)| n == name), "{name}");
        }
    }
}
