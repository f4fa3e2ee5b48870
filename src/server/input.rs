//! Reading request bodies: the body itself (within the size limit) and the three shapes of
//! tickets (one object, an array, JSON lines).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, StatusCode};
use serde_json::value::RawValue;

use super::handlers::ApiError;
use super::metrics::ErrorKind;

/// A request body, read whole within `--max-body`, and whether it was sent as JSON lines.
pub(crate) struct Body {
    pub(crate) bytes: Bytes,
    pub(crate) lines: bool,
}

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let lines = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                let t = t.trim_start().to_ascii_lowercase();
                [
                    "application/x-ndjson",
                    "application/jsonl",
                    "application/json-lines",
                    "application/jsonlines",
                ]
                .iter()
                .any(|m| t.starts_with(m))
            });
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Body { bytes, lines }),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorKind::BodyTooLarge,
                    "the request body is larger than the service accepts (--max-body)",
                ))
            }
            Err(rejection) => Err(ApiError::bad_body(rejection.body_text())),
        }
    }
}

impl Body {
    /// The body as UTF-8 text.
    pub(crate) fn text(&self) -> Result<&str, ApiError> {
        std::str::from_utf8(&self.bytes)
            .map_err(|e| ApiError::bad_body(format!("the body is not UTF-8 text: {e}")))
    }
}

/// How tickets were sent, which is how the answer is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One JSON object: one answer object (or a 400 with the ticket's error).
    One,
    /// A JSON array: an array of answers and error entries, in order.
    Array,
    /// JSON lines: one answer or error entry per line, in order.
    Lines,
}

/// Splits a body into ticket texts. Blank lines of JSON lines are skipped; a line that is not
/// JSON stays a ticket text, whose answer is an error entry (`kind: json`).
pub(crate) fn tickets(text: &str, lines: bool) -> Result<(Shape, Vec<&str>), ApiError> {
    if lines {
        let items = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .filter(|l| !l.trim().is_empty())
            .collect();
        return Ok((Shape::Lines, items));
    }
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(text)
            .map_err(|e| ApiError::bad_body(format!("the body is not a JSON array: {e}")))?;
        Ok((Shape::Array, items.into_iter().map(RawValue::get).collect()))
    } else if trimmed.starts_with('{') {
        // Whether it is JSON at all is found out only if the ticket fails (see
        // `unreadable_body`): parsing it twice on every request would cost more.
        Ok((Shape::One, vec![text]))
    } else {
        Err(ApiError::bad_body(
            "expected a ticket (a JSON object), an array of tickets, or JSON lines sent with \
             content-type application/x-ndjson",
        ))
    }
}

/// A single-ticket body that turned out not to be JSON at all: a bad body, not a bad ticket.
pub(crate) fn unreadable_body(text: &str) -> ApiError {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Err(e) => ApiError::bad_body(format!("the body is not JSON: {e}")),
        Ok(_) => ApiError::bad_body("the body is not JSON"),
    }
}

/// The `tickets` of a draft or diff body: an array of ticket objects, or JSON lines text.
pub(crate) fn ticket_field(raw: Option<&RawValue>) -> Result<Vec<String>, ApiError> {
    let Some(raw) = raw else {
        return Ok(Vec::new());
    };
    let text = raw.get().trim_start();
    if text.starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(text)
            .map_err(|e| ApiError::bad_body(format!("`tickets`: {e}")))?;
        Ok(items.into_iter().map(|r| r.get().to_string()).collect())
    } else if text.starts_with('"') {
        let lines: String = serde_json::from_str(text)
            .map_err(|e| ApiError::bad_body(format!("`tickets`: {e}")))?;
        Ok(tickets(&lines, true)?
            .1
            .into_iter()
            .map(str::to_string)
            .collect())
    } else if text == "null" {
        Ok(Vec::new())
    } else {
        Err(ApiError::bad_body(
            "`tickets` must be an array of tickets or a string of JSON lines",
        ))
    }
}

/// `now` as sent (RFC 3339), or the server's clock.
pub(crate) fn now(sent: Option<&str>) -> Result<(chrono::DateTime<chrono::Utc>, bool), ApiError> {
    match sent {
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|d| (d.with_timezone(&chrono::Utc), true))
            .map_err(|_| {
                ApiError::bad_body(format!(
                    "`now`: `{s}` is not an RFC 3339 instant, e.g. 2025-10-15T12:00:00+08:00"
                ))
            }),
        None => Ok((chrono::Utc::now(), false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let (s, t) = tickets(r#"{"id": "a"}"#, false).unwrap();
        assert_eq!((s, t.len()), (Shape::One, 1));
        let (s, t) = tickets(r#" [{"id": "a"}, {"id": "b"}]"#, false).unwrap();
        assert_eq!(
            (s, t),
            (Shape::Array, vec![r#"{"id": "a"}"#, r#"{"id": "b"}"#])
        );
        let (s, t) = tickets("{\"id\": 1}\r\n\n  \nnot json\n", true).unwrap();
        assert_eq!((s, t), (Shape::Lines, vec!["{\"id\": 1}", "not json"]));
        assert!(tickets("[1, ", false).is_err());
        assert!(tickets("42", false).is_err());
    }
}
