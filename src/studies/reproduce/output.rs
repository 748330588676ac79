//! Writing an experiment's files under the output directory: tables (CSV or
//! NPY by extension), CSVs of text cells, NPY arrays and figures. Every writer
//! returns the path relative to the output directory, for the report's file
//! lists.

use std::path::Path;

use crate::error::{Error, Result};
use crate::output::array::Table;
use crate::output::plot::Figure;

/// Creates the parent directory of `path`.
fn create_parent(path: &Path) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io("cannot create directory", parent, e))?;
    }
    Ok(())
}

/// Writes `table` to `out/rel` and returns `rel` (for the report's file list).
pub fn write_table(out: &Path, rel: &str, table: &Table) -> Result<String> {
    let path = out.join(rel);
    create_parent(&path)?;
    table.write(&path)?;
    Ok(rel.to_string())
}

/// Writes `table` to `out/stem.csv` and `out/stem.npy`; returns both relative paths.
pub fn write_table_csv_npy(out: &Path, stem: &str, table: &Table) -> Result<Vec<String>> {
    Ok(vec![
        write_table(out, &format!("{stem}.csv"), table)?,
        write_table(out, &format!("{stem}.npy"), table)?,
    ])
}

/// Writes a CSV of text cells (header + rows) to `out/rel` and returns `rel`.
pub fn write_csv(out: &Path, rel: &str, header: &[&str], rows: &[Vec<String>]) -> Result<String> {
    let mut s = header.join(",");
    s.push('\n');
    for r in rows {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    crate::output::array::write_bytes(&out.join(rel), s.as_bytes())?;
    Ok(rel.to_string())
}

/// Writes an f64 array of the given shape to `out/rel` (NPY) and returns `rel`.
pub fn write_npy(out: &Path, rel: &str, shape: &[u64], data: &[f64]) -> Result<String> {
    let path = out.join(rel);
    create_parent(&path)?;
    crate::output::array::write_npy(&path, shape, data)?;
    Ok(rel.to_string())
}

/// Saves a figure as `out/rel_stem.{png,svg}` and returns the PNG's relative path.
pub fn save_figure(out: &Path, rel_stem: &str, fig: &Figure) -> Result<String> {
    fig.save(&out.join(rel_stem))?;
    Ok(format!("{rel_stem}.png"))
}

/// q as a table value: NaN where q(K) is unreachable.
pub fn q_value(q: Option<u64>) -> f64 {
    q.map_or(f64::NAN, |v| v as f64)
}
