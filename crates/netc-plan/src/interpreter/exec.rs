//! Runs one Plan op on the runtime kernels.

use netc_ops::Optimizer;
use netc_runtime::rng::Rng;
use netc_runtime::{clip, kernels, loss, optim};

use super::store::{Store, Taken};
use crate::plan::{BufferId, OpKind};

/// What an op needs besides the buffers.
pub(crate) struct Context<'a> {
    pub(crate) batch: usize,
    pub(crate) optimizer: &'a Optimizer,
    /// 1-based optimizer step.
    pub(crate) step: u64,
    pub(crate) dropout: &'a mut Rng,
}

pub(crate) fn execute(op: &OpKind, s: &mut Store, cx: &mut Context<'_>) {
    let batch = cx.batch;
    match *op {
        OpKind::Linear {
            x,
            w,
            b,
            y,
            in_f,
            out_f,
        } => {
            let mut out = s.take(y, batch);
            kernels::linear_forward(
                s.get(x, batch),
                s.get(w, batch),
                b.map(|b| s.get(b, batch)),
                out.slice(),
                batch,
                in_f,
                out_f,
            );
            s.restore(out);
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
            momentum,
            eps,
            n,
        } => {
            let mut outs =
                [y, xhat, mean, invstd, running_mean, running_var].map(|id| s.take(id, batch));
            let mut counter = s.counters[num_batches_tracked.0];
            let [y, xhat, mean, invstd, rm, rv] = &mut outs;
            kernels::batchnorm_forward_train(
                s.get(x, batch),
                gamma.map(|g| s.get(g, batch)),
                beta.map(|b| s.get(b, batch)),
                y.slice(),
                xhat.slice(),
                mean.slice(),
                invstd.slice(),
                rm.slice(),
                rv.slice(),
                &mut counter,
                momentum,
                eps,
                batch,
                n,
            );
            s.counters[num_batches_tracked.0] = counter;
            outs.into_iter().for_each(|t| s.restore(t));
        }
        OpKind::BatchNormEval {
            x,
            gamma,
            beta,
            running_mean,
            running_var,
            y,
            eps,
            n,
        } => {
            let mut out = s.take(y, batch);
            kernels::batchnorm_forward_eval(
                s.get(x, batch),
                gamma.map(|g| s.get(g, batch)),
                beta.map(|b| s.get(b, batch)),
                s.get(running_mean, batch),
                s.get(running_var, batch),
                eps,
                out.slice(),
                batch,
                n,
            );
            s.restore(out);
        }
        OpKind::LayerNorm {
            x,
            gamma,
            beta,
            y,
            xhat,
            invstd,
            eps,
            n,
        } => {
            let mut outs = [y, xhat, invstd].map(|id| s.take(id, batch));
            let [y, xhat, invstd] = &mut outs;
            kernels::layernorm_forward(
                s.get(x, batch),
                gamma.map(|g| s.get(g, batch)),
                beta.map(|b| s.get(b, batch)),
                y.slice(),
                xhat.slice(),
                invstd.slice(),
                eps,
                batch,
                n,
            );
            outs.into_iter().for_each(|t| s.restore(t));
        }
        OpKind::Dropout { x, y, mask, p } => {
            let mut outs = [y, mask].map(|id| s.take(id, batch));
            let [y, mask] = &mut outs;
            kernels::dropout_forward(s.get(x, batch), y.slice(), mask.slice(), p, cx.dropout);
            outs.into_iter().for_each(|t| s.restore(t));
        }
        OpKind::Copy { x, y } => {
            let mut out = s.take(y, batch);
            out.slice().copy_from_slice(s.get(x, batch));
            s.restore(out);
        }
        OpKind::Activation { act, x, y, width } => {
            let mut out = s.take(y, batch);
            kernels::activation_forward(&act, s.get(x, batch), out.slice(), width);
            s.restore(out);
        }
        OpKind::Add { a, b, y } => {
            let mut out = s.take(y, batch);
            kernels::add_forward(s.get(a, batch), s.get(b, batch), out.slice());
            s.restore(out);
        }
        OpKind::Loss {
            loss,
            pred,
            target,
            out,
            width,
        } => {
            let value = loss::loss_forward(
                &loss,
                s.get(pred, batch),
                s.get(target, batch),
                batch,
                width,
            );
            s.get_mut(out, batch)[0] = value;
        }
        OpKind::Zero { buf } => s.get_mut(buf, batch).fill(0.0),
        OpKind::LossBackward {
            loss,
            pred,
            target,
            dpred,
            width,
        } => {
            let mut out = s.take(dpred, batch);
            loss::loss_backward(
                &loss,
                s.get(pred, batch),
                s.get(target, batch),
                out.slice(),
                batch,
                width,
            );
            s.restore(out);
        }
        OpKind::LinearBackward {
            x,
            w,
            dy,
            dx,
            dw,
            db,
            in_f,
            out_f,
        } => {
            let mut dx = s.take_opt(dx, batch);
            let mut dw = s.take(dw, batch);
            let mut db = s.take_opt(db, batch);
            kernels::linear_backward(
                s.get(x, batch),
                s.get(w, batch),
                s.get(dy, batch),
                dx.as_mut().map(Taken::slice),
                dw.slice(),
                db.as_mut().map(Taken::slice),
                batch,
                in_f,
                out_f,
            );
            s.restore_opt(dx);
            s.restore(dw);
            s.restore_opt(db);
        }
        OpKind::BatchNormBackward {
            dy,
            xhat,
            invstd,
            gamma,
            dx,
            dgamma,
            dbeta,
            n,
        } => norm_backward(
            kernels::batchnorm_backward,
            NormGrads {
                dy,
                xhat,
                invstd,
                gamma,
                dx,
                dgamma,
                dbeta,
                n,
            },
            s,
            batch,
        ),
        OpKind::LayerNormBackward {
            dy,
            xhat,
            invstd,
            gamma,
            dx,
            dgamma,
            dbeta,
            n,
        } => norm_backward(
            kernels::layernorm_backward,
            NormGrads {
                dy,
                xhat,
                invstd,
                gamma,
                dx,
                dgamma,
                dbeta,
                n,
            },
            s,
            batch,
        ),
        OpKind::DropoutBackward { dy, mask, dx } => {
            let mut out = s.take(dx, batch);
            kernels::dropout_backward(s.get(dy, batch), s.get(mask, batch), out.slice());
            s.restore(out);
        }
        OpKind::ActivationBackward {
            act,
            x,
            y,
            dy,
            dx,
            width,
        } => {
            let mut out = s.take(dx, batch);
            kernels::activation_backward(
                &act,
                s.get(x, batch),
                s.get(y, batch),
                s.get(dy, batch),
                out.slice(),
                width,
            );
            s.restore(out);
        }
        OpKind::Accumulate { dst, src } => {
            let mut out = s.take(dst, batch);
            kernels::accumulate(out.slice(), s.get(src, batch));
            s.restore(out);
        }
        OpKind::GradNorm { ref grads, out } => {
            // PyTorch's total norm is the norm of the per-tensor norms.
            let sum_sq: f64 = grads
                .iter()
                .map(|g| f64::from(clip::global_grad_norm(&[s.get(*g, batch)])).powi(2))
                .sum();
            s.get_mut(out, batch)[0] = sum_sq.sqrt() as f32;
        }
        OpKind::ClipCoef {
            norm,
            max_norm,
            coef,
        } => {
            let total = s.get(norm, batch)[0];
            s.get_mut(coef, batch)[0] = (max_norm / (total + 1e-6)).min(1.0);
        }
        OpKind::ScaleInto {
            src,
            coef,
            dst,
            len,
        } => {
            let factor = s.get(coef, batch)[0];
            let mut out = s.take(dst, batch);
            for (d, g) in out.slice()[..len].iter_mut().zip(s.get(src, batch)) {
                *d = g * factor;
            }
            s.restore(out);
        }
        OpKind::OptimizerStep {
            param,
            grad,
            state,
            len,
        } => {
            let scalars =
                optim::StepScalars::for_step(cx.optimizer, cx.step, s.step_scalars.as_ref());
            s.step_scalars = Some(scalars);
            let mut param = s.take(param, batch);
            if let Some(param_state) = s.states[state.0].as_mut() {
                optim::apply_step(&scalars, param.slice(), &s.data[grad.0][..len], param_state);
            }
            s.restore(param);
        }
    }
}

type NormBackward = fn(
    &[f32],
    &[f32],
    &[f32],
    Option<&[f32]>,
    &mut [f32],
    Option<&mut [f32]>,
    Option<&mut [f32]>,
    usize,
    usize,
);

/// The operands of a batchnorm or layernorm backward op.
struct NormGrads {
    dy: BufferId,
    xhat: BufferId,
    invstd: BufferId,
    gamma: Option<BufferId>,
    dx: BufferId,
    dgamma: Option<BufferId>,
    dbeta: Option<BufferId>,
    n: usize,
}

/// Batchnorm and layernorm backward share one signature.
fn norm_backward(kernel: NormBackward, op: NormGrads, s: &mut Store, batch: usize) {
    let mut dx = s.take(op.dx, batch);
    let mut dgamma = s.take_opt(op.dgamma, batch);
    let mut dbeta = s.take_opt(op.dbeta, batch);
    kernel(
        s.get(op.dy, batch),
        s.get(op.xhat, batch),
        s.get(op.invstd, batch),
        op.gamma.map(|g| s.get(g, batch)),
        dx.slice(),
        dgamma.as_mut().map(Taken::slice),
        dbeta.as_mut().map(Taken::slice),
        batch,
        op.n,
    );
    s.restore(dx);
    s.restore_opt(dgamma);
    s.restore_opt(dbeta);
}
