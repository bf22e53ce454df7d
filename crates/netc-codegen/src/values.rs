//! The runtime's vocabulary (activations, losses, optimizers, inits) as
//! constant Rust expressions, with floats spelled exactly.

use netc_ops::{Activation, FanMode, Init, Loss, LrSchedule, Nonlinearity, Optimizer, TrainConfig};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

/// An f32 literal that reads back to exactly `value`; non-finite values
/// (which have no literal) go through their bits.
pub fn f32_lit(value: f32) -> TokenStream {
    if value.is_finite() {
        let lit = Literal::f32_suffixed(value);
        quote!(#lit)
    } else {
        let bits = Literal::u32_suffixed(value.to_bits());
        quote!(::core::primitive::f32::from_bits(#bits))
    }
}

/// [`f32_lit`] for f64.
pub fn f64_lit(value: f64) -> TokenStream {
    if value.is_finite() {
        let lit = Literal::f64_suffixed(value);
        quote!(#lit)
    } else {
        let bits = Literal::u64_suffixed(value.to_bits());
        quote!(::core::primitive::f64::from_bits(#bits))
    }
}

pub fn usize_lit(value: usize) -> Literal {
    Literal::usize_unsuffixed(value)
}

/// The activation as a literal, spelled from its variant and parameters so
/// a new activation needs nothing here.
pub fn activation(act: &Activation) -> TokenStream {
    let variant = format_ident!("{}", act.variant());
    let parameters = act.parameters();
    if parameters.is_empty() {
        return quote!(::netc::ops::Activation::#variant);
    }
    let fields = parameters.iter().map(|&(name, value)| {
        let (name, value) = (format_ident!("{name}"), f64_lit(value));
        quote!(#name: #value)
    });
    quote!(::netc::ops::Activation::#variant { #(#fields),* })
}

pub fn loss(loss: &Loss) -> TokenStream {
    let path = quote!(::netc::ops::Loss);
    match *loss {
        Loss::Bce => quote!(#path::Bce),
        Loss::BceWithLogits => quote!(#path::BceWithLogits),
        Loss::CrossEntropy => quote!(#path::CrossEntropy),
        Loss::Mse => quote!(#path::Mse),
        Loss::L1 => quote!(#path::L1),
        Loss::Huber { delta } => {
            let d = f64_lit(delta);
            quote!(#path::Huber { delta: #d })
        }
    }
}

pub fn optimizer(opt: &Optimizer) -> TokenStream {
    let path = quote!(::netc::ops::Optimizer);
    match *opt {
        Optimizer::Sgd {
            lr,
            momentum,
            nesterov,
            weight_decay,
        } => {
            let (lr, m, wd) = (f64_lit(lr), f64_lit(momentum), f64_lit(weight_decay));
            quote!(#path::Sgd { lr: #lr, momentum: #m, nesterov: #nesterov, weight_decay: #wd })
        }
        Optimizer::Adam {
            lr,
            betas,
            eps,
            weight_decay,
        } => {
            let fields = adam_fields(lr, betas, eps, weight_decay);
            quote!(#path::Adam { #fields })
        }
        Optimizer::AdamW {
            lr,
            betas,
            eps,
            weight_decay,
        } => {
            let fields = adam_fields(lr, betas, eps, weight_decay);
            quote!(#path::AdamW { #fields })
        }
    }
}

fn adam_fields(lr: f64, betas: (f64, f64), eps: f64, weight_decay: f64) -> TokenStream {
    let (lr, b1, b2) = (f64_lit(lr), f64_lit(betas.0), f64_lit(betas.1));
    let (eps, wd) = (f64_lit(eps), f64_lit(weight_decay));
    quote!(lr: #lr, betas: (#b1, #b2), eps: #eps, weight_decay: #wd)
}

pub fn init(init: &Init) -> TokenStream {
    let path = quote!(::netc::ops::Init);
    match *init {
        Init::KaimingUniform {
            a,
            mode,
            nonlinearity: nl,
        } => {
            let (a, mode, nl) = (f64_lit(a), fan_mode(mode), nonlinearity(nl));
            quote!(#path::KaimingUniform { a: #a, mode: #mode, nonlinearity: #nl })
        }
        Init::KaimingNormal {
            a,
            mode,
            nonlinearity: nl,
        } => {
            let (a, mode, nl) = (f64_lit(a), fan_mode(mode), nonlinearity(nl));
            quote!(#path::KaimingNormal { a: #a, mode: #mode, nonlinearity: #nl })
        }
        Init::XavierUniform { gain } => {
            let g = f64_lit(gain);
            quote!(#path::XavierUniform { gain: #g })
        }
        Init::XavierNormal { gain } => {
            let g = f64_lit(gain);
            quote!(#path::XavierNormal { gain: #g })
        }
        Init::Orthogonal { gain } => {
            let g = f64_lit(gain);
            quote!(#path::Orthogonal { gain: #g })
        }
        Init::Uniform { a, b } => {
            let (a, b) = (f64_lit(a), f64_lit(b));
            quote!(#path::Uniform { a: #a, b: #b })
        }
        Init::Normal { mean, std } => {
            let (m, s) = (f64_lit(mean), f64_lit(std));
            quote!(#path::Normal { mean: #m, std: #s })
        }
        Init::TruncNormal { mean, std, a, b } => {
            let (m, s, a, b) = (f64_lit(mean), f64_lit(std), f64_lit(a), f64_lit(b));
            quote!(#path::TruncNormal { mean: #m, std: #s, a: #a, b: #b })
        }
        Init::Zeros => quote!(#path::Zeros),
        Init::Ones => quote!(#path::Ones),
        Init::Constant { value } => {
            let v = f64_lit(value);
            quote!(#path::Constant { value: #v })
        }
    }
}

/// The whole train block, so programs can train as `netc train` does.
pub fn train_config(config: &TrainConfig) -> TokenStream {
    let loss = loss(&config.loss);
    let optimizer = optimizer(&config.optimizer);
    let (batch, epochs) = (usize_lit(config.batch), usize_lit(config.epochs));
    let seed = Literal::u64_suffixed(config.seed);
    let clip = option(config.clip_grad_norm.map(f64_lit));
    let schedule = option(config.lr_schedule.map(|s| lr_schedule(&s)));
    let text = |value: &Option<String>| {
        option(
            value
                .as_ref()
                .map(|v| quote!(::std::string::String::from(#v))),
        )
    };
    let (data, target) = (text(&config.data), text(&config.target));
    quote! {
        ::netc::ops::TrainConfig {
            loss: #loss,
            optimizer: #optimizer,
            batch: #batch,
            epochs: #epochs,
            clip_grad_norm: #clip,
            seed: #seed,
            lr_schedule: #schedule,
            data: #data,
            target: #target,
        }
    }
}

fn lr_schedule(schedule: &LrSchedule) -> TokenStream {
    match *schedule {
        LrSchedule::Step { step_size, gamma } => {
            let (step_size, gamma) = (usize_lit(step_size), f64_lit(gamma));
            quote!(::netc::ops::LrSchedule::Step { step_size: #step_size, gamma: #gamma })
        }
        LrSchedule::Cosine { t_max, eta_min } => {
            let t_max = option(t_max.map(|t| {
                let t = usize_lit(t);
                quote!(#t)
            }));
            let eta_min = f64_lit(eta_min);
            quote!(::netc::ops::LrSchedule::Cosine { t_max: #t_max, eta_min: #eta_min })
        }
    }
}

fn option(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(value) => quote!(::core::option::Option::Some(#value)),
        None => quote!(::core::option::Option::None),
    }
}

fn fan_mode(mode: FanMode) -> TokenStream {
    match mode {
        FanMode::FanIn => quote!(::netc::ops::FanMode::FanIn),
        FanMode::FanOut => quote!(::netc::ops::FanMode::FanOut),
    }
}

fn nonlinearity(nl: Nonlinearity) -> TokenStream {
    let path = quote!(::netc::ops::Nonlinearity);
    match nl {
        Nonlinearity::Linear => quote!(#path::Linear),
        Nonlinearity::Sigmoid => quote!(#path::Sigmoid),
        Nonlinearity::Tanh => quote!(#path::Tanh),
        Nonlinearity::Relu => quote!(#path::Relu),
        Nonlinearity::LeakyRelu => quote!(#path::LeakyRelu),
        Nonlinearity::Selu => quote!(#path::Selu),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_literals_read_back_exactly() {
        for v in [0.1f32, 1e-5, 1.0 / 3.0, f32::MIN_POSITIVE, -2.5e30] {
            // A negative literal prints as `- 2.5..`: unary minus in Rust.
            let text = f32_lit(v).to_string().replace("- ", "-");
            let parsed: f32 = text
                .trim_end_matches("f32")
                .parse()
                .unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed.to_bits(), v.to_bits(), "{text}");
        }
        let text = f64_lit(0.1 + 0.2).to_string();
        assert_eq!(
            text.trim_end_matches("f64").parse::<f64>().unwrap(),
            0.1 + 0.2
        );
    }

    #[test]
    fn non_finite_floats_go_through_their_bits() {
        assert!(f32_lit(f32::INFINITY).to_string().contains("from_bits"));
        assert!(f64_lit(f64::NAN).to_string().contains("from_bits"));
    }
}
