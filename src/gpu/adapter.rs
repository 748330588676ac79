//! Adapters: which ones wgpu sees, what `gdshrink devices` shows about them,
//! and which one a context opens — hardware first (discrete, integrated,
//! virtual), then a software adapter (lavapipe/llvmpipe); `GDSHRINK_ADAPTER`
//! (or [`super::GpuOptions::adapter`]) picks one by index or by a
//! case-insensitive substring of its name; `WGPU_BACKEND` restricts backends.

use serde::Serialize;

use super::{GpuError, GpuOptions};

/// Environment variable that selects an adapter (index or name substring).
pub const ADAPTER_ENV: &str = "GDSHRINK_ADAPTER";

/// What `gdshrink devices` shows about one adapter.
#[derive(Clone, Debug, Serialize)]
pub struct AdapterSummary {
    /// Index usable with `--adapter`.
    pub index: usize,
    /// Adapter name as the driver reports it.
    pub name: String,
    /// `DiscreteGpu`, `IntegratedGpu`, `VirtualGpu`, `Cpu` (software) or `Other`.
    pub device_type: String,
    /// Graphics API (Vulkan, …).
    pub backend: String,
    /// Driver name and version.
    pub driver: String,
    /// True for software rasterisers such as lavapipe: timings mean nothing there.
    pub software: bool,
    /// Largest storage-buffer binding, bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Largest buffer, bytes.
    pub max_buffer_size: u64,
    /// Largest workgroup size in x.
    pub max_compute_workgroup_size_x: u32,
    /// Largest number of invocations in one workgroup.
    pub max_compute_invocations_per_workgroup: u32,
    /// Largest dispatch size per dimension.
    pub max_compute_workgroups_per_dimension: u32,
    /// Workgroup shared memory, bytes.
    pub max_compute_workgroup_storage_size: u32,
    /// Storage buffers per shader stage.
    pub max_storage_buffers_per_shader_stage: u32,
}

fn instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

fn backends() -> wgpu::Backends {
    wgpu::Backends::from_env().unwrap_or(wgpu::Backends::all())
}

pub(crate) fn summarize(index: usize, a: &wgpu::Adapter) -> AdapterSummary {
    let info = a.get_info();
    let l = a.limits();
    AdapterSummary {
        index,
        name: info.name.clone(),
        device_type: format!("{:?}", info.device_type),
        backend: format!("{:?}", info.backend),
        driver: format!("{} {}", info.driver, info.driver_info)
            .trim()
            .to_string(),
        software: info.device_type == wgpu::DeviceType::Cpu,
        max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
        max_buffer_size: l.max_buffer_size,
        max_compute_workgroup_size_x: l.max_compute_workgroup_size_x,
        max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
        max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
        max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
        max_storage_buffers_per_shader_stage: l.max_storage_buffers_per_shader_stage,
    }
}

/// Rank for the default choice: hardware before software.
fn preference(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

fn adapters() -> Vec<wgpu::Adapter> {
    pollster::block_on(instance().enumerate_adapters(backends()))
}

/// Every adapter wgpu can see, in the order used by `--adapter INDEX`.
pub fn list_adapters() -> Vec<AdapterSummary> {
    adapters()
        .iter()
        .enumerate()
        .map(|(i, a)| summarize(i, a))
        .collect()
}

/// The adapter `opts` (or [`ADAPTER_ENV`]) asks for, or the best one, with its index.
pub(crate) fn choose(opts: &GpuOptions) -> Result<(usize, wgpu::Adapter), GpuError> {
    let all = adapters();
    if all.is_empty() {
        return Err(GpuError::NoAdapter(
            "wgpu found no adapter. Without a GPU install Mesa's software Vulkan driver \
             (Debian/Ubuntu: apt-get install -y mesa-vulkan-drivers libvulkan1), or use --device cpu"
                .into(),
        ));
    }
    let wanted = opts.adapter.clone().or_else(|| {
        std::env::var(ADAPTER_ENV)
            .ok()
            .filter(|s| !s.trim().is_empty())
    });
    let listing = || {
        all.iter()
            .enumerate()
            .map(|(i, a)| {
                format!(
                    "{i}: {} ({:?})",
                    a.get_info().name,
                    a.get_info().device_type
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let index = match wanted {
        Some(w) => {
            let w = w.trim().to_string();
            if let Ok(i) = w.parse::<usize>() {
                if i >= all.len() {
                    return Err(GpuError::NoAdapter(format!(
                        "adapter index {i} does not exist; available: {}",
                        listing()
                    )));
                }
                i
            } else {
                let lw = w.to_ascii_lowercase();
                all.iter()
                    .position(|a| a.get_info().name.to_ascii_lowercase().contains(&lw))
                    .ok_or_else(|| {
                        GpuError::NoAdapter(format!(
                            "no adapter name contains '{w}'; available: {}",
                            listing()
                        ))
                    })?
            }
        }
        None => (0..all.len())
            .min_by_key(|&i| preference(all[i].get_info().device_type))
            .unwrap_or(0),
    };
    let adapter = all
        .into_iter()
        .nth(index)
        .ok_or_else(|| GpuError::NoAdapter(format!("adapter index {index} does not exist")))?;
    Ok((index, adapter))
}
