//! A small builder over `GraphProto`: unique value names, initializers
//! added once (a layer called twice reads the same tensors), nodes in the
//! order they are added (which is the forward's evaluation order, so the
//! graph is topologically sorted as ONNX requires).

use std::collections::HashSet;

use super::proto::{attribute_type, data_type, AttributeProto, NodeProto, TensorProto};

#[derive(Debug, Default)]
pub struct GraphBuilder {
    pub nodes: Vec<NodeProto>,
    pub initializers: Vec<TensorProto>,
    names: HashSet<String>,
}

/// A node attribute.
pub enum Attr {
    Float(&'static str, f64),
    Int(&'static str, i64),
    Ints(&'static str, Vec<i64>),
}

impl GraphBuilder {
    /// Claims `name` (a graph input) so no node output takes it.
    pub fn reserve(&mut self, name: &str) -> String {
        self.unique(name)
    }

    /// A float tensor; returns its name. Adding a name twice keeps the
    /// first tensor: callers name tensors by what they hold.
    pub fn tensor(&mut self, name: &str, dims: &[usize], values: &[f32]) -> String {
        let bytes = || values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializer(name, dims, data_type::FLOAT, bytes)
    }

    /// A 1-d int64 tensor (a shape operand), shared by name like
    /// [`tensor`](Self::tensor).
    pub fn int64s(&mut self, name: &str, values: &[i64]) -> String {
        let bytes = || values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.initializer(name, &[values.len()], data_type::INT64, bytes)
    }

    fn initializer(
        &mut self,
        name: &str,
        dims: &[usize],
        data_type: i32,
        bytes: impl FnOnce() -> Vec<u8>,
    ) -> String {
        if !self
            .initializers
            .iter()
            .any(|t| t.name.as_deref() == Some(name))
        {
            self.names.insert(name.to_string());
            self.initializers.push(TensorProto {
                dims: dims.iter().map(|&d| d as i64).collect(),
                data_type: Some(data_type),
                name: Some(name.to_string()),
                raw_data: Some(bytes()),
            });
        }
        name.to_string()
    }

    /// A 0-d float constant, broadcast against any value; named after
    /// what it is for and its value, so equal constants are shared.
    pub fn scalar(&mut self, purpose: &str, value: f64) -> String {
        let value = value as f32;
        self.tensor(&format!("{purpose}={value:?}"), &[], &[value])
    }

    /// Adds an `op` node reading `inputs`; returns its output's name,
    /// made unique from `hint`.
    pub fn node(&mut self, op: &str, inputs: &[&str], attrs: &[Attr], hint: &str) -> String {
        let output = self.unique(hint);
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.clone()],
            name: Some(format!("{op}:{output}")),
            op_type: Some(op.to_string()),
            attribute: attrs.iter().map(attribute).collect(),
        });
        output
    }

    /// Gives `value` the graph output name `name`: the node producing it
    /// is renamed, or (for a graph input or an initializer) an `Identity`
    /// node copies it.
    pub fn name_output(&mut self, value: &str, name: &str) -> String {
        let name = self.unique(name);
        let produced = self
            .nodes
            .iter()
            .any(|n| n.output.iter().any(|o| o == value));
        if !produced {
            return self.node_named("Identity", &[value], &name);
        }
        for node in &mut self.nodes {
            for port in node.input.iter_mut().chain(node.output.iter_mut()) {
                if port == value {
                    port.clone_from(&name);
                }
            }
            let op = node.op_type.clone().unwrap_or_default();
            if node.output.contains(&name) {
                node.name = Some(format!("{op}:{name}"));
            }
        }
        name
    }

    fn node_named(&mut self, op: &str, inputs: &[&str], output: &str) -> String {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.to_string()],
            name: Some(format!("{op}:{output}")),
            op_type: Some(op.to_string()),
            attribute: Vec::new(),
        });
        output.to_string()
    }

    fn unique(&mut self, hint: &str) -> String {
        let mut name = hint.to_string();
        let mut n = 1;
        while self.names.contains(&name) {
            name = format!("{hint}_{n}");
            n += 1;
        }
        self.names.insert(name.clone());
        name
    }
}

fn attribute(attr: &Attr) -> AttributeProto {
    let empty = |name: &str, kind| AttributeProto {
        name: Some(name.to_string()),
        f: None,
        i: None,
        ints: Vec::new(),
        r#type: Some(kind),
    };
    match attr {
        Attr::Float(name, value) => AttributeProto {
            f: Some(*value as f32),
            ..empty(name, attribute_type::FLOAT)
        },
        Attr::Int(name, value) => AttributeProto {
            i: Some(*value),
            ..empty(name, attribute_type::INT)
        },
        Attr::Ints(name, values) => AttributeProto {
            ints: values.clone(),
            ..empty(name, attribute_type::INTS)
        },
    }
}
