//! An ONNX model run through tract: parsed and checked once, then optimized once per input
//! size and shared between threads.

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tract_onnx::pb;
use tract_onnx::prelude::*;

/// How many input sizes keep an optimized plan (the card's size is always among the first).
const PLAN_CACHE: usize = 8;

type Plan = Arc<TypedRunnableModel>;

/// An ONNX model with named inputs and outputs. Cheap to share (`Arc` inside); `run` may be
/// called from many threads at once.
#[derive(Clone)]
pub struct OnnxModel {
    inner: Arc<Inner>,
}

struct Inner {
    label: String,
    model: InferenceModel,
    inputs: Vec<(String, usize)>,
    outputs: Vec<String>,
    plans: Mutex<HashMap<Vec<Vec<usize>>, Plan>>,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("label", &self.inner.label)
            .field("inputs", &self.inner.inputs)
            .field("outputs", &self.inner.outputs)
            .finish()
    }
}

pub(crate) fn model_err(msg: impl std::fmt::Display) -> Error {
    Error::model(msg)
}

/// A model error raised by tract, kept as the source; the message has tract's whole chain.
pub(crate) fn tract_err(label: &str, what: &str, e: TractError) -> Error {
    Error::model_from(format!("{label}: {what}: {e:#}"), e)
}

impl OnnxModel {
    /// Parses an ONNX file from bytes. `label` names the model in errors.
    pub fn from_bytes(label: &str, bytes: &[u8]) -> Result<OnnxModel> {
        if bytes.is_empty() {
            return Err(model_err(format!("{label}: empty ONNX file")));
        }
        let onnx = tract_onnx::onnx();
        let mut proto = onnx
            .proto_model_for_read(&mut &bytes[..])
            .map_err(|e| tract_err(label, "not a readable ONNX protobuf", e))?;
        let graph = proto
            .graph
            .as_ref()
            .ok_or_else(|| model_err(format!("{label}: ONNX file has no graph")))?;
        let initializers: Vec<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
        let inputs: Vec<(String, usize)> = graph
            .input
            .iter()
            .filter(|i| !initializers.contains(&i.name.as_str()))
            .map(|i| (i.name.clone(), rank(i)))
            .collect();
        let outputs: Vec<String> = graph.output.iter().map(|o| o.name.clone()).collect();
        if inputs.is_empty() || outputs.is_empty() {
            return Err(model_err(format!(
                "{label}: ONNX graph has no inputs or no outputs"
            )));
        }
        // Intermediate shape annotations are optional hints; tools such as onnxruntime's
        // quantizer leave symbolic ones behind that contradict concrete input shapes.
        if let Some(g) = proto.graph.as_mut() {
            g.value_info.clear();
        }
        let model = onnx
            .model_for_proto_model(&proto)
            .map_err(|e| tract_err(label, "cannot translate the ONNX graph", e))?;
        Ok(OnnxModel {
            inner: Arc::new(Inner {
                label: label.to_string(),
                model,
                inputs,
                outputs,
                plans: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Reads and parses an ONNX file.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<OnnxModel> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })?;
        OnnxModel::from_bytes(&path.display().to_string(), &bytes)
    }

    /// The name errors use.
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    /// Input names with their declared rank, in model order.
    pub fn inputs(&self) -> &[(String, usize)] {
        &self.inner.inputs
    }

    /// Output names, in model order.
    pub fn outputs(&self) -> &[String] {
        &self.inner.outputs
    }

    /// Position of the input called `name`; checks its rank when the model declares one.
    pub(crate) fn input_index(&self, name: &str, rank: usize) -> Result<usize> {
        let (i, (_, declared)) = self
            .inner
            .inputs
            .iter()
            .enumerate()
            .find(|(_, (n, _))| n == name)
            .ok_or_else(|| {
                model_err(format!(
                    "{}: the card names input '{name}', the model has {:?}",
                    self.label(),
                    self.inner.inputs.iter().map(|i| &i.0).collect::<Vec<_>>()
                ))
            })?;
        if *declared != 0 && *declared != rank {
            return Err(model_err(format!(
                "{}: input '{name}' has rank {declared}, the card's layout has {rank} axes",
                self.label()
            )));
        }
        Ok(i)
    }

    /// Position of the output called `name`.
    pub(crate) fn output_index(&self, name: &str) -> Result<usize> {
        self.inner
            .outputs
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| {
                model_err(format!(
                    "{}: the card names output '{name}', the model has {:?}",
                    self.label(),
                    self.inner.outputs
                ))
            })
    }

    /// The optimized plan for these input shapes (built on first use, then cached).
    pub(crate) fn plan(&self, shapes: &[Vec<usize>]) -> Result<Plan> {
        if let Some(p) = self.cached(shapes) {
            return Ok(p);
        }
        let label = self.label();
        if shapes.len() != self.inner.inputs.len() {
            return Err(model_err(format!(
                "{label}: {} input shapes given, the model has {} inputs",
                shapes.len(),
                self.inner.inputs.len()
            )));
        }
        let mut model = self.inner.model.clone();
        for (i, shape) in shapes.iter().enumerate() {
            model = model
                .with_input_fact(i, f32::fact(shape).into())
                .map_err(|e| tract_err(label, "cannot set the input shape", e))?;
        }
        let plan = model
            .into_optimized()
            .map_err(|e| {
                tract_err(
                    label,
                    &format!("the model does not accept inputs of shape {shapes:?}"),
                    e,
                )
            })?
            .into_runnable()
            .map_err(|e| tract_err(label, "cannot plan the model", e))?;
        if let Ok(mut cache) = self.inner.plans.lock() {
            if cache.len() >= PLAN_CACHE {
                cache.clear();
            }
            cache.insert(shapes.to_vec(), plan.clone());
        }
        Ok(plan)
    }

    fn cached(&self, shapes: &[Vec<usize>]) -> Option<Plan> {
        self.inner.plans.lock().ok()?.get(shapes).cloned()
    }

    /// Runs the model on `inputs` (in model order) and returns every output.
    pub(crate) fn run(&self, inputs: Vec<Tensor>) -> Result<Vec<Tensor>> {
        let shapes: Vec<Vec<usize>> = inputs.iter().map(|t| t.shape().to_vec()).collect();
        let plan = self.plan(&shapes)?;
        let out = plan
            .run(inputs.into_iter().map(TValue::from).collect())
            .map_err(|e| tract_err(self.label(), "inference failed", e))?;
        Ok(out.into_iter().map(TValue::into_tensor).collect())
    }
}

/// Declared rank of a graph input, 0 when the file does not say.
fn rank(input: &pb::ValueInfoProto) -> usize {
    match input.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(pb::type_proto::Value::TensorType(t)) => t.shape.as_ref().map_or(0, |s| s.dim.len()),
        _ => 0,
    }
}
