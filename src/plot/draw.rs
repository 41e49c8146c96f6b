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
//! The figure rules, each kept by `tests/plots.rs`:
//!
//! * every series has its own colour × line pattern × marker
//!   ([`series_style`]: the Okabe–Ito colours without yellow, four markers,
//!   solid or dotted; guaranteed bounds are dashed), distinct for up to 56
//!   series;
//! * one legend per figure, in its own column right of the data
//!   ([`legend_width`]), its marks drawn as the series are;
//! * logarithmic axes are drawn as log10 on a linear scale with the ticks
//!   chosen here ([`log_ticks`]): a label at every decade (every k-th past
//!   twelve, the rest as light lines) down to the axis floor, 1-2-5 labels
//!   within a range of two decades or less;
//! * every panel labels both axes; the font is the bundled DejaVu Sans,
//!   named so in SVG.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
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
/// axis over hundreds of decades.
pub const LOG_CEIL: f64 = 1e30;

/// Most labelled ticks on a logarithmic axis before labels skip decades.
pub const MAX_LOG_LABELS: usize = 12;

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

/// The series colours: the palette without yellow (too faint on white).
const SERIES_COLOURS: [RGBColor; 7] =
    [PALETTE[0], PALETTE[1], PALETTE[2], PALETTE[3], PALETTE[4], PALETTE[5], PALETTE[7]];

/// The family the bundled font is registered (and named in SVG) as.
pub const FONT: &str = "DejaVu Sans";
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

/// How a line is stroked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// Unbroken.
    Solid,
    /// Long dashes (guaranteed bounds).
    Dashed,
    /// Short dots.
    Dotted,
}

/// A point marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Marker {
    /// Filled circle.
    Circle,
    /// Filled square.
    Square,
    /// Filled triangle.
    Triangle,
    /// Cross.
    Cross,
}

const MARKERS: [Marker; 4] = [Marker::Circle, Marker::Square, Marker::Triangle, Marker::Cross];

/// A series' look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesStyle {
    /// Colour (r, g, b).
    pub colour: (u8, u8, u8),
    /// Line pattern.
    pub pattern: Pattern,
    /// Marker at the points.
    pub marker: Marker,
}

/// The look of series `i`: colour `i mod 7`, marker `i mod 4` (7 and 4 are
/// coprime: 28 distinct pairs), solid for the first 28 and dotted for the
/// next 28; `dashed` (a guaranteed bound) overrides the pattern.
pub fn series_style(i: usize, dashed: bool) -> SeriesStyle {
    let RGBColor(r, g, b) = SERIES_COLOURS[i % SERIES_COLOURS.len()];
    let pattern = if dashed {
        Pattern::Dashed
    } else if (i / 28) % 2 == 1 {
        Pattern::Dotted
    } else {
        Pattern::Solid
    };
    SeriesStyle { colour: (r, g, b), pattern, marker: MARKERS[i % MARKERS.len()] }
}

impl SeriesStyle {
    fn rgb(&self) -> RGBColor {
        RGBColor(self.colour.0, self.colour.1, self.colour.2)
    }
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

/// Labelled ticks and light grid lines of a logarithmic axis over
/// [`lo`, `hi`] (decades, both powers of ten, `lo` < `hi`): every decade when
/// there are at most [`MAX_LOG_LABELS`], else every k-th decade (k from 2,
/// 3, 5, 10, 20, 50, the exponents multiples of k) with the others as light
/// lines; within two decades or less, 1, 2 and 5 times each power labelled
/// and the other integers light; within six, the integers 2…9 light.
pub fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (a, b) = (lo.log10().round() as i32, hi.log10().round() as i32);
    let decades = (b - a).max(1) as usize;
    let mut major = Vec::new();
    let mut minor = Vec::new();
    if decades <= 2 {
        for e in a..=b {
            for k in 1..10 {
                let v = f64::from(k) * 10f64.powi(e);
                if v > hi * (1.0 + 1e-9) {
                    break;
                }
                if matches!(k, 1 | 2 | 5) { major.push(v) } else { minor.push(v) }
            }
        }
        return (major, minor);
    }
    let step = [1, 2, 3, 5, 10, 20, 50].into_iter().find(|&k| decades / k < MAX_LOG_LABELS).unwrap_or(100) as i32;
    for e in a..=b {
        let v = 10f64.powi(e);
        if e.rem_euclid(step) == 0 {
            major.push(v)
        } else {
            minor.push(v)
        }
        if decades <= 6 && e < b {
            minor.extend((2..10).map(|k| f64::from(k) * v));
        }
    }
    (major, minor)
}

/// Ticks of a linear axis over [`lo`, `hi`]: multiples of the smallest step
/// among 1, 2, 5 × 10^k that gives at most 8 of them.
pub fn linear_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let base = 10f64.powf((span / 8.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * base).find(|s| span / s <= 8.0).unwrap_or(10.0 * base);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// One axis of a panel: linear, or logarithmic (drawn as log10 on a linear
/// scale, with [`log_ticks`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// The axis label.
    pub label: String,
    /// Logarithmic.
    pub log: bool,
    /// Shown range, in data units.
    pub range: (f64, f64),
    /// Labelled ticks, in data units.
    pub ticks: Vec<f64>,
    /// Light grid lines, in data units.
    pub light: Vec<f64>,
}

impl Axis {
    /// A logarithmic axis spanning the decades around [`lo`, `hi`] (clamped
    /// to [`LOG_FLOOR`], [`LOG_CEIL`]).
    pub fn log(label: &str, lo: f64, hi: f64) -> Self {
        let lo = if lo.is_finite() && lo > 0.0 { lo.clamp(LOG_FLOOR, LOG_CEIL / 10.0) } else { LOG_FLOOR };
        let hi = if hi.is_finite() && hi > 0.0 { hi.clamp(lo, LOG_CEIL) } else { LOG_CEIL };
        let (a, b) = (10f64.powf(lo.log10().floor()), 10f64.powf(hi.log10().ceil()));
        let b = if b <= a { a * 10.0 } else { b };
        let (ticks, light) = log_ticks(a, b);
        Self { label: label.into(), log: true, range: (a, b), ticks, light }
    }

    /// A linear axis over [`lo`, `hi`] (an empty range widened).
    pub fn linear(label: &str, lo: f64, hi: f64) -> Self {
        let lo = if lo.is_finite() { lo.clamp(-LOG_CEIL, LOG_CEIL) } else { 0.0 };
        let hi = if hi.is_finite() { hi.clamp(-LOG_CEIL, LOG_CEIL) } else { lo + 1.0 };
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, lo + 0.5) };
        Self { label: label.into(), log: false, range: (lo, hi), ticks: linear_ticks(lo, hi), light: Vec::new() }
    }

    /// Integer steps 0 … `last` with half a step of margin, every step
    /// labelled up to 20 of them.
    pub fn steps(label: &str, first: f64, last: f64) -> Self {
        let (first, last) = (first.min(last).max(-LOG_CEIL), last.max(first).min(LOG_CEIL));
        let ticks = if last - first <= 20.0 {
            (first.ceil() as i64..=last.floor() as i64).map(|i| i as f64).collect()
        } else {
            linear_ticks(first, last)
        };
        Self { label: label.into(), log: false, range: (first - 0.3, last + 0.3), ticks, light: Vec::new() }
    }

    /// A data value in plot coordinates (log10 on a log axis, clamped to
    /// the range; non-finite values to the nearer end).
    pub fn to_plot(&self, v: f64) -> f64 {
        let (lo, hi) = self.range;
        let v = if v.is_nan() { lo } else { v.clamp(lo, hi) };
        if self.log { v.log10() } else { v }
    }

    fn coord(&self) -> Keyed {
        let (a, b) = (self.to_plot(self.range.0), self.to_plot(self.range.1));
        let bold = self.ticks.iter().map(|&v| self.to_plot(v)).collect();
        let light = self.light.iter().map(|&v| self.to_plot(v)).collect();
        Keyed { inner: RangedCoordf64::from(a..b), bold, light }
    }

    fn label_of(&self, v: f64) -> String {
        if self.log {
            tick(10f64.powf(v))
        } else if v.fract() == 0.0 && v.abs() < 1e7 {
            // Iterations and steps as integers (15000, not 1.50e4).
            format!("{v:.0}")
        } else {
            tick(v)
        }
    }
}

/// A linear plot coordinate whose ticks (bold) and grid lines (light) are
/// the axis's own, not plotters' choice.
struct Keyed {
    inner: RangedCoordf64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ranged for Keyed {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() { self.light.clone() } else { self.bold.clone() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Keyed, Keyed>>;

fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

/// A panel with its axes drawn (labels, ticks, grid).
fn panel<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    title_size: u32,
    x: &Axis,
    y: &Axis,
    label_size: u32,
) -> Result<Chart<'a, DB>, PlotError> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, text(title_size))
        .margin(10)
        .x_label_area_size(label_size * 3 + 4)
        .y_label_area_size(label_size * 4 + 24)
        .build_cartesian_2d(x.coord(), y.coord())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x.label.as_str())
        .y_desc(y.label.as_str())
        .x_label_formatter(&|v| x.label_of(*v))
        .y_label_formatter(&|v| y.label_of(*v))
        .label_style(text(label_size))
        .axis_desc_style(text(label_size + 2))
        .bold_line_style(BLACK.mix(0.15))
        .light_line_style(BLACK.mix(0.05))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// A legend entry's mark.
#[derive(Debug, Clone, PartialEq)]
pub enum Mark {
    /// A series (line pattern and marker).
    Series(SeriesStyle),
    /// A shaded band or bar of this colour.
    Band((u8, u8, u8)),
    /// A thin grey reference line.
    Reference,
}

/// Width of the legend column for these labels (clamped to 170 … 400 px).
pub fn legend_width(labels: &[String]) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    (longest * 8 + 56).clamp(170, 400)
}

/// Splits `root` into the data area and the legend column right of it.
fn with_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    entries: &[(String, Mark)],
) -> (DrawingArea<DB, Shift>, DrawingArea<DB, Shift>) {
    let labels: Vec<String> = entries.iter().map(|(l, _)| l.clone()).collect();
    let width = legend_width(&labels);
    root.split_horizontally(WIDTH - width)
}

/// Draws the legend column: one row per entry, its mark drawn as the series
/// is (pattern and marker), then the label.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, entries: &[(String, Mark)]) -> Result<(), PlotError> {
    let rows = entries.len().max(1) as i32;
    let row = ((HEIGHT as i32 - 60) / rows).clamp(12, 24);
    let size = if row >= 20 { 14 } else { 11 };
    for (k, (label, mark)) in entries.iter().enumerate() {
        let y = 40 + k as i32 * row;
        let (x0, x1) = (6, 38);
        match mark {
            Mark::Series(style) => {
                let colour = style.rgb();
                let stroke = colour.stroke_width(2);
                match style.pattern {
                    Pattern::Solid => {
                        area.draw(&PathElement::new(vec![(x0, y), (x1, y)], stroke)).map_err(err)?;
                    }
                    Pattern::Dashed | Pattern::Dotted => {
                        let (on, off) = if style.pattern == Pattern::Dashed { (8, 4) } else { (2, 4) };
                        let mut a = x0;
                        while a < x1 {
                            let b = (a + on).min(x1);
                            area.draw(&PathElement::new(vec![(a, y), (b, y)], stroke)).map_err(err)?;
                            a = b + off;
                        }
                    }
                }
                draw_marker(area, ((x0 + x1) / 2, y), style.marker, colour)?;
            }
            Mark::Band((r, g, b)) => {
                area.draw(&Rectangle::new([(x0, y - 5), (x1, y + 5)], RGBColor(*r, *g, *b).mix(0.35).filled()))
                    .map_err(err)?;
            }
            Mark::Reference => {
                area.draw(&PathElement::new(vec![(x0, y), (x1, y)], BLACK.mix(0.6))).map_err(err)?;
            }
        }
        area.draw(&Text::new(label.clone(), (x1 + 8, y - size as i32 / 2 - 1), text(size))).map_err(err)?;
    }
    Ok(())
}

fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    marker: Marker,
    colour: RGBColor,
) -> Result<(), PlotError> {
    let (x, y) = at;
    match marker {
        Marker::Circle => area.draw(&Circle::new(at, 4, colour.filled())),
        Marker::Square => area.draw(&Rectangle::new([(x - 4, y - 4), (x + 4, y + 4)], colour.filled())),
        Marker::Triangle => area.draw(&Polygon::new(vec![(x, y - 5), (x - 5, y + 4), (x + 5, y + 4)], colour.filled())),
        Marker::Cross => area.draw(&Cross::new(at, 4, colour.stroke_width(2))),
    }
    .map_err(err)
}

/// Draws `points` (already in plot coordinates) in `style`: the line in its
/// pattern, a marker at each point when there are at most 40.
fn draw_series<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    points: &[(f64, f64)],
    style: SeriesStyle,
) -> Result<(), PlotError> {
    let colour = style.rgb();
    let stroke = colour.stroke_width(2);
    match style.pattern {
        Pattern::Solid => {
            chart.draw_series(LineSeries::new(points.iter().copied(), stroke)).map_err(err)?;
        }
        Pattern::Dashed => {
            chart.draw_series(DashedLineSeries::new(points.iter().copied(), 10, 6, stroke)).map_err(err)?;
        }
        Pattern::Dotted => {
            chart.draw_series(DashedLineSeries::new(points.iter().copied(), 2, 5, stroke)).map_err(err)?;
        }
    }
    if points.len() <= 40 {
        draw_markers(chart, points, style)?;
    }
    Ok(())
}

/// A marker of `style` at each of `points` (plot coordinates).
fn draw_markers<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    points: &[(f64, f64)],
    style: SeriesStyle,
) -> Result<(), PlotError> {
    let marks: Vec<(i32, i32)> = points.iter().map(|p| chart.backend_coord(p)).collect();
    let area = chart.plotting_area().strip_coord_spec();
    let (dx, dy) = chart.plotting_area().get_base_pixel();
    for (x, y) in marks {
        draw_marker(&area, (x - dx, y - dy), style.marker, style.rgb())?;
    }
    Ok(())
}

/// A one-panel figure of `lines` on `x` and `y`, its legend beside it.
fn lines_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    x: &Axis,
    y: &Axis,
    lines: &[Line],
) -> Result<(), PlotError> {
    let entries = line_entries(lines);
    let (data, legend) = with_legend(root, &entries);
    let mut chart = panel(&data, title, 18, x, y, 13)?;
    draw_lines(&mut chart, lines, x, y)?;
    draw_legend(&legend, &entries)
}

/// A line's finite points in plot coordinates.
fn plot_points(line: &Line, x: &Axis, y: &Axis) -> Vec<(f64, f64)> {
    line.points
        .iter()
        .filter(|(a, b)| !a.is_nan() && !b.is_nan() && (!x.log || *a > 0.0))
        .map(|&(a, b)| (x.to_plot(a), y.to_plot(if y.log && b <= 0.0 { y.range.0 } else { b })))
        .collect()
}

/// The smallest and largest finite positive y of `lines`.
fn positive_y_range(lines: &[Line]) -> Option<(f64, f64)> {
    let ys = lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).filter(|y| y.is_finite() && *y > 0.0);
    let (lo, hi) = ys.fold((f64::INFINITY, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
    (lo.is_finite() && hi > 0.0).then_some((lo, hi))
}

fn x_span(lines: &[Line]) -> (f64, f64) {
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| p.0)).filter(|x| x.is_finite());
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
    if lo.is_finite() { (lo, hi.max(lo)) } else { (0.0, 1.0) }
}

/// The legend entries of `lines` (series styles by position).
fn line_entries(lines: &[Line]) -> Vec<(String, Mark)> {
    lines.iter().enumerate().map(|(i, l)| (l.label.clone(), Mark::Series(series_style(i, l.dashed)))).collect()
}

/// Draws `lines` on `chart`: measured (solid) lines first, guaranteed
/// (dashed) ones over them so that a bound equal to a measurement stays
/// visible.
fn draw_lines<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    lines: &[Line],
    x: &Axis,
    y: &Axis,
) -> Result<(), PlotError> {
    for pass_dashed in [false, true] {
        for (i, line) in lines.iter().enumerate().filter(|(_, l)| l.dashed == pass_dashed) {
            draw_series(chart, &plot_points(line, x, y), series_style(i, line.dashed))?;
        }
    }
    Ok(())
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
        let x = Axis::log("singular value x of the normalised input", self.x_range.0, self.x_range.1);
        let ymax = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .filter(|y| y.is_finite())
            .fold(1.2f64, f64::max)
            .min(3.0)
            * 1.05;
        let y = Axis::linear("f(x) after all steps", 0.0, ymax);
        let band = self.band.clamp(0.0, 1.0);
        let mut entries = vec![
            (format!("band 1 ± {}", tick(band)), Mark::Band((0, 0, 0))),
            (format!("lower = {}", tick(self.lower)), Mark::Reference),
        ];
        entries.extend(line_entries(&self.lines));
        let (data, legend) = with_legend(root, &entries);
        let mut chart = panel(&data, &self.title, 20, &x, &y, 14)?;
        let (x0, x1) = (x.to_plot(x.range.0), x.to_plot(x.range.1));
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x0, 1.0 - band), (x1, 1.0 + band)],
                BLACK.mix(0.12).filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(x0, 1.0), (x1, 1.0)], BLACK.mix(0.5))))
            .map_err(err)?;
        let xl = x.to_plot(self.lower);
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(xl, 0.0), (xl, y.range.1)], BLACK.mix(0.6))))
            .map_err(err)?;
        draw_lines(&mut chart, &self.lines, &x, &y)?;
        draw_legend(&legend, &entries)
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

/// The x label of every step panel.
pub const STEP_PANEL_X: &str = "position in the fit interval";

impl Plot for StepErrors {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let entries = vec![
            ("(1 - p_t(x)) / E_t".to_string(), Mark::Series(series_style(0, false))),
            ("equioscillation points".to_string(), Mark::Series(series_style(1, false))),
            ("±1: the levelled error".to_string(), Mark::Reference),
        ];
        let (data, legend) = with_legend(root, &entries);
        let (title_area, body) = data.split_vertically(36);
        title_area.titled(&self.title, text(18)).map_err(err)?;
        let n = self.panels.len().max(1);
        let cols = n.min(3);
        let rows = n.div_ceil(cols);
        let areas = body.split_evenly((rows, cols));
        let x = Axis::linear(STEP_PANEL_X, 0.0, 1.0);
        let y = Axis { ticks: vec![-1.0, 0.0, 1.0], ..Axis::linear("(1 - p)/E", -1.25, 1.25) };
        let style = series_style(0, false);
        let point_style = series_style(1, false);
        for ((name, curve), area) in self.panels.iter().zip(areas.iter()) {
            let mut chart = panel(area, name, 11, &x, &y, 10)?;
            for level in [-1.0, 1.0] {
                chart
                    .draw_series(std::iter::once(PathElement::new(vec![(0.0, level), (1.0, level)], BLACK.mix(0.6))))
                    .map_err(err)?;
            }
            let points: Vec<(f64, f64)> = curve.positions.iter().copied().zip(curve.errors.iter().copied()).collect();
            chart.draw_series(LineSeries::new(points, style.rgb().stroke_width(2))).map_err(err)?;
            let refs: Vec<(f64, f64)> =
                curve.reference_positions.iter().copied().zip(curve.reference_errors.iter().copied()).collect();
            draw_markers(&chart, &refs, point_style)?;
        }
        draw_legend(&legend, &entries)
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
    fn y_axis(lines: &[Line]) -> Axis {
        let (lo, hi) = positive_y_range(lines).unwrap_or((1e-16, 1.0));
        let label = if lo < LOG_FLOOR {
            format!("error (below {} drawn on the axis)", tick(LOG_FLOOR))
        } else {
            "error".to_string()
        };
        Axis::log(&label, lo, hi)
    }

    fn x_axis(lines: &[Line], x_desc: &str, log_x: bool) -> Axis {
        let (lo, hi) = x_span(lines);
        if log_x { Axis::log(x_desc, lo.max(1e-12), hi) } else { Axis::steps(x_desc, lo.min(hi), hi) }
    }

    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x_desc: &str,
        log_x: bool,
    ) -> Result<(), PlotError> {
        let y = Self::y_axis(&self.lines);
        let x = Self::x_axis(&self.lines, x_desc, log_x);
        let mut chart = panel(area, &self.title, 18, &x, &y, 13)?;
        draw_lines(&mut chart, &self.lines, &x, &y)
    }
}

impl Plot for Convergence {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let x = Self::x_axis(&self.lines, "step", false);
        lines_figure(root, &self.title, &x, &Self::y_axis(&self.lines), &self.lines)
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
        let (ylo, yhi) = positive_y_range(&positive).unwrap_or((1e-3, 1.0));
        let (xlo, xhi) = x_span(&positive);
        let x = Axis::log(&self.x_desc, xlo.max(1e-300), xhi);
        let y = Axis::log(&self.y_desc, ylo, yhi);
        lines_figure(root, &self.title, &x, &y, &positive)
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
            (if a > 0.0 { lo.min(a) } else { lo }, hi.max(b), xm.max(x))
        });
        let (lo, hi) = if lo.is_finite() { (lo, hi.max(2.0)) } else { (1e-4, 2.0) };
        let xmax = if xmax.is_finite() { xmax.min(1e6) } else { 1.0 };
        let x = Axis::steps("step", 0.0, xmax);
        let y = Axis::log("singular values of X_t", lo, hi);
        let mut entries = Vec::new();
        for (i, (label, _)) in self.runs.iter().enumerate() {
            let style = series_style(i, false);
            entries.push((format!("{label}: min–max"), Mark::Band(style.colour)));
            entries.push((format!("{label}: median"), Mark::Series(style)));
        }
        let (data, legend) = with_legend(root, &entries);
        let mut chart = panel(&data, &self.title, 16, &x, &y, 13)?;
        let one = y.to_plot(1.0);
        chart
            .draw_series(std::iter::once(PathElement::new(vec![(x.range.0, one), (x.range.1, one)], BLACK.mix(0.4))))
            .map_err(err)?;
        for (i, (_, steps)) in self.runs.iter().enumerate() {
            let style = series_style(i, false);
            let colour = style.rgb();
            let offset = (i as f64 - (self.runs.len() as f64 - 1.0) / 2.0) * 0.12;
            chart
                .draw_series(steps.iter().map(|&(t, a, _, b)| {
                    Rectangle::new(
                        [(t + offset - 0.05, y.to_plot(a)), (t + offset + 0.05, y.to_plot(b))],
                        colour.mix(0.35).filled(),
                    )
                }))
                .map_err(err)?;
            let median: Vec<(f64, f64)> = steps.iter().map(|&(t, _, m, _)| (t + offset, y.to_plot(m))).collect();
            draw_series(&mut chart, &median, style)?;
        }
        draw_legend(&legend, &entries)
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
        // One legend for both panels (the same tables in the same order).
        let entries = line_entries(&self.by_step);
        let (data, legend) = with_legend(root, &entries);
        let width = data.dim_in_pixel().0;
        let (left, right) = data.split_horizontally(width / 2);
        Convergence { title: format!("{}: error vs step", self.title), lines: self.by_step.clone() }
            .draw_panel(&left, "step", false)?;
        Convergence { title: "error vs matmul cost".into(), lines: self.by_cost.clone() }.draw_panel(
            &right,
            &self.cost_label,
            true,
        )?;
        draw_legend(&legend, &entries)
    }
}

/// 6. An optimisation's loss against iteration: a log y-axis spanning the
///    loss's own range (1-2-5 labels within two decades).
#[derive(Debug, Clone)]
pub struct Loss {
    /// Title.
    pub title: String,
    /// (iteration, loss).
    pub line: Line,
}

impl Plot for Loss {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let lines = [self.line.clone()];
        let (lo, hi) = positive_y_range(&lines).unwrap_or((1e-3, 1.0));
        let y = loss_axis(lo, hi);
        let (xlo, xhi) = x_span(&lines);
        let x = Axis::linear("iteration", xlo, xhi);
        lines_figure(root, &self.title, &x, &y, &lines)
    }
}

/// The loss figure's y axis: logarithmic over the loss's own range; when
/// that range is within one decade, linear ticks inside it (a loss from
/// 0.33 to 0.41 gets 0.34, 0.36, … rather than one label at 1).
pub fn loss_axis(lo: f64, hi: f64) -> Axis {
    let label = "loss (log scale)";
    let mut axis = Axis::log(label, lo, hi);
    if hi < lo * 10.0 && lo > 0.0 {
        let pad = (hi / lo).powf(0.05).max(1.0 + 1e-9);
        let (a, b) = (lo / pad, hi * pad);
        axis.range = (a, b);
        axis.ticks = linear_ticks(a, b);
        axis.light = Vec::new();
    }
    axis
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
