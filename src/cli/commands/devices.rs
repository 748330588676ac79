//! `gdshrink devices`: the GPU adapters wgpu can see, with the limits that
//! decide which problem sizes fit ([`gdshrink::gpu::list_adapters`]).
//! Exits non-zero when there is none (with the install hint).

use anyhow::{Result, bail};
use clap::Args;
use gdshrink::gpu::{self, AdapterSummary};
use serde_json::{Value, json};

use crate::output::{base_json, header};
use gdshrink::output::table::TextTable;

/// Flags of `gdshrink devices`.
#[derive(Args, Debug)]
pub struct DevicesArgs {
    /// Print one JSON object (`adapters`: list of adapters with their limits).
    #[arg(long)]
    pub json: bool,
}

const ENGINE: &str = "wgpu adapter enumeration";

/// Runs the command.
pub fn run(args: &DevicesArgs) -> Result<()> {
    let adapters = gpu::list_adapters();
    let env = std::env::var(gpu::ADAPTER_ENV).ok();
    if adapters.is_empty() {
        bail!(
            "no GPU adapter found by wgpu. Without a GPU install Mesa's software Vulkan driver \
             (Debian/Ubuntu: apt-get install -y mesa-vulkan-drivers libvulkan1); \
             `gdshrink gd --device cpu` needs no adapter"
        );
    }
    if args.json {
        let mut j = base_json("devices", ENGINE);
        j.insert("adapters".into(), json!(adapters));
        j.insert("adapter_env".into(), json!(gpu::ADAPTER_ENV));
        j.insert("adapter_env_value".into(), json!(env));
        println!("{}", serde_json::to_string(&Value::Object(j))?);
        return Ok(());
    }
    print!("{}", render(&adapters, env.as_deref()));
    Ok(())
}

fn render(adapters: &[AdapterSummary], env: Option<&str>) -> String {
    let mut out = header(
        "devices",
        ENGINE,
        &format!(
            "{} adapter(s); choose one with --adapter INDEX|NAME or {}={}",
            adapters.len(),
            gpu::ADAPTER_ENV,
            env.unwrap_or("(unset: best hardware adapter, then software)")
        ),
    );
    let mut t = TextTable::new([
        "index",
        "name",
        "type",
        "backend",
        "software",
        "max binding",
        "max buffer",
    ]);
    for a in adapters {
        t.row([
            a.index.to_string(),
            a.name.clone(),
            a.device_type.clone(),
            a.backend.clone(),
            if a.software { "yes" } else { "no" }.to_string(),
            bytes(a.max_storage_buffer_binding_size),
            bytes(a.max_buffer_size),
        ]);
    }
    out.push_str(&t.render());
    out.push('\n');
    let mut t = TextTable::new([
        "index",
        "workgroup x",
        "invocations/wg",
        "workgroups/dim",
        "shared memory",
        "storage buffers/stage",
        "driver",
    ]);
    for a in adapters {
        t.row([
            a.index.to_string(),
            a.max_compute_workgroup_size_x.to_string(),
            a.max_compute_invocations_per_workgroup.to_string(),
            a.max_compute_workgroups_per_dimension.to_string(),
            bytes(u64::from(a.max_compute_workgroup_storage_size)),
            a.max_storage_buffers_per_shader_stage.to_string(),
            a.driver.clone(),
        ]);
    }
    out.push_str(&t.render());
    if adapters.iter().any(|a| a.software) {
        out.push_str(
            "software adapters run every GPU path, but their timings say nothing about a GPU\n",
        );
    }
    out
}

/// `2 GiB` style, exact below 1 KiB.
fn bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if b < 1024 {
        return format!("{b} B");
    }
    let mut v = b as f64;
    let mut unit = "B";
    for u in UNITS {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{} {unit}", gdshrink::output::table::sig(v, 4))
}
