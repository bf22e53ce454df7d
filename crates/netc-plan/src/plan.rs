//! The Plan: the explicit program both executors (the interpreter and the
//! code generator) run. Plain data: buffers with a kind and a size, and
//! three op lists over buffer ids. Nothing here executes anything.

use netc_ops::image::{AdaptivePool2dGeometry, Conv2dGeometry, ImageShape, Pool2dGeometry};
use netc_ops::{Activation, Loss, Optimizer};
pub use netc_runtime::ops::Fresh;
pub use netc_runtime::step::Initializer;

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
    /// Derived by the inference cache's ops from weights and statistics
    /// alone (a packed weight panel, a batchnorm's eval scale/shift);
    /// stale after anything that changes those. Executors start it on a
    /// cache line, so each 16-wide panel tile is one line.
    Cache,
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
            BufferKind::Cache => "cache",
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

/// How an op's operand is stored and passed: the operand kinds of the
/// op table ([`op_table!`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Operand<'a> {
    /// An f32 buffer the op reads.
    Read(BufferId),
    ReadOpt(Option<BufferId>),
    /// An f32 buffer the op writes (or accumulates into).
    Write(BufferId),
    WriteOpt(Option<BufferId>),
    /// A `num_batches_tracked` counter, written.
    Counter(BufferId),
    /// An optimizer state, written.
    State(BufferId),
    /// A layer width: a constant in generated code.
    Dim(usize),
    Usize(usize),
    F32(f32),
    OptF32(Option<f32>),
    Activation(&'a Activation),
    Loss(&'a Loss),
    /// An image op's geometry: constants in generated code.
    Conv2d(&'a Conv2dGeometry),
    Pool2d(&'a Pool2dGeometry),
    AdaptivePool2d(&'a AdaptivePool2dGeometry),
    Image(&'a ImageShape),
    /// The written operands the op overwrites rather than adds into.
    Fresh(Fresh),
    /// The rows of the current step or chunk.
    Batch,
    /// The executor's dropout stream.
    Rng,
    /// The current optimizer step's scalars.
    Scalars,
}

/// Which operands an op reads and which it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// The op table: every Plan op kind, once. Each row names the op (its
/// `netc_runtime::ops` struct and its dump name), what the executor
/// supplies besides the Plan's operands (`batch`, `rng`, `scalars`), and
/// its operands with their kinds. `$callback!` receives the table: the
/// Plan's [`OpKind`] and its visitors are generated from it here, and the
/// interpreter's binding of operands to buffers in `interpreter/exec.rs`;
/// the code generator reads [`OpKind::operands`]. So adding an op kind is
/// a row here, a struct in `netc_runtime::ops`, and its lowering.
///
/// Forward outputs overwrite; every backward output accumulates (`+=`),
/// except those its `fresh: Fresh` operand names: lowering lets a
/// gradient's first writer overwrite it where the op has that operand,
/// and zeroes it with an [`OpKind::Zero`] right before any other.
/// `Fresh` counts an op's written buffer operands in table order.
macro_rules! op_table {
    ($callback:ident) => {
        $callback! {
            /// `y = x·Wᵀ + b` (train-mode forward).
            Linear "linear" (batch) { x: In, w: In, b: InOpt, y: Out, in_f: Dim, out_f: Dim },
            /// Eval-mode linear from the weight's packed panel.
            LinearPacked "linear_packed" (batch) {
                x: In, w: In, panel: In, b: InOpt, y: Out, in_f: Dim, out_f: Dim,
            },
            /// Packs a weight into its panel (an inference-cache op).
            PackLinear "pack_linear" () { w: In, panel: Out, in_f: Dim, out_f: Dim },
            /// `y = conv2d(x, w) + b` (both modes): `cols` keeps the
            /// patches for the backward, `rows` is scratch.
            Conv2d "conv2d" (batch) {
                x: In, w: In, b: InOpt, y: Out, cols: Out, rows: Out, geometry: Conv,
            },
            /// Batch statistics, saved values for backward, running
            /// statistics and the counter updated. Every batchnorm is over
            /// `[batch, n, plane]`: `n` channels of `plane` positions (1
            /// for batchnorm1d, `H·W` for batchnorm2d).
            BatchNormTrain "batchnorm_train" (batch) {
                x: In, gamma: InOpt, beta: InOpt, y: Out, xhat: Out, mean: Out, invstd: Out,
                running_mean: Out, running_var: Out, num_batches_tracked: Counter,
                momentum: OptF32, eps: F32, n: Dim, plane: Dim,
            },
            /// The eval forward's folded scale/shift (an inference-cache op).
            BatchNormAffine "batchnorm_affine" () {
                gamma: InOpt, beta: InOpt, running_mean: In, running_var: In,
                scale: Out, shift: Out, eps: F32, n: Dim,
            },
            /// Eval-mode batchnorm from the cached scale/shift.
            BatchNormApply "batchnorm_apply" (batch) {
                x: In, scale: In, shift: In, y: Out, n: Dim, plane: Dim,
            },
            LayerNorm "layernorm" (batch) {
                x: In, gamma: InOpt, beta: InOpt, y: Out, xhat: Out, invstd: Out, eps: F32, n: Dim,
            },
            /// Max pooling; the train-mode forward keeps each maximum's
            /// position in its channel's plane (`argmax`, exact in f32).
            MaxPool2d "max_pool2d" (batch) { x: In, y: Out, argmax: OutOpt, geometry: Pool },
            /// Average pooling (`count_include_pad` in the geometry).
            AvgPool2d "avg_pool2d" (batch) { x: In, y: Out, geometry: Pool },
            AdaptiveAvgPool2d "adaptive_avg_pool2d" (batch) { x: In, y: Out, geometry: Adaptive },
            /// Draws from the executor's single dropout stream.
            Dropout "dropout" (rng) { x: In, y: Out, mask: Out, p: F32 },
            /// Eval-mode dropout.
            Copy "copy" () { x: In, y: Out },
            Activation "activation" () { act: Act, x: In, y: Out, width: Dim },
            Add "add" () { a: In, b: In, y: Out },
            /// Mean loss of `pred` against `target` into the scalar `out`.
            Loss "loss" (batch) { loss: LossKind, pred: In, target: In, out: Out, width: Dim },
            Zero "zero" () { buf: Out },
            /// Overwrites `dpred` (the first backward op).
            LossBackward "loss_backward" (batch) {
                loss: LossKind, pred: In, target: In, dpred: Out, width: Dim,
            },
            LinearBackward "linear_backward" (batch) {
                x: In, w: In, dy: In, dx: OutOpt, dw: Out, db: OutOpt, fresh: Fresh, in_f: Dim,
                out_f: Dim,
            },
            /// From the forward's `cols`; `dcols` (scratch) with `dx`.
            Conv2dBackward "conv2d_backward" (batch) {
                cols: In, w: In, dy: In, rows: Out, dcols: OutOpt, dx: OutOpt, dw: Out,
                db: OutOpt, fresh: Fresh, geometry: Conv,
            },
            BatchNormBackward "batchnorm_backward" (batch) {
                dy: In, xhat: In, invstd: In, gamma: InOpt, dx: Out, dgamma: OutOpt,
                dbeta: OutOpt, fresh: Fresh, n: Dim, plane: Dim,
            },
            LayerNormBackward "layernorm_backward" (batch) {
                dy: In, xhat: In, invstd: In, gamma: InOpt, dx: Out, dgamma: OutOpt,
                dbeta: OutOpt, fresh: Fresh, n: Dim,
            },
            MaxPool2dBackward "max_pool2d_backward" (batch) {
                dy: In, argmax: In, dx: Out, fresh: Fresh, geometry: Pool,
            },
            AvgPool2dBackward "avg_pool2d_backward" (batch) {
                dy: In, dx: Out, fresh: Fresh, geometry: Pool,
            },
            AdaptiveAvgPool2dBackward "adaptive_avg_pool2d_backward" (batch) {
                dy: In, dx: Out, fresh: Fresh, geometry: Adaptive,
            },
            DropoutBackward "dropout_backward" () { dy: In, mask: In, dx: Out, fresh: Fresh },
            /// Reads those of the forward's `x` and `y` its derivative
            /// reads (`Activation::derivative_reads`), and names only
            /// those, so the others need not live until the backward.
            ActivationBackward "activation_backward" () {
                act: Act, x: InOpt, y: InOpt, dy: In, dx: Out, fresh: Fresh, width: Dim,
            },
            /// `dst += src`: the gradient through a residual `+`.
            Accumulate "accumulate" () { dst: Out, src: In, fresh: Fresh },
            /// `norms[index]` := one gradient's 2-norm (clipping).
            TensorNorm "tensor_norm" () { grad: In, norms: Out, index: Usize },
            /// PyTorch's total norm: the 2-norm of the per-tensor norms.
            TotalNorm "total_norm" () { norms: In, out: Out },
            /// `coef = clamp(max_norm / (norm + 1e-6), max=1)`, NaN kept.
            ClipCoef "clip_coef" () { norm: In, max_norm: F32, coef: Out },
            /// `dst[..len] = src · coef`.
            ScaleInto "scale_into" () { src: In, coef: In, dst: Out, len: Usize },
            /// One optimizer update of `param` with `grad[..len]` and the
            /// step's scalars.
            OptimizerStep "optimizer_step" (scalars) {
                param: Out, grad: In, state: State, len: Usize,
            },
        }
    };
}

pub(crate) use op_table;

/// The Rust type of an operand kind in [`OpKind`].
macro_rules! operand_type {
    (In) => { BufferId };
    (InOpt) => { Option<BufferId> };
    (Out) => { BufferId };
    (OutOpt) => { Option<BufferId> };
    (Counter) => { BufferId };
    (State) => { BufferId };
    (Dim) => { usize };
    (Usize) => { usize };
    (F32) => { f32 };
    (OptF32) => { Option<f32> };
    (Act) => { Activation };
    (LossKind) => { Loss };
    (Conv) => { Conv2dGeometry };
    (Pool) => { Pool2dGeometry };
    (Adaptive) => { AdaptivePool2dGeometry };
    (Image) => { ImageShape };
    (Fresh) => { Fresh };
}

/// Calls `$f` on a buffer operand with its access; other kinds pass.
macro_rules! visit_operand {
    (In, $b:expr, $f:ident) => {
        $f($b, Access::Read)
    };
    (InOpt, $b:expr, $f:ident) => {
        if let Some(b) = $b {
            $f(b, Access::Read)
        }
    };
    (Out, $b:expr, $f:ident) => {
        $f($b, Access::Write)
    };
    (OutOpt, $b:expr, $f:ident) => {
        if let Some(b) = $b {
            $f(b, Access::Write)
        }
    };
    (Counter, $b:expr, $f:ident) => {
        $f($b, Access::Write)
    };
    (State, $b:expr, $f:ident) => {
        $f($b, Access::Write)
    };
    ($other:ident, $b:expr, $f:ident) => {};
}

/// An operand as [`Operand`].
macro_rules! describe_operand {
    (In, $v:expr) => {
        Operand::Read(*$v)
    };
    (InOpt, $v:expr) => {
        Operand::ReadOpt(*$v)
    };
    (Out, $v:expr) => {
        Operand::Write(*$v)
    };
    (OutOpt, $v:expr) => {
        Operand::WriteOpt(*$v)
    };
    (Counter, $v:expr) => {
        Operand::Counter(*$v)
    };
    (State, $v:expr) => {
        Operand::State(*$v)
    };
    (Dim, $v:expr) => {
        Operand::Dim(*$v)
    };
    (Usize, $v:expr) => {
        Operand::Usize(*$v)
    };
    (F32, $v:expr) => {
        Operand::F32(*$v)
    };
    (OptF32, $v:expr) => {
        Operand::OptF32(*$v)
    };
    (Act, $v:expr) => {
        Operand::Activation($v)
    };
    (LossKind, $v:expr) => {
        Operand::Loss($v)
    };
    (Conv, $v:expr) => {
        Operand::Conv2d($v)
    };
    (Pool, $v:expr) => {
        Operand::Pool2d($v)
    };
    (Adaptive, $v:expr) => {
        Operand::AdaptivePool2d($v)
    };
    (Image, $v:expr) => {
        Operand::Image($v)
    };
    (Fresh, $v:expr) => {
        Operand::Fresh(*$v)
    };
}

/// Returns the `fresh` operand of an op that has one.
macro_rules! fresh_operand {
    (Fresh, $v:expr) => {
        return Some($v)
    };
    ($other:ident, $v:expr) => {};
}

/// What an executor supplies, as [`Operand`].
macro_rules! describe_supplied {
    (batch) => {
        Operand::Batch
    };
    (rng) => {
        Operand::Rng
    };
    (scalars) => {
        Operand::Scalars
    };
}

macro_rules! define_op_kind {
    ($(
        $(#[$doc:meta])*
        $op:ident $name:literal ($($supplied:ident),*) { $($field:ident : $kind:ident),* $(,)? }
    ),* $(,)?) => {
        /// One runtime op call over Plan buffers (see [`op_table!`]).
        #[derive(Debug, Clone, PartialEq)]
        pub enum OpKind {
            $($(#[$doc])* $op { $($field: operand_type!($kind)),* },)*
        }

        impl OpKind {
            /// Every buffer operand with its access, in a fixed order.
            #[allow(unused_variables)]
            pub fn for_each_buffer(&self, mut f: impl FnMut(BufferId, Access)) {
                match self {
                    $(OpKind::$op { $($field),* } => { $(visit_operand!($kind, *$field, f);)* })*
                }
            }

            /// Every buffer operand, writable, with its access, in the
            /// order of [`OpKind::for_each_buffer`] (the scheduler uses it
            /// to replace virtual buffers by pooled ones).
            #[allow(unused_variables)]
            pub fn for_each_buffer_mut(&mut self, mut f: impl FnMut(&mut BufferId, Access)) {
                match self {
                    $(OpKind::$op { $($field),* } => {
                        $(visit_operand!($kind, $field.as_mut_operand(), f);)*
                    })*
                }
            }

            /// The outputs the op overwrites, when it can overwrite any.
            #[allow(unused_variables)]
            pub fn fresh(&self) -> Option<&Fresh> {
                match self {
                    $(OpKind::$op { $($field),* } => { $(fresh_operand!($kind, $field);)* })*
                }
                None
            }

            /// [`OpKind::fresh`], to mark an output fresh.
            #[allow(unused_variables)]
            pub fn fresh_mut(&mut self) -> Option<&mut Fresh> {
                match self {
                    $(OpKind::$op { $($field),* } => { $(fresh_operand!($kind, $field);)* })*
                }
                None
            }

            /// The op's written f32 operands in table order, `None` where
            /// an optional one is absent: the outputs [`Fresh`] counts.
            pub fn outputs(&self) -> Vec<Option<BufferId>> {
                self.operands()
                    .into_iter()
                    .filter_map(|(_, operand)| match operand {
                        Operand::Write(id) => Some(Some(id)),
                        Operand::WriteOpt(id) => Some(id),
                        _ => None,
                    })
                    .collect()
            }

            /// The op's name in dumps and errors.
            pub fn name(&self) -> &'static str {
                match self {
                    $(OpKind::$op { .. } => $name,)*
                }
            }

            /// The `netc_runtime::ops` struct that runs this op.
            pub fn runtime_op(&self) -> &'static str {
                match self {
                    $(OpKind::$op { .. } => stringify!($op),)*
                }
            }

            /// Every field of the runtime struct with the operand that
            /// fills it: the Plan's operands, then what the executor
            /// supplies.
            pub fn operands(&self) -> Vec<(&'static str, Operand<'_>)> {
                match self {
                    $(OpKind::$op { $($field),* } => vec![
                        $((stringify!($field), describe_operand!($kind, $field)),)*
                        $((stringify!($supplied), describe_supplied!($supplied)),)*
                    ],)*
                }
            }
        }

        /// Every op kind's runtime struct, in table order (for tests that
        /// cover each kind).
        pub const RUNTIME_OPS: &[&str] = &[$(stringify!($op)),*];
    };
}

op_table!(define_op_kind);

/// `Some(&mut id)` of an optional buffer operand, and `&mut id` of a
/// plain one, so that [`visit_operand!`] serves both visitors.
trait AsMutOperand {
    type Out<'a>
    where
        Self: 'a;
    fn as_mut_operand(&mut self) -> Self::Out<'_>;
}

impl AsMutOperand for BufferId {
    type Out<'a> = &'a mut BufferId;
    fn as_mut_operand(&mut self) -> &mut BufferId {
        self
    }
}

impl AsMutOperand for Option<BufferId> {
    type Out<'a> = Option<&'a mut BufferId>;
    fn as_mut_operand(&mut self) -> Option<&mut BufferId> {
        self.as_mut()
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
    /// Rebuilds the [`BufferKind::Cache`] buffers from the weights and
    /// statistics; executors run it before an eval-mode forward whenever
    /// a train step, a weight load or a parameter borrow made it stale.
    pub cache: Vec<Op>,
    /// Eval-mode forward over the same buffers (running statistics from
    /// the cache, no dropout); no loss.
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

    /// Every op of every list: forward, cache, inference, backward,
    /// update.
    pub fn all_ops(&self) -> impl Iterator<Item = &Op> {
        [
            &self.forward,
            &self.cache,
            &self.inference,
            &self.backward,
            &self.update,
        ]
        .into_iter()
        .flatten()
    }

    /// [`Plan::all_ops`], writable (passes that renumber buffers).
    pub fn all_ops_mut(&mut self) -> impl Iterator<Item = &mut Op> {
        [
            &mut self.forward,
            &mut self.cache,
            &mut self.inference,
            &mut self.backward,
            &mut self.update,
        ]
        .into_iter()
        .flatten()
    }

    /// The floating-point operations of one training step's products at
    /// the plan's batch, two per multiply-add: every linear and conv2d
    /// forward, its weight gradient, and its input gradient where the
    /// backward computes one. Over a core's FMA peak, the time a step
    /// cannot go below.
    pub fn step_product_flops(&self) -> u64 {
        // Saturating, as `memory_bytes`: widths no machine could hold.
        let macs = |a: usize, b: usize| (a as u64).saturating_mul(b as u64);
        let per_sample = self
            .forward
            .iter()
            .chain(&self.backward)
            .map(|op| match op.kind {
                OpKind::Linear { in_f, out_f, .. } => macs(in_f, out_f),
                OpKind::Conv2d { geometry, .. } => conv2d_macs(geometry),
                OpKind::LinearBackward {
                    dx, in_f, out_f, ..
                } => macs(in_f, out_f).saturating_mul(1 + u64::from(dx.is_some())),
                OpKind::Conv2dBackward {
                    dcols, geometry, ..
                } => conv2d_macs(geometry).saturating_mul(1 + u64::from(dcols.is_some())),
                _ => 0,
            })
            .fold(0u64, u64::saturating_add);
        per_sample.saturating_mul(2 * self.batch as u64)
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

/// Multiply-adds of one sample's convolution: every output value takes
/// one window of its group's input channels.
fn conv2d_macs(geometry: Conv2dGeometry) -> u64 {
    geometry.output().map_or(0, |out| {
        [out.height, out.width, geometry.fan_in()]
            .into_iter()
            .fold(out.channels as u64, |n, d| n.saturating_mul(d as u64))
    })
}
