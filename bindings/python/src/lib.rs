//! `aftercare._aftercare`: the Python module over the aftercare library. A thin shell: every
//! decision, error and report comes from the library's public API; this file only converts
//! Python objects in and out and releases the GIL around the work.

use std::path::PathBuf;

use aftercare::{EvalOptions, TicketError as RustTicketError};
use chrono::{DateTime, Utc};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

mod batch;
mod convert;
mod pyserde;
mod tape;

use convert::{json_to_py, to_py, Failure, Input};

pyo3::create_exception!(
    _aftercare,
    PolicyError,
    PyValueError,
    "A policy (or a file of test cases) that could not be loaded.\n\n\
     `diagnostics` lists every problem found, each with `file`, `line`, `column`, `severity`, \
     `message` and `hint`; `str(e)` gives one `FILE:LINE:COL: error: message` line per problem."
);
pyo3::create_exception!(
    _aftercare,
    TicketError,
    PyValueError,
    "A ticket that could not be read or evaluated.\n\n\
     `ticket` holds its id when it could be read, `message` what is wrong. No message ever \
     quotes personal data."
);

/// One problem found in a policy or a file of test cases.
#[pyclass(frozen, module = "aftercare", get_all)]
#[derive(Clone)]
struct Diagnostic {
    /// The file, as it was named when loading.
    file: String,
    /// 1-based line.
    line: usize,
    /// 1-based column, counted in characters.
    column: usize,
    /// `"error"` or `"warning"`.
    severity: &'static str,
    /// A stable code for the kind of problem, for programs.
    code: &'static str,
    /// What is wrong.
    message: String,
    /// What to do about it, or None.
    hint: Option<String>,
    /// The offending text (at most one line).
    text: String,
}

#[pymethods]
impl Diagnostic {
    /// The diagnostic as a plain dict with the same keys.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("file", &self.file)?;
        d.set_item("line", self.line)?;
        d.set_item("column", self.column)?;
        d.set_item("severity", self.severity)?;
        d.set_item("code", self.code)?;
        d.set_item("message", &self.message)?;
        d.set_item("hint", &self.hint)?;
        d.set_item("text", &self.text)?;
        Ok(d)
    }

    fn __str__(&self) -> String {
        format!(
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.severity, self.message
        )
    }

    fn __repr__(&self) -> String {
        format!(
            "Diagnostic(file={:?}, line={}, column={}, severity={:?}, message={:?}, hint={})",
            self.file,
            self.line,
            self.column,
            self.severity,
            self.message,
            self.hint
                .as_ref()
                .map_or("None".to_string(), |h| format!("{h:?}"))
        )
    }
}

impl From<&aftercare::Diagnostic> for Diagnostic {
    fn from(d: &aftercare::Diagnostic) -> Self {
        Diagnostic {
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            severity: match d.severity {
                aftercare::Severity::Error => "error",
                aftercare::Severity::Warning => "warning",
            },
            code: d.code,
            message: d.message.clone(),
            hint: d.hint.clone(),
            text: d.text.clone(),
        }
    }
}

/// `PolicyError(str)` with `.diagnostics` set.
fn policy_error(py: Python<'_>, text: String, diagnostics: &[aftercare::Diagnostic]) -> PyErr {
    let err = PolicyError::new_err(text);
    let list: Vec<Diagnostic> = diagnostics.iter().map(Diagnostic::from).collect();
    if let Err(e) = err.value(py).setattr("diagnostics", list) {
        return e;
    }
    err
}

/// `TicketError(str)` with `.ticket` and `.message` set.
fn ticket_error(py: Python<'_>, e: &RustTicketError) -> PyErr {
    let err = TicketError::new_err(e.to_string());
    let value = err.value(py);
    if let Err(e) = value
        .setattr("ticket", e.ticket.as_deref())
        .and_then(|()| value.setattr("message", &e.message))
    {
        return e;
    }
    err
}

/// `now` as an aware `datetime` or an RFC 3339 string.
fn parse_now(now: &Bound<'_, PyAny>) -> PyResult<DateTime<Utc>> {
    let text = if let Ok(s) = now.cast::<PyString>() {
        s.to_cow()?.into_owned()
    } else if now.hasattr(pyo3::intern!(now.py(), "utcoffset"))? {
        if now.call_method0("utcoffset")?.is_none() {
            return Err(PyValueError::new_err(
                "`now` is a naive datetime: give it a time zone, e.g. \
                 datetime.now(timezone.utc) or dt.replace(tzinfo=ZoneInfo(\"Asia/Shanghai\"))",
            ));
        }
        now.call_method0("isoformat")?.extract::<String>()?
    } else {
        return Err(PyTypeError::new_err(format!(
            "`now` must be an aware datetime or an RFC 3339 string, not {}",
            now.get_type().name()?
        )));
    };
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            PyValueError::new_err(format!(
                "`now` is not an RFC 3339 instant with an offset ({e}): {text:?}"
            ))
        })
}

/// A loaded policy: immutable, safe to share between threads.
///
/// Load it once with `Policy.from_path` or `Policy.from_toml`, then evaluate any number of
/// tickets with it, from any number of threads.
#[pyclass(frozen, module = "aftercare")]
struct Policy {
    inner: aftercare::Policy,
}

impl Policy {
    /// A ticket from a dict (or mapping) or a JSON string; a type error for anything else.
    fn ticket(&self, py: Python<'_>, ticket: &Bound<'_, PyAny>) -> PyResult<aftercare::Ticket> {
        let mut tape = tape::Tape::default();
        let input = Input::read(ticket, &mut tape);
        match input.ticket(&tape, self.inner.limits()) {
            Ok(t) => Ok(t),
            Err(Failure::Ticket(e)) => Err(ticket_error(py, &e)),
            Err(Failure::NotATicket(why)) => Err(PyTypeError::new_err(why)),
        }
    }
}

#[pymethods]
impl Policy {
    /// Loads and validates the policy file at `path`, with the files it includes.
    ///
    /// Raises `PolicyError` with every problem found.
    #[staticmethod]
    fn from_path(py: Python<'_>, path: PathBuf) -> PyResult<Policy> {
        let loaded = py.detach(|| aftercare::Policy::from_path(&path));
        match loaded {
            Ok(inner) => Ok(Policy { inner }),
            Err(e) => Err(policy_error(py, e.to_string(), e.diagnostics())),
        }
    }

    /// Loads and validates a policy from TOML text. Includes and script paths are resolved
    /// against the current directory.
    ///
    /// Raises `PolicyError` with every problem found.
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: String) -> PyResult<Policy> {
        let loaded = py.detach(|| aftercare::Policy::from_toml(&text));
        match loaded {
            Ok(inner) => Ok(Policy { inner }),
            Err(e) => Err(policy_error(py, e.to_string(), e.diagnostics())),
        }
    }

    /// `[policy] name`.
    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    /// `[policy] version`.
    #[getter]
    fn version(&self) -> &str {
        self.inner.version()
    }

    /// The warnings found while loading (a list of `Diagnostic`).
    #[getter]
    fn warnings(&self) -> Vec<Diagnostic> {
        self.inner.warnings().iter().map(Diagnostic::from).collect()
    }

    /// Decides what happens to `ticket` as of `now`.
    ///
    /// `ticket` is a dict shaped like the ticket JSON, or that JSON as a string; `now` an
    /// aware `datetime` or an RFC 3339 string. Returns a dict shaped exactly like the decision
    /// JSON that `aftercare eval` prints. Raises `TicketError` for a ticket that cannot be read
    /// or evaluated.
    #[pyo3(signature = (ticket, now, trace = true))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        ticket: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
        trace: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let now = parse_now(now)?;
        let ticket = self.ticket(py, ticket)?;
        match self
            .inner
            .evaluate_with(&ticket, now, EvalOptions { trace })
        {
            Ok(d) => to_py(py, &d),
            Err(e) => Err(ticket_error(py, &e)),
        }
    }

    /// Only category, priority and route: a dict with `category`, `priority`, `department`,
    /// `team`, `assignee` and `rules` (the rule that decided each).
    fn triage<'py>(
        &self,
        py: Python<'py>,
        ticket: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let now = parse_now(now)?;
        let ticket = self.ticket(py, ticket)?;
        match self.inner.triage(&ticket, now) {
            Ok(t) => to_py(py, &t),
            Err(e) => Err(ticket_error(py, &e)),
        }
    }

    /// Why `ticket` gets its decision: text for a person (`format="text"`, what
    /// `aftercare explain` prints) or a dict (`format="dict"`, its JSON form).
    #[pyo3(signature = (ticket, now, format = "text"))]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        ticket: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
        format: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        if format != "text" && format != "dict" {
            return Err(PyValueError::new_err(format!(
                "format must be \"text\" or \"dict\", not {format:?}"
            )));
        }
        let now = parse_now(now)?;
        let ticket = self.ticket(py, ticket)?;
        let why = match self.inner.explain(&ticket, now) {
            Ok(why) => why,
            Err(e) => return Err(ticket_error(py, &e)),
        };
        if format == "text" {
            Ok(PyString::new(py, &why.to_string()).into_any())
        } else {
            to_py(py, &why)
        }
    }

    /// Evaluates many tickets on all cores, with the GIL released while they are evaluated.
    ///
    /// `tickets` is any iterable of dicts or JSON strings. Returns a list in input order: a
    /// decision dict for each ticket, or `{"ticket": ID, "error": "..."}` for one that cannot
    /// be read or evaluated (as `aftercare eval` prints it). A bad ticket never raises.
    ///
    /// With `format="json"` each item is instead that JSON as a string, the line
    /// `aftercare eval` prints: cheaper when the decisions are written out, not read.
    #[pyo3(signature = (tickets, now, trace = false, format = "dict"))]
    fn evaluate_many<'py>(
        &self,
        py: Python<'py>,
        tickets: &Bound<'py, PyAny>,
        now: &Bound<'py, PyAny>,
        trace: bool,
        format: &str,
    ) -> PyResult<Bound<'py, PyList>> {
        let format = match format {
            "dict" => batch::Format::Dict,
            "json" => batch::Format::Json,
            other => {
                return Err(PyValueError::new_err(format!(
                    "format must be \"dict\" or \"json\", not {other:?}"
                )))
            }
        };
        let now = parse_now(now)?;
        batch::evaluate_many(py, &self.inner, tickets, now, EvalOptions { trace }, format)
    }

    fn __repr__(&self) -> String {
        format!(
            "Policy(name={:?}, version={:?})",
            self.inner.name(),
            self.inner.version()
        )
    }
}

/// Runs the policy test cases in the file at `path` against `policy`.
///
/// Returns `{"passed": N, "failed": M, "summary": "N passed, M failed", "cases": [...]}`, each
/// case with `file`, `line`, `name`, `passed` and its `mismatches` (`path`, `line`,
/// `expected`, `actual`, `trace`). Raises `PolicyError` for a cases file that cannot be read.
#[pyfunction]
fn run_cases<'py>(py: Python<'py>, policy: &Policy, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let report = py.detach(|| aftercare::testing::run_cases(&policy.inner, &path));
    let report = match report {
        Ok(r) => r,
        Err(e) => return Err(policy_error(py, e.to_string(), e.diagnostics())),
    };
    let out = PyDict::new(py);
    out.set_item("passed", report.passed())?;
    out.set_item("failed", report.failed())?;
    out.set_item("summary", report.summary())?;
    let cases = PyList::empty(py);
    for r in &report.results {
        let case = PyDict::new(py);
        case.set_item("file", &r.file)?;
        case.set_item("line", r.line)?;
        case.set_item("name", &r.name)?;
        case.set_item("passed", r.passed())?;
        let mismatches = PyList::empty(py);
        for m in &r.mismatches {
            let d = PyDict::new(py);
            d.set_item("path", &m.path)?;
            d.set_item("line", m.line)?;
            d.set_item("expected", &m.expected)?;
            d.set_item("actual", &m.actual)?;
            d.set_item("trace", &m.trace)?;
            mismatches.append(d)?;
        }
        case.set_item("mismatches", mismatches)?;
        cases.append(case)?;
    }
    out.set_item("cases", cases)?;
    Ok(out)
}

/// What changing the policy from `old` to `new` would do to `tickets` as of `now`: the JSON
/// of `aftercare diff --format json` as a dict. Tickets that cannot be read count in
/// `errors`.
#[pyfunction]
fn diff<'py>(
    py: Python<'py>,
    old: &Policy,
    new: &Policy,
    tickets: &Bound<'py, PyAny>,
    now: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let now = parse_now(now)?;
    let (tickets, unreadable) = batch::read_tickets(py, tickets, old.inner.limits())?;
    let mut report = py.detach(|| aftercare::diff::diff(&old.inner, &new.inner, &tickets, now));
    report.tickets += unreadable;
    report.errors += unreadable;
    to_py(py, &report)
}

/// The service report over `tickets` as of `now`, by `"month"` or `"week"`: the JSON of
/// `aftercare report --format json` as a dict. Tickets that cannot be read count as errors.
#[pyfunction]
#[pyo3(signature = (policy, tickets, now, by = "month"))]
fn report<'py>(
    py: Python<'py>,
    policy: &Policy,
    tickets: &Bound<'py, PyAny>,
    now: &Bound<'py, PyAny>,
    by: &str,
) -> PyResult<Bound<'py, PyAny>> {
    use aftercare::report::{Granularity, ReportBuilder};
    let by = match by {
        "month" => Granularity::Month,
        "week" => Granularity::Week,
        other => {
            return Err(PyValueError::new_err(format!(
                "by must be \"month\" or \"week\", not {other:?}"
            )))
        }
    };
    let now = parse_now(now)?;
    let (tickets, unreadable) = batch::read_tickets(py, tickets, policy.inner.limits())?;
    let json = py.detach(|| {
        let mut builder = ReportBuilder::new(&policy.inner, now, by);
        builder.add_tickets(&tickets);
        for _ in 0..unreadable {
            builder.add_error();
        }
        builder.finish().to_json()
    });
    json_to_py(py, &json)
}

/// The Python module.
#[pymodule]
fn _aftercare(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Policy>()?;
    m.add_class::<Diagnostic>()?;
    m.add("PolicyError", py.get_type::<PolicyError>())?;
    m.add("TicketError", py.get_type::<TicketError>())?;
    m.add_function(wrap_pyfunction!(run_cases, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(report, m)?)?;
    m.add_class::<batch::ReadTickets>()?;
    m.add_function(wrap_pyfunction!(batch::read_for_bench, m)?)?;
    m.add_function(wrap_pyfunction!(batch::rust_batch, m)?)?;
    Ok(())
}
