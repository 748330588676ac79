//! Every shader in `shaders/` parses and validates with naga, composed with
//! every activation and every tile shape the engine uses. Runs on any machine
//! (no adapter needed).

use gdshrink::gpu::shaders::{self, Kernel};

mod common;

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
        for act in common::all_activations() {
            validate(&format!("{} / {act}", kernel.name()), &kernel.source(act));
            count += 1;
        }
    }
    assert!(count >= 100, "only {count} compositions checked");
}

#[test]
fn the_registry_lists_every_shader_file() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".wgsl"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = shaders::FILES.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "shaders/ and shaders::FILES disagree");
    // Each file is part of at least one kernel that the first test validates.
    let composed: Vec<String> = Kernel::all()
        .iter()
        .map(|k| k.source(gdshrink::Activation::Tanh))
        .collect();
    for (name, src) in shaders::FILES {
        assert!(
            composed.iter().any(|c| c.contains(src)),
            "{name} is not used by any kernel in Kernel::all()"
        );
    }
}

#[test]
fn a_broken_shader_is_caught() {
    let bad = shaders::compose(gdshrink::Activation::Relu, "fn main() { let x: f32 = 1u; }");
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
