//! Activations η(z) of the shallow network (SPEC §2), evaluated in f64.
//!
//! The network is $f(x) = \sum_j w_j\, \eta(\sigma (x - b_j))$; this module
//! provides η. Every activation here has a WGSL twin in `shaders/activations.wgsl`
//! and a test holds the two together.
//!
//! | name | η(z) | class | paper r |
//! |---|---|---|---|
//! | `heaviside` | 1 if z > 0 else 0 (so η(0) = 0) | monotonic | 1 |
//! | `tanh` | tanh(z) | monotonic | ≈1 |
//! | `relu` | max(z, 0) | monotonic | 2 |
//! | `relu2` | max(z, 0)² | monotonic | 3 |
//! | `spline:r` | z^(r−1)·\[z > 0\], r ≥ 1 | monotonic | r |
//! | `gelu` | z·Φ(z) (exact erf) | quasi-monotonic | ≈2 |
//! | `silu` | z / (1 + e^(−z)) | quasi-monotonic | ≈2 |
//! | `sinc` | sin(πz)/(πz), 1 at 0 | non-monotonic | – |
//! | `gaussian` | exp(−πz²) | non-monotonic | – |
//! | `softplus` | ln(1 + e^z) | monotonic | ≈2 |
//! | `sigmoid` | 1 / (1 + e^(−z)) (logistic) | monotonic | ≈1 |
//! | `cauchy` | 1 / (1 + z²) | non-monotonic | – |
//! | `wavepacket` | exp(−πz²/4)·cos(2πz) | non-monotonic | – |
//! | `table:FILE` | values on a uniform grid, linear between, constant beyond | monotonic if the values never decrease, else non-monotonic | – |
//!
//! The last four are not in the paper's figures; they come from the companion
//! paper's table of spectral penalties (arXiv 2503.10587, see
//! [`crate::spectral::penalty`]). The wavepacket is a Gaussian window of scale 2
//! (exp(−π(z/2)²), standard deviation √(2/π) ≈ 0.80) times a cosine carrier of
//! frequency 1 (period 1): its Fourier transform is
//! exp(−4π(ν−1)²) + exp(−4π(ν+1)²), a band around |ν| = 1.
//!
//! A tabulated activation ([`Activation::Table`], [`super::table`]) holds a
//! [`TableId`], a `Copy` handle to a table interned by its content, so that
//! `Activation` stays `Copy + Eq + Hash`.
//!
//! Gaussian convention: the paper prints exp(−(σ/π)x²); we use exp(−πz²), which
//! is its own Fourier transform and has the bandwidth scale of sinc (see README).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::table::{self, TableId};
use super::vmath;
use crate::error::{Error, Result};

/// The widest instruction set [`Activation::eval_slice`] may use (see
/// [`Activation::cap_simd_level`]): 2 = AVX-512, 1 = AVX2 + FMA, 0 = baseline.
static SIMD_CAP: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(2);

/// Largest spline order accepted by `spline:r`. Beyond it z^(r−1) overflows
/// f32 on the GPU for |z| of a few hundred and the matrix is numerically rank one.
pub const MAX_SPLINE_ORDER: u32 = 8;

/// An activation function η.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Activation {
    /// \[z > 0\].
    Heaviside,
    /// tanh(z).
    Tanh,
    /// max(z, 0).
    Relu,
    /// max(z, 0)².
    Relu2,
    /// z^(r−1)·\[z > 0\] with integer order r ≥ 1 (Prop. 3.1).
    Spline(u32),
    /// z·Φ(z) with the exact normal CDF Φ.
    Gelu,
    /// z·sigmoid(z).
    Silu,
    /// sin(πz)/(πz).
    Sinc,
    /// exp(−πz²).
    Gaussian,
    /// ln(1 + e^z).
    Softplus,
    /// The logistic sigmoid 1 / (1 + e^(−z)).
    Sigmoid,
    /// 1 / (1 + z²).
    Cauchy,
    /// exp(−πz²/4)·cos(2πz): a Gaussian window of scale 2 times a carrier of frequency 1.
    Wavepacket,
    /// Values on a uniform grid read from a file, linear between the points,
    /// constant beyond the ends ([`super::table`]).
    Table(TableId),
}

/// Monotonicity class of an activation (paper §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Monotonicity {
    /// η(z₂) ≥ η(z₁) whenever z₂ > z₁.
    Monotonic,
    /// Not monotonic, but tends to a monotonic function (ReLU) as σ → ∞.
    QuasiMonotonic,
    /// Tends to an impulse as σ → ∞ (sinc, Gaussian).
    NonMonotonic,
}

impl fmt::Display for Monotonicity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Monotonicity::Monotonic => "monotonic",
            Monotonicity::QuasiMonotonic => "quasi-monotonic",
            Monotonicity::NonMonotonic => "non-monotonic",
        })
    }
}

/// Spline order r of an activation (Prop. 3.1): η ≈ z^(r−1)·\[z > 0\].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplineOrder {
    /// η is exactly z^(r−1)·\[z > 0\].
    Exact(u32),
    /// η tends to z^(r−1)·\[z > 0\] as σ → ∞ (tanh → r = 1; GELU, SiLU → r = 2).
    Approx(u32),
}

impl SplineOrder {
    /// The order r.
    pub fn r(self) -> u32 {
        match self {
            SplineOrder::Exact(r) | SplineOrder::Approx(r) => r,
        }
    }
}

impl fmt::Display for SplineOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplineOrder::Exact(r) => write!(f, "{r}"),
            SplineOrder::Approx(r) => write!(f, "≈{r}"),
        }
    }
}

impl Activation {
    /// The activations of the paper, in the order of its figures.
    pub const PAPER: [Activation; 8] = [
        Activation::Heaviside,
        Activation::Tanh,
        Activation::Relu,
        Activation::Relu2,
        Activation::Gelu,
        Activation::Silu,
        Activation::Sinc,
        Activation::Gaussian,
    ];

    /// The activations beyond the paper's figures (the companion paper's table).
    pub const EXTRA: [Activation; 4] = [
        Activation::Softplus,
        Activation::Sigmoid,
        Activation::Cauchy,
        Activation::Wavepacket,
    ];

    /// Names accepted by [`FromStr`], for help texts and error messages.
    pub const VALID_NAMES: &'static str = "heaviside, tanh, relu, relu2, spline:R (R = 1..8), gelu, silu, sinc, gaussian, softplus, sigmoid, cauchy, wavepacket, table:FILE (.csv with columns z,eta or .npy of shape (n, 2))";

    /// η(z) in f64.
    #[inline]
    pub fn eval(self, z: f64) -> f64 {
        match self {
            Activation::Heaviside => step(z),
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(0.0),
            Activation::Relu2 => {
                let r = z.max(0.0);
                r * r
            }
            Activation::Spline(r) => spline(z, r),
            Activation::Gelu => gelu(z),
            Activation::Silu => silu(z),
            Activation::Sinc => sinc(z),
            Activation::Gaussian => (-std::f64::consts::PI * z * z).exp(),
            Activation::Softplus => softplus(z),
            Activation::Sigmoid => sigmoid(z),
            Activation::Cauchy => cauchy(z),
            Activation::Wavepacket => wavepacket(z),
            Activation::Table(t) => t.table().eval(z),
        }
    }

    /// η over a slice, in place: `z[i] ← η(z[i])`.
    ///
    /// The block evaluator behind every place that evaluates η over many
    /// entries (the design matrix, the streamed spectrum, the top-K blocks,
    /// the matrix-free products). Heaviside, relu, relu2, splines, cauchy and
    /// tables give exactly [`Activation::eval`]; the others use branch-free
    /// kernels that auto-vectorize (Cody–Waite e^x, e^x − 1, ln(1 + e),
    /// sin/cos polynomials and fdlibm's erfc regions side by side, see
    /// `vmath`) and differ from `eval` by a few ulp (the integration tests
    /// state the bound of each: 4 ulp). Sinc falls back to the scalar form for
    /// a block holding |z| > 2e5, where the π/2 reduction would lose bits.
    /// The loop is compiled for the widest vector instructions the CPU has,
    /// picked at run time (x86-64: AVX-512, AVX2 + FMA, or the baseline
    /// SSE2); the result is the same to the bit at every width.
    pub fn eval_slice(self, z: &mut [f64]) {
        /// `run(z)` compiled for the widest instruction set the CPU has,
        /// chosen at run time: on x86-64 AVX-512 (eight lanes), else AVX2
        /// with FMA (four), else the baseline SSE2 (two); elsewhere the
        /// baseline. `run` is an `#[inline(always)]` function named here, so
        /// that it is compiled inside the function of that instruction set
        /// (`pulp::Arch::dispatch` leaves the larger loops out of line, where
        /// they run at the baseline width). Everything the loop calls runs
        /// in that context too: sinc's scalar fallback calls libm's sin from
        /// it, not from baseline code after the wide loop returned (which
        /// made it 3.8× slower at M = 10⁶).
        macro_rules! dispatch {
            ($z:expr, $run:path) => {{
                let z: &mut [f64] = $z;
                #[cfg(target_arch = "x86_64")]
                {
                    let cap = SIMD_CAP.load(std::sync::atomic::Ordering::Relaxed);
                    if let Some(simd) = pulp::x86::V4::try_new().filter(|_| cap >= 2) {
                        simd.vectorize(
                            #[inline(always)]
                            || $run(z),
                        );
                    } else if let Some(simd) = pulp::x86::V3::try_new().filter(|_| cap >= 1) {
                        simd.vectorize(
                            #[inline(always)]
                            || $run(z),
                        );
                    } else {
                        $run(z);
                    }
                }
                #[cfg(not(target_arch = "x86_64"))]
                $run(z);
            }};
        }
        /// `z[i] = f(z[i])` through [`dispatch`]. The kernel is named, not
        /// passed as a value, so that its `#[inline(always)]` holds inside
        /// the dispatched loop (a call left out of line there runs the kernel
        /// scalar). The results do not depend on the width: each lane
        /// computes the same operations in the same order, and Rust never
        /// contracts a multiply and an add into an FMA on its own.
        macro_rules! map {
            ($z:expr, $f:path) => {{
                #[allow(clippy::inline_always)] // the loop must vectorize at the caller's width
                #[inline(always)]
                fn run(z: &mut [f64]) {
                    for v in z.iter_mut() {
                        *v = $f(*v);
                    }
                }
                dispatch!($z, run);
            }};
        }
        match self {
            Activation::Heaviside => map!(z, step),
            Activation::Tanh => map!(z, vmath::tanh),
            Activation::Relu => map!(z, relu_v),
            Activation::Relu2 => map!(z, relu2_v),
            Activation::Spline(r) => spline_slice(z, r),
            Activation::Gelu => map!(z, gelu_v),
            Activation::Silu => map!(z, silu_v),
            Activation::Sinc => dispatch!(z, sinc_slice),
            Activation::Gaussian => map!(z, gaussian_v),
            Activation::Softplus => map!(z, softplus_v),
            Activation::Sigmoid => map!(z, sigmoid_v),
            Activation::Cauchy => map!(z, cauchy_v),
            Activation::Wavepacket => map!(z, wavepacket_v),
            Activation::Table(t) => {
                // Interpolation in a table: look-ups, no vector loop to gain.
                let table = t.table();
                for v in z {
                    *v = table.eval(*v);
                }
            }
        }
    }

    /// Caps the instruction set [`Activation::eval_slice`] may use, for all
    /// threads: 2 = up to AVX-512 (the default), 1 = up to AVX2 + FMA,
    /// 0 = the baseline. Returns the previous cap. For the tests that compare
    /// the levels (the results are the same at every level; only the speed
    /// changes); not part of the API.
    #[doc(hidden)]
    pub fn cap_simd_level(level: u8) -> u8 {
        SIMD_CAP.swap(level.min(2), std::sync::atomic::Ordering::Relaxed)
    }

    /// Canonical name, parseable by [`FromStr`] (`spline:3` for splines,
    /// `table:PATH` for a table, with the path it was first read from).
    pub fn name(self) -> String {
        match self {
            Activation::Spline(r) => format!("spline:{r}"),
            Activation::Table(t) => format!("table:{}", t.table().source()),
            other => other.base_name().to_string(),
        }
    }

    /// The name that identifies the function: [`Activation::name`] for a
    /// built-in, `table:PATH@sha256:HEX` (the first 16 hex digits of the
    /// table's content digest) for a table. Parseable by [`FromStr`], which
    /// then checks the file still holds that content. Sweeps hash this into
    /// their ids, so an id changes when a table's content does.
    pub fn id_name(self) -> String {
        match self {
            Activation::Table(t) => format!(
                "table:{}@sha256:{}",
                t.table().source(),
                &t.table().digest_hex()[..table::DIGEST_HEX]
            ),
            other => other.name(),
        }
    }

    /// Name without parameters (`spline` for every spline order).
    pub fn base_name(self) -> &'static str {
        match self {
            Activation::Heaviside => "heaviside",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Relu2 => "relu2",
            Activation::Spline(_) => "spline",
            Activation::Gelu => "gelu",
            Activation::Silu => "silu",
            Activation::Sinc => "sinc",
            Activation::Gaussian => "gaussian",
            Activation::Softplus => "softplus",
            Activation::Sigmoid => "sigmoid",
            Activation::Cauchy => "cauchy",
            Activation::Wavepacket => "wavepacket",
            Activation::Table(_) => "table",
        }
    }

    /// Monotonicity class (paper §5).
    pub fn class(self) -> Monotonicity {
        match self {
            Activation::Heaviside
            | Activation::Tanh
            | Activation::Relu
            | Activation::Relu2
            | Activation::Spline(_)
            | Activation::Softplus
            | Activation::Sigmoid => Monotonicity::Monotonic,
            Activation::Gelu | Activation::Silu => Monotonicity::QuasiMonotonic,
            Activation::Sinc
            | Activation::Gaussian
            | Activation::Cauchy
            | Activation::Wavepacket => Monotonicity::NonMonotonic,
            Activation::Table(t) => {
                if t.table().is_monotonic() {
                    Monotonicity::Monotonic
                } else {
                    Monotonicity::NonMonotonic
                }
            }
        }
    }

    /// Spline order r where defined (none for sinc, gaussian, cauchy, wavepacket and tables).
    pub fn order(self) -> Option<SplineOrder> {
        match self {
            Activation::Heaviside => Some(SplineOrder::Exact(1)),
            Activation::Relu => Some(SplineOrder::Exact(2)),
            Activation::Relu2 => Some(SplineOrder::Exact(3)),
            Activation::Spline(r) => Some(SplineOrder::Exact(r)),
            Activation::Tanh | Activation::Sigmoid => Some(SplineOrder::Approx(1)),
            Activation::Gelu | Activation::Silu | Activation::Softplus => {
                Some(SplineOrder::Approx(2))
            }
            Activation::Sinc
            | Activation::Gaussian
            | Activation::Cauchy
            | Activation::Wavepacket
            | Activation::Table(_) => None,
        }
    }

    /// True when η(σz) does not depend on σ up to a scale factor
    /// (heaviside, relu, relu2, splines): σ then has no effect on the normalized spectrum.
    pub fn is_scale_equivariant(self) -> bool {
        matches!(
            self,
            Activation::Heaviside | Activation::Relu | Activation::Relu2 | Activation::Spline(_)
        )
    }
}

impl fmt::Display for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl FromStr for Activation {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let unknown = || Error::UnknownActivation {
            name: s.to_string(),
            valid: Activation::VALID_NAMES.to_string(),
        };
        if lower.starts_with("table:") {
            return Ok(Activation::Table(table::parse_spec(
                &s.trim()["table:".len()..],
            )?));
        }
        if let Some(order) = lower.strip_prefix("spline:") {
            let r: u32 = order.parse().map_err(|_| {
                Error::invalid(
                    "spline order",
                    format!("'{order}'"),
                    format!("an integer from 1 to {MAX_SPLINE_ORDER}, as in spline:3"),
                )
            })?;
            if !(1..=MAX_SPLINE_ORDER).contains(&r) {
                return Err(Error::invalid(
                    "spline order",
                    r,
                    format!("an integer from 1 to {MAX_SPLINE_ORDER}, as in spline:3"),
                ));
            }
            return Ok(Activation::Spline(r));
        }
        Ok(match lower.as_str() {
            "heaviside" | "step" => Activation::Heaviside,
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            "relu2" => Activation::Relu2,
            "gelu" => Activation::Gelu,
            "silu" | "swish" => Activation::Silu,
            "sinc" => Activation::Sinc,
            "gaussian" | "gauss" => Activation::Gaussian,
            "softplus" => Activation::Softplus,
            "sigmoid" | "logistic" => Activation::Sigmoid,
            "cauchy" => Activation::Cauchy,
            "wavepacket" => Activation::Wavepacket,
            _ => return Err(unknown()),
        })
    }
}

impl From<Activation> for String {
    fn from(a: Activation) -> String {
        a.name()
    }
}

impl TryFrom<String> for Activation {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

/// Parses a comma-separated list such as `tanh,relu,spline:3`; `all` means [`Activation::PAPER`].
pub fn parse_list(s: &str) -> Result<Vec<Activation>> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(Activation::PAPER.to_vec());
    }
    let list: Vec<Activation> = s
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(str::parse)
        .collect::<Result<_>>()?;
    if list.is_empty() {
        return Err(Error::invalid(
            "activation list",
            format!("'{s}'"),
            format!("one or more of: {}", Activation::VALID_NAMES),
        ));
    }
    Ok(list)
}

#[inline]
fn step(z: f64) -> f64 {
    if z > 0.0 { 1.0 } else { 0.0 }
}

#[inline]
fn spline(z: f64, r: u32) -> f64 {
    if z > 0.0 { z.powi(r as i32 - 1) } else { 0.0 }
}

/// z·Φ(z) with Φ(z) = ½·erfc(−z/√2): erfc keeps full relative precision in the
/// left tail, where ½(1 + erf) would cancel to 0.
#[inline]
fn gelu(z: f64) -> f64 {
    z * 0.5 * libm::erfc(-z * std::f64::consts::FRAC_1_SQRT_2)
}

/// z·sigmoid(z), written so that e^(±z) never overflows.
#[inline]
fn silu(z: f64) -> f64 {
    if z >= 0.0 {
        z / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        z * e / (1.0 + e)
    }
}

#[inline]
fn sinc(z: f64) -> f64 {
    if z == 0.0 {
        1.0
    } else {
        let pz = std::f64::consts::PI * z;
        pz.sin() / pz
    }
}

/// ln(1 + e^z) = max(z, 0) + ln(1 + e^(−|z|)): e^(−|z|) ≤ 1 never overflows
/// and `ln_1p` keeps full relative precision in the left tail (≈ e^z).
#[inline]
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// 1 / (1 + e^(−z)) with e = e^(−|z|) ≤ 1: no overflow for any z.
#[inline]
fn sigmoid(z: f64) -> f64 {
    let e = (-z.abs()).exp();
    if z >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    }
}

/// 1 / (1 + z²), as (1/|z|)² once z² would swamp the 1 (and overflow).
#[inline]
fn cauchy(z: f64) -> f64 {
    let a = z.abs();
    if a > 1e150 {
        let r = 1.0 / a;
        r * r
    } else {
        1.0 / (1.0 + a * a)
    }
}

/// exp(−πz²/4)·cos(2πz) with the carrier reduced exactly first:
/// cos(2πz) = cos(2πr) = sin(πt), r = z − round(z) ∈ [−½, ½] and
/// t = ½ − 2|r| ∈ [−½, ½] (r exact in floating point, t exact wherever the
/// carrier is small), so the phase is right at any |z| and the carrier's zeros
/// are exact (the window has underflowed to 0 past |z| ≈ 31). The GPU form
/// reduces the same way.
#[inline]
fn wavepacket(z: f64) -> f64 {
    let pi = std::f64::consts::PI;
    let window = (-0.25 * pi * (z * z).min(4000.0)).exp();
    let r = z - z.round();
    let t = 0.5 - 2.0 * r.abs();
    window * (pi * t).sin()
}

/// z^(r−1)·[z > 0] over a slice, with the multiplications of `f64::powi`
/// (binary powering, the order of compiler-rt's `__powidf2` and of LLVM's
/// expansion), so that every entry equals [`spline`]'s exactly.
fn spline_slice(z: &mut [f64], r: u32) {
    let e = r - 1;
    for v in z {
        let (mut a, mut p, mut b) = (*v, 1.0, e);
        while b != 0 {
            if b & 1 == 1 {
                p *= a;
            }
            b >>= 1;
            if b != 0 {
                a *= a;
            }
        }
        *v = if *v > 0.0 { p } else { 0.0 };
    }
}

/// ReLU as a kernel for the slice loops.
#[allow(clippy::inline_always)] // inlined into the slice loops, which then vectorize
#[inline(always)]
fn relu_v(z: f64) -> f64 {
    z.max(0.0)
}

/// ReLU² as a kernel for the slice loops.
#[allow(clippy::inline_always)] // inlined into the slice loops, which then vectorize
#[inline(always)]
fn relu2_v(z: f64) -> f64 {
    let r = z.max(0.0);
    r * r
}

/// The Gaussian e^(−πz²) through the branch-free e^x.
#[allow(clippy::inline_always)] // inlined into the slice loops, which then vectorize
#[inline(always)]
fn gaussian_v(z: f64) -> f64 {
    vmath::exp(-std::f64::consts::PI * z * z)
}

/// [`gelu`] through the branch-free erfc.
#[allow(clippy::inline_always)] // inlined into the slice loops, which then vectorize
#[inline(always)]
fn gelu_v(z: f64) -> f64 {
    z * 0.5 * vmath::erfc(-z * std::f64::consts::FRAC_1_SQRT_2)
}

/// [`softplus`] without branches: max(z, 0) + ln(1 + e^(−|z|)).
#[allow(clippy::inline_always)] // inlined into the slice loops, which then vectorize
#[inline(always)]
fn softplus_v(z: f64) -> f64 {
    z.max(0.0) + vmath::log1p_01(vmath::exp(-z.abs()))
}

/// [`silu`] without branches: e = e^(−|z|), z/(1 + e) or z·e/(1 + e).
#[allow(clippy::inline_always)] // inlined into the slice loops, which then vectorize
#[inline(always)]
fn silu_v(z: f64) -> f64 {
    let e = vmath::exp(-z.abs());
    let d = 1.0 + e;
    if z >= 0.0 { z / d } else { z * e / d }
}

/// [`sigmoid`] without branches.
#[allow(clippy::inline_always)] // inlined into the slice loops, which then vectorize
#[inline(always)]
fn sigmoid_v(z: f64) -> f64 {
    let e = vmath::exp(-z.abs());
    let num = if z >= 0.0 { 1.0 } else { e };
    num / (1.0 + e)
}

/// [`cauchy`] without branches (both forms computed, one kept).
#[allow(clippy::inline_always)] // inlined into the slice loops, which then vectorize
#[inline(always)]
fn cauchy_v(z: f64) -> f64 {
    let a = z.abs();
    let r = 1.0 / a;
    let far = r * r;
    let near = 1.0 / (1.0 + a * a);
    if a > 1e150 { far } else { near }
}

/// Sinc over a slice, block by block: the branch-free [`sinc_v`] where a
/// block's |z| stay ≤ 2e5 (|πz| within [`vmath::SIN_REDUCE_MAX`]), the scalar
/// [`sinc`] for a block that holds a larger one.
#[allow(clippy::inline_always)] // compiled inside the dispatched function
#[inline(always)]
fn sinc_slice(z: &mut [f64]) {
    /// Entries per block of the range check.
    const BLOCK: usize = 256;
    for block in z.chunks_mut(BLOCK) {
        let big = block
            .iter()
            .fold(false, |b, &v| b | (v.abs() > vmath::SIN_REDUCE_MAX / 4.0));
        if big {
            for v in block {
                *v = sinc(*v);
            }
        } else {
            for v in block {
                *v = sinc_v(*v);
            }
        }
    }
}

/// [`sinc`] without branches, for |πz| ≤ [`vmath::SIN_REDUCE_MAX`].
#[allow(clippy::inline_always)] // inlined into the slice loops, which then vectorize
#[inline(always)]
fn sinc_v(z: f64) -> f64 {
    let pz = std::f64::consts::PI * z;
    let v = vmath::sin_any(pz) / pz;
    if z == 0.0 { 1.0 } else { v }
}

/// [`wavepacket`] without branches: the same exact reduction of the carrier.
#[allow(clippy::inline_always)] // inlined into the slice loops, which then vectorize
#[inline(always)]
fn wavepacket_v(z: f64) -> f64 {
    let pi = std::f64::consts::PI;
    let zz = z * z;
    let window = vmath::exp(-0.25 * pi * if zz < 4000.0 { zz } else { 4000.0 });
    let r = vmath::frac_round(z);
    let t = 0.5 - 2.0 * r.abs();
    window * vmath::sin_pi_half(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name_and_round_trips() {
        for a in Activation::PAPER.into_iter().chain(Activation::EXTRA) {
            assert_eq!(a.name().parse::<Activation>().unwrap(), a);
        }
        assert_eq!(
            "spline:3".parse::<Activation>().unwrap(),
            Activation::Spline(3)
        );
        assert_eq!(" TANH ".parse::<Activation>().unwrap(), Activation::Tanh);
    }

    #[test]
    fn unknown_name_lists_valid_ones() {
        let err = "softmax".parse::<Activation>().unwrap_err().to_string();
        assert!(err.contains("softmax"), "{err}");
        assert!(
            err.contains("heaviside") && err.contains("gaussian"),
            "{err}"
        );
        assert!("spline:0".parse::<Activation>().is_err());
        assert!("spline:x".parse::<Activation>().is_err());
        assert!("spline:9".parse::<Activation>().is_err());
    }

    #[test]
    fn values_at_landmarks() {
        assert_eq!(Activation::Heaviside.eval(0.0), 0.0);
        assert_eq!(Activation::Heaviside.eval(1e-300), 1.0);
        assert_eq!(Activation::Sinc.eval(0.0), 1.0);
        assert!(Activation::Sinc.eval(1.0).abs() < 1e-15);
        assert_eq!(Activation::Gaussian.eval(0.0), 1.0);
        assert!((Activation::Gaussian.eval(1.0) - (-std::f64::consts::PI).exp()).abs() < 1e-16);
        // Φ(1) = 0.8413447460685429
        assert!((Activation::Gelu.eval(1.0) - 0.8413447460685429).abs() < 1e-15);
        // Left tail: z·Φ(z) at z = −30 is ≈ −30·4.9e−198, not 0 and not NaN.
        let g = Activation::Gelu.eval(-30.0);
        assert!(g < 0.0 && g > -1e-190, "{g}");
        assert_eq!(Activation::Silu.eval(-1e4), -0.0);
        assert!((Activation::Silu.eval(1e4) - 1e4).abs() < 1e-9);
        assert_eq!(Activation::Spline(1).eval(0.5), 1.0);
        assert_eq!(Activation::Spline(3).eval(0.5), 0.25);
        assert_eq!(Activation::Relu2.eval(-2.0), 0.0);
        for a in Activation::PAPER.into_iter().chain(Activation::EXTRA) {
            for z in [-1e30, -1e3, -1.0, 0.0, 1.0, 1e3, 1e30] {
                assert!(a.eval(z).is_finite(), "{a} at {z}");
            }
        }
        for a in Activation::EXTRA {
            for z in [-1e300, f64::MIN, 1e300, f64::MAX] {
                assert!(a.eval(z).is_finite(), "{a} at {z}");
            }
        }
    }

    /// The four extra activations against independent closed forms at |z| ≤ 5
    /// (where those forms lose nothing), and in the tails where they would. Tolerances: a few ulp of the value (the
    /// forms differ by a handful of roundings; 1e−14 relative is ≈ 45 ulp).
    #[test]
    fn extra_activations_against_naive_forms() {
        let pi = std::f64::consts::PI;
        for i in -50..=50 {
            let z = f64::from(i) / 10.0;
            let rel = |got: f64, want: f64| (got - want).abs() <= 1e-14 * want.abs().max(1e-300);
            // ln_1p(e^z): the same function by another route (no max(z, 0) split).
            let sp = z.exp().ln_1p();
            assert!(rel(Activation::Softplus.eval(z), sp), "softplus({z})");
            let sg = 1.0 / (1.0 + (-z).exp());
            assert!(rel(Activation::Sigmoid.eval(z), sg), "sigmoid({z})");
            assert!(
                rel(Activation::Cauchy.eval(z), 1.0 / (1.0 + z * z)),
                "cauchy({z})"
            );
            let wp = (-pi * z * z / 4.0).exp() * (2.0 * pi * z).cos();
            // Absolute near the carrier's zeros (cos(2πz) computed from 2πz
            // rounds by ≈ 2π|z|·ε there).
            assert!(
                (Activation::Wavepacket.eval(z) - wp).abs() <= 1e-14,
                "wavepacket({z})"
            );
        }
        // Left tail of softplus: ln(1 + e^z) ≈ e^z to full relative precision,
        // where the naive formula rounds 1 + e^z to 1.
        let z = -50.0f64;
        assert!((Activation::Softplus.eval(z) / z.exp() - 1.0).abs() < 1e-15);
        assert_eq!(Activation::Softplus.eval(1e300), 1e300);
        assert_eq!(Activation::Sigmoid.eval(0.0), 0.5);
        assert_eq!(Activation::Sigmoid.eval(-1e3), 0.0);
        assert_eq!(Activation::Sigmoid.eval(1e3), 1.0);
        assert_eq!(Activation::Cauchy.eval(1e200), 0.0);
        assert_eq!(Activation::Cauchy.eval(1e100), 1e-200);
        assert_eq!(Activation::Wavepacket.eval(0.0), 1.0);
        // The carrier's zeros z = ±1/4 + k/2 are exact zeros after reduction.
        assert_eq!(Activation::Wavepacket.eval(0.25), 0.0);
        assert_eq!(Activation::Wavepacket.eval(-2.75), 0.0);
        // At z = 1 the carrier is 1: the window alone.
        assert_eq!(Activation::Wavepacket.eval(1.0), (-pi / 4.0).exp());
    }

    #[test]
    fn metadata() {
        assert_eq!(Activation::Softplus.order(), Some(SplineOrder::Approx(2)));
        assert_eq!(Activation::Sigmoid.order(), Some(SplineOrder::Approx(1)));
        assert_eq!(Activation::Cauchy.order(), None);
        assert_eq!(Activation::Wavepacket.class(), Monotonicity::NonMonotonic);
        assert_eq!(Activation::Sigmoid.class(), Monotonicity::Monotonic);
        assert_eq!(
            "logistic".parse::<Activation>().unwrap(),
            Activation::Sigmoid
        );
        assert_eq!(Activation::Tanh.order(), Some(SplineOrder::Approx(1)));
        assert_eq!(Activation::Relu2.order().unwrap().r(), 3);
        assert_eq!(Activation::Sinc.order(), None);
        assert_eq!(Activation::Gelu.class(), Monotonicity::QuasiMonotonic);
        assert_eq!(Activation::Gaussian.class(), Monotonicity::NonMonotonic);
        assert!(Activation::Relu.is_scale_equivariant());
        assert!(!Activation::Tanh.is_scale_equivariant());
    }

    #[test]
    fn list_parsing() {
        assert_eq!(parse_list("all").unwrap().len(), 8);
        assert_eq!(
            parse_list("tanh,spline:2").unwrap(),
            vec![Activation::Tanh, Activation::Spline(2)]
        );
        assert!(parse_list("").is_err());
        assert!(parse_list("tanh,foo").is_err());
    }
}
