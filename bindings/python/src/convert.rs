//! Python objects in and out: tickets from dicts or JSON strings, decisions and reports to
//! dicts.

use aftercare::{Limits, Ticket, TicketError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyMapping, PyString};
use serde::Serialize;

use crate::pyserde::{with_str, Strings};
use crate::tape::{read_py, Tape, TapeReader};

/// One item given as a ticket. Dicts and texts are copied onto a [`Tape`] that the items of
/// a round share: one growing buffer instead of allocations per ticket.
pub(crate) enum Input {
    /// A dict, copied onto the tape with the GIL held (the step it starts at); read into a
    /// ticket later, off the GIL in batches.
    Dict(usize),
    /// A JSON string, copied into the tape's text; parsed later, off the GIL in batches.
    Json((u32, u32)),
    /// A dict that is not a valid ticket.
    Bad(TicketError),
    /// Not a ticket at all (neither a dict nor a string, or text that is not Unicode): why.
    NotATicket(String),
}

impl Input {
    /// Reads `obj` onto `tape`: a dict (or any mapping) is copied as it is, with no JSON in
    /// between; a string is kept as JSON text.
    pub(crate) fn read(obj: &Bound<'_, PyAny>, tape: &mut Tape) -> Input {
        if obj.is_instance_of::<PyDict>() || obj.cast::<PyMapping>().is_ok() {
            match read_py(obj, tape) {
                Ok(at) => Input::Dict(at),
                Err(e) => {
                    let mut e = TicketError::unreadable(format!("invalid ticket: {e}"));
                    e.ticket = id_of(obj);
                    Input::Bad(e)
                }
            }
        } else if let Ok(s) = obj.cast::<PyString>() {
            // Copied straight from the string's UTF-8 (no bytes object in between).
            match with_str(s, |text| tape.push_text(text)) {
                Ok(Ok(range)) => Input::Json(range),
                Ok(Err(e)) => Input::NotATicket(e.to_string()),
                Err(_) => {
                    Input::NotATicket("the ticket's JSON text is not valid Unicode".to_string())
                }
            }
        } else {
            Input::NotATicket(format!(
                "a ticket must be a dict or a JSON string, not {}",
                type_name(obj)
            ))
        }
    }

    /// The ticket, or why there is none, from the `tape` it was read onto. Needs no GIL:
    /// batches call it on all cores.
    pub(crate) fn ticket(&self, tape: &Tape, limits: &Limits) -> Result<Ticket, Failure> {
        match self {
            Input::Dict(at) => {
                match Ticket::from_deserializer(&mut TapeReader::new(tape, *at), limits) {
                    Ok(t) => Ok(t),
                    Err(mut e) => {
                        if e.ticket.is_none() {
                            e.ticket = tape.top_level_id(*at);
                        }
                        Err(Failure::Ticket(e))
                    }
                }
            }
            Input::Json(range) => {
                Ticket::from_json_with_limits(tape.text(*range), limits).map_err(Failure::Ticket)
            }
            Input::Bad(e) => Err(Failure::Ticket(e.clone())),
            Input::NotATicket(why) => Err(Failure::NotATicket(why.clone())),
        }
    }
}

/// Why an item has no decision.
pub(crate) enum Failure {
    /// The library's own error for the ticket.
    Ticket(TicketError),
    /// Not a ticket at all.
    NotATicket(String),
}

/// The id of a ticket dict whose reading failed, when it is a string or an integer.
fn id_of(obj: &Bound<'_, PyAny>) -> Option<String> {
    let id = obj.get_item("id").ok()?;
    if let Ok(s) = id.cast::<PyString>() {
        let s = s.to_cow().ok()?;
        (!s.trim().is_empty()).then(|| s.into_owned())
    } else if id.is_instance_of::<PyInt>() && !id.is_instance_of::<PyBool>() {
        id.str().ok()?.to_cow().ok().map(|s| s.into_owned())
    } else {
        None
    }
}

/// The name of `obj`'s type, for messages.
pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .and_then(|n| n.to_cow().map(|s| s.into_owned()))
        .unwrap_or_else(|_| "an unknown type".to_string())
}

/// A value as Python objects, the way its JSON would be loaded.
pub(crate) fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    Tape::of(value)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?
        .to_py(py, &Strings::none())
}

/// `{"ticket": ID, "error": "…"}`, as `aftercare eval` prints it.
pub(crate) fn error_to_py<'py>(
    py: Python<'py>,
    ticket: Option<&str>,
    message: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    d.set_item(pyo3::intern!(py, "ticket"), ticket)?;
    d.set_item(pyo3::intern!(py, "error"), message)?;
    Ok(d.into_any())
}

/// JSON text loaded by Python's `json` module.
pub(crate) fn json_to_py<'py>(py: Python<'py>, json: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import(pyo3::intern!(py, "json"))?
        .call_method1(pyo3::intern!(py, "loads"), (json,))
}

/// Pauses Python's cyclic garbage collector while a batch of results is built, and restores
/// it after. Each decision is a handful of new dicts and lists; with the collector on, a
/// batch of them triggers collections that walk the whole growing result again and again
/// (measured: about a fifth of `evaluate_many`'s time). Nothing built here forms a cycle,
/// and no Python code runs meanwhile (the GIL is held throughout).
pub(crate) struct GcPause<'py> {
    gc: Option<Bound<'py, PyModule>>,
}

impl<'py> GcPause<'py> {
    pub(crate) fn new(py: Python<'py>) -> PyResult<Self> {
        let gc = py.import(pyo3::intern!(py, "gc"))?;
        let enabled: bool = gc.call_method0(pyo3::intern!(py, "isenabled"))?.extract()?;
        if !enabled {
            return Ok(GcPause { gc: None });
        }
        gc.call_method0(pyo3::intern!(py, "disable"))?;
        Ok(GcPause { gc: Some(gc) })
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(gc) = &self.gc {
            let py = gc.py();
            if let Err(e) = gc.call_method0(pyo3::intern!(py, "enable")) {
                e.restore(py);
            }
        }
    }
}
