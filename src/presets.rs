//! Coefficient tables in public use, as published, for verification and
//! comparison (docs/published-tables.md names
//! each table's origin).
//!
//! ```
//! let t = polar_coeffs::presets::preset("jordan").unwrap();
//! assert_eq!(t.rows, vec![vec!["3.4445", "-4.7750", "2.0315"]]);
//! assert_eq!(t.default_steps, 5);
//! ```
//!
//! These digits are data quoted from their sources, not results of this tool:
//! they are what the tool compares its own tables with.

/// A published table: rows of decimal coefficients of x, x³, x⁵, ….
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    /// The preset's name on the command line.
    pub name: &'static str,
    /// Where the digits come from and how the table was made.
    pub source: &'static str,
    /// Rows as decimal text (coefficients of x, x³, …).
    pub rows: Vec<Vec<String>>,
    /// Steps the table is run for in its source.
    pub default_steps: usize,
}

/// The names `preset` accepts, in the order they are listed to users.
pub const PRESET_NAMES: [&str; 13] = [
    "polar-express-2025",
    "polar-express-modded-nanogpt-5",
    "nemo-polar-express",
    "gram-ns",
    "cans",
    "cubic5",
    "jordan",
    "tuned-5-step",
    "you-6-step",
    "su-shared-5",
    "newton-schulz-3",
    "newton-schulz-5",
    "deepseek-v4",
];

/// Polar Express published list, raw rows (before the 1.01 scaling).
const POLAR_EXPRESS_RAW: [[&str; 3]; 8] = [
    ["8.28721201814563", "-23.595886519098837", "17.300387312530933"],
    ["4.107059111542203", "-2.9478499167379106", "0.5448431082926601"],
    ["3.9486908534822946", "-2.908902115962949", "0.5518191394370137"],
    ["3.3184196573706015", "-2.488488024314874", "0.51004894012372"],
    ["2.300652019954817", "-1.6689039845747493", "0.4188073119525673"],
    ["1.891301407787398", "-1.2679958271945868", "0.37680408948524835"],
    ["1.8750014808534479", "-1.2500016453999487", "0.3750001645474248"],
    ["1.875", "-1.25", "0.375"],
];

/// The safety factor the published list is scaled with.
const POLAR_EXPRESS_SAFETY: &str = "1.01";

const MODDED_NANOGPT_5: [[&str; 3]; 5] = [
    ["8.156554524902461", "-22.48329292557795", "15.878769915207462"],
    ["4.042929935166739", "-2.808917465908714", "0.5000178451051316"],
    ["3.8916678022926607", "-2.772484153217685", "0.5060648178503393"],
    ["3.285753657755655", "-2.3681294933425376", "0.46449024233003106"],
    ["2.3465413258596377", "-1.7097828382687081", "0.42323551169305323"],
];

/// NeMo Emerging-Optimizers `polar_express`: the published list divided by
/// 1.01 (a/s, b/s³, c/s⁵) and rounded to 4 decimals, row 8 undivided.
const NEMO_POLAR_EXPRESS: [[&str; 3]; 8] = [
    ["8.2051", "-22.9019", "16.4607"],
    ["4.0664", "-2.8612", "0.5184"],
    ["3.9096", "-2.8234", "0.5250"],
    ["3.2856", "-2.4153", "0.4853"],
    ["2.2779", "-1.6198", "0.3985"],
    ["1.8726", "-1.2307", "0.3585"],
    ["1.8564", "-1.2132", "0.3568"],
    ["1.8750", "-1.2500", "0.3750"],
];

/// The safety factor of the Gram Newton–Schulz coefficients.
const GRAM_NS_SAFETY: &str = "1.05";

/// The first rows of the pure greedy degree-5 table for ℓ = 1e-3, to 4
/// decimals, as shipped under the name "cans".
const CANS: [[&str; 3]; 5] = [
    ["8.4703", "-25.1081", "18.6293"],
    ["4.1828", "-3.1087", "0.5806"],
    ["3.9619", "-2.9541", "0.5630"],
    ["3.2866", "-2.4647", "0.5074"],
    ["2.2737", "-1.6447", "0.4162"],
];

/// The relaxed cubic schedule for the bf16 band (shipped with c = 0).
const CUBIC5: [[&str; 2]; 5] = [
    ["3.3656576", "-3.3420992"],
    ["2.5744352", "-1.4957376"],
    ["2.5368962", "-1.4312570"],
    ["2.4418906", "-1.2764040"],
    ["2.2230472", "-0.9630650"],
];

const JORDAN: [&str; 3] = ["3.4445", "-4.7750", "2.0315"];

const TUNED_5: [[&str; 3]; 5] = [
    ["4.0848", "-6.8946", "2.9270"],
    ["3.9505", "-6.3029", "2.6377"],
    ["3.7418", "-5.5913", "2.3037"],
    ["2.8769", "-3.1427", "1.2046"],
    ["2.8366", "-3.0525", "1.2012"],
];

/// You Jiacheng's 6-step list, in units of 1/1024.
const YOU_6_UNITS: [[i32; 3]; 6] = [
    [3955, -8306, 5008],
    [3735, -6681, 3463],
    [3799, -6499, 3211],
    [4019, -6385, 2906],
    [2677, -3029, 1162],
    [2172, -1833, 682],
];

const SU_SHARED_5: [&str; 3] = ["3.3748", "-4.6969", "2.1433"];

fn rows<const K: usize>(table: &[[&str; K]]) -> Vec<Vec<String>> {
    table.iter().map(|r| r.iter().map(|s| s.to_string()).collect()).collect()
}

/// The exact decimal of `units / 1024` (a dyadic fraction, so finite).
fn per_1024(units: i32) -> String {
    let value = f64::from(units) / 1024.0; // exact: |units| < 2^53
    format!("{value}")
}

/// `c / s^(2k+1)` for the k-th coefficient, computed in MPFR from the decimal
/// digits and printed with 40 significant digits.
fn scaled_row(row: &[&str; 3], safety: &str) -> Vec<String> {
    use rug::Float;
    let prec = 256;
    let s = crate::precision::parse_decimal(safety, prec).expect("a literal");
    row.iter()
        .enumerate()
        .map(|(k, c)| {
            let c = crate::precision::parse_decimal(c, prec).expect("a literal");
            let power = Float::with_val(prec, rug::ops::Pow::pow(&s, 2 * k as u32 + 1));
            crate::precision::to_decimal(&Float::with_val(prec, c / power), 40)
        })
        .collect()
}

/// The normalisation a preset's source uses: X / (||X||_F * scale +
/// epsilon). Where the source does not say, the usual Muon one
/// (X / (||X||_F * 1.01 + 1e-7)) is assumed.
pub fn normalisation(name: &str) -> crate::normalise::Normalisation {
    use crate::normalise::Normalisation;
    match name {
        // modded-nanogpt's own code: X / (||X||_F * 1.02 + 1e-6).
        "polar-express-modded-nanogpt-5" => Normalisation::frobenius("1.02", "1e-6"),
        // Muon's original code and the Gram Newton-Schulz repository: + 1e-7, no factor.
        "jordan" | "gram-ns" | "deepseek-v4" => Normalisation::frobenius("1", "1e-7"),
        _ => Normalisation::default(),
    }
}

/// The preset called `name`, or `None`.
pub fn preset(name: &str) -> Option<Preset> {
    let p = match name {
        "polar-express-2025" => Preset {
            name: "polar-express-2025",
            source: "Polar Express (Amsel et al. 2025), published list: l = 1e-3, degree 5, cushion \
                     0.02407327424182761, rows 1-7 then scaled by 1.01 (a/s, b/s^3, c/s^5; scaled here in \
                     256-bit arithmetic from the published raw digits)",
            rows: POLAR_EXPRESS_RAW
                .iter()
                .enumerate()
                .map(|(t, r)| {
                    if t + 1 < POLAR_EXPRESS_RAW.len() {
                        scaled_row(r, POLAR_EXPRESS_SAFETY)
                    } else {
                        r.iter().map(|s| s.to_string()).collect()
                    }
                })
                .collect(),
            default_steps: 8,
        },
        "polar-express-modded-nanogpt-5" => Preset {
            name: "polar-express-modded-nanogpt-5",
            source: "modded-nanogpt record of 2025-09-29: Polar Express, l = 1e-3, degree 5, cushion 0.02, \
                     safety 1.02 inside the recursion",
            rows: rows(&MODDED_NANOGPT_5),
            default_steps: 5,
        },
        "nemo-polar-express" => Preset {
            name: "nemo-polar-express",
            source: "NVIDIA NeMo Emerging-Optimizers, muon_utils.py `polar_express`: the Polar Express list divided \
                     by 1.01 (a/s, b/s^3, c/s^5) and rounded to 4 decimals, row 8 left at (1.875, -1.25, 0.375); \
                     regenerated by configs/polar_express_2025.yaml rounded to 4 decimals, except row 1's a: \
                     8.2051604... rounds to 8.2052, the source has 8.2051",
            rows: rows(&NEMO_POLAR_EXPRESS),
            default_steps: 8,
        },
        "gram-ns" => Preset {
            name: "gram-ns",
            source: "Gram Newton-Schulz (Dao-AILab/gram-newton-schulz, coefficients.py): the first 5 raw Polar \
                     Express rows divided by 1.05 (a/s, b/s^3, c/s^5; scaled here in 256-bit arithmetic from the \
                     published raw digits); regenerated by configs/gram_ns.yaml",
            rows: POLAR_EXPRESS_RAW[..5].iter().map(|r| scaled_row(r, GRAM_NS_SAFETY)).collect(),
            default_steps: 5,
        },
        "cans" => Preset {
            name: "cans",
            source: "pure greedy minimax, l = 1e-3, degree 5, no cushion, no safety: first 5 rows to 4 decimals as \
                     shipped under the name `cans` (NeMo Emerging-Optimizers); regenerated by configs/greedy_d5.yaml",
            rows: rows(&CANS),
            default_steps: 5,
        },
        "cubic5" => Preset {
            name: "cubic5",
            source: "cubic5 (arXiv 2606.00371; NeMo Emerging-Optimizers PR 217): a relaxed 5-step cubic schedule \
                     for the bf16 band, l0 = 7e-3, shipped as (a, b, 0); not a greedy minimax schedule, so no \
                     config regenerates it",
            rows: rows(&CUBIC5),
            default_steps: 5,
        },
        "jordan" => Preset {
            name: "jordan",
            source: "Keller Jordan, Muon (2024): one row used 5 times, chosen for a steep slope at 0",
            rows: rows(&[JORDAN]),
            default_steps: 5,
        },
        "tuned-5-step" => Preset {
            name: "tuned-5-step",
            source: "modded-nanogpt medium record of 2025-02-14 (also shipped as quintic/dion): Adam with \
                     auxiliary constraints, 4 decimals",
            rows: rows(&TUNED_5),
            default_steps: 5,
        },
        "you-6-step" => Preset {
            name: "you-6-step",
            source: "You Jiacheng's 6-step list, published in units of 1/1024",
            rows: YOU_6_UNITS.iter().map(|r| r.iter().map(|&u| per_1024(u)).collect()).collect(),
            default_steps: 6,
        },
        "su-shared-5" => Preset {
            name: "su-shared-5",
            source: "Su Jianlin, msign Newton-Schulz part 1: one shared row used 5 times, Adam on the mean \
                     of the 50 largest |f(x) - 1| over 10 000 points",
            rows: rows(&[SU_SHARED_5]),
            default_steps: 5,
        },
        "newton-schulz-3" => Preset {
            name: "newton-schulz-3",
            source: "classic cubic Newton-Schulz (3x - x^3)/2, the fixed-point polynomial",
            rows: vec![vec!["1.5".into(), "-0.5".into()]],
            default_steps: 5,
        },
        "newton-schulz-5" => Preset {
            name: "newton-schulz-5",
            source: "classic quintic Newton-Schulz (15x - 10x^3 + 3x^5)/8, the fixed-point polynomial",
            rows: vec![vec!["1.875".into(), "-1.25".into(), "0.375".into()]],
            default_steps: 5,
        },
        "deepseek-v4" => Preset {
            name: "deepseek-v4",
            source: "hybrid quoted for DeepSeek-V4: 8 steps of Keller Jordan's row, then 2 of (2, -1.5, 0.5)",
            rows: std::iter::repeat_n(rows(&[JORDAN])[0].clone(), 8)
                .chain(std::iter::repeat_n(vec!["2".into(), "-1.5".into(), "0.5".into()], 2))
                .collect(),
            default_steps: 10,
        },
        _ => return None,
    };
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_resolves() {
        for name in PRESET_NAMES {
            let p = preset(name).unwrap();
            assert_eq!(p.name, name);
            // A table runs for at least one step, has rows, and every row is
            // a complete odd polynomial of finite coefficients.
            assert!(p.default_steps >= 1, "{name}");
            assert!(!p.rows.is_empty(), "{name}");
            for row in &p.rows {
                assert!(
                    !row.is_empty() && row.iter().all(|c| c.parse::<f64>().is_ok_and(f64::is_finite)),
                    "{name}: {row:?}"
                );
            }
        }
        assert!(preset("nope").is_none());
    }

    #[test]
    fn units_of_1024_are_exact() {
        assert_eq!(per_1024(3955), "3.8623046875");
        assert_eq!(per_1024(-8306), "-8.111328125");
    }
}
