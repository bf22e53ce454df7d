//! NN025 `activation-scale-drift` (rules/docs/NN025.md): a predicted q_l or
//! Q_l outside [1e-4, 1e4] relative to q_1. R alone misses this: for
//! bias-free relu nets R ignores σ_w² while q grows (docs/lints-and-gradients.md,
//! "What R cannot see").

use super::context::LintContext;
use super::number::short;
use crate::diagnostic::Diagnostic;
use crate::rules::ACTIVATION_SCALE_DRIFT;

const DRIFT_LIMIT: f64 = 1e4;

pub fn check(ctx: &LintContext) -> Option<Diagnostic> {
    let rows: Vec<_> = ctx.analysis.weight_rows().collect();
    let q1 = rows.first()?.q;
    if q1 <= 0.0 {
        return None;
    }
    // The most extreme ratio (in log scale) over every later q and Q.
    let (index, ratio) = rows
        .iter()
        .enumerate()
        .skip(1)
        .flat_map(|(i, row)| [(i, row.q / q1), (i, row.big_q / q1)])
        .filter(|(_, ratio)| *ratio > 0.0)
        .max_by(|a, b| a.1.ln().abs().total_cmp(&b.1.ln().abs()))?;
    if (1.0 / DRIFT_LIMIT..=DRIFT_LIMIT).contains(&ratio) {
        return None;
    }
    let verb = if ratio > 1.0 { "grows" } else { "shrinks" };
    let row = rows[index];
    Some(
        Diagnostic::new(
            &ACTIVATION_SCALE_DRIFT,
            ctx.layer_span(row.layer),
            format!(
                "activation variance {verb} ×{} over {} layers",
                short(ratio),
                index + 1
            ),
        )
        .with_label(
            ctx.layer_span(rows[0].layer),
            format!("q_1 = {}", short(q1)),
        )
        .with_help("scale the init to the activation (kaiming for relu, xavier for tanh) or add normalization"),
    )
}
