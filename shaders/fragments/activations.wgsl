// Activations η(z) in f32: the one WGSL source of truth, shared by every kernel.
// Each has an f64 twin in src/activation.rs; tests/gpu_activations.rs holds them together.
//
// The host appends `fn eta(z: f32) -> f32` selecting one of these (see
// src/gpu/shaders.rs) and the constant SPLINE_R. Every function is written so
// that no intermediate overflows for any finite z: exponentials only ever see
// non-positive arguments, squares are clamped before exp, and sin(πz) is
// evaluated by our own polynomial after exact argument reduction.

const PI: f32 = 3.14159265358979323846;
const INV_SQRT2: f32 = 0.70710678118654752440;

fn act_heaviside(z: f32) -> f32 {
    return select(0.0, 1.0, z > 0.0);
}

// tanh(z) = sign(z)·(1 − e)/(1 + e), e = exp(−2|z|) ∈ (0, 1]: never overflows
// (some drivers' built-in tanh returns NaN for |z| > 44). Below |z| = 0.125 a
// Taylor polynomial avoids the cancellation in 1 − e (truncation < 1e−9 relative).
fn act_tanh(z: f32) -> f32 {
    let a = abs(z);
    if (a < 0.125) {
        let z2 = z * z;
        return z * (1.0 + z2 * (-1.0 / 3.0 + z2 * (2.0 / 15.0 + z2 * (-17.0 / 315.0))));
    }
    let e = exp(-2.0 * a);
    let t = (1.0 - e) / (1.0 + e);
    return select(-t, t, z >= 0.0);
}

fn act_relu(z: f32) -> f32 {
    return max(z, 0.0);
}

fn act_relu2(z: f32) -> f32 {
    let r = max(z, 0.0);
    return r * r;
}

// z^(r−1)·[z > 0] with r = SPLINE_R (1..8, injected by the host), as
// straight-line code: no loop (llvmpipe counts every loop iteration of a
// shader against one shared limit).
fn act_spline(z: f32) -> f32 {
    if (z <= 0.0) {
        return 0.0;
    }
    var p: f32 = 1.0;
    if (SPLINE_R > 1u) { p = z; }
    if (SPLINE_R > 2u) { p = p * z; }
    if (SPLINE_R > 3u) { p = p * z; }
    if (SPLINE_R > 4u) { p = p * z; }
    if (SPLINE_R > 5u) { p = p * z; }
    if (SPLINE_R > 6u) { p = p * z; }
    if (SPLINE_R > 7u) { p = p * z; }
    return p;
}

// erfc(x) by the Chebyshev fit of Numerical Recipes (erfcc), relative error
// < 1.2e−7 for all x; exp only sees −x² − … ≤ 0, with |x| clamped at 10
// (erfc(10) ≈ 2e−45, below the smallest f32).
fn erfc_f32(x: f32) -> f32 {
    let z = min(abs(x), 10.0);
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
        t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
        t * (-0.82215223 + t * 0.17087277))))))));
    let ans = t * exp(-z * z + poly);
    return select(2.0 - ans, ans, x >= 0.0);
}

// z·Φ(z) with Φ(z) = ½·erfc(−z/√2) (exact GELU, not the tanh approximation).
fn act_gelu(z: f32) -> f32 {
    return z * 0.5 * erfc_f32(-z * INV_SQRT2);
}

// z·sigmoid(z) with e = exp(−|z|) ≤ 1: no overflow for any z.
fn act_silu(z: f32) -> f32 {
    let e = exp(-abs(z));
    return select(z * e / (1.0 + e), z / (1.0 + e), z >= 0.0);
}

// sin(πz)/(πz), 1 at z = 0, without the driver's sin (Vulkan only bounds its
// absolute error by 2^-11). Reduction, exact in f32 for every finite z:
// r = z − 2·round(z/2) ∈ [−1, 1] (sin(πz) = sin(πr)), then t = r, or
// t = sign(r)·(1 − |r|) when |r| > ½ (sin(πr) = sin(πt); Sterbenz makes 1 − |r| exact).
// With S(u) = Σ_k (−1)^k π^{2k} u^k/(2k+1)! (so sin(πt) = πt·S(t²); truncation
// < 5e−10 relative for |t| ≤ ½): η = S(z²) for |z| ≤ ½, else t·S(t²)/z.
// Near the zeros z ≈ ±1, ±2, … the result keeps full relative precision.
fn sinc_series(u: f32) -> f32 {
    return 1.0 + u * (-1.6449340668482264 + u * (0.8117424252833535 + u * (-0.1907518241220842 +
        u * (0.02614784781765479 + u * (-0.0023460810354558226 + u * 0.00014842879303107092)))));
}

fn act_sinc(z: f32) -> f32 {
    if (abs(z) <= 0.5) {
        return sinc_series(z * z);
    }
    let r = z - 2.0 * round(0.5 * z);
    var t = r;
    if (abs(r) > 0.5) {
        t = select(-1.0, 1.0, r > 0.0) * (1.0 - abs(r));
    }
    return t * sinc_series(t * t) / z;
}

// exp(−π z²) (our Gaussian convention; see README), z² clamped so it cannot overflow.
fn act_gaussian(z: f32) -> f32 {
    return exp(-PI * min(z * z, 100.0));
}

// ln(1 + x) for x ∈ [0, 1] without the driver's log (Vulkan bounds log near 1
// only by an absolute 2^-21): 2·atanh(s), s = x/(2 + x) ∈ [0, 1/3], by its
// series to s^15 (truncation < 2e−9 relative); full relative precision as x → 0.
fn log1p_unit(x: f32) -> f32 {
    let s = x / (2.0 + x);
    let u = s * s;
    return 2.0 * s * (1.0 + u * (1.0 / 3.0 + u * (1.0 / 5.0 + u * (1.0 / 7.0 + u * (1.0 / 9.0 +
        u * (1.0 / 11.0 + u * (1.0 / 13.0 + u * (1.0 / 15.0))))))));
}

// ln(1 + e^z) = max(z, 0) + ln(1 + e^(−|z|)): exp only sees −|z| ≤ 0.
fn act_softplus(z: f32) -> f32 {
    return max(z, 0.0) + log1p_unit(exp(-abs(z)));
}

// 1 / (1 + e^(−z)) with e = exp(−|z|) ≤ 1: no overflow for any z.
fn act_sigmoid(z: f32) -> f32 {
    let e = exp(-abs(z));
    return select(e / (1.0 + e), 1.0 / (1.0 + e), z >= 0.0);
}

// 1 / (1 + z²); past |z| = 1e15 (where 1 + z² = z² in f32) as (1/|z|)², so
// z² never overflows.
fn act_cauchy(z: f32) -> f32 {
    let a = abs(z);
    if (a > 1e15) {
        let r = 1.0 / a;
        return r * r;
    }
    return 1.0 / (1.0 + a * a);
}

// exp(−πz²/4)·cos(2πz), z² clamped before exp. The carrier is reduced as in
// the f64 form: r = z − round(z) ∈ [−½, ½] (exact), t = ½ − 2|r| ∈ [−½, ½]
// (exact wherever the carrier is small), cos(2πz) = sin(πt) = πt·S(t²) with
// the sinc polynomial S: no driver sin/cos, exact zeros at z = ±¼ + k/2.
fn act_wavepacket(z: f32) -> f32 {
    let window = exp(-0.25 * PI * min(z * z, 400.0));
    let r = z - round(z);
    let t = 0.5 - 2.0 * abs(r);
    return window * (PI * t * sinc_series(t * t));
}

// A tabulated activation (table:FILE). The host binds its lookup buffer here
// for every kernel that evaluates η (Table::gpu_words: z_0, 1/h, n − 1, 0,
// then η_0 … η_{n−1}, all f32); a kernel that does not evaluate a table
// leaves the binding out of its layout. The rule of the f64 form
// (src/model/table.rs): t = (z − z_0)·(1/h); t ≤ 0 (or NaN) gives η_0,
// t ≥ n − 1 gives η_{n−1}, else linear between η_k and η_{k+1}, k = ⌊t⌋.
// The grid is uniform, so there is no search and no loop; t = ±∞ for huge
// |z| lands on an end value.
@group(0) @binding(15) var<storage, read> eta_table: array<f32>;

fn act_table(z: f32) -> f32 {
    let last = eta_table[2];
    let t = (z - eta_table[0]) * eta_table[1];
    if (!(t > 0.0)) {
        return eta_table[4];
    }
    let n1 = u32(last);
    if (t >= last) {
        return eta_table[4u + n1];
    }
    let k = min(u32(floor(t)), n1 - 1u);
    let a = eta_table[4u + k];
    let b = eta_table[5u + k];
    return a + (t - f32(k)) * (b - a);
}
