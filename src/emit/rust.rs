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
            let _ = write!(
                out,
                "pub fn msign(g: &[f64], rows: usize, cols: usize, steps: usize) -> Vec<f64> {{\n    assert_eq!(g.len(), rows * cols, \"g must hold rows * cols values\");\n    // X is n x m with n <= m, row-major: G itself, or its transpose.\n    let (n, m) = (rows.min(cols), rows.max(cols));\n    let at = |k: usize| {{\n        if rows <= cols {{\n            g[k]\n        }} else {{\n            g[(k % m) * cols + k / m]\n        }}\n    }};\n    let norm = (0..n * m).map(|k| at(k) * at(k)).sum::<f64>().sqrt();\n    let divisor = norm * {scale} + {epsilon};\n    let mut x: Vec<f64> = (0..n * m).map(|k| at(k) / divisor).collect();\n    let table = &{name};\n    for t in 0..steps {{\n        let c: Vec<f64> = table[t.min(table.len() - 1)]\n            .iter()\n            .map(|&v| f64::from(v))\n            .collect();\n        let q = c.len() - 1;\n        let mut next: Vec<f64> = x.iter().map(|v| c[0] * v).collect();\n        if q > 0 {{\n            // A = X X^T; B = c_q A, then B <- A B + c_k A for k = q - 1 down to 1.\n            let mut a = vec![0.0; n * n];\n            for i in 0..n {{\n                for j in 0..n {{\n                    a[i * n + j] = (0..m).map(|k| x[i * m + k] * x[j * m + k]).sum();\n                }}\n            }}\n            let mut b: Vec<f64> = a.iter().map(|v| c[q] * v).collect();\n            for ck in c[1..q].iter().rev() {{\n                let mut ab = vec![0.0; n * n];\n                for i in 0..n {{\n                    for j in 0..n {{\n                        let sum: f64 = (0..n).map(|l| a[i * n + l] * b[l * n + j]).sum();\n                        ab[i * n + j] = sum + ck * a[i * n + j];\n                    }}\n                }}\n                b = ab;\n            }}\n            // X <- c_0 X + B X.\n            for i in 0..n {{\n                for j in 0..m {{\n                    next[i * m + j] += (0..n).map(|l| b[i * n + l] * x[l * m + j]).sum::<f64>();\n                }}\n            }}\n        }}\n        x = next;\n    }}\n    if rows <= cols {{\n        x\n    }} else {{\n        (0..rows * cols)\n            .map(|k| x[(k % cols) * m + k / cols])\n            .collect()\n    }}\n}}\n",
                name = name,
                scale = float(&n.scale),
                epsilon = float(&n.epsilon),
            );
        }
        Ok(out)
    }
}
