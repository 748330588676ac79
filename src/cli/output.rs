//! Output of every command: a header naming what produced it, aligned tables
//! ([`gdshrink::output::table`]), or one JSON object (`--json`) starting from
//! [`base_json`]; `--out` writes a `.npy`/`.csv` table.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use gdshrink::output::Table;
use gdshrink::output::atomic::Staged;
use serde_json::{Map, Value, json};

/// Output: table (default), JSON, files.
#[derive(Args, Clone, Debug)]
pub struct OutputArgs {
    /// Print one JSON object (on one line) instead of the tables.
    #[arg(long)]
    pub json: bool,
    /// Write the arrays to FILE: .npy (rows x columns f64) or .csv (with a header), by extension.
    #[arg(long, value_name = "FILE", value_parser = parse_out_path)]
    pub out: Option<PathBuf>,
}

impl OutputArgs {
    /// The pre-flight check of `--out`, run before any work: its folder
    /// exists or is created, and a file can be created in it.
    pub fn check(&self) -> Result<()> {
        if let Some(path) = &self.out {
            gdshrink::output::atomic::check_writable("--out", path)?;
        }
        Ok(())
    }

    /// Writes `--out`, then prints the human text or the JSON object. In JSON
    /// mode an object gains `out_file` and `out_columns` when a file was
    /// written. When the file cannot be written the result is still printed
    /// (with `out_error` in JSON) and the error is returned afterwards, so
    /// nothing computed is lost.
    pub fn emit(&self, human: &str, json: &serde_json::Value, table: &Table) -> Result<()> {
        self.emit_with(human, json, table, &[])
    }

    /// [`OutputArgs::emit`] with companion files written beside `--out`:
    /// all of them and `--out` are committed together or not at all.
    pub fn emit_with(
        &self,
        human: &str,
        json: &serde_json::Value,
        table: &Table,
        companions: &[(PathBuf, &Table)],
    ) -> Result<()> {
        let mut json = json.clone();
        let written = self.out.as_ref().map(|path| -> Result<()> {
            let mut staged = Staged::new();
            table
                .stage(&mut staged, path)
                .with_context(|| format!("writing --out {}", path.display()))?;
            for (p, t) in companions {
                t.stage(&mut staged, p)
                    .with_context(|| format!("writing {} (beside --out)", p.display()))?;
            }
            staged
                .commit()
                .with_context(|| format!("writing --out {}", path.display()))
        });
        if let (Some(path), Some(obj)) = (&self.out, json.as_object_mut()) {
            match &written {
                Some(Ok(())) => {
                    obj.insert("out_file".into(), json!(path.display().to_string()));
                    obj.insert("out_columns".into(), json!(table.names));
                }
                Some(Err(e)) => {
                    obj.insert("out_error".into(), json!(format!("{e:#}")));
                }
                None => {}
            }
        }
        if self.json {
            println!("{}", serde_json::to_string(&json)?);
        } else {
            print!("{human}");
            if let (Some(path), Some(Ok(()))) = (&self.out, &written) {
                println!(
                    "wrote {} ({} rows x {} columns: {})",
                    path.display(),
                    table.rows(),
                    table.columns.len(),
                    column_summary(&table.names)
                );
                for (p, t) in companions {
                    println!("wrote {} ({} rows)", p.display(), t.rows());
                }
            }
        }
        written.unwrap_or(Ok(()))
    }
}

/// Column names for the "wrote …" line, shortened when there are many.
fn column_summary(names: &[String]) -> String {
    if names.len() <= 12 {
        names.join(", ")
    } else {
        format!(
            "{}, … , {} (all names in the CSV header or --json out_columns)",
            names[..8].join(", "),
            names[names.len() - 2..].join(", ")
        )
    }
}

/// The first keys of every JSON output: `command`, `gdshrink_version`, `engine`.
pub fn base_json(command: &str, engine: &str) -> Map<String, Value> {
    let mut j = Map::new();
    j.insert("command".into(), json!(command));
    j.insert("gdshrink_version".into(), json!(env!("CARGO_PKG_VERSION")));
    j.insert("engine".into(), json!(engine));
    j
}

/// The first lines of every human-readable output: what produced it and on what.
pub fn header(command: &str, engine: &str, what: &str) -> String {
    format!(
        "gdshrink {} {command} | engine: {engine}\n{what}\n\n",
        env!("CARGO_PKG_VERSION")
    )
}

pub fn parse_out_path(s: &str) -> std::result::Result<PathBuf, String> {
    let p = PathBuf::from(s);
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("npy" | "csv") => Ok(p),
        _ => Err(format!(
            "'{s}' does not end in .npy or .csv: --out writes a .npy array (rows x columns, f64) or a .csv table with a header"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_paths() {
        assert!(parse_out_path("a/b.NPY").is_ok());
        assert!(parse_out_path("a.csv").is_ok());
        let e = parse_out_path("a.xlsx").unwrap_err();
        assert!(e.contains("a.xlsx") && e.contains(".npy"), "{e}");
    }
}
