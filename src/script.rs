//! Rhai script hooks: `classify`, `prioritise`, `route`, `targets`.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::compile::{Inner, RouteTarget, Targets};
use crate::diagnostics::Sink;
use crate::model::{Model, ScriptsDef};
use crate::ticket::{Ticket, TicketError};

/// Compiled scripts of a policy.
pub(crate) struct Scripts {}

type Trace = Option<Vec<String>>;

impl Scripts {
    pub(crate) fn compile(def: &ScriptsDef, _model: &Model, sink: &mut Sink) -> Option<Scripts> {
        sink.error(&def.path.span, "scripts are not supported yet");
        None
    }

    pub(crate) fn classify(
        &self,
        _inner: &Inner,
        _ticket: &Ticket,
        _now: DateTime<Utc>,
        _trace: &mut Trace,
    ) -> Result<Option<Arc<str>>, TicketError> {
        Ok(None)
    }

    pub(crate) fn prioritise(
        &self,
        _inner: &Inner,
        _ticket: &Ticket,
        _category: &str,
        _priority: usize,
        _now: DateTime<Utc>,
        _trace: &mut Trace,
    ) -> Result<Option<usize>, TicketError> {
        Ok(None)
    }

    pub(crate) fn route(
        &self,
        _inner: &Inner,
        _ticket: &Ticket,
        _category: &str,
        _priority: &str,
        _now: DateTime<Utc>,
        _trace: &mut Trace,
    ) -> Result<Option<RouteTarget>, TicketError> {
        Ok(None)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn targets(
        &self,
        _inner: &Inner,
        _ticket: &Ticket,
        _category: &str,
        _priority: &str,
        _current: Option<&Targets>,
        _now: DateTime<Utc>,
        _trace: &mut Trace,
    ) -> Result<Option<Targets>, TicketError> {
        Ok(None)
    }
}
