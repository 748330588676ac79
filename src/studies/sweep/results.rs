//! The results table: one row per (run, checkpoint), every parameter a
//! column, and the tables written from it (Parquet and CSV).
//!
//! Encodings: Parquet stores IEEE-754 doubles, so NaN and ±∞ are kept as
//! they are; CSV writes them `NaN`, `inf` and `-inf` (what pandas and polars
//! read back as floats); other numbers in the shortest form that reads back
//! exactly. Columns ending in `_s` are timings (seconds): they differ from
//! one run of the same sweep to the next; every other column is a function
//! of the inputs. `f_file`, `w_file` and `array_row` locate the saved arrays
//! ([`super::arrays`]).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::output::atomic::{Staged, check_writable};

/// f64 fields as their bits (JSON has no NaN or infinities).
mod bits {
    use serde::{Deserialize, Deserializer, Serializer};

    #[allow(clippy::trivially_copy_pass_by_ref)] // the signature serde's `with` requires
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(v.to_bits())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        u64::deserialize(d).map(f64::from_bits)
    }
}

/// One (run, checkpoint).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Run id.
    pub run_id: String,
    /// Group id (runs that share A).
    pub group_id: String,
    /// η.
    pub activation: String,
    /// σ, resolved.
    #[serde(with = "bits")]
    pub sigma: f64,
    /// σ as written (`m`, `n` or a number).
    pub sigma_rule: String,
    /// Samples N.
    pub n: i64,
    /// Width M.
    pub m: i64,
    /// Sample grid.
    pub grid: String,
    /// Bias grid.
    pub bias_grid: String,
    /// Target.
    pub signal: String,
    /// How α was given (`auto`, `0.5/s_max^2`, `nt:0.5`, a number).
    pub alpha_rule: String,
    /// α, resolved.
    #[serde(with = "bits")]
    pub alpha: f64,
    /// s_max of A.
    #[serde(with = "bits")]
    pub s_max: f64,
    /// cpu or gpu.
    pub device: String,
    /// Strategy as asked.
    pub strategy: String,
    /// Device memory budget for stored matrices, bytes (GPU: as given or
    /// the default; 0 on the CPU).
    #[serde(default)]
    pub memory_budget: i64,
    /// The engine that ran (strategy resolved).
    pub engine: String,
    /// Iteration count.
    pub q: i64,
    /// K for q = q(K); 0 when q was given.
    pub k: i64,
    /// ok, diverged, non_finite or failed.
    pub status: String,
    /// Why a run failed (empty when ok).
    pub error: String,
    /// ½‖y − f_q‖².
    #[serde(with = "bits")]
    pub loss: f64,
    /// loss / loss_0 (loss_0 = ½‖y‖²).
    #[serde(with = "bits")]
    pub loss_rel: f64,
    /// PSNR (dB) of f_q on held-out points (NaN without held-out points).
    #[serde(with = "bits")]
    pub psnr_db: f64,
    /// ‖f_q − f_q^closed‖/‖f_q^closed‖ (NaN when not asked).
    #[serde(with = "bits")]
    pub rel_err_closed_form: f64,
    /// Seconds to build A, s_max (and the SVD) for the group.
    #[serde(with = "bits")]
    pub build_s: f64,
    /// Seconds of gradient descent for the batch the run was in.
    #[serde(with = "bits")]
    pub gd_s: f64,
    /// NPY file holding f_q of this row (relative to the sweep folder;
    /// empty when not saved); see [`super::arrays`].
    #[serde(default)]
    pub f_file: String,
    /// NPY file holding w_q of this row (empty when not saved).
    #[serde(default)]
    pub w_file: String,
    /// Row of `f_file`/`w_file` holding this (run, q); −1 when not saved.
    #[serde(default = "no_row")]
    pub array_row: i64,
}

fn no_row() -> i64 {
    -1
}

/// A column of the table.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Text.
    Str(Vec<String>),
    /// Integers.
    Int(Vec<i64>),
    /// Floats.
    F64(Vec<f64>),
}

macro_rules! columns {
    ($rows:expr; $($kind:ident $name:ident),* $(,)?) => {
        vec![$((stringify!($name), columns!(@col $kind $rows, $name))),*]
    };
    (@col s $rows:expr, $name:ident) => { Column::Str($rows.iter().map(|r| r.$name.clone()).collect()) };
    (@col i $rows:expr, $name:ident) => { Column::Int($rows.iter().map(|r| r.$name).collect()) };
    (@col f $rows:expr, $name:ident) => { Column::F64($rows.iter().map(|r| r.$name).collect()) };
}

/// The columns of `rows`, in table order.
#[must_use]
pub fn columns(rows: &[Row]) -> Vec<(&'static str, Column)> {
    columns!(rows;
        s run_id, s group_id, s activation, f sigma, s sigma_rule, i n, i m, s grid,
        s bias_grid, s signal, s alpha_rule, f alpha, f s_max, s device, s strategy,
        i memory_budget, s engine, i q, i k, s status, s error, f loss, f loss_rel, f psnr_db,
        f rel_err_closed_form, f build_s, f gd_s, s f_file, s w_file, i array_row,
    )
}

/// True for timing columns (`*_s`), which differ between runs of the same sweep.
#[must_use]
pub fn is_timing(column: &str) -> bool {
    column.ends_with("_s")
}

/// True for the columns that locate saved arrays (`f_file`, `w_file`,
/// `array_row`): where a result is, not what it is (the same run committed
/// with other runs of its group is in another file).
#[must_use]
pub fn is_location(column: &str) -> bool {
    matches!(column, "f_file" | "w_file" | "array_row")
}

impl Row {
    /// The row without its timings and array locations, for comparisons
    /// (floats by bits).
    #[must_use]
    pub fn same_result(&self, other: &Row) -> bool {
        let strip = |r: &Row| Row {
            build_s: 0.0,
            gd_s: 0.0,
            f_file: String::new(),
            w_file: String::new(),
            array_row: -1,
            ..r.clone()
        };
        let (a, b) = (strip(self), strip(other));
        serde_json::to_vec(&a).ok() == serde_json::to_vec(&b).ok()
    }
}

/// A float as CSV text: shortest exact form; `NaN`, `inf`, `-inf`.
#[must_use]
pub fn csv_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{v:?}")
    }
}

/// Writes the rows as CSV (header line, one line per row).
///
/// # Errors
/// Only the writer's.
pub fn write_csv(rows: &[Row], w: &mut dyn Write) -> std::io::Result<()> {
    let cols = columns(rows);
    let mut out = csv::Writer::from_writer(w);
    out.write_record(cols.iter().map(|(n, _)| *n))?;
    for i in 0..rows.len() {
        out.write_record(cols.iter().map(|(_, c)| match c {
            Column::Str(v) => v[i].clone(),
            Column::Int(v) => v[i].to_string(),
            Column::F64(v) => csv_float(v[i]),
        }))?;
    }
    out.flush()
}

/// Writes the rows as one Parquet file (one row group, uncompressed; strings
/// as UTF-8 byte arrays, integers INT64, floats DOUBLE; all required).
///
/// # Errors
/// Parquet errors as `std::io::Error`.
pub fn write_parquet<W: Write + Send>(rows: &[Row], w: W) -> std::io::Result<()> {
    use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    let io = |e: parquet::errors::ParquetError| std::io::Error::other(e.to_string());
    let cols = columns(rows);
    let fields: Vec<String> = cols
        .iter()
        .map(|(n, c)| match c {
            Column::Str(_) => format!("required binary {n} (UTF8);"),
            Column::Int(_) => format!("required int64 {n};"),
            Column::F64(_) => format!("required double {n};"),
        })
        .collect();
    let schema =
        parse_message_type(&format!("message sweep {{ {} }}", fields.join(" "))).map_err(io)?;
    let props = Arc::new(WriterProperties::builder().build());
    let mut writer = SerializedFileWriter::new(w, Arc::new(schema), props).map_err(io)?;
    let mut rg = writer.next_row_group().map_err(io)?;
    for (_, c) in &cols {
        let Some(mut col) = rg.next_column().map_err(io)? else {
            break;
        };
        match c {
            Column::Str(v) => {
                let v: Vec<ByteArray> = v.iter().map(|s| ByteArray::from(s.as_str())).collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&v, None, None)
                    .map_err(io)?;
            }
            Column::Int(v) => {
                col.typed::<Int64Type>()
                    .write_batch(v, None, None)
                    .map_err(io)?;
            }
            Column::F64(v) => {
                col.typed::<DoubleType>()
                    .write_batch(v, None, None)
                    .map_err(io)?;
            }
        }
        col.close().map_err(io)?;
    }
    rg.close().map_err(io)?;
    writer.close().map_err(io)?;
    Ok(())
}

/// Writes `results.parquet` and `results.csv` in `dir`, together (each to a
/// temporary name, synced, renamed, folder synced). Rows are sorted by
/// (run_id, q) first.
///
/// # Errors
/// [`Error::Io`] naming the file.
pub fn write_tables(dir: &Path, rows: &mut [Row]) -> Result<()> {
    rows.sort_by(|a, b| a.run_id.cmp(&b.run_id).then(a.q.cmp(&b.q)));
    let parquet = dir.join("results.parquet");
    let csv = dir.join("results.csv");
    check_writable("--out", &parquet)?;
    let mut staged = Staged::new();
    staged.add(&parquet, |w| write_parquet(rows, w))?;
    staged.add(&csv, |w| write_csv(rows, w))?;
    staged.commit().map_err(|e| match e {
        Error::Io { .. } => e,
        other => Error::format(dir, other.to_string()),
    })
}
