//! Figures for the experiments: line charts and heatmaps, written as PNG and SVG.
//!
//! A [`Figure`] is a grid of panels; each panel is either a line chart
//! ([`LinePanel`], linear or logarithmic axes) or a heatmap ([`Heatmap`]).
//! [`Figure::save`] draws it twice — `BASE.png` (bitmap) and `BASE.svg`
//! (vector) — with the same code, through plotters.
//!
//! Text is rendered with DejaVu Sans, shipped in `assets/` and embedded in the
//! binary, so that plots look the same on every machine and no system font is
//! needed (its licence is in `assets/DejaVuSans-LICENSE.txt`).
//!
//! Logarithmic axes are drawn by plotting log10(v) on a linear axis and
//! labelling integer exponents as powers of ten; non-positive values on a log
//! axis, and NaN anywhere, break a line into separate segments (never plotted
//! as zero).

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The font family name under which [`FONT`] is registered.
const FAMILY: &str = "sans-serif";

static REGISTER: Once = Once::new();

/// Registers the embedded font with plotters (idempotent).
fn register_font() -> Result<()> {
    let mut ok = true;
    REGISTER.call_once(|| {
        ok = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok();
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Plot {
            path: PathBuf::from("assets/DejaVuSans.ttf"),
            detail: "the embedded font could not be parsed".into(),
        })
    }
}

/// Axis scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scale {
    /// Linear.
    #[default]
    Linear,
    /// Base-10 logarithmic (values ≤ 0 are not drawn).
    Log,
}

impl Scale {
    fn map(self, v: f64) -> Option<f64> {
        match self {
            Scale::Linear if v.is_finite() => Some(v),
            Scale::Log if v.is_finite() && v > 0.0 => Some(v.log10()),
            _ => None,
        }
    }
}

/// Line style of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Dash {
    /// Solid line.
    #[default]
    Solid,
    /// Dashed line.
    Dashed,
    /// Dotted (short dashes).
    Dotted,
}

/// One line of a chart.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend text (empty: not in the legend).
    pub label: String,
    /// x values.
    pub x: Vec<f64>,
    /// y values (NaN breaks the line).
    pub y: Vec<f64>,
    /// Index into [`PALETTE`] (wraps around).
    pub color: usize,
    /// Solid, dashed or dotted.
    pub dash: Dash,
    /// Stroke width in pixels (0: markers only, no line).
    pub width: u32,
    /// Draw a small circle at every point.
    pub markers: bool,
}

impl Series {
    /// A solid line of width 2.
    pub fn new(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>, color: usize) -> Self {
        Series {
            label: label.into(),
            x,
            y,
            color,
            dash: Dash::Solid,
            width: 2,
            markers: false,
        }
    }

    /// Builder: line style.
    pub fn dash(mut self, dash: Dash) -> Self {
        self.dash = dash;
        self
    }

    /// Builder: stroke width.
    pub fn width(mut self, width: u32) -> Self {
        self.width = width;
        self
    }

    /// Builder: circle markers at the points.
    pub fn markers(mut self) -> Self {
        self.markers = true;
        self
    }
}

/// A shaded vertical band x ∈ [x0, x1] (e.g. a grey zone).
#[derive(Clone, Debug)]
pub struct Band {
    /// Left edge (data units).
    pub x0: f64,
    /// Right edge (data units).
    pub x1: f64,
    /// Index into [`PALETTE`].
    pub color: usize,
}

/// Where the legend goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Legend {
    /// Upper right corner.
    #[default]
    UpperRight,
    /// Upper left corner.
    UpperLeft,
    /// Lower right corner.
    LowerRight,
    /// Lower left corner.
    LowerLeft,
    /// No legend.
    None,
}

/// A line chart.
#[derive(Clone, Debug, Default)]
pub struct LinePanel {
    /// Caption above the chart.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// x scale.
    pub x_scale: Scale,
    /// y scale.
    pub y_scale: Scale,
    /// x range in data units (default: the data's range).
    pub x_range: Option<(f64, f64)>,
    /// y range in data units (default: the data's range, padded).
    pub y_range: Option<(f64, f64)>,
    /// The lines.
    pub series: Vec<Series>,
    /// Shaded vertical bands, drawn under the lines.
    pub bands: Vec<Band>,
    /// Legend position.
    pub legend: Legend,
}

/// A g_rows × g_cols heatmap with a diverging colour map centred on 0.
#[derive(Clone, Debug)]
pub struct Heatmap {
    /// Caption above the map.
    pub title: String,
    /// Number of rows (drawn top to bottom: row 0 at the top).
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Values, row-major (rows × cols).
    pub values: Vec<f64>,
}

/// One panel of a figure.
#[derive(Clone, Debug)]
pub enum Panel {
    /// A line chart.
    Lines(LinePanel),
    /// A heatmap.
    Heat(Heatmap),
}

/// A grid of panels with an optional title.
#[derive(Clone, Debug)]
pub struct Figure {
    /// Title across the top (empty: none).
    pub title: String,
    /// Panels per row.
    pub cols: usize,
    /// Size of one panel in pixels (width, height).
    pub panel_size: (u32, u32),
    /// The panels, row by row.
    pub panels: Vec<Panel>,
}

/// Colour cycle (a colour-blind-friendly qualitative palette).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
    RGBColor(188, 189, 34),
    RGBColor(0, 0, 0),
];

/// Palette index of black (baselines).
pub const BLACK_INDEX: usize = 9;

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

impl Figure {
    /// A figure with the given panels, `cols` per row.
    pub fn new(title: impl Into<String>, cols: usize, panels: Vec<Panel>) -> Self {
        Figure {
            title: title.into(),
            cols: cols.max(1),
            panel_size: (560, 400),
            panels,
        }
    }

    /// Builder: size of one panel in pixels.
    pub fn panel_size(mut self, w: u32, h: u32) -> Self {
        self.panel_size = (w, h);
        self
    }

    fn size(&self) -> (u32, u32) {
        let rows = self.panels.len().div_ceil(self.cols).max(1) as u32;
        let title = if self.title.is_empty() { 0 } else { 40 };
        (
            self.panel_size.0 * self.cols as u32,
            self.panel_size.1 * rows + title,
        )
    }

    /// Writes `base.png` and `base.svg` (the extension of `base` is replaced);
    /// returns both paths.
    pub fn save(&self, base: &Path) -> Result<Vec<PathBuf>> {
        register_font()?;
        if let Some(parent) = base.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io("cannot create directory", parent, e))?;
        }
        let png = base.with_extension("png");
        let svg = base.with_extension("svg");
        let size = self.size();
        {
            let root = BitMapBackend::new(&png, size).into_drawing_area();
            self.draw(&root).map_err(|d| plot_error(&png, d))?;
            root.present()
                .map_err(|e| plot_error(&png, e.to_string()))?;
        }
        {
            let root = SVGBackend::new(&svg, size).into_drawing_area();
            self.draw(&root).map_err(|d| plot_error(&svg, d))?;
            root.present()
                .map_err(|e| plot_error(&svg, e.to_string()))?;
        }
        Ok(vec![png, svg])
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> std::result::Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let area = if self.title.is_empty() {
            root.clone()
        } else {
            root.titled(&self.title, (FAMILY, 24))
                .map_err(|e| e.to_string())?
        };
        let rows = self.panels.len().div_ceil(self.cols).max(1);
        let cells = area.split_evenly((rows, self.cols));
        for (panel, cell) in self.panels.iter().zip(cells.iter()) {
            match panel {
                Panel::Lines(p) => draw_lines(cell, p)?,
                Panel::Heat(h) => draw_heat(cell, h)?,
            }
        }
        Ok(())
    }
}

fn plot_error(path: &Path, detail: String) -> Error {
    Error::Plot {
        path: path.to_path_buf(),
        detail,
    }
}

/// The finite, scale-mapped segments of a series.
fn segments(s: &Series, xs: Scale, ys: Scale) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (&x, &y) in s.x.iter().zip(&s.y) {
        match (xs.map(x), ys.map(y)) {
            (Some(a), Some(b)) => out.last_mut().map_or((), |seg| seg.push((a, b))),
            _ => {
                if out.last().is_some_and(|seg| !seg.is_empty()) {
                    out.push(Vec::new());
                }
            }
        }
    }
    out.retain(|seg| !seg.is_empty());
    out
}

fn data_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    (lo.is_finite() && hi.is_finite()).then_some((lo, hi))
}

fn padded(range: (f64, f64), frac: f64) -> (f64, f64) {
    let (lo, hi) = range;
    if hi > lo {
        let pad = (hi - lo) * frac;
        (lo - pad, hi + pad)
    } else {
        (lo - 0.5, hi + 0.5)
    }
}

fn axis_range(
    given: Option<(f64, f64)>,
    scale: Scale,
    data: impl Iterator<Item = f64>,
    pad: f64,
) -> (f64, f64) {
    match given {
        Some((lo, hi)) => match (scale.map(lo), scale.map(hi)) {
            (Some(a), Some(b)) if b > a => (a, b),
            _ => (0.0, 1.0),
        },
        None => padded(data_range(data).unwrap_or((0.0, 1.0)), pad),
    }
}

/// "10⁻³"-style label for integer exponents on a log axis, "" otherwise.
pub fn pow10_label(v: f64) -> String {
    let r = v.round();
    if (v - r).abs() > 1e-6 {
        return String::new();
    }
    let e = r as i64;
    match e {
        0 => "1".into(),
        1 => "10".into(),
        _ => {
            let sup: String = e
                .to_string()
                .chars()
                .map(|c| match c {
                    '-' => '⁻',
                    '0' => '⁰',
                    '1' => '¹',
                    '2' => '²',
                    '3' => '³',
                    '4' => '⁴',
                    '5' => '⁵',
                    '6' => '⁶',
                    '7' => '⁷',
                    '8' => '⁸',
                    _ => '⁹',
                })
                .collect();
            format!("10{sup}")
        }
    }
}

fn lin_label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if (1e-3..1e5).contains(&a) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{v:.1e}")
    }
}

fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &LinePanel,
) -> std::result::Result<(), String> {
    let segs: Vec<Vec<Vec<(f64, f64)>>> = p
        .series
        .iter()
        .map(|s| segments(s, p.x_scale, p.y_scale))
        .collect();
    let all = || segs.iter().flatten().flatten();
    let xr = axis_range(p.x_range, p.x_scale, all().map(|v| v.0), 0.0);
    let yr = axis_range(p.y_range, p.y_scale, all().map(|v| v.1), 0.05);
    // Points outside a given range are not drawn (they break the line) rather
    // than being pinned to the frame.
    let segs: Vec<Vec<Vec<(f64, f64)>>> = segs
        .into_iter()
        .map(|ss| {
            let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
            for seg in ss {
                let mut cur = Vec::new();
                for (x, y) in seg {
                    let inside = (p.x_range.is_none() || (xr.0..=xr.1).contains(&x))
                        && (p.y_range.is_none() || (yr.0..=yr.1).contains(&y));
                    if inside {
                        cur.push((x, y));
                    } else if !cur.is_empty() {
                        out.push(std::mem::take(&mut cur));
                    }
                }
                if !cur.is_empty() {
                    out.push(cur);
                }
            }
            out
        })
        .collect();
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, (FAMILY, 17))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(62)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(|e| e.to_string())?;
    let xfmt = |v: &f64| match p.x_scale {
        Scale::Log => pow10_label(*v),
        Scale::Linear => lin_label(*v),
    };
    let yfmt = |v: &f64| match p.y_scale {
        Scale::Log => pow10_label(*v),
        Scale::Linear => lin_label(*v),
    };
    chart
        .configure_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .label_style((FAMILY, 13))
        .axis_desc_style((FAMILY, 14))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| e.to_string())?;
    for band in &p.bands {
        if let (Some(a), Some(b)) = (p.x_scale.map(band.x0), p.x_scale.map(band.x1)) {
            let c = color(band.color).mix(0.12);
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, yr.0), (b, yr.1)],
                    c.filled(),
                )))
                .map_err(|e| e.to_string())?;
        }
    }
    let mut any_label = false;
    for (s, segs) in p.series.iter().zip(&segs) {
        let style = ShapeStyle::from(&color(s.color)).stroke_width(s.width);
        for (i, seg) in segs.iter().enumerate() {
            let labelled = i == 0 && !s.label.is_empty();
            let marker_only = s.width == 0;
            let anno = match s.dash {
                _ if marker_only => chart
                    .draw_series(
                        seg.iter()
                            .map(|&(x, y)| Circle::new((x, y), 2, color(s.color).filled())),
                    )
                    .map_err(|e| e.to_string())?,
                Dash::Solid => chart
                    .draw_series(LineSeries::new(seg.iter().copied(), style))
                    .map_err(|e| e.to_string())?,
                Dash::Dashed => chart
                    .draw_series(DashedLineSeries::new(seg.iter().copied(), 8, 5, style))
                    .map_err(|e| e.to_string())?,
                Dash::Dotted => chart
                    .draw_series(DashedLineSeries::new(seg.iter().copied(), 2, 4, style))
                    .map_err(|e| e.to_string())?,
            };
            if labelled {
                any_label = true;
                let c = color(s.color);
                let w = s.width;
                if marker_only {
                    anno.label(s.label.as_str())
                        .legend(move |(x, y)| Circle::new((x + 9, y), 3, c.filled()));
                } else {
                    anno.label(s.label.as_str()).legend(move |(x, y)| {
                        PathElement::new(
                            vec![(x, y), (x + 18, y)],
                            ShapeStyle::from(&c).stroke_width(w),
                        )
                    });
                }
            }
            if s.markers && !marker_only {
                chart
                    .draw_series(
                        seg.iter()
                            .map(|&(x, y)| Circle::new((x, y), 3, color(s.color).filled())),
                    )
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    if any_label {
        let pos = match p.legend {
            Legend::UpperRight => Some(SeriesLabelPosition::UpperRight),
            Legend::UpperLeft => Some(SeriesLabelPosition::UpperLeft),
            Legend::LowerRight => Some(SeriesLabelPosition::LowerRight),
            Legend::LowerLeft => Some(SeriesLabelPosition::LowerLeft),
            Legend::None => None,
        };
        if let Some(pos) = pos {
            chart
                .configure_series_labels()
                .position(pos)
                .label_font((FAMILY, 12))
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(180, 180, 180))
                .draw()
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Diverging map: −1 → blue, 0 → white, +1 → red.
fn diverging(t: f64) -> RGBColor {
    let t = t.clamp(-1.0, 1.0);
    let (r, g, b) = if t >= 0.0 {
        (1.0, 1.0 - 0.8 * t, 1.0 - 0.85 * t)
    } else {
        (1.0 + 0.85 * t, 1.0 + 0.7 * t, 1.0)
    };
    RGBColor((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8)
}

fn draw_heat<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    h: &Heatmap,
) -> std::result::Result<(), String> {
    let scale = h
        .values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |a, v| a.max(v.abs()));
    let scale = if scale > 0.0 { scale } else { 1.0 };
    let (rows, cols) = (h.rows as f64, h.cols as f64);
    let mut chart = ChartBuilder::on(area)
        .caption(&h.title, (FAMILY, 15))
        .margin(6)
        .build_cartesian_2d(0.0..cols, 0.0..rows)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_axes()
        .draw()
        .map_err(|e| e.to_string())?;
    let cells = (0..h.rows).flat_map(|r| (0..h.cols).map(move |c| (r, c)));
    chart
        .draw_series(cells.map(|(r, c)| {
            let v = h.values.get(r * h.cols + c).copied().unwrap_or(f64::NAN);
            let fill = if v.is_finite() {
                diverging(v / scale)
            } else {
                RGBColor(128, 128, 128)
            };
            // Row 0 at the top.
            let y1 = rows - r as f64;
            Rectangle::new([(c as f64, y1 - 1.0), (c as f64 + 1.0, y1)], fill.filled())
        }))
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_labels_and_segments() {
        assert_eq!(pow10_label(-3.0), "10⁻³");
        assert_eq!(pow10_label(0.0), "1");
        assert_eq!(pow10_label(2.0), "10²");
        assert_eq!(pow10_label(-2.5), "");
        let s = Series::new(
            "a",
            vec![1.0, 2.0, 3.0, 4.0],
            vec![1.0, f64::NAN, 0.0, 10.0],
            0,
        );
        // NaN breaks the line; 0 is not drawn on a log axis.
        assert_eq!(segments(&s, Scale::Linear, Scale::Log).len(), 2);
        assert_eq!(segments(&s, Scale::Linear, Scale::Linear).len(), 2);
    }

    #[test]
    fn writes_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let p = LinePanel {
            title: "t".into(),
            x_scale: Scale::Log,
            series: vec![Series::new(
                "line",
                vec![0.1, 1.0, 10.0],
                vec![1.0, 2.0, 3.0],
                0,
            )],
            bands: vec![Band {
                x0: 0.5,
                x1: 2.0,
                color: 1,
            }],
            ..LinePanel::default()
        };
        let h = Heatmap {
            title: "h".into(),
            rows: 2,
            cols: 3,
            values: vec![1.0, -1.0, 0.0, 0.5, f64::NAN, -0.5],
        };
        let fig = Figure::new("fig", 2, vec![Panel::Lines(p), Panel::Heat(h)]);
        let files = fig.save(&dir.path().join("sub/plot")).unwrap();
        for f in files {
            assert!(
                std::fs::metadata(&f).unwrap().len() > 100,
                "{}",
                f.display()
            );
        }
    }
}
