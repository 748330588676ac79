//! Progress on stderr: bars and spinners drawn only when stderr is a
//! terminal, and [`Bars`], the library's [`Progress`] as one bar per stage.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use gdshrink::gd::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on stderr with `len` steps, drawn only when stderr is a terminal.
pub fn progress_bar(len: u64, message: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len).with_message(message.to_string());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})")
    {
        pb.set_style(style);
    }
    pb
}

/// A spinner on stderr for work of unknown length, drawn only when stderr is a terminal.
pub fn spinner(message: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner().with_message(message.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// How [`Bars`] draws a stage.
enum Look {
    /// One wide bar named `<prefix>: <stage>`, cleared when the stage ends.
    Line,
    /// `reproduce`'s bars: the figure as prefix (the library announces
    /// `"<figure>: <stage>"`), the stage as message; kept when done.
    Stages,
}

/// A bar for `"<figure>: <stage>"`: the figure as prefix, the stage as message.
fn stage_bar(what: &str, total: u64) -> ProgressBar {
    let (figure, stage) = what.split_once(": ").unwrap_or(("", what));
    let pb = ProgressBar::new(total);
    let style = ProgressStyle::with_template(
        "{prefix:>5} {bar:30.cyan/blue} {pos}/{len} {msg} [{elapsed_precise}]",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    pb.set_style(style);
    pb.set_prefix(figure.to_string());
    pb.set_message(stage.to_string());
    pb.enable_steady_tick(Duration::from_millis(250));
    pb
}

/// Seconds between two plain progress lines when stderr is not a terminal
/// (`GDSHRINK_PROGRESS_SECS`, default 10).
fn line_interval() -> Duration {
    let secs = std::env::var("GDSHRINK_PROGRESS_SECS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(10.0);
    Duration::from_secs_f64(secs)
}

/// A stage reported as plain lines (stderr is not a terminal: batch jobs).
struct Lines {
    what: String,
    total: u64,
    done: u64,
    start: Instant,
    last: Instant,
    every: Duration,
}

impl Lines {
    /// Prints a line when the interval has passed since the last one.
    fn tick(&mut self) {
        let now = Instant::now();
        if now.duration_since(self.last) < self.every {
            return;
        }
        self.last = now;
        let pct = if self.total > 0 {
            format!(" ({:.1} %)", 100.0 * self.done as f64 / self.total as f64)
        } else {
            String::new()
        };
        eprintln!(
            "{}: {}/{}{pct}, {:.0} s elapsed",
            self.what,
            self.done,
            self.total,
            now.duration_since(self.start).as_secs_f64()
        );
    }
}

/// The library's progress as bars on stderr, one bar per stage, when stderr
/// is a terminal; otherwise as plain lines at a steady interval.
pub struct Bars {
    prefix: String,
    look: Look,
    bar: Mutex<Option<ProgressBar>>,
    lines: Mutex<Option<Lines>>,
}

impl Bars {
    /// Bars whose messages start with `prefix` (e.g. the command).
    pub fn new(prefix: &str) -> Self {
        Bars {
            prefix: prefix.to_string(),
            look: Look::Line,
            bar: Mutex::new(None),
            lines: Mutex::new(None),
        }
    }

    /// One bar per stage of a figure, kept on the terminal when done.
    pub fn stages() -> Self {
        Bars {
            prefix: String::new(),
            look: Look::Stages,
            bar: Mutex::new(None),
            lines: Mutex::new(None),
        }
    }

    fn with_lines(&self, f: impl FnOnce(&mut Lines)) {
        if let Ok(mut l) = self.lines.lock()
            && let Some(lines) = l.as_mut()
        {
            f(lines);
        }
    }

    fn with(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(b) = self.bar.lock()
            && let Some(pb) = b.as_ref()
        {
            f(pb);
        }
    }
}

impl Progress for Bars {
    fn begin(&self, what: &str, total: u64) {
        if !std::io::stderr().is_terminal() {
            let now = Instant::now();
            if let Ok(mut l) = self.lines.lock() {
                *l = Some(Lines {
                    what: if self.prefix.is_empty() {
                        what.to_string()
                    } else {
                        format!("{}: {what}", self.prefix)
                    },
                    total,
                    done: 0,
                    start: now,
                    last: now,
                    every: line_interval(),
                });
            }
            return;
        }
        let pb = match self.look {
            Look::Line if self.prefix.is_empty() => progress_bar(total, what),
            Look::Line => progress_bar(total, &format!("{}: {what}", self.prefix)),
            Look::Stages => stage_bar(what, total),
        };
        if let Ok(mut b) = self.bar.lock() {
            if let Some(old) = b.take() {
                old.finish_and_clear();
            }
            *b = Some(pb);
        }
    }

    fn set(&self, done: u64) {
        self.with(|pb| pb.set_position(done));
        self.with_lines(|l| {
            l.done = done;
            l.tick();
        });
    }

    fn advance(&self, n: u64) {
        self.with(|pb| pb.inc(n));
        self.with_lines(|l| {
            l.done = l.done.saturating_add(n);
            l.tick();
        });
    }

    fn finish(&self) {
        if let Ok(mut l) = self.lines.lock() {
            *l = None;
        }
        if let Ok(mut b) = self.bar.lock()
            && let Some(pb) = b.take()
        {
            match self.look {
                Look::Line => pb.finish_and_clear(),
                Look::Stages => pb.finish(),
            }
        }
    }
}
