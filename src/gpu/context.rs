//! A long-lived GPU context: adapter, device and queue, the tuning the
//! kernels follow, and the device's health. The helpers the kernels use
//! (pipelines, buffers, submission, read-back) are in `gpu/device.rs`.
//!
//! * Adapter choice: hardware first (discrete, integrated, virtual), then a
//!   software adapter (lavapipe/llvmpipe). `GDSHRINK_ADAPTER` (or
//!   [`GpuOptions::adapter`]) picks one by index in [`super::list_adapters`] or by a
//!   case-insensitive substring of its name. `WGPU_BACKEND` restricts backends.
//! * Limits: the device is requested with the **adapter's own limits**, not the
//!   128 MiB WebGPU defaults, so large A fit in one binding where the driver allows.
//! * Errors: shader compilation, pipeline creation and buffer allocation run
//!   inside error scopes and come back as typed [`GpuError`]s naming the
//!   kernel and the sizes; device loss is recorded and reported on the next call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::GpuError;
use super::adapter::{self, AdapterSummary, summarize};

/// How to pick and configure the GPU.
#[derive(Clone, Debug, Default)]
pub struct GpuOptions {
    /// Adapter index (as listed by [`super::list_adapters`]) or a name substring.
    /// `None` reads [`super::ADAPTER_ENV`], then picks the best adapter.
    pub adapter: Option<String>,
    /// Test-only: pretend the largest storage binding is this many bytes, so that
    /// the tiled (split) paths run on small problems.
    #[doc(hidden)]
    pub max_binding_override: Option<u64>,
    /// Product kernels with shared-memory tiles (`Some(true)`) or the
    /// barrier-free streaming variant (`Some(false)`). `None`: tiled on
    /// hardware adapters, streaming on software ones (where every barrier is a
    /// coroutine switch). Both compute the same sums in the same order per tile.
    pub tiled: Option<bool>,
    /// Workgroups each product kernel aims for (by splitting its reduction).
    /// `None`: 4 on software adapters (a few per CPU core), 1024 on hardware
    /// (several per multiprocessor of a large GPU; on an H100, 256…1024 are
    /// within ±17 % of each other and 64 is 2–4× slower at N = M = 4096, see
    /// BENCHMARKS.md).
    /// Setting it on a small problem exercises the many-split paths that large
    /// GPUs take.
    pub occupancy: Option<usize>,
}

/// Device, queue and what is known about them. Create once, reuse for every kernel.
pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: AdapterSummary,
    limits: wgpu::Limits,
    /// Largest storage binding the kernels may use (the device limit, or the
    /// test override).
    pub(crate) max_binding: u64,
    /// Product kernels use shared-memory tiles (see [`GpuOptions::tiled`]).
    pub(crate) tiled: bool,
    /// Most loop iterations one shader invocation may run, all loops together,
    /// where the driver stops loops silently beyond a limit: llvmpipe/lavapipe
    /// (`LP_MAX_TGSI_LOOP_ITERATIONS` = 65535, shared between every loop of a
    /// shader). Set for software adapters; kernels then split their work so
    /// that no invocation comes near it. `None`: no limit.
    pub(crate) loop_limit: Option<u64>,
    /// Workgroups each product kernel aims for (see [`GpuOptions::occupancy`]).
    pub(crate) occupancy: usize,
    /// Shortest split of a product's reduction, in reduction indices (a
    /// multiple of the 16-index tile): 32 on hardware adapters, where short
    /// splits are what fills the GPU when B is small, and wherever
    /// [`GpuOptions::occupancy`] is given (so that a test can reproduce the
    /// hardware splits on a software adapter); 256 on software adapters
    /// otherwise.
    pub(crate) min_split: usize,
    lost: Arc<Mutex<Option<String>>>,
    uncaptured: Arc<Mutex<Option<String>>>,
    pub(crate) pipelines: Mutex<HashMap<(String, String), Arc<wgpu::ComputePipeline>>>,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.adapter.name)
            .field("max_binding", &self.max_binding)
            .finish_non_exhaustive()
    }
}

impl GpuContext {
    /// Picks an adapter (see module docs) and opens a device with its limits.
    pub fn new(opts: &GpuOptions) -> Result<Self, GpuError> {
        let (index, adapter) = adapter::choose(opts)?;
        let adapter = &adapter;
        let summary = summarize(index, adapter);
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("gdshrink"),
            required_features: wgpu::Features::empty(),
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| {
            GpuError::NoAdapter(format!("cannot open a device on '{}': {e}", summary.name))
        })?;

        let lost = Arc::new(Mutex::new(None));
        let lost_cb = lost.clone();
        device.set_device_lost_callback(move |reason, msg| {
            if let Ok(mut l) = lost_cb.lock() {
                *l = Some(format!("{reason:?}: {msg}"));
            }
        });
        // An error outside any scope is recorded (and reported by the next
        // call) instead of wgpu's default, which panics.
        let uncaptured = Arc::new(Mutex::new(None));
        let unc = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut u) = unc.lock() {
                u.get_or_insert_with(|| e.to_string());
            }
        }));
        let device_limit = limits
            .max_storage_buffer_binding_size
            .min(limits.max_buffer_size);
        let max_binding = opts
            .max_binding_override
            .map_or(device_limit, |o| o.min(device_limit));
        let tiled = opts.tiled.unwrap_or(!summary.software);
        let loop_limit = summary.software.then_some(65535);
        let occupancy = opts
            .occupancy
            .unwrap_or(if summary.software { 4 } else { 1024 })
            .max(1);
        let min_split = if summary.software && opts.occupancy.is_none() {
            256
        } else {
            32
        };
        Ok(GpuContext {
            tiled,
            loop_limit,
            occupancy,
            min_split,
            device,
            queue,
            adapter: summary,
            limits,
            max_binding,
            lost,
            uncaptured,
            pipelines: Mutex::new(HashMap::new()),
        })
    }

    /// The wgpu device.
    #[must_use]
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// Its queue.
    #[must_use]
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// The adapter the device came from.
    #[must_use]
    pub fn adapter(&self) -> &AdapterSummary {
        &self.adapter
    }

    /// Bytes of the largest storage binding this context uses: the
    /// adapter's `max_storage_buffer_binding_size` and `max_buffer_size`,
    /// lowered by `GpuOptions::max_binding_override`.
    #[must_use]
    pub fn max_binding(&self) -> u64 {
        self.max_binding
    }

    /// Limits the device was created with (the adapter's).
    #[must_use]
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// `name (type, backend)` for every output that reports a GPU number.
    pub fn describe(&self) -> String {
        format!(
            "{} ({}, {}{})",
            self.adapter.name,
            self.adapter.device_type,
            self.adapter.backend,
            if self.adapter.software {
                ", software: timings say nothing about a GPU"
            } else {
                ""
            }
        )
    }

    /// True for a software adapter (lavapipe/llvmpipe).
    pub fn is_software(&self) -> bool {
        self.adapter.software
    }

    /// Fails with [`GpuError::DeviceLost`] if the device has been lost, or with
    /// [`GpuError::Validation`] if an error escaped every error scope since the
    /// last call.
    pub(crate) fn check_alive(&self, kernel: &str) -> Result<(), GpuError> {
        if let Some(reason) = self.lost.lock().ok().and_then(|l| l.clone()) {
            return Err(GpuError::DeviceLost {
                kernel: kernel.to_string(),
                reason,
            });
        }
        if let Some(message) = self.uncaptured.lock().ok().and_then(|mut u| u.take()) {
            return Err(GpuError::Validation {
                kernel: kernel.to_string(),
                message,
            });
        }
        Ok(())
    }
}
