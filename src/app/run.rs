//! `run`: configs in, files out. Every config is validated before any is
//! solved; each config's files (formats, verification, figures) are rendered
//! first and written as one set, or not at all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::{AppError, create_dir};
use crate::config::Config;
use crate::emit::render_all;
use crate::io::OutputLock;
use crate::progress::Progress;
use crate::solve::solve_with_progress;
use crate::table::TableDoc;
use crate::verify::matrix::DEFAULT_MAX_ELEMENTS;
use crate::verify::report as verify_report;
use crate::verify::{VerifyReport, verify};

/// Where `run` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Folder for figures (default: `out`); each config gets `<dir>/<name>/`.
    pub plots_out: Option<PathBuf>,
}

/// One config done.
#[derive(Debug, Clone)]
pub struct ConfigOutcome {
    /// The config file.
    pub path: PathBuf,
    /// The table.
    pub doc: TableDoc,
    /// The verification, when the config asked for one.
    pub verification: Option<VerifyReport>,
    /// Data files written (formats and verification), in order.
    pub written: Vec<PathBuf>,
    /// Figures written, and their folder, when the config asked for figures.
    pub figures: Option<(Vec<PathBuf>, PathBuf)>,
}

/// The whole run.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// Configs whose files were written.
    pub done: usize,
    /// Configs that failed (solving, rendering, verifying), with the reason;
    /// nothing was written for them.
    pub failures: Vec<String>,
    /// Whether every minimax step of every table converged.
    pub all_converged: bool,
}

/// Reads and validates every config, and checks that names are unique.
///
/// # Errors
///
/// Every problem found, one per line.
pub fn load_configs(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Config)>, AppError> {
    let mut configs = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for path in paths {
        match Config::from_path(path) {
            Ok(c) => configs.push((path.clone(), c)),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let mut seen: BTreeMap<&str, &Path> = BTreeMap::new();
    for (path, c) in &configs {
        if let Some(first) = seen.insert(&c.name, path) {
            errors.push(format!(
                "{}: name {:?} is already used by {}; each config needs its own name (it names the output files)",
                path.display(),
                c.name,
                first.display()
            ));
        }
        #[cfg(not(feature = "plots"))]
        if c.plots.is_some() {
            errors.push(format!(
                "{}: plots: this build has no figures (built without the `plots` feature); remove the plots section",
                path.display()
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::new(errors.join("\nerror: ")));
    }
    Ok(configs)
}

/// The data files a config writes (its formats, and its verification).
fn planned_files(config: &Config, out: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = config
        .emit
        .formats
        .iter()
        .map(|&f| out.join(format!("{}.{}", config.name, crate::emit::emitter(f).extension())))
        .collect();
    if config.verify.is_some() {
        files.push(out.join(format!("{}.verify.json", config.name)));
        files.push(out.join(format!("{}.verify.md", config.name)));
    }
    if config.operator.is_some() {
        files.push(out.join(format!("{}.operator.json", config.name)));
        files.push(out.join(format!("{}.operator.md", config.name)));
    }
    files
}

/// Refuses two configs whose outputs would land on the same file (a config
/// `a` with a verification and a config `a.verify` both write
/// `a.verify.json`), and figure folders that are data files.
fn check_collisions(configs: &[(PathBuf, Config)], options: &RunOptions) -> Result<(), AppError> {
    let mut owner: BTreeMap<PathBuf, &Path> = BTreeMap::new();
    let mut errors = Vec::new();
    for (path, config) in configs {
        let mut files = planned_files(config, &options.out);
        if config.plots.is_some() {
            files.push(options.plots_out.as_deref().unwrap_or(&options.out).join(&config.name));
        }
        for file in files {
            if let Some(first) = owner.insert(file.clone(), path) {
                errors.push(format!(
                    "{}: writes {}, which {} writes too; rename one of the tables",
                    path.display(),
                    file.display(),
                    first.display()
                ));
            }
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(AppError::new(errors.join("\nerror: "))) }
}

/// Every file of one config, rendered: (data files, figure files, figure folder).
type RenderedConfig = (Vec<(PathBuf, Vec<u8>)>, usize, Option<PathBuf>);

/// Renders a config's files: its formats, its verification, its figures.
fn render_config(
    config: &Config,
    doc: &TableDoc,
    options: &RunOptions,
) -> Result<(RenderedConfig, Option<VerifyReport>), String> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = render_all(doc, &config.emit.formats, &options.out)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|(p, t)| (p, t.into_bytes()))
        .collect();
    let mut verification = None;
    if let Some(v) = &config.verify {
        let mut verify_options = v.options.clone();
        verify_options.normalise_like(&doc.config.normalisation());
        let matrix =
            super::verify::generate_for(&doc.rows(), &v.matrix, v.fit_lower, &verify_options, DEFAULT_MAX_ELEMENTS)
                .map_err(|e| format!("verify: {e}"))?;
        let report = verify(&doc.rows(), &matrix, &verify_options).map_err(|e| format!("verify: {e}"))?;
        files.push((options.out.join(format!("{}.verify.json", doc.name)), verify_report::to_json(&report).into()));
        files.push((options.out.join(format!("{}.verify.md", doc.name)), verify_report::to_markdown(&report).into()));
        verification = Some(report);
    }
    let operator_report = match &config.operator {
        Some(op) => {
            let report =
                super::operator::run(&doc.rows(), doc.root(), op, &[], DEFAULT_MAX_ELEMENTS, &crate::progress::Silent)
                    .map_err(|e| format!("operator: {e}"))?;
            let out = |ext: &str| options.out.join(format!("{}.operator.{ext}", doc.name));
            files.push((out("json"), crate::operators::report::to_json(&report).into()));
            files.push((out("md"), crate::operators::report::to_markdown(&report).into()));
            Some(report)
        }
        None => None,
    };
    #[cfg(not(feature = "plots"))]
    let _ = operator_report;
    let data_files = files.len();
    #[cfg(feature = "plots")]
    let figure_dir = match &config.plots {
        Some(p) => {
            let others: Vec<_> = p
                .compare_with
                .iter()
                .map(|name| super::source::preset_rows(name))
                .collect::<Result<_, _>>()
                .map_err(|e| e.0)?;
            let dir = options.plots_out.as_deref().unwrap_or(&options.out).join(&doc.name);
            let figures =
                crate::figures::table_figures(doc, &others, verification.as_ref(), &p.kinds, &dir, &p.formats)
                    .map_err(|e| format!("plots: {e}"))?;
            files.extend(figures);
            if let Some(report) = &operator_report {
                files.extend(
                    crate::figures::operator_figures(report, &dir, &p.formats).map_err(|e| format!("plots: {e}"))?,
                );
            }
            Some(dir)
        }
        None => None,
    };
    #[cfg(not(feature = "plots"))]
    let figure_dir = None;
    Ok(((files, data_files, figure_dir), verification))
}

/// Solves, renders and writes every config; `on_done` hears about each
/// config as soon as its files are on disk.
///
/// # Errors
///
/// [`AppError`] when a config is invalid (nothing is solved then) or a file
/// cannot be written (the run stops). A config that fails to solve or
/// render is recorded in [`RunOutcome::failures`] and the others go on.
pub fn run(
    paths: &[PathBuf],
    options: &RunOptions,
    progress: Rc<dyn Progress>,
    on_done: &mut dyn FnMut(&ConfigOutcome),
) -> Result<RunOutcome, AppError> {
    let configs = load_configs(paths)?;
    check_collisions(&configs, options)?;
    let lock = OutputLock::take(&options.out).map_err(|e| AppError::new(e.to_string()))?;
    // A separate figure folder is held too, so that two writers never share it.
    let _plots_lock = match &options.plots_out {
        Some(dir) if dir != &options.out && configs.iter().any(|(_, c)| c.plots.is_some()) => {
            Some(OutputLock::take(dir).map_err(|e| AppError::new(e.to_string()))?)
        }
        _ => None,
    };
    let mut outcome = RunOutcome { all_converged: true, ..RunOutcome::default() };
    for (path, config) in &configs {
        let solved = solve_with_progress(config, Rc::new(Forward(Rc::clone(&progress), config.name.clone())));
        progress.finish();
        let doc = match solved {
            Ok(doc) => doc,
            Err(e) => {
                outcome.failures.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let ((files, data_files, figure_dir), verification) = match render_config(config, &doc, options) {
            Ok(r) => r,
            Err(e) => {
                outcome.failures.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        if let Some(dir) = &figure_dir {
            create_dir(dir, "plot folder")?;
        }
        lock.write_set(&files).map_err(|e| AppError::new(e.to_string()))?;
        outcome.all_converged &= doc.all_converged;
        outcome.done += 1;
        let paths: Vec<PathBuf> = files.into_iter().map(|(p, _)| p).collect();
        let (written, figures) = paths.split_at(data_files);
        on_done(&ConfigOutcome {
            path: path.clone(),
            doc,
            verification,
            written: written.to_vec(),
            figures: figure_dir.map(|d| (figures.to_vec(), d)),
        });
    }
    Ok(outcome)
}

/// Passes an Adam run's progress on, naming the config.
struct Forward(Rc<dyn Progress>, String);

impl Progress for Forward {
    fn set_length(&self, total: u64) {
        self.0.set_length(total);
        self.0.set_message(&format!("{}: adam", self.1));
    }
    fn set_position(&self, done: u64) {
        self.0.set_position(done);
    }
    fn set_message(&self, message: &str) {
        self.0.set_message(&format!("{}: adam, {message}", self.1));
    }
}
