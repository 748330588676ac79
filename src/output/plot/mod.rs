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

mod heat;
mod lines;

use heat::draw_heat;
use lines::draw_lines;
pub use lines::pow10_label;

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");

/// The font family name under which [`FONT`] is registered.
pub(super) const FAMILY: &str = "sans-serif";

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
    /// Index into the palette of ten colours (wraps around; [`BLACK_INDEX`] is black).
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
    #[must_use]
    pub fn dash(mut self, dash: Dash) -> Self {
        self.dash = dash;
        self
    }

    /// Builder: stroke width.
    #[must_use]
    pub fn width(mut self, width: u32) -> Self {
        self.width = width;
        self
    }

    /// Builder: circle markers at the points.
    #[must_use]
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
    /// Index into the palette of ten colours.
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
pub(crate) const PALETTE: [RGBColor; 10] = [
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

pub(super) fn color(i: usize) -> RGBColor {
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
    #[must_use]
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
        let png = base.with_extension("png");
        let svg = base.with_extension("svg");
        let mut staged = crate::output::atomic::Staged::new();
        let (png_bytes, svg_text) = self.render(&png, &svg)?;
        staged.add(&png, |w| std::io::Write::write_all(w, &png_bytes))?;
        staged.add(&svg, |w| std::io::Write::write_all(w, svg_text.as_bytes()))?;
        staged.commit()?;
        Ok(vec![png, svg])
    }

    /// The figure drawn in memory: PNG bytes and SVG text (`png` and `svg`
    /// name the files in errors). Nothing is written until both are drawn,
    /// and both are then committed together ([`Figure::save`]).
    fn render(&self, png: &Path, svg: &Path) -> Result<(Vec<u8>, String)> {
        register_font()?;
        let size = self.size();
        let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
            self.draw(&root).map_err(|d| plot_error(png, d))?;
            root.present().map_err(|e| plot_error(png, e.to_string()))?;
        }
        let image = image::RgbImage::from_raw(size.0, size.1, rgb)
            .ok_or_else(|| plot_error(png, "bitmap of the wrong size".into()))?;
        let mut png_bytes = std::io::Cursor::new(Vec::new());
        image
            .write_to(&mut png_bytes, image::ImageFormat::Png)
            .map_err(|e| plot_error(png, e.to_string()))?;
        let mut svg_text = String::new();
        {
            let root = SVGBackend::with_string(&mut svg_text, size).into_drawing_area();
            self.draw(&root).map_err(|d| plot_error(svg, d))?;
            root.present().map_err(|e| plot_error(svg, e.to_string()))?;
        }
        Ok((png_bytes.into_inner(), svg_text))
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

#[cfg(test)]
mod tests {
    use super::lines::segments;
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
