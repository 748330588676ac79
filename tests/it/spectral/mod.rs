//! `gdshrink::spectral`: SPEC §4 and §5 facts about the spectra, the masks and
//! q(K), each one a test that fails if the math is wrong, and the golden
//! comparisons of the SVD, the principal components, q(K) and the masks.
//!
//! The 1024×1024 spectra (heaviside, relu, relu2, tanh σ = M) are computed once
//! here and shared between the fact modules.

mod basis_golden;
mod design;
mod mask_golden;
mod masks;
mod penalty;
mod qk;
mod qk_golden;
mod spectra;
mod stream;
mod svd_golden;
mod topk;

use std::sync::OnceLock;

use gdshrink::spectral::{self, ThinSvd};
use gdshrink::{Activation, Design};

/// N = M of the shared spectra.
const N: usize = 1024;

/// Thin SVD of the N = M = 1024 linspace design of `act` at scale σ (cached).
fn svd_1024(act: Activation, sigma: f64) -> &'static (Design, ThinSvd) {
    static HEAVISIDE: OnceLock<(Design, ThinSvd)> = OnceLock::new();
    static TANH: OnceLock<(Design, ThinSvd)> = OnceLock::new();
    let cell = match act {
        Activation::Heaviside => &HEAVISIDE,
        Activation::Tanh => &TANH,
        other => panic!("no cached SVD for {other}"),
    };
    cell.get_or_init(|| {
        let d = Design::spec(act).sigma(sigma).n(N).m(N).build().unwrap();
        let svd = spectral::thin_svd(d.matrix().as_ref()).unwrap();
        (d, svd)
    })
}

/// Singular values of the N = M = 1024 linspace design (cached for relu, relu2).
fn sv_1024(act: Activation) -> &'static Vec<f64> {
    static RELU: OnceLock<Vec<f64>> = OnceLock::new();
    static RELU2: OnceLock<Vec<f64>> = OnceLock::new();
    match act {
        Activation::Heaviside => &svd_1024(act, 1.0).1.s,
        Activation::Relu | Activation::Relu2 => {
            let cell = if act == Activation::Relu {
                &RELU
            } else {
                &RELU2
            };
            cell.get_or_init(|| sv_of(act, 1.0, N, N))
        }
        other => panic!("no cached spectrum for {other}"),
    }
}

fn sv_of(act: Activation, sigma: f64, n: usize, m: usize) -> Vec<f64> {
    let d = Design::spec(act).sigma(sigma).n(n).m(m).build().unwrap();
    spectral::singular_values(d.matrix().as_ref()).unwrap()
}

/// q(K) of a 1024×1024 spectrum (must be reachable).
fn q_at(s: &[f64], k: usize) -> u64 {
    spectral::q_of_k(s, k, N, N)
        .unwrap()
        .q
        .expect("reachable q(K)")
}
