//! Every exported flat example model (and the every-layer model) run by
//! tract, a pure-Rust ONNX runtime, agrees with netc's eval-mode forward
//! within 1e-5 at batch 1 and 1,000; the image graphs run on NCHW input
//! (their numbers against PyTorch: `image_fixtures`).

use crate::common;

use common::{export_models, inputs, interpreter, max_difference, netc_predict, perturb};
use netc_export::onnx::{self, OnnxOptions};
use netc_export::{expected_tensors, FeatureTransform, TensorKind, Weights};
use netc_lang::ir::Shape;
use netc_lang::ValidModel;
use tract_onnx::prelude::*;

const TOLERANCE: f32 = 1e-5;

pub fn options(preprocessing: Option<&FeatureTransform>) -> OnnxOptions<'_> {
    OnnxOptions {
        netc_version: "test",
        preprocessing,
    }
}

/// One sample's dimensions of the graph input: `[width]`, or `[C, H, W]`
/// for an image input.
pub fn sample_dims(model: &ValidModel) -> Vec<usize> {
    match model.input.shape {
        Shape::Flat(width) => vec![width],
        Shape::Image(image) => vec![image.channels, image.height, image.width],
    }
}

/// tract's outputs for `x` (`rows` samples of `sample` dims each), with
/// the output's shape.
pub fn run_tract_shaped(
    bytes: &[u8],
    x: &[f32],
    rows: usize,
    sample: &[usize],
) -> (Vec<f32>, Vec<usize>) {
    let mut dims = vec![rows];
    dims.extend_from_slice(sample);
    let plan = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .expect("tract reads the graph")
        .with_input_fact(0, f32::fact(&dims).into())
        .expect("the input takes a concrete batch")
        .into_optimized()
        .expect("tract optimises the graph")
        .into_runnable()
        .expect("tract plans the graph");
    let input = tract_ndarray::ArrayD::from_shape_vec(dims, x.to_vec())
        .expect("input shape")
        .into_tensor();
    let outputs = plan.run(tvec!(input.into())).expect("tract runs the graph");
    let view = outputs[0].to_plain_array_view::<f32>().expect("f32 output");
    (view.iter().copied().collect(), view.shape().to_vec())
}

/// tract's outputs for `x` (`rows` × the graph input's width).
fn run_tract(bytes: &[u8], x: &[f32], rows: usize, width: usize) -> Vec<f32> {
    run_tract_shaped(bytes, x, rows, &[width]).0
}

fn exported(model: &ValidModel, rows: usize) -> (netc_plan::Interpreter, Vec<u8>) {
    let mut net = interpreter(model, rows);
    perturb(&mut net);
    let weights = Weights::from_safetensors(model, &common::safetensors_bytes(&net))
        .expect("netc's own weights fit");
    let bytes = onnx::export(model, &weights, &options(None)).expect("the model exports");
    (net, bytes)
}

#[test]
fn tract_agrees_with_netc_on_every_model_at_batch_1_and_1000() {
    let mut checked = Vec::new();
    for file in export_models() {
        // Image models: `image_fixtures` holds tract and netc to PyTorch.
        for model in file
            .models
            .iter()
            .filter(|m| m.input.shape.image().is_none())
        {
            for rows in [1, 1000] {
                let (mut net, bytes) = exported(model, rows);
                let x = inputs(rows, model.input.width(), rows as u64);
                let expected = netc_predict(&mut net, &x);
                let (actual, _) = run_tract_shaped(&bytes, &x, rows, &sample_dims(model));
                let diff = max_difference(&actual, &expected);
                assert!(
                    diff <= TOLERANCE,
                    "{} `{}` at batch {rows}: tract differs from netc by {diff}",
                    file.path.display(),
                    model.name
                );
            }
            checked.push(model.name.clone());
        }
    }
    for name in [
        "BreastCancerNet",
        "DigitsNet",
        "WineFlavanoids",
        "WaterNet",
        "EveryLayer",
    ] {
        assert!(checked.contains(&name.to_string()), "{name} was exported");
    }
}

#[test]
fn the_preprocessing_prefix_imputes_and_standardises_raw_features() {
    let file = export_models()
        .into_iter()
        .find(|f| f.path.ends_with("water.nn"))
        .expect("water.nn checks clean");
    let model = &file.models[0];
    let width = model.input.width();
    let transform = FeatureTransform {
        features: (0..width).map(|i| format!("f{i}")).collect(),
        impute: Some((0..width).map(|i| i as f64 * 0.5).collect()),
        center: (0..width).map(|i| 10.0 + i as f64).collect(),
        scale: (0..width).map(|i| 2.0 + i as f64 * 0.25).collect(),
    };
    let rows = 64;
    let (mut net, _) = exported(model, rows);
    let weights = Weights::from_safetensors(model, &common::safetensors_bytes(&net))
        .expect("netc's own weights fit");
    let bytes = onnx::export(model, &weights, &options(Some(&transform))).expect("exports");

    let mut raw = inputs(rows, width, 99);
    for (i, v) in raw.iter_mut().enumerate() {
        *v = *v * 3.0 + 10.0;
        if i % 7 == 3 {
            *v = f32::NAN;
        }
    }
    let standardised: Vec<f32> = raw
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let f = i % width;
            let v = if v.is_nan() {
                transform.impute.as_ref().expect("imputes")[f]
            } else {
                f64::from(v)
            };
            ((v - transform.center[f]) / transform.scale[f]) as f32
        })
        .collect();
    let expected = netc_predict(&mut net, &standardised);
    let actual = run_tract(&bytes, &raw, rows, width);
    let diff = max_difference(&actual, &expected);
    assert!(diff <= TOLERANCE, "raw-feature graph differs by {diff}");
}

/// `model`'s weights as a safetensors file: every tensor it declares,
/// filled with noise (running variances positive), without building a
/// Plan.
fn noise_weights(model: &ValidModel) -> Weights {
    let mut counter = 0u64;
    let tensors: Vec<(String, Vec<u8>, Vec<usize>, safetensors::Dtype)> = expected_tensors(model)
        .into_iter()
        .map(|spec| {
            let (bytes, dtype) = match spec.kind {
                TensorKind::Counter => (7i64.to_le_bytes().to_vec(), safetensors::Dtype::I64),
                TensorKind::Float => {
                    let numel: usize = spec.shape.iter().product();
                    let values = (0..numel).map(|_| {
                        counter += 1;
                        let n = common::noise(counter);
                        if spec.name.ends_with("running_var") {
                            0.5 + n.abs()
                        } else {
                            0.5 * n
                        }
                    });
                    (
                        values.flat_map(f32::to_le_bytes).collect(),
                        safetensors::Dtype::F32,
                    )
                }
            };
            (spec.name, bytes, spec.shape, dtype)
        })
        .collect();
    let views: Vec<(&str, safetensors::tensor::TensorView<'_>)> = tensors
        .iter()
        .map(|(name, bytes, shape, dtype)| {
            let view = safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes)
                .expect("a consistent tensor");
            (name.as_str(), view)
        })
        .collect();
    let bytes = safetensors::serialize(views, None).expect("tensors serialise");
    Weights::from_safetensors(model, &bytes).expect("the model's own tensors fit")
}

pub fn image_model(path: &str, name: &str) -> ValidModel {
    export_models()
        .into_iter()
        .filter(|file| file.path.ends_with(path))
        .flat_map(|file| file.models)
        .find(|model| model.name == name)
        .unwrap_or_else(|| panic!("{path} checks clean"))
}

/// The image graph's structure as tract sees it: an NCHW input, the
/// output's shape, finite values, and a sample's outputs at batch 1 as at
/// batch 5.
#[test]
fn tract_runs_the_image_graphs_on_nchw_input() {
    for (path, name) in [
        ("lenet.nn", "LeNet"),
        ("every_image_layer.nn", "EveryImageLayer"),
    ] {
        let model = image_model(path, name);
        let bytes = onnx::export(&model, &noise_weights(&model), &options(None)).expect("exports");
        let sample = sample_dims(&model);
        let x = inputs(5, model.input.width(), 3);
        let (five, shape) = run_tract_shaped(&bytes, &x, 5, &sample);
        assert_eq!(shape, [5, model.output_width()], "{name}: output shape");
        assert!(five.iter().all(|v| v.is_finite()), "{name}: finite outputs");
        let (one, _) = run_tract_shaped(&bytes, &x[..model.input.width()], 1, &sample);
        let diff = max_difference(&one, &five[..model.output_width()]);
        assert!(diff <= TOLERANCE, "{name}: batch 1 differs by {diff}");
    }
}

/// An adaptive pool whose windows are not one fixed window has no ONNX
/// form: the export names the layer instead of writing another model.
#[test]
fn an_uneven_adaptive_pool_is_refused_by_name() {
    let source = "model M {\n input x: (2, 7, 7)\n pool = adaptive_avg_pool2d(3)\n head = linear(18, 1)\n forward {\n return head(flatten(pool(x)))\n }\n}\n";
    let checked = netc_lang::check_file(source.as_bytes(), &Default::default());
    let model = checked
        .into_valid_models()
        .pop()
        .expect("the model checks clean");
    let error = onnx::export(&model, &noise_weights(&model), &options(None))
        .expect_err("7 → 3 is not a fixed window");
    assert_eq!(
        error.to_string(),
        "ONNX cannot express `pool` (adaptive_avg_pool2d from (2, 7, 7) to (3, 3)): ONNX has no \
         adaptive pooling, and a fixed AveragePool equals it only for a 1×1 output or when the \
         input's height and width are multiples of the output's"
    );
}
