//! A small ONNX graph writer on tract-onnx's protobuf structs (`tract_onnx::pb`, encoded
//! with prost): float32 initializers, nodes with int/float attributes, inputs and outputs
//! with fixed or symbolic dimensions. Opset 13.

use tract_onnx::pb;
use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::tensor_shape_proto::{dimension, Dimension};

/// One dimension of a graph input or output.
#[derive(Clone, Debug)]
pub enum Dim {
    /// A fixed size.
    Fixed(i64),
    /// A symbolic size (any).
    Param(&'static str),
}

/// A node attribute value.
#[derive(Clone, Debug)]
pub enum Attr {
    /// One integer.
    Int(i64),
    /// Integers.
    Ints(Vec<i64>),
    /// One float.
    Float(f32),
}

/// A graph under construction.
#[derive(Debug, Default)]
pub struct Graph {
    graph: pb::GraphProto,
}

fn value_info(name: &str, dims: &[Dim]) -> pb::ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Dim::Fixed(v) => dimension::Value::DimValue(*v),
                Dim::Param(p) => dimension::Value::DimParam((*p).to_string()),
            }),
            ..Default::default()
        })
        .collect();
    pb::ValueInfoProto {
        name: name.to_string(),
        r#type: Some(pb::TypeProto {
            value: Some(pb::type_proto::Value::TensorType(pb::type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(pb::TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

impl Graph {
    /// An empty graph called `name`.
    pub fn new(name: &str) -> Graph {
        Graph {
            graph: pb::GraphProto {
                name: name.to_string(),
                ..Default::default()
            },
        }
    }

    /// Declares a float32 input.
    pub fn input(&mut self, name: &str, dims: &[Dim]) {
        self.graph.input.push(value_info(name, dims));
    }

    /// Declares a float32 output.
    pub fn output(&mut self, name: &str, dims: &[Dim]) {
        self.graph.output.push(value_info(name, dims));
    }

    /// Adds a float32 constant.
    pub fn float_init(&mut self, name: &str, dims: &[usize], data: &[f32]) {
        let raw: Vec<u8> = data.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.graph.initializer.push(pb::TensorProto {
            name: name.to_string(),
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DataType::Float as i32,
            raw_data: raw,
            ..Default::default()
        });
    }

    /// Adds an int64 constant (shapes).
    pub fn int_init(&mut self, name: &str, data: &[i64]) {
        self.graph.initializer.push(pb::TensorProto {
            name: name.to_string(),
            dims: vec![data.len() as i64],
            data_type: DataType::Int64 as i32,
            int64_data: data.to_vec(),
            ..Default::default()
        });
    }

    /// Adds a node.
    pub fn node(&mut self, op: &str, inputs: &[&str], outputs: &[&str], attrs: &[(&str, Attr)]) {
        let attribute = attrs
            .iter()
            .map(|(n, a)| {
                let mut p = pb::AttributeProto {
                    name: (*n).to_string(),
                    ..Default::default()
                };
                match a {
                    Attr::Int(v) => {
                        p.i = *v;
                        p.r#type = AttributeType::Int as i32;
                    }
                    Attr::Ints(v) => {
                        p.ints = v.clone();
                        p.r#type = AttributeType::Ints as i32;
                    }
                    Attr::Float(v) => {
                        p.f = *v;
                        p.r#type = AttributeType::Float as i32;
                    }
                }
                p
            })
            .collect();
        let name = format!("{}_{}", op, self.graph.node.len());
        self.graph.node.push(pb::NodeProto {
            name,
            op_type: op.to_string(),
            input: inputs.iter().map(|s| (*s).to_string()).collect(),
            output: outputs.iter().map(|s| (*s).to_string()).collect(),
            attribute,
            ..Default::default()
        });
    }

    /// The serialized model (IR 7, opset 13).
    pub fn to_bytes(self, doc: &str) -> Vec<u8> {
        let model = pb::ModelProto {
            ir_version: 7,
            opset_import: vec![pb::OperatorSetIdProto {
                domain: String::new(),
                version: 13,
            }],
            producer_name: "edgemark-train".into(),
            producer_version: env!("CARGO_PKG_VERSION").into(),
            doc_string: doc.to_string(),
            graph: Some(self.graph),
            ..Default::default()
        };
        prost::Message::encode_to_vec(&model)
    }
}
