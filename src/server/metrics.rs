//! `GET /metrics`: counters kept in atomics and written in the Prometheus text format.
//!
//! Written by hand: a dozen fixed series do not need a metrics crate, and fixed arrays of
//! atomics cost a few uncontended additions per request. Labels hold only route patterns,
//! error kinds, reload triggers and the policy's name and version, never anything from a
//! ticket.

use std::fmt::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::Duration;

use super::ROUTES;
use crate::{Policy, TicketErrorKind};

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The kind of a ticket's error (the library's [`TicketErrorKind`]), for
/// `aftercare_ticket_errors_total{kind}` and the `kind` of error entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketKind(pub TicketErrorKind);

impl TicketKind {
    const NAMES: [&'static str; 7] = [
        "json", "limit", "field", "history", "time", "script", "internal",
    ];

    /// The name in error entries and metrics.
    pub fn name(self) -> &'static str {
        Self::NAMES.get(self.index()).copied().unwrap_or("internal")
    }

    fn index(self) -> usize {
        match self.0 {
            TicketErrorKind::Json => 0,
            TicketErrorKind::Limit => 1,
            TicketErrorKind::Field => 2,
            TicketErrorKind::History => 3,
            TicketErrorKind::Time => 4,
            TicketErrorKind::Script => 5,
            TicketErrorKind::Internal => 6,
        }
    }
}

/// What went wrong with a request, for `aftercare_errors_total{kind}` and the `kind` of
/// error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A request body that is not what the endpoint reads.
    BadBody,
    /// A request body over `--max-body`.
    BodyTooLarge,
    /// A request slower than `--timeout`.
    Timeout,
    /// More requests at once than `--max-concurrency`.
    Overloaded,
    /// A draft or saved policy that does not load.
    InvalidPolicy,
    /// A cases file that does not load.
    InvalidCases,
    /// `PUT /v1/policy` without `--allow-write`.
    WriteForbidden,
    /// The policy file could not be written.
    WriteFailed,
    /// No such route or method.
    NotFound,
    /// Something the service could not do (a file it could not read).
    Internal,
}

impl ErrorKind {
    const ALL: [ErrorKind; 10] = [
        ErrorKind::BadBody,
        ErrorKind::BodyTooLarge,
        ErrorKind::Timeout,
        ErrorKind::Overloaded,
        ErrorKind::InvalidPolicy,
        ErrorKind::InvalidCases,
        ErrorKind::WriteForbidden,
        ErrorKind::WriteFailed,
        ErrorKind::NotFound,
        ErrorKind::Internal,
    ];

    /// The name in error bodies and metrics.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::BadBody => "bad_body",
            ErrorKind::BodyTooLarge => "body_too_large",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Overloaded => "overloaded",
            ErrorKind::InvalidPolicy => "invalid_policy",
            ErrorKind::InvalidCases => "invalid_cases",
            ErrorKind::WriteForbidden => "write_forbidden",
            ErrorKind::WriteFailed => "write_failed",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Internal => "internal",
        }
    }

    fn index(self) -> usize {
        ErrorKind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

/// Which endpoint family decided tickets, for `aftercare_decisions_total{endpoint}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/evaluate`.
    Evaluate,
    /// `/v1/triage`.
    Triage,
    /// `/v1/explain`.
    Explain,
    /// `/v1/test` and `/v1/draft/test` (one per case).
    Test,
    /// `/v1/diff` (one per ticket).
    Diff,
    /// `/v1/draft/evaluate` and `/v1/draft/explain`.
    Draft,
}

impl Endpoint {
    const ALL: [Endpoint; 6] = [
        Endpoint::Evaluate,
        Endpoint::Triage,
        Endpoint::Explain,
        Endpoint::Test,
        Endpoint::Diff,
        Endpoint::Draft,
    ];

    fn name(self) -> &'static str {
        match self {
            Endpoint::Evaluate => "evaluate",
            Endpoint::Triage => "triage",
            Endpoint::Explain => "explain",
            Endpoint::Test => "test",
            Endpoint::Diff => "diff",
            Endpoint::Draft => "draft",
        }
    }

    fn index(self) -> usize {
        Endpoint::ALL.iter().position(|e| *e == self).unwrap_or(0)
    }
}

/// Reload triggers and outcomes, for `aftercare_reloads_total{trigger, outcome}`.
const TRIGGERS: [&str; 3] = ["signal", "watch", "api"];

#[derive(Default)]
struct RouteStats {
    /// Responses by status class: 1xx … 5xx.
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

/// The service's counters (see `docs/server.md` for every series).
pub struct Metrics {
    /// One per route of [`ROUTES`], then one for requests no route matched.
    routes: Vec<RouteStats>,
    decisions: [AtomicU64; Endpoint::ALL.len()],
    errors: [AtomicU64; ErrorKind::ALL.len()],
    ticket_errors: [AtomicU64; TicketKind::NAMES.len()],
    /// `[trigger][ok, failed]`.
    reloads: [[AtomicU64; 2]; TRIGGERS.len()],
    reload_failing: AtomicBool,
    in_flight: AtomicU64,
    policy: RwLock<(String, String, u64)>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            routes: (0..=ROUTES.len()).map(|_| RouteStats::default()).collect(),
            decisions: Default::default(),
            errors: Default::default(),
            ticket_errors: Default::default(),
            reloads: Default::default(),
            reload_failing: AtomicBool::new(false),
            in_flight: AtomicU64::new(0),
            policy: RwLock::new((String::new(), String::new(), 0)),
        }
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// The index of a route in [`ROUTES`], or the last slot for an unmatched request.
    pub(crate) fn route_index(method: &str, path: Option<&str>) -> usize {
        path.and_then(|p| ROUTES.iter().position(|(m, r)| *m == method && *r == p))
            .unwrap_or(ROUTES.len())
    }

    pub(crate) fn request_started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn request_done(&self, route: usize, status: u16, elapsed: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let Some(stats) = self.routes.get(route) else {
            return;
        };
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        if let Some(c) = stats.by_class.get(class) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            if let Some(b) = stats.buckets.get(i) {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        stats.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        stats.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Counts `n` tickets decided by `endpoint`.
    pub(crate) fn decided(&self, endpoint: Endpoint, n: usize) {
        if let Some(c) = self.decisions.get(endpoint.index()) {
            c.fetch_add(n as u64, Ordering::Relaxed);
        }
    }

    /// Counts one error of `kind`.
    pub(crate) fn error(&self, kind: ErrorKind) {
        if let Some(c) = self.errors.get(kind.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts one ticket that could not be decided.
    pub(crate) fn ticket_error(&self, kind: TicketKind) {
        if let Some(c) = self.ticket_errors.get(kind.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records the outcome of a reload.
    pub(crate) fn reloaded(&self, trigger: &str, policy: Result<&Policy, ()>) {
        let t = TRIGGERS.iter().position(|x| *x == trigger).unwrap_or(0);
        let outcome = usize::from(policy.is_err());
        if let Some(c) = self.reloads.get(t).and_then(|r| r.get(outcome)) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.reload_failing
            .store(policy.is_err(), Ordering::Relaxed);
        if let Ok(p) = policy {
            self.policy_loaded(p);
        }
    }

    pub(crate) fn policy_loaded(&self, policy: &Policy) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Ok(mut p) = self.policy.write() {
            *p = (policy.name().to_string(), policy.version().to_string(), now);
        }
    }

    /// Whether the most recent reload failed (the old policy is still serving).
    pub fn reload_failing(&self) -> bool {
        self.reload_failing.load(Ordering::Relaxed)
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);

        out.push_str("# HELP aftercare_decisions_total Tickets decided, by endpoint.\n");
        out.push_str("# TYPE aftercare_decisions_total counter\n");
        for e in Endpoint::ALL {
            let n = self.decisions.get(e.index()).map_or(0, get);
            let _ = writeln!(
                out,
                "aftercare_decisions_total{{endpoint=\"{}\"}} {n}",
                e.name()
            );
        }

        out.push_str(
            "# HELP aftercare_ticket_errors_total Tickets that could not be decided, by kind.\n",
        );
        out.push_str("# TYPE aftercare_ticket_errors_total counter\n");
        for (name, n) in TicketKind::NAMES.iter().zip(&self.ticket_errors) {
            let _ = writeln!(
                out,
                "aftercare_ticket_errors_total{{kind=\"{name}\"}} {}",
                get(n)
            );
        }

        out.push_str("# HELP aftercare_errors_total Failed requests, by kind.\n");
        out.push_str("# TYPE aftercare_errors_total counter\n");
        for k in ErrorKind::ALL {
            let n = self.errors.get(k.index()).map_or(0, get);
            let _ = writeln!(out, "aftercare_errors_total{{kind=\"{}\"}} {n}", k.name());
        }

        out.push_str(
            "# HELP aftercare_http_requests_total HTTP responses, by route and status class.\n",
        );
        out.push_str("# TYPE aftercare_http_requests_total counter\n");
        let label = |i: usize| ROUTES.get(i).map_or(("", "unmatched"), |(m, p)| (*m, *p));
        for (i, r) in self.routes.iter().enumerate() {
            let (method, route) = label(i);
            for (c, n) in r.by_class.iter().enumerate() {
                let n = get(n);
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "aftercare_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{}xx\"}} {n}",
                        c + 1
                    );
                }
            }
        }

        out.push_str(
            "# HELP aftercare_http_request_duration_seconds Time to answer a request, by route.\n",
        );
        out.push_str("# TYPE aftercare_http_request_duration_seconds histogram\n");
        for (i, r) in self.routes.iter().enumerate() {
            let count = get(&r.count);
            if count == 0 {
                continue;
            }
            let (method, route) = label(i);
            let mut cumulative = 0;
            for (b, n) in BUCKETS.iter().zip(&r.buckets) {
                cumulative += get(n);
                let _ = writeln!(
                    out,
                    "aftercare_http_request_duration_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"{b}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "aftercare_http_request_duration_seconds_bucket{{method=\"{method}\",route=\"{route}\",le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "aftercare_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\"}} {}",
                get(&r.sum_micros) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "aftercare_http_request_duration_seconds_count{{method=\"{method}\",route=\"{route}\"}} {count}"
            );
        }

        out.push_str("# HELP aftercare_http_requests_in_flight Requests being answered now.\n");
        out.push_str("# TYPE aftercare_http_requests_in_flight gauge\n");
        let _ = writeln!(
            out,
            "aftercare_http_requests_in_flight {}",
            get(&self.in_flight)
        );

        out.push_str("# HELP aftercare_reloads_total Policy reloads, by trigger and outcome.\n");
        out.push_str("# TYPE aftercare_reloads_total counter\n");
        for (t, counts) in TRIGGERS.iter().zip(&self.reloads) {
            for (outcome, n) in ["ok", "failed"].iter().zip(counts) {
                let _ = writeln!(
                    out,
                    "aftercare_reloads_total{{trigger=\"{t}\",outcome=\"{outcome}\"}} {}",
                    get(n)
                );
            }
        }

        out.push_str("# HELP aftercare_reload_failing 1 when the latest reload failed and the previous policy is still serving.\n");
        out.push_str("# TYPE aftercare_reload_failing gauge\n");
        let _ = writeln!(
            out,
            "aftercare_reload_failing {}",
            u8::from(self.reload_failing())
        );

        let (name, version, at) = self.policy.read().map(|p| p.clone()).unwrap_or_default();
        out.push_str("# HELP aftercare_policy_info The serving policy's name and version.\n");
        out.push_str("# TYPE aftercare_policy_info gauge\n");
        let _ = writeln!(
            out,
            "aftercare_policy_info{{name=\"{}\",version=\"{}\"}} 1",
            escape(&name),
            escape(&version)
        );
        out.push_str("# HELP aftercare_policy_loaded_timestamp_seconds When the serving policy was loaded (Unix time).\n");
        out.push_str("# TYPE aftercare_policy_loaded_timestamp_seconds gauge\n");
        let _ = writeln!(out, "aftercare_policy_loaded_timestamp_seconds {at}");
        out
    }
}

/// A label value in the text format: backslash, quote and newline escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
