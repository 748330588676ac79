//! Text tables for the terminal and Markdown tables for reports: the one
//! renderer behind every command's human-readable output and the tables of
//! `reproduce`'s `report.md`, with the number formats they share.
//!
//! Columns whose cells all look numeric (or are placeholders such as
//! `unreachable`, `nan`, `-`) are right-aligned, the others left-aligned;
//! widths count characters, so `²` or `σ` in a header do not break alignment.
//!
//! ```text
//! let mut t = TextTable::new(["k", "s_k", "s_k/s_0"]);
//! t.row(["0", &num(12.5), &num(1.0)]);
//! print!("{}", t.render());
//! ```

use std::fmt::Write as _;

/// Cells that count as numeric for alignment even though they do not parse.
const PLACEHOLDERS: [&str; 5] = ["unreachable", "nan", "-", "inf", "-inf"];

/// Horizontal alignment of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// Pad on the right.
    Left,
    /// Pad on the left (numbers).
    Right,
}

/// A table of text cells with a header row.
#[derive(Clone, Debug, Default)]
pub struct TextTable {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    /// A table with these column headers.
    pub fn new<I, S>(headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        TextTable {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row; missing cells are left empty, extra cells are kept
    /// (their column gets an empty header).
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    fn ncols(&self) -> usize {
        self.rows
            .iter()
            .map(Vec::len)
            .chain([self.headers.len()])
            .max()
            .unwrap_or(0)
    }

    fn cell(&self, r: usize, c: usize) -> &str {
        self.rows[r].get(c).map_or("", String::as_str)
    }

    fn alignments(&self) -> Vec<Align> {
        (0..self.ncols())
            .map(|c| {
                let numeric = (0..self.rows.len())
                    .map(|r| self.cell(r, c))
                    .filter(|s| !s.is_empty())
                    .all(looks_numeric);
                if numeric && !self.rows.is_empty() {
                    Align::Right
                } else {
                    Align::Left
                }
            })
            .collect()
    }

    fn widths(&self) -> Vec<usize> {
        (0..self.ncols())
            .map(|c| {
                let h = self.headers.get(c).map_or(0, |h| width(h));
                (0..self.rows.len())
                    .map(|r| width(self.cell(r, c)))
                    .chain([h])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    /// Aligned plain text: header, a rule of dashes, rows; two spaces between
    /// columns, no trailing spaces, a newline after every line.
    pub fn render(&self) -> String {
        let widths = self.widths();
        let align = self.alignments();
        let mut out = String::new();
        let line = |cells: Vec<&str>, out: &mut String| {
            let parts: Vec<String> = cells
                .iter()
                .enumerate()
                .map(|(c, s)| pad(s, widths[c], align[c]))
                .collect();
            out.push_str(parts.join("  ").trim_end());
            out.push('\n');
        };
        let headers: Vec<&str> = (0..widths.len())
            .map(|c| self.headers.get(c).map_or("", String::as_str))
            .collect();
        line(headers, &mut out);
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        out.push_str(&rule.join("  "));
        out.push('\n');
        for r in 0..self.rows.len() {
            line(
                (0..widths.len()).map(|c| self.cell(r, c)).collect(),
                &mut out,
            );
        }
        out
    }

    /// A GitHub-flavoured Markdown table (for report files such as `report.md`);
    /// `|` in a cell is escaped and a line break becomes a space.
    pub fn render_markdown(&self) -> String {
        let align = self.alignments();
        let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let n = self.ncols();
        let mut out = String::new();
        let headers: Vec<String> = (0..n)
            .map(|c| esc(self.headers.get(c).map_or("", String::as_str)))
            .collect();
        let _ = writeln!(out, "| {} |", headers.join(" | "));
        let rule: Vec<&str> = align
            .iter()
            .map(|a| match a {
                Align::Left => "---",
                Align::Right => "---:",
            })
            .collect();
        let _ = writeln!(out, "|{}|", rule.join("|"));
        for r in 0..self.rows.len() {
            let cells: Vec<String> = (0..n).map(|c| esc(self.cell(r, c))).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out
    }
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize, a: Align) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    match a {
        Align::Left => format!("{s}{fill}"),
        Align::Right => format!("{fill}{s}"),
    }
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim();
    t.parse::<f64>().is_ok() || PLACEHOLDERS.contains(&t.to_ascii_lowercase().as_str())
}

/// A number for a table: 6 significant digits, plain notation for
/// 1e−3 ≤ |v| < 1e6, scientific otherwise; `nan`, `inf`, `-inf` as such.
pub fn num(v: f64) -> String {
    sig(v, 6)
}

/// A number with `digits` significant digits (see [`num`]).
pub fn sig(v: f64, digits: usize) -> String {
    let digits = digits.max(1);
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if (1e-3..1e6).contains(&a) {
        let mag = a.log10().floor() as i64;
        let decimals = (digits as i64 - 1 - mag).max(0) as usize;
        format!("{v:.decimals$}")
    } else {
        format!("{v:.*e}", digits - 1)
    }
}

/// An error or tolerance for a table: always scientific with 3 significant
/// digits (`1.23e-7`), so a column of them lines up; `0` and `nan` spelled out.
pub fn sci(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v == 0.0 {
        "0".into()
    } else {
        format!("{v:.2e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_numbers_right_text_left() {
        let mut t = TextTable::new(["name", "value"]);
        t.row(["tanh", "1.5"]);
        t.row(["gaussian", "unreachable"]);
        t.row(["relu", "-20"]);
        let s = t.render();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "name            value");
        assert_eq!(lines[1], "--------  -----------");
        assert_eq!(lines[2], "tanh              1.5");
        assert_eq!(lines[3], "gaussian  unreachable");
        assert_eq!(lines[4], "relu              -20");
    }

    #[test]
    fn wide_characters_count_once() {
        let mut t = TextTable::new(["ratio²", "q"]);
        t.row(["9", "9"]);
        let s = t.render();
        assert_eq!(s.lines().nth(2).unwrap(), "     9  9");
    }

    #[test]
    fn markdown() {
        let mut t = TextTable::new(["a", "b"]);
        t.row(["x|y", "2"]);
        assert_eq!(
            t.render_markdown(),
            "| a | b |\n|---|---:|\n| x\\|y | 2 |\n"
        );
    }

    #[test]
    fn number_format() {
        assert_eq!(num(1.0), "1.00000");
        assert_eq!(num(0.333333333), "0.333333");
        assert_eq!(num(123456.7), "123457");
        assert_eq!(num(1e-7), "1.00000e-7");
        assert_eq!(num(2.5e9), "2.50000e9");
        assert_eq!(num(f64::NAN), "nan");
        assert_eq!(num(0.0), "0");
        assert_eq!(sig(-0.0123456, 3), "-0.0123");
        assert_eq!(sci(0.5), "5.00e-1");
        assert_eq!(sci(0.0), "0");
    }
}
