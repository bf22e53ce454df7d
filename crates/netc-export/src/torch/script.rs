//! The `torchrun` training script of one model: a generated block with the
//! train block's settings (loss, optimizer, schedule, clipping, batch,
//! epochs, seed, data) in front of a fixed loop (`train_template.py`).

use netc_lang::ir::{LayerKind, Model, NodeKind, Shape};
use netc_ops::{Loss, LrSchedule, Optimizer, TrainConfig};

use super::python::{boolean, float, string};

/// The loop, data handling and checkpoint writing every script shares.
const TEMPLATE: &str = include_str!("train_template.py");
const CONFIG_MARKER: &str = "# @@CONFIG@@";

/// What the script needs to know besides the model.
#[derive(Debug, Clone)]
pub struct ScriptContext<'a> {
    /// The model file as the user named it (for the sidecar and messages).
    pub model_file: &'a str,
    /// Hex SHA-256 of the model file, so `netc predict` recognises it.
    pub model_sha256: &'a str,
    pub netc_version: &'a str,
    /// The train block's data file relative to the output folder (the
    /// script resolves it against its own folder).
    pub data: Option<String>,
}

pub fn script_source(model: &Model, module: &str, ctx: &ScriptContext<'_>) -> String {
    let config = model.train.clone().unwrap_or_default();
    let script = format!("train_{module}.py");
    let header = header(model, &script, ctx);
    let settings = settings(model, module, &config, ctx);
    let body = TEMPLATE.replacen(CONFIG_MARKER, &settings, 1);
    format!("{header}\n{body}")
}

fn header(model: &Model, script: &str, ctx: &ScriptContext<'_>) -> String {
    let block = if model.train.is_some() {
        "its train block"
    } else {
        "netc's default training settings (the model has no train block)"
    };
    format!(
        r#""""Train {name} with torchrun: {block} in {file}, exported by netc {version}.

    torchrun --standalone --nproc-per-node=2 {script} --save {snake}.safetensors
    netc predict {file} --weights {snake}.safetensors --data new.csv

Without torchrun it trains in one process. It reproduces `netc train`: the
same CSV reading (a header row; empty, NA and NaN cells are missing), target
column, missing-value policy, validation split (20%), standardisation fitted
on the training split (or the statistics in the sidecar of --init-weights),
loss, optimizer, learning-rate schedule, gradient clipping, batch, epochs and
seed. Rank 0 writes safetensors and netc's JSON sidecar, so `netc predict`
runs the result.{image}

Differences from `netc train`, by construction:
- Random numbers come from torch, not from netc's ChaCha streams: the
  initial weights, the shuffled split, the batch order and dropout masks
  differ. With --no-shuffle the split and the batches are netc's; with
  --init-weights so are the starting weights.
- The batch is global: with N processes each takes batch/N rows of it
  (DistributedSampler, reshuffled per epoch with set_epoch) and
  DistributedDataParallel averages their gradients. When the training rows
  are not a multiple of N, DistributedSampler repeats a few rows so every
  process gets as many.
- BatchNorm: on CPU (gloo) PyTorch has no SyncBatchNorm, so each process
  normalises with the statistics of its own batch/N rows, and the running
  statistics are rank 0's. With nccl on GPUs the layers are converted to
  SyncBatchNorm, which normalises over the whole global batch.
"""
"#,
        name = model.name,
        file = ctx.model_file,
        version = ctx.netc_version,
        image = image_note(model),
        snake = script.trim_start_matches("train_").trim_end_matches(".py"),
    )
}

fn settings(model: &Model, module: &str, config: &TrainConfig, ctx: &ScriptContext<'_>) -> String {
    let (task, classes) = task(config.loss, model.output_width());
    let data = match &ctx.data {
        Some(path) => format!("str(Path(__file__).resolve().parent / {})", string(path)),
        None => "None".into(),
    };
    let target = config.target.as_deref().map_or("None".into(), string);
    let clip = config.clip_grad_norm.map_or("None".into(), float);
    format!(
        r#"from {module} import {name} as MODEL_CLASS

# The train block of {file}, as netc reads it.
MODEL_NAME = {name_str}
MODEL_FILE = {file_str}
MODEL_SHA256 = {sha}
INPUT_WIDTH = {input}
# (channels, height, width) of an image input; None for a flat one.
INPUT_SHAPE = {input_shape}
OUTPUTS = {outputs}
LOSS = {loss}
TASK = {task}
CLASSES = {classes}
DEFAULT_DATA = {data}
TARGET = {target}
EPOCHS = {epochs}
BATCH = {batch}
SEED = {seed}
CLIP_GRAD_NORM = {clip}
# DistributedDataParallel must be told when a parameter gets no gradient.
HAS_UNUSED_PARAMETERS = {unused}


def make_loss():
    return {loss_call}


def make_optimizer(params):
    return {optimizer_call}


def lr_at(base_lr, epoch, epochs):
    """The learning rate of a 0-based epoch: {schedule_doc}."""
    {schedule_body}
"#,
        name = model.name,
        name_str = string(&model.name),
        file = ctx.model_file,
        file_str = string(ctx.model_file),
        sha = string(ctx.model_sha256),
        input = model.input.width(),
        input_shape = input_shape(model),
        outputs = model.output_width(),
        loss = string(config.loss.name()),
        task = string(task),
        classes = classes.map_or("None".into(), |c| c.to_string()),
        epochs = config.epochs,
        batch = config.batch,
        seed = config.seed,
        loss_call = loss_call(config.loss),
        optimizer_call = optimizer_call(&config.optimizer),
        schedule_doc = schedule_doc(config.lr_schedule),
        schedule_body = schedule_body(config.lr_schedule),
        unused = boolean(has_unused_parameters(model)),
    )
}

/// How CSV rows become images, for an image input.
fn image_note(model: &Model) -> String {
    match model.input.shape {
        Shape::Image(_) => format!(
            "\n\nThe input is an image: each row's {} feature columns, in order, are one\n{} sample (channels, height, width; row-major), as netc reads them.",
            model.input.width(),
            model.input.shape
        ),
        Shape::Flat(_) => String::new(),
    }
}

/// The Python tuple of an image input's shape, `None` for a flat input.
fn input_shape(model: &Model) -> String {
    match model.input.shape {
        Shape::Image(_) => model.input.shape.to_string(),
        Shape::Flat(_) => "None".into(),
    }
}

/// Whether a layer with parameters does not feed the output (declared
/// but never called, or called only on a value `forward` discards).
fn has_unused_parameters(model: &Model) -> bool {
    let mut live = vec![false; model.nodes.len()];
    if let Some(output) = model.output {
        live[output.index()] = true;
    }
    let mut used_layers = vec![false; model.layers.len()];
    let nodes: Vec<_> = model.nodes.iter().collect();
    for (handle, node) in nodes.into_iter().rev() {
        if !live[handle.index()] {
            continue;
        }
        if let NodeKind::Call { layer, .. } = node.kind {
            used_layers[layer.index()] = true;
        }
        for operand in node.kind.operands() {
            live[operand.index()] = true;
        }
    }
    model
        .layers
        .iter()
        .any(|(handle, layer)| !used_layers[handle.index()] && has_parameters(&layer.kind))
}

fn has_parameters(kind: &LayerKind) -> bool {
    kind.state_dict()
        .iter()
        .any(|tensor| tensor.role.is_trainable())
}

/// How the outputs read, as netc's `Task::for_loss` decides.
fn task(loss: Loss, outputs: usize) -> (&'static str, Option<usize>) {
    match loss {
        Loss::Bce | Loss::BceWithLogits => ("binary", Some(2)),
        Loss::CrossEntropy => ("multiclass", Some(outputs)),
        Loss::Mse | Loss::L1 | Loss::Huber { .. } => ("regression", None),
    }
}

fn loss_call(loss: Loss) -> String {
    match loss {
        Loss::Bce => "nn.BCELoss()".into(),
        Loss::BceWithLogits => "nn.BCEWithLogitsLoss()".into(),
        Loss::CrossEntropy => "nn.CrossEntropyLoss()".into(),
        Loss::Mse => "nn.MSELoss()".into(),
        Loss::L1 => "nn.L1Loss()".into(),
        Loss::Huber { delta } => format!("nn.HuberLoss(delta={})", float(delta)),
    }
}

fn optimizer_call(optimizer: &Optimizer) -> String {
    match *optimizer {
        Optimizer::Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay,
        } => format!(
            "torch.optim.SGD(params, lr={}, momentum={}, nesterov={}, weight_decay={})",
            float(lr),
            float(momentum),
            boolean(nesterov),
            float(weight_decay)
        ),
        Optimizer::Adam {
            lr,
            betas,
            eps,
            weight_decay,
        } => adam("Adam", lr, betas, eps, weight_decay),
        Optimizer::AdamW {
            lr,
            betas,
            eps,
            weight_decay,
        } => adam("AdamW", lr, betas, eps, weight_decay),
    }
}

fn adam(class: &str, lr: f64, betas: (f64, f64), eps: f64, weight_decay: f64) -> String {
    format!(
        "torch.optim.{class}(params, lr={}, betas=({}, {}), eps={}, weight_decay={})",
        float(lr),
        float(betas.0),
        float(betas.1),
        float(eps),
        float(weight_decay)
    )
}

fn schedule_doc(schedule: Option<LrSchedule>) -> String {
    match schedule {
        None => "constant".into(),
        Some(LrSchedule::Step { step_size, gamma }) => {
            format!("step(step_size={step_size}, gamma={})", float(gamma))
        }
        Some(LrSchedule::Cosine { t_max, eta_min }) => format!(
            "cosine(t_max={}, eta_min={})",
            t_max.map_or("epochs".into(), |t| t.to_string()),
            float(eta_min)
        ),
    }
}

/// netc's closed forms (`LrSchedule::lr_at`), set at the start of each
/// epoch, which equal `StepLR` and `CosineAnnealingLR` stepped per epoch.
fn schedule_body(schedule: Option<LrSchedule>) -> String {
    match schedule {
        None => "return base_lr".into(),
        Some(LrSchedule::Step { step_size, gamma }) => format!(
            "return base_lr * {} ** (epoch // {})",
            float(gamma),
            step_size.max(1)
        ),
        Some(LrSchedule::Cosine { t_max, eta_min }) => {
            let t_max = t_max.map_or("max(epochs, 1)".into(), |t| t.max(1).to_string());
            format!(
                "eta_min = {}\n    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * epoch / {t_max})) / 2",
                float(eta_min)
            )
        }
    }
}
