//! Line charts: finite segments of each series on linear or log axes,
//! clipped to the panel's ranges, with their legend.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{Dash, FAMILY, Legend, LinePanel, Scale, Series, color};

/// The finite, scale-mapped segments of a series.
pub(super) fn segments(s: &Series, xs: Scale, ys: Scale) -> Vec<Vec<(f64, f64)>> {
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

/// Segments of one series, each a run of finite, scale-mapped points.
type Segments = Vec<Vec<(f64, f64)>>;

/// Points outside a given range are not drawn (they break the line) rather
/// than being pinned to the frame.
fn clip(p: &LinePanel, segs: Vec<Segments>, xr: (f64, f64), yr: (f64, f64)) -> Vec<Segments> {
    segs.into_iter()
        .map(|ss| {
            let mut out: Segments = Vec::new();
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
        .collect()
}

pub(super) fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &LinePanel,
) -> std::result::Result<(), String> {
    let segs: Vec<Segments> = p
        .series
        .iter()
        .map(|s| segments(s, p.x_scale, p.y_scale))
        .collect();
    let all = || segs.iter().flatten().flatten();
    let xr = axis_range(p.x_range, p.x_scale, all().map(|v| v.0), 0.0);
    let yr = axis_range(p.y_range, p.y_scale, all().map(|v| v.1), 0.05);
    let segs = clip(p, segs, xr, yr);
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
    let any_label = draw_series(&mut chart, p, &segs)?;
    if any_label {
        draw_legend(&mut chart, p.legend)?;
    }
    Ok(())
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Every series of the panel, segment by segment; true when one has a label.
fn draw_series<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    p: &LinePanel,
    segs: &[Segments],
) -> std::result::Result<bool, String> {
    let mut any_label = false;
    for (s, segs) in p.series.iter().zip(segs) {
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
    Ok(any_label)
}

/// The legend box of the labelled series, where `legend` puts it.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    legend: Legend,
) -> std::result::Result<(), String> {
    let pos = match legend {
        Legend::UpperRight => SeriesLabelPosition::UpperRight,
        Legend::UpperLeft => SeriesLabelPosition::UpperLeft,
        Legend::LowerRight => SeriesLabelPosition::LowerRight,
        Legend::LowerLeft => SeriesLabelPosition::LowerLeft,
        Legend::None => return Ok(()),
    };
    chart
        .configure_series_labels()
        .position(pos)
        .label_font((FAMILY, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .draw()
        .map_err(|e| e.to_string())
}
