//! A long-lived GPU context: instance, adapter, device and queue, plus checked
//! helpers for shaders, pipelines, buffers and read-back.
//!
//! * Adapter choice: hardware first (discrete, integrated, virtual), then a
//!   software adapter (lavapipe/llvmpipe). `GDSHRINK_ADAPTER` (or
//!   [`GpuOptions::adapter`]) picks one by index in [`list_adapters`] or by a
//!   case-insensitive substring of its name. `WGPU_BACKEND` restricts backends.
//! * Limits: the device is requested with the **adapter's own limits**, not the
//!   128 MiB WebGPU defaults, so large A fit in one binding where the driver allows.
//! * Errors: shader compilation, pipeline creation and buffer allocation run
//!   inside error scopes and come back as typed [`GpuError`]s naming the
//!   kernel and the sizes; device loss is recorded and reported on the next call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::GpuError;

/// Environment variable that selects an adapter (index or name substring).
pub const ADAPTER_ENV: &str = "GDSHRINK_ADAPTER";

/// How to pick and configure the GPU.
#[derive(Clone, Debug, Default)]
pub struct GpuOptions {
    /// Adapter index (as listed by [`list_adapters`]) or a name substring.
    /// `None` reads [`ADAPTER_ENV`], then picks the best adapter.
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

fn summarize(index: usize, a: &wgpu::Adapter) -> AdapterSummary {
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
    pipelines: Mutex<HashMap<(String, String), Arc<wgpu::ComputePipeline>>>,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext")
            .field("adapter", &self.adapter.name)
            .field("max_binding", &self.max_binding)
            .finish()
    }
}

impl GpuContext {
    /// Picks an adapter (see module docs) and opens a device with its limits.
    pub fn new(opts: &GpuOptions) -> Result<Self, GpuError> {
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
        let adapter = &all[index];
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
    pub fn check_alive(&self, kernel: &str) -> Result<(), GpuError> {
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

    /// A compute pipeline for `source`, compiled once per context and then
    /// served from a cache (kernels are specialised per activation and tile,
    /// and a batch of tests or runs reuses them).
    pub(crate) fn cached_pipeline(
        &self,
        kernel: &str,
        source: &str,
        entry: &str,
    ) -> Result<Arc<wgpu::ComputePipeline>, GpuError> {
        let key = (source.to_string(), entry.to_string());
        if let Some(p) = self
            .pipelines
            .lock()
            .ok()
            .and_then(|m| m.get(&key).cloned())
        {
            return Ok(p);
        }
        let module = self.compile(kernel, source)?;
        let p = Arc::new(self.pipeline(kernel, &module, entry)?);
        if let Ok(mut m) = self.pipelines.lock() {
            m.insert(key, p.clone());
        }
        Ok(p)
    }

    /// A bind group for group 0 of `pipeline`, `(binding, buffer)` each bound
    /// whole, created inside a validation scope.
    pub(crate) fn bind_group(
        &self,
        kernel: &str,
        pipeline: &wgpu::ComputePipeline,
        entries: &[(u32, &wgpu::Buffer)],
    ) -> Result<wgpu::BindGroup, GpuError> {
        self.check_alive(kernel)?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let layout = pipeline.get_bind_group_layout(0);
        let entries: Vec<wgpu::BindGroupEntry<'_>> = entries
            .iter()
            .map(|(binding, buf)| wgpu::BindGroupEntry {
                binding: *binding,
                resource: buf.as_entire_binding(),
            })
            .collect();
        let bg = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(kernel),
            layout: &layout,
            entries: &entries,
        });
        match pollster::block_on(scope.pop()) {
            Some(e) => Err(GpuError::Validation {
                kernel: kernel.to_string(),
                message: format!("creating the bind group: {e}"),
            }),
            None => Ok(bg),
        }
    }

    /// A uniform buffer holding `words` (u32 or f32 bit patterns), padded to 16 bytes.
    pub(crate) fn uniform(&self, kernel: &str, words: &[u32]) -> Result<wgpu::Buffer, GpuError> {
        let mut w = words.to_vec();
        w.resize(words.len().next_multiple_of(4).max(4), 0);
        let buf = self.buffer(
            kernel,
            "parameters",
            (w.len() * 4) as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        )?;
        self.queue.write_buffer(&buf, 0, bytemuck::cast_slice(&w));
        Ok(buf)
    }

    /// Compiles WGSL inside a validation scope: errors name the kernel.
    pub(crate) fn compile(
        &self,
        kernel: &str,
        source: &str,
    ) -> Result<wgpu::ShaderModule, GpuError> {
        self.check_alive(kernel)?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device
            .create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(kernel),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
        match pollster::block_on(scope.pop()) {
            Some(e) => Err(GpuError::Shader {
                kernel: kernel.to_string(),
                message: e.to_string(),
            }),
            None => Ok(module),
        }
    }

    /// A compute pipeline with an automatic layout, created inside a validation scope.
    pub(crate) fn pipeline(
        &self,
        kernel: &str,
        module: &wgpu::ShaderModule,
        entry: &str,
    ) -> Result<wgpu::ComputePipeline, GpuError> {
        self.check_alive(kernel)?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let p = self
            .device
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel),
                layout: None,
                module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            });
        match pollster::block_on(scope.pop()) {
            Some(e) => Err(GpuError::Shader {
                kernel: format!("{kernel}::{entry}"),
                message: e.to_string(),
            }),
            None => Ok(p),
        }
    }

    /// A buffer of `size` bytes, checked against the device limits and allocated
    /// inside an out-of-memory scope. `kernel` names the user in errors.
    pub(crate) fn buffer(
        &self,
        kernel: &str,
        label: &str,
        size: u64,
        usage: wgpu::BufferUsages,
    ) -> Result<wgpu::Buffer, GpuError> {
        self.check_alive(kernel)?;
        let size = size.max(4).next_multiple_of(4);
        if size > self.limits.max_buffer_size {
            return Err(GpuError::TooLarge {
                kernel: kernel.to_string(),
                what: label.to_string(),
                requested: size,
                max: self.limits.max_buffer_size,
            });
        }
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let buf = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage,
            mapped_at_creation: false,
        });
        let v = pollster::block_on(val.pop());
        let o = pollster::block_on(oom.pop());
        if o.is_some() {
            return Err(GpuError::OutOfMemory {
                kernel: kernel.to_string(),
                what: label.to_string(),
                bytes: size,
            });
        }
        if let Some(e) = v {
            return Err(GpuError::Validation {
                kernel: kernel.to_string(),
                message: format!("creating buffer '{label}' of {size} bytes: {e}"),
            });
        }
        Ok(buf)
    }

    /// A storage buffer initialised with `data`.
    pub(crate) fn storage_with<T: bytemuck::Pod>(
        &self,
        kernel: &str,
        label: &str,
        data: &[T],
    ) -> Result<wgpu::Buffer, GpuError> {
        let bytes: &[u8] = bytemuck::cast_slice(data);
        let buf = self.buffer(
            kernel,
            label,
            bytes.len() as u64,
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_DST
                | wgpu::BufferUsages::COPY_SRC,
        )?;
        if !bytes.is_empty() {
            let mut padded;
            let upload = if bytes.len() % 4 == 0 {
                bytes
            } else {
                padded = bytes.to_vec();
                padded.resize(bytes.len().next_multiple_of(4), 0);
                &padded[..]
            };
            self.queue.write_buffer(&buf, 0, upload);
        }
        Ok(buf)
    }

    /// Submits the encoder, waits for the GPU, and reports validation errors,
    /// out-of-memory and device loss as typed errors naming `kernel`.
    pub(crate) fn submit_and_wait(
        &self,
        kernel: &str,
        encoder: wgpu::CommandEncoder,
    ) -> Result<(), GpuError> {
        let submitted = self.submit(kernel, encoder);
        if let Err(e @ GpuError::DeviceLost { .. }) = submitted {
            return Err(e);
        }
        // Waited for even when the submission reported an error: nothing is
        // left running on return.
        self.wait(kernel)?;
        submitted.map(drop)
    }

    /// Submits the encoder without waiting (validation and out-of-memory errors
    /// of the submission are still typed errors naming `kernel`); wait for it
    /// with [`GpuContext::map_f32_after`].
    pub(crate) fn submit(
        &self,
        kernel: &str,
        encoder: wgpu::CommandEncoder,
    ) -> Result<wgpu::SubmissionIndex, GpuError> {
        self.check_alive(kernel)?;
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let index = self.queue.submit(Some(encoder.finish()));
        let v = pollster::block_on(val.pop());
        let o = pollster::block_on(oom.pop());
        if let Some(e) = o {
            return Err(GpuError::OutOfMemory {
                kernel: kernel.to_string(),
                what: format!("submission ({e})"),
                bytes: 0,
            });
        }
        if let Some(e) = v {
            return Err(GpuError::Validation {
                kernel: kernel.to_string(),
                message: e.to_string(),
            });
        }
        Ok(index)
    }

    /// Maps the first `len` f32 of `staging` once submission `index` is done —
    /// later submissions keep running — and unmaps it again.
    pub(crate) fn map_f32_after(
        &self,
        kernel: &str,
        staging: &wgpu::Buffer,
        len: usize,
        index: wgpu::SubmissionIndex,
    ) -> Result<Vec<f32>, GpuError> {
        self.map_with(kernel, staging, len, Some(index))
    }

    /// Blocks until all submitted work is done.
    pub(crate) fn wait(&self, kernel: &str) -> Result<(), GpuError> {
        self.wait_for(kernel, None)
    }

    /// Blocks until submission `index` is done (all submitted work when
    /// `None`); a failed poll or a lost device is [`GpuError::DeviceLost`].
    pub(crate) fn wait_for(
        &self,
        kernel: &str,
        index: Option<wgpu::SubmissionIndex>,
    ) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: index,
                timeout: None,
            })
            .map_err(|e| GpuError::DeviceLost {
                kernel: kernel.to_string(),
                reason: format!("poll failed: {e}"),
            })?;
        self.check_alive(kernel)
    }

    /// Copies `len` f32 values starting at element `offset` of `src` back to the CPU.
    pub(crate) fn read_f32(
        &self,
        kernel: &str,
        src: &wgpu::Buffer,
        offset: u64,
        len: usize,
    ) -> Result<Vec<f32>, GpuError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let bytes = (len * 4) as u64;
        let staging = self.buffer(
            kernel,
            "read-back staging",
            bytes,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        )?;
        let mut enc = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("read-back"),
            });
        enc.copy_buffer_to_buffer(src, offset * 4, &staging, 0, bytes);
        self.submit_and_wait(kernel, enc)?;
        self.map_f32(kernel, &staging, len)
    }

    /// Maps a `MAP_READ` buffer whose copies have been submitted, returns its
    /// first `len` f32 values, and unmaps it so it can be reused.
    pub(crate) fn map_f32(
        &self,
        kernel: &str,
        staging: &wgpu::Buffer,
        len: usize,
    ) -> Result<Vec<f32>, GpuError> {
        self.map_with(kernel, staging, len, None)
    }

    fn map_with(
        &self,
        kernel: &str,
        staging: &wgpu::Buffer,
        len: usize,
        index: Option<wgpu::SubmissionIndex>,
    ) -> Result<Vec<f32>, GpuError> {
        if len == 0 {
            return Ok(Vec::new());
        }
        let bytes = (len * 4) as u64;
        let slice = staging.slice(..bytes);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait_for(kernel, index)?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(GpuError::Validation {
                    kernel: kernel.to_string(),
                    message: format!("mapping the read-back buffer failed: {e}"),
                });
            }
            Err(_) => {
                return Err(GpuError::DeviceLost {
                    kernel: kernel.to_string(),
                    reason: "the read-back mapping never completed".into(),
                });
            }
        }
        let out = {
            let view = slice.get_mapped_range().map_err(|e| GpuError::Validation {
                kernel: kernel.to_string(),
                message: format!("reading the mapped range failed: {e:?}"),
            })?;
            bytemuck::cast_slice::<u8, f32>(&view).to_vec()
        };
        staging.unmap();
        Ok(out)
    }
}
