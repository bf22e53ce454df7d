//! The Plan: the explicit program both executors (the interpreter and the
//! code generator) run. Plain data: buffers with a kind and a size, and
//! three op lists over buffer ids. Nothing here executes anything.

use netc_ops::{Activation, Init, Loss, Optimizer};

/// An index into [`Plan::buffers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BufferId(pub usize);

/// What a buffer holds, which decides who writes it and how long it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferKind {
    /// The batch's input rows, copied in by the executor.
    Input,
    /// The batch's targets, copied in by the executor.
    Target,
    /// The forward output, kept out of the pool so it survives the step.
    Output,
    /// A trainable parameter.
    Param,
    /// A parameter's gradient (zeroed at the start of every backward pass).
    Grad,
    /// A pooled buffer holding forward values and value gradients whose
    /// lifetimes do not overlap.
    Activation,
    /// Written by a forward op only for its backward op (xhat, mean,
    /// invstd, dropout mask).
    Saved,
    /// A batchnorm running mean or variance.
    RunningStat,
    /// A batchnorm `num_batches_tracked` counter: one i64, not f32 data.
    Counter,
    /// Optimizer state of one parameter (momentum buffer, Adam moments):
    /// executors keep a `netc_runtime::optim::ParamState` of this length.
    OptimizerState,
    /// A single f32 (loss, gradient norm, clip coefficient).
    Scalar,
    /// Working space for the clipped gradient handed to the optimizer, so
    /// that the stored gradients stay the pre-clip ones.
    Scratch,
}

impl BufferKind {
    pub fn name(self) -> &'static str {
        match self {
            BufferKind::Input => "input",
            BufferKind::Target => "target",
            BufferKind::Output => "output",
            BufferKind::Param => "param",
            BufferKind::Grad => "grad",
            BufferKind::Activation => "activation",
            BufferKind::Saved => "saved",
            BufferKind::RunningStat => "running-stat",
            BufferKind::Counter => "counter",
            BufferKind::OptimizerState => "optimizer-state",
            BufferKind::Scalar => "scalar",
            BufferKind::Scratch => "scratch",
        }
    }
}

/// A buffer's length: per sample (times the batch) or fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferLen {
    PerSample(usize),
    Fixed(usize),
}

impl BufferLen {
    /// Elements for a batch of `batch` rows.
    pub fn elements(self, batch: usize) -> usize {
        match self {
            BufferLen::PerSample(width) => width * batch,
            BufferLen::Fixed(len) => len,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Buffer {
    pub name: String,
    pub kind: BufferKind,
    pub len: BufferLen,
}

/// One kernel call. Forward outputs overwrite; every backward output
/// accumulates (`+=`), so value gradients are zeroed by an explicit
/// [`OpKind::Zero`] right before their first writer.
#[derive(Debug, Clone, PartialEq)]
pub enum OpKind {
    Linear {
        x: BufferId,
        w: BufferId,
        b: Option<BufferId>,
        y: BufferId,
        in_f: usize,
        out_f: usize,
    },
    BatchNormTrain {
        x: BufferId,
        gamma: Option<BufferId>,
        beta: Option<BufferId>,
        y: BufferId,
        xhat: BufferId,
        mean: BufferId,
        invstd: BufferId,
        running_mean: BufferId,
        running_var: BufferId,
        num_batches_tracked: BufferId,
        momentum: Option<f32>,
        eps: f32,
        n: usize,
    },
    BatchNormEval {
        x: BufferId,
        gamma: Option<BufferId>,
        beta: Option<BufferId>,
        running_mean: BufferId,
        running_var: BufferId,
        y: BufferId,
        eps: f32,
        n: usize,
    },
    LayerNorm {
        x: BufferId,
        gamma: Option<BufferId>,
        beta: Option<BufferId>,
        y: BufferId,
        xhat: BufferId,
        invstd: BufferId,
        eps: f32,
        n: usize,
    },
    /// Draws from the executor's single dropout stream.
    Dropout {
        x: BufferId,
        y: BufferId,
        mask: BufferId,
        p: f32,
    },
    /// Eval-mode dropout.
    Copy {
        x: BufferId,
        y: BufferId,
    },
    Activation {
        act: Activation,
        x: BufferId,
        y: BufferId,
        width: usize,
    },
    Add {
        a: BufferId,
        b: BufferId,
        y: BufferId,
    },
    /// Mean loss of `pred` against `target` into the scalar `out`.
    Loss {
        loss: Loss,
        pred: BufferId,
        target: BufferId,
        out: BufferId,
        width: usize,
    },
    Zero {
        buf: BufferId,
    },
    /// Overwrites `dpred` (the first backward op).
    LossBackward {
        loss: Loss,
        pred: BufferId,
        target: BufferId,
        dpred: BufferId,
        width: usize,
    },
    LinearBackward {
        x: BufferId,
        w: BufferId,
        dy: BufferId,
        dx: Option<BufferId>,
        dw: BufferId,
        db: Option<BufferId>,
        in_f: usize,
        out_f: usize,
    },
    BatchNormBackward {
        dy: BufferId,
        xhat: BufferId,
        invstd: BufferId,
        gamma: Option<BufferId>,
        dx: BufferId,
        dgamma: Option<BufferId>,
        dbeta: Option<BufferId>,
        n: usize,
    },
    LayerNormBackward {
        dy: BufferId,
        xhat: BufferId,
        invstd: BufferId,
        gamma: Option<BufferId>,
        dx: BufferId,
        dgamma: Option<BufferId>,
        dbeta: Option<BufferId>,
        n: usize,
    },
    DropoutBackward {
        dy: BufferId,
        mask: BufferId,
        dx: BufferId,
    },
    ActivationBackward {
        act: Activation,
        x: BufferId,
        y: BufferId,
        dy: BufferId,
        dx: BufferId,
        width: usize,
    },
    /// `dst += src`: the gradient through a residual `+`.
    Accumulate {
        dst: BufferId,
        src: BufferId,
    },
    /// PyTorch's total norm: the 2-norm of the per-tensor 2-norms.
    GradNorm {
        grads: Vec<BufferId>,
        out: BufferId,
    },
    /// `coef = min(max_norm / (norm + 1e-6), 1)`.
    ClipCoef {
        norm: BufferId,
        max_norm: f32,
        coef: BufferId,
    },
    /// `dst[..len] = src · coef`.
    ScaleInto {
        src: BufferId,
        coef: BufferId,
        dst: BufferId,
        len: usize,
    },
    /// One optimizer update of `param` with `grad[..len]`; the optimizer
    /// and the 1-based step counter belong to the executor.
    OptimizerStep {
        param: BufferId,
        grad: BufferId,
        state: BufferId,
        len: usize,
    },
}

/// Which operands an op reads and which it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// Writes the operand walk once for shared and for exclusive borrows (the
/// way rustc's `make_mir_visitor!` does), so that reading an op's buffers
/// and rewriting them can never disagree on an operand or its access.
macro_rules! buffer_visitor {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($mutability:ident)?)) => {
        $(#[$doc])*
        $vis fn $name(&$($mutability)? self, mut f: impl FnMut(&$($mutability)? BufferId, Access)) {
            use Access::{Read as R, Write as W};
            macro_rules! opt {
                ($b:expr, $access:expr) => {
                    if let Some(b) = $b {
                        f(b, $access)
                    }
                };
            }
            match self {
                OpKind::Linear { x, w, b, y, .. } => {
                    f(x, R);
                    f(w, R);
                    opt!(b, R);
                    f(y, W);
                }
                OpKind::BatchNormTrain {
                    x,
                    gamma,
                    beta,
                    y,
                    xhat,
                    mean,
                    invstd,
                    running_mean,
                    running_var,
                    num_batches_tracked,
                    ..
                } => {
                    f(x, R);
                    opt!(gamma, R);
                    opt!(beta, R);
                    for out in [y, xhat, mean, invstd, running_mean, running_var] {
                        f(out, W);
                    }
                    f(num_batches_tracked, W);
                }
                OpKind::BatchNormEval {
                    x,
                    gamma,
                    beta,
                    running_mean,
                    running_var,
                    y,
                    ..
                } => {
                    f(x, R);
                    opt!(gamma, R);
                    opt!(beta, R);
                    f(running_mean, R);
                    f(running_var, R);
                    f(y, W);
                }
                OpKind::LayerNorm {
                    x,
                    gamma,
                    beta,
                    y,
                    xhat,
                    invstd,
                    ..
                } => {
                    f(x, R);
                    opt!(gamma, R);
                    opt!(beta, R);
                    f(y, W);
                    f(xhat, W);
                    f(invstd, W);
                }
                OpKind::Dropout { x, y, mask, .. } => {
                    f(x, R);
                    f(y, W);
                    f(mask, W);
                }
                OpKind::Copy { x, y } | OpKind::Activation { x, y, .. } => {
                    f(x, R);
                    f(y, W);
                }
                OpKind::Add { a, b, y } => {
                    f(a, R);
                    f(b, R);
                    f(y, W);
                }
                OpKind::Loss {
                    pred, target, out, ..
                } => {
                    f(pred, R);
                    f(target, R);
                    f(out, W);
                }
                OpKind::Zero { buf } => f(buf, W),
                OpKind::LossBackward {
                    pred,
                    target,
                    dpred,
                    ..
                } => {
                    f(pred, R);
                    f(target, R);
                    f(dpred, W);
                }
                OpKind::LinearBackward {
                    x,
                    w,
                    dy,
                    dx,
                    dw,
                    db,
                    ..
                } => {
                    f(x, R);
                    f(w, R);
                    f(dy, R);
                    opt!(dx, W);
                    f(dw, W);
                    opt!(db, W);
                }
                OpKind::BatchNormBackward {
                    dy,
                    xhat,
                    invstd,
                    gamma,
                    dx,
                    dgamma,
                    dbeta,
                    ..
                }
                | OpKind::LayerNormBackward {
                    dy,
                    xhat,
                    invstd,
                    gamma,
                    dx,
                    dgamma,
                    dbeta,
                    ..
                } => {
                    f(dy, R);
                    f(xhat, R);
                    f(invstd, R);
                    opt!(gamma, R);
                    f(dx, W);
                    opt!(dgamma, W);
                    opt!(dbeta, W);
                }
                OpKind::DropoutBackward { dy, mask, dx } => {
                    f(dy, R);
                    f(mask, R);
                    f(dx, W);
                }
                OpKind::ActivationBackward { x, y, dy, dx, .. } => {
                    f(x, R);
                    f(y, R);
                    f(dy, R);
                    f(dx, W);
                }
                OpKind::Accumulate { dst, src } => {
                    f(src, R);
                    f(dst, W);
                }
                OpKind::GradNorm { grads, out } => {
                    for g in grads {
                        f(g, R);
                    }
                    f(out, W);
                }
                OpKind::ClipCoef { norm, coef, .. } => {
                    f(norm, R);
                    f(coef, W);
                }
                OpKind::ScaleInto { src, coef, dst, .. } => {
                    f(src, R);
                    f(coef, R);
                    f(dst, W);
                }
                OpKind::OptimizerStep {
                    param, grad, state, ..
                } => {
                    f(grad, R);
                    f(param, W);
                    f(state, W);
                }
            }
        }
    };
}

impl OpKind {
    /// Every buffer operand with its access, in a fixed order.
    pub fn for_each_buffer(&self, mut f: impl FnMut(BufferId, Access)) {
        self.visit_buffers(|id, access| f(*id, access));
    }

    buffer_visitor!(fn visit_buffers());

    buffer_visitor!(
        /// Every buffer operand, writable, with its access, in the order of
        /// [`OpKind::for_each_buffer`] (the scheduler uses it to replace
        /// virtual buffers by pooled ones).
        pub fn for_each_buffer_mut(mut)
    );

    /// The kernel's name, for dumps.
    pub fn name(&self) -> &'static str {
        match self {
            OpKind::Linear { .. } => "linear",
            OpKind::BatchNormTrain { .. } => "batchnorm_train",
            OpKind::BatchNormEval { .. } => "batchnorm_eval",
            OpKind::LayerNorm { .. } => "layernorm",
            OpKind::Dropout { .. } => "dropout",
            OpKind::Copy { .. } => "copy",
            OpKind::Activation { .. } => "activation",
            OpKind::Add { .. } => "add",
            OpKind::Loss { .. } => "loss",
            OpKind::Zero { .. } => "zero",
            OpKind::LossBackward { .. } => "loss_backward",
            OpKind::LinearBackward { .. } => "linear_backward",
            OpKind::BatchNormBackward { .. } => "batchnorm_backward",
            OpKind::LayerNormBackward { .. } => "layernorm_backward",
            OpKind::DropoutBackward { .. } => "dropout_backward",
            OpKind::ActivationBackward { .. } => "activation_backward",
            OpKind::Accumulate { .. } => "accumulate",
            OpKind::GradNorm { .. } => "grad_norm",
            OpKind::ClipCoef { .. } => "clip_coef",
            OpKind::ScaleInto { .. } => "scale_into",
            OpKind::OptimizerStep { .. } => "optimizer_step",
        }
    }
}

/// An op with the model element it came from (`fc2`, `elu after bn1`,
/// `loss`, a parameter name in the update), which dumps and
/// non-finite reports name.
#[derive(Debug, Clone, PartialEq)]
pub struct Op {
    pub kind: OpKind,
    pub origin: String,
}

/// Where a `state_dict` entry lives.
#[derive(Debug, Clone, PartialEq)]
pub struct StateEntry {
    /// PyTorch name: `fc1.weight`, `bn1.num_batches_tracked`, ...
    pub name: String,
    /// PyTorch shape: `[out, in]`, `[n]`, or `[]` for the counter.
    pub shape: Vec<usize>,
    /// An f32 buffer, or a [`BufferKind::Counter`] for the I64 counter.
    pub buffer: BufferId,
    /// The gradient buffer of a trainable parameter.
    pub grad: Option<BufferId>,
    /// How the executor fills it at construction.
    pub init: Initializer,
}

/// A `state_dict` entry's initial value. Executors draw the random ones
/// in `state_dict` order from one stream seeded by the model seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initializer {
    /// `netc_runtime::init::init_weight` with these fans.
    Random {
        init: Init,
        fan_in: usize,
        fan_out: usize,
    },
    /// `nn.Linear`'s default bias: U(±1/√fan_in).
    LinearDefaultBias { fan_in: usize },
    /// Every element (or the counter) set to this value.
    Fill(f32),
}

impl StateEntry {
    pub fn is_parameter(&self) -> bool {
        self.grad.is_some()
    }
}

/// The whole compiled training and inference program of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub model: String,
    pub input_width: usize,
    pub output_width: usize,
    pub target_width: usize,
    /// The batch the buffers are sized for (the train block's).
    pub batch: usize,
    pub loss: Loss,
    pub optimizer: Optimizer,
    pub clip_grad_norm: Option<f64>,
    pub buffers: Vec<Buffer>,
    /// `state_dict` entries in PyTorch's order.
    pub state: Vec<StateEntry>,
    pub input: BufferId,
    pub target: BufferId,
    /// Holds the forward output after `forward` or `inference` ran.
    pub output: BufferId,
    /// The scalar the train-mode loss lands in.
    pub loss_value: BufferId,
    /// Train-mode forward; its last op is the loss.
    pub forward: Vec<Op>,
    /// Eval-mode forward over the same buffers (running statistics, no
    /// dropout); no loss.
    pub inference: Vec<Op>,
    /// Starts by zeroing the parameter gradients; the loss gradient is its
    /// first kernel.
    pub backward: Vec<Op>,
    /// Optional clipping, then one optimizer step per parameter that has
    /// a gradient path to the loss.
    pub update: Vec<Op>,
}

impl Plan {
    pub fn buffer(&self, id: BufferId) -> &Buffer {
        &self.buffers[id.0]
    }

    /// The `state_dict` entry named `name`.
    pub fn state_entry(&self, name: &str) -> Option<&StateEntry> {
        self.state.iter().find(|e| e.name == name)
    }

    /// Whether the train-mode forward draws dropout masks: a replay of it
    /// (the non-finite probe) must start from the step's mask stream.
    pub fn forward_draws_masks(&self) -> bool {
        self.forward
            .iter()
            .any(|op| matches!(op.kind, OpKind::Dropout { .. }))
    }

    /// The f32 values `op` writes that a non-finite probe scans after it:
    /// what the forward computes from the batch. Zeroed buffers are
    /// finite by construction; counters and optimizer states are not f32
    /// data; running statistics are state the train-mode forward never
    /// reads, which a replay of the forward updates a second time.
    pub fn checked_outputs(&self, op: &OpKind) -> Vec<BufferId> {
        let mut checked = Vec::new();
        if matches!(op, OpKind::Zero { .. }) {
            return checked;
        }
        op.for_each_buffer(|id, access| {
            let skipped = matches!(
                self.buffer(id).kind,
                BufferKind::Counter | BufferKind::OptimizerState | BufferKind::RunningStat
            );
            if access == Access::Write && !skipped {
                checked.push(id);
            }
        });
        checked
    }

    /// Bytes an executor holds for every buffer at `batch` rows, counting
    /// each optimizer state as two moments (Adam's, the most any optimizer
    /// keeps). Saturating, so that widths no machine could hold give a
    /// huge number to refuse rather than an overflow.
    pub fn memory_bytes(&self, batch: usize) -> u64 {
        const F32: u64 = 4;
        self.buffers.iter().fold(0u64, |total, buffer| {
            let elements = match buffer.len {
                BufferLen::PerSample(width) => (width as u64).saturating_mul(batch as u64),
                BufferLen::Fixed(len) => len as u64,
            };
            let copies = match buffer.kind {
                BufferKind::OptimizerState => 2,
                _ => 1,
            };
            total.saturating_add(elements.saturating_mul(copies * F32))
        })
    }
}
