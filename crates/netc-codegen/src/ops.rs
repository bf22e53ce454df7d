//! One emitter per Plan op kind: the kernel call the interpreter makes
//! for that op (`netc_plan`'s `interpreter/exec.rs`), with the widths as
//! literals. Linear and batchnorm go through `netc_runtime::fixed`'s
//! const-generic wrappers; everything else calls the runtime kernels.

use std::collections::HashMap;

use netc_plan::{Access, BufferId, OpKind};
use proc_macro2::TokenStream;
use quote::quote;

use crate::error::CodegenError;
use crate::layout::Layout;
use crate::values::{activation, f32_lit, loss, usize_lit};

type Emitted = Result<TokenStream, CodegenError>;

/// The statement running `op` for `batch` rows (a local of the
/// generated method).
pub fn emit_op(op: &OpKind, layout: &Layout<'_>) -> Emitted {
    check_aliasing(op, layout)?;
    let name = op.name();
    match op {
        OpKind::Linear {
            x,
            w,
            b,
            y,
            in_f,
            out_f,
        } => linear(layout, name, (*x, *w, *b, *y), (*in_f, *out_f)),
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
            let n = usize_lit(*n);
            let x = layout.get(*x, name)?;
            let gamma = layout.get_opt(*gamma, name)?;
            let beta = layout.get_opt(*beta, name)?;
            let y = layout.get_mut(*y, name)?;
            let xhat = layout.get_mut(*xhat, name)?;
            let mean = layout.get_mut(*mean, name)?;
            let invstd = layout.get_mut(*invstd, name)?;
            let rm = layout.get_mut(*running_mean, name)?;
            let rv = layout.get_mut(*running_var, name)?;
            let counter = layout.counter(*num_batches_tracked, name)?;
            let momentum = match momentum {
                Some(m) => {
                    let m = f32_lit(*m);
                    quote!(::core::option::Option::Some(#m))
                }
                None => quote!(::core::option::Option::None),
            };
            let eps = f32_lit(*eps);
            Ok(quote! {
                ::netc::runtime::fixed::batchnorm_forward_train::<#n>(
                    #x,
                    #gamma,
                    #beta,
                    #y,
                    #xhat,
                    ::netc::runtime::kernels::Stats {
                        mean: #mean,
                        invstd: #invstd,
                        running_mean: #rm,
                        running_var: #rv,
                    },
                    &mut #counter,
                    #momentum,
                    #eps,
                    batch,
                );
            })
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
            let n = usize_lit(*n);
            let x = layout.get(*x, name)?;
            let gamma = layout.get_opt(*gamma, name)?;
            let beta = layout.get_opt(*beta, name)?;
            let rm = layout.get(*running_mean, name)?;
            let rv = layout.get(*running_var, name)?;
            let y = layout.get_mut(*y, name)?;
            let eps = f32_lit(*eps);
            Ok(quote! {
                ::netc::runtime::fixed::batchnorm_forward_eval::<#n>(
                    #x, #gamma, #beta, #rm, #rv, #eps, #y, batch,
                );
            })
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
            let n = usize_lit(*n);
            let x = layout.get(*x, name)?;
            let gamma = layout.get_opt(*gamma, name)?;
            let beta = layout.get_opt(*beta, name)?;
            let y = layout.get_mut(*y, name)?;
            let xhat = layout.get_mut(*xhat, name)?;
            let invstd = layout.get_mut(*invstd, name)?;
            let eps = f32_lit(*eps);
            Ok(quote! {
                ::netc::runtime::kernels::layernorm_forward(
                    #x, #gamma, #beta, #y, #xhat, #invstd, #eps, batch, #n,
                );
            })
        }
        OpKind::Dropout { x, y, mask, p } => {
            let x = layout.get(*x, name)?;
            let y = layout.get_mut(*y, name)?;
            let mask = layout.get_mut(*mask, name)?;
            let p = f32_lit(*p);
            Ok(quote! {
                ::netc::runtime::kernels::dropout_forward(#x, #y, #mask, #p, &mut self.dropout);
            })
        }
        OpKind::Copy { x, y } => {
            let x = layout.get(*x, name)?;
            let y = layout.get_mut(*y, name)?;
            Ok(quote!((#y).copy_from_slice(#x);))
        }
        OpKind::Activation { act, x, y, width } => {
            let act = activation(act);
            let x = layout.get(*x, name)?;
            let y = layout.get_mut(*y, name)?;
            let width = usize_lit(*width);
            Ok(quote! {
                ::netc::runtime::kernels::activation_forward(&#act, #x, #y, #width);
            })
        }
        OpKind::Add { a, b, y } => {
            let a = layout.get(*a, name)?;
            let b = layout.get(*b, name)?;
            let y = layout.get_mut(*y, name)?;
            Ok(quote!(::netc::runtime::kernels::add_forward(#a, #b, #y);))
        }
        OpKind::Loss {
            loss: l,
            pred,
            target,
            out,
            width,
        } => {
            let l = loss(l);
            let pred = layout.get(*pred, name)?;
            let target = layout.get(*target, name)?;
            let out = layout.scalar(*out, name)?;
            let width = usize_lit(*width);
            Ok(quote! {
                #out = ::netc::runtime::loss::loss_forward(&#l, #pred, #target, batch, #width);
            })
        }
        OpKind::Zero { buf } => {
            let buf = layout.get_mut(*buf, name)?;
            Ok(quote!((#buf).fill(0.0);))
        }
        OpKind::LossBackward {
            loss: l,
            pred,
            target,
            dpred,
            width,
        } => {
            let l = loss(l);
            let pred = layout.get(*pred, name)?;
            let target = layout.get(*target, name)?;
            let dpred = layout.get_mut(*dpred, name)?;
            let width = usize_lit(*width);
            Ok(quote! {
                ::netc::runtime::loss::loss_backward(&#l, #pred, #target, #dpred, batch, #width);
            })
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
            let (in_f, out_f) = (usize_lit(*in_f), usize_lit(*out_f));
            let x = layout.get(*x, name)?;
            let w = layout.get(*w, name)?;
            let dy = layout.get(*dy, name)?;
            let dx = layout.get_mut_opt(*dx, name)?;
            let dw = layout.get_mut(*dw, name)?;
            let db = layout.get_mut_opt(*db, name)?;
            Ok(quote! {
                ::netc::runtime::fixed::linear_backward::<#in_f, #out_f>(
                    #x, #w, #dy, #dx, #dw, #db, batch,
                );
            })
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
        } => {
            let args = norm_backward_args(
                layout,
                name,
                [*dy, *xhat, *invstd, *dx],
                *gamma,
                [*dgamma, *dbeta],
            )?;
            let n = usize_lit(*n);
            Ok(quote!(::netc::runtime::fixed::batchnorm_backward::<#n>(#args batch);))
        }
        OpKind::LayerNormBackward {
            dy,
            xhat,
            invstd,
            gamma,
            dx,
            dgamma,
            dbeta,
            n,
        } => {
            let args = norm_backward_args(
                layout,
                name,
                [*dy, *xhat, *invstd, *dx],
                *gamma,
                [*dgamma, *dbeta],
            )?;
            let n = usize_lit(*n);
            Ok(quote!(::netc::runtime::kernels::layernorm_backward(#args batch, #n);))
        }
        OpKind::DropoutBackward { dy, mask, dx } => {
            let dy = layout.get(*dy, name)?;
            let mask = layout.get(*mask, name)?;
            let dx = layout.get_mut(*dx, name)?;
            Ok(quote!(::netc::runtime::kernels::dropout_backward(#dy, #mask, #dx);))
        }
        OpKind::ActivationBackward {
            act,
            x,
            y,
            dy,
            dx,
            width,
        } => {
            let act = activation(act);
            let x = layout.get(*x, name)?;
            let y = layout.get(*y, name)?;
            let dy = layout.get(*dy, name)?;
            let dx = layout.get_mut(*dx, name)?;
            let width = usize_lit(*width);
            Ok(quote! {
                ::netc::runtime::kernels::activation_backward(&#act, #x, #y, #dy, #dx, #width);
            })
        }
        OpKind::Accumulate { dst, src } => {
            let dst = layout.get_mut(*dst, name)?;
            let src = layout.get(*src, name)?;
            Ok(quote!(::netc::runtime::kernels::accumulate(#dst, #src);))
        }
        OpKind::GradNorm { grads, out } => {
            // PyTorch's total norm is the norm of the per-tensor norms.
            let terms = grads
                .iter()
                .map(|g| {
                    let g = layout.get(*g, name)?;
                    Ok(quote! {
                        sum_sq += f64::from(::netc::runtime::clip::global_grad_norm(&[#g])).powi(2);
                    })
                })
                .collect::<Result<Vec<_>, CodegenError>>()?;
            let out = layout.scalar(*out, name)?;
            Ok(quote! {
                let mut sum_sq = 0f64;
                #(#terms)*
                #out = sum_sq.sqrt() as f32;
            })
        }
        OpKind::ClipCoef {
            norm,
            max_norm,
            coef,
        } => {
            let norm = layout.scalar(*norm, name)?;
            let coef = layout.scalar(*coef, name)?;
            let max_norm = f32_lit(*max_norm);
            Ok(quote!(#coef = (#max_norm / (#norm + 1e-6f32)).min(1.0f32);))
        }
        OpKind::ScaleInto {
            src,
            coef,
            dst,
            len,
        } => {
            let factor = layout.scalar(*coef, name)?;
            let src = layout.get(*src, name)?;
            let dst = layout.get_mut(*dst, name)?;
            let len = usize_lit(*len);
            Ok(quote! {
                let factor = #factor;
                for (d, g) in (#dst)[..#len].iter_mut().zip(#src) {
                    *d = g * factor;
                }
            })
        }
        OpKind::OptimizerStep {
            param,
            grad,
            state,
            len,
        } => {
            let param = layout.get_mut(*param, name)?;
            // The gradient may live in a longer scratch buffer (clipping).
            let grad = layout.prefix(*grad, *len, name)?;
            let leader = layout.field(step_leader(layout).unwrap_or(*state));
            let state = layout.state(*state, name)?;
            // The step's scalars are computed once, by the first tensor's
            // op, and read back from its state by the others.
            Ok(quote! {
                let scalars = ::netc::runtime::optim::StepScalars::for_step(
                    &self.optimizer, self.step, self.#leader.last_step(),
                );
                ::netc::runtime::optim::apply_step(&scalars, #param, #grad, #state);
            })
        }
    }
}

/// The optimizer state of the update phase's first optimizer step: its
/// last scalars are the current step's once that op has run.
fn step_leader(layout: &Layout<'_>) -> Option<BufferId> {
    layout.plan.update.iter().find_map(|op| match op.kind {
        OpKind::OptimizerStep { state, .. } => Some(state),
        _ => None,
    })
}

fn linear(
    layout: &Layout<'_>,
    name: &'static str,
    (x, w, b, y): (BufferId, BufferId, Option<BufferId>, BufferId),
    (in_f, out_f): (usize, usize),
) -> Emitted {
    let (in_f, out_f) = (usize_lit(in_f), usize_lit(out_f));
    let x = layout.get(x, name)?;
    let w = layout.get(w, name)?;
    let b = layout.get_opt(b, name)?;
    let y = layout.get_mut(y, name)?;
    Ok(quote! {
        ::netc::runtime::fixed::linear_forward::<#in_f, #out_f>(#x, #w, #b, #y, batch);
    })
}

/// `dy, xhat, invstd, gamma, dx, dgamma, dbeta,` of a norm backward.
fn norm_backward_args(
    layout: &Layout<'_>,
    name: &'static str,
    [dy, xhat, invstd, dx]: [BufferId; 4],
    gamma: Option<BufferId>,
    [dgamma, dbeta]: [Option<BufferId>; 2],
) -> Emitted {
    let dy = layout.get(dy, name)?;
    let xhat = layout.get(xhat, name)?;
    let invstd = layout.get(invstd, name)?;
    let gamma = layout.get_opt(gamma, name)?;
    let dx = layout.get_mut(dx, name)?;
    let dgamma = layout.get_mut_opt(dgamma, name)?;
    let dbeta = layout.get_mut_opt(dbeta, name)?;
    Ok(quote!(#dy, #xhat, #invstd, #gamma, #dx, #dgamma, #dbeta,))
}

/// A written buffer may not appear twice in one op: generated code
/// borrows it exclusively.
fn check_aliasing(op: &OpKind, layout: &Layout<'_>) -> Result<(), CodegenError> {
    let mut uses: HashMap<BufferId, (usize, bool)> = HashMap::new();
    op.for_each_buffer(|id, access| {
        let entry = uses.entry(id).or_insert((0, false));
        entry.0 += 1;
        entry.1 |= access == Access::Write;
    });
    match uses
        .into_iter()
        .find(|(_, (count, written))| *written && *count > 1)
    {
        Some((id, _)) => Err(CodegenError::Aliased {
            op: op.name(),
            buffer: layout.plan.buffer(id).name.clone(),
        }),
        None => Ok(()),
    }
}
