//! The config as a table document records it, and the output vocabulary
//! (formats, element type, constant name) the emitters read.

use serde::{Deserialize, Serialize};

use crate::adam::spec::AdamConfig;
use crate::schedule::SafetyMode;

/// Element type of emitted constant tables.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ElementType {
    /// IEEE binary64.
    #[default]
    F64,
    /// IEEE binary32, rounded directly from the arbitrary-precision value.
    F32,
}

impl ElementType {
    /// The Rust (and config) spelling.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// An output format of a table.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum OutputFormat {
    /// The JSON document (`.json`).
    Json,
    /// A Rust constant (`.rs`).
    Rust,
    /// A Python module with a PyTorch function (`.py`).
    Python,
    /// A C/C++ header (`.h`).
    C,
    /// CSV, full precision (`.csv`).
    Csv,
    /// A Markdown table (`.md`).
    Markdown,
    /// A LaTeX tabular (`.tex`).
    Latex,
}

impl OutputFormat {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The `emit` section, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmitOptions {
    /// Files `run` writes (default: json and rust).
    pub formats: Vec<OutputFormat>,
    /// Name of the emitted Rust constant.
    pub const_name: String,
    /// Element type of the emitted table.
    pub element_type: ElementType,
}

/// The validated config as echoed in the JSON output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigEcho {
    /// Table name.
    pub name: String,
    /// Degree of every step.
    pub degrees: Vec<u32>,
    /// Step count.
    pub steps: usize,
    /// ℓ as written.
    pub lower: String,
    /// u as written.
    pub upper: String,
    /// λ as written.
    pub cushion: String,
    /// s as written.
    pub safety: String,
    /// `after` or `inside`.
    pub safety_mode: SafetyMode,
    /// Working precision in bits.
    pub precision: u32,
    /// Cap on Remez iterations per step.
    pub max_iterations: usize,
    /// The emit section.
    pub emit: EmitOptions,
    /// `round_to` (absent when not asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_to: Option<String>,
    /// Exponent step r of the family x·q(x^r); absent for msign (r = 2), so
    /// msign documents are unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<u32>,
    /// `limit_row: true`: the last row is the exact limit polynomial (absent
    /// otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_row: Option<bool>,
    /// `recentre: endpoints` (absent for the default, `image`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recentre: Option<crate::schedule::Recentre>,
    /// The input normalisation, when it is not the default
    /// X / (||X||_F * 1.01 + 1e-7).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalisation: Option<crate::normalise::Normalisation>,
    /// The Adam method's settings (absent for the greedy method).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adam: Option<AdamConfig>,
}

impl ConfigEcho {
    /// The exponent step r (2, msign, when the echo has none).
    pub fn root(&self) -> u32 {
        self.root.unwrap_or(crate::poly::MSIGN_ROOT)
    }

    /// The normalisation (the default when the echo has none).
    pub fn normalisation(&self) -> crate::normalise::Normalisation {
        self.normalisation.clone().unwrap_or_default()
    }
}
