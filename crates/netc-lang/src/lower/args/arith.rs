//! Integer arithmetic in arguments, `linear(16 * 5 * 5, 120)`: evaluated
//! on `i64` with every step checked, so a division by zero, an overflow or
//! an operand that is no integer is an NN037 at that operand or step,
//! never a panic or a wrapped value.

use crate::ast::{BinOp, Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::rules;
use crate::span::Span;

/// The value of `expr` as integer arithmetic, the argument being `param`;
/// NN037 at the sub-expression that fails.
pub(super) fn evaluate(expr: &Expr, param: &str) -> Result<i64, Box<Diagnostic>> {
    let expr = expr.ungrouped();
    match &expr.kind {
        ExprKind::Number(n) if n.is_integer_literal() => n.text.parse::<i64>().map_err(|_| {
            boxed(
                expr.span,
                format!("`{}` in `{param}` is too large", n.text),
                "beyond the 64-bit integer range",
            )
        }),
        ExprKind::Number(n) => Err(Box::new(
            error(
                expr.span,
                format!(
                    "`{param}` is integer arithmetic, but `{}` is not an integer",
                    n.text
                ),
                "not an integer",
            )
            .with_help("arithmetic in arguments is on integers only"),
        )),
        ExprKind::Add(terms) => {
            let mut terms = terms.iter();
            let Some(first) = terms.next() else {
                return Err(not_an_integer(expr, param));
            };
            let mut value = evaluate(first, param)?;
            for term in terms {
                let operand = evaluate(term, param)?;
                let step = Span::new(expr.span.start, term.span.end);
                value = apply(BinOp::Add, value, operand, step, term.span, param)?;
            }
            Ok(value)
        }
        ExprKind::Arith(chain) => {
            let mut value = evaluate(&chain.first, param)?;
            for step in &chain.rest {
                let operand = evaluate(&step.operand, param)?;
                let span = Span::new(expr.span.start, step.operand.span.end);
                value = apply(step.op, value, operand, span, step.operand.span, param)?;
            }
            Ok(value)
        }
        _ => Err(not_an_integer(expr, param)),
    }
}

/// `left op right`, where `step` spans the sub-expression and `right_span`
/// the right operand.
fn apply(
    op: BinOp,
    left: i64,
    right: i64,
    step: Span,
    right_span: Span,
    param: &str,
) -> Result<i64, Box<Diagnostic>> {
    if op == BinOp::FloorDiv && right == 0 {
        return Err(boxed(
            right_span,
            format!("division by zero in `{param}`"),
            "this is 0",
        ));
    }
    let value = match op {
        BinOp::Add => left.checked_add(right),
        BinOp::Sub => left.checked_sub(right),
        BinOp::Mul => left.checked_mul(right),
        BinOp::FloorDiv => floor_div(left, right),
    };
    value.ok_or_else(|| {
        boxed(
            step,
            format!("integer overflow in `{param}`"),
            "beyond the 64-bit integer range",
        )
    })
}

/// Python's `//`: the quotient rounded toward negative infinity (`-7 // 2`
/// is -4); `None` on overflow (`i64::MIN // -1`). `right` is not 0.
fn floor_div(left: i64, right: i64) -> Option<i64> {
    let quotient = left.checked_div(right)?;
    let inexact = left % right != 0;
    if inexact && ((left < 0) != (right < 0)) {
        Some(quotient - 1)
    } else {
        Some(quotient)
    }
}

fn not_an_integer(expr: &Expr, param: &str) -> Box<Diagnostic> {
    boxed(
        expr.span,
        format!(
            "`{param}` is integer arithmetic, but found {} in it",
            expr.describe()
        ),
        "expected an integer",
    )
}

fn error(span: Span, message: String, label: &str) -> Diagnostic {
    Diagnostic::new(&rules::INVALID_VALUE, span, message).with_span_label(label)
}

/// [`error`], boxed: an `Err` small enough to pass up the recursion.
fn boxed(span: Span, message: String, label: &str) -> Box<Diagnostic> {
    Box::new(error(span, message, label))
}

#[cfg(test)]
mod tests {
    use super::floor_div;

    #[test]
    fn floor_division_rounds_toward_negative_infinity() {
        assert_eq!(floor_div(7, 2), Some(3));
        assert_eq!(floor_div(-7, 2), Some(-4));
        assert_eq!(floor_div(7, -2), Some(-4));
        assert_eq!(floor_div(-7, -2), Some(3));
        assert_eq!(floor_div(-8, 2), Some(-4));
        assert_eq!(floor_div(i64::MIN, -1), None);
    }
}
