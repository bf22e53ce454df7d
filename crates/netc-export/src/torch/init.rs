//! A linear layer's init as `torch.nn.init` calls, after `nn.Linear`'s
//! own defaults (which stay wherever the model file says nothing).

use netc_ops::{FanMode, Init, Nonlinearity};

use super::python::float;

/// The statement initialising `target` (`self.fc1.weight`) of a linear
/// layer with fans `fan_in`/`fan_out`.
pub fn weight_call(init: &Init, target: &str) -> String {
    let call = |name: &str, args: Vec<String>| {
        let mut all = vec![target.to_string()];
        all.extend(args);
        format!("nn.init.{name}_({})", all.join(", "))
    };
    match *init {
        Init::KaimingUniform {
            a,
            mode,
            nonlinearity,
        } => call("kaiming_uniform", kaiming_args(a, mode, nonlinearity)),
        Init::KaimingNormal {
            a,
            mode,
            nonlinearity,
        } => call("kaiming_normal", kaiming_args(a, mode, nonlinearity)),
        Init::XavierUniform { gain } => call("xavier_uniform", gain_args(gain)),
        Init::XavierNormal { gain } => call("xavier_normal", gain_args(gain)),
        Init::Orthogonal { gain } => call("orthogonal", gain_args(gain)),
        Init::Uniform { a, b } => call(
            "uniform",
            vec![format!("a={}", float(a)), format!("b={}", float(b))],
        ),
        Init::Normal { mean, std } => call(
            "normal",
            vec![
                format!("mean={}", float(mean)),
                format!("std={}", float(std)),
            ],
        ),
        Init::TruncNormal { mean, std, a, b } => call(
            "trunc_normal",
            vec![
                format!("mean={}", float(mean)),
                format!("std={}", float(std)),
                format!("a={}", float(a)),
                format!("b={}", float(b)),
            ],
        ),
        Init::Zeros => call("zeros", Vec::new()),
        Init::Ones => call("ones", Vec::new()),
        Init::Constant { value } => call("constant", vec![format!("val={}", float(value))]),
    }
}

/// The statement initialising a bias `target`. PyTorch computes no fans
/// for a 1-d tensor, so a fan-based init gets the weight's fans as netc
/// gives it: written out as the bound or deviation it draws with.
pub fn bias_call(init: &Init, target: &str, fan_in: usize, fan_out: usize) -> String {
    let fan = |mode: FanMode| match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    } as f64;
    let explained = |what: &str, call: String| {
        format!("{call}  # {what} with the weight's fans (PyTorch has none for a bias)")
    };
    match *init {
        Init::KaimingUniform {
            a,
            mode,
            nonlinearity,
        } => {
            let bound = nonlinearity.gain(Some(a)) * (3.0 / fan(mode)).sqrt();
            explained("kaiming_uniform", uniform(target, bound))
        }
        Init::KaimingNormal {
            a,
            mode,
            nonlinearity,
        } => {
            let std = nonlinearity.gain(Some(a)) / fan(mode).sqrt();
            explained("kaiming_normal", normal(target, std))
        }
        Init::XavierUniform { gain } => {
            let bound = gain * (6.0 / (fan_in + fan_out) as f64).sqrt();
            explained("xavier_uniform", uniform(target, bound))
        }
        Init::XavierNormal { gain } => {
            let std = gain * (2.0 / (fan_in + fan_out) as f64).sqrt();
            explained("xavier_normal", normal(target, std))
        }
        // netc orthogonalises the bias as a one-column matrix.
        Init::Orthogonal { gain } => weight_call(
            &Init::Orthogonal { gain },
            &format!("{target}.unsqueeze(1)"),
        ),
        _ => weight_call(init, target),
    }
}

fn uniform(target: &str, bound: f64) -> String {
    format!(
        "nn.init.uniform_({target}, a={}, b={})",
        float(-bound),
        float(bound)
    )
}

fn normal(target: &str, std: f64) -> String {
    format!("nn.init.normal_({target}, mean=0.0, std={})", float(std))
}

/// Only the arguments that differ from `torch.nn.init`'s defaults
/// (`a=0`, `mode="fan_in"`, `nonlinearity="leaky_relu"`).
fn kaiming_args(a: f64, mode: FanMode, nonlinearity: Nonlinearity) -> Vec<String> {
    let mut args = Vec::new();
    if a != 0.0 {
        args.push(format!("a={}", float(a)));
    }
    if mode == FanMode::FanOut {
        args.push("mode=\"fan_out\"".into());
    }
    if nonlinearity != Nonlinearity::LeakyRelu {
        args.push(format!(
            "nonlinearity=\"{}\"",
            nonlinearity_name(nonlinearity)
        ));
    }
    args
}

fn gain_args(gain: f64) -> Vec<String> {
    if gain == 1.0 {
        Vec::new()
    } else {
        vec![format!("gain={}", float(gain))]
    }
}

fn nonlinearity_name(nonlinearity: Nonlinearity) -> &'static str {
    match nonlinearity {
        Nonlinearity::Linear => "linear",
        Nonlinearity::Sigmoid => "sigmoid",
        Nonlinearity::Tanh => "tanh",
        Nonlinearity::Relu => "relu",
        Nonlinearity::LeakyRelu => "leaky_relu",
        Nonlinearity::Selu => "selu",
    }
}
