//! Argument and result conversions: Python values in, core types out, and back.

use ctmux_core::Error;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::time::Duration;

/// A pane reference as Python gives it: an index (`0`) or text (`"0"`, `"%3"`, a label).
#[derive(FromPyObject)]
pub(crate) enum PaneArg {
    /// An integer; negative ones are refused by the core's parser.
    Index(i64),
    /// Text, parsed by the core.
    Text(String),
}

impl PaneArg {
    /// The text the core's `PaneRef` parser reads.
    pub(crate) fn into_text(self) -> String {
        match self {
            PaneArg::Index(i) => i.to_string(),
            PaneArg::Text(s) => s,
        }
    }
}

/// Seconds (a Python float) as a `Duration`; negative, NaN and infinite are InvalidInput.
pub(crate) fn timeout(seconds: Option<f64>) -> ctmux_core::Result<Option<Duration>> {
    seconds
        .map(|s| {
            Duration::try_from_secs_f64(s).map_err(|_| Error::InvalidInput {
                what: "timeout",
                reason: format!("{s} is not a finite, non-negative number of seconds"),
            })
        })
        .transpose()
}

/// An optional non-negative count that must fit a `u32`, else InvalidInput.
pub(crate) fn count(what: &'static str, value: Option<i64>) -> ctmux_core::Result<Option<u32>> {
    value
        .map(|v| {
            u32::try_from(v).map_err(|_| Error::InvalidInput {
                what,
                reason: format!("{v} is not between 0 and {}", u32::MAX),
            })
        })
        .transpose()
}

/// An optional non-negative size that must fit a `u16`, else InvalidInput.
pub(crate) fn size(what: &'static str, value: Option<i64>) -> ctmux_core::Result<Option<u16>> {
    value
        .map(|v| {
            u16::try_from(v).map_err(|_| Error::InvalidInput {
                what,
                reason: format!("{v} is not between 0 and {}", u16::MAX),
            })
        })
        .transpose()
}

/// A JSON value (from a core struct's `Serialize`) as the matching Python object.
pub(crate) fn json_to_py<'py>(
    py: Python<'py>,
    value: &serde_json::Value,
) -> PyResult<Bound<'py, PyAny>> {
    use serde_json::Value;
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(json_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A serializable core value as a Python object (dicts for structs).
pub(crate) fn to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_value(value).map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!("cannot convert result: {e}"))
    })?;
    json_to_py(py, &json)
}
