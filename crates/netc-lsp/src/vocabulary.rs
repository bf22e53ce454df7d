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
    pub arguments: &'static [&'static str],
}

const fn word(
    name: &'static str,
    category: Category,
    meaning: &'static str,
    arguments: &'static [&'static str],
) -> Word {
    Word {
        name,
        category,
        meaning,
        arguments,
    }
}

use netc_lang::ir::LayerType;
use Category::*;

pub const WORDS: &[Word] = &[
    word("linear", LayerKind, "y = x Wᵀ + b (`nn.Linear`); with one positional argument it is `out_features` and `in_features` is inferred", &["in_features", "out_features", "bias=true", "init", "bias_init"]),
    word("batchnorm", LayerKind, "y = (x − E[x]) / √(Var[x] + eps) · γ + β over the batch (`nn.BatchNorm1d`); running statistics in eval mode", &["num_features", "eps=1e-5", "momentum=0.1", "affine=true"]),
    word("layernorm", LayerKind, "y = (x − E[x]) / √(Var[x] + eps) · γ + β over each sample's features (`nn.LayerNorm`)", &["normalized_shape", "eps=1e-5", "elementwise_affine=true"]),
    word("dropout", LayerKind, "zeroes each value with probability p in training and scales the rest by 1/(1 − p) (`nn.Dropout`)", &["p=0.5"]),
    word("conv2d", LayerKind, "y[co] = b[co] + Σ w[co, ci] ⋆ x[ci] over the input channels of co's group (cross-correlation, `nn.Conv2d`); each output size is ⌊(in + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1; sizes are an int or a pair (height, width); `padding=same` keeps the size (stride 1), `valid` is 0", &["in_channels", "out_channels", "kernel_size", "stride=1", "padding=0", "dilation=1", "groups=1", "bias=true", "init", "bias_init"]),
    word("batchnorm2d", LayerKind, "batchnorm per channel of an image, statistics over batch, height and width (`nn.BatchNorm2d`); running statistics in eval mode", &["num_features", "eps=1e-5", "momentum=0.1", "affine=true"]),
    word("max_pool2d", LayerKind, "the maximum of each window; padding counts as −∞; output size ⌊(in + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1 (`nn.MaxPool2d`)", &["kernel_size", "stride=kernel_size", "padding=0", "dilation=1"]),
    word("avg_pool2d", LayerKind, "the mean of each window; with count_include_pad the padding's zeros count in the divisor; output size ⌊(in + 2·padding − kernel_size) / stride⌋ + 1 (`nn.AvgPool2d`)", &["kernel_size", "stride=kernel_size", "padding=0", "count_include_pad=true"]),
    word("adaptive_avg_pool2d", LayerKind, "output cell i averages the input range [⌊i·in/out⌋, ⌈(i+1)·in/out⌉) along each axis, whatever the input size (`nn.AdaptiveAvgPool2d`); an int or a pair (height, width)", &["output_size"]),
    word("flatten", LayerKind, "an image (C, H, W) as its C·H·W values, channel by channel, row by row (`nn.Flatten()`, `torch.flatten(x, 1)`); a layer or a function in `forward`; a flat value is unchanged", &[]),
    word("relu", Activation, "max(0, x)", &[]),
    word("leaky_relu", Activation, "max(0, x) + negative_slope · min(0, x)", &["negative_slope=0.01"]),
    word("elu", Activation, "x if x > 0, else alpha · (eˣ − 1)", &["alpha=1.0"]),
    word("selu", Activation, "scale · (max(0, x) + min(0, alpha · (eˣ − 1))), alpha ≈ 1.6733, scale ≈ 1.0507", &[]),
    word("gelu", Activation, "x · Φ(x), Φ the standard normal CDF (exact erf form)", &[]),
    word("silu", Activation, "x · σ(x)", &[]),
    word("tanh", Activation, "tanh(x)", &[]),
    word("sigmoid", Activation, "σ(x) = 1 / (1 + e⁻ˣ)", &[]),
    word("softplus", Activation, "log(1 + e^(beta·x)) / beta, linear where beta·x > threshold", &["beta=1", "threshold=20"]),
    word("identity", Activation, "x", &[]),
    word("softmax", Activation, "eˣⁱ / Σⱼ eˣʲ over each sample's features (dim=1)", &[]),
    word("log_softmax", Activation, "xᵢ − log Σⱼ eˣʲ over each sample's features (dim=1)", &[]),
    word("kaiming_uniform", Init, "U(−b, b), b = gain · √(3 / fan) (`nn.init.kaiming_uniform_`)", &["a=0", "mode=fan_in", "nonlinearity=leaky_relu"]),
    word("kaiming_normal", Init, "N(0, std²), std = gain / √fan (`nn.init.kaiming_normal_`)", &["a=0", "mode=fan_in", "nonlinearity=leaky_relu"]),
    word("xavier_uniform", Init, "U(−b, b), b = gain · √(6 / (fan_in + fan_out))", &["gain=1.0"]),
    word("xavier_normal", Init, "N(0, std²), std = gain · √(2 / (fan_in + fan_out))", &["gain=1.0"]),
    word("orthogonal", Init, "a (semi-)orthogonal matrix scaled by gain", &["gain=1.0"]),
    word("uniform", Init, "U(a, b)", &["a=0", "b=1"]),
    word("normal", Init, "N(mean, std²)", &["mean=0", "std=1"]),
    word("trunc_normal", Init, "N(mean, std²) redrawn outside [a, b] (absolute bounds)", &["mean=0", "std=1", "a=-2", "b=2"]),
    word("zeros", Init, "every value = 0", &[]),
    word("ones", Init, "every value = 1", &[]),
    word("constant", Init, "every value = val", &["val"]),
    word("fan_in", FanMode, "kaiming `mode`: keep the forward variance (fan = in_features)", &[]),
    word("fan_out", FanMode, "kaiming `mode`: keep the backward variance (fan = out_features)", &[]),
    word("mse", Loss, "mean (ŷ − y)² (`nn.MSELoss`)", &[]),
    word("l1", Loss, "mean |ŷ − y| (`nn.L1Loss`)", &[]),
    word("huber", Loss, "½d² if |d| < delta, else delta · (|d| − ½delta), d = ŷ − y (`nn.HuberLoss`)", &["delta=1.0"]),
    word("bce", Loss, "−mean[y log p + (1 − y) log(1 − p)] on probabilities, logs clamped at −100 (`nn.BCELoss`)", &[]),
    word("bce_with_logits", Loss, "bce on σ(z), computed stably from the logits z (`nn.BCEWithLogitsLoss`)", &[]),
    word("cross_entropy", Loss, "−mean log softmax(z)_y over class-index targets (`nn.CrossEntropyLoss`)", &[]),
    word("sgd", Optimizer, "w ← w − lr · (g + weight_decay · w), with momentum buffers when momentum > 0 (`torch.optim.SGD`)", &["lr=1e-3", "momentum=0", "nesterov=false", "weight_decay=0"]),
    word("adam", Optimizer, "Adam with bias-corrected moments; weight decay added to the gradient (`torch.optim.Adam`)", &["lr=1e-3", "betas=(0.9, 0.999)", "eps=1e-8", "weight_decay=0"]),
    word("adamw", Optimizer, "Adam with decoupled weight decay, w ← w − lr · weight_decay · w (`torch.optim.AdamW`)", &["lr=1e-3", "betas=(0.9, 0.999)", "eps=1e-8", "weight_decay=1e-2"]),
    word("step", Schedule, "lr · gamma^⌊epoch / step_size⌋ (`StepLR`)", &["step_size", "gamma=0.1"]),
    word("cosine", Schedule, "eta_min + (lr − eta_min) · (1 + cos(π · epoch / t_max)) / 2 (`CosineAnnealingLR`)", &["t_max=epochs", "eta_min=0"]),
    word("loss", TrainKey, "the loss function (default `mse`)", &[]),
    word("optimizer", TrainKey, "the optimizer (default `adam(lr=1e-3)`)", &[]),
    word("batch", TrainKey, "samples per step (default 32)", &[]),
    word("epochs", TrainKey, "passes over the training data (default 10)", &[]),
    word("clip_grad_norm", TrainKey, "clip the global gradient norm to this value (default: no clipping)", &[]),
    word("seed", TrainKey, "the seed of init, shuffling and dropout (default 0)", &[]),
    word("lr_schedule", TrainKey, "`step(...)` or `cosine(...)` (default: constant lr)", &[]),
    word("data", TrainKey, "the CSV file, relative to the model file", &[]),
    word("target", TrainKey, "the target column (default: the last column)", &[]),
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
