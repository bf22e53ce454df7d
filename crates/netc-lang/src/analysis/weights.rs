//! The layers with a weight matrix — `linear`, and `conv2d` read as its
//! `[out_channels, in_channels/groups · kh · kw]` matrix — seen alike, so
//! the recursion and the init lints treat a convolution like a linear
//! layer with PyTorch's conv fans.

use netc_ops::Init;

use crate::layers::{Conv2dSpec, LayerKind, LinearSpec};

/// What the analysis and the init rules read from a weight layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// PyTorch's fan_in: `in_features`, or `in_channels/groups · kh · kw`.
    pub fan_in: usize,
    /// PyTorch's fan_out: `out_features`, or `out_channels · kh · kw`.
    pub fan_out: usize,
    /// Rows of the weight matrix (`out_features`, `out_channels`).
    pub rows: usize,
    pub init: Option<Init>,
    pub bias: bool,
    pub bias_init: Option<Init>,
}

impl Weights {
    /// The weight view of a layer kind; `None` for kinds without weights.
    pub fn of(kind: &LayerKind) -> Option<Weights> {
        match kind {
            LayerKind::Linear(spec) => Some(Self::linear(spec)),
            LayerKind::Conv2d(spec) => Some(Self::conv2d(spec)),
            _ => None,
        }
    }

    pub fn linear(spec: &LinearSpec) -> Weights {
        Weights {
            fan_in: spec.in_features,
            fan_out: spec.out_features,
            rows: spec.out_features,
            init: spec.init,
            bias: spec.bias,
            bias_init: spec.bias_init,
        }
    }

    pub fn conv2d(spec: &Conv2dSpec) -> Weights {
        let area = spec.kernel_size.0 * spec.kernel_size.1;
        Weights {
            fan_in: spec.in_channels / spec.groups.max(1) * area,
            fan_out: spec.out_channels * area,
            rows: spec.out_channels,
            init: spec.init,
            bias: spec.bias,
            bias_init: spec.bias_init,
        }
    }

    /// The init of the weight, PyTorch's default when none is named
    /// (`kaiming_uniform(a=√5)` for both `nn.Linear` and `nn.Conv2d`).
    pub fn weight_init(&self) -> Init {
        self.init.unwrap_or_else(Init::linear_default_weight)
    }

    /// Per-entry weight variance v.
    pub fn variance(&self) -> f64 {
        match self.weight_init() {
            // `orthogonal_` flattens the weight to `[rows, fan_in]`; its
            // fan_out (rows · kh · kw for a conv) does not enter.
            init @ Init::Orthogonal { .. } => init.variance(self.fan_in, self.rows),
            init => init.variance(self.fan_in, self.fan_out),
        }
    }

    /// σ_w² = fan_in · v, the factor a layer applies to the signal.
    pub fn sigma_w2(&self) -> f64 {
        self.variance() * self.fan_in as f64
    }

    /// E[b²]: the bias init's mean squared plus its variance (PyTorch's
    /// default U(±1/√fan_in) when it has none), 0 without a bias.
    pub fn bias_second_moment(&self) -> f64 {
        if !self.bias {
            return 0.0;
        }
        let init = self
            .bias_init
            .unwrap_or_else(|| Init::linear_default_bias(self.fan_in));
        init_mean(&init).powi(2) + init.variance(self.fan_in, self.fan_out)
    }
}

/// The mean of an init's values (the variance is `Init::variance`).
pub fn init_mean(init: &Init) -> f64 {
    match *init {
        Init::Uniform { a, b } => (a + b) / 2.0,
        Init::Normal { mean, .. } | Init::TruncNormal { mean, .. } => mean,
        Init::Ones => 1.0,
        Init::Constant { value } => value,
        _ => 0.0,
    }
}
