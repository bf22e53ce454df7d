//! The Plan validator: what every executor may assume of a Plan, checked
//! once. [`Plan::validate`] is the only way to a [`ValidPlan`], and
//! executors (the interpreter, the code generator) take nothing else, so
//! a Plan from anywhere (lowering, a test, a future pass) is checked
//! before code borrows buffers by id: a broken Plan is an error, never a
//! panic in an executor or an aliased `&mut` in generated code.

use std::fmt;
use std::ops::Deref;

use crate::plan::{BufferId, BufferKind, BufferLen, Fresh, Op, OpKind, Operand, Plan};

/// Why a Plan cannot be executed.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanError {
    /// An operand names a buffer the Plan does not have.
    UnknownBuffer { op: &'static str, id: usize },
    /// An op writes a buffer it also reads or writes through another
    /// operand; executors borrow each written buffer exclusively.
    Aliased { op: &'static str, buffer: String },
    /// An operand has the wrong kind of buffer for its place (an f32
    /// slice where the Plan holds a counter, ...).
    WrongKind {
        op: &'static str,
        buffer: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A length or index operand runs past a buffer.
    TooLong {
        op: &'static str,
        buffer: String,
        needed: usize,
        len: usize,
    },
    /// A `state_dict` entry that names no buffer, or whose shape does not
    /// match its buffer.
    BadStateEntry { name: String },
    /// A `fresh` operand names a written operand the op does not have
    /// (or leaves out).
    NoFreshOutput { op: &'static str, output: usize },
    /// An optional operand the op's arithmetic reads is left out (an
    /// activation's backward without the forward value its derivative
    /// reads).
    MissingOperand {
        op: &'static str,
        operand: &'static str,
    },
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanError::UnknownBuffer { op, id } => write!(f, "`{op}` names no buffer %{id}"),
            PlanError::Aliased { op, buffer } => {
                write!(f, "`{op}` uses buffer `{buffer}` twice")
            }
            PlanError::WrongKind {
                op,
                buffer,
                expected,
                found,
            } => write!(
                f,
                "`{op}` needs a {expected} buffer, but `{buffer}` is a {found} buffer"
            ),
            PlanError::TooLong {
                op,
                buffer,
                needed,
                len,
            } => write!(
                f,
                "`{op}` needs {needed} values of `{buffer}`, which holds {len}"
            ),
            PlanError::BadStateEntry { name } => {
                write!(f, "state entry `{name}` does not match its buffer")
            }
            PlanError::NoFreshOutput { op, output } => {
                write!(
                    f,
                    "`{op}` overwrites its output {output}, which it does not write"
                )
            }
            PlanError::MissingOperand { op, operand } => {
                write!(f, "`{op}` reads `{operand}`, which it does not name")
            }
        }
    }
}

impl std::error::Error for PlanError {}

/// Every output a `fresh` operand names is one of the op's written
/// operands, and present.
fn validate_fresh(op: &Op) -> Result<(), PlanError> {
    let Some(&fresh) = op.kind.fresh() else {
        return Ok(());
    };
    let outputs = op.kind.outputs();
    let present = |output: usize| outputs.get(output).is_some_and(Option::is_some);
    match (0..Fresh::MAX_OUTPUTS).find(|&output| fresh.output(output) && !present(output)) {
        Some(output) => Err(PlanError::NoFreshOutput {
            op: op.kind.name(),
            output,
        }),
        None => Ok(()),
    }
}

/// An activation's backward names the forward values its derivative
/// reads; the others it may leave out.
fn validate_reads(op: &Op) -> Result<(), PlanError> {
    let OpKind::ActivationBackward { act, x, y, .. } = op.kind else {
        return Ok(());
    };
    let reads = act.derivative_reads();
    let missing = [
        ("x", reads.input && x.is_none()),
        ("y", reads.output && y.is_none()),
    ];
    match missing.into_iter().find(|&(_, missing)| missing) {
        Some((operand, _)) => Err(PlanError::MissingOperand {
            op: op.kind.name(),
            operand,
        }),
        None => Ok(()),
    }
}

/// The storage an operand needs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Storage {
    F32,
    Counter,
    OptimizerState,
}

impl Storage {
    fn of(kind: BufferKind) -> Storage {
        match kind {
            BufferKind::Counter => Storage::Counter,
            BufferKind::OptimizerState => Storage::OptimizerState,
            _ => Storage::F32,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Storage::F32 => "f32",
            Storage::Counter => BufferKind::Counter.name(),
            Storage::OptimizerState => BufferKind::OptimizerState.name(),
        }
    }
}

/// A Plan the validator accepted: what executors take. It reads as the
/// [`Plan`] it wraps; to edit one, take the Plan out and validate again.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidPlan(Plan);

impl ValidPlan {
    pub fn into_plan(self) -> Plan {
        self.0
    }

    /// Sizes the per-sample buffers for at most `batch` rows (at least
    /// one). Validity does not depend on the batch: the validator checks
    /// fixed lengths only.
    pub fn set_batch(&mut self, batch: usize) {
        self.0.batch = batch.max(1);
    }
}

impl Deref for ValidPlan {
    type Target = Plan;

    fn deref(&self) -> &Plan {
        &self.0
    }
}

impl Plan {
    /// Checks every op of every list and every `state_dict` entry.
    pub fn validate(self) -> Result<ValidPlan, PlanError> {
        for op in self.all_ops() {
            self.validate_op(op)?;
        }
        self.validate_state()?;
        Ok(ValidPlan(self))
    }

    fn validate_op(&self, op: &Op) -> Result<(), PlanError> {
        let name = op.kind.name();
        let operands = op.kind.operands();
        let mut buffers: Vec<(BufferId, bool)> = Vec::new();
        for (_, operand) in &operands {
            let (ids, storage, written) = match *operand {
                Operand::Read(id) => (vec![id], Storage::F32, false),
                Operand::ReadOpt(id) => (id.into_iter().collect(), Storage::F32, false),
                Operand::Write(id) => (vec![id], Storage::F32, true),
                Operand::WriteOpt(id) => (id.into_iter().collect(), Storage::F32, true),
                Operand::Counter(id) => (vec![id], Storage::Counter, true),
                Operand::State(id) => (vec![id], Storage::OptimizerState, true),
                _ => continue,
            };
            for id in ids {
                let buffer = self
                    .buffers
                    .get(id.0)
                    .ok_or(PlanError::UnknownBuffer { op: name, id: id.0 })?;
                if Storage::of(buffer.kind) != storage {
                    return Err(PlanError::WrongKind {
                        op: name,
                        buffer: buffer.name.clone(),
                        expected: storage.name(),
                        found: buffer.kind.name(),
                    });
                }
                buffers.push((id, written));
            }
        }
        for (i, &(id, written)) in buffers.iter().enumerate() {
            let repeated = buffers
                .iter()
                .enumerate()
                .any(|(j, &(other, other_written))| {
                    i != j && other == id && (written || other_written)
                });
            if repeated {
                return Err(PlanError::Aliased {
                    op: name,
                    buffer: self.buffer(id).name.clone(),
                });
            }
        }
        validate_fresh(op)?;
        validate_reads(op)?;
        self.validate_lengths(name, &operands, &buffers)
    }

    /// A `len` operand fits every fixed-length buffer of its op but the
    /// one-value scalars; an `index` operand is inside the buffer it
    /// writes.
    fn validate_lengths(
        &self,
        op: &'static str,
        operands: &[(&'static str, Operand<'_>)],
        buffers: &[(BufferId, bool)],
    ) -> Result<(), PlanError> {
        for &(field, operand) in operands {
            let (needed, only_written) = match (field, operand) {
                ("len", Operand::Usize(len)) => (len, false),
                ("index", Operand::Usize(index)) => (index + 1, true),
                _ => continue,
            };
            for &(id, written) in buffers {
                let buffer = self.buffer(id);
                let checked = match buffer.kind {
                    BufferKind::Scalar => only_written && written,
                    kind => Storage::of(kind) == Storage::F32 && (written || !only_written),
                };
                if let BufferLen::Fixed(len) = buffer.len {
                    if checked && len < needed {
                        return Err(PlanError::TooLong {
                            op,
                            buffer: buffer.name.clone(),
                            needed,
                            len,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    fn validate_state(&self) -> Result<(), PlanError> {
        for entry in &self.state {
            let bad = || PlanError::BadStateEntry {
                name: entry.name.clone(),
            };
            let buffer = self.buffers.get(entry.buffer.0).ok_or_else(bad)?;
            let elements: usize = entry.shape.iter().product();
            let fits = match buffer.kind {
                BufferKind::Counter => entry.shape.is_empty() && entry.grad.is_none(),
                _ => buffer.len == BufferLen::Fixed(elements),
            };
            let grad_fits = entry.grad.is_none_or(|g| {
                self.buffers
                    .get(g.0)
                    .is_some_and(|g| g.len == BufferLen::Fixed(elements))
            });
            if !fits || !grad_fits {
                return Err(bad());
            }
        }
        Ok(())
    }
}
