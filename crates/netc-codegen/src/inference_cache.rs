//! The generated type's inference cache: what the eval-mode forward
//! derives from weights and statistics alone — each linear layer's weight
//! packed into the kernel's transposed panel, each batchnorm's eval
//! `scale`/`shift` — computed once and reused by every `predict` until a
//! train step, a weight load or a parameter borrow marks it stale.
//!
//! The cached kernels give the same bits as the uncached ones (the
//! runtime tests them against each other), so the interpreter, which
//! recomputes them per call, still agrees exactly.

use netc_plan::{BufferId, OpKind, Plan};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::error::CodegenError;
use crate::layout::Layout;
use crate::values::{f32_lit, usize_lit};

type Emitted = Result<TokenStream, CodegenError>;

/// One cached value, named after the buffer it is derived from.
enum Entry {
    /// The packed panel of a linear weight `[out, in]`.
    Panel {
        w: BufferId,
        in_f: usize,
        out_f: usize,
    },
    /// `scale`/`shift` of a batchnorm in eval mode, keyed by its running
    /// mean (one per layer, however often it is called).
    Affine {
        gamma: Option<BufferId>,
        beta: Option<BufferId>,
        running_mean: BufferId,
        running_var: BufferId,
        eps: f32,
        n: usize,
    },
}

pub struct InferenceCache<'p> {
    layout: &'p Layout<'p>,
    entries: Vec<Entry>,
}

impl<'p> InferenceCache<'p> {
    /// The entries the plan's inference ops read, each once.
    pub fn new(plan: &Plan, layout: &'p Layout<'p>) -> Self {
        let mut entries: Vec<Entry> = Vec::new();
        for op in &plan.inference {
            let entry = match op.kind {
                OpKind::Linear { w, in_f, out_f, .. } => Entry::Panel { w, in_f, out_f },
                OpKind::BatchNormEval {
                    gamma,
                    beta,
                    running_mean,
                    running_var,
                    eps,
                    n,
                    ..
                } => Entry::Affine {
                    gamma,
                    beta,
                    running_mean,
                    running_var,
                    eps,
                    n,
                },
                _ => continue,
            };
            if !entries.iter().any(|e| e.key() == entry.key()) {
                entries.push(entry);
            }
        }
        InferenceCache { layout, entries }
    }

    /// The cache's field declarations. Panels start on a cache line, so
    /// that each 16-wide tile is one line.
    pub fn fields(&self) -> TokenStream {
        let fields = self.entries.iter().map(|entry| match *entry {
            Entry::Panel { w, .. } => {
                let field = panel_field(w);
                quote!(#field: ::netc::runtime::fixed::CacheAligned,)
            }
            Entry::Affine { running_mean, .. } => {
                let (scale, shift) = affine_fields(running_mean);
                quote! {
                    #scale: ::std::boxed::Box<[f32]>,
                    #shift: ::std::boxed::Box<[f32]>,
                }
            }
        });
        quote! {
            #(#fields)*
            /// Whether the cache may lag behind the weights or statistics.
            inference_cache_stale: bool,
        }
    }

    /// The fields' initialisers in `new`: sized, stale.
    pub fn field_inits(&self) -> TokenStream {
        let inits = self.entries.iter().map(|entry| match *entry {
            Entry::Panel { w, in_f, out_f } => {
                let field = panel_field(w);
                let (in_f, out_f) = (usize_lit(in_f), usize_lit(out_f));
                // Empty for a layer the packed kernel does not take.
                quote! {
                    #field: ::netc::runtime::fixed::CacheAligned::zeroed(
                        ::netc::runtime::fixed::linear_panel_len(#in_f, #out_f),
                    ),
                }
            }
            Entry::Affine {
                running_mean, n, ..
            } => {
                let (scale, shift) = affine_fields(running_mean);
                let n = usize_lit(n);
                quote! {
                    #scale: ::std::vec![0.0f32; #n].into_boxed_slice(),
                    #shift: ::std::vec![0.0f32; #n].into_boxed_slice(),
                }
            }
        });
        quote!(#(#inits)* inference_cache_stale: true,)
    }

    /// `refresh_inference_cache`, which the eval-mode forward calls first
    /// when the cache is stale.
    pub fn refresh(&self) -> Emitted {
        let mut body = TokenStream::new();
        for entry in &self.entries {
            body.extend(self.refresh_entry(entry)?);
        }
        Ok(quote! {
            /// Recomputes every cached value from the current weights and
            /// statistics.
            fn refresh_inference_cache(&mut self) {
                #body
                self.inference_cache_stale = false;
            }
        })
    }

    fn refresh_entry(&self, entry: &Entry) -> Emitted {
        const OP: &str = "inference cache";
        Ok(match *entry {
            Entry::Panel { w, in_f, out_f } => {
                let field = panel_field(w);
                let w = self.layout.whole(w, OP)?;
                let (in_f, out_f) = (usize_lit(in_f), usize_lit(out_f));
                quote! {
                    ::netc::runtime::fixed::pack_linear_panel::<#in_f, #out_f>(
                        #w,
                        &mut self.#field[..],
                    );
                }
            }
            Entry::Affine {
                gamma,
                beta,
                running_mean,
                running_var,
                eps,
                n,
            } => {
                let (scale, shift) = affine_fields(running_mean);
                let gamma = self.layout.whole_opt(gamma, OP)?;
                let beta = self.layout.whole_opt(beta, OP)?;
                let rm = self.layout.whole(running_mean, OP)?;
                let rv = self.layout.whole(running_var, OP)?;
                let (eps, n) = (f32_lit(eps), usize_lit(n));
                quote! {
                    ::netc::runtime::fixed::batchnorm_eval_affine::<#n>(
                        #gamma, #beta, #rm, #rv, #eps,
                        &mut self.#scale[..],
                        &mut self.#shift[..],
                    );
                }
            }
        })
    }

    /// The statement running an inference op from the cache, or `None`
    /// for an op that reads nothing cached.
    pub fn emit_op(&self, op: &OpKind) -> Result<Option<TokenStream>, CodegenError> {
        let layout = self.layout;
        let name = op.name();
        Ok(Some(match *op {
            OpKind::Linear {
                x,
                w,
                b,
                y,
                in_f,
                out_f,
            } => {
                let panel = panel_field(w);
                let (x, w) = (layout.get(x, name)?, layout.get(w, name)?);
                let b = layout.get_opt(b, name)?;
                let y = layout.get_mut(y, name)?;
                let (in_f, out_f) = (usize_lit(in_f), usize_lit(out_f));
                // A layer without a panel (`linear_packs`) runs unpacked.
                quote! {
                    ::netc::runtime::fixed::linear_forward_packed::<#in_f, #out_f>(
                        #x, #w, &self.#panel[..], #b, #y, batch,
                    );
                }
            }
            OpKind::BatchNormEval {
                x,
                running_mean,
                y,
                n,
                ..
            } => {
                let (scale, shift) = affine_fields(running_mean);
                let x = layout.get(x, name)?;
                let y = layout.get_mut(y, name)?;
                let n = usize_lit(n);
                quote! {
                    ::netc::runtime::fixed::batchnorm_apply::<#n>(
                        #x, &self.#scale[..], &self.#shift[..], #y, batch,
                    );
                }
            }
            _ => return Ok(None),
        }))
    }
}

impl Entry {
    /// The buffer the entry is derived from: one entry per buffer.
    fn key(&self) -> BufferId {
        match *self {
            Entry::Panel { w, .. } => w,
            Entry::Affine { running_mean, .. } => running_mean,
        }
    }
}

/// `c3_panel` for the weight in buffer 3 (buffer fields start with `b`,
/// so the names never clash).
fn panel_field(w: BufferId) -> Ident {
    Ident::new(&format!("c{}_panel", w.0), Span::call_site())
}

fn affine_fields(running_mean: BufferId) -> (Ident, Ident) {
    let id = running_mean.0;
    (
        Ident::new(&format!("c{id}_scale"), Span::call_site()),
        Ident::new(&format!("c{id}_shift"), Span::call_site()),
    )
}
