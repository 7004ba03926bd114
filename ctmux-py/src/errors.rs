//! The one place where [`ctmux_core::ErrorKind`] becomes a Python exception.
//!
//! The hierarchy, created once at import and exported from `ctmux._ctmux` (and re-exported by
//! `ctmux.exceptions`):
//!
//! ```text
//! CtmuxError(Exception)
//! ├── NotFoundError(CtmuxError, LookupError)
//! ├── AlreadyExistsError(CtmuxError)
//! ├── InvalidInputError(CtmuxError, ValueError)
//! ├── TimeoutError(CtmuxError, builtins.TimeoutError)   + .partial_output
//! ├── BusyError(CtmuxError)
//! ├── ServerUnavailableError(CtmuxError, ConnectionError)
//! ├── PermissionDeniedError(CtmuxError, PermissionError)
//! ├── CorruptError(CtmuxError)
//! ├── UnsupportedError(CtmuxError)
//! ├── IoError(CtmuxError, OSError)
//! └── TmuxError(CtmuxError)
//! ```
//!
//! Every instance carries `.kind`, the [`ErrorKind`] name (`"NotFound"`, ...). A kind this
//! binding does not know yet (the enum is `#[non_exhaustive]`) raises a plain `CtmuxError`
//! with that kind's name.

use ctmux_core::{Error, ErrorKind};
use pyo3::exceptions::{
    PyConnectionError, PyException, PyLookupError, PyOSError, PyPermissionError, PyTimeoutError,
    PyValueError,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};
use std::collections::HashMap;

/// Name of the root exception class.
const ROOT: &str = "CtmuxError";

/// The Python class name raised for `kind`.
fn class_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "NotFoundError",
        ErrorKind::AlreadyExists => "AlreadyExistsError",
        ErrorKind::InvalidInput => "InvalidInputError",
        ErrorKind::Timeout => "TimeoutError",
        ErrorKind::Busy => "BusyError",
        ErrorKind::ServerUnavailable => "ServerUnavailableError",
        ErrorKind::PermissionDenied => "PermissionDeniedError",
        ErrorKind::Corrupt => "CorruptError",
        ErrorKind::Unsupported => "UnsupportedError",
        ErrorKind::Io => "IoError",
        ErrorKind::Tmux => "TmuxError",
        _ => ROOT,
    }
}

/// The builtin exception that `kind`'s class also subclasses, if any.
fn builtin_base(py: Python<'_>, kind: ErrorKind) -> Option<Bound<'_, PyType>> {
    let base = match kind {
        ErrorKind::NotFound => py.get_type::<PyLookupError>(),
        ErrorKind::InvalidInput => py.get_type::<PyValueError>(),
        ErrorKind::Timeout => py.get_type::<PyTimeoutError>(),
        ErrorKind::ServerUnavailable => py.get_type::<PyConnectionError>(),
        ErrorKind::PermissionDenied => py.get_type::<PyPermissionError>(),
        ErrorKind::Io => py.get_type::<PyOSError>(),
        _ => return None,
    };
    Some(base)
}

/// The exception classes by name, created once by [`register`].
static CLASSES: PyOnceLock<HashMap<&'static str, Py<PyType>>> = PyOnceLock::new();

/// `type(name, bases, {...})` with the attributes every ctmux exception has.
fn new_class<'py>(
    py: Python<'py>,
    name: &str,
    bases: Bound<'py, PyTuple>,
    kind: Option<&str>,
    doc: &str,
) -> PyResult<Bound<'py, PyType>> {
    let dict = PyDict::new(py);
    dict.set_item("__module__", "ctmux")?;
    dict.set_item("__doc__", doc)?;
    dict.set_item("kind", kind)?;
    if kind == Some(ErrorKind::Timeout.as_str()) {
        dict.set_item("partial_output", py.None())?;
    }
    let class = py
        .get_type::<PyType>()
        .call1((name, bases, dict))?
        .cast_into::<PyType>()?;
    Ok(class)
}

fn create_classes(py: Python<'_>) -> PyResult<HashMap<&'static str, Py<PyType>>> {
    let mut classes = HashMap::new();
    let root = new_class(
        py,
        ROOT,
        PyTuple::new(py, [py.get_type::<PyException>()])?,
        None,
        "Root of every ctmux error. `.kind` names the ctmux ErrorKind (\"NotFound\", ...).",
    )?;
    for kind in ErrorKind::ALL {
        let name = class_name(kind);
        if name == ROOT {
            continue;
        }
        let mut bases = vec![root.clone()];
        bases.extend(builtin_base(py, kind));
        let doc = format!("ctmux error of kind {kind:?}.");
        let class = new_class(
            py,
            name,
            PyTuple::new(py, bases)?,
            Some(kind.as_str()),
            &doc,
        )?;
        classes.insert(name, class.unbind());
    }
    classes.insert(ROOT, root.unbind());
    Ok(classes)
}

/// Create the exception classes and add them to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes = CLASSES.get_or_try_init(py, || create_classes(py))?;
    for (name, class) in classes {
        m.add(*name, class.bind(py))?;
    }
    Ok(())
}

/// The Python exception for a core error: its class by kind, message, `.kind`, and
/// `.partial_output` for timeouts.
pub(crate) fn to_py_err(err: Error) -> PyErr {
    Python::attach(|py| match build(py, &err) {
        Ok(e) => e,
        Err(e) => e,
    })
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let classes = CLASSES.get_or_try_init(py, || create_classes(py))?;
    let kind = err.kind();
    let class = classes
        .get(class_name(kind))
        .or_else(|| classes.get(ROOT))
        .expect("the root class always exists")
        .bind(py);
    let value = class.call1((err.to_string(),))?;
    value.setattr("kind", kind.as_str())?;
    if let Some(partial) = err.partial_output() {
        value.setattr("partial_output", partial)?;
    }
    Ok(PyErr::from_value(value))
}

/// Extension: `result.map_err(to_py_err)` in one call.
pub(crate) trait IntoPyResult<T> {
    /// Map a core error to its Python exception.
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for ctmux_core::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py_err)
    }
}
