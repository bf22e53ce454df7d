//! The inference graph of a checked model as an ONNX model (IR version 8,
//! opset 17): a `[batch, features]` float input named as the model's
//! input (`[batch, C, H, W]` for an image input, PyTorch's NCHW), one
//! output shaped as the model's output, the weights as initializers with
//! their `state_dict` names and shapes.

mod activation;
mod graph;
mod layers;
mod preprocess;
pub mod proto;

use netc_lang::ir::{Model, NodeKind, Shape};
use prost::Message;

use crate::{ExportError, FeatureTransform, Weights};
use graph::GraphBuilder;
use proto::{
    data_type, Dimension, DimensionValue, GraphProto, ModelProto, OperatorSetIdProto,
    StringStringEntryProto, TensorShapeProto, TensorTypeProto, TypeProto, ValueInfoProto,
};

pub const IR_VERSION: i64 = 8;
pub const OPSET: i64 = 17;
/// The symbolic name of the batch dimension.
pub const BATCH_DIM: &str = "batch";

/// What goes into the graph besides the model and its weights.
#[derive(Debug, Clone, Copy)]
pub struct OnnxOptions<'a> {
    /// Recorded as the producer version.
    pub netc_version: &'a str,
    /// Prepended so the graph takes raw features (`--with-preprocessing`).
    pub preprocessing: Option<&'a FeatureTransform>,
}

/// The serialized `ModelProto` of `model` with `weights`.
pub fn export(
    model: &Model,
    weights: &Weights,
    options: &OnnxOptions<'_>,
) -> Result<Vec<u8>, ExportError> {
    Ok(model_proto(model, weights, options)?.encode_to_vec())
}

/// The `ModelProto` itself, for callers that inspect it.
pub fn model_proto(
    model: &Model,
    weights: &Weights,
    options: &OnnxOptions<'_>,
) -> Result<ModelProto, ExportError> {
    if let Some(transform) = options.preprocessing {
        transform.check_width(model.input.width())?;
    }
    let mut graph = GraphBuilder::default();
    let input = graph.reserve(&model.input.name);
    let mut value = match options.preprocessing {
        Some(transform) => preprocess::lower(&mut graph, transform, &input, model.input.shape),
        None => input.clone(),
    };
    let mut values: Vec<String> = Vec::with_capacity(model.nodes.len());
    for (_, node) in model.nodes.iter() {
        value = match node.kind {
            NodeKind::Input => value.clone(),
            NodeKind::Call { layer, arg } => layers::lower(
                &mut graph,
                &model.layers[layer],
                weights,
                &values[arg.index()],
                model.nodes[arg].shape,
            )?,
            NodeKind::Activation { activation, arg } => activation::lower(
                &mut graph,
                activation,
                &values[arg.index()],
                model.nodes[arg].shape,
            ),
            NodeKind::Add { lhs, rhs } => graph.node(
                "Add",
                &[&values[lhs.index()], &values[rhs.index()]],
                &[],
                "add",
            ),
        };
        values.push(value.clone());
    }
    let output_node = model.output.ok_or_else(|| ExportError::NoOutput {
        model: model.name.clone(),
    })?;
    let output = graph.name_output(&values[output_node.index()], "output");

    let mut metadata = vec![
        entry("netc_model", &model.name),
        entry("netc_version", options.netc_version),
    ];
    if let Some(transform) = options.preprocessing {
        metadata.push(entry("netc_features", &transform.features.join(",")));
    }
    Ok(ModelProto {
        ir_version: Some(IR_VERSION),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(OPSET),
        }],
        producer_name: Some("netc".into()),
        producer_version: Some(options.netc_version.into()),
        domain: None,
        model_version: Some(1),
        doc_string: Some(format!(
            "{} exported by netc {} (eval mode: batchnorm uses its running statistics, dropout is removed)",
            model.name, options.netc_version
        )),
        graph: Some(GraphProto {
            node: graph.nodes,
            name: Some(model.name.clone()),
            initializer: graph.initializers,
            doc_string: None,
            input: vec![value_info(&input, model.input.shape, input_doc(options))],
            output: vec![value_info(
                &output,
                model.nodes[output_node].shape,
                None,
            )],
        }),
        metadata_props: metadata,
    })
}

fn input_doc(options: &OnnxOptions<'_>) -> Option<String> {
    options.preprocessing.map(|t| {
        format!(
            "raw features in this order: {} (NaN = missing)",
            t.features.join(", ")
        )
    })
}

fn entry(key: &str, value: &str) -> StringStringEntryProto {
    StringStringEntryProto {
        key: Some(key.into()),
        value: Some(value.into()),
    }
}

/// A float tensor of `shape` per sample behind a symbolic batch:
/// `[batch, width]`, or `[batch, C, H, W]` for an image (PyTorch's NCHW).
fn value_info(name: &str, shape: Shape, doc: Option<String>) -> ValueInfoProto {
    let dim = |value| Dimension { value: Some(value) };
    let mut dims = vec![dim(DimensionValue::DimParam(BATCH_DIM.into()))];
    dims.extend(
        sample_dims(shape)
            .into_iter()
            .map(|d| dim(DimensionValue::DimValue(d as i64))),
    );
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: Some(data_type::FLOAT),
                shape: Some(TensorShapeProto { dim: dims }),
            }),
        }),
        doc_string: doc,
    }
}

/// One sample's dimensions: `[width]` or `[C, H, W]`.
pub(crate) fn sample_dims(shape: Shape) -> Vec<usize> {
    match shape {
        Shape::Flat(width) => vec![width],
        Shape::Image(image) => vec![image.channels, image.height, image.width],
    }
}
