//! Drawing (plotters, PNG and SVG, headless with a bundled font). Plotting
//! does no maths: each plot draws data the solver, the verifier, `compare` or
//! [`crate::curves`] produced.
//!
//! ```no_run
//! use polar_coeffs::plot::{save, Convergence, ImageFormat, Line};
//!
//! let plot = Convergence {
//!     title: "greedy_d5".into(),
//!     lines: vec![Line { label: "guaranteed".into(), points: vec![(1.0, 0.99), (2.0, 0.96)], dashed: false }],
//! };
//! save(&plot, std::path::Path::new("out/convergence"), &[ImageFormat::Png, ImageFormat::Svg]).unwrap();
//! ```
//!
//! Every figure is [`WIDTH`] × [`HEIGHT`] pixels, uses the Okabe–Ito
//! colour-blind-safe palette, writes tick labels such as `1e-3`, and keeps
//! its legend outside the data where it can.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::combinators::LogCoord;
use plotters::prelude::*;

use super::ImageFormat;
use crate::remez::ErrorCurve;

/// Figure width in pixels.
pub const WIDTH: u32 = 1000;
/// Figure height in pixels.
pub const HEIGHT: u32 = 600;

/// Smallest value drawn on a logarithmic error axis: guaranteed errors of
/// long schedules reach 1e-255, which would squeeze every measured error
/// (≥ 1e-16) into the top of the figure; values below sit on the axis.
pub const LOG_FLOOR: f64 = 1e-30;

/// Largest value drawn on a logarithmic axis: a diverging table's values
/// (up to 1e308, or infinite) sit on the top edge instead of stretching the
/// axis over hundreds of decades (plotters' tick search does not end there).
pub const LOG_CEIL: f64 = 1e30;

/// Clamps a logarithmic axis range to [`LOG_FLOOR`, `LOG_CEIL`], non-empty.
fn clamp_log(lo: f64, hi: f64) -> (f64, f64) {
    let lo = if lo.is_finite() { lo.clamp(LOG_FLOOR, LOG_CEIL / 10.0) } else { LOG_FLOOR };
    let hi = if hi.is_finite() { hi.clamp(lo * 10.0, LOG_CEIL) } else { LOG_CEIL };
    (lo, hi.max(lo * 10.0))
}

/// Clamps a linear axis range to finite values within ±[`LOG_CEIL`].
fn clamp_linear(lo: f64, hi: f64) -> (f64, f64) {
    let lo = if lo.is_finite() { lo.clamp(-LOG_CEIL, LOG_CEIL) } else { 0.0 };
    let hi = if hi.is_finite() { hi.clamp(-LOG_CEIL, LOG_CEIL) } else { lo + 1.0 };
    if hi > lo { (lo, hi) } else { (lo, lo + 1.0) }
}

/// The Okabe–Ito palette (black last).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(240, 228, 66),  // yellow
    RGBColor(0, 0, 0),       // black
];

const FONT: &str = "sans-serif";
const FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let registered = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
        assert!(registered.is_ok(), "the bundled font is a valid TTF");
    });
}

/// A labelled series of points.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Legend label.
    pub label: String,
    /// (x, y) points.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed (e.g. guaranteed bounds next to measurements).
    pub dashed: bool,
}

/// A figure that can draw itself on any plotters backend.
pub trait Plot {
    /// Draws on `root` (already white).
    ///
    /// # Errors
    ///
    /// The backend's error.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>;
}

/// A figure that could not be drawn or written.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The drawing backend or the PNG encoder failed (their errors carry no
    /// type to keep, only a description).
    #[error("drawing failed: {0}")]
    Draw(String),
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] crate::io::WriteError),
}

fn err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

/// Renders `plot` to `stem.png` and/or `stem.svg`, each written atomically.
///
/// # Errors
///
/// [`PlotError`] naming what could not be drawn or written.
pub fn save(plot: &impl Plot, stem: &Path, formats: &[ImageFormat]) -> Result<Vec<PathBuf>, PlotError> {
    let files = render_files(plot, stem, formats)?;
    crate::io::write_all(&files)?;
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// Renders `plot` in each format: (`stem.<ext>`, bytes), nothing written.
///
/// # Errors
///
/// The drawing or encoding error.
pub fn render_files(
    plot: &impl Plot,
    stem: &Path,
    formats: &[ImageFormat],
) -> Result<Vec<(PathBuf, Vec<u8>)>, PlotError> {
    formats.iter().map(|&format| Ok((stem.with_extension(format.extension()), render(plot, format)?))).collect()
}

/// Renders `plot` in `format` to bytes.
///
/// # Errors
///
/// The drawing or encoding error.
pub fn render(plot: &impl Plot, format: ImageFormat) -> Result<Vec<u8>, PlotError> {
    register_font();
    match format {
        ImageFormat::Png => {
            let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
            {
                let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
                root.fill(&WHITE).map_err(err)?;
                plot.draw(&root)?;
                root.present().map_err(err)?;
            }
            let mut out = Vec::new();
            {
                let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
                encoder.set_color(png::ColorType::Rgb);
                encoder.set_depth(png::BitDepth::Eight);
                let mut writer = encoder.write_header().map_err(err)?;
                writer.write_image_data(&buf).map_err(err)?;
            }
            Ok(out)
        }
        ImageFormat::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
                root.fill(&WHITE).map_err(err)?;
                plot.draw(&root)?;
                root.present().map_err(err)?;
            }
            Ok(text.into_bytes())
        }
    }
}

/// A tick label: powers of ten as `1e-3` (or `0.1`, `1`, `10`), other values
/// with up to three significant digits.
pub fn tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let l = v.abs().log10();
    if (l - l.round()).abs() < 1e-9 {
        let k = l.round() as i32;
        let sign = if v < 0.0 { "-" } else { "" };
        return match k {
            -1 => format!("{sign}0.1"),
            0 => format!("{sign}1"),
            1 => format!("{sign}10"),
            _ => format!("{sign}1e{k}"),
        };
    }
    let s = format!("{:.3}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if v.abs() < 1e-3 || v.abs() >= 1e4 { format!("{v:.2e}") } else { s.to_string() }
}

fn style(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Past the palette's length, lines are told apart by dashes.
fn dashed_after_palette(lines: &[Line]) -> Vec<Line> {
    lines.iter().enumerate().map(|(i, l)| Line { dashed: l.dashed || i >= PALETTE.len(), ..l.clone() }).collect()
}

fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

/// Draws `line` (dashed as short segments) and registers its legend entry.
fn draw_line<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    line: &Line,
    color: RGBColor,
) -> Result<(), PlotError>
where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    let stroke = color.stroke_width(2);
    let points: Vec<(f64, f64)> = line.points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
    let anno = if line.dashed {
        chart.draw_series(DashedLineSeries::new(points.clone(), 10, 6, stroke)).map_err(err)?
    } else {
        chart.draw_series(LineSeries::new(points.clone(), stroke)).map_err(err)?
    };
    anno.label(line.label.clone())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
    if line.dashed || points.len() <= 24 {
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(err)?;
    }
    Ok(())
}

fn legend<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    pos: SeriesLabelPosition,
) -> Result<(), PlotError>
where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
{
    chart
        .configure_series_labels()
        .position(pos)
        .label_font(text(15))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()
        .map_err(err)
}

fn y_range_log(lines: &[Line]) -> (f64, f64) {
    let ys = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).filter(|y| y.is_finite() && *y > 0.0);
    let (lo, hi) = ys.fold((f64::INFINITY, 0.0f64), |(lo, hi), y| (lo.min(y.max(LOG_FLOOR)), hi.max(y)));
    if !lo.is_finite() || hi <= 0.0 {
        return (1e-16, 1.0);
    }
    clamp_log(10f64.powf(lo.log10().floor()), 10f64.powf(hi.log10().ceil()).max(lo * 10.0))
}

fn x_range(lines: &[Line]) -> (f64, f64) {
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).filter(|x| x.is_finite());
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if lo.is_finite() && hi > lo { clamp_linear(lo, hi) } else { (0.0, 1.0) }
}

/// 1. The composed response f(x) on a log x-axis, with ℓ marked and the band
///    [1 − E, 1 + E] shaded.
#[derive(Debug, Clone)]
pub struct Response {
    /// Title.
    pub title: String,
    /// One line per table: (x, f(x)).
    pub lines: Vec<Line>,
    /// ℓ.
    pub lower: f64,
    /// u.
    pub upper: f64,
    /// E of the band around 1 (the first table's composed error).
    pub band: f64,
    /// The x-range shown (the curves' sample range).
    pub x_range: (f64, f64),
}

impl Plot for Response {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let (x0, x1) = clamp_log(self.x_range.0, self.x_range.1);
        let ymax = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .filter(|y| y.is_finite())
            .fold(1.2f64, f64::max)
            .min(3.0)
            * 1.05;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, text(24))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d((x0..x1).log_scale(), 0.0..ymax)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("singular value x of the normalised input")
            .y_desc("f(x) after all steps")
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .label_style(text(15))
            .axis_desc_style(text(17))
            .light_line_style(BLACK.mix(0.05))
            .draw()
            .map_err(err)?;
        let band = self.band.clamp(0.0, 1.0);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, 1.0 - band), (x1, 1.0 + band)],
                BLACK.mix(0.12).filled(),
            )))
            .map_err(err)?
            .label(format!("band 1 ± {}", tick(band)))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 24, y + 5)], BLACK.mix(0.2).filled()));
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(x0, 1.0), (x1, 1.0)], BLACK.mix(0.5))))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(self.lower, 0.0), (self.lower, ymax)],
                BLACK.mix(0.6).stroke_width(1),
            )))
            .map_err(err)?
            .label(format!("lower = {}", tick(self.lower)))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], BLACK.mix(0.6)));
        for (i, line) in dashed_after_palette(&self.lines).iter().enumerate() {
            draw_line(&mut chart, line, style(i))?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

/// 2. Each step's normalised error (1 − p(x))/E over its fit interval, with
///    the equioscillation points marked and ±1 (the levelled error) drawn.
#[derive(Debug, Clone)]
pub struct StepErrors {
    /// Title.
    pub title: String,
    /// (panel title, curve) per step.
    pub panels: Vec<(String, ErrorCurve)>,
}

impl Plot for StepErrors {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let (title_area, body) = root.split_vertically(40);
        title_area.titled(&self.title, text(22)).map_err(err)?;
        let n = self.panels.len().max(1);
        let cols = n.min(5);
        let rows = n.div_ceil(cols);
        let areas = body.split_evenly((rows, cols));
        for ((name, curve), area) in self.panels.iter().zip(areas.iter()) {
            let mut chart = ChartBuilder::on(area)
                .caption(name, text(14))
                .margin(6)
                .x_label_area_size(22)
                .y_label_area_size(34)
                .build_cartesian_2d(0.0..1.0, -1.25..1.25)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_labels(3)
                .y_labels(5)
                .x_label_formatter(&|v| tick(*v))
                .y_label_formatter(&|v| tick(*v))
                .label_style(text(11))
                .light_line_style(BLACK.mix(0.04))
                .draw()
                .map_err(err)?;
            for level in [-1.0, 1.0] {
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(0.0, level), (1.0, level)],
                        PALETTE[3].mix(0.7),
                    )))
                    .map_err(err)?;
            }
            let points: Vec<(f64, f64)> = curve.positions.iter().copied().zip(curve.errors.iter().copied()).collect();
            chart.draw_series(LineSeries::new(points, PALETTE[0].stroke_width(2))).map_err(err)?;
            chart
                .draw_series(
                    curve
                        .reference_positions
                        .iter()
                        .zip(&curve.reference_errors)
                        .map(|(&x, &y)| Circle::new((x, y), 4, PALETTE[1].filled())),
                )
                .map_err(err)?;
        }
        Ok(())
    }
}

/// 3./5. Errors against steps (or cost) on a logarithmic y-axis.
#[derive(Debug, Clone)]
pub struct Convergence {
    /// Title.
    pub title: String,
    /// Lines (guaranteed scalar errors dashed, measurements solid).
    pub lines: Vec<Line>,
}

impl Convergence {
    fn y_desc(ylo: f64) -> String {
        if ylo <= LOG_FLOOR { format!("error (below {} drawn on the axis)", tick(LOG_FLOOR)) } else { "error".into() }
    }

    fn draw_on<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x_desc: &str,
        log_x: bool,
    ) -> Result<(), PlotError> {
        let (ylo, yhi) = y_range_log(&self.lines);
        let (xlo, xhi) = x_range(&self.lines);
        let clamp = |lines: &[Line]| -> Vec<Line> {
            lines
                .iter()
                .map(|l| Line {
                    points: l
                        .points
                        .iter()
                        .map(|&(x, y)| (x, if y.is_finite() { y.clamp(ylo, yhi) } else { yhi }))
                        .collect(),
                    ..l.clone()
                })
                .collect()
        };
        let lines = dashed_after_palette(&clamp(&self.lines));
        let mut builder = ChartBuilder::on(area);
        builder.caption(&self.title, text(22)).margin(16).x_label_area_size(48).y_label_area_size(72);
        if log_x {
            let mut chart = builder
                .build_cartesian_2d(
                    {
                        let (a, b) = clamp_log(xlo.max(1e-12), xhi * 1.05);
                        (a..b).log_scale()
                    },
                    (ylo..yhi).log_scale(),
                )
                .map_err(err)?;
            let y_desc = Self::y_desc(ylo);
            let mut mesh = chart.configure_mesh();
            error_mesh(&mut mesh, x_desc, &y_desc).x_label_formatter(&|v| tick(*v)).draw().map_err(err)?;
            draw_lines_with_legend(&mut chart, &lines)
        } else {
            let mut chart =
                builder.build_cartesian_2d((xlo - 0.3)..(xhi + 0.3), (ylo..yhi).log_scale()).map_err(err)?;
            let y_desc = Self::y_desc(ylo);
            let mut mesh = chart.configure_mesh();
            error_mesh(&mut mesh, x_desc, &y_desc)
                .x_labels(((xhi - xlo) as usize + 1).min(20))
                .x_label_formatter(&|v| format!("{v:.0}"))
                .draw()
                .map_err(err)?;
            draw_lines_with_legend(&mut chart, &lines)
        }
    }
}

/// The mesh style shared by the error charts (log y-axis, ticks as `1e-3`).
fn error_mesh<'m, 'a, 'b, X, DB>(
    mesh: &'m mut MeshStyle<'a, 'b, X, LogCoord<f64>, DB>,
    x_desc: &str,
    y_desc: &str,
) -> &'m mut MeshStyle<'a, 'b, X, LogCoord<f64>, DB>
where
    X: plotters::coord::ranged1d::Ranged,
    DB: DrawingBackend,
{
    mesh.x_desc(x_desc)
        .y_desc(y_desc)
        .y_label_formatter(&|v| tick(*v))
        .label_style(text(14))
        .axis_desc_style(text(16))
        .light_line_style(BLACK.mix(0.05))
}

/// Draws every line (palette order) and the legend in the lower left.
fn draw_lines_with_legend<'a, DB: DrawingBackend + 'a, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    lines: &[Line],
) -> Result<(), PlotError>
where
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    for (i, line) in lines.iter().enumerate() {
        draw_line(chart, line, style(i))?;
    }
    legend(chart, SeriesLabelPosition::LowerLeft)
}

impl Plot for Convergence {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        self.draw_on(root, "step", false)
    }
}

/// Output against input on logarithmic axes (an operator's singular-value
/// map: input σ against output σ, one line per formula, the ideal dashed).
#[derive(Debug, Clone)]
pub struct Transfer {
    /// Title.
    pub title: String,
    /// Label of the x axis.
    pub x_desc: String,
    /// Label of the y axis.
    pub y_desc: String,
    /// Lines (non-positive values are left out: log axes).
    pub lines: Vec<Line>,
}

impl Plot for Transfer {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let positive: Vec<Line> = self
            .lines
            .iter()
            .map(|l| Line {
                points: l.points.iter().copied().filter(|&(x, y)| x > 0.0 && y > 0.0 && x.is_finite()).collect(),
                ..l.clone()
            })
            .collect();
        let (ylo, yhi) = y_range_log(&positive);
        let xs = positive.iter().flat_map(|l| l.points.iter().map(|p| p.0));
        let (xlo, xhi) = xs.fold((f64::INFINITY, 0.0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let (xlo, xhi) = if xlo.is_finite() { clamp_log(xlo / 1.2, xhi * 1.2) } else { (1e-3, 1.0) };
        let lines: Vec<Line> = dashed_after_palette(&positive)
            .into_iter()
            .map(|l| Line { points: l.points.iter().map(|&(x, y)| (x, y.clamp(ylo, yhi))).collect(), ..l })
            .collect();
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, text(22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d((xlo..xhi).log_scale(), (ylo..yhi).log_scale())
            .map_err(err)?;
        let mut mesh = chart.configure_mesh();
        error_mesh(&mut mesh, &self.x_desc, &self.y_desc).x_label_formatter(&|v| tick(*v)).draw().map_err(err)?;
        for (i, line) in lines.iter().enumerate() {
            draw_line(&mut chart, line, style(i))?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

/// (step, min, median, max) of the singular values at one step.
pub type SigmaBand = (f64, f64, f64, f64);

/// 4. Singular values per step from a verification: min–max band and median
///    per arithmetic.
#[derive(Debug, Clone)]
pub struct SingularValues {
    /// Title.
    pub title: String,
    /// Per arithmetic: label and (step, min, median, max).
    pub runs: Vec<(String, Vec<SigmaBand>)>,
}

impl Plot for SingularValues {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let all = self.runs.iter().flat_map(|(_, r)| r.iter());
        let (lo, hi, xmax) = all.fold((f64::INFINITY, 0.0f64, 0.0f64), |(lo, hi, xm), &(x, a, _, b)| {
            (lo.min(a.max(LOG_FLOOR)), hi.max(b), xm.max(x))
        });
        let (lo, hi) = if lo.is_finite() {
            clamp_log(10f64.powf(lo.log10().floor()), 10f64.powf(hi.log10().ceil()).max(2.0))
        } else {
            (1e-4, 2.0)
        };
        let xmax = if xmax.is_finite() { xmax.min(LOG_CEIL) } else { 1.0 };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, text(22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(-0.3..xmax + 0.3, (lo..hi).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("singular values of X_t")
            .x_labels((xmax as usize + 1).min(20))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| tick(*v))
            .label_style(text(14))
            .axis_desc_style(text(16))
            .light_line_style(BLACK.mix(0.05))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(-0.3, 1.0), (xmax + 0.3, 1.0)], BLACK.mix(0.4))))
            .map_err(err)?;
        for (i, (label, steps)) in self.runs.iter().enumerate() {
            let color = style(i);
            let offset = (i as f64 - (self.runs.len() as f64 - 1.0) / 2.0) * 0.12;
            // The min–max range as a bar per step, the median as a line.
            chart
                .draw_series(steps.iter().map(|&(x, a, _, b)| {
                    Rectangle::new(
                        [(x + offset - 0.05, a.max(lo)), (x + offset + 0.05, b.max(lo))],
                        color.mix(0.35).filled(),
                    )
                }))
                .map_err(err)?
                .label(format!("{label}: min–max"))
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 24, y + 5)], color.mix(0.35).filled()));
            let median = Line {
                label: format!("{label}: median"),
                points: steps.iter().map(|&(x, _, m, _)| (x + offset, m.max(lo))).collect(),
                dashed: false,
            };
            draw_line(&mut chart, &median, color)?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

/// 5. Several tables side by side: error against step and against matmul cost.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// Title.
    pub title: String,
    /// Error against step, one line per table.
    pub by_step: Vec<Line>,
    /// Error against cumulative GFLOP, one line per table.
    pub by_cost: Vec<Line>,
    /// Label of the cost axis.
    pub cost_label: String,
}

impl Plot for Comparison {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let (left, right) = root.split_horizontally(WIDTH / 2);
        Convergence { title: format!("{}: error vs step", self.title), lines: self.by_step.clone() }
            .draw_on(&left, "step", false)?;
        Convergence { title: "error vs matmul cost".into(), lines: self.by_cost.clone() }.draw_on(
            &right,
            &self.cost_label,
            true,
        )
    }
}

/// 6. An optimisation's loss against iteration.
#[derive(Debug, Clone)]
pub struct Loss {
    /// Title.
    pub title: String,
    /// (iteration, loss).
    pub line: Line,
}

impl Plot for Loss {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        Convergence { title: self.title.clone(), lines: vec![self.line.clone()] }.draw_on(root, "iteration", false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_readable() {
        assert_eq!(tick(1e-3), "1e-3");
        assert_eq!(tick(0.001_000_000_000_000_1), "1e-3");
        assert_eq!(tick(9.999_999_999_9e-4), "1e-3");
        assert_eq!(tick(0.1), "0.1");
        assert_eq!(tick(1.0), "1");
        assert_eq!(tick(100.0), "1e2");
        assert_eq!(tick(0.25), "0.25");
        assert_eq!(tick(1.5), "1.5");
        assert_eq!(tick(2.5e-7), "2.50e-7");
    }
}
