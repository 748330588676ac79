//! The library's errors as Python exceptions, with the library's message.
//!
//! * bad input (a parameter, an activation, a non-finite value, a length, an
//!   unstable α, a malformed file) → `ValueError`;
//! * a request that cannot fit (host memory, GPU memory, a device limit) → `MemoryError`;
//! * a file that cannot be read or written → `OSError`;
//! * an interrupted run → `KeyboardInterrupt` (raised by the signal check itself);
//! * everything else (a diverged run, the SVD, the GPU device) → `RuntimeError`.

use gdshrink::Error;
use gdshrink::gpu::GpuError;
use pyo3::PyErr;
use pyo3::exceptions::{
    PyKeyboardInterrupt, PyMemoryError, PyOSError, PyRuntimeError, PyValueError,
};

/// The Python exception for a library error.
pub(crate) fn to_py(e: &Error) -> PyErr {
    let msg = e.to_string();
    match e {
        Error::InvalidParameter { .. }
        | Error::UnknownActivation { .. }
        | Error::NonFiniteInput { .. }
        | Error::LengthMismatch { .. }
        | Error::UnstableLearningRate { .. }
        | Error::Format { .. } => PyValueError::new_err(msg),
        Error::TooLarge { .. }
        | Error::Gpu(GpuError::OutOfMemory { .. } | GpuError::TooLarge { .. }) => {
            PyMemoryError::new_err(msg)
        }
        Error::Io { .. } => PyOSError::new_err(msg),
        Error::Interrupted { .. } => PyKeyboardInterrupt::new_err(msg),
        _ => PyRuntimeError::new_err(msg),
    }
}

/// `Result<T, gdshrink::Error>` → `PyResult<T>`.
pub(crate) trait IntoPy<T> {
    /// Maps the error with [`to_py`].
    fn py(self) -> pyo3::PyResult<T>;
}

impl<T> IntoPy<T> for Result<T, Error> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(|e| to_py(&e))
    }
}
