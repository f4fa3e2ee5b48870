//! `aftercare serve`: the decision service over HTTP (feature `serve`, on in the CLI build).
//!
//! A thin shell over the public library API: a [`PolicyHandle`] holds the serving policy and
//! swaps it on reload; handlers read tickets, call [`Policy`](crate::Policy) and write the
//! same JSON the CLI prints. The HTTP API is described in `docs/server.md` and, for tools, by
//! the OpenAPI document served at `/v1/openapi.json` ([`OPENAPI`]).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use aftercare::server::{App, Config};
//! let config = Config::new("policies/default.toml");
//! let app = App::open(config).map_err(std::io::Error::other)?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! aftercare::server::serve(app, listener, std::future::pending()).await
//! # }
//! ```

mod handlers;
mod input;
mod limits;
mod log;
mod metrics;
mod reload;

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::routing::{get, post, MethodRouter};
use axum::Router;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::{PolicyError, PolicyHandle};

pub use log::LogGuard;
pub use metrics::Metrics;

/// The OpenAPI 3.1 document of the HTTP API (served at `GET /v1/openapi.json`).
pub const OPENAPI: &str = include_str!("openapi.json");

/// The studio page served at `GET /`.
const STUDIO: &str = include_str!("../../studio/dist/studio.html");

/// Every route the service answers, as `(method, path)`; the router is built from the same
/// table, so this list is complete (a test checks it against [`OPENAPI`]).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/v1/openapi.json"),
    ("GET", "/v1/policy"),
    ("PUT", "/v1/policy"),
    ("GET", "/v1/samples"),
    ("POST", "/v1/evaluate"),
    ("POST", "/v1/triage"),
    ("POST", "/v1/explain"),
    ("POST", "/v1/test"),
    ("POST", "/v1/diff"),
    ("POST", "/v1/check"),
    ("POST", "/v1/draft/evaluate"),
    ("POST", "/v1/draft/explain"),
    ("POST", "/v1/draft/test"),
];

/// How the service runs: the policy, what it may do, and its limits.
#[derive(Debug, Clone)]
pub struct Config {
    /// The policy file to serve.
    pub policy: PathBuf,
    /// Reload when a `.toml` or `.rhai` file in the policy's folder changes.
    pub watch: bool,
    /// Let `PUT /v1/policy` replace the policy file (only with a policy that passes check).
    pub allow_write: bool,
    /// Sample tickets (JSON lines) for the studio, served by `GET /v1/samples`.
    pub samples: Option<PathBuf>,
    /// A cases file for the studio, served by `GET /v1/samples`.
    pub cases: Option<PathBuf>,
    /// Largest request body, in bytes; larger ones get 413.
    pub max_body_bytes: usize,
    /// Most requests handled at once; more get 503 at once (with `retry-after`).
    pub max_concurrency: usize,
    /// Longest time for one request; a slower one gets 503.
    pub request_timeout: Duration,
}

impl Config {
    /// The defaults for the policy at `policy`: no watching, no writing, no samples, 16 MiB
    /// bodies, 256 requests at once, 30 s per request.
    pub fn new(policy: impl Into<PathBuf>) -> Config {
        Config {
            policy: policy.into(),
            watch: false,
            allow_write: false,
            samples: None,
            cases: None,
            max_body_bytes: 16 * 1024 * 1024,
            max_concurrency: 256,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The running service's state: the serving policy and what the endpoints share.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("policy", &self.inner.handle.path())
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) handle: Arc<PolicyHandle>,
    /// The text of the policy file as last loaded into service (for `GET /v1/policy`).
    pub(crate) source: RwLock<Arc<str>>,
    pub(crate) metrics: Metrics,
    pub(crate) limiter: Arc<tokio::sync::Semaphore>,
    /// One permit per core, for deciding large bodies on the blocking pool: work waits for a
    /// core rather than piling threads onto busy ones.
    pub(crate) cpu: Arc<tokio::sync::Semaphore>,
    pub(crate) cores: usize,
    /// One `PUT /v1/policy` at a time.
    pub(crate) writing: tokio::sync::Mutex<()>,
    pub(crate) shutting_down: AtomicBool,
}

impl App {
    /// Loads the policy of `config`. Fails with the policy's diagnostics when it does not
    /// load, or with a message when a samples or cases file cannot be read.
    pub fn open(config: Config) -> Result<App, StartError> {
        for path in [&config.samples, &config.cases].into_iter().flatten() {
            if let Err(e) = std::fs::metadata(path) {
                return Err(StartError::Io(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
            }
        }
        let source = std::fs::read_to_string(&config.policy).unwrap_or_default();
        let handle = PolicyHandle::open(&config.policy).map_err(StartError::Policy)?;
        let metrics = Metrics::default();
        metrics.policy_loaded(&handle.policy());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(App {
            inner: Arc::new(Inner {
                cpu: Arc::new(tokio::sync::Semaphore::new(cores)),
                cores,
                limiter: Arc::new(tokio::sync::Semaphore::new(config.max_concurrency.max(1))),
                config,
                handle: Arc::new(handle),
                source: RwLock::new(source.into()),
                metrics,
                writing: tokio::sync::Mutex::new(()),
                shutting_down: AtomicBool::new(false),
            }),
        })
    }

    /// The router of every endpoint in [`ROUTES`], with limits, metrics, request ids and
    /// per-request log spans.
    pub fn router(&self) -> Router {
        let mut router = Router::new();
        for (method, path) in ROUTES {
            if let Some(handler) = handler(method, path) {
                router = router.route(path, handler);
            }
        }
        router
            .fallback(handlers::not_found)
            .method_not_allowed_fallback(handlers::method_not_allowed)
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                limits::guard,
            ))
            .layer(axum::extract::DefaultBodyLimit::max(
                self.inner.config.max_body_bytes,
            ))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(TraceLayer::new_for_http().make_span_with(span).on_response(
                tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO),
            ))
            .layer(SetRequestIdLayer::x_request_id(Counter::default()))
            .with_state(self.clone())
    }

    /// Reads the policy file again; on failure the old policy stays in service. `trigger`
    /// names what asked for it in logs and metrics (`signal`, `watch`, `api`).
    pub fn reload(&self, trigger: &str) -> Result<(), PolicyError> {
        reload::reload(self, trigger)
    }

    /// The service's counters, as `GET /metrics` shows them.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The policy does not load.
    #[error("{0}")]
    Policy(PolicyError),
    /// A file named on the command line cannot be read.
    #[error("{0}")]
    Io(String),
}

fn handler(method: &str, path: &str) -> Option<MethodRouter<App>> {
    use handlers as h;
    Some(match (method, path) {
        ("GET", "/") => get(h::studio),
        ("GET", "/healthz") => get(h::healthz),
        ("GET", "/readyz") => get(h::readyz),
        ("GET", "/metrics") => get(h::metrics),
        ("GET", "/v1/openapi.json") => get(h::openapi),
        ("GET", "/v1/policy") => get(h::policy),
        ("PUT", "/v1/policy") => axum::routing::put(h::save_policy),
        ("GET", "/v1/samples") => get(h::samples),
        ("POST", "/v1/evaluate") => post(h::evaluate),
        ("POST", "/v1/triage") => post(h::triage),
        ("POST", "/v1/explain") => post(h::explain),
        ("POST", "/v1/test") => post(h::test),
        ("POST", "/v1/diff") => post(h::diff),
        ("POST", "/v1/check") => post(h::check),
        ("POST", "/v1/draft/evaluate") => post(h::draft_evaluate),
        ("POST", "/v1/draft/explain") => post(h::draft_explain),
        ("POST", "/v1/draft/test") => post(h::draft_test),
        _ => return None,
    })
}

/// The log span of one request: its id, method and route. The route is the matched pattern,
/// never the raw path or query, so nothing a caller puts in a URL reaches the logs.
fn span<B>(req: &axum::http::Request<B>) -> tracing::Span {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |m| m.as_str());
    tracing::info_span!("request", id = %id, method = %req.method(), route = %route)
}

/// Request ids: the process start time and a counter, unique per process run and cheap.
#[derive(Clone)]
struct Counter {
    start: u64,
    next: Arc<AtomicU64>,
}

impl Default for Counter {
    fn default() -> Self {
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Counter {
            start,
            next: Arc::new(AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for Counter {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        axum::http::HeaderValue::from_str(&format!("{:x}-{n}", self.start))
            .ok()
            .map(RequestId::new)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting connections
/// and returns once the requests in flight have been answered.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let flag = app.clone();
    let router = app.router();
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown.await;
            flag.inner.shutting_down.store(true, Ordering::SeqCst);
            tracing::info!("shutting down: finishing requests in flight");
        })
        .await
}

/// Runs the service as `aftercare serve` does: binds `addr`, logs to stderr, reloads on
/// SIGHUP (and on file changes with [`Config::watch`]), and stops cleanly on SIGTERM or
/// SIGINT.
pub async fn run(app: App, addr: &str) -> std::io::Result<()> {
    let stop = reload::stop_signal()?;
    let _watch = reload::start(&app)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let policy = app.inner.handle.policy();
    tracing::info!(
        addr = %local,
        policy = %policy.name(),
        version = %policy.version(),
        watch = app.inner.config.watch,
        allow_write = app.inner.config.allow_write,
        "listening"
    );
    serve(app, listener, stop).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Logs to stderr: `json` (one object per line) or `text`; `RUST_LOG` filters (default
/// `info`). Lines are written by a thread of their own, many at a time under load (a request
/// never waits for stderr); keep the returned guard until the end, as dropping it writes the
/// last lines.
pub fn init_logging(json: bool) -> LogGuard {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (sink, guard) = log::start(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(sink);
    let _ = if json {
        builder.json().with_current_span(true).try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
    guard
}
