//! Small helpers shared by the experiments: metrics and file output.

use std::path::Path;

use crate::error::Result;
use crate::output::array::Table;

/// PSNR = 10·log10(peak² / MSE) over the indices `idx`, peak = 1 (intensities in [0, 1]).
/// +∞ for a perfect fit; NaN when `idx` is empty or a value is NaN.
pub fn psnr(f: &[f64], y: &[f64], idx: &[usize]) -> f64 {
    if idx.is_empty() {
        return f64::NAN;
    }
    let mse = idx.iter().map(|&i| (f[i] - y[i]).powi(2)).sum::<f64>() / idx.len() as f64;
    if mse.is_nan() {
        return f64::NAN;
    }
    10.0 * (1.0 / mse).log10()
}

/// Spearman rank correlation of two equally long samples (average ranks for ties).
/// NaN for fewer than two points or a constant sample.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() || a.len() < 2 {
        return f64::NAN;
    }
    pearson(&ranks(a), &ranks(b))
}

fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// Least-squares slope of log(y) against log(x) (the decay exponent of y ∝ x^p).
pub fn loglog_slope(x: &[f64], y: &[f64]) -> f64 {
    let pts: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| **a > 0.0 && **b > 0.0)
        .map(|(a, b)| (a.ln(), b.ln()))
        .collect();
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return f64::NAN;
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

/// Writes `table` to `out/rel` and returns `rel` (for the report's file list).
pub fn write_table(out: &Path, rel: &str, table: &Table) -> Result<String> {
    let path = out.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| crate::error::Error::io("cannot create directory", parent, e))?;
    }
    table.write(&path)?;
    Ok(rel.to_string())
}

/// Writes a CSV of text cells (header + rows) to `out/rel` and returns `rel`.
pub fn write_csv(out: &Path, rel: &str, header: &[&str], rows: &[Vec<String>]) -> Result<String> {
    let mut s = header.join(",");
    s.push('\n');
    for r in rows {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    crate::output::array::write_bytes(&out.join(rel), s.as_bytes())?;
    Ok(rel.to_string())
}

/// Writes an f64 array of the given shape to `out/rel` (NPY) and returns `rel`.
pub fn write_npy(out: &Path, rel: &str, shape: &[u64], data: &[f64]) -> Result<String> {
    let path = out.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| crate::error::Error::io("cannot create directory", parent, e))?;
    }
    crate::output::array::write_npy(&path, shape, data)?;
    Ok(rel.to_string())
}

/// Saves a figure as `out/rel_stem.{png,svg}` and returns the PNG's relative path.
pub fn save_figure(
    out: &Path,
    rel_stem: &str,
    fig: &crate::output::plot::Figure,
) -> Result<String> {
    fig.save(&out.join(rel_stem))?;
    Ok(format!("{rel_stem}.png"))
}

/// Compact number for reports: at most 4 decimals, exponent form below 1e-3 and from 1e5.
pub fn g(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.3e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s.is_empty() || s == "-" || s == "-0" {
            "0".into()
        } else {
            s.to_string()
        }
    }
}

/// Compact number with `d` decimals (dB values, cosines).
pub fn fx(v: f64, d: usize) -> String {
    if v.is_nan() {
        "NaN".into()
    } else {
        format!("{v:.d$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics() {
        let y = [0.0, 0.5, 1.0];
        let f = [0.1, 0.5, 1.0];
        // MSE over {0}: 0.01 → 20 dB.
        assert!((psnr(&f, &y, &[0]) - 20.0).abs() < 1e-12);
        assert!(psnr(&f, &y, &[1, 2]).is_infinite());
        assert!(psnr(&f, &y, &[]).is_nan());
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-15);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-15);
        let x: Vec<f64> = (1..20).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 * v.powf(-2.0)).collect();
        assert!((loglog_slope(&x, &y) + 2.0).abs() < 1e-12);
        assert_eq!(g(15.120399), "15.1204");
        assert_eq!(g(0.5), "0.5");
        assert_eq!(g(1.2e11), "1.200e11");
    }
}
