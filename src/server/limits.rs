//! Per-request limits and accounting: requests at once, time per request, and the metrics of
//! every response. (The body size limit is axum's `DefaultBodyLimit`, turned into a JSON 413
//! by the body extractor in `input`.)

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::handlers::ApiError;
use super::metrics::{ErrorKind, Metrics, TicketKind};
use super::App;

/// Admits a request if fewer than `max_concurrency` are in flight (else 503 at once: a
/// queue would only make every caller wait longer), bounds its time, and records it.
pub(crate) async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let inner = app.inner();
    let started = Instant::now();
    let route = Metrics::route_index(
        req.method().as_str(),
        req.extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str),
    );
    inner.metrics.request_started();
    let response = match inner.limiter.clone().try_acquire_owned() {
        Err(_) => {
            let mut r = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Overloaded,
                format!(
                    "more than {} requests at once; retry shortly",
                    inner.config.max_concurrency
                ),
            )
            .into_response();
            r.headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            r
        }
        Ok(_permit) => {
            let limit = inner.config.request_timeout;
            match tokio::time::timeout(limit, next.run(req)).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::warn!(limit_ms = limit.as_millis() as u64, "request timed out");
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        ErrorKind::Timeout,
                        format!("the request took longer than {} ms", limit.as_millis()),
                    )
                    .into_response()
                }
            }
        }
    };
    if let Some(kind) = response.extensions().get::<ErrorKind>() {
        inner.metrics.error(*kind);
    }
    if let Some(kind) = response.extensions().get::<TicketKind>() {
        inner.metrics.ticket_error(*kind);
    }
    inner
        .metrics
        .request_done(route, response.status().as_u16(), started.elapsed());
    response
}
