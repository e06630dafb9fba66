//! `edgemark dataset mark|audit`: thin wrappers over `edgemark::dataset`.

use clap::{Args, Subcommand};
use edgemark::dataset::{self, AuditOptions, Manifest, MarkOptions, Progress};
use std::path::PathBuf;
use std::sync::OnceLock;

#[derive(Subcommand)]
pub enum DatasetCommand {
    /// Copy a dataset, marking a seeded share of its images for one recipient; writes a
    /// manifest (kept by the owner, outside the copy).
    Mark(MarkArgs),
    /// Test whether a suspect collection derives from a marked copy, and whose; prints one
    /// JSON object.
    Audit(AuditArgs),
}

#[derive(Args)]
pub struct MarkArgs {
    /// Who receives the copy (licensee, partner).
    #[arg(long)]
    recipient: String,
    /// Share of the images to mark, in (0, 1].
    #[arg(long)]
    fraction: f64,
    /// The owner's secret: chooses the payload and the marked subset.
    #[arg(long, default_value = "")]
    key: String,
    /// Manifest path (default: OUT_DIR.manifest.json beside the copy).
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Embedding strength as a PSNR in dB (30-60).
    #[arg(long, default_value_t = 40.5)]
    psnr: f32,
    /// A fixed salt instead of a fresh random one, for reproducible experiments and tests: the
    /// payload and the marked subset then follow from key, salt and recipient alone. Copies
    /// handed out should each get a fresh salt (the default).
    #[arg(long)]
    salt: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// The dataset (read only).
    input: PathBuf,
    /// Where the recipient's copy is written.
    output: PathBuf,
}

#[derive(Args)]
pub struct AuditArgs {
    /// A manifest written by `dataset mark` (one per recipient; repeat).
    #[arg(long = "manifest", required = true)]
    manifests: Vec<PathBuf>,
    /// False-positive rate of the decision (the whole audit).
    #[arg(long, default_value_t = edgemark::DEFAULT_FPR)]
    fpr: f64,
    /// Accepted for symmetry with `detect`; the audit always prints JSON.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// The suspect collection (a folder, any depth).
    suspect: PathBuf,
}

pub fn run(command: &DatasetCommand) -> Result<(), String> {
    match command {
        DatasetCommand::Mark(a) => mark(a),
        DatasetCommand::Audit(a) => audit(a),
    }
}

fn pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, String> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.unwrap_or(0))
        .build()
        .map_err(|e| e.to_string())
}

/// An indicatif bar on stderr, made on the first progress call (which knows the total).
#[derive(Default)]
struct Bar(OnceLock<indicatif::ProgressBar>);

impl Bar {
    fn update(&self, p: Progress) {
        self.0
            .get_or_init(|| crate::output::progress_of(p.total as usize, "files"))
            .set_position(p.done);
    }

    fn finish(&self) {
        if let Some(b) = self.0.get() {
            b.finish_and_clear();
        }
    }
}

fn mark(a: &MarkArgs) -> Result<(), String> {
    let mut opts = MarkOptions::new(&a.recipient, a.fraction)
        .and_then(|o| o.with_key(&a.key).with_psnr(a.psnr))
        .map_err(|e| e.to_string())?;
    if let Some(salt) = &a.salt {
        opts = opts.with_salt(salt);
    }
    let manifest_path = a
        .manifest
        .clone()
        .unwrap_or_else(|| dataset::default_manifest_path(&a.output));
    let bar = Bar::default();
    let m = pool(a.jobs)?
        .install(|| {
            dataset::mark(&a.input, &a.output, &manifest_path, &opts, &|p| {
                bar.update(p)
            })
        })
        .map_err(|e| e.to_string());
    bar.finish();
    let m = m?;
    let copied = m.files.len() as u64 - m.marked;
    eprintln!(
        "edgemark: {} files: {} of {} selected images marked for {:?} (payload {}), {copied} copied unchanged; manifest {}",
        m.files.len(),
        m.marked,
        m.selected,
        m.recipient,
        m.payload,
        manifest_path.display()
    );
    // Files in the copy that the manifest does not list (left by an earlier use of the folder)
    // would ship to the recipient unrecorded.
    let listed: std::collections::HashSet<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
    let extra: Vec<String> = walkdir::WalkDir::new(&a.output)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e
                .path()
                .strip_prefix(&a.output)
                .ok()?
                .to_str()?
                .replace('\\', "/");
            (!listed.contains(rel.as_str())).then_some(rel)
        })
        .collect();
    if !extra.is_empty() {
        eprintln!(
            "edgemark: warning: {} file(s) in {} are not in the dataset (not in the manifest), e.g. {}; remove them before handing the copy over",
            extra.len(),
            a.output.display(),
            extra[0]
        );
    }
    for f in m.files.iter().filter(|f| {
        f.note
            .as_deref()
            .is_some_and(|n| n.starts_with("selected") || n.starts_with("not an image"))
    }) {
        eprintln!(
            "edgemark: note: {}: {}",
            f.path,
            f.note.as_deref().unwrap_or_default()
        );
    }
    Ok(())
}

fn audit(a: &AuditArgs) -> Result<(), String> {
    let manifests: Vec<Manifest> = a
        .manifests
        .iter()
        .map(|p| Manifest::open(p).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let opts = AuditOptions::default()
        .with_fpr(a.fpr)
        .map_err(|e| e.to_string())?;
    let bar = Bar::default();
    let r = pool(a.jobs)?
        .install(|| dataset::audit(&manifests, &a.suspect, &opts, &|p| bar.update(p)))
        .map_err(|e| e.to_string());
    bar.finish();
    let r = r?;
    println!("{}", serde_json::to_string(&r).map_err(|e| e.to_string())?);
    Ok(())
}
