//! Expressions on one line: `linear(9, 16, init=zeros)`, `(0.9, 0.999)`,
//! `x + y`, `(5 - 1) // 2`. Arithmetic keeps the user's parentheses (a
//! group is a one-element tuple in the tree) and adds none: each operand
//! prints as it was written. A `//` stays a division: its left operand
//! ends and its right operand starts as written, on the same line.

use netc_lang::ast::{Arg, Expr, ExprKind, Number};

/// `expr` written flat, in the canonical spelling.
pub fn flat(expr: &Expr) -> String {
    let mut out = String::new();
    write(&mut out, expr);
    out
}

/// One argument written flat: `16` or `init=zeros`.
pub fn arg(arg: &Arg) -> String {
    match &arg.key {
        Some(key) => format!("{}={}", key.name, flat(&arg.value)),
        None => flat(&arg.value),
    }
}

fn write(out: &mut String, expr: &Expr) {
    match &expr.kind {
        ExprKind::Number(number) => out.push_str(&number_text(number)),
        ExprKind::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
        ExprKind::Str(text) => {
            out.push('"');
            out.push_str(text);
            out.push('"');
        }
        ExprKind::Name(name) => out.push_str(name),
        ExprKind::Tuple(items) => {
            out.push('(');
            join(out, items, ", ", write);
            out.push(')');
        }
        ExprKind::Call(call) => {
            out.push_str(&call.callee.name);
            out.push('(');
            join(out, &call.args, ", ", |out, a| out.push_str(&arg(a)));
            out.push(')');
        }
        ExprKind::Add(terms) => join(out, terms, " + ", write),
        ExprKind::Arith(chain) => {
            write(out, &chain.first);
            for step in &chain.rest {
                out.push(' ');
                out.push_str(step.op.symbol());
                out.push(' ');
                write(out, &step.operand);
            }
        }
    }
}

fn join<T>(out: &mut String, items: &[T], separator: &str, mut each: impl FnMut(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        each(out, item);
    }
}

/// A number as written, with a lower-case exponent marker (`1E-3` →
/// `1e-3`, the same value).
fn number_text(number: &Number) -> String {
    number.text.replace('E', "e")
}
