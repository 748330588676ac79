//! Heatmaps on a diverging colour map.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{FAMILY, Heatmap};

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

pub(super) fn draw_heat<DB: DrawingBackend>(
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
