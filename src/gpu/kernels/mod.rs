//! The kernels: WGSL sources, their composition, and their launches.
//!
//! * this module — the registry of kernels and shader files;
//! * [`launch`] — device matrices in row blocks and recorded dispatches;
//! * [`skinny`] — how a skinny product is split into launches and finished;
//! * [`design`] — building A (and η alone) on the device.
//!
//! `shaders/fragments/activations.wgsl` is the one source of truth for η on the GPU; a
//! kernel is composed as *activations + `fn eta` selecting one activation +
//! host constants + the kernel body (+ an operand loader)*, so every kernel
//! specialises on the activation and on its tile shape at pipeline creation
//! (no per-element branching on an activation id).
//!
//! [`Kernel`] lists every kernel; the shader tests compose each
//! kernel with each activation and validates it with naga, on any machine.

use crate::model::Activation;

pub(crate) mod design;
pub(crate) mod gram;
pub(crate) mod launch;
pub(crate) mod skinny;

/// The shared activation library.
pub const ACTIVATIONS: &str = include_str!("../../../shaders/fragments/activations.wgsl");
/// η alone (`out[i] = η(z[i])`), for the activation test.
pub const ETA_EVAL: &str = include_str!("../../../shaders/kernels/eta_eval.wgsl");
/// A row block of the design matrix.
pub const DESIGN: &str = include_str!("../../../shaders/kernels/design.wgsl");
/// Skinny matrix product with B columns, split reduction, Kahan accumulation.
pub const SKINNY: &str = include_str!("../../../shaders/kernels/skinny.wgsl");
/// Loader: stored operand block.
pub const LOAD_STORED: &str = include_str!("../../../shaders/fragments/load_stored.wgsl");
/// Loader: matrix-free A.
pub const LOAD_FREE: &str = include_str!("../../../shaders/fragments/load_free.wgsl");
/// Sum of split partials + residual / update.
pub const FINISH: &str = include_str!("../../../shaders/kernels/finish.wgsl");
/// Per-run residual norms (scaled, non-finite flag).
pub const COLNORM: &str = include_str!("../../../shaders/kernels/colnorm.wgsl");
/// Gram matrix K = AAᵀ or G = AᵀA.
pub const GRAM: &str = include_str!("../../../shaders/kernels/gram.wgsl");
/// Gram loader: stored blocks of A.
pub const GRAM_STORED: &str = include_str!("../../../shaders/fragments/gram_stored.wgsl");
/// Gram loader: matrix-free A.
pub const GRAM_FREE: &str = include_str!("../../../shaders/fragments/gram_free.wgsl");

/// Every shader file under `shaders/` (path relative to it) with its source:
/// `kernels/` holds the entry points, `fragments/` what they include (the
/// naga test checks that this list and the folders agree).
pub const FILES: [(&str, &str); 11] = [
    ("fragments/activations.wgsl", ACTIVATIONS),
    ("kernels/eta_eval.wgsl", ETA_EVAL),
    ("kernels/design.wgsl", DESIGN),
    ("kernels/skinny.wgsl", SKINNY),
    ("fragments/load_stored.wgsl", LOAD_STORED),
    ("fragments/load_free.wgsl", LOAD_FREE),
    ("kernels/finish.wgsl", FINISH),
    ("kernels/colnorm.wgsl", COLNORM),
    ("kernels/gram.wgsl", GRAM),
    ("fragments/gram_stored.wgsl", GRAM_STORED),
    ("fragments/gram_free.wgsl", GRAM_FREE),
];

/// The WGSL function name of η for `act` (e.g. `act_tanh`).
pub fn wgsl_name(act: Activation) -> &'static str {
    match act {
        Activation::Heaviside => "act_heaviside",
        Activation::Tanh => "act_tanh",
        Activation::Relu => "act_relu",
        Activation::Relu2 => "act_relu2",
        Activation::Spline(_) => "act_spline",
        Activation::Gelu => "act_gelu",
        Activation::Silu => "act_silu",
        Activation::Sinc => "act_sinc",
        Activation::Gaussian => "act_gaussian",
        Activation::Softplus => "act_softplus",
        Activation::Sigmoid => "act_sigmoid",
        Activation::Cauchy => "act_cauchy",
        Activation::Wavepacket => "act_wavepacket",
        Activation::Table(_) => "act_table",
    }
}

/// activations.wgsl + `const SPLINE_R` + `fn eta(z)` for `act` + `kernel`.
pub fn compose(act: Activation, kernel: &str) -> String {
    compose_with(act, "", kernel)
}

/// Like [`compose`], with host constant declarations `defs` placed before the kernel.
pub fn compose_with(act: Activation, defs: &str, kernel: &str) -> String {
    let r = match act {
        Activation::Spline(r) => r,
        _ => 1,
    };
    format!(
        "{ACTIVATIONS}\nconst SPLINE_R: u32 = {r}u;\nfn eta(z: f32) -> f32 {{ return {}(z); }}\n\n{defs}\n{kernel}",
        wgsl_name(act)
    )
}

/// Register tiling of the skinny product (see `shaders/skinny.wgsl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SkinnyTile {
    /// Outputs per thread.
    pub ri: u32,
    /// Columns of X per thread.
    pub rb: u32,
    /// Column groups per workgroup.
    pub cg: u32,
}

impl SkinnyTile {
    /// Threads per workgroup.
    pub const WG: u32 = 256;
    /// Reduction indices per shared-memory tile.
    pub const TK: u32 = 16;

    /// The tile for B columns: BT = the next power of two ≥ B, at most 64
    /// columns per workgroup (A is then read once per product for B ≤ 64);
    /// ≈ 128–256 outputs per workgroup; at most 32 accumulators per thread.
    pub fn for_columns(nb: usize) -> Self {
        let bt = (nb.max(1).next_power_of_two()).min(64) as u32;
        let rb = bt.min(8);
        let cg = bt / rb;
        let rg = Self::WG / cg;
        let ri = (128 / rg).clamp(1, 4);
        SkinnyTile { ri, rb, cg }
    }

    /// Outputs per workgroup.
    pub fn ti(self) -> u32 {
        (Self::WG / self.cg) * self.ri
    }

    /// Columns per workgroup.
    pub fn bt(self) -> u32 {
        self.cg * self.rb
    }

    /// Workgroup shared memory of the kernel, bytes.
    pub fn shared_bytes(self) -> u32 {
        4 * Self::TK * (self.ti() + 1 + self.bt())
    }

    /// WGSL constant declarations for this tile and orientation.
    pub fn defs(self, transposed: bool) -> String {
        let ti = self.ti();
        let bt = self.bt();
        format!(
            "const RI: u32 = {}u;\nconst RB: u32 = {}u;\nconst CG: u32 = {}u;\nconst TI: u32 = {ti}u;\n\
             const BT: u32 = {bt}u;\nconst ACC: u32 = {}u;\nconst AS_LEN: u32 = {}u;\n\
             const XS_LEN: u32 = {}u;\nconst OP_T: bool = {transposed};\n",
            self.ri,
            self.rb,
            self.cg,
            self.ri * self.rb,
            Self::TK * (ti + 1),
            Self::TK * bt,
        )
    }
}

/// Where a skinny product or a Gram matrix reads its operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Loader {
    /// A stored row-major block.
    Stored,
    /// A recomputed from the grids (matrix-free).
    Free,
}

/// Every compute kernel of the engine, in the form handed to the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// `eta_eval.wgsl`.
    EtaEval,
    /// `design.wgsl`.
    Design,
    /// `skinny.wgsl` with a loader, a tile and an orientation.
    Skinny {
        /// Operand source.
        loader: Loader,
        /// Register tiling.
        tile: SkinnyTile,
        /// Read the operand transposed (Aᵀ).
        transposed: bool,
        /// The barrier-free entry point `main_direct` instead of the tiled `main`.
        direct: bool,
    },
    /// `finish.wgsl`.
    Finish,
    /// `colnorm.wgsl`.
    ColNorm,
    /// `gram.wgsl` with a loader; `transposed` forms G = AᵀA instead of K = AAᵀ.
    Gram {
        /// Operand source.
        loader: Loader,
        /// G = AᵀA (true) or K = AAᵀ (false).
        transposed: bool,
    },
}

impl Kernel {
    /// One instance of every kernel shape family (every shader file is used by
    /// at least one), for validation.
    pub fn all() -> Vec<Kernel> {
        let mut v = vec![
            Kernel::EtaEval,
            Kernel::Design,
            Kernel::Finish,
            Kernel::ColNorm,
        ];
        for loader in [Loader::Stored, Loader::Free] {
            for transposed in [false, true] {
                for nb in [1, 3, 16, 64] {
                    for direct in [false, true] {
                        v.push(Kernel::Skinny {
                            loader,
                            tile: SkinnyTile::for_columns(nb),
                            transposed,
                            direct,
                        });
                    }
                }
                v.push(Kernel::Gram { loader, transposed });
            }
        }
        v
    }

    /// Short name used in errors and in the pipeline cache.
    pub fn name(&self) -> String {
        match self {
            Kernel::EtaEval => "eta_eval".into(),
            Kernel::Design => "design".into(),
            Kernel::Skinny {
                loader,
                tile,
                transposed,
                direct,
            } => format!(
                "skinny[{}{}, {}]",
                if *transposed { "A^T" } else { "A" },
                if *loader == Loader::Free {
                    " matrix-free"
                } else {
                    ""
                },
                if *direct {
                    format!("streaming, {} columns", tile.rb)
                } else {
                    format!("tiled {}x{}", tile.ti(), tile.bt())
                }
            ),
            Kernel::Finish => "finish".into(),
            Kernel::ColNorm => "colnorm".into(),
            Kernel::Gram { loader, transposed } => format!(
                "gram[{}{}]",
                if *transposed { "A^T A" } else { "A A^T" },
                if *loader == Loader::Free {
                    " matrix-free"
                } else {
                    ""
                }
            ),
        }
    }

    /// The full WGSL source for activation `act`.
    pub fn source(&self, act: Activation) -> String {
        match *self {
            Kernel::EtaEval => compose(act, ETA_EVAL),
            Kernel::Design => compose(act, DESIGN),
            Kernel::Finish => compose(act, FINISH),
            Kernel::ColNorm => compose(act, COLNORM),
            Kernel::Skinny {
                loader,
                tile,
                transposed,
                ..
            } => {
                let load = match loader {
                    Loader::Stored => LOAD_STORED,
                    Loader::Free => LOAD_FREE,
                };
                compose_with(act, &tile.defs(transposed), &format!("{SKINNY}\n{load}"))
            }
            Kernel::Gram { loader, transposed } => {
                let load = match loader {
                    Loader::Stored => GRAM_STORED,
                    Loader::Free => GRAM_FREE,
                };
                compose_with(
                    act,
                    &format!("const OP_T: bool = {transposed};\n"),
                    &format!("{GRAM}\n{load}"),
                )
            }
        }
    }

    /// The entry point of the kernel.
    pub fn entry(&self) -> &'static str {
        match self {
            Kernel::Skinny { direct: true, .. } => "main_direct",
            _ => "main",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_batch() {
        for nb in [1, 2, 3, 4, 7, 8, 16, 31, 32, 64, 100] {
            let t = SkinnyTile::for_columns(nb);
            assert!(t.ri * t.rb <= 32, "{t:?}");
            assert!(t.ti() >= 128 && t.ti() <= 256, "{t:?}");
            assert_eq!(SkinnyTile::WG % t.cg, 0);
            assert!(t.bt() as usize >= nb.min(64));
            // Shared memory ≤ 17 KiB (every desktop driver offers ≥ 32 KiB).
            assert!(t.shared_bytes() <= 17 * 1024, "{t:?}");
        }
    }
}
