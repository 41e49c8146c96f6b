//! The command line: `run` (configs → files) and `solve` (flags → stdout).
//!
//! Exit status: 0 on success; 1 for bad input or an I/O error (nothing is
//! written for a config that fails); 2 for a malformed command line; 3 when
//! every output was written but some minimax step did not converge or a
//! verification run failed (the status is in the outputs).

// The clap help texts name paths like OUT/<name>.json: not HTML.
#![allow(rustdoc::invalid_html_tags)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::rc::Rc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app::compare::default_tables;
use crate::app::source::{TableSource, resolve};
use crate::app::verify::MatrixSource;
use crate::app::{self, AppError};
use crate::compare::{CompareOptions, DEFAULT_LOWER, DEFAULT_UPPER, render as compare_render};
use crate::config::{ConfigError, DegreeSpec, Origin, Settings, VerifyConfig, VerifySettings};
use crate::emit::{Emitter, JsonEmitter, RustEmitter};
use crate::plot::ImageFormat;
use crate::progress::Progress;
use crate::solve::solve;
use crate::summary::{optimisation_summary, summary_table};
use crate::table::OutputFormat;
use crate::verify::matrix::{DEFAULT_MAX_ELEMENTS, parse_shape};
use crate::verify::report as verify_report;

/// What became of stdout: 0 fine, 1 closed by the reader, 2 failed.
static STDOUT_STATE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Writes to stdout. A closed pipe (`polar-coeffs run ... | head -1`) stops
/// the printing, not the work: every file is still written and the exit
/// status is the command's. Another write error is reported at the end.
fn write_stdout(args: std::fmt::Arguments) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    if STDOUT_STATE.load(Ordering::Relaxed) != 0 {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        let state = if e.kind() == std::io::ErrorKind::BrokenPipe { 1 } else { 2 };
        STDOUT_STATE.store(state, Ordering::Relaxed);
        if state == 2 {
            eprintln!("error: cannot write to stdout: {e}");
        }
    }
}

macro_rules! out {
    ($($arg:tt)*) => { write_stdout(format_args!($($arg)*)) };
}

macro_rules! outln {
    () => { write_stdout(format_args!("\n")) };
    ($($arg:tt)*) => { write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Exit status when outputs were written but a step did not converge or a
/// verification run failed (overflow).
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
    /// matmul cost, and (with --matrix or --shape) the error measured in bf16 (or --dtype).
    Compare(CompareArgs),
    /// Run an operator built on msign with a table on real matrices (generated or .npy)
    /// in f64, f32, bf16 or fp16, measured against an f64 reference: msign, mcsgn,
    /// sylvester, sqrt, inv-sqrt, root, mclip, mstep, msign-grad.
    Operator(OperatorArgs),
    /// Find which known construction a pasted table comes from (greedy minimax with which
    /// lower end, cushion, safety factor and mode, recentring, rounding), row by row.
    Audit(AuditArgs),
    /// Redraw figures from JSON files written earlier (tables, verifications,
    /// comparisons), without solving again.
    Plot(PlotArgs),
}

#[derive(Debug, clap::Args)]
struct OperatorArgs {
    /// The operator: msign, mcsgn, sylvester, sqrt, inv-sqrt, root, mclip, mstep, msign-grad.
    #[arg(value_name = "NAME")]
    name: String,
    /// A published table by name (see `verify --table help`).
    #[arg(long, value_name = "PRESET", conflicts_with_all = ["json", "config"])]
    table: Option<String>,
    /// A JSON table written by `run` (msign, or the root family for `root`).
    #[arg(long, value_name = "FILE", conflicts_with = "config")]
    json: Option<PathBuf>,
    /// A run config (solved now) or a YAML file of literal rows.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// mclip formulas, comma-separated: v1, v2, v3, leloykun, clip (default the first four).
    #[arg(long, value_name = "LIST")]
    formula: Option<String>,
    /// The operand M from a 2-D .npy file (the same as --operand M=FILE).
    #[arg(long, value_name = "FILE.npy")]
    matrix: Option<PathBuf>,
    /// An operand from a .npy file: M, A, B, C, P or G (repeat for several).
    #[arg(long = "operand", value_name = "NAME=FILE.npy")]
    operand: Vec<String>,
    /// Shape of generated operands: M, C, G are NxM, A is NxN, B is MxM; P is NxN (MxM for root). Default 128x128.
    #[arg(long, value_name = "NxM")]
    shape: Option<String>,
    /// Layout of generated singular values / eigenvalues: gaussian, log_uniform (default), clustered, geometric,
    /// uniform, outliers, two_segment, wishart.
    #[arg(long, value_name = "KIND")]
    spectrum: Option<String>,
    /// Smallest prescribed value (default 1e-3).
    #[arg(long, value_name = "L")]
    lower: Option<String>,
    /// Largest prescribed value (default 1; 1000 for two_segment).
    #[arg(long, value_name = "U")]
    upper: Option<String>,
    /// Eigenvector condition number of a generated mcsgn operand (default 1: symmetric).
    #[arg(long, value_name = "K")]
    condition: Option<String>,
    /// Multiple of the identity added to a generated P (default 0).
    #[arg(long, value_name = "S")]
    shift: Option<String>,
    /// RNG seed (default 0).
    #[arg(long, value_name = "S")]
    seed: Option<String>,
    /// Arithmetics, comma-separated: f64, f32, bf16, fp16 (default f64, f32, bf16).
    #[arg(long, value_name = "LIST")]
    dtype: Option<String>,
    /// Steps per table application (default: the table's row count).
    #[arg(long, value_name = "T")]
    steps: Option<String>,
    /// Past the last row: repeat-last (default) or cycle.
    #[arg(long, value_name = "POLICY")]
    beyond: Option<String>,
    /// Shift of the definite blocks (sylvester, msign-grad) and of P0 (roots), relative to the normalisation.
    #[arg(long, value_name = "E")]
    epsilon: Option<String>,
    /// s of G P^(-s/r) (root; default 1).
    #[arg(long, value_name = "S")]
    power: Option<String>,
    /// [alpha, beta] of the clip formula, as ALPHA,BETA (default 0,1).
    #[arg(long, value_name = "ALPHA,BETA")]
    clip: Option<String>,
    /// Refuse operands with more elements than this (checked before allocating).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_ELEMENTS)]
    max_elements: u64,
    /// What to print.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Table)]
    format: VerifyFormat,
    /// Also write <NAME>.operator.json, <NAME>.operator.md and the figures into this folder.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct AuditArgs {
    /// A rows YAML, a JSON table, a run config or a preset name.
    #[arg(value_name = "TABLE", required_unless_present = "rows", conflicts_with = "rows")]
    table: Option<String>,
    /// Inline rows: coefficients separated by commas, rows by semicolons ("8.2051,-22.9019,16.4607;4.0664,...").
    #[arg(long, value_name = "ROWS")]
    rows: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Table)]
    format: VerifyFormat,
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
    #[arg(long, default_value = DEFAULT_LOWER)]
    lower: String,
    /// Upper end.
    #[arg(long, default_value = DEFAULT_UPPER)]
    upper: String,
    /// Steps per table (default: each table's own count).
    #[arg(long, value_name = "T")]
    steps: Option<usize>,
    /// Shape of the matmul cost model when no matrix is measured (default 1024x4096).
    #[arg(long, value_name = "NxM")]
    cost_shape: Option<String>,
    /// Measure on this .npy matrix (in --dtype).
    #[arg(long, value_name = "FILE.npy", conflicts_with = "shape")]
    matrix: Option<PathBuf>,
    /// Measure on a generated matrix of this shape (in --dtype).
    #[arg(long, value_name = "NxM")]
    shape: Option<String>,
    /// The arithmetic of the measurement: f64, f32, bf16 (default) or fp16.
    #[arg(long, value_name = "DTYPE")]
    dtype: Option<String>,
    /// standard (default) or gram: cost and measure Gram Newton-Schulz.
    #[arg(long, value_name = "KIND")]
    iteration: Option<String>,
    /// Gram Newton-Schulz restarts, 0-based steps (default 2).
    #[arg(long, value_name = "LIST")]
    restarts: Option<String>,
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
    #[arg(long, value_delimiter = ',', value_name = "FORMAT", value_parser = output_format)]
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
    /// Smallest prescribed singular value, before normalisation (default: the
    /// value that puts the normalised input's smallest singular value at the
    /// table's lower end; 1e-3 when the table states none).
    #[arg(long, value_name = "L")]
    lower: Option<String>,
    /// RNG seed (default 0).
    #[arg(long, value_name = "S")]
    seed: Option<String>,
    /// Arithmetics, comma-separated: f64, f32, bf16, fp16 (default f64, f32, bf16).
    #[arg(long, alias = "dtypes", value_name = "LIST")]
    dtype: Option<String>,
    /// Steps to run (default: the table's row count).
    #[arg(long, value_name = "T")]
    steps: Option<String>,
    /// Past the last row: repeat-last (default) or cycle.
    #[arg(long, value_name = "POLICY")]
    beyond: Option<String>,
    /// standard (default) or gram: Gram Newton-Schulz, iterating on R = X X^T with restarts.
    #[arg(long, value_name = "KIND")]
    iteration: Option<String>,
    /// Gram Newton-Schulz restarts, 0-based steps before which X is rebuilt (default 2).
    #[arg(long, value_name = "LIST")]
    restarts: Option<String>,
    /// Where f32/bf16/fp16 runs normalise: f64 (default; exact, one rounding), f32 (in f32, then cast) or
    /// dtype (cast first, then normalise in the working precision).
    #[arg(long, value_name = "WHERE")]
    normalise_in: Option<String>,
    /// Iterates to measure: all (default), last, or step numbers such as 0,4,8 (0 is the input). Every step
    /// is run either way; measuring only the last makes large matrices (4096x4096) several times faster.
    #[arg(long, value_name = "WHICH")]
    measure: Option<String>,
    /// ε of the normalisation X / (||X||_F (1 + ε) + δ) (default: the table's own normalisation, else 1e-2).
    #[arg(long)]
    eps: Option<f64>,
    /// δ of the normalisation (default: the table's own, else 1e-7).
    #[arg(long)]
    delta: Option<f64>,
    /// Refuse matrices with more elements than this (checked before allocating).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_ELEMENTS)]
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
    /// The input normalisation the table assumes: frobenius (default) or spectral_bound.
    #[arg(long, value_name = "KIND")]
    norm_kind: Option<String>,
    /// Its factor on the norm (default 1.01).
    #[arg(long, value_name = "S")]
    norm_scale: Option<String>,
    /// Its added term (default 1e-7).
    #[arg(long, value_name = "E")]
    norm_epsilon: Option<String>,
    /// Recentring of a cushioned fit: image (default; 2/(min + max) of the exact image) or endpoints (the
    /// reference code's 2/(p(l) + p(u)), next interval [p(l), 2 - p(l)], limit polynomial near the end).
    #[arg(long, value_name = "MODE")]
    recentre: Option<String>,
    /// Working precision in bits (64 to 16384, default 256).
    #[arg(long, value_name = "BITS")]
    precision: Option<String>,
    /// Cap on Remez exchange iterations per step (default 100).
    #[arg(long, value_name = "N")]
    max_iterations: Option<String>,
    /// Exponent step r of the family x·q(x^r): 2 (default) is msign; r ≠ 2
    /// designs the coupled matrix-root iterations (degree 1 + r·(n − 1)).
    #[arg(long, value_name = "R")]
    root: Option<String>,
    /// Append the exact limit row (p(1) = 1, 1 − p vanishing to its number of
    /// terms at 1) as the table's last row, as published root tables do.
    #[arg(long)]
    limit_row: bool,
    /// Also choose the coefficients to hold in f32, bf16 or f16 by a search
    /// over representable neighbours for the smallest certified error.
    #[arg(long, value_name = "TYPE")]
    round_to: Option<String>,
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

/// Parses an `emit --format` value (the config's spellings).
fn output_format(s: &str) -> Result<OutputFormat, String> {
    crate::names::parse(s).ok_or_else(|| format!("one of {}", crate::names::list::<OutputFormat>()))
}

/// The flag a config key is set by on the command line: `emit.const_name` is
/// `--const-name`, `verify.shape` is `--shape`.
fn flag_for(key: &str) -> String {
    if let Some(part) = key.strip_prefix("normalisation.") {
        return format!("--norm-{part}");
    }
    let key = key.trim_start_matches("emit.").trim_start_matches("verify.");
    match key.strip_prefix("operator.") {
        Some("name") => "NAME".into(),
        Some("dtypes") => "--dtype".into(),
        Some("formulas") => "--formula".into(),
        Some(k) => format!("--{}", k.replace('_', "-")),
        None => format!("--{}", key.replace('_', "-")),
    }
}

/// A config error from flags, naming the flag instead of the config key.
fn flag_error(e: ConfigError) -> anyhow::Error {
    let e = if e.origin() == Some(&Origin::Flag) { e.with_key(flag_for) } else { e };
    anyhow::Error::msg(e.to_string())
}

/// An application error, as it is reported.
fn app_error(e: AppError) -> anyhow::Error {
    anyhow::Error::msg(e.0)
}

/// A progress bar on stderr, hidden with `--quiet` or when stdout or stderr
/// is not a terminal (piped output stays clean).
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new(quiet: bool) -> Self {
        use std::io::IsTerminal;
        if quiet || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
            return Self(indicatif::ProgressBar::hidden());
        }
        let bar = indicatif::ProgressBar::new(0);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
        {
            bar.set_style(style);
        }
        Self(bar)
    }
}

impl Progress for Bar {
    fn set_length(&self, total: u64) {
        self.0.set_length(total);
    }
    fn set_position(&self, done: u64) {
        self.0.set_position(done);
    }
    fn set_message(&self, message: &str) {
        self.0.set_message(message.to_string());
    }
    fn finish(&self) {
        self.0.finish_and_clear();
        self.0.reset();
    }
}

/// Runs the command line; the binary's `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run { configs, out, plots_out, quiet } => run(configs, out, plots_out, quiet),
        Command::Solve(args) => solve_command(args),
        Command::Verify(args) => verify_command(args),
        Command::Emit(args) => emit_command(args),
        Command::Compare(args) => compare_command(args),
        Command::Plot(args) => plot_command(args),
        Command::Operator(args) => operator_command(args),
        Command::Audit(args) => audit_command(args),
    };
    match result {
        Ok(_) if STDOUT_STATE.load(std::sync::atomic::Ordering::Relaxed) == 2 => ExitCode::FAILURE,
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(configs: Vec<PathBuf>, out: PathBuf, plots_out: Option<PathBuf>, quiet: bool) -> anyhow::Result<ExitCode> {
    let options = app::run::RunOptions { out, plots_out };
    let mut failed_runs = false;
    let outcome = app::run::run(&configs, &options, Rc::new(Bar::new(quiet)), &mut |done| {
        out!("{}", summary_table(&done.doc));
        if let Some(o) = &done.doc.optimisation {
            out!("{}", optimisation_summary(o));
        }
        for file in &done.written {
            outln!("  wrote {}", file.display());
        }
        if let Some((files, dir)) = &done.figures {
            outln!("  drew {} figures in {}", files.len(), dir.display());
        }
        outln!();
        if !done.doc.all_converged {
            eprintln!(
                "warning: {}: some minimax steps did not converge; their status is in the JSON output",
                done.path.display()
            );
        }
        if done.verification.as_ref().is_some_and(warn_failed_runs) {
            failed_runs = true;
        }
    })
    .map_err(app_error)?;
    if !outcome.failures.is_empty() {
        anyhow::bail!("{}", outcome.failures.join("\nerror: "));
    }
    Ok(if outcome.all_converged && !failed_runs { ExitCode::SUCCESS } else { ExitCode::from(EXIT_NOT_CONVERGED) })
}

/// The table named by exactly one of CONFIG, `--table`, `--json`.
fn verify_table(args: &VerifyArgs) -> anyhow::Result<TableSource> {
    Ok(match (&args.table, &args.json, &args.config) {
        (Some(name), _, _) => TableSource::Preset(name.clone()),
        (None, Some(path), _) => TableSource::Json(path.clone()),
        (None, None, Some(path)) => TableSource::Yaml(path.clone()),
        (None, None, None) => anyhow::bail!("verify needs a table: a CONFIG file, --table PRESET or --json FILE"),
    })
}

fn verify_command(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    if args.table.as_deref() == Some("help") {
        outln!("presets (verify --table NAME):");
        for name in crate::presets::PRESET_NAMES {
            let p = crate::presets::preset(name).expect("listed presets exist");
            outln!("  {name:<32} {}", p.source);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let source = verify_table(&args)?;
    let table = resolve(&source).map_err(|e| match source {
        TableSource::Preset(_) => anyhow::Error::msg(format!("--table {e}")),
        _ => app_error(e),
    })?;
    let flag = |v: &Option<String>| v.clone().map(|v| (v, Origin::Flag));
    let settings = VerifySettings {
        shape: flag(&args.shape),
        spectrum: flag(&args.spectrum),
        lower: flag(&args.lower),
        seed: flag(&args.seed),
        dtypes: args.dtype.clone().map(|d| (d.split(',').map(|s| s.trim().to_string()).collect(), Origin::Flag)),
        steps: flag(&args.steps),
        beyond: flag(&args.beyond),
        iteration: flag(&args.iteration),
        normalise_in: flag(&args.normalise_in),
        measure: flag(&args.measure),
        restarts: args.restarts.clone().map(|d| (d.split(',').map(|s| s.trim().to_string()).collect(), Origin::Flag)),
    };
    let VerifyConfig { matrix: spec, mut options, fit_lower } =
        settings.validate_with_cap(args.max_elements).map_err(flag_error)?;
    // The table's own normalisation, then any flag given.
    options.normalise_like(&table.normalisation.clone().unwrap_or_default());
    if let Some(eps) = args.eps {
        options.eps = eps;
    }
    if let Some(delta) = args.delta {
        options.delta = delta;
    }
    let matrix = match &args.matrix {
        Some(path) => MatrixSource::Npy(path.clone()),
        None if fit_lower => MatrixSource::FitToTable(spec),
        None => MatrixSource::Generated(spec),
    };
    let bar = Bar::new(args.quiet);
    let report = app::verify::run(&table, &matrix, args.max_elements, &options, &bar).map_err(|e| {
        // The library names the size cap by its meaning; here it is a flag.
        anyhow::Error::msg(e.0.replace("the element cap", "--max-elements"))
    })?;
    let text = match args.format {
        VerifyFormat::Table => verify_report::to_table(&report),
        VerifyFormat::Json => verify_report::to_json(&report),
        VerifyFormat::Markdown => verify_report::to_markdown(&report),
    };
    out!("{text}");
    if warn_failed_runs(&report) {
        return Ok(ExitCode::from(EXIT_NOT_CONVERGED));
    }
    Ok(ExitCode::SUCCESS)
}

/// Warns about verification runs that stopped early; whether there were any.
fn warn_failed_runs(report: &crate::verify::VerifyReport) -> bool {
    let mut any = false;
    for run in &report.runs {
        if let Some(why) = &run.failure {
            eprintln!("warning: {}: the {} run failed at {why}", report.table, run.dtype.as_str());
            any = true;
        }
    }
    any
}

fn operator_command(args: OperatorArgs) -> anyhow::Result<ExitCode> {
    let source = match (&args.table, &args.json, &args.config) {
        (Some(name), _, _) => TableSource::Preset(name.clone()),
        (None, Some(path), _) => TableSource::Json(path.clone()),
        (None, None, Some(path)) => TableSource::Yaml(path.clone()),
        (None, None, None) => anyhow::bail!("operator needs a table: --table PRESET, --json FILE or --config FILE"),
    };
    let (table, root) = app::source::resolve_with_root(&source).map_err(|e| match source {
        TableSource::Preset(_) => anyhow::Error::msg(format!("--table {e}")),
        _ => app_error(e),
    })?;
    let flag = |v: &Option<String>| v.clone().map(|v| (v, Origin::Flag));
    let list =
        |v: &Option<String>| v.clone().map(|v| (v.split(',').map(|s| s.trim().to_string()).collect(), Origin::Flag));
    let settings = crate::config::OperatorSettings {
        name: Some((args.name.clone(), Origin::Flag)),
        formulas: list(&args.formula),
        shape: flag(&args.shape),
        spectrum: flag(&args.spectrum),
        lower: flag(&args.lower),
        upper: flag(&args.upper),
        condition: flag(&args.condition),
        shift: flag(&args.shift),
        seed: flag(&args.seed),
        dtypes: list(&args.dtype),
        steps: flag(&args.steps),
        beyond: flag(&args.beyond),
        epsilon: flag(&args.epsilon),
        power: flag(&args.power),
        clip: list(&args.clip),
    };
    let config = settings.validate(root, args.max_elements, &Origin::Flag).map_err(flag_error)?;
    let mut files = Vec::new();
    if let Some(path) = &args.matrix {
        files.push(("M".to_string(), path.clone()));
    }
    for item in &args.operand {
        let Some((name, path)) = item.split_once('=') else {
            anyhow::bail!("--operand {item:?} is not allowed: NAME=FILE.npy with NAME one of M, A, B, C, P, G");
        };
        files.push((name.trim().to_string(), PathBuf::from(path)));
    }
    let bar = Bar::new(args.quiet);
    let report = app::operator::run(&table, root, &config, &files, args.max_elements, &bar)
        .map_err(|e| anyhow::Error::msg(e.0.replace("the element cap", "--max-elements")))?;
    let written = match &args.out {
        Some(dir) => app::operator::write(&report, dir).map_err(app_error)?,
        None => vec![],
    };
    let text = match args.format {
        VerifyFormat::Table => crate::operators::report::to_table(&report),
        VerifyFormat::Json => crate::operators::report::to_json(&report),
        VerifyFormat::Markdown => crate::operators::report::to_markdown(&report),
    };
    out!("{text}");
    for file in &written {
        eprintln!("wrote {}", file.display());
    }
    let mut failed = false;
    for run in &report.results {
        if let Some(why) = &run.failure {
            let formula = run.formula.map_or(String::new(), |f| format!("{} ", f.as_str()));
            eprintln!("warning: the {formula}{} run failed: {why}", run.dtype.as_str());
            failed = true;
        }
    }
    Ok(if failed { ExitCode::from(EXIT_NOT_CONVERGED) } else { ExitCode::SUCCESS })
}

fn audit_command(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let table = match (&args.table, &args.rows) {
        (Some(t), _) => resolve(&TableSource::Auto(t.clone())).map_err(app_error)?,
        (None, Some(text)) => {
            let rows: Vec<Vec<String>> = text
                .split(';')
                .filter(|r| !r.trim().is_empty())
                .map(|r| r.split(',').map(|c| c.trim().to_string()).collect())
                .collect();
            let table = crate::rows::CoefficientRows {
                name: "rows".into(),
                source: "--rows".into(),
                default_steps: rows.len().max(1),
                rows,
                interval: None,
                normalisation: None,
            };
            table.validate().map_err(|e| anyhow::Error::msg(format!("--rows: {e}")))?;
            table
        }
        (None, None) => anyhow::bail!("audit needs a TABLE or --rows"),
    };
    let report = crate::audit::audit(&table, &crate::audit::AuditOptions::default())
        .map_err(|e| anyhow::Error::msg(e.to_string()))?;
    let text = match args.format {
        VerifyFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report).expect("plain data");
            s.push('\n');
            s
        }
        _ => crate::audit::to_text(&report),
    };
    out!("{text}");
    Ok(if report.best.is_some() { ExitCode::SUCCESS } else { ExitCode::from(EXIT_NOT_CONVERGED) })
}

fn emit_command(args: EmitArgs) -> anyhow::Result<ExitCode> {
    let formats =
        if args.format.is_empty() { vec![OutputFormat::Json, OutputFormat::Rust] } else { args.format.clone() };
    let outcome = app::emit::run(&args.json, &formats, &args.out).map_err(app_error)?;
    for file in &outcome.written {
        outln!("wrote {}", file.display());
    }
    if !outcome.all_converged {
        eprintln!("warning: some minimax steps of these tables did not converge; their status is in the JSON");
        return Ok(ExitCode::from(EXIT_NOT_CONVERGED));
    }
    Ok(ExitCode::SUCCESS)
}

fn compare_command(args: CompareArgs) -> anyhow::Result<ExitCode> {
    let tables = if args.tables.is_empty() {
        default_tables(&args.lower).map_err(|e| anyhow::Error::msg(format!("--lower: {e}")))?
    } else {
        args.tables
            .iter()
            .map(|t| resolve(&TableSource::Auto(t.clone())))
            .collect::<Result<_, _>>()
            .map_err(app_error)?
    };
    let cost_shape = match &args.cost_shape {
        None => CompareOptions::default().shape,
        Some(text) => parse_shape(text).ok_or_else(|| {
            anyhow::Error::msg(format!("--cost-shape = {text:?} is not allowed: rows x cols such as 1024x4096"))
        })?,
    };
    let matrix = match (&args.matrix, &args.shape) {
        (Some(path), _) => Some(MatrixSource::Npy(path.clone())),
        (None, Some(shape)) => {
            let settings = VerifySettings {
                shape: Some((shape.clone(), Origin::Flag)),
                spectrum: args.spectrum.clone().map(|s| (s, Origin::Flag)),
                seed: args.seed.clone().map(|s| (s, Origin::Flag)),
                ..VerifySettings::default()
            };
            Some(MatrixSource::Generated(settings.validate().map_err(flag_error)?.matrix))
        }
        (None, None) => None,
    };
    let options = CompareOptions {
        lower: args.lower.clone(),
        upper: args.upper.clone(),
        shape: cost_shape,
        steps: args.steps,
        gram_restarts: {
            // The verify section's rules for the two keys, reported by flag.
            let settings = VerifySettings {
                iteration: args.iteration.clone().map(|v| (v, Origin::Flag)),
                restarts: args
                    .restarts
                    .clone()
                    .map(|d| (d.split(',').map(|s| s.trim().to_string()).collect(), Origin::Flag)),
                ..VerifySettings::default()
            };
            settings.validate().map_err(flag_error)?.options.gram_restarts
        },
        dtype: match &args.dtype {
            None => crate::verify::Dtype::Bf16,
            Some(d) => crate::verify::Dtype::parse(d.trim()).ok_or_else(|| {
                anyhow::Error::msg(format!("--dtype = {d:?} is not allowed: one of f64, f32, bf16, fp16"))
            })?,
        },
    };
    let bar = Bar::new(args.quiet);
    let outcome = app::compare::run(&tables, options, matrix.as_ref(), &args.out, args.plots_out.as_deref(), &bar)
        .map_err(|e| {
            // The library names the interval ends by their keys; here they are flags.
            anyhow::Error::msg(
                e.0.replacen("lower = ", "--lower ", 1)
                    .replacen("upper = ", "--upper ", 1)
                    .replacen("steps = ", "--steps ", 1),
            )
        })?;
    out!("{}", compare_render::to_table(&outcome.report));
    for file in &outcome.written {
        outln!("  wrote {}", file.display());
    }
    for file in &outcome.drawn {
        outln!("  drew {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn plot_command(args: PlotArgs) -> anyhow::Result<ExitCode> {
    let formats: Vec<ImageFormat> = args
        .format
        .iter()
        .map(|f| match f {
            PlotFormat::Png => ImageFormat::Png,
            PlotFormat::Svg => ImageFormat::Svg,
        })
        .collect();
    let others = args
        .with
        .iter()
        .map(|name| resolve(&TableSource::Auto(name.clone())))
        .collect::<Result<Vec<_>, _>>()
        .map_err(app_error)?;
    for file in app::plot::run(&args.files, &others, &args.out, &formats).map_err(app_error)? {
        outln!("drew {}", file.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn solve_command(args: SolveArgs) -> anyhow::Result<ExitCode> {
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
        recentre: flag(args.recentre),
        normalisation: match (&args.norm_kind, &args.norm_scale, &args.norm_epsilon) {
            (None, None, None) => None,
            (kind, scale, epsilon) => Some(crate::config::NormalisationSettings {
                kind: kind.clone().map(|v| (v, Origin::Flag)),
                scale: scale.clone().map(|v| (v, Origin::Flag)),
                epsilon: epsilon.clone().map(|v| (v, Origin::Flag)),
            }),
        },
        round_to: flag(args.round_to),
        root: flag(args.root),
        limit_row: args.limit_row.then_some((true, Origin::Flag)),
        precision: flag(args.precision),
        max_iterations: flag(args.max_iterations),
        formats: None,
        const_name: flag(args.const_name),
        element_type: flag(args.element_type),
        verify: None,
        operator: None,
        plots: None,
        adam: None,
    };
    let config = settings.validate(&Origin::Flag).map_err(flag_error)?;
    let doc = solve(&config)?;
    let text = match args.format {
        Format::Table => summary_table(&doc),
        Format::Json => JsonEmitter.render(&doc)?,
        Format::Rust => RustEmitter.render(&doc)?,
    };
    out!("{text}");
    if !doc.all_converged {
        eprintln!("warning: some minimax steps did not converge; see the remez status in --format json");
        return Ok(ExitCode::from(EXIT_NOT_CONVERGED));
    }
    Ok(ExitCode::SUCCESS)
}
