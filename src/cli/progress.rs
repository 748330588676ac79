//! Progress on stderr: bars and spinners drawn only when stderr is a
//! terminal, and [`Bars`], the library's [`Progress`] as one bar per stage.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Duration;

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

/// The library's progress as bars on stderr: one bar per stage, named
/// `<prefix>: <stage>` (drawn only when stderr is a terminal).
pub struct Bars {
    prefix: String,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    /// Bars whose messages start with `prefix` (e.g. the command).
    pub fn new(prefix: &str) -> Self {
        Bars {
            prefix: prefix.to_string(),
            bar: Mutex::new(None),
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
        let message = if self.prefix.is_empty() {
            what.to_string()
        } else {
            format!("{}: {what}", self.prefix)
        };
        if let Ok(mut b) = self.bar.lock() {
            if let Some(old) = b.take() {
                old.finish_and_clear();
            }
            *b = Some(progress_bar(total, &message));
        }
    }

    fn set(&self, done: u64) {
        self.with(|pb| pb.set_position(done));
    }

    fn advance(&self, n: u64) {
        self.with(|pb| pb.inc(n));
    }

    fn finish(&self) {
        if let Ok(mut b) = self.bar.lock()
            && let Some(pb) = b.take()
        {
            pb.finish_and_clear();
        }
    }
}
