//! `edgemark._native`: the Rust half of the `edgemark` Python package. Thin by design: each
//! function turns Python values into `edgemark` calls and gives back JSON text or bytes; the
//! Python half (`edgemark/__init__.py`) gives them their Python shape (dicts, numpy arrays)
//! and documents the API. Long work runs with the interpreter released (`Python::detach`),
//! batches on every core (rayon).

use edgemark::config::{DetectorConfig, WatermarkSpec};
use edgemark::dataset::{self, AuditOptions, Manifest, MarkOptions, Progress};
use edgemark::detector::Record;
use edgemark::registry::{Registry, Request};
use edgemark::{Bits, Classic, ClassicKind, Convention, EmbedStyle, Image, Limits, PixelFormat};
use edgemark::{Report, Scheme};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::PyBytes;
use rayon::prelude::*;
use std::path::PathBuf;

pyo3::create_exception!(
    edgemark,
    Error,
    PyException,
    "An EdgeMark error: unreadable or corrupt input, a bad configuration, a failed write. The message says which."
);

fn err(e: impl std::fmt::Display) -> PyErr {
    Error::new_err(e.to_string())
}

/// The registry: the built-in schemes, the models the caller named (card files, model
/// folders, or folders of them; one that does not load is an error), then the usual model
/// folders (`$EDGEMARK_MODELS`, `./models`).
fn registry(models: &[PathBuf]) -> PyResult<Registry> {
    Registry::with_models_and(models).map_err(err)
}

/// A scheme the Python side names: scheme, message, bit length, name to report it under.
type SchemeSpec = (String, Option<String>, Option<usize>, Option<String>);

/// One image handed over by the Python side: a path, encoded bytes, or raw pixels
/// `(width, height, format)` with their bytes.
type Item = (
    Option<PathBuf>,
    Option<PyBackedBytes>,
    Option<(u32, u32, String)>,
);

enum Input {
    Path(PathBuf),
    Encoded(PyBackedBytes),
    Raw {
        width: u32,
        height: u32,
        format: PixelFormat,
        data: PyBackedBytes,
    },
}

fn pixel_format(name: &str) -> PyResult<PixelFormat> {
    Ok(match name {
        "rgb" => PixelFormat::Rgb8,
        "rgba" => PixelFormat::Rgba8,
        "bgr" => PixelFormat::Bgr8,
        "bgra" => PixelFormat::Bgra8,
        "gray" => PixelFormat::Gray8,
        other => {
            return Err(err(format!(
                "pixel format '{other}' (expected rgb, rgba, bgr, bgra or gray)"
            )))
        }
    })
}

impl Input {
    fn from_item(item: Item) -> PyResult<Input> {
        match item {
            (Some(path), None, None) => Ok(Input::Path(path)),
            (None, Some(bytes), None) => Ok(Input::Encoded(bytes)),
            (None, Some(data), Some((width, height, format))) => Ok(Input::Raw {
                width,
                height,
                format: pixel_format(&format)?,
                data,
            }),
            _ => Err(err("an image is a path, encoded bytes, or raw pixels")),
        }
    }

    /// The file name a record carries.
    fn file(&self) -> Option<String> {
        match self {
            Input::Path(p) => Some(p.display().to_string()),
            _ => None,
        }
    }

    fn image(&self, limits: &Limits) -> edgemark::Result<Image> {
        match self {
            Input::Path(p) => Image::open(p),
            Input::Encoded(b) => Image::decode_with_limits(b, limits),
            Input::Raw {
                width,
                height,
                format,
                data,
            } => Image::from_raw(data, *width, *height, None, *format, limits),
        }
    }
}

/// Runs `work` on `jobs` threads (`None`: rayon's global pool, one thread per core).
fn on_threads<T: Send>(jobs: Option<usize>, work: impl FnOnce() -> T + Send) -> PyResult<T> {
    match jobs {
        None => Ok(work()),
        Some(0) => Err(err("jobs must be at least 1 (or None: every core)")),
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(err)?
            .install(work)),
    }
}

fn record(file: Option<&str>, outcome: &Result<Report, String>) -> String {
    let record = Record::new(file, outcome.as_ref().map_err(String::as_str));
    serde_json::to_string(&record).unwrap_or_else(|e| {
        serde_json::json!({"file": file, "findings": [], "error": e.to_string()}).to_string()
    })
}

/// Runs watermarks on images. See `edgemark.Detector`.
#[pyclass(name = "Detector", module = "edgemark._native", frozen)]
struct Detector {
    inner: edgemark::Detector,
}

impl Detector {
    fn run(&self, input: &Input) -> Result<Report, String> {
        match input {
            Input::Path(p) => self.inner.detect_file(p),
            Input::Encoded(b) => self.inner.detect_bytes(b),
            raw => raw
                .image(&Limits::default())
                .map(|image| self.inner.detect(&image)),
        }
        .map_err(|e| e.to_string())
    }
}

#[pymethods]
impl Detector {
    #[new]
    #[pyo3(signature = (presets, schemes, watermarks, models, fpr))]
    fn new(
        presets: Option<Vec<String>>,
        schemes: Vec<SchemeSpec>,
        watermarks: Vec<Bound<'_, Watermark>>,
        models: Vec<PathBuf>,
        fpr: f64,
    ) -> PyResult<Detector> {
        let mut config = DetectorConfig::default();
        config.presets = presets;
        config.watermarks = schemes
            .into_iter()
            .map(|(scheme, message, bits, name)| {
                WatermarkSpec::new(scheme)
                    .with_message(message)
                    .with_bits(bits)
                    .with_name(name)
                    .into()
            })
            .collect();
        config.models = models;
        config.fpr = Some(fpr);
        let others = watermarks.iter().map(|w| w.get().inner.clone()).collect();
        let inner = config.build(others).map_err(err)?;
        Ok(Detector { inner })
    }

    /// The false-positive rate per image, over all the watermarks.
    #[getter]
    fn fpr(&self) -> f64 {
        self.inner.fpr()
    }

    /// The names of the watermarks looked for, in order.
    #[getter]
    fn watermarks(&self) -> Vec<String> {
        self.inner
            .watermarks()
            .iter()
            .map(|w| w.name().to_string())
            .collect()
    }

    /// One image: its record as JSON text; an image that cannot be read raises.
    fn detect(&self, py: Python<'_>, item: Item) -> PyResult<String> {
        let input = Input::from_item(item)?;
        let outcome = py.detach(|| self.run(&input));
        match outcome {
            Ok(_) => Ok(record(input.file().as_deref(), &outcome)),
            // Name the file unless the library's message already does.
            Err(e) => Err(err(match input.file() {
                Some(f) if !e.contains(&f) => format!("{f}: {e}"),
                _ => e,
            })),
        }
    }

    /// Many images on `jobs` threads (default: every core), with the interpreter released:
    /// one JSON record each, in order; an image that cannot be read gets a record with its
    /// `error`.
    #[pyo3(signature = (items, jobs=None))]
    fn detect_many(
        &self,
        py: Python<'_>,
        items: Vec<Item>,
        jobs: Option<usize>,
    ) -> PyResult<Vec<String>> {
        let inputs = items
            .into_iter()
            .map(Input::from_item)
            .collect::<PyResult<Vec<_>>>()?;
        py.detach(|| {
            on_threads(jobs, || {
                inputs
                    .par_iter()
                    .map(|i| record(i.file().as_deref(), &self.run(i)))
                    .collect()
            })
        })
    }
}

/// A scheme with its message: what a detector looks for and what `embed` writes.
#[pyclass(name = "Watermark", module = "edgemark._native", frozen)]
struct Watermark {
    inner: edgemark::Watermark,
}

/// Marked pixels: width, height, RGB bytes, alpha bytes (if the input had alpha), PSNR to the
/// input in dB, and the PNG file when asked for.
type Marked = (
    u32,
    u32,
    Py<PyBytes>,
    Option<Py<PyBytes>>,
    f64,
    Option<Py<PyBytes>>,
);

#[pymethods]
impl Watermark {
    #[new]
    #[pyo3(signature = (scheme, message, bits, style, convention, name, models))]
    fn new(
        scheme: String,
        message: Option<String>,
        bits: Option<usize>,
        style: Option<String>,
        convention: Option<String>,
        name: Option<String>,
        models: Vec<PathBuf>,
    ) -> PyResult<Watermark> {
        let request = Request::new()
            .parse_message(message.as_deref())
            .and_then(|r| r.parse_style(style.as_deref(), convention.as_deref()))
            .map_err(err)?
            .bits(bits)
            .named(name);
        let inner = registry(&models)?.build(&scheme, &request).map_err(err)?;
        Ok(Watermark { inner })
    }

    /// The name findings are reported under.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// The scheme that reads and writes it (e.g. `dwtDct`).
    #[getter]
    fn scheme(&self) -> &str {
        self.inner.scheme().name()
    }

    /// Payload bits.
    #[getter]
    fn bit_len(&self) -> usize {
        self.inner.scheme().bit_len()
    }

    /// The bound message as `0`/`1` characters, if any.
    #[getter]
    fn message(&self) -> Option<String> {
        self.inner.message().map(|m| m.to_string())
    }

    /// Embeds into one image (read as `Detector.detect` reads it).
    #[pyo3(signature = (item, png=false))]
    fn embed(&self, py: Python<'_>, item: Item, png: bool) -> PyResult<Marked> {
        let input = Input::from_item(item)?;
        let (marked, psnr, file) = py
            .detach(|| -> edgemark::Result<_> {
                let cover = input.image(&Limits::default())?;
                let marked = self.inner.embed(&cover, None)?;
                let psnr = edgemark::image::psnr(&cover, &marked);
                let file = if png { Some(marked.to_png()?) } else { None };
                Ok((marked, psnr, file))
            })
            .map_err(err)?;
        Ok((
            marked.width(),
            marked.height(),
            PyBytes::new(py, marked.rgb()).unbind(),
            marked.alpha().map(|a| PyBytes::new(py, a).unbind()),
            psnr,
            file.map(|f| PyBytes::new(py, &f).unbind()),
        ))
    }

    /// Embeds `input` into `output` (format from its extension); returns the PSNR in dB.
    fn embed_file(&self, py: Python<'_>, input: PathBuf, output: PathBuf) -> PyResult<f64> {
        py.detach(|| -> edgemark::Result<f64> {
            let cover = Image::open(&input)?;
            let marked = self.inner.embed(&cover, None)?;
            marked.save(&output)?;
            Ok(edgemark::image::psnr(&cover, &marked))
        })
        .map_err(err)
    }
}

/// Every scheme, preset and model the registry knows (with `models` named first), as JSON
/// objects (`edgemark schemes --json`).
#[pyfunction]
#[pyo3(signature = (models))]
fn schemes(models: Vec<PathBuf>) -> PyResult<Vec<String>> {
    registry(&models)?
        .entries()
        .iter()
        .map(|e| serde_json::to_string(e).map_err(err))
        .collect()
}

fn classic_kind(method: &str) -> PyResult<ClassicKind> {
    match method {
        "dwtDct" => Ok(ClassicKind::DwtDct),
        "dwtDctSvd" => Ok(ClassicKind::DwtDctSvd),
        other => Err(err(format!(
            "method '{other}' (EdgeMark's imwatermark decoder reads dwtDct and dwtDctSvd)"
        ))),
    }
}

/// A packed BGR image (OpenCV's layout), as imwatermark is handed it.
fn bgr_image(bgr: &[u8], width: u32, height: u32) -> PyResult<Image> {
    Image::from_raw(
        bgr,
        width,
        height,
        None,
        PixelFormat::Bgr8,
        &Limits::default(),
    )
    .map_err(err)
}

/// imwatermark's `decode`: the hard bits of `method` on a BGR image, read with the 8-bit
/// (or, for float images, the float) colour arithmetic, exactly as imwatermark reads them.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn imw_decode(
    py: Python<'_>,
    method: &str,
    nbits: usize,
    width: u32,
    height: u32,
    bgr: PyBackedBytes,
    float: bool,
    scales: (f64, f64),
    block: usize,
) -> PyResult<Vec<bool>> {
    let convention = if float {
        Convention::Float
    } else {
        Convention::Uint8
    };
    let scheme = Classic::new(classic_kind(method)?, nbits, [scales.0, scales.1], block)
        .and_then(|c| c.with_conventions(&[convention]))
        .map_err(err)?;
    let image = bgr_image(&bgr, width, height)?;
    let readings = py.detach(|| scheme.decode(&image)).map_err(err)?;
    let reading = readings
        .first()
        .ok_or_else(|| err("the image gave no reading"))?;
    Ok(reading.bits.as_slice().to_vec())
}

/// imwatermark's `encode` on a uint8 BGR image: its exact output pixels (BGR bytes).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn imw_encode<'py>(
    py: Python<'py>,
    method: &str,
    bits: Vec<bool>,
    width: u32,
    height: u32,
    bgr: PyBackedBytes,
    scales: (f64, f64),
    block: usize,
) -> PyResult<Bound<'py, PyBytes>> {
    let scheme = Classic::new(
        classic_kind(method)?,
        bits.len(),
        [scales.0, scales.1],
        block,
    )
    .map_err(err)?
    .with_embed_style(EmbedStyle::new(Convention::Uint8, true));
    let image = bgr_image(&bgr, width, height)?;
    let message = Bits::new(bits);
    let marked = py.detach(|| scheme.embed(&image, &message)).map_err(err)?;
    let mut out = marked.into_rgb();
    for px in out.chunks_exact_mut(3) {
        px.swap(0, 2);
    }
    Ok(PyBytes::new(py, &out))
}

/// Calls the Python progress callback (if any) with `(done, total)`, in order: the work
/// reports from its worker threads, so each report takes a lock before the interpreter (no
/// thread waits for the lock while holding the interpreter) and one that arrives after a later
/// one is dropped. The callback's exceptions are reported as unraisable and do not stop the
/// work.
fn progress_of(callback: &Option<Py<PyAny>>) -> impl Fn(Progress) + Sync + '_ {
    let last = std::sync::Mutex::new(0u64);
    move |p: Progress| {
        let Some(f) = callback else {
            return;
        };
        let Ok(mut last) = last.lock() else {
            return;
        };
        if p.done <= *last {
            return;
        }
        *last = p.done;
        Python::attach(|py| {
            if let Err(e) = f.call1(py, (p.done, p.total)) {
                e.write_unraisable(py, None);
            }
        });
    }
}

/// `dataset mark`: returns the manifest (JSON) and where it was written.
#[pyfunction]
#[pyo3(signature = (input, output, recipient, fraction, key, manifest, psnr, salt, jobs, progress))]
#[allow(clippy::too_many_arguments)]
fn dataset_mark(
    py: Python<'_>,
    input: PathBuf,
    output: PathBuf,
    recipient: String,
    fraction: f64,
    key: String,
    manifest: Option<PathBuf>,
    psnr: f32,
    salt: Option<String>,
    jobs: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<(String, String)> {
    let mut opts = MarkOptions::new(recipient, fraction)
        .and_then(|o| o.with_key(key).with_psnr(psnr))
        .map_err(err)?;
    if let Some(salt) = salt {
        opts = opts.with_salt(salt);
    }
    let path = manifest.unwrap_or_else(|| dataset::default_manifest_path(&output));
    let report = progress_of(&progress);
    let m = py
        .detach(|| {
            on_threads(jobs, || {
                dataset::mark(&input, &output, &path, &opts, &report)
            })
        })?
        .map_err(err)?;
    let json = String::from_utf8(m.to_json().map_err(err)?).map_err(err)?;
    Ok((json, path.display().to_string()))
}

/// `dataset audit`: the audit's JSON object.
#[pyfunction]
#[pyo3(signature = (manifests, suspect, fpr, jobs, progress))]
fn dataset_audit(
    py: Python<'_>,
    manifests: Vec<PathBuf>,
    suspect: PathBuf,
    fpr: f64,
    jobs: Option<usize>,
    progress: Option<Py<PyAny>>,
) -> PyResult<String> {
    let manifests = manifests
        .iter()
        .map(|p| Manifest::open(p).map_err(err))
        .collect::<PyResult<Vec<_>>>()?;
    let opts = AuditOptions::default().with_fpr(fpr).map_err(err)?;
    let report = progress_of(&progress);
    let audit = py
        .detach(|| {
            on_threads(jobs, || {
                dataset::audit(&manifests, &suspect, &opts, &report)
            })
        })?
        .map_err(err)?;
    serde_json::to_string(&audit).map_err(err)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_FPR", edgemark::DEFAULT_FPR)?;
    m.add("Error", m.py().get_type::<Error>())?;
    m.add_class::<Detector>()?;
    m.add_class::<Watermark>()?;
    m.add_function(wrap_pyfunction!(schemes, m)?)?;
    m.add_function(wrap_pyfunction!(imw_decode, m)?)?;
    m.add_function(wrap_pyfunction!(imw_encode, m)?)?;
    m.add_function(wrap_pyfunction!(dataset_mark, m)?)?;
    m.add_function(wrap_pyfunction!(dataset_audit, m)?)?;
    Ok(())
}
