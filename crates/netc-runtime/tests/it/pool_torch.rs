//! Pooling and batchnorm2d against PyTorch (`tests/fixtures/torch/images/`
//! from `scripts/torch_reference/make_pool_fixtures.py`): `F.max_pool2d`
//! (ties included), `F.avg_pool2d` both ways of counting the padding,
//! `F.adaptive_avg_pool2d`, and `nn.BatchNorm2d` over two train steps
//! (outputs, gradients, running statistics, the counter) and an eval
//! forward, within each case's measured tolerance.

use netc_ops::image::{AdaptivePool2dGeometry, ImageShape, Pad, Pool2dGeometry, PoolKind, Window};
use netc_runtime::kernels::{
    adaptive_avg_pool2d_backward, adaptive_avg_pool2d_forward, avg_pool2d_backward,
    avg_pool2d_forward, batchnorm_apply, batchnorm_backward, batchnorm_eval_affine,
    batchnorm_forward_train, max_pool2d_backward, max_pool2d_forward, Fresh, Stats,
};
use netc_testkit::{workspace_path, Tolerance};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = workspace_path("tests/fixtures/torch/images").join(name);
    let text = std::fs::read_to_string(&path).expect("the committed fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

fn floats(value: &Value) -> Vec<f32> {
    value
        .as_array()
        .expect("a list of numbers")
        .iter()
        .map(|v| v.as_f64().expect("a number") as f32)
        .collect()
}

fn sizes(value: &Value) -> Vec<usize> {
    value
        .as_array()
        .expect("a list of sizes")
        .iter()
        .map(|v| v.as_u64().expect("a size") as usize)
        .collect()
}

/// A setting given as one size or a `(height, width)` pair.
fn pair(settings: &Value, key: &str, default: (usize, usize)) -> (usize, usize) {
    match &settings[key] {
        Value::Null => default,
        Value::Array(_) => {
            let v = sizes(&settings[key]);
            (v[0], v[1])
        }
        v => {
            let n = v.as_u64().expect("a size") as usize;
            (n, n)
        }
    }
}

fn assert_matches(what: &str, got: &[f32], want: &[f32], tolerance: Tolerance) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            tolerance.accepts(f64::from(g), f64::from(w)),
            "{what}[{i}]: netc {g}, PyTorch {w}"
        );
    }
}

fn pool_geometry(kind: PoolKind, input: ImageShape, settings: &Value) -> Pool2dGeometry {
    let kernel = pair(settings, "kernel_size", (0, 0));
    let stride = pair(settings, "stride", kernel);
    let padding = pair(settings, "padding", (0, 0));
    let dilation = pair(settings, "dilation", (1, 1));
    let window = |k, s, p, d| Window {
        kernel: k,
        stride: s,
        pad: Pad::symmetric(p),
        dilation: d,
    };
    Pool2dGeometry {
        input,
        kind,
        rows: window(kernel.0, stride.0, padding.0, dilation.0),
        cols: window(kernel.1, stride.1, padding.1, dilation.1),
    }
}

#[test]
fn pooling_matches_pytorch() {
    let cases = fixture("pool.json");
    let cases = cases["cases"].as_array().expect("cases");
    assert!(cases.len() >= 9);
    for (index, case) in cases.iter().enumerate() {
        let shape = sizes(&case["shape"]);
        let (batch, input) = (
            shape[0],
            ImageShape {
                channels: shape[1],
                height: shape[2],
                width: shape[3],
            },
        );
        let (x, dy) = (floats(&case["x"]), floats(&case["dy"]));
        let tolerance = Tolerance::from_json(&case["tolerance"]);
        let settings = &case["settings"];
        let (mut y, mut dx) = (vec![0.0; dy.len()], vec![0.0; x.len()]);
        let op = case["op"].as_str().expect("op");
        match op {
            "max" => {
                let g = pool_geometry(PoolKind::Max, input, settings);
                let mut argmax = vec![0.0; y.len()];
                max_pool2d_forward(&x, &mut y, Some(&mut argmax), batch, &g);
                max_pool2d_backward(&dy, &argmax, &mut dx, batch, &g, false);
            }
            "avg" => {
                let count_include_pad = settings["count_include_pad"].as_bool().unwrap_or(true);
                let kind = PoolKind::Avg { count_include_pad };
                let g = pool_geometry(kind, input, settings);
                avg_pool2d_forward(&x, &mut y, batch, &g);
                avg_pool2d_backward(&dy, &mut dx, batch, &g, false);
            }
            _ => {
                let (output_height, output_width) = pair(settings, "output_size", (0, 0));
                let g = AdaptivePool2dGeometry {
                    input,
                    output_height,
                    output_width,
                };
                adaptive_avg_pool2d_forward(&x, &mut y, batch, &g);
                adaptive_avg_pool2d_backward(&dy, &mut dx, batch, &g, false);
            }
        }
        let what = format!("case {index} ({op} {settings})");
        assert_matches(&format!("{what}: y"), &y, &floats(&case["y"]), tolerance);
        assert_matches(&format!("{what}: dx"), &dx, &floats(&case["dx"]), tolerance);
    }
}

#[test]
fn batchnorm2d_matches_pytorch_over_two_steps_and_eval() {
    let cases = fixture("bn2d.json");
    for (index, case) in cases["cases"].as_array().expect("cases").iter().enumerate() {
        let shape = sizes(&case["shape"]);
        let (batch, channels, plane) = (shape[0], shape[1], shape[2] * shape[3]);
        let tolerance = Tolerance::from_json(&case["tolerance"]);
        let affine = case["affine"].as_bool().expect("affine");
        let (weight, bias) = (floats(&case["weight"]), floats(&case["bias"]));
        let (gamma, beta) = if affine {
            (Some(weight.as_slice()), Some(bias.as_slice()))
        } else {
            (None, None)
        };
        let eps = case["eps"].as_f64().expect("eps") as f32;
        let momentum = case["momentum"].as_f64().map(|m| m as f32);
        let (mut running_mean, mut running_var) = (vec![0.0; channels], vec![1.0; channels]);
        let mut counter = 0i64;
        for (step_index, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
            let what = format!("case {index} step {step_index}");
            let (x, dy) = (floats(&step["x"]), floats(&step["dy"]));
            let (mut y, mut xhat) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            let (mut mean, mut invstd) = (vec![0.0; channels], vec![0.0; channels]);
            let stats = Stats {
                mean: &mut mean,
                invstd: &mut invstd,
                running_mean: &mut running_mean,
                running_var: &mut running_var,
            };
            batchnorm_forward_train(
                &x,
                gamma,
                beta,
                &mut y,
                &mut xhat,
                stats,
                &mut counter,
                momentum,
                eps,
                batch,
                channels,
                plane,
            );
            let mut dx = vec![0.0; x.len()];
            let (mut dgamma, mut dbeta) = (vec![0.0; channels], vec![0.0; channels]);
            let (dg, db) = if affine {
                (Some(dgamma.as_mut_slice()), Some(dbeta.as_mut_slice()))
            } else {
                (None, None)
            };
            batchnorm_backward(
                &dy,
                &xhat,
                &invstd,
                gamma,
                &mut dx,
                dg,
                db,
                Fresh::NONE,
                batch,
                channels,
                plane,
            );
            let expected = [
                ("y", y.as_slice()),
                ("dx", &dx),
                ("running_mean", &running_mean),
                ("running_var", &running_var),
            ];
            for (name, got) in expected {
                let want = floats(&step[name]);
                assert_matches(&format!("{what}: {name}"), got, &want, tolerance);
            }
            if affine {
                let want = floats(&step["dweight"]);
                assert_matches(&format!("{what}: dweight"), &dgamma, &want, tolerance);
                let want = floats(&step["dbias"]);
                assert_matches(&format!("{what}: dbias"), &dbeta, &want, tolerance);
            }
        }
        assert_eq!(Some(counter as u64), case["num_batches_tracked"].as_u64());
        let x = floats(&case["eval"]["x"]);
        let (mut scale, mut shift) = (vec![0.0; channels], vec![0.0; channels]);
        batchnorm_eval_affine(
            gamma,
            beta,
            &running_mean,
            &running_var,
            eps,
            &mut scale,
            &mut shift,
            channels,
        );
        let mut y = vec![0.0; x.len()];
        batchnorm_apply(&x, &scale, &shift, &mut y, batch, channels, plane);
        let want = floats(&case["eval"]["y"]);
        assert_matches(&format!("case {index}: eval y"), &y, &want, tolerance);
    }
}
