//! Figures: the vocabulary (which figure, which image format) in every
//! build, and the drawing itself (plotters) with the `plots` feature.
//!
//! ```
//! use polar_coeffs::plot::{ImageFormat, PlotKind};
//!
//! assert_eq!(PlotKind::SingularValues.stem(), "singular_values");
//! assert_eq!(ImageFormat::Svg.extension(), "svg");
//! ```

#[cfg(feature = "plots")]
mod draw;

#[cfg(feature = "plots")]
pub use draw::*;

use serde::{Deserialize, Serialize};

/// A kind of figure.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PlotKind {
    /// The composed f(x).
    Response,
    /// Each step's equioscillation.
    Steps,
    /// Error after each step (guaranteed, and measured when verified).
    Convergence,
    /// Singular values per step (needs a verification).
    SingularValues,
    /// The loss history of an Adam run.
    Loss,
}

impl PlotKind {
    /// The file stem of this kind's figure (its config name).
    pub fn stem(self) -> &'static str {
        self.into()
    }

    /// The kinds a table gets when none are named: every kind that applies
    /// (singular values only with a verification).
    pub fn defaults(verified: bool) -> Vec<Self> {
        let mut k = vec![Self::Response, Self::Steps, Self::Convergence, Self::Loss];
        if verified {
            k.push(Self::SingularValues);
        }
        k
    }
}

/// An image format.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantNames,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ImageFormat {
    /// PNG raster.
    Png,
    /// SVG vector.
    Svg,
}

impl ImageFormat {
    /// The file extension (and config name).
    pub fn extension(self) -> &'static str {
        self.into()
    }

    /// Both formats, the default.
    pub const ALL: [Self; 2] = [Self::Png, Self::Svg];
}
