//! The library's [`Progress`] for Python: an optional callback
//! `callback(stage, done, total)` and a Ctrl-C check at every report.
//!
//! Engines report every few iterations (CPU) or every chunk (GPU), from code
//! that runs without the GIL; each report attaches to the interpreter briefly,
//! runs the pending signal handlers (`Python::check_signals`) and calls the
//! callback. A raised exception (KeyboardInterrupt from Ctrl-C, or one from the
//! callback) is kept and makes [`Progress::cancelled`] true, so the engine
//! stops at that chunk; [`PyProgress::finish_with`] re-raises it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use gdshrink::gd::Progress;
use pyo3::prelude::*;

/// A callback and the first exception seen.
pub(crate) struct PyProgress {
    callback: Option<Py<PyAny>>,
    stage: Mutex<String>,
    total: AtomicU64,
    stop: AtomicBool,
    error: Mutex<Option<PyErr>>,
}

impl PyProgress {
    /// With `callback` (`None`: signal checks only).
    pub(crate) fn new(callback: Option<Py<PyAny>>) -> Self {
        PyProgress {
            callback,
            stage: Mutex::new(String::new()),
            total: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            error: Mutex::new(None),
        }
    }

    fn report(&self, done: u64) {
        if self.stop.load(Ordering::Relaxed) {
            return;
        }
        let res = Python::attach(|py| -> PyResult<()> {
            py.check_signals()?;
            if let Some(cb) = &self.callback {
                let stage = self.stage.lock().map(|s| s.clone()).unwrap_or_default();
                cb.call1(py, (stage, done, self.total.load(Ordering::Relaxed)))?;
            }
            Ok(())
        });
        if let Err(e) = res {
            self.stop.store(true, Ordering::Relaxed);
            if let Ok(mut slot) = self.error.lock() {
                slot.get_or_insert(e);
            }
        }
    }

    /// The result of a call, with a pending exception (Ctrl-C, the callback's)
    /// taking precedence over the library's `Interrupted`.
    pub(crate) fn finish_with<T>(&self, r: PyResult<T>) -> PyResult<T> {
        let pending = self.error.lock().ok().and_then(|mut e| e.take());
        match (pending, r) {
            (Some(e), _) => Err(e),
            (None, r) => r,
        }
    }
}

impl Progress for PyProgress {
    fn begin(&self, what: &str, total: u64) {
        if let Ok(mut s) = self.stage.lock() {
            what.clone_into(&mut s);
        }
        self.total.store(total, Ordering::Relaxed);
        self.report(0);
    }

    fn set(&self, done: u64) {
        self.report(done);
    }

    fn advance(&self, _n: u64) {
        // Stages counted with `advance` (reproduce) are checked at their `set`
        // and `begin` calls; per-item reports would attach too often.
    }

    fn finish(&self) {
        let total = self.total.load(Ordering::Relaxed);
        self.report(total);
    }

    fn cancelled(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}
