//! Every exported example model (and the every-layer model) run by tract,
//! a pure-Rust ONNX runtime, agrees with netc's eval-mode forward within
//! 1e-5 at batch 1 and 1,000.

use crate::common;

use common::{export_models, inputs, interpreter, max_difference, netc_predict, perturb};
use netc_export::onnx::{self, OnnxOptions};
use netc_export::{FeatureTransform, Weights};
use netc_lang::ValidModel;
use tract_onnx::prelude::*;

const TOLERANCE: f32 = 1e-5;

fn options(preprocessing: Option<&FeatureTransform>) -> OnnxOptions<'_> {
    OnnxOptions {
        netc_version: "test",
        preprocessing,
    }
}

/// tract's outputs for `x` (`rows` × the graph input's width).
fn run_tract(bytes: &[u8], x: &[f32], rows: usize, width: usize) -> Vec<f32> {
    let plan = tract_onnx::onnx()
        .model_for_read(&mut &bytes[..])
        .expect("tract reads the graph")
        .with_input_fact(0, f32::fact([rows, width]).into())
        .expect("the input takes a concrete batch")
        .into_optimized()
        .expect("tract optimises the graph")
        .into_runnable()
        .expect("tract plans the graph");
    let input = tract_ndarray::Array2::from_shape_vec((rows, width), x.to_vec())
        .expect("input shape")
        .into_tensor();
    let outputs = plan.run(tvec!(input.into())).expect("tract runs the graph");
    outputs[0]
        .to_plain_array_view::<f32>()
        .expect("f32 output")
        .iter()
        .copied()
        .collect()
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
        for model in &file.models {
            for rows in [1, 1000] {
                let (mut net, bytes) = exported(model, rows);
                let x = inputs(rows, model.input.width(), rows as u64);
                let expected = netc_predict(&mut net, &x);
                let actual = run_tract(&bytes, &x, rows, model.input.width());
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
