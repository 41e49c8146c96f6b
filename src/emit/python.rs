//! A Python module: the table as a list of tuples under a provenance
//! docstring, and `msign(G)`, which applies it with the normalisation the
//! table assumes: in PyTorch for a tensor, in JAX for a JAX array, in numpy
//! otherwise (each imported only when called; the tests run the numpy path,
//! and the torch and JAX paths where those are installed). Degree-5 msign
//! tables also get `ns_coeffs(steps)`, the value optax's Muon takes as
//! `ns_coeffs`.

use std::fmt::Write;

use super::{EmitError, Emitter, comment_safe, literal_rows, provenance};
use crate::normalise::NormKind;
use crate::table::ElementType;
use crate::table::TableDoc;

/// The Python emitter.
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonEmitter;

impl Emitter for PythonEmitter {
    fn extension(&self) -> &'static str {
        "py"
    }

    fn render(&self, doc: &TableDoc) -> Result<String, EmitError> {
        let c = &doc.config;
        // Python floats are binary64: f32 tables are written as the f64
        // values of their f32 entries (exact).
        let rows = literal_rows(doc, c.emit.element_type)?;
        let name = &c.emit.const_name;
        let mut out = String::from("\"\"\"");
        for (i, line) in provenance(doc).iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            // A docstring ends at three quotes; a backslash starts an escape.
            out.push_str(&comment_safe(line).replace('\\', "\\\\").replace('"', "\\\""));
        }
        out.push_str("\n\"\"\"\n\n");
        if c.emit.element_type == ElementType::F32 {
            out.push_str("# float32 table: each value is the shortest decimal that rounds back to its float32.\n");
        }
        let _ = writeln!(out, "{name} = [");
        for row in &rows {
            let items = row;
            // A one-element tuple needs its trailing comma.
            let trailing = if items.len() == 1 { "," } else { "" };
            let _ = writeln!(out, "    ({}{trailing}),", items.join(", "));
        }
        out.push_str("]\n");
        if doc.root() != crate::poly::MSIGN_ROOT {
            // The msign function below applies msign tables only.
            return Ok(out);
        }
        // Checked plain decimals (TableDoc::from_json, the config), so valid
        // Python literals.
        let normalisation = doc.config.normalisation();
        let _ = write!(
            out,
            r#"

def msign(G, steps=None, scale={scale}, epsilon={epsilon}, dtype=None, *, _rows={name}):
    """Apply `{name}` to G (..., n, m): X = G / ({norm_text} * scale + epsilon) (this
    table's normalisation), then one
    step per row (the last row repeated when steps exceeds the rows), products on the
    short side. A torch.Tensor runs in torch and comes back in `dtype` (default
    torch.bfloat16), a JAX array runs in jax.numpy (default jnp.bfloat16); anything
    else runs in numpy and comes back in `dtype` (default numpy.float32). The table
    is bound when the function is defined, so no local name can stand in for it."""
    library = type(G).__module__.split(".")[0]
    if library == "torch":
        import torch

        X = G.to(torch.bfloat16 if dtype is None else dtype)
        swap = lambda M: M.mT
        frobenius = lambda M: M.norm(dim=(-2, -1), keepdim=True)
    elif library in ("jax", "jaxlib"):
        import jax.numpy as jnp

        X = jnp.asarray(G, dtype=jnp.bfloat16 if dtype is None else dtype)
        swap = lambda M: jnp.swapaxes(M, -1, -2)
        frobenius = lambda M: jnp.sqrt((M * M).sum(axis=(-2, -1), keepdims=True))
    else:
        import numpy

        X = numpy.asarray(G, dtype=numpy.float32 if dtype is None else dtype)
        swap = lambda M: numpy.swapaxes(M, -1, -2)
        frobenius = lambda M: numpy.sqrt((M * M).sum(axis=(-2, -1), keepdims=True))
    transposed = X.shape[-2] > X.shape[-1]
    if transposed:
        X = swap(X)
    X = X / ({norm_code} * scale + epsilon)
    rows = _rows
    for t in range(len(rows) if steps is None else steps):
        c = rows[min(t, len(rows) - 1)]
        if len(c) == 1:
            X = c[0] * X
            continue
        A = X @ swap(X)
        B = c[-1] * A
        for ck in reversed(c[1:-1]):
            B = A @ B + ck * A
        X = c[0] * X + B @ X
    return swap(X) if transposed else X
"#,
            scale = normalisation.scale,
            epsilon = normalisation.epsilon,
            norm_text = match normalisation.kind {
                NormKind::Frobenius => "||G||_F",
                NormKind::SpectralBound => "||(G G^T)^2||_F^(1/4)",
            },
            norm_code = match normalisation.kind {
                NormKind::Frobenius => "frobenius(X)",
                NormKind::SpectralBound => "frobenius((X @ swap(X)) @ (X @ swap(X))) ** 0.25",
            },
        );
        if rows.iter().all(|r| r.len() == 3) {
            let _ = write!(
                out,
                r#"

def ns_coeffs(steps=None, *, _rows={name}):
    """`{name}` as optax's Muon takes it: `optax.contrib.muon(..., ns_coeffs=ns_coeffs())`
    runs one step per (a, b, c) tuple (the last row repeated up to `steps`). optax
    divides G by ||G||_F + eps, without this table's scale of {scale}: the table's
    guarantee then holds for the singular values that normalisation puts in its
    interval."""
    count = len(_rows) if steps is None else steps
    return tuple(tuple(_rows[min(t, len(_rows) - 1)]) for t in range(count))
"#,
                scale = normalisation.scale,
            );
        }
        Ok(out)
    }
}
