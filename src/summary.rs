//! Terminal summaries of a table document: the per-step table `run` and
//! `solve` print, and the Adam run's losses.
//!
//! ```
//! use polar_coeffs::{Config, solve, summary::summary_table};
//!
//! let doc = solve(&Config::from_yaml_str("name: t\ndegree: 3\nsteps: 2\nlower: 0.1\n", "t.yaml").unwrap()).unwrap();
//! let text = summary_table(&doc);
//! assert!(text.starts_with("t: 2 steps on [0.1, 1]"));
//! assert_eq!(text.lines().count(), 4); // heading, column names, two steps
//! ```

use std::fmt::Write as _;

use crate::table::{OptimisationDoc, SUMMARY_DIGITS, TableDoc, summary};

/// The Adam run's losses, and those of the tables it is compared with.
pub fn optimisation_summary(o: &OptimisationDoc) -> String {
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

/// The short per-step table printed by `run` and `solve` (table format):
/// errors of the exact table, and the certified errors of its f64 and f32
/// literals.
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
        "{:>4} {:>3}  {:<26} {:<26} {:<26} {:<20} {:<12} f32 <=",
        "step", "deg", "step error", "composed error", "x coefficient", "remez", "f64 <="
    );
    for s in &doc.steps {
        let remez = match (&s.remez, doc.method) {
            (Some(r), _) => format!("{} ({} it)", <&str>::from(r.status), r.iterations),
            (None, crate::table::Method::Adam) => "adam".to_string(),
            (None, _) => "exact limit row".to_string(),
        };
        let (c64, c32) = s.certified_error.as_ref().map_or(("-", "-"), |c| (c.f64.as_str(), c.f32.as_str()));
        let _ = writeln!(
            out,
            "{:>4} {:>3}  {:<26} {:<26} {:<26} {:<20} {:<12} {}",
            s.step,
            s.degree,
            summary(&s.step_error, SUMMARY_DIGITS),
            summary(&s.composed_error, SUMMARY_DIGITS),
            summary(s.coefficients.first().map_or("0", String::as_str), SUMMARY_DIGITS),
            remez,
            c64,
            c32
        );
    }
    if let Some(r) = &doc.rounded {
        let _ =
            writeln!(out, "round_to {}: certified error after each step, searched rows vs plain rounding", r.target);
        for (t, (a, b)) in r.certified_error.iter().zip(&r.plain_certified_error).enumerate() {
            let _ = writeln!(out, "  step {:>2}: {a:<14} (plain {b}) {}", t + 1, r.rows[t].join(", "));
        }
    }
    if let Some(note) = doc.printed_floor_note() {
        let _ = writeln!(out, "{note}");
    }
    for ty in ["f64", "f32", "bf16"] {
        if let Some(t) = doc.unusable_from(ty) {
            let _ = writeln!(
                out,
                "{ty} literals: not usable from step {t} on (certified error unbounded or degraded by rounding)"
            );
        }
    }
    out
}
