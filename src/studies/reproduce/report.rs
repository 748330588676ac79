//! The report of a `reproduce` run: `report.md`, a self-contained `report.html`
//! (plots inlined as base64 PNG) and `claims.json`.
//!
//! Every claim is listed with its kind (hard claim or observation), verdict,
//! the statement it checks, the criterion and the measured numbers; a claim
//! that does not reproduce is shown as such.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

use super::{Claim, ClaimKind, FigureOutput, Report};
use crate::error::{Error, Result};
use crate::output::table::TextTable;

/// Counts (passed, failed) of the claims of one kind.
pub fn tally(report: &Report, kind: ClaimKind) -> (usize, usize) {
    report
        .claims()
        .filter(|c| c.kind == kind)
        .fold(
            (0, 0),
            |(p, f), c| if c.passed { (p + 1, f) } else { (p, f + 1) },
        )
}

/// The claim list as JSON: `{summary, claims}`.
pub fn claims_json(report: &Report) -> serde_json::Value {
    let (hp, hf) = tally(report, ClaimKind::Hard);
    let (op, of) = tally(report, ClaimKind::Observation);
    json!({
        "summary": {
            "hard": {"passed": hp, "failed": hf},
            "observation": {"passed": op, "failed": of},
            "failed_hard": report.failed_hard().iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
            "size": report.size,
            "engine": report.engine,
            "threads": report.threads,
            "seconds": report.seconds,
            "figures": report.figures.iter().map(|f| json!({"id": f.id, "seconds": f.seconds, "routes": f.routes})).collect::<Vec<_>>(),
        },
        "claims": report.claims().collect::<Vec<_>>(),
    })
}

fn kind_label(k: ClaimKind) -> &'static str {
    match k {
        ClaimKind::Hard => "hard",
        ClaimKind::Observation => "observation",
    }
}

/// The Markdown report.
pub fn markdown(report: &Report) -> String {
    let mut s = String::new();
    let (hp, hf) = tally(report, ClaimKind::Hard);
    let (op, of) = tally(report, ClaimKind::Observation);
    let _ = writeln!(s, "# gdshrink reproduce — report\n");
    let _ = writeln!(
        s,
        "Evidence for *Gradient Descent as a Shrinkage Operator for Spectral Bias* (arXiv 2504.18207), regenerated and checked by numbers.\n"
    );
    let _ = writeln!(s, "- command: `{}`", report.command);
    let _ = writeln!(s, "- size preset: `{:?}`", report.size);
    let _ = writeln!(s, "- engine: {}", report.engine);
    let _ = writeln!(s, "- threads: {}", report.threads);
    let _ = writeln!(s, "- total wall time: {:.1} s\n", report.seconds);
    let _ = writeln!(s, "## Summary\n");
    let mut t = TextTable::new(["claims", "pass", "fail"]);
    t.row([
        "hard (must hold)".to_string(),
        hp.to_string(),
        hf.to_string(),
    ]);
    t.row([
        "observations (reported)".to_string(),
        op.to_string(),
        of.to_string(),
    ]);
    let _ = writeln!(s, "{}", t.render_markdown());
    let failed = report.failed_hard();
    if failed.is_empty() {
        let _ = writeln!(s, "Every hard claim holds.\n");
    } else {
        let _ = writeln!(
            s,
            "**Failed hard claims:** {}\n",
            failed
                .iter()
                .map(|c| format!("`{}`", c.id))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = writeln!(
        s,
        "*Hard* claims are facts the engine must reproduce (exit status non-zero if one fails). *Observations* are the paper's empirical statements, checked against the stated criterion and reported with their numbers whether they hold or not.\n"
    );
    let mut t = TextTable::new(["claim", "kind", "result", "measured"]);
    for c in report.claims() {
        t.row([
            format!("`{}`", c.id),
            kind_label(c.kind).to_string(),
            if c.passed { "pass" } else { "**FAIL**" }.to_string(),
            c.measured.clone(),
        ]);
    }
    let _ = writeln!(s, "{}", t.render_markdown());
    let mut t = TextTable::new(["figure", "wall time (s)", "route"]);
    for f in &report.figures {
        t.row([
            f.id.clone(),
            format!("{:.2}", f.seconds),
            if f.routes.is_empty() {
                "—".to_string()
            } else {
                f.routes.join("; ")
            },
        ]);
    }
    s.push_str(&t.render_markdown());
    let mut extra = false;
    for f in &report.figures {
        if !extra && is_extra(f) {
            extra = true;
            let _ = writeln!(s, "\n# Beyond the paper\n\n{EXTRA_TEXT}");
        }
        figure_md(&mut s, f);
    }
    s
}

/// What the report says before the figures that are not the paper's.
const EXTRA_TEXT: &str = "The figures below are not in arXiv 2504.18207: they check the companion paper's prediction (arXiv 2503.10587) on the same designs, with claims of their own.";

/// Whether a figure is not one of the paper's (the extra `penalty`).
fn is_extra(f: &FigureOutput) -> bool {
    super::Experiment::ALL
        .iter()
        .any(|e| e.id() == f.id && !e.is_paper())
}

fn figure_md(s: &mut String, f: &FigureOutput) {
    let _ = writeln!(s, "\n## {}\n", f.title);
    let _ = writeln!(s, "{}\n", f.description);
    for p in &f.plots {
        let svg = Path::new(p).with_extension("svg");
        let _ = writeln!(s, "![{}]({p})\n", f.id);
        let _ = writeln!(s, "([SVG]({}))\n", svg.display());
    }
    for r in &f.routes {
        let _ = writeln!(s, "- route: {r}");
    }
    if !f.routes.is_empty() {
        let _ = writeln!(s);
    }
    for c in &f.claims {
        claim_md(s, c);
    }
    if !f.notes.is_empty() {
        let _ = writeln!(s, "Notes:\n");
        for n in &f.notes {
            let _ = writeln!(s, "- {n}");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "Data: {}\n",
        f.data_files
            .iter()
            .map(|d| format!("[`{d}`]({d})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "<details><summary>configuration ({:.2} s)</summary>\n\n```json\n{}\n```\n</details>",
        f.seconds,
        serde_json::to_string_pretty(&f.config).unwrap_or_default()
    );
}

fn claim_md(s: &mut String, c: &Claim) {
    let _ = writeln!(
        s,
        "- **{}** `{}` ({}) — {}\n  - criterion: {}\n  - measured: {}",
        if c.passed { "pass" } else { "FAIL" },
        c.id,
        kind_label(c.kind),
        c.statement,
        c.criterion,
        c.measured
    );
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Standard base64 (RFC 4648) with padding.
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

const CSS: &str = "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:14px}\
th{background:#f3f3f3}.pass{color:#176d1b;font-weight:bold}.fail{color:#b00020;font-weight:bold}\
.hard{background:#eef4ff}.obs{background:#fffbea}img{max-width:100%;border:1px solid #eee}\
code,pre{background:#f6f6f6}pre{padding:8px;overflow-x:auto;font-size:12px}.claim{margin:.6em 0;padding:.4em .8em;border-left:4px solid #ccc}\
.claim.ok{border-color:#2e7d32}.claim.bad{border-color:#c62828}";

/// The self-contained HTML report (PNG plots inlined from `out`).
pub fn html(report: &Report, out: &Path) -> String {
    let mut s = String::new();
    let (hp, hf) = tally(report, ClaimKind::Hard);
    let (op, of) = tally(report, ClaimKind::Observation);
    let _ = write!(
        s,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>gdshrink reproduce — report</title><style>{CSS}</style></head><body>"
    );
    let _ = write!(s, "<h1>gdshrink reproduce — report</h1>");
    let _ = write!(
        s,
        "<p>Evidence for <i>Gradient Descent as a Shrinkage Operator for Spectral Bias</i> (arXiv 2504.18207), regenerated and checked by numbers.</p><ul><li>command: <code>{}</code></li><li>size preset: <code>{:?}</code></li><li>engine: {}</li><li>threads: {}</li><li>total wall time: {:.1} s</li></ul>",
        esc(&report.command),
        report.size,
        esc(&report.engine),
        report.threads,
        report.seconds
    );
    let _ = write!(
        s,
        "<h2>Summary</h2><table><tr><th>claims</th><th>pass</th><th>fail</th></tr><tr class=\"hard\"><td>hard (must hold)</td><td>{hp}</td><td>{hf}</td></tr><tr class=\"obs\"><td>observations (reported)</td><td>{op}</td><td>{of}</td></tr></table>"
    );
    let failed = report.failed_hard();
    if failed.is_empty() {
        let _ = write!(s, "<p class=\"pass\">Every hard claim holds.</p>");
    } else {
        let _ = write!(
            s,
            "<p class=\"fail\">Failed hard claims: {}</p>",
            failed
                .iter()
                .map(|c| esc(&c.id))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let _ = write!(
        s,
        "<p><b>Hard</b> claims are facts the engine must reproduce (the command exits non-zero if one fails). <b>Observations</b> are the paper's empirical statements, checked against the stated criterion and reported with their numbers whether they hold or not.</p>"
    );
    let _ = write!(
        s,
        "<table><tr><th>claim</th><th>kind</th><th>result</th><th>measured</th></tr>"
    );
    for c in report.claims() {
        let _ = write!(
            s,
            "<tr class=\"{}\"><td><a href=\"#{}\"><code>{}</code></a></td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            if c.kind == ClaimKind::Hard {
                "hard"
            } else {
                "obs"
            },
            esc(&c.id),
            esc(&c.id),
            kind_label(c.kind),
            if c.passed { "pass" } else { "fail" },
            if c.passed { "pass" } else { "FAIL" },
            esc(&c.measured)
        );
    }
    let _ = write!(
        s,
        "</table><table><tr><th>figure</th><th>wall time (s)</th></tr>"
    );
    for f in &report.figures {
        let _ = write!(
            s,
            "<tr><td><a href=\"#{}\">{}</a></td><td>{:.2}</td></tr>",
            f.id, f.id, f.seconds
        );
    }
    let _ = write!(s, "</table>");
    let mut extra = false;
    for f in &report.figures {
        if !extra && is_extra(f) {
            extra = true;
            let _ = write!(s, "<h1>Beyond the paper</h1><p>{}</p>", esc(EXTRA_TEXT));
        }
        figure_html(&mut s, f, out);
    }
    let _ = writeln!(s, "</body></html>");
    s
}

/// One figure's section of the HTML report: title, description, plots
/// (inlined from `out`), claims, notes, data files and configuration.
fn figure_html(s: &mut String, f: &FigureOutput, out: &Path) {
    let _ = write!(
        s,
        "<h2 id=\"{}\">{}</h2><p>{}</p>",
        f.id,
        esc(&f.title),
        esc(&f.description)
    );
    for p in &f.plots {
        match std::fs::read(out.join(p)) {
            Ok(bytes) => {
                let _ = write!(
                    s,
                    "<p><img alt=\"{}\" src=\"data:image/png;base64,{}\"></p>",
                    esc(p),
                    base64(&bytes)
                );
            }
            Err(_) => {
                let _ = write!(s, "<p>(plot {} missing)</p>", esc(p));
            }
        }
    }
    if !f.routes.is_empty() {
        let _ = write!(s, "<ul>");
        for r in &f.routes {
            let _ = write!(s, "<li>route: {}</li>", esc(r));
        }
        let _ = write!(s, "</ul>");
    }
    for c in &f.claims {
        let _ = write!(
            s,
            "<div class=\"claim {}\" id=\"{}\"><span class=\"{}\">{}</span> <code>{}</code> ({})<br>{}<br><i>criterion:</i> {}<br><i>measured:</i> {}</div>",
            if c.passed { "ok" } else { "bad" },
            esc(&c.id),
            if c.passed { "pass" } else { "fail" },
            if c.passed { "pass" } else { "FAIL" },
            esc(&c.id),
            kind_label(c.kind),
            esc(&c.statement),
            esc(&c.criterion),
            esc(&c.measured)
        );
    }
    if !f.notes.is_empty() {
        let _ = write!(s, "<p>Notes:</p><ul>");
        for n in &f.notes {
            let _ = write!(s, "<li>{}</li>", esc(n));
        }
        let _ = write!(s, "</ul>");
    }
    let _ = write!(
        s,
        "<p>Data: {}</p><details><summary>configuration ({:.2} s)</summary><pre>{}</pre></details>",
        f.data_files
            .iter()
            .map(|d| format!("<code>{}</code>", esc(d)))
            .collect::<Vec<_>>()
            .join(", "),
        f.seconds,
        esc(&serde_json::to_string_pretty(&f.config).unwrap_or_default())
    );
}

/// Writes `report.md`, `report.html` and `claims.json` into `out`, committed
/// together (all three or none); returns their paths.
pub fn write(report: &Report, out: &Path) -> Result<Vec<std::path::PathBuf>> {
    use std::io::Write as _;
    let md = out.join("report.md");
    let ht = out.join("report.html");
    let js = out.join("claims.json");
    let text = serde_json::to_string_pretty(&claims_json(report))
        .map_err(|e| Error::format(&js, format!("cannot serialise the claims: {e}")))?;
    let mut staged = crate::output::atomic::Staged::new();
    staged.add(&md, |w| w.write_all(markdown(report).as_bytes()))?;
    staged.add(&ht, |w| w.write_all(html(report, out).as_bytes()))?;
    staged.add(&js, |w| w.write_all(text.as_bytes()))?;
    staged.commit()?;
    Ok(vec![md, ht, js])
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_vectors() {
        assert_eq!(super::base64(b""), "");
        assert_eq!(super::base64(b"f"), "Zg==");
        assert_eq!(super::base64(b"fo"), "Zm8=");
        assert_eq!(super::base64(b"foo"), "Zm9v");
        assert_eq!(super::base64(b"foobar"), "Zm9vYmFy");
    }
}
