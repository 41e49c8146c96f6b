//! The Adam method's own vocabulary: what is minimised, where it starts,
//! which rows are held, what it is compared with. A config reader builds
//! these; the engine and the document use them.

use serde::{Deserialize, Serialize};

/// The objective of the Adam method, as configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ObjectiveSpec {
    /// max over [lower, upper] of |1 − f|, exact.
    WorstCase,
    /// Mean of the k largest |f(x) − 1| over x = upper·i/grid, i = 1..grid.
    TopK {
        /// k.
        k: usize,
        /// Grid size.
        grid: usize,
    },
    /// RMS of f(x) − 1 over x = upper·i/grid.
    Rms {
        /// Grid size.
        grid: usize,
    },
    /// RMS of f(σ) − 1 over the singular values of `samples` normalised
    /// Gaussian matrices of `shape` (aspect-ratio aware).
    RmsMatrix {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
        /// Matrices sampled.
        samples: usize,
    },
    /// Mean squared excess of |f − 1| beyond delta over x = upper·i/grid.
    Band {
        /// delta.
        delta: f64,
        /// Grid size.
        grid: usize,
    },
}

/// Where the Adam method starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitSpec {
    /// The greedy schedule of the same degrees (its first row when shared).
    Greedy,
    /// A preset's rows.
    Preset(String),
    /// Given rows.
    Rows(Vec<Vec<String>>),
}

/// The validated Adam method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdamConfig {
    /// One row shared by every step.
    pub shared: bool,
    /// What is minimised.
    pub objective: ObjectiveSpec,
    /// Weight of the no-sign-flip penalty on (0, lower].
    pub no_sign_flip: Option<f64>,
    /// (r, weight) of the overshoot penalty max f ≤ 1 + r.
    pub overshoot: Option<(f64, f64)>,
    /// Optimiser settings.
    pub settings: super::AdamSettings,
    /// Start.
    pub init: InitSpec,
    /// Rows held fixed, by 0-based row index.
    pub fixed: Vec<Option<Vec<String>>>,
    /// Tables scored under the same loss for comparison: presets or literal rows.
    pub compare_with: Vec<(String, Vec<Vec<String>>)>,
}
