//! Shapes as IR facts: every node's shape through the image layers,
//! PyTorch's output sizes for stride, padding, dilation and `same`, the
//! image layers' arguments and defaults, and the shape diagnostics
//! (NN004, NN041–NN044) as the user reads them, snapshotted.

use netc_lang::fix::apply_fixes;
use netc_lang::ir::{
    Conv2dPadding, Conv2dSpec, LayerKind, Model, NodeKind, Pool2dSpec, Shape, StateRole,
};
use netc_lang::render::{text, FileDiagnostics};
use netc_lang::{check_source, has_errors, Diagnostic};
use netc_ops::image::{ImageShape, PoolKind};

fn checked(source: &str) -> Model {
    let (mut program, diags) = check_source(source);
    assert!(!has_errors(&diags), "{diags:#?}");
    program.models.remove(0)
}

fn image(channels: usize, height: usize, width: usize) -> Shape {
    Shape::Image(ImageShape {
        channels,
        height,
        width,
    })
}

fn layer<'m>(model: &'m Model, name: &str) -> &'m LayerKind {
    let found = model.layers.iter().find(|(_, l)| l.name == name);
    &found.unwrap_or_else(|| panic!("layer {name}")).1.kind
}

/// `input x: <input>`, `l = <declaration>`, `return l(x)`: the output's
/// shape.
fn output_of(input: &str, declaration: &str) -> Shape {
    let model = checked(&format!(
        "model M {{ input x: {input} l = {declaration} forward {{ return l(x) }} }}"
    ));
    model.nodes[model.output.expect("output")].shape
}

const LENET: &str = "\
model LeNet {
    input x: (1, 28, 28)
    conv1 = conv2d(1, 6, 5)
    conv2 = conv2d(6, 16, 5)
    pool = max_pool2d(2)
    fc1 = linear(256, 120)
    fc2 = linear(120, 84)
    out = linear(84, 10)
    forward {
        x = pool(relu(conv1(x)))
        x = pool(relu(conv2(x)))
        x = flatten(x)
        x = relu(fc1(x))
        x = relu(fc2(x))
        return out(x)
    }
}
";

#[test]
fn lenet_has_its_shape_at_every_node() {
    let model = checked(LENET);
    assert_eq!(model.input.shape, image(1, 28, 28));
    assert_eq!(model.input.width(), 784);
    let shapes: Vec<(String, Shape)> = model
        .nodes
        .iter()
        .map(|(handle, node)| {
            let span = model.nodes.span(handle);
            (LENET[span.start..span.end].to_string(), node.shape)
        })
        .collect();
    let expected = [
        ("x", image(1, 28, 28)),
        ("conv1(x)", image(6, 24, 24)),
        ("relu(conv1(x))", image(6, 24, 24)),
        ("pool(relu(conv1(x)))", image(6, 12, 12)),
        ("conv2(x)", image(16, 8, 8)),
        ("relu(conv2(x))", image(16, 8, 8)),
        ("pool(relu(conv2(x)))", image(16, 4, 4)),
        ("flatten(x)", Shape::Flat(256)),
        ("fc1(x)", Shape::Flat(120)),
        ("relu(fc1(x))", Shape::Flat(120)),
        ("fc2(x)", Shape::Flat(84)),
        ("relu(fc2(x))", Shape::Flat(84)),
        ("out(x)", Shape::Flat(10)),
    ];
    let expected: Vec<(String, Shape)> = expected
        .into_iter()
        .map(|(text, shape)| (text.to_string(), shape))
        .collect();
    assert_eq!(shapes, expected);
    assert_eq!(model.output_width(), 10);
    // `flatten(x)` calls one implicit, stateless layer, declared last.
    let names: Vec<&str> = model.layers.iter().map(|(_, l)| l.name.as_str()).collect();
    assert_eq!(
        names,
        ["conv1", "conv2", "pool", "fc1", "fc2", "out", "flatten"]
    );
    assert_eq!(layer(&model, "flatten"), &LayerKind::Flatten);
    assert!(layer(&model, "flatten").state_dict().is_empty());
}

#[test]
fn conv2d_reads_pytorch_defaults_and_state() {
    let model = checked(LENET);
    let LayerKind::Conv2d(spec) = layer(&model, "conv1") else {
        panic!("conv1 is a conv2d")
    };
    assert_eq!(
        spec,
        &Conv2dSpec {
            in_channels: 1,
            out_channels: 6,
            kernel_size: (5, 5),
            stride: (1, 1),
            padding: Conv2dPadding::Explicit(0, 0),
            dilation: (1, 1),
            groups: 1,
            bias: true,
            init: None,
            bias_init: None,
        }
    );
    let state = layer(&model, "conv2").state_dict();
    let shapes: Vec<(StateRole, Vec<usize>)> =
        state.into_iter().map(|t| (t.role, t.shape)).collect();
    assert_eq!(
        shapes,
        [
            (StateRole::Weight, vec![16, 6, 5, 5]),
            (StateRole::Bias, vec![16])
        ]
    );
    let LayerKind::Pool2d(pool) = layer(&model, "pool") else {
        panic!("pool is a pool")
    };
    assert_eq!(
        pool,
        &Pool2dSpec {
            kind: PoolKind::Max,
            kernel_size: (2, 2),
            stride: (2, 2),
            padding: (0, 0),
            dilation: (1, 1),
        }
    );
}

#[test]
fn arguments_bind_by_position_or_keyword_as_in_pytorch() {
    let spec = |declaration: &str| {
        let source =
            format!("model M {{ input x: (4, 9, 9) c = {declaration} forward {{ return c(x) }} }}");
        match layer(&checked(&source), "c") {
            LayerKind::Conv2d(spec) => spec.clone(),
            other => panic!("{other:?}"),
        }
    };
    let positional = spec("conv2d(4, 8, (3, 1), 2, 1, (1, 2), 2, false)");
    let keywords = spec(
        "conv2d(in_channels=4, out_channels=8, kernel_size=(3, 1), stride=2, padding=1, dilation=(1, 2), groups=2, bias=false)",
    );
    assert_eq!(positional, keywords);
    assert_eq!(
        (
            positional.kernel_size,
            positional.stride,
            positional.padding,
            positional.dilation,
            positional.groups,
            positional.bias
        ),
        (
            (3, 1),
            (2, 2),
            Conv2dPadding::Explicit(1, 1),
            (1, 2),
            2,
            false
        )
    );
    let init = spec("conv2d(4, 8, 3, init=kaiming_normal(nonlinearity=relu), bias_init=zeros)");
    assert!(init.init.is_some() && init.bias_init == Some(netc_ops::Init::Zeros));
    for same in ["same", "\"same\""] {
        assert_eq!(
            spec(&format!("conv2d(4, 8, 3, padding={same})")).padding,
            Conv2dPadding::Same
        );
    }
    for valid in ["valid", "\"valid\""] {
        assert_eq!(
            spec(&format!("conv2d(4, 8, 3, padding={valid})")).padding,
            Conv2dPadding::Explicit(0, 0)
        );
    }
}

#[test]
fn pool_defaults_follow_pytorch() {
    let pool = |declaration: &str| {
        let source =
            format!("model M {{ input x: (2, 9, 9) p = {declaration} forward {{ return p(x) }} }}");
        match layer(&checked(&source), "p") {
            LayerKind::Pool2d(spec) => spec.clone(),
            other => panic!("{other:?}"),
        }
    };
    let avg = pool("avg_pool2d((3, 2))");
    assert_eq!(avg.stride, (3, 2), "stride defaults to the kernel size");
    assert_eq!(
        avg.kind,
        PoolKind::Avg {
            count_include_pad: true
        }
    );
    assert_eq!(
        pool("avg_pool2d(3, 1, 1, count_include_pad=false)").kind,
        PoolKind::Avg {
            count_include_pad: false
        }
    );
    assert_eq!(pool("max_pool2d(3, 1, 1, 2)").dilation, (2, 2));
}

/// Output sizes as PyTorch computes them: each row's `(C, H, W)` out is
/// `tuple(module(torch.zeros(1, *input)).shape[1:])` for the matching
/// `torch.nn` module (torch 2.15).
#[test]
fn output_sizes_are_pytorchs() {
    let cases = [
        (
            "conv2d(3, 8, 3, stride=2, padding=1)",
            (3, 32, 32),
            (8, 16, 16),
        ),
        (
            "conv2d(3, 8, (3, 5), stride=(2, 1), padding=(1, 2))",
            (3, 17, 9),
            (8, 9, 9),
        ),
        ("conv2d(3, 8, 3, dilation=2)", (3, 11, 10), (8, 7, 6)),
        (
            "conv2d(3, 8, 3, stride=3, padding=2, dilation=2)",
            (3, 20, 13),
            (8, 7, 5),
        ),
        ("conv2d(3, 8, 4, padding=same)", (3, 9, 7), (8, 9, 7)),
        (
            "conv2d(3, 8, (2, 5), padding=\"same\", dilation=(3, 1))",
            (3, 9, 7),
            (8, 9, 7),
        ),
        ("conv2d(3, 8, 5, padding=valid)", (3, 9, 7), (8, 5, 3)),
        ("conv2d(4, 8, 3, groups=4)", (4, 6, 6), (8, 4, 4)),
        ("max_pool2d(2)", (3, 7, 7), (3, 3, 3)),
        ("max_pool2d(3, stride=2, padding=1)", (3, 7, 8), (3, 4, 4)),
        ("max_pool2d(3, 1, 1, 2)", (3, 7, 8), (3, 5, 6)),
        (
            "avg_pool2d((2, 3), stride=(1, 2), padding=(1, 1))",
            (2, 5, 6),
            (2, 6, 3),
        ),
        (
            "avg_pool2d(3, count_include_pad=false)",
            (2, 10, 11),
            (2, 3, 3),
        ),
        ("adaptive_avg_pool2d((2, 3))", (5, 7, 5), (5, 2, 3)),
        ("adaptive_avg_pool2d(1)", (5, 7, 5), (5, 1, 1)),
    ];
    for (declaration, (c, h, w), (oc, oh, ow)) in cases {
        assert_eq!(
            output_of(&format!("({c}, {h}, {w})"), declaration),
            image(oc, oh, ow),
            "{declaration} on ({c}, {h}, {w})"
        );
    }
}

#[test]
fn shape_preserving_layers_keep_any_shape() {
    assert_eq!(output_of("(3, 5, 7)", "dropout(0.2)"), image(3, 5, 7));
    assert_eq!(output_of("(3, 5, 7)", "batchnorm2d(3)"), image(3, 5, 7));
    assert_eq!(output_of("(3, 5, 7)", "flatten()"), Shape::Flat(105));
    // `nn.Flatten()` of a flat value is the identity.
    assert_eq!(output_of("12", "flatten()"), Shape::Flat(12));
    assert_eq!(output_of("(12)", "dropout()"), Shape::Flat(12));
}

#[test]
fn a_one_argument_linear_infers_its_width_through_flatten() {
    let model = checked(
        "model M { input x: (3, 8, 8) c = conv2d(3, 4, 3) fc = linear(10) forward { return fc(flatten(c(x))) } }",
    );
    let LayerKind::Linear(spec) = layer(&model, "fc") else {
        panic!("fc is linear")
    };
    assert_eq!((spec.in_features, spec.out_features), (4 * 6 * 6, 10));
}

#[test]
fn a_shared_conv_takes_any_spatial_size_of_its_channels() {
    let model = checked(
        "model M { input x: (3, 16, 16) c = conv2d(3, 3, 3, padding=1) p = avg_pool2d(2) forward { y = c(x) z = c(p(y)) return flatten(z) } }",
    );
    let calls: Vec<Shape> = model
        .nodes
        .iter()
        .filter(|(_, n)| matches!(n.kind, NodeKind::Call { .. }))
        .map(|(_, n)| n.shape)
        .collect();
    assert_eq!(
        calls,
        [
            image(3, 16, 16),
            image(3, 8, 8),
            image(3, 8, 8),
            Shape::Flat(192)
        ]
    );
}

#[test]
fn a_declared_flatten_and_residual_images() {
    let model = checked(
        "model M { input x: (2, 4, 4) c = conv2d(2, 2, 3, padding=same) f = flatten() forward { return f(relu(c(x)) + x) } }",
    );
    assert_eq!(model.output_width(), 32);
    assert!(
        model.layers.iter().all(|(_, l)| l.name != "flatten"),
        "no implicit layer without `flatten(x)`"
    );
}

#[test]
fn a_flat_input_stays_flat() {
    let model = checked("model M { input x: 9 fc = linear(9, 2) forward { return fc(x) } }");
    assert_eq!(model.input.shape, Shape::Flat(9));
}

// Diagnostics, as the user reads them.

fn rendered(source: &str) -> String {
    let (_, diagnostics) = check_source(source);
    assert!(has_errors(&diagnostics), "expected an error in {source}");
    text::render(
        &[FileDiagnostics {
            path: "model.nn",
            source,
            diagnostics: &diagnostics,
        }],
        false,
    )
}

fn one(source: &str, code: &str) -> Diagnostic {
    let (_, diagnostics) = check_source(source);
    let mut found: Vec<Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.code == code)
        .cloned()
        .collect();
    assert_eq!(found.len(), 1, "{code}: {diagnostics:#?}");
    found.remove(0)
}

/// The text with every fix applied, guesses included.
fn fixed(source: &str) -> String {
    apply_fixes(source, &check_source(source).1, true).text
}

/// LeNet with `edit` applied to its text.
fn lenet_with(from: &str, to: &str) -> String {
    assert!(LENET.contains(from), "{from}");
    LENET.replacen(from, to, 1)
}

#[test]
fn nn004_linear_after_flatten_shows_the_arithmetic_and_fixes_in_features() {
    let source = lenet_with("linear(256, 120)", "linear(400, 120)");
    insta::assert_snapshot!(rendered(&source));
    let d = one(&source, "NN004");
    assert_eq!(d.message, "`fc1` expects 400 inputs but receives 256");
    assert_eq!(fixed(&source), LENET);
}

#[test]
fn nn004_conv_in_channels() {
    let source = lenet_with("conv2d(6, 16, 5)", "conv2d(8, 16, 5)");
    insta::assert_snapshot!(rendered(&source));
    assert_eq!(fixed(&source), LENET);
}

#[test]
fn nn004_batchnorm2d_channels() {
    let source = "model M {\n    input x: (3, 8, 8)\n    conv = conv2d(3, 6, 3)\n    bn = batchnorm2d(3)\n    forward {\n        return bn(conv(x))\n    }\n}\n";
    insta::assert_snapshot!(rendered(source));
}

#[test]
fn nn004_residual_of_two_shapes() {
    let source = "model M {\n    input x: (3, 8, 8)\n    conv = conv2d(3, 3, 3)\n    forward {\n        return conv(x) + x\n    }\n}\n";
    insta::assert_snapshot!(rendered(source));
}

#[test]
fn nn041_linear_on_an_image_is_fixed_with_flatten() {
    let source = lenet_with("        x = flatten(x)\n", "");
    insta::assert_snapshot!(rendered(&source));
    let d = one(&source, "NN041");
    assert_eq!(d.fix_safety, netc_lang::FixSafety::Safe);
    let once = apply_fixes(&source, &check_source(&source).1, false).text;
    assert!(once.contains("x = relu(fc1(flatten(x)))"), "{once}");
    assert!(!has_errors(&check_source(&once).1), "{once}");
}

#[test]
fn nn041_layernorm_on_an_image() {
    let source = "model M {\n    input x: (3, 4, 4)\n    ln = layernorm(48)\n    forward {\n        return ln(x)\n    }\n}\n";
    insta::assert_snapshot!(rendered(source));
    assert!(!has_errors(&check_source(&fixed(source)).1));
}

#[test]
fn nn041_batchnorm_on_an_image_suggests_batchnorm2d() {
    let source = "model M {\n    input x: (3, 4, 4)\n    bn = batchnorm(3)\n    forward {\n        return bn(x)\n    }\n}\n";
    insta::assert_snapshot!(rendered(source));
    assert_eq!(
        fixed(source),
        source.replace("batchnorm(3)", "batchnorm2d(3)")
    );
}

#[test]
fn nn041_batchnorm2d_on_a_flat_value_suggests_batchnorm() {
    let source = "model M {\n    input x: 16\n    bn = batchnorm2d(16)\n    forward {\n        return bn(x)\n    }\n}\n";
    insta::assert_snapshot!(rendered(source));
    assert_eq!(
        fixed(source),
        source.replace("batchnorm2d(16)", "batchnorm(16)")
    );
}

#[test]
fn nn041_conv_on_a_flat_input() {
    let source = lenet_with("input x: (1, 28, 28)", "input x: 784");
    insta::assert_snapshot!(rendered(&source));
}

#[test]
fn nn041_a_one_argument_linear_on_an_image_is_not_inferred() {
    let source = "model M {\n    input x: (1, 4, 4)\n    fc = linear(2)\n    forward {\n        return fc(x)\n    }\n}\n";
    let d = one(source, "NN041");
    assert_eq!(
        d.message,
        "`fc` (linear) works on flat values but receives an image of shape (1, 4, 4)"
    );
    assert_eq!(
        fixed(source),
        source.replace("fc(x)", "fc(flatten(x))"),
        "the fix needs no width"
    );
}

#[test]
fn nn042_a_kernel_larger_than_its_input() {
    let source = lenet_with("conv2 = conv2d(6, 16, 5)", "conv2 = conv2d(6, 16, 13)");
    insta::assert_snapshot!(rendered(&source));
}

#[test]
fn nn042_a_pool_on_a_one_pixel_image() {
    let source = "model M {\n    input x: (2, 1, 7)\n    pool = max_pool2d(2)\n    forward {\n        return pool(x)\n    }\n}\n";
    insta::assert_snapshot!(rendered(source));
    let d = one(source, "NN042");
    assert_eq!(
        d.notes,
        ["height: padded input 1 < window 2: no output rows"]
    );
}

#[test]
fn nn043_groups_must_divide_the_channels() {
    let source = "model M {\n    input x: (6, 8, 8)\n    conv = conv2d(6, 16, 3, groups=4)\n    forward {\n        return conv(x)\n    }\n}\n";
    insta::assert_snapshot!(rendered(source));
    let (_, diagnostics) = check_source(source);
    let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["NN043"], "only 6 fails: 16 is a multiple of 4");
}

#[test]
fn nn044_same_padding_needs_stride_one() {
    let source = "model M {\n    input x: (3, 8, 8)\n    conv = conv2d(3, 4, 5, stride=2, padding=same)\n    forward {\n        return conv(x)\n    }\n}\n";
    insta::assert_snapshot!(rendered(source));
}

#[test]
fn nn044_pool_padding_at_most_half_the_kernel() {
    let source = "model M {\n    input x: (3, 8, 8)\n    pool = avg_pool2d(3, padding=(1, 2))\n    forward {\n        return pool(x)\n    }\n}\n";
    insta::assert_snapshot!(rendered(source));
    let ok = source.replace("(1, 2)", "1");
    assert!(!has_errors(&check_source(&ok).1));
}

#[test]
fn nn037_bad_shapes_and_sizes() {
    let source = "model M {\n    input x: (1, 28)\n    a = conv2d(1, 6, (5, 5, 5))\n    b = conv2d(1, 6, 5, padding=sme)\n    c = max_pool2d(0)\n    d = adaptive_avg_pool2d()\n    e = flatten(1)\n    forward {\n        return x\n    }\n}\n";
    insta::assert_snapshot!(rendered(source));
}

#[test]
fn nn037_zero_sizes_are_refused() {
    let d = one(
        "model M { input x: (1, 0, 28) forward { return x } }",
        "NN037",
    );
    assert_eq!(d.message, "`height` must be a positive integer, found `0`");
}

#[test]
fn sizes_too_large_to_count_are_errors_not_overflows() {
    let limit = 1 << 24;
    let huge_input =
        format!("model M {{ input x: ({limit}, {limit}, {limit}) forward {{ return x }} }}");
    assert!(one(&huge_input, "NN037").message.contains("more than 2^24"));
    let huge_output = format!(
        "model M {{ input x: (1, 4096, 4096) c = conv2d(1, {limit}, 1) forward {{ return c(x) }} }}"
    );
    assert!(one(&huge_output, "NN037")
        .message
        .contains("more than 2^24"));
    let huge_weight = format!(
        "model M {{ input x: (1, 4, 4) c = conv2d({limit}, {limit}, {limit}) forward {{ return x }} }}"
    );
    assert!(one(&huge_weight, "NN037").message.contains("2^48"));
    let dilated = format!(
        "model M {{ input x: (1, 4, 4) c = conv2d(1, 1, {limit}, dilation={limit}, padding=same) forward {{ return c(x) }} }}"
    );
    // `same` padding of a 2^24-tap window dilated 2^24 apart: 2^48 rows
    // of padding, counted without overflow.
    assert_eq!(checked(&dilated).output_width(), 16);
}

#[test]
fn a_shared_conv_keeps_its_in_channels_on_every_call() {
    let source = "model M {\n    input x: (3, 8, 8)\n    conv = conv2d(3, 6, 3)\n    forward {\n        h = conv(x)\n        return conv(h)\n    }\n}\n";
    let d = one(source, "NN004");
    assert_eq!(d.message, "`conv` expects 3 input channels but receives 6");
    assert_eq!(d.span.start, source.rfind("conv(h)").expect("second call"));
}
