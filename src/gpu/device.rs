//! What the kernels ask of the device: cached pipelines, bind groups,
//! buffers, submission and read-back. Compilation, pipeline creation and
//! allocation run inside error scopes and come back as typed [`GpuError`]s
//! naming the kernel and the sizes.

use std::sync::Arc;

use super::{GpuContext, GpuError};

impl GpuContext {
    /// A command encoder on this device.
    pub(crate) fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
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
        let scope = self
            .device()
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let layout = pipeline.get_bind_group_layout(0);
        let entries: Vec<wgpu::BindGroupEntry<'_>> = entries
            .iter()
            .map(|(binding, buf)| wgpu::BindGroupEntry {
                binding: *binding,
                resource: buf.as_entire_binding(),
            })
            .collect();
        let bg = self.device().create_bind_group(&wgpu::BindGroupDescriptor {
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
        self.queue().write_buffer(&buf, 0, bytemuck::cast_slice(&w));
        Ok(buf)
    }

    /// Compiles WGSL inside a validation scope: errors name the kernel.
    pub(crate) fn compile(
        &self,
        kernel: &str,
        source: &str,
    ) -> Result<wgpu::ShaderModule, GpuError> {
        self.check_alive(kernel)?;
        let scope = self
            .device()
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self
            .device()
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
        let scope = self
            .device()
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let p = self
            .device()
            .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(kernel),
                layout: None,
                module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
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
        if size > self.limits().max_buffer_size {
            return Err(GpuError::TooLarge {
                kernel: kernel.to_string(),
                what: label.to_string(),
                requested: size,
                max: self.limits().max_buffer_size,
            });
        }
        let oom = self
            .device()
            .push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = self
            .device()
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let buf = self.device().create_buffer(&wgpu::BufferDescriptor {
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
            let upload = if bytes.len().is_multiple_of(4) {
                bytes
            } else {
                padded = bytes.to_vec();
                padded.resize(bytes.len().next_multiple_of(4), 0);
                &padded[..]
            };
            self.queue().write_buffer(&buf, 0, upload);
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
        let oom = self
            .device()
            .push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = self
            .device()
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let index = self.queue().submit(Some(encoder.finish()));
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
        self.device()
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
        let mut enc = self.encoder("read-back");
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
