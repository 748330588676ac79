//! `gdshrink devices`: the adapters wgpu sees, with their limits (lavapipe in
//! CI; an empty list fails with the install hint).

use crate::common::cli::{has_keys, json, ok};

#[test]
fn devices_lists_an_adapter() {
    let j = json(&["devices"]);
    let adapters = j["adapters"].as_array().expect("adapters array");
    assert!(
        !adapters.is_empty(),
        "no GPU adapter: install mesa-vulkan-drivers libvulkan1"
    );
    for a in adapters {
        has_keys(
            a,
            &[
                "index",
                "name",
                "device_type",
                "backend",
                "software",
                "max_storage_buffer_binding_size",
                "max_buffer_size",
                "max_compute_workgroup_size_x",
            ],
        );
        assert!(a["max_storage_buffer_binding_size"].as_u64().unwrap() > 0);
    }
    let table = ok(&["devices"]);
    assert!(
        table.contains("max binding") && table.contains("index"),
        "{table}"
    );
}
