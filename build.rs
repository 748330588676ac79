//! No build step: this script exists for its build-dependency, which pins the
//! features of `syn` (the parser behind every derive macro the library uses)
//! to those the Python module's macros (pyo3) turn on. With the same features
//! on both sides, `pip install ./python` reuses the proc macros, and every
//! crate derived with them, that `cargo build --release` compiled, instead
//! of compiling the whole dependency graph a second time (see Cargo.toml).
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
}
