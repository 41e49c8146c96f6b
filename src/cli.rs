//! The command line: `run` (configs → files) and `solve` (flags → stdout).
//!
//! Exit status: 0 on success; 1 for bad input or an I/O error (nothing is
//! written for a config that fails); 2 for a malformed command line; 3 when
//! every output was written but some minimax step did not converge (its
//! status is in the outputs).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::compare::{CompareOptions, CompareReport, compare, render as compare_render};
use crate::config::OutputFormat;
use crate::config::{
    Config, DegreeSpec, Origin, Settings, VerifyConfig, VerifySettings, is_rows_yaml, rows_from_yaml_str,
};
use crate::emit::{Emitter, JsonEmitter, RustEmitter, emitter, write_atomically};
use crate::figures::{PlotKind, comparison, singular_values, table_figures, verification_convergence};
use crate::plot::ImageFormat;
use crate::presets::{PRESET_NAMES, preset};
use crate::table::{SUMMARY_DIGITS, TableDoc, summary};
use crate::verify::VerifyReport;
use crate::verify::matrix::{generate, parse_shape, read_npy};
use crate::verify::report as verify_report;
use crate::verify::{CoefficientRows, verify, verify_with_progress};

/// Writes to stdout; a closed pipe (`polar-coeffs ... | head`) ends the
/// program quietly instead of panicking.
fn write_stdout(args: std::fmt::Arguments) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

macro_rules! out {
    ($($arg:tt)*) => { write_stdout(format_args!($($arg)*)) };
}

macro_rules! outln {
    () => { write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Exit status when outputs were written but a step did not converge.
pub const EXIT_NOT_CONVERGED: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "polar-coeffs",
    version,
    about = "Optimal Newton-Schulz / Polar Express coefficient tables, derived in arbitrary precision"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Solve each YAML config and write OUT/<name>.json and OUT/<name>.rs.
    Run {
        /// Config files (YAML, one table each).
        #[arg(required = true, value_name = "CONFIG")]
        configs: Vec<PathBuf>,
        /// Output folder (created if missing).
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
        /// Folder for the figures a config's plots section asks for (default:
        /// the output folder); each config gets DIR/<name>/.
        #[arg(long, value_name = "DIR")]
        plots_out: Option<PathBuf>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Solve one schedule given by flags and print it to stdout.
    Solve(SolveArgs),
    /// Apply a coefficient table to a matrix in f64, f32 and bf16-emulated
    /// arithmetic and measure it against the exact polar factor.
    Verify(VerifyArgs),
    /// Re-emit tables written by `run` (their JSON) in other formats, without solving again.
    Emit(EmitArgs),
    /// Compare tables side by side: exact worst-case error per step, range of f,
    /// matmul cost, and (with --matrix or --shape) the error measured in bf16.
    Compare(CompareArgs),
    /// Redraw figures from JSON files written earlier (tables, verifications,
    /// comparisons), without solving again.
    Plot(PlotArgs),
}

#[derive(Debug, clap::Args)]
struct PlotArgs {
    /// JSON files written by run (NAME.json, NAME.verify.json) or compare (compare.json).
    #[arg(required = true, value_name = "JSON")]
    files: Vec<PathBuf>,
    /// Presets to draw beside each table in its response figure.
    #[arg(long = "with", value_name = "PRESET", value_delimiter = ',')]
    with: Vec<String>,
    /// Output folder; each table gets DIR/<name>/.
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// Image formats.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [PlotFormat::Png, PlotFormat::Svg])]
    format: Vec<PlotFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PlotFormat {
    /// PNG raster.
    Png,
    /// SVG vector.
    Svg,
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// Tables: preset names, run configs, rows YAML or JSON files. None: this
    /// tool's greedy degree-5 table and every preset.
    #[arg(value_name = "TABLE")]
    tables: Vec<String>,
    /// Lower end of the interval the worst case is taken over.
    #[arg(long, default_value = "1e-3")]
    lower: String,
    /// Upper end.
    #[arg(long, default_value = "1")]
    upper: String,
    /// Steps per table (default: each table's own count).
    #[arg(long, value_name = "T")]
    steps: Option<usize>,
    /// Shape of the matmul cost model when no matrix is measured.
    #[arg(long, value_name = "NxM", default_value = "1024x4096")]
    cost_shape: String,
    /// Measure in bf16 on this .npy matrix.
    #[arg(long, value_name = "FILE.npy", conflicts_with = "shape")]
    matrix: Option<PathBuf>,
    /// Measure in bf16 on a generated matrix of this shape.
    #[arg(long, value_name = "NxM")]
    shape: Option<String>,
    /// Spectrum of the generated matrix (default log_uniform).
    #[arg(long, value_name = "KIND")]
    spectrum: Option<String>,
    /// RNG seed of the generated matrix (default 0).
    #[arg(long, value_name = "S")]
    seed: Option<String>,
    /// Output folder for compare.md and compare.json.
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Folder for the comparison figure, compare.png and compare.svg (default: the output folder).
    #[arg(long, value_name = "DIR")]
    plots_out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct EmitArgs {
    /// JSON tables written by `run`.
    #[arg(long, required = true, value_name = "FILE")]
    json: Vec<PathBuf>,
    /// Formats to write (repeat the flag or use commas; default json and rust).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "FORMAT")]
    format: Vec<OutputFormat>,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR", default_value = "out")]
    out: PathBuf,
}

#[derive(Debug, clap::Args)]
struct VerifyArgs {
    /// A run config (solved on the fly) or a YAML file of literal rows (`name`, `rows`).
    #[arg(value_name = "CONFIG", conflicts_with_all = ["table", "json"])]
    config: Option<PathBuf>,
    /// A published table by name (see `--table help`).
    #[arg(long, value_name = "PRESET", conflicts_with = "json")]
    table: Option<String>,
    /// A JSON table written by `run`.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// A 2-D float32/float64 NumPy file (C or Fortran order).
    #[arg(long, value_name = "FILE.npy", conflicts_with_all = ["shape", "spectrum", "lower", "seed"])]
    matrix: Option<PathBuf>,
    /// Shape of a generated matrix (default 256x512).
    #[arg(long, value_name = "NxM")]
    shape: Option<String>,
    /// Singular spectrum of a generated matrix: gaussian, log_uniform (default), clustered, geometric, uniform, outliers.
    #[arg(long, value_name = "KIND")]
    spectrum: Option<String>,
    /// Smallest prescribed singular value (default 1e-3).
    #[arg(long, value_name = "L")]
    lower: Option<String>,
    /// RNG seed (default 0).
    #[arg(long, value_name = "S")]
    seed: Option<String>,
    /// Arithmetics, comma-separated: f64, f32, bf16 (default all three).
    #[arg(long, alias = "dtypes", value_name = "LIST")]
    dtype: Option<String>,
    /// Steps to run (default: the table's row count).
    #[arg(long, value_name = "T")]
    steps: Option<String>,
    /// Past the last row: repeat-last (default) or cycle.
    #[arg(long, value_name = "POLICY")]
    beyond: Option<String>,
    /// ε of the normalisation X / (||X||_F (1 + ε) + δ).
    #[arg(long, default_value_t = crate::verify::DEFAULT_NORM_EPS)]
    eps: f64,
    /// δ of the normalisation.
    #[arg(long, default_value_t = crate::verify::DEFAULT_NORM_DELTA)]
    delta: f64,
    /// Refuse matrices with more elements than this (checked before allocating).
    #[arg(long, value_name = "N", default_value_t = crate::verify::matrix::DEFAULT_MAX_ELEMENTS)]
    max_elements: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Table)]
    format: VerifyFormat,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum VerifyFormat {
    /// Aligned columns per arithmetic.
    Table,
    /// The verification report.
    Json,
    /// GitHub Markdown tables.
    Markdown,
}

#[derive(Debug, clap::Args)]
struct SolveArgs {
    /// Odd degree of every step, or a comma list of per-step degrees (9,7,5,5,3).
    #[arg(long, value_name = "D")]
    degree: String,
    /// Number of steps (required with a single degree; must match a list).
    #[arg(long, value_name = "T")]
    steps: Option<String>,
    /// Lower end ℓ of the singular-value interval.
    #[arg(long, value_name = "L")]
    lower: String,
    /// Upper end u (default 1).
    #[arg(long, value_name = "U")]
    upper: Option<String>,
    /// Cushion λ in [0, 1) (default 0, off).
    #[arg(long, value_name = "C")]
    cushion: Option<String>,
    /// Safety factor s ≥ 1 (default 1, off).
    #[arg(long, value_name = "S")]
    safety: Option<String>,
    /// Where the safety factor applies: after or inside (default after).
    #[arg(long, value_name = "MODE")]
    safety_mode: Option<String>,
    /// Working precision in bits (64 to 16384, default 256).
    #[arg(long, value_name = "BITS")]
    precision: Option<String>,
    /// Cap on Remez exchange iterations per step (default 100).
    #[arg(long, value_name = "N")]
    max_iterations: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Table name (for the JSON document and the default constant name).
    #[arg(long, default_value = "solve")]
    name: String,
    /// Name of the emitted Rust constant (default: the name upper-cased).
    #[arg(long, value_name = "IDENT")]
    const_name: Option<String>,
    /// Element type of the emitted Rust table: f64 or f32.
    #[arg(long, value_name = "TYPE")]
    element_type: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// A per-step summary table.
    Table,
    /// The JSON document.
    Json,
    /// The Rust constant table.
    Rust,
}

/// Runs the command line; the binary's `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { configs, out, plots_out, quiet } => run(&configs, &out, plots_out.as_deref(), quiet),
        Command::Solve(args) => solve(args),
        Command::Verify(args) => verify_command(args),
        Command::Emit(args) => emit_command(args),
        Command::Compare(args) => compare_command(args),
        Command::Plot(args) => plot_command(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(paths: &[PathBuf], out: &Path, plots_out: Option<&Path>, quiet: bool) -> Result<ExitCode, String> {
    // Validate every config before solving or writing anything.
    let mut configs = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for path in paths {
        match Config::from_path(path) {
            Ok(c) => configs.push((path, c)),
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
    }
    if !errors.is_empty() {
        return Err(errors.join("\nerror: "));
    }
    std::fs::create_dir_all(out).map_err(|e| format!("{}: cannot create the output folder: {e}", out.display()))?;
    let mut all_converged = true;
    let mut failures = Vec::new();
    for (path, config) in &configs {
        let bar = progress_bar(0, quiet);
        bar.set_message(format!("{}: adam", config.name));
        let solved = TableDoc::solve_with_progress(config, &bar);
        bar.finish_and_clear();
        let doc = match solved {
            Ok(doc) => doc,
            Err(e) => {
                failures.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        // Render everything first, then write: a rendering error leaves no file.
        let rendered =
            render_formats(&doc, &config.emit.formats, out).map_err(|err| format!("{}: {err}", path.display()));
        let mut rendered = match rendered {
            Ok(r) => r,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let mut verification = None;
        if let Some(v) = &config.verify {
            let report = generate(&v.matrix, crate::verify::matrix::DEFAULT_MAX_ELEMENTS)
                .map_err(|e| e.to_string())
                .and_then(|m| verify(&CoefficientRows::from_doc(&doc), &m, &v.options).map_err(|e| e.to_string()));
            match report {
                Ok(report) => {
                    rendered.push((out.join(format!("{}.verify.json", doc.name)), verify_report::to_json(&report)));
                    rendered.push((out.join(format!("{}.verify.md", doc.name)), verify_report::to_markdown(&report)));
                    verification = Some(report);
                }
                Err(e) => {
                    failures.push(format!("{}: verify: {e}", path.display()));
                    continue;
                }
            }
        }
        write_all(&rendered)?;
        out!("{}", summary_table(&doc));
        if let Some(o) = &doc.optimisation {
            out!("{}", optimisation_summary(o));
        }
        for (file, _) in &rendered {
            outln!("  wrote {}", file.display());
        }
        if let Some(p) = &config.plots {
            let others: Vec<CoefficientRows> = p
                .compare_with
                .iter()
                .map(|name| CoefficientRows::from_preset(&preset(name).expect("validated preset")))
                .collect();
            let dir = plots_out.unwrap_or(out).join(&doc.name);
            let files = table_figures(&doc, &others, verification.as_ref(), &p.kinds, &dir, &p.formats)
                .map_err(|e| format!("{}: plots: {e}", path.display()))?;
            outln!("  drew {} figures in {}", files.len(), dir.display());
        }
        outln!();
        all_converged &= doc.all_converged;
        if !doc.all_converged {
            eprintln!(
                "warning: {}: some minimax steps did not converge; their status is in the JSON output",
                path.display()
            );
        }
    }
    if !failures.is_empty() {
        return Err(failures.join("\nerror: "));
    }
    Ok(if all_converged { ExitCode::SUCCESS } else { ExitCode::from(EXIT_NOT_CONVERGED) })
}

/// The table named by exactly one of CONFIG, `--table`, `--json`.
fn load_table(args: &VerifyArgs) -> Result<CoefficientRows, String> {
    if let Some(name) = &args.table {
        return preset(name).map(|p| CoefficientRows::from_preset(&p)).ok_or_else(|| {
            format!("--table {name:?} is not a known preset; the presets are: {}", PRESET_NAMES.join(", "))
        });
    }
    if let Some(path) = &args.json {
        return read_table_json(path).map(|doc| CoefficientRows::from_doc(&doc));
    }
    let Some(path) = &args.config else {
        return Err("verify needs a table: a CONFIG file, --table PRESET or --json FILE".into());
    };
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: cannot read: {e}"))?;
    if is_rows_yaml(&text) {
        return rows_from_yaml_str(&text, &file).map_err(|e| e.to_string());
    }
    let config = Config::from_yaml_str(&text, &file).map_err(|e| e.to_string())?;
    let doc = TableDoc::solve(&config).map_err(|e| format!("{file}: {e}"))?;
    Ok(CoefficientRows::from_doc(&doc))
}

/// Reads a JSON table written by `run`.
fn read_table_json(path: &Path) -> Result<TableDoc, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: cannot read: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("{file}: not a polar-coeffs table JSON: {e}"))
}

fn verify_command(args: VerifyArgs) -> Result<ExitCode, String> {
    let table = load_table(&args)?;
    let flag = |v: &Option<String>| v.clone().map(|v| (v, Origin::Flag));
    let settings = VerifySettings {
        shape: flag(&args.shape),
        spectrum: flag(&args.spectrum),
        lower: flag(&args.lower),
        seed: flag(&args.seed),
        dtypes: args.dtype.clone().map(|d| (d.split(',').map(|s| s.trim().to_string()).collect(), Origin::Flag)),
        steps: flag(&args.steps),
        beyond: flag(&args.beyond),
    };
    let VerifyConfig { matrix: spec, mut options } = settings.validate().map_err(|e| e.to_string())?;
    options.eps = args.eps;
    options.delta = args.delta;
    let matrix = match &args.matrix {
        Some(path) => read_npy(path, args.max_elements),
        None => generate(&spec, args.max_elements),
    }
    .map_err(|e| e.to_string())?;
    let bar = progress_bar(0, args.quiet);
    bar.set_message(format!("verifying {}", table.name));
    let report = verify_with_progress(&table, &matrix, &options, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    let text = match args.format {
        VerifyFormat::Table => verify_report::to_table(&report),
        VerifyFormat::Json => verify_report::to_json(&report),
        VerifyFormat::Markdown => verify_report::to_markdown(&report),
    };
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}

/// Renders `doc` in each format: (path under `out`, text).
fn render_formats(doc: &TableDoc, formats: &[OutputFormat], out: &Path) -> Result<Vec<(PathBuf, String)>, String> {
    formats
        .iter()
        .map(|&f| {
            let e = emitter(f);
            let text = e.render(doc).map_err(|err| err.to_string())?;
            Ok((out.join(format!("{}.{}", doc.name, e.extension())), text))
        })
        .collect()
}

/// Writes rendered files, removing those already written when one fails.
fn write_all(files: &[(PathBuf, String)]) -> Result<(), String> {
    let mut written: Vec<&Path> = Vec::new();
    for (file, text) in files {
        if let Err(e) = write_atomically(file, text) {
            for w in &written {
                let _ = std::fs::remove_file(w);
            }
            return Err(format!("{}: cannot write: {e}", file.display()));
        }
        written.push(file);
    }
    Ok(())
}

fn emit_command(args: EmitArgs) -> Result<ExitCode, String> {
    let formats =
        if args.format.is_empty() { vec![OutputFormat::Json, OutputFormat::Rust] } else { args.format.clone() };
    let mut files = Vec::new();
    for path in &args.json {
        let doc = read_table_json(path)?;
        files.extend(render_formats(&doc, &formats, &args.out).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("{}: cannot create the output folder: {e}", args.out.display()))?;
    write_all(&files)?;
    for (file, _) in &files {
        outln!("wrote {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// A table named on the command line: a file (JSON, run config or rows
/// YAML) when one exists at that path, else a preset.
fn resolve_table(spec: &str) -> Result<CoefficientRows, String> {
    let path = Path::new(spec);
    if path.is_file() {
        if spec.ends_with(".json") {
            return read_table_json(path).map(|d| CoefficientRows::from_doc(&d));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{spec}: cannot read: {e}"))?;
        if is_rows_yaml(&text) {
            return rows_from_yaml_str(&text, spec).map_err(|e| e.to_string());
        }
        let config = Config::from_yaml_str(&text, spec).map_err(|e| e.to_string())?;
        return TableDoc::solve(&config).map(|d| CoefficientRows::from_doc(&d)).map_err(|e| format!("{spec}: {e}"));
    }
    preset(spec).map(|p| CoefficientRows::from_preset(&p)).ok_or_else(|| {
        format!("{spec:?} is neither a file nor a known preset; the presets are: {}", PRESET_NAMES.join(", "))
    })
}

/// A progress bar on stderr, hidden with `--quiet` or when stdout or stderr
/// is not a terminal (piped output stays clean).
pub fn progress_bar(len: u64, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
    {
        bar.set_style(style);
    }
    bar
}

fn compare_command(args: CompareArgs) -> Result<ExitCode, String> {
    let mut tables = Vec::new();
    if args.tables.is_empty() {
        let spec = crate::schedule::ScheduleSpec::new(vec![5; 8], &args.lower);
        let schedule = crate::schedule::greedy(&spec).map_err(|e| e.to_string())?;
        let config = Settings {
            name: Some(("polar_coeffs_greedy_d5".into(), Origin::Flag)),
            degree: Some((DegreeSpec::One("5".into()), Origin::Flag)),
            steps: Some(("8".into(), Origin::Flag)),
            lower: Some((args.lower.clone(), Origin::Flag)),
            ..Settings::default()
        }
        .validate(&Origin::Flag)
        .map_err(|e| e.to_string())?;
        tables.push(CoefficientRows::from_doc(&TableDoc::from_schedule(&config.echo(), &schedule)));
        for name in PRESET_NAMES {
            tables.push(CoefficientRows::from_preset(&preset(name).expect("listed presets exist")));
        }
    } else {
        for t in &args.tables {
            tables.push(resolve_table(t)?);
        }
    }
    let bad_shape = |flag: &str, v: &str| format!("{flag} = {v:?} is not allowed: rows x cols such as 1024x4096");
    let cost_shape = parse_shape(&args.cost_shape).ok_or_else(|| bad_shape("--cost-shape", &args.cost_shape))?;
    let matrix = match (&args.matrix, &args.shape) {
        (Some(path), _) => {
            Some(read_npy(path, crate::verify::matrix::DEFAULT_MAX_ELEMENTS).map_err(|e| e.to_string())?)
        }
        (None, Some(shape)) => {
            let settings = VerifySettings {
                shape: Some((shape.clone(), Origin::Flag)),
                spectrum: args.spectrum.clone().map(|s| (s, Origin::Flag)),
                seed: args.seed.clone().map(|s| (s, Origin::Flag)),
                ..VerifySettings::default()
            };
            let spec = settings.validate().map_err(|e| e.to_string())?.matrix;
            Some(generate(&spec, crate::verify::matrix::DEFAULT_MAX_ELEMENTS).map_err(|e| e.to_string())?)
        }
        (None, None) => None,
    };
    let shape = matrix.as_ref().map_or(cost_shape, |m| (m.m.nrows(), m.m.ncols()));
    let options = CompareOptions { lower: args.lower.clone(), upper: args.upper.clone(), shape, steps: args.steps };
    let bar = progress_bar(tables.len() as u64, args.quiet);
    let mut reports = Vec::with_capacity(tables.len());
    for table in &tables {
        bar.set_message(table.name.clone());
        reports.push(compare(std::slice::from_ref(table), &options, matrix.as_ref())?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let mut report = reports.first().cloned().ok_or("no tables to compare")?;
    report.tables = reports.into_iter().flat_map(|r| r.tables).collect();
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("{}: cannot create the output folder: {e}", args.out.display()))?;
    let files = vec![
        (args.out.join("compare.json"), compare_render::to_json(&report)),
        (args.out.join("compare.md"), compare_render::to_markdown(&report)),
    ];
    write_all(&files)?;
    out!("{}", compare_render::to_table(&report));
    for (file, _) in &files {
        outln!("  wrote {}", file.display());
    }
    let dir = args.plots_out.as_deref().unwrap_or(&args.out);
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create the plot folder: {e}", dir.display()))?;
    for file in crate::plot::save(&comparison(&report), &dir.join("compare"), &[ImageFormat::Png, ImageFormat::Svg])? {
        outln!("  drew {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// A JSON document `plot` can draw.
enum PlotInput {
    Table(Box<TableDoc>),
    Verification(Box<VerifyReport>),
    Comparison(Box<CompareReport>),
}

/// Reads a JSON file and tells which document it is by its keys, then parses
/// it fully (serde names any missing or malformed field).
fn read_plot_input(path: &Path) -> Result<PlotInput, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: cannot read: {e}"))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{file}: not JSON: {e}"))?;
    let has = |k: &str| value.get(k).is_some();
    let typed = |e: serde_json::Error| format!("{file}: {e}");
    if has("runs") {
        Ok(PlotInput::Verification(Box::new(serde_json::from_value(value).map_err(typed)?)))
    } else if has("tables") {
        Ok(PlotInput::Comparison(Box::new(serde_json::from_value(value).map_err(typed)?)))
    } else if has("precision_bits") || has("steps") {
        Ok(PlotInput::Table(Box::new(serde_json::from_value(value).map_err(typed)?)))
    } else {
        Err(format!(
            "{file}: not a polar-coeffs table, verification or comparison JSON (no `steps`, `runs` or `tables` field)"
        ))
    }
}

fn plot_command(args: PlotArgs) -> Result<ExitCode, String> {
    let formats: Vec<ImageFormat> = args
        .format
        .iter()
        .map(|f| match f {
            PlotFormat::Png => ImageFormat::Png,
            PlotFormat::Svg => ImageFormat::Svg,
        })
        .collect();
    let others: Vec<CoefficientRows> = args.with.iter().map(|name| resolve_table(name)).collect::<Result<_, _>>()?;
    // Read everything first: a malformed file stops the command before any figure is drawn.
    let inputs: Vec<PlotInput> = args.files.iter().map(|p| read_plot_input(p)).collect::<Result<_, _>>()?;
    let verifications: Vec<&VerifyReport> = inputs
        .iter()
        .filter_map(|i| if let PlotInput::Verification(v) = i { Some(v.as_ref()) } else { None })
        .collect();
    let mut drawn = Vec::new();
    for input in &inputs {
        match input {
            PlotInput::Table(doc) => {
                let verification = verifications.iter().copied().find(|v| v.table == doc.name);
                let mut kinds = vec![PlotKind::Response, PlotKind::Steps, PlotKind::Convergence, PlotKind::Loss];
                if verification.is_some() {
                    kinds.push(PlotKind::SingularValues);
                }
                drawn.extend(table_figures(doc, &others, verification, &kinds, &args.out.join(&doc.name), &formats)?);
            }
            PlotInput::Verification(v) => {
                if inputs.iter().any(|i| matches!(i, PlotInput::Table(d) if d.name == v.table)) {
                    continue; // drawn with its table
                }
                let dir = args.out.join(&v.table);
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("{}: cannot create the plot folder: {e}", dir.display()))?;
                drawn.extend(crate::plot::save(&singular_values(v), &dir.join("singular_values"), &formats)?);
                drawn.extend(crate::plot::save(
                    &verification_convergence(v),
                    &dir.join("verify_convergence"),
                    &formats,
                )?);
            }
            PlotInput::Comparison(c) => {
                std::fs::create_dir_all(&args.out)
                    .map_err(|e| format!("{}: cannot create the plot folder: {e}", args.out.display()))?;
                drawn.extend(crate::plot::save(&comparison(c), &args.out.join("compare"), &formats)?);
            }
        }
    }
    for file in &drawn {
        outln!("drew {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn solve(args: SolveArgs) -> Result<ExitCode, String> {
    let flag = |v: Option<String>| v.map(|v| (v, Origin::Flag));
    let degree = if args.degree.contains(',') {
        DegreeSpec::PerStep(args.degree.split(',').map(|s| s.trim().to_string()).collect())
    } else {
        DegreeSpec::One(args.degree.trim().to_string())
    };
    let settings = Settings {
        name: Some((args.name, Origin::Flag)),
        degree: Some((degree, Origin::Flag)),
        steps: flag(args.steps),
        lower: Some((args.lower, Origin::Flag)),
        upper: flag(args.upper),
        cushion: flag(args.cushion),
        safety: flag(args.safety),
        safety_mode: flag(args.safety_mode),
        precision: flag(args.precision),
        max_iterations: flag(args.max_iterations),
        formats: None,
        const_name: flag(args.const_name),
        element_type: flag(args.element_type),
        verify: None,
        plots: None,
        adam: None,
    };
    let config = settings.validate(&Origin::Flag).map_err(|e| e.to_string())?;
    let doc = TableDoc::solve(&config).map_err(|e| e.to_string())?;
    let text = match args.format {
        Format::Table => summary_table(&doc),
        Format::Json => JsonEmitter.render(&doc).map_err(|e| e.to_string())?,
        Format::Rust => RustEmitter.render(&doc).map_err(|e| e.to_string())?,
    };
    out!("{text}");
    if !doc.all_converged {
        eprintln!("warning: some minimax steps did not converge; see the remez status in --format json");
        return Ok(ExitCode::from(EXIT_NOT_CONVERGED));
    }
    Ok(ExitCode::SUCCESS)
}

/// The Adam run's losses, and those of the tables it is compared with.
pub fn optimisation_summary(o: &crate::table::OptimisationDoc) -> String {
    let mut out = format!(
        "adam: loss {:.10e} -> {:.10e} in {} iterations ({})",
        o.initial_loss, o.final_loss, o.iterations, o.termination
    );
    if o.loss_before_rounding != o.final_loss {
        let _ = write!(out, "; {:.10e} before rounding to the representable type", o.loss_before_rounding);
    }
    out.push('\n');
    for c in &o.compared {
        let verdict = if o.final_loss <= c.loss { "no higher" } else { "HIGHER" };
        let _ = writeln!(out, "  same loss for {}: {:.10e} (this table's is {verdict})", c.name, c.loss);
    }
    if let Some([lo, hi]) = o.band_reached {
        let _ = writeln!(out, "  band reached: f in [{lo:.4}, {hi:.4}] over [lower, upper]");
    }
    out
}

/// The short per-step table printed by `run` and `solve --format table`.
pub fn summary_table(doc: &TableDoc) -> String {
    let c = &doc.config;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} steps on [{}, {}], cushion {}, safety {} ({}), {} bits",
        doc.name,
        doc.steps.len(),
        c.lower,
        c.upper,
        c.cushion,
        c.safety,
        c.safety_mode.as_str(),
        doc.precision_bits
    );
    let _ = writeln!(
        out,
        "{:>4} {:>3}  {:<26} {:<26} {:<26} remez",
        "step", "deg", "step error", "composed error", "x coefficient"
    );
    for s in &doc.steps {
        let _ = writeln!(
            out,
            "{:>4} {:>3}  {:<26} {:<26} {:<26} {} ({} it)",
            s.step,
            s.degree,
            summary(&s.step_error, SUMMARY_DIGITS),
            summary(&s.composed_error, SUMMARY_DIGITS),
            summary(&s.coefficients[0], SUMMARY_DIGITS),
            s.remez.as_ref().map_or("adam", |r| r.status.as_str()),
            s.remez.as_ref().map_or(0, |r| r.iterations)
        );
    }
    out
}
