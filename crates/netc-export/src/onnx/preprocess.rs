//! `--with-preprocessing`: the checkpoint's feature transform as the
//! graph's first nodes, so the graph reads raw CSV features: a missing
//! (NaN) cell becomes its training mean, then each feature is centred
//! and scaled as `netc train` did.

use super::graph::GraphBuilder;
use crate::FeatureTransform;

/// Nodes turning the raw input `x` into the model's input; returns it.
pub fn lower(graph: &mut GraphBuilder, transform: &FeatureTransform, x: &str) -> String {
    let n = transform.center.len();
    let as_f32 = |values: &[f64]| values.iter().map(|&v| v as f32).collect::<Vec<f32>>();
    let imputed = match &transform.impute {
        Some(impute) => {
            let missing = graph.node("IsNaN", &[x], &[], "missing");
            let means = graph.tensor("preprocess.impute", &[n], &as_f32(impute));
            graph.node("Where", &[&missing, &means, x], &[], "imputed")
        }
        None => x.to_string(),
    };
    let center = graph.tensor("preprocess.center", &[n], &as_f32(&transform.center));
    let scale = graph.tensor("preprocess.scale", &[n], &as_f32(&transform.scale));
    let centred = graph.node("Sub", &[&imputed, &center], &[], "centred");
    graph.node("Div", &[&centred, &scale], &[], "standardized")
}
