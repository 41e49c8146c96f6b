//! Test matrices: seeded Gaussian, prescribed singular spectra with random
//! orthogonal factors, and NumPy `.npy` files.

use std::path::Path;

use faer::Mat;
use nalgebra::DMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::kernel;

/// Default cap on matrix elements (rows × cols): 2^26, a 8192 × 8192 matrix,
/// 512 MiB per f64 copy; a verification holds about six copies.
pub const DEFAULT_MAX_ELEMENTS: u64 = 1 << 26;

/// A singular spectrum to prescribe, or plain Gaussian entries.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Spectrum {
    /// i.i.d. N(0, 1) entries (no prescribed spectrum).
    Gaussian,
    /// σ log-uniform in [ℓ, 1] (ℓ and 1 included).
    LogUniform,
    /// All σ in [ℓ, 2ℓ] but the largest, which is 1.
    Clustered,
    /// σ_i = ℓ^(i/(n−1)), a geometric progression from 1 down to ℓ.
    Geometric,
    /// σ uniform in [ℓ, 1] (ℓ and 1 included).
    Uniform,
    /// A bulk uniform in [ℓ, 0.1] and three outliers in [0.5, 1] (top = 1).
    Outliers,
}

impl Spectrum {
    /// Parses a spectrum name (`log_uniform`, also spelled `log-uniform`).
    pub fn parse(s: &str) -> Option<Self> {
        s.replace('-', "_").parse().ok()
    }

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A generated matrix's recipe.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MatrixSpec {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// The spectrum.
    pub spectrum: Spectrum,
    /// ℓ of the prescribed spectrum (ignored for `gaussian`).
    pub lower: f64,
    /// RNG seed (ChaCha8).
    pub seed: u64,
}

/// A matrix to verify on.
#[derive(Debug, Clone)]
pub struct TestMatrix {
    /// The entries.
    pub m: DMatrix<f64>,
    /// The prescribed singular values (descending), when known exactly.
    pub prescribed: Option<Vec<f64>>,
    /// Where it came from, for reports.
    pub description: String,
}

/// A matrix that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatrixError {
    /// Too many elements for the memory cap.
    #[error(
        "{what}: {rows} x {cols} = {elements} elements exceeds the cap of {cap} (raise the element cap to allow more)"
    )]
    TooLarge {
        /// File or shape.
        what: String,
        /// Rows.
        rows: u64,
        /// Columns.
        cols: u64,
        /// rows × cols.
        elements: u128,
        /// The cap.
        cap: u64,
    },
    /// An `.npy` file that cannot be read as a 2-D float matrix.
    #[error("{file}: {problem}")]
    Npy {
        /// The file.
        file: String,
        /// What is wrong.
        problem: String,
    },
    /// Entries that cannot be verified on.
    #[error("{what}: {problem}")]
    Content {
        /// File or shape.
        what: String,
        /// What is wrong.
        problem: String,
    },
    /// A bad shape or spectrum argument.
    #[error("{0}")]
    Spec(String),
}

/// Refuses shapes above the cap before anything is allocated.
pub fn check_size(what: &str, rows: u64, cols: u64, cap: u64) -> Result<(), MatrixError> {
    let elements = u128::from(rows) * u128::from(cols);
    if rows == 0 || cols == 0 {
        return Err(MatrixError::Content { what: what.into(), problem: format!("the shape {rows} x {cols} is empty") });
    }
    if elements > u128::from(cap) {
        return Err(MatrixError::TooLarge { what: what.into(), rows, cols, elements, cap });
    }
    Ok(())
}

/// Parses `NxM` (e.g. `1024x4096`).
pub fn parse_shape(s: &str) -> Option<(usize, usize)> {
    let (a, b) = s.split_once(['x', 'X'])?;
    let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a > 0 && b > 0).then_some((a, b))
}

/// i.i.d. N(0, 1) entries, filled column by column (reproducible for a seed).
pub fn gaussian(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    // Column-major fill in a fixed order: reproducible for a seed.
    DMatrix::from_fn(rows, cols, |_, _| rng.sample::<f64, _>(StandardNormal))
}

/// The prescribed singular values (descending) of `spectrum` for `k` values
/// in [ℓ, 1] (not for `gaussian`, which prescribes none).
pub fn singular_values(spectrum: Spectrum, k: usize, lower: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let ln_l = lower.ln();
    let mut s: Vec<f64> = match spectrum {
        Spectrum::Gaussian => unreachable!("no prescribed spectrum"),
        Spectrum::LogUniform => (0..k).map(|_| (ln_l * rng.random::<f64>()).exp()).collect(),
        Spectrum::Clustered => (0..k).map(|_| lower * (1.0 + rng.random::<f64>())).collect(),
        Spectrum::Geometric => {
            (0..k).map(|i| if k == 1 { 1.0 } else { (ln_l * i as f64 / (k - 1) as f64).exp() }).collect()
        }
        Spectrum::Uniform => (0..k).map(|_| lower + (1.0 - lower) * rng.random::<f64>()).collect(),
        Spectrum::Outliers => (0..k)
            .map(|i| if i < 3 { 0.5 + 0.5 * rng.random::<f64>() } else { lower + (0.1 - lower) * rng.random::<f64>() })
            .collect(),
    };
    s.sort_by(|a, b| b.total_cmp(a));
    // Pin the ends: the largest is 1 and, where the spectrum reaches ℓ, the
    // smallest is ℓ.
    s[0] = 1.0;
    if k > 1 && matches!(spectrum, Spectrum::LogUniform | Spectrum::Uniform | Spectrum::Clustered | Spectrum::Outliers)
    {
        s[k - 1] = lower;
    }
    s
}

/// Generates the matrix of `spec`, refusing shapes above `max_elements`.
///
/// # Errors
///
/// [`MatrixError`] for a shape above the cap or ℓ outside (0, 1).
pub fn generate(spec: &MatrixSpec, max_elements: u64) -> Result<TestMatrix, MatrixError> {
    let what = format!("shape {}x{}", spec.rows, spec.cols);
    check_size(&what, spec.rows as u64, spec.cols as u64, max_elements)?;
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    if spec.spectrum == Spectrum::Gaussian {
        let m = gaussian(spec.rows, spec.cols, &mut rng);
        return Ok(TestMatrix {
            m,
            prescribed: None,
            description: format!("{}x{} Gaussian, seed {}", spec.rows, spec.cols, spec.seed),
        });
    }
    if !(spec.lower > 0.0 && spec.lower < 1.0) {
        return Err(MatrixError::Spec(format!("lower = {} is not allowed: a number in (0, 1)", spec.lower)));
    }
    let sigma = singular_values(spec.spectrum, spec.rows.min(spec.cols), spec.lower, &mut rng);
    let matrix = with_singular_values(spec.rows, spec.cols, &sigma, &mut rng);
    Ok(TestMatrix {
        m: matrix,
        prescribed: Some(sigma),
        description: format!(
            "{}x{} with {} spectrum in [{}, 1], seed {}",
            spec.rows,
            spec.cols,
            spec.spectrum.as_str(),
            spec.lower,
            spec.seed
        ),
    })
}

/// Relative margin a fitted lower end leaves above its target, so that the
/// normalised σ_min computed from the matrix (in f64, through a Gram
/// matrix) does not land a rounding error below the table's ℓ.
pub const FIT_MARGIN: f64 = 1e-6;

/// The lower end of `spec`'s prescribed spectrum for which the normalised
/// input X₀ = M / (‖M‖(1 + ε) + δ) has σ_min at `target` (times 1 +
/// [`FIT_MARGIN`], then rounded up to four significant digits), with the
/// same seed and the same orthogonal factors as `spec`; `spectral_bound`
/// takes ‖M‖ = ‖(M Mᵀ)²‖_F^(1/4) instead of ‖M‖_F. `None` when the spectrum
/// is not prescribed (`gaussian`) or no lower end below 1 reaches the
/// target (a large matrix's norm exceeds 1/target).
pub fn fit_lower(spec: &MatrixSpec, target: f64, eps: f64, delta: f64, spectral_bound: bool) -> Option<f64> {
    if spec.spectrum == Spectrum::Gaussian || !(target > 0.0 && target < 1.0) {
        return None;
    }
    let k = spec.rows.min(spec.cols);
    // σ_min / divisor for a lower end (σ_max = 1, σ_min = lower).
    let divisor = |lower: f64| {
        let sigma = singular_values(spec.spectrum, k, lower, &mut ChaCha8Rng::seed_from_u64(spec.seed));
        let norm = if spectral_bound {
            sigma.iter().map(|s| s.powi(8)).sum::<f64>().powf(0.125)
        } else {
            sigma.iter().map(|s| s * s).sum::<f64>().sqrt()
        };
        crate::normalise::divisor(norm, eps, delta)
    };
    let goal = target * (1.0 + FIT_MARGIN);
    let mut lower = goal;
    // lower = goal · divisor(lower): the divisor grows far slower than
    // lower, so the fixed point is reached in a few rounds.
    for _ in 0..100 {
        let next = goal * divisor(lower);
        if !(next.is_finite() && next < 1.0) {
            return None;
        }
        let done = (next - lower).abs() <= 1e-14 * lower;
        lower = next;
        if done {
            break;
        }
    }
    // Four significant digits, rounded up (σ_min / divisor grows with lower).
    let unit = 10f64.powf(lower.log10().floor() - 3.0);
    let rounded = (lower / unit).ceil() * unit;
    (rounded < 1.0 && rounded / divisor(rounded) >= target).then_some(rounded)
}

/// Random orthonormal rows, n×m (n ≤ m), Haar-distributed: the transposed
/// Q factor of the QR decomposition of an m×n Gaussian matrix, its column
/// signs chosen so that R has a non-negative diagonal
/// ([`kernel::thin_q_positive`]). The Gaussian draws are those of
/// [`gaussian`]`(n, m)`, in its order.
pub fn random_orthonormal(n: usize, m: usize, rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    let q = orthonormal_rows(&gaussian(n, m, rng));
    kernel::to_nalgebra(q.as_ref())
}

/// The orthonormal rows of [`random_orthonormal`] from its Gaussian draw.
fn orthonormal_rows(g: &DMatrix<f64>) -> Mat<f64> {
    let g = kernel::from_nalgebra(g);
    let q = kernel::thin_q_positive(kernel::transpose(g.as_ref()));
    kernel::transpose(q.as_ref())
}

/// U diag(σ) Vᵀ of shape rows × cols with Haar-random U, V and the given
/// singular values (descending, one per short-side dimension). U and V are
/// [`random_orthonormal`]'s, drawn in that order; their two factorisations
/// (sequential each) run side by side.
pub fn with_singular_values(rows: usize, cols: usize, sigma: &[f64], rng: &mut ChaCha8Rng) -> DMatrix<f64> {
    let (n, m) = (rows.min(cols), rows.max(cols));
    let (gu, gv) = (gaussian(n, n, rng), gaussian(n, m, rng));
    let (mut us, vt) = rayon::join(|| orthonormal_rows(&gu), || orthonormal_rows(&gv));
    for (j, s) in sigma.iter().enumerate() {
        for v in us.col_as_slice_mut(j) {
            *v *= *s;
        }
    }
    let short = kernel::product(us.as_ref(), vt.as_ref()); // n×m
    let shaped = if rows <= cols { short } else { kernel::transpose(short.as_ref()) };
    kernel::to_nalgebra(shaped.as_ref())
}

/// Reads a 2-D float32/float64 `.npy` file (C or Fortran order, either byte
/// order), refusing shapes above `max_elements` before reading the data.
///
/// # Errors
///
/// [`MatrixError`] naming the file and the problem: unreadable, truncated,
/// bad magic or header, unsupported dtype, not 2-D, too large, NaN/Inf, all
/// zero.
pub fn read_npy(path: &Path, max_elements: u64) -> Result<TestMatrix, MatrixError> {
    use std::io::Read;
    let file = path.display().to_string();
    let err = |problem: String| MatrixError::Npy { file: file.clone(), problem };
    let meta = std::fs::metadata(path).map_err(|e| err(format!("cannot read: {e}")))?;
    if !meta.is_file() {
        return Err(err("not a regular file (a pipe, device or folder cannot be read as .npy)".into()));
    }
    let mut f = std::fs::File::open(path).map_err(|e| err(format!("cannot read: {e}")))?;
    // The preamble and header first: at most 12 + MAX_NPY_HEADER bytes.
    let mut head = Vec::new();
    (&mut f).take(12 + MAX_NPY_HEADER as u64).read_to_end(&mut head).map_err(|e| err(format!("cannot read: {e}")))?;
    let header = parse_npy_header(&head).map_err(err)?;
    check_size(&file, header.rows as u64, header.cols as u64, max_elements)?;
    let width = header.dtype_bytes;
    let count = header.rows.checked_mul(header.cols).ok_or_else(|| err("the shape overflows".into()))?;
    let needed = count.checked_mul(width).ok_or_else(|| err("the shape overflows".into()))?;
    let available = meta.len().saturating_sub(header.data_offset as u64);
    if (available as u128) < needed as u128 {
        return Err(err(format!(
            "truncated: the header promises {} x {} values ({needed} bytes) but {available} bytes follow it",
            header.rows, header.cols
        )));
    }
    // Exactly the data, from the end of the header.
    let mut bytes = head.get(header.data_offset..).unwrap_or(&[]).to_vec();
    bytes.truncate(needed);
    if bytes.len() < needed {
        let rest = (needed - bytes.len()) as u64;
        let start = bytes.len();
        (&mut f).take(rest).read_to_end(&mut bytes).map_err(|e| err(format!("cannot read: {e}")))?;
        if bytes.len() != needed {
            return Err(err(format!("truncated: {} of {needed} data bytes could be read", bytes.len() - start)));
        }
    }
    let data = &bytes[..];
    let value = |i: usize| -> f64 {
        let b = &data[i * width..(i + 1) * width];
        match (width, header.little_endian) {
            (2, true) => half::f16::from_le_bytes(b.try_into().expect("2 bytes")).to_f64(),
            (2, false) => half::f16::from_be_bytes(b.try_into().expect("2 bytes")).to_f64(),
            (4, true) => f64::from(f32::from_le_bytes(b.try_into().expect("4 bytes"))),
            (4, false) => f64::from(f32::from_be_bytes(b.try_into().expect("4 bytes"))),
            (8, true) => f64::from_le_bytes(b.try_into().expect("8 bytes")),
            _ => f64::from_be_bytes(b.try_into().expect("8 bytes")),
        }
    };
    let (rows, cols) = (header.rows, header.cols);
    let m = if header.fortran_order {
        DMatrix::from_fn(rows, cols, |i, j| value(j * rows + i))
    } else {
        DMatrix::from_fn(rows, cols, |i, j| value(i * cols + j))
    };
    check_content(&file, &m)?;
    Ok(TestMatrix {
        m,
        prescribed: None,
        description: format!(
            "{file} ({rows}x{cols} {})",
            match width {
                2 => "float16",
                4 => "float32",
                _ => "float64",
            }
        ),
    })
}

/// Refuses NaN, infinite and all-zero matrices.
pub fn check_content(what: &str, m: &DMatrix<f64>) -> Result<(), MatrixError> {
    if let Some(pos) = m.iter().position(|v| !v.is_finite()) {
        let (i, j) = (pos % m.nrows(), pos / m.nrows());
        return Err(MatrixError::Content {
            what: what.into(),
            problem: format!("entry ({i}, {j}) is {} (only finite values can be verified)", m[(i, j)]),
        });
    }
    if m.iter().all(|&v| v == 0.0) {
        return Err(MatrixError::Content {
            what: what.into(),
            problem: "the matrix is all zeros (it has no polar factor)".into(),
        });
    }
    Ok(())
}

struct NpyHeader {
    rows: usize,
    cols: usize,
    dtype_bytes: usize,
    little_endian: bool,
    fortran_order: bool,
    data_offset: usize,
}

/// Largest `.npy` header read (NumPy writes a few hundred bytes).
pub const MAX_NPY_HEADER: usize = 1 << 16;

/// Parses the `.npy` preamble: magic, version, header length, and the header
/// dict `{'descr': '<f8', 'fortran_order': False, 'shape': (r, c), }`.
fn parse_npy_header(bytes: &[u8]) -> Result<NpyHeader, String> {
    const MAGIC: &[u8] = b"\x93NUMPY";
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not a NumPy .npy file (the magic string \\x93NUMPY is missing)".into());
    }
    let (major, _minor) = (bytes[6], bytes[7]);
    let (len, start): (usize, usize) = match major {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("truncated header".into());
            }
            (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
        }
        v => return Err(format!("unsupported .npy format version {v} (1, 2 and 3 are supported)")),
    };
    if len > MAX_NPY_HEADER {
        return Err(format!("the header claims {len} bytes; at most {MAX_NPY_HEADER} are read"));
    }
    let end = start.checked_add(len).filter(|&e| e <= bytes.len()).ok_or("truncated header")?;
    let text = std::str::from_utf8(&bytes[start..end]).map_err(|_| "the header is not text")?;
    let descr = dict_value(text, "descr").ok_or("the header has no 'descr' entry")?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let (little_endian, dtype_bytes) = match descr {
        "<f8" => (true, 8),
        ">f8" => (false, 8),
        "<f4" => (true, 4),
        ">f4" => (false, 4),
        "<f2" => (true, 2),
        ">f2" => (false, 2),
        other => {
            return Err(format!(
                "unsupported dtype '{other}': float16 ('<f2'), float32 ('<f4') or float64 ('<f8') is needed"
            ));
        }
    };
    let fortran = dict_value(text, "fortran_order").ok_or("the header has no 'fortran_order' entry")?;
    let fortran_order = match fortran.trim() {
        "True" => true,
        "False" => false,
        other => return Err(format!("bad fortran_order value '{other}'")),
    };
    let shape = dict_value(text, "shape").ok_or("the header has no 'shape' entry")?;
    let dims: Vec<&str> = shape
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let dims: Vec<usize> = dims
        .iter()
        .map(|d| d.parse::<usize>().map_err(|_| format!("bad shape '{shape}'")))
        .collect::<Result<_, _>>()?;
    if dims.len() != 2 {
        return Err(format!("the array is {}-D with shape {shape}; a 2-D matrix is needed", dims.len()));
    }
    Ok(NpyHeader { rows: dims[0], cols: dims[1], dtype_bytes, little_endian, fortran_order, data_offset: end })
}

/// The raw text of `key`'s value in a Python dict literal (tuples kept whole).
fn dict_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let k1 = format!("'{key}'");
    let k2 = format!("\"{key}\"");
    let at = text.find(&k1).map(|i| i + k1.len()).or_else(|| text.find(&k2).map(|i| i + k2.len()))?;
    let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') { rest.find(')')? + 1 } else { rest.find([',', '}']).unwrap_or(rest.len()) };
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::reference::polar_reference;

    #[test]
    fn prescribed_spectra_are_realised() {
        for spectrum in
            [Spectrum::LogUniform, Spectrum::Geometric, Spectrum::Clustered, Spectrum::Uniform, Spectrum::Outliers]
        {
            let spec = MatrixSpec { rows: 24, cols: 40, spectrum, lower: 1e-3, seed: 7 };
            let t = generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap();
            let measured = polar_reference(&t.m).unwrap().singular_values;
            for (a, b) in measured.iter().zip(t.prescribed.as_ref().unwrap()) {
                assert!((a - b).abs() <= 1e-12 * b.max(1e-3) * 1e3, "{spectrum:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn tall_shapes_are_transposed_back() {
        let spec = MatrixSpec { rows: 30, cols: 10, spectrum: Spectrum::Geometric, lower: 0.1, seed: 1 };
        assert_eq!(generate(&spec, DEFAULT_MAX_ELEMENTS).unwrap().m.shape(), (30, 10));
    }

    #[test]
    fn shapes_parse() {
        assert_eq!(parse_shape("1024x4096"), Some((1024, 4096)));
        assert_eq!(parse_shape("3X2"), Some((3, 2)));
        assert_eq!(parse_shape("0x2"), None);
        assert_eq!(parse_shape("12"), None);
    }
}
