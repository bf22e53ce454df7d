//! Runs one Plan op: borrows its buffers from the store into the
//! operand struct of `netc_runtime::ops` and calls `run`. Generated from
//! the op table (`plan::op_table!`), so no op is spelled out here.

use netc_runtime::ops;
use netc_runtime::optim::StepScalars;
use netc_runtime::rng::Rng;

use super::store::Store;
use crate::plan::{op_table, OpKind};

/// What an op needs besides the buffers.
pub(crate) struct Context<'a> {
    pub(crate) batch: usize,
    pub(crate) dropout: &'a mut Rng,
    pub(crate) scalars: &'a StepScalars,
}

/// Moves a written operand out of the store (a read one stays).
macro_rules! take {
    (In, $s:ident, $b:ident, $v:ident) => {
        *$v
    };
    (InOpt, $s:ident, $b:ident, $v:ident) => {
        *$v
    };
    (Out, $s:ident, $b:ident, $v:ident) => {
        $s.take(*$v, $b)
    };
    (OutOpt, $s:ident, $b:ident, $v:ident) => {
        $s.take_opt(*$v, $b)
    };
    (Counter, $s:ident, $b:ident, $v:ident) => {
        $s.take_counter(*$v)
    };
    (State, $s:ident, $b:ident, $v:ident) => {
        $s.take_state(*$v)
    };
    ($other:ident, $s:ident, $b:ident, $v:ident) => {
        *$v
    };
}

/// The operand as the runtime struct's field.
macro_rules! bind {
    (In, $s:ident, $b:ident, $v:ident) => {
        $s.get($v, $b)
    };
    (InOpt, $s:ident, $b:ident, $v:ident) => {
        $v.map(|id| $s.get(id, $b))
    };
    (Out, $s:ident, $b:ident, $v:ident) => {
        $v.slice()
    };
    (OutOpt, $s:ident, $b:ident, $v:ident) => {
        $v.as_mut().map(|t| t.slice())
    };
    (Counter, $s:ident, $b:ident, $v:ident) => {
        &mut $v.value
    };
    (State, $s:ident, $b:ident, $v:ident) => {
        &mut $v.state
    };
    ($other:ident, $s:ident, $b:ident, $v:ident) => {
        $v
    };
}

/// Puts a written operand back.
macro_rules! restore {
    (Out, $s:ident, $v:ident) => {
        $s.restore($v)
    };
    (OutOpt, $s:ident, $v:ident) => {
        $s.restore_opt($v)
    };
    (Counter, $s:ident, $v:ident) => {
        $s.restore_counter($v)
    };
    (State, $s:ident, $v:ident) => {
        $s.restore_state($v)
    };
    ($other:ident, $s:ident, $v:ident) => {
        let _ = $v;
    };
}

/// What the executor supplies.
macro_rules! supply {
    (batch, $cx:ident) => {
        $cx.batch
    };
    (rng, $cx:ident) => {
        &mut *$cx.dropout
    };
    (scalars, $cx:ident) => {
        $cx.scalars
    };
}

macro_rules! define_execute {
    ($(
        $(#[$doc:meta])*
        $op:ident $name:literal ($($supplied:ident),*) { $($field:ident : $kind:ident),* $(,)? }
    ),* $(,)?) => {
        pub(crate) fn execute(op: &OpKind, s: &mut Store, cx: &mut Context<'_>) {
            let batch = cx.batch;
            match op {
                $(OpKind::$op { $($field),* } => {
                    $(#[allow(unused_mut)] let mut $field = take!($kind, s, batch, $field);)*
                    ops::$op {
                        $($field: bind!($kind, s, batch, $field),)*
                        $($supplied: supply!($supplied, cx),)*
                    }
                    .run();
                    $(restore!($kind, s, $field);)*
                })*
            }
        }
    };
}

op_table!(define_execute);
