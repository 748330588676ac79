//! Every shader in `shaders/` parses and validates with naga, composed with
//! every activation and every tile shape the engine uses. Runs on any machine
//! (no adapter needed).

use gdshrink::gpu::testing::{FILES, Kernel, compose};

use crate::common::all_activations;

fn validate(name: &str, src: &str) {
    let module = match naga::front::wgsl::parse_str(src) {
        Ok(m) => m,
        Err(e) => panic!("{name}: WGSL parse error:\n{}", e.emit_to_string(src)),
    };
    let mut v = naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    );
    if let Err(e) = v.validate(&module) {
        panic!("{name}: validation error:\n{}", e.emit_to_string(src));
    }
}

#[test]
fn every_kernel_validates_with_every_activation() {
    let mut count = 0;
    for kernel in Kernel::all() {
        for act in all_activations() {
            validate(&format!("{} / {act}", kernel.name()), &kernel.source(act));
            count += 1;
        }
    }
    assert!(count >= 100, "only {count} compositions checked");
}

#[test]
fn the_registry_lists_every_shader_file() {
    // Entry points live in shaders/kernels, what they include in
    // shaders/fragments; FILES names them relative to shaders/.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut on_disk: Vec<String> = Vec::new();
    for sub in ["kernels", "fragments"] {
        on_disk.extend(
            std::fs::read_dir(root.join(sub))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| std::path::Path::new(n).extension() == Some("wgsl".as_ref()))
                .map(|n| format!("{sub}/{n}")),
        );
    }
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(
        on_disk, listed,
        "shaders/kernels + shaders/fragments and FILES disagree"
    );
    // Each file is part of at least one kernel that the first test validates.
    let composed: Vec<String> = Kernel::all()
        .iter()
        .map(|k| k.source(gdshrink::Activation::Tanh))
        .collect();
    for (name, src) in FILES {
        assert!(
            composed.iter().any(|c| c.contains(src)),
            "{name} is not used by any kernel in Kernel::all()"
        );
    }
}

#[test]
fn a_broken_shader_is_caught() {
    let bad = compose(gdshrink::Activation::Relu, "fn main() { let x: f32 = 1u; }");
    assert!(
        naga::front::wgsl::parse_str(&bad)
            .ok()
            .and_then(|m| naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::default()
            )
            .validate(&m)
            .ok())
            .is_none()
    );
}
