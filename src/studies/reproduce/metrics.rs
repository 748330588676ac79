//! The metrics the experiments measure with: PSNR, Spearman rank correlation
//! and the log-log decay slope.

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
    }
}
