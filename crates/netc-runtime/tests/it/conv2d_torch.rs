//! conv2d replays PyTorch's `F.conv2d` forward and gradients on every ISA
//! path (fixture from scripts/torch_reference/make_conv_fixtures.py):
//! LeNet's second convolution, stride with padding, `same` padding of an
//! even kernel (asymmetric), dilation, groups with a rectangular kernel,
//! depthwise without bias.

use netc_ops::image::{Conv2dGeometry, ImageShape, Pad, Window};
use netc_runtime::kernels::{
    conv2d_backward_on, conv2d_cols_len, conv2d_forward_on, conv2d_rows_len, Fresh,
};
use netc_runtime::simd::Isa;

/// One fixture case: the geometry, the inputs, and PyTorch's results.
struct Case {
    name: String,
    geometry: Conv2dGeometry,
    batch: usize,
    tolerance: f64,
    tensors: Vec<(String, Vec<f32>)>,
}

impl Case {
    fn tensor(&self, tag: &str) -> Option<&[f32]> {
        self.tensors
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, v)| v.as_slice())
    }

    fn expect(&self, tag: &str) -> &[f32] {
        self.tensor(tag)
            .unwrap_or_else(|| panic!("{}: no `{tag}` line", self.name))
    }
}

fn numbers<T: std::str::FromStr>(text: &str) -> Vec<T> {
    text.split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(|v| v.parse().unwrap_or_else(|_| panic!("fixture number `{v}`")))
        .collect()
}

/// The `case` line's `key=value` fields as the geometry.
fn case(header: &str) -> Case {
    let mut fields = header.split_whitespace();
    let name = fields.next().expect("case name").to_string();
    let field = |key: &str| {
        header
            .split_whitespace()
            .find_map(|f| f.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .unwrap_or_else(|| panic!("{name}: no `{key}`"))
    };
    let pairs = |key: &str| numbers::<usize>(field(key));
    let (input, kernel, stride, pad, dilation) = (
        pairs("input"),
        pairs("kernel"),
        pairs("stride"),
        pairs("pad"),
        pairs("dilation"),
    );
    let window = |axis: usize| Window {
        kernel: kernel[axis],
        stride: stride[axis],
        pad: Pad {
            before: pad[2 * axis],
            after: pad[2 * axis + 1],
        },
        dilation: dilation[axis],
    };
    Case {
        geometry: Conv2dGeometry {
            input: ImageShape {
                channels: input[0],
                height: input[1],
                width: input[2],
            },
            out_channels: field("out").parse().expect("out"),
            groups: field("groups").parse().expect("groups"),
            rows: window(0),
            cols: window(1),
        },
        batch: field("batch").parse().expect("batch"),
        tolerance: field("tol").parse().expect("tol"),
        tensors: Vec::new(),
        name,
    }
}

fn cases() -> Vec<Case> {
    let text = include_str!("../../../../tests/fixtures/torch/images/conv2d.txt");
    let mut cases: Vec<Case> = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (tag, rest) = line.split_once(' ').expect("tagged line");
        if tag == "case" {
            cases.push(case(rest));
        } else {
            let case = cases.last_mut().expect("a case line first");
            case.tensors.push((tag.to_string(), numbers(rest)));
        }
    }
    cases
}

fn assert_close(what: &str, got: &[f32], want: &[f32], tolerance: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let (g, w) = (f64::from(g), f64::from(w));
        assert!(
            (g - w).abs() <= tolerance * (1.0 + w.abs()),
            "{what}[{i}] = {g}, PyTorch {w}"
        );
    }
}

#[test]
fn conv2d_matches_pytorch_on_every_path() {
    let cases = cases();
    assert_eq!(cases.len(), 6, "every fixture case read");
    for case in &cases {
        let (g, batch) = (&case.geometry, case.batch);
        let (x, w, dy) = (case.expect("x"), case.expect("w"), case.expect("dy"));
        let b = case.tensor("b");
        for isa in Isa::available() {
            let what = format!("{} ({})", case.name, isa.name());
            let mut y = vec![0.0; case.expect("y").len()];
            let mut cols = vec![0.0; batch * conv2d_cols_len(g)];
            let mut dcols = vec![0.0; cols.len()];
            let mut rows = vec![0.0; batch * conv2d_rows_len(g)];
            conv2d_forward_on(isa, x, w, b, &mut y, &mut cols, &mut rows, batch, g);
            let (mut dx, mut dw, mut db) = (
                vec![0.0; x.len()],
                vec![0.0; w.len()],
                vec![0.0; g.out_channels],
            );
            let db_arg = b.map(|_| db.as_mut_slice());
            conv2d_backward_on(
                isa,
                &cols,
                w,
                dy,
                &mut rows,
                Some(&mut dcols),
                Some(&mut dx),
                &mut dw,
                db_arg,
                Fresh::NONE,
                batch,
                g,
            );
            assert_close(&format!("{what}: y"), &y, case.expect("y"), case.tolerance);
            assert_close(
                &format!("{what}: dx"),
                &dx,
                case.expect("dx"),
                case.tolerance,
            );
            assert_close(
                &format!("{what}: dw"),
                &dw,
                case.expect("dw"),
                case.tolerance,
            );
            if b.is_some() {
                assert_close(
                    &format!("{what}: db"),
                    &db,
                    case.expect("db"),
                    case.tolerance,
                );
            }
        }
    }
}
