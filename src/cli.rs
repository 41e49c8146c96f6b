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

use crate::config::{Config, DegreeSpec, Origin, Settings};
use crate::emit::{Emitter, JsonEmitter, RustEmitter, write_atomically};
use crate::table::{SUMMARY_DIGITS, TableDoc, summary};

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
    },
    /// Solve one schedule given by flags and print it to stdout.
    Solve(SolveArgs),
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
        Command::Run { configs, out } => run(&configs, &out),
        Command::Solve(args) => solve(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(paths: &[PathBuf], out: &Path) -> Result<ExitCode, String> {
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
    let emitters: [&dyn Emitter; 2] = [&JsonEmitter, &RustEmitter];
    let mut all_converged = true;
    let mut failures = Vec::new();
    for (path, config) in &configs {
        let doc = match TableDoc::solve(config) {
            Ok(doc) => doc,
            Err(e) => {
                failures.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        // Render everything first, then write: a rendering error leaves no file.
        let rendered: Result<Vec<(PathBuf, String)>, String> = emitters
            .iter()
            .map(|e| {
                let text = e.render(&doc).map_err(|err| format!("{}: {err}", path.display()))?;
                Ok((out.join(format!("{}.{}", doc.name, e.extension())), text))
            })
            .collect();
        let rendered = match rendered {
            Ok(r) => r,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let mut written = Vec::new();
        for (file, text) in &rendered {
            if let Err(e) = write_atomically(file, text) {
                for w in &written {
                    let _ = std::fs::remove_file(w);
                }
                return Err(format!("{}: cannot write: {e}", file.display()));
            }
            written.push(file.clone());
        }
        print!("{}", summary_table(&doc));
        for file in &written {
            println!("  wrote {}", file.display());
        }
        println!();
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
        const_name: flag(args.const_name),
        element_type: flag(args.element_type),
    };
    let config = settings.validate(&Origin::Flag).map_err(|e| e.to_string())?;
    let doc = TableDoc::solve(&config).map_err(|e| e.to_string())?;
    let text = match args.format {
        Format::Table => summary_table(&doc),
        Format::Json => JsonEmitter.render(&doc).map_err(|e| e.to_string())?,
        Format::Rust => RustEmitter.render(&doc).map_err(|e| e.to_string())?,
    };
    print!("{text}");
    if !doc.all_converged {
        eprintln!("warning: some minimax steps did not converge; see the remez status in --format json");
        return Ok(ExitCode::from(EXIT_NOT_CONVERGED));
    }
    Ok(ExitCode::SUCCESS)
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
        "{:>4} {:>3}  {:<26} {:<26} {:<26} {}",
        "step", "deg", "step error", "composed error", "x coefficient", "remez"
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
            s.remez.status,
            s.remez.iterations
        );
    }
    out
}
