//! The README's library example is `examples/library.rs` verbatim, and it runs.
//!
//! The example is run as the example target it is (`cargo run --example
//! library`, with the cargo that runs these tests): its first line is the
//! crate's doc comment (`//!`), which `include!` cannot take, and a copy of its
//! body here could drift from the file the README quotes.

use std::path::Path;
use std::process::Command;

#[test]
fn readme_library_example_is_current_and_runs() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(Path::new(root).join("README.md")).unwrap();
    let example = std::fs::read_to_string(Path::new(root).join("examples/library.rs")).unwrap();
    assert!(
        readme.contains(example.trim()),
        "README.md must contain examples/library.rs verbatim (update the README)"
    );
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .current_dir(root)
        .args(["run", "--quiet", "--example", "library"]);
    if !cfg!(debug_assertions) {
        cargo.arg("--release");
    }
    let out = cargo.output().expect("cannot start cargo");
    assert!(
        out.status.success(),
        "examples/library.rs failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
