//! One layer's `__init__` statements: its `nn` constructor with only the
//! arguments that differ from PyTorch's defaults, then the init calls the
//! model file asks for.

use netc_lang::ir::{
    BatchNormSpec, Conv2dPadding, Conv2dSpec, Layer, LayerKind, LayerType, Pool2dSpec,
};
use netc_ops::image::PoolKind;
use netc_ops::layer::{BATCHNORM_EPS, BATCHNORM_MOMENTUM, LAYERNORM_EPS};
use netc_ops::Init;

use super::init::{bias_call, weight_call};
use super::python::{boolean, float, size};

/// The constructor and init statements of one layer.
pub fn layer_lines(layer: &Layer) -> Vec<String> {
    let attr = format!("self.{}", layer.name);
    let constructor =
        |class: &str, args: Vec<String>| format!("{attr} = nn.{class}({})", args.join(", "));
    match &layer.kind {
        LayerKind::Linear(spec) => {
            let mut args = vec![spec.in_features.to_string(), spec.out_features.to_string()];
            args.extend(bias_arg(spec.bias));
            let mut lines = vec![constructor("Linear", args)];
            lines.extend(init_lines(
                &attr,
                Parameters {
                    init: spec.init.as_ref(),
                    bias_init: spec.bias.then_some(spec.bias_init.as_ref()).flatten(),
                    fan_in: spec.in_features,
                    fan_out: spec.out_features,
                },
            ));
            lines
        }
        LayerKind::Conv2d(spec) => {
            let mut lines = vec![constructor("Conv2d", conv2d_args(spec))];
            // PyTorch's fans of a `[out, in/groups, kh, kw]` weight.
            let area = spec.kernel_size.0 * spec.kernel_size.1;
            lines.extend(init_lines(
                &attr,
                Parameters {
                    init: spec.init.as_ref(),
                    bias_init: spec.bias.then_some(spec.bias_init.as_ref()).flatten(),
                    fan_in: spec.in_channels / spec.groups * area,
                    fan_out: spec.out_channels * area,
                },
            ));
            lines
        }
        LayerKind::BatchNorm(spec) => vec![constructor("BatchNorm1d", batchnorm_args(spec))],
        LayerKind::BatchNorm2d(spec) => vec![constructor("BatchNorm2d", batchnorm_args(spec))],
        LayerKind::LayerNorm(spec) => {
            let mut args = vec![spec.normalized_shape.to_string()];
            if spec.eps != LAYERNORM_EPS {
                args.push(format!("eps={}", float(spec.eps)));
            }
            if !spec.elementwise_affine {
                args.push(format!("elementwise_affine={}", boolean(false)));
            }
            vec![constructor("LayerNorm", args)]
        }
        LayerKind::Dropout(spec) => {
            vec![constructor("Dropout", vec![format!("p={}", float(spec.p))])]
        }
        LayerKind::Pool2d(spec) => {
            let class = match spec.kind {
                PoolKind::Max => "MaxPool2d",
                PoolKind::Avg { .. } => "AvgPool2d",
            };
            vec![constructor(class, pool2d_args(spec))]
        }
        LayerKind::AdaptiveAvgPool2d(spec) => {
            vec![constructor(
                "AdaptiveAvgPool2d",
                vec![size(spec.output_size)],
            )]
        }
        LayerKind::Flatten => vec![constructor("Flatten", Vec::new())],
    }
}

/// The layer `flatten(x)` in `forward` calls: the checker declares it
/// under the function's name. Stateless, so the module writes the call as
/// `torch.flatten(x, 1)` and declares nothing.
pub fn is_flatten_function(layer: &Layer) -> bool {
    layer.kind == LayerKind::Flatten && layer.name == LayerType::Flatten.name()
}

/// What a weighted layer's init statements need.
struct Parameters<'a> {
    /// `None`: PyTorch's default init, which the constructor already ran.
    init: Option<&'a Init>,
    /// `None` also when the layer has no bias.
    bias_init: Option<&'a Init>,
    fan_in: usize,
    fan_out: usize,
}

fn init_lines(attr: &str, parameters: Parameters<'_>) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(init) = parameters.init {
        lines.push(weight_call(init, &format!("{attr}.weight")));
    }
    if let Some(init) = parameters.bias_init {
        lines.push(bias_call(
            init,
            &format!("{attr}.bias"),
            parameters.fan_in,
            parameters.fan_out,
        ));
    }
    lines
}

fn bias_arg(bias: bool) -> Option<String> {
    (!bias).then(|| format!("bias={}", boolean(false)))
}

/// `nn.Conv2d(in, out, kernel_size, stride=1, padding=0, dilation=1,
/// groups=1, bias=True)`.
fn conv2d_args(spec: &Conv2dSpec) -> Vec<String> {
    let mut args = vec![
        spec.in_channels.to_string(),
        spec.out_channels.to_string(),
        size(spec.kernel_size),
    ];
    if spec.stride != (1, 1) {
        args.push(format!("stride={}", size(spec.stride)));
    }
    match spec.padding {
        Conv2dPadding::Explicit(0, 0) => {}
        Conv2dPadding::Explicit(h, w) => args.push(format!("padding={}", size((h, w)))),
        Conv2dPadding::Same => args.push("padding=\"same\"".into()),
    }
    if spec.dilation != (1, 1) {
        args.push(format!("dilation={}", size(spec.dilation)));
    }
    if spec.groups != 1 {
        args.push(format!("groups={}", spec.groups));
    }
    args.extend(bias_arg(spec.bias));
    args
}

/// `nn.BatchNorm1d`/`nn.BatchNorm2d(num_features, eps=1e-5,
/// momentum=0.1, affine=True)`.
fn batchnorm_args(spec: &BatchNormSpec) -> Vec<String> {
    let mut args = vec![spec.num_features.to_string()];
    if spec.eps != BATCHNORM_EPS {
        args.push(format!("eps={}", float(spec.eps)));
    }
    match spec.momentum {
        Some(m) if m == BATCHNORM_MOMENTUM => {}
        Some(m) => args.push(format!("momentum={}", float(m))),
        None => args.push("momentum=None".into()),
    }
    if !spec.affine {
        args.push(format!("affine={}", boolean(false)));
    }
    args
}

/// `nn.MaxPool2d(kernel_size, stride=kernel_size, padding=0, dilation=1)`
/// and `nn.AvgPool2d(kernel_size, stride=kernel_size, padding=0,
/// count_include_pad=True)`.
fn pool2d_args(spec: &Pool2dSpec) -> Vec<String> {
    let mut args = vec![size(spec.kernel_size)];
    if spec.stride != spec.kernel_size {
        args.push(format!("stride={}", size(spec.stride)));
    }
    if spec.padding != (0, 0) {
        args.push(format!("padding={}", size(spec.padding)));
    }
    match spec.kind {
        PoolKind::Max if spec.dilation != (1, 1) => {
            args.push(format!("dilation={}", size(spec.dilation)))
        }
        PoolKind::Max
        | PoolKind::Avg {
            count_include_pad: true,
        } => {}
        PoolKind::Avg {
            count_include_pad: false,
        } => args.push(format!("count_include_pad={}", boolean(false))),
    }
    args
}
