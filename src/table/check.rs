//! Reading a table document back: the JSON parsed, then every field checked
//! with the rules a config's values meet (plain-stem name, identifier,
//! finite decimals, consistent lengths, correctly rounded machine values),
//! because its strings and numbers reach file names and generated code.

use super::{StepDoc, TableDoc};
use crate::ident::{FieldError, check_const_name, is_plain_stem, is_plain_text, quoted};
use crate::precision::{MAX_PRECISION, MIN_PRECISION, parse_decimal, to_f32, to_f64};
use crate::remez::MAX_DEGREE;
use crate::rows::is_finite_decimal;
use crate::schedule::MAX_STEPS;

/// Longest free text (normalisation, messages) a document may hold.
pub const MAX_TEXT: usize = 2000;

/// Longest decimal a document may hold (16 384 bits print as 4 932 digits).
pub const MAX_DECIMAL: usize = 6000;

/// A document that cannot be used: the field, its value and what is allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// Not JSON, or not the document's shape.
    #[error("not a polar-coeffs table JSON: {0}")]
    Json(String),
    /// A field with a value it cannot hold.
    #[error(transparent)]
    Field(#[from] FieldError),
}

fn bad(field: impl Into<String>, value: &str, allowed: impl Into<String>) -> TableError {
    TableError::Field(FieldError::new(field, value, allowed))
}

/// Whether `text` is a plain decimal as the tool prints it: an optional
/// sign, digits with at most one point, an optional exponent; nothing else
/// (MPFR's reader would also skip spaces and `_` and take `@` exponents).
pub fn is_plain_decimal(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e)),
        None => (body, None),
    };
    let digits = mantissa.chars().filter(char::is_ascii_digit).count();
    let points = mantissa.chars().filter(|&c| c == '.').count();
    let mantissa_ok = digits > 0 && points <= 1 && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.');
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.len() <= 9 && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}

fn decimal(field: &str, text: &str) -> Result<(), TableError> {
    if text.len() <= MAX_DECIMAL && is_plain_decimal(text) && parse_decimal(text, 64).is_ok() {
        Ok(())
    } else {
        Err(bad(field, text, "a finite decimal number"))
    }
}

fn plain(field: &str, text: &str, max: usize) -> Result<(), TableError> {
    if is_plain_text(text, max) {
        Ok(())
    } else {
        Err(bad(field, text, format!("one line of at most {max} characters without control characters")))
    }
}

impl TableDoc {
    /// Parses a table JSON and checks it (see [`TableDoc::check`]); the f32
    /// values are set to the correctly rounded values of the decimals (a
    /// JSON reader may round a float32 twice).
    ///
    /// # Errors
    ///
    /// [`TableError`] naming the field and value.
    pub fn from_json(text: &str) -> Result<Self, TableError> {
        let mut doc: Self = serde_json::from_str(text).map_err(|e| TableError::Json(e.to_string()))?;
        doc.check()?;
        for step in &mut doc.steps {
            for (c, v) in step.coefficients.iter().zip(step.coefficients_f32.iter_mut()) {
                *v = to_f32(&exact(c));
            }
        }
        Ok(doc)
    }

    /// The rounding-aware rows: a known target, one row per step with the
    /// step's number of terms, each value a finite decimal that the target
    /// holds exactly, and the echoed `round_to` the same target.
    fn check_rounded(&self, r: &super::RoundedDoc) -> Result<(), TableError> {
        let Some(target) = crate::rounding::RoundTarget::parse(&r.target) else {
            return Err(bad("rounded.target", &r.target, crate::rounding::RoundTarget::NAMES));
        };
        if self.config.round_to.as_deref() != Some(r.target.as_str()) {
            return Err(bad("rounded.target", &r.target, "the config's round_to"));
        }
        if r.rows.len() != self.steps.len() {
            return Err(bad("rounded.rows", &r.rows.len().to_string(), format!("{} rows", self.steps.len())));
        }
        for (t, (row, step)) in r.rows.iter().zip(&self.steps).enumerate() {
            if row.len() != step.coefficients.len() {
                return Err(bad(
                    format!("rounded.rows[{t}]"),
                    &row.len().to_string(),
                    format!("{} coefficients", step.coefficients.len()),
                ));
            }
            for (k, text) in row.iter().enumerate() {
                let held = (text.len() <= MAX_DECIMAL && is_plain_decimal(text))
                    .then(|| crate::precision::parse_f32(text))
                    .flatten()
                    .map(|v| rug::Float::with_val(64, v))
                    .filter(|v| target.nearest(v).is_some_and(|n| n == *v));
                if held.is_none() {
                    return Err(bad(
                        format!("rounded.rows[{t}][{k}]"),
                        text,
                        format!("a finite decimal that {} holds exactly", r.target),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks every field a reader of the document relies on: the name is a
    /// plain file stem, the constant name an identifier of every target
    /// language, every number a finite decimal, the lengths consistent, the
    /// f64 values the correctly rounded decimals (the f32 values within one
    /// unit in the last place), no non-zero coefficient rounded to zero, and
    /// free text one line without control characters.
    ///
    /// # Errors
    ///
    /// The first [`TableError`] found.
    pub fn check(&self) -> Result<(), TableError> {
        if let Some(r) = self.config.root
            && (r == 0 || r == crate::poly::MSIGN_ROOT || r > crate::poly::MAX_ROOT)
        {
            return Err(bad(
                "config.root",
                &r.to_string(),
                format!("1 or 3 to {} (absent for msign, r = 2)", crate::poly::MAX_ROOT),
            ));
        }
        if !is_plain_stem(&self.name) {
            return Err(bad("name", &self.name, "a plain file stem (letters, digits, '_', '-', '.'; no path)"));
        }
        let c = &self.config;
        if c.name != self.name {
            return Err(bad("config.name", &c.name, format!("the table's name {}", quoted(&self.name))));
        }
        if self.tool_version.is_empty()
            || self.tool_version.len() > 64
            || !self.tool_version.chars().all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '+'))
        {
            return Err(bad("tool_version", &self.tool_version, "a version such as 0.1.0"));
        }
        if self.config_sha256.len() != 64 || !self.config_sha256.chars().all(|ch| ch.is_ascii_hexdigit()) {
            return Err(bad("config_sha256", &self.config_sha256, "64 hexadecimal digits"));
        }
        if let Err(why) = check_const_name(&c.emit.const_name) {
            return Err(bad("config.emit.const_name", &c.emit.const_name, format!("an identifier ({why})")));
        }
        for (field, text) in [("lower", &c.lower), ("upper", &c.upper), ("cushion", &c.cushion), ("safety", &c.safety)]
        {
            decimal(&format!("config.{field}"), text)?;
        }
        if !(MIN_PRECISION..=MAX_PRECISION).contains(&self.precision_bits) || c.precision != self.precision_bits {
            return Err(bad(
                "precision_bits",
                &self.precision_bits.to_string(),
                format!("config.precision, from {MIN_PRECISION} to {MAX_PRECISION}"),
            ));
        }
        let n = self.steps.len();
        if n == 0 || n as u64 > MAX_STEPS || c.steps != n || c.degrees.len() != n {
            return Err(bad(
                "steps",
                &format!("{n} steps (config.steps = {}, {} degrees)", c.steps, c.degrees.len()),
                format!("1 to {MAX_STEPS} steps, as many as config.steps and config.degrees"),
            ));
        }
        for (i, s) in self.steps.iter().enumerate() {
            check_step(i, s, c.degrees[i], self.root())?;
        }
        decimal("final_error", &self.final_error)?;
        // The two texts every emitted file quotes are this tool's own: a
        // document carrying any other words is refused (they would reach
        // doc comments and docstrings, where tools run what they find).
        if let Some(n) = &self.config.normalisation {
            let plain = |t: &str| crate::normalise::is_plain_decimal(t) && t.parse::<f64>().is_ok_and(f64::is_finite);
            if !plain(&n.scale) || !plain(&n.epsilon) || self.root() != crate::poly::MSIGN_ROOT {
                return Err(bad(
                    "config.normalisation",
                    &format!("{n:?}"),
                    "plain decimals for scale and epsilon, with an msign table",
                ));
            }
        }
        if self.normalisation != self.config.normalisation().describe(self.root()) {
            return Err(bad(
                "normalisation",
                &self.normalisation,
                "the text polar-coeffs writes (regenerate the table)",
            ));
        }
        if self.beyond_last_row != super::BEYOND_LAST_ROW {
            return Err(bad(
                "beyond_last_row",
                &self.beyond_last_row,
                "the text polar-coeffs writes (regenerate the table)",
            ));
        }
        if let Some(r) = &self.rounded {
            self.check_rounded(r)?;
        }
        if let Some(o) = &self.optimisation {
            plain("optimisation.termination", &o.termination, MAX_TEXT)?;
            for (k, cl) in o.compared.iter().enumerate() {
                plain(&format!("optimisation.compared[{k}].name"), &cl.name, 200)?;
            }
        }
        if let Some(a) = &c.adam {
            for (k, (name, rows)) in a.compare_with.iter().enumerate() {
                plain(&format!("config.adam.compare_with[{k}].name"), name, 200)?;
                for (r, row) in rows.iter().enumerate() {
                    for (j, v) in row.iter().enumerate() {
                        if !is_finite_decimal(v) {
                            return Err(bad(
                                format!("config.adam.compare_with[{k}].rows[{r}][{j}]"),
                                v,
                                "a finite decimal number",
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The decimal at a precision that resolves it to the last digit written.
fn exact(text: &str) -> rug::Float {
    let bits = 4 * text.len() as u32 + 64;
    parse_decimal(text, bits).unwrap_or_else(|_| rug::Float::new(bits))
}

fn check_step(i: usize, s: &StepDoc, degree: u32, root: u32) -> Result<(), TableError> {
    let at = |field: &str| format!("steps[{i}].{field}");
    if s.step != i + 1 {
        return Err(bad(at("step"), &s.step.to_string(), format!("{}", i + 1)));
    }
    if s.degree != degree || s.degree == 0 || !(s.degree - 1).is_multiple_of(root) || s.degree > MAX_DEGREE {
        return Err(bad(
            at("degree"),
            &s.degree.to_string(),
            format!("a degree 1 + {root}·k up to {MAX_DEGREE}, config.degrees[{i}] = {degree}"),
        ));
    }
    let terms = ((s.degree - 1) / root + 1) as usize;
    let want: Option<Vec<u32>> = (root != crate::poly::MSIGN_ROOT).then(|| crate::poly::exponents(root, s.degree));
    if s.exponents != want {
        return Err(bad(
            at("exponents"),
            &format!("{:?}", s.exponents),
            format!("{want:?} (1, 1 + r, … for root r; absent for msign)"),
        ));
    }
    let lengths = [s.coefficients.len(), s.coefficients_f64.len(), s.coefficients_f32.len()];
    if lengths.iter().any(|&l| l != terms) {
        return Err(bad(
            at("coefficients"),
            &format!("{} decimals, {} f64, {} f32", lengths[0], lengths[1], lengths[2]),
            format!("{terms} of each (degree {})", s.degree),
        ));
    }
    for (k, text) in s.coefficients.iter().enumerate() {
        if text.len() > MAX_DECIMAL || !is_plain_decimal(text) || !is_finite_decimal(text) {
            return Err(bad(at(&format!("coefficients[{k}]")), text, "a finite decimal number"));
        }
        let x = exact(text);
        let (want64, want32) = (to_f64(&x), to_f32(&x));
        if s.coefficients_f64[k] != want64 {
            return Err(bad(
                at(&format!("coefficients_f64[{k}]")),
                &format!("{:?}", s.coefficients_f64[k]),
                format!("{want64:?}, the coefficient {} correctly rounded", quoted(text)),
            ));
        }
        let got32 = s.coefficients_f32[k];
        let ulp = (f64::from(want32).abs() * f64::from(f32::EPSILON)).max(f64::from(f32::MIN_POSITIVE));
        // An overflowed value must be the same infinity; a finite one within
        // one unit in the last place (a JSON reader may round twice).
        let close =
            if want32.is_finite() { (f64::from(got32) - f64::from(want32)).abs().le(&ulp) } else { got32 == want32 };
        if !close {
            return Err(bad(
                at(&format!("coefficients_f32[{k}]")),
                &format!("{got32:?}"),
                format!("{want32:?}, the coefficient {} rounded to f32", quoted(text)),
            ));
        }
        if !x.is_zero() && (want64 == 0.0 || want32 == 0.0) {
            return Err(bad(
                at(&format!("coefficients[{k}]")),
                text,
                "a value that f64 and f32 do not round to 0 (one that overflows is kept, as \"inf\")",
            ));
        }
    }
    for (field, pair) in [
        ("interval", Some(&s.interval)),
        ("composed_image", Some(&s.composed_image)),
        ("fit_interval", s.fit_interval.as_ref()),
    ] {
        if let Some([a, b]) = pair {
            decimal(&at(&format!("{field}[0]")), a)?;
            decimal(&at(&format!("{field}[1]")), b)?;
        }
    }
    decimal(&at("step_error"), &s.step_error)?;
    decimal(&at("composed_error"), &s.composed_error)?;
    decimal(&at("recentring"), &s.recentring)?;
    if let Some(c) = &s.certified_error {
        for (form, text) in [("exact", &c.exact), ("f64", &c.f64), ("f32", &c.f32), ("bf16", &c.bf16)] {
            if text != super::UNBOUNDED {
                decimal(&at(&format!("certified_error.{form}")), text)?;
            }
        }
    }
    if let Some(r) = &s.remez {
        decimal(&at("remez.levelled_error"), &r.levelled_error)?;
        decimal(&at("remez.relative_gap"), &r.relative_gap)?;
        if let Some(m) = &r.message {
            plain(&at("remez.message"), m, MAX_TEXT)?;
        }
    }
    if let Some(fit) = &s.fit_coefficients {
        if fit.len() != terms {
            return Err(bad(at("fit_coefficients"), &format!("{} values", fit.len()), format!("{terms}")));
        }
        for (k, t) in fit.iter().enumerate() {
            decimal(&at(&format!("fit_coefficients[{k}]")), t)?;
        }
    }
    Ok(())
}
