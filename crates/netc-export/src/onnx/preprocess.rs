//! `--with-preprocessing`: the checkpoint's feature transform as the
//! graph's first nodes, so the graph reads raw CSV features: a missing
//! (NaN) cell becomes its training mean, then each feature is centred
//! and scaled as `netc train` did.

use netc_lang::ir::Shape;

use super::graph::GraphBuilder;
use super::sample_dims;
use crate::FeatureTransform;

/// Nodes turning the raw input `x` (one sample of `shape`) into the
/// model's input; returns it. The per-feature tensors have the sample's
/// shape, so they broadcast over an image's `[batch, C, H, W]` too.
pub fn lower(
    graph: &mut GraphBuilder,
    transform: &FeatureTransform,
    x: &str,
    shape: Shape,
) -> String {
    let n = sample_dims(shape);
    let n = n.as_slice();
    let as_f32 = |values: &[f64]| values.iter().map(|&v| v as f32).collect::<Vec<f32>>();
    let imputed = match &transform.impute {
        Some(impute) => {
            let missing = graph.node("IsNaN", &[x], &[], "missing");
            let means = graph.tensor("preprocess.impute", n, &as_f32(impute));
            graph.node("Where", &[&missing, &means, x], &[], "imputed")
        }
        None => x.to_string(),
    };
    let center = graph.tensor("preprocess.center", n, &as_f32(&transform.center));
    let scale = graph.tensor("preprocess.scale", n, &as_f32(&transform.scale));
    let centred = graph.node("Sub", &[&imputed, &center], &[], "centred");
    graph.node("Div", &[&centred, &scale], &[], "standardized")
}
