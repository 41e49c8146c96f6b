//! A Rust constant table to paste into another crate.
//!
//! Uniform degree: `pub const NAME: [[f64; 3]; T] = [...];`. Mixed degrees:
//! `pub const NAME: &[&[f64]] = &[...];`. Each literal is the shortest decimal
//! that parses back to the correctly rounded value held in the document, and
//! the file is rustfmt-clean and compiles with `-D warnings`.

use std::fmt::Write;

use super::{EmitError, Emitter, commented, literal_rows};
use crate::table::TableDoc;

/// The Rust emitter.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustEmitter;

impl Emitter for RustEmitter {
    fn extension(&self) -> &'static str {
        "rs"
    }

    fn render(&self, doc: &TableDoc) -> Result<String, EmitError> {
        let c = &doc.config;
        let ty = c.emit.element_type.as_str();
        let rows = literal_rows(doc, c.emit.element_type)?;
        let mut out = commented(doc, "///");
        let name = &c.emit.const_name;
        match doc.uniform_degree() {
            Some(_) => {
                // Terms per row: (d + 1)/2 for msign, (d − 1)/r + 1 for root r.
                let terms = rows.first().map_or(0, Vec::len);
                let _ = writeln!(out, "pub const {name}: [[{ty}; {terms}]; {}] = [", rows.len());
                for row in &rows {
                    let _ = writeln!(out, "    [{}],", row.join(", "));
                }
            }
            None => {
                let _ = writeln!(out, "pub const {name}: &[&[{ty}]] = &[");
                for row in &rows {
                    let _ = writeln!(out, "    &[{}],", row.join(", "));
                }
            }
        }
        out.push_str("];\n");
        if doc.root() == crate::poly::MSIGN_ROOT {
            // A plain-loop msign with this table and its normalisation.
            let n = doc.config.normalisation();
            let float = |t: &str| if t.contains(['.', 'e', 'E']) { t.to_string() } else { format!("{t}.0") };
            let norm = match n.kind {
                crate::normalise::NormKind::Frobenius => "||G||_F",
                crate::normalise::NormKind::SpectralBound => "||(G G^T)^2||_F^(1/4)",
            };
            if n.kind == crate::normalise::NormKind::SpectralBound {
                // The plain-loop function applies the Frobenius form only.
                return Ok(out);
            }
            let _ = write!(
                out,
                "\n/// Applies `{name}` to the row-major `rows` x `cols` matrix `g` and returns the result in the same\n\
                 /// layout: X = G / ({norm} * {scale} + {epsilon}) (the normalisation this table assumes), then `steps`\n\
                 /// steps (the last row repeated past the end of the table), with the products on the short side.\n\
                 /// Plain f64 loops, no dependencies: a reference to check a faster implementation against.\n",
                scale = n.scale,
                epsilon = n.epsilon,
            );
            out.push_str(
                &MSIGN_BODY
                    .replace("__NAME__", name)
                    .replace("__SCALE__", &float(&n.scale))
                    .replace("__EPSILON__", &float(&n.epsilon)),
            );
        }
        Ok(out)
    }
}

/// The emitted `msign`, rustfmt-formatted (its line lengths do not depend on
/// the placeholders but for `__NAME__`, at most 64 characters, on a short
/// line): `__NAME__` the constant, `__SCALE__` and `__EPSILON__` float
/// literals of the table's normalisation.
pub const MSIGN_BODY: &str = r#"pub fn msign(g: &[f64], rows: usize, cols: usize, steps: usize) -> Vec<f64> {
    assert_eq!(g.len(), rows * cols, "g must hold rows * cols values");
    // X is n x m with n <= m, row-major: G itself, or its transpose.
    let (n, m) = (rows.min(cols), rows.max(cols));
    let at = |k: usize| {
        if rows <= cols {
            g[k]
        } else {
            g[(k % m) * cols + k / m]
        }
    };
    let norm = (0..n * m).map(|k| at(k) * at(k)).sum::<f64>().sqrt();
    let divisor = norm * __SCALE__ + __EPSILON__;
    let mut x: Vec<f64> = (0..n * m).map(|k| at(k) / divisor).collect();
    let table = &__NAME__;
    for t in 0..steps {
        let c: Vec<f64> = table[t.min(table.len() - 1)]
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        let q = c.len() - 1;
        let mut next: Vec<f64> = x.iter().map(|v| c[0] * v).collect();
        if q > 0 {
            // A = X X^T; B = c_q A, then B <- A B + c_k A for k = q - 1 down to 1.
            let mut a = vec![0.0; n * n];
            for i in 0..n {
                for j in 0..n {
                    a[i * n + j] = (0..m).map(|k| x[i * m + k] * x[j * m + k]).sum();
                }
            }
            let mut b: Vec<f64> = a.iter().map(|v| c[q] * v).collect();
            for ck in c[1..q].iter().rev() {
                let mut ab = vec![0.0; n * n];
                for i in 0..n {
                    for j in 0..n {
                        let sum: f64 = (0..n).map(|l| a[i * n + l] * b[l * n + j]).sum();
                        ab[i * n + j] = sum + ck * a[i * n + j];
                    }
                }
                b = ab;
            }
            // X <- c_0 X + B X.
            for i in 0..n {
                for j in 0..m {
                    next[i * m + j] += (0..n).map(|l| b[i * n + l] * x[l * m + j]).sum::<f64>();
                }
            }
        }
        x = next;
    }
    if rows <= cols {
        x
    } else {
        (0..rows * cols)
            .map(|k| x[(k % cols) * m + k / cols])
            .collect()
    }
}
"#;
