//! The request log: one JSON object per line and per request, with credentials redacted.

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::{HeaderMap, Method, Uri};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::auth::redact_authorization;

/// The request headers written to the log (names in lower case).
pub const LOGGED_HEADERS: [&str; 10] = [
    "host",
    "user-agent",
    "content-type",
    "x-sdk-date",
    "x-project-id",
    "x-sdk-content-sha256",
    "x-request-id",
    "authorization",
    "x-auth-token",
    "x-security-token",
];

/// Where the request log goes; cheap to clone (clones share the writer).
#[derive(Clone)]
pub struct RequestLog {
    sink: Arc<Mutex<Box<dyn Write + Send>>>,
}

impl fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RequestLog")
    }
}

impl RequestLog {
    /// A log written to `writer`, one line per request, flushed after each line.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        Self { sink: Arc::new(Mutex::new(Box::new(writer))) }
    }

    /// A log written to a new (or emptied) file at `path`.
    pub fn create(path: &Path) -> io::Result<Self> {
        Ok(Self::new(BufWriter::new(File::create(path)?)))
    }

    /// Writes one line; a failing writer is reported at debug level and otherwise ignored.
    pub(crate) fn write(&self, entry: &Entry<'_>) {
        let mut line = serde_json::to_vec(&entry.to_json()).unwrap_or_default();
        line.push(b'\n');
        let mut sink = self.sink.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = sink.write_all(&line).and_then(|()| sink.flush()) {
            tracing::debug!(%error, "cannot write the request log");
        }
    }
}

/// What the log says about one request.
pub(crate) struct Entry<'a> {
    pub(crate) time: DateTime<Utc>,
    pub(crate) request_id: &'a str,
    pub(crate) method: &'a Method,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
    /// `None` when no response was sent (a reset, or a stall that ran out).
    pub(crate) status: Option<u16>,
    pub(crate) fault: Option<&'static str>,
    pub(crate) elapsed_ms: f64,
}

impl Entry<'_> {
    fn to_json(&self) -> Value {
        let mut entry = Map::new();
        let time = self.time.to_rfc3339_opts(SecondsFormat::Micros, true);
        entry.insert("time".into(), time.into());
        entry.insert("request_id".into(), self.request_id.into());
        entry.insert("method".into(), self.method.as_str().into());
        entry.insert("path".into(), self.uri.path().into());
        let raw_query = self.uri.query().unwrap_or_default();
        entry.insert("query".into(), raw_query.into());
        entry.insert("params".into(), Value::Object(decoded_params(raw_query)));
        entry.insert("status".into(), self.status.map_or(Value::Null, Value::from));
        entry.insert("fault".into(), self.fault.map_or(Value::Null, Value::from));
        entry.insert("elapsed_ms".into(), ((self.elapsed_ms * 1000.0).round() / 1000.0).into());
        let mut headers = Map::new();
        for name in LOGGED_HEADERS {
            let Some(value) = self.headers.get(name) else { continue };
            let text = String::from_utf8_lossy(value.as_bytes());
            let shown = match name {
                "authorization" => redact_authorization(&text),
                "x-auth-token" | "x-security-token" => "[redacted]".to_owned(),
                _ => text.into_owned(),
            };
            headers.insert(name.into(), shown.into());
        }
        entry.insert("headers".into(), Value::Object(headers));
        Value::Object(entry)
    }
}

/// The query's parameters decoded (leniently): a repeated key becomes a list.
fn decoded_params(raw_query: &str) -> Map<String, Value> {
    let mut params = Map::new();
    for pair in raw_query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let text = |raw: &str| {
            String::from_utf8_lossy(&crate::auth::percent_decode(raw.as_bytes())).into_owned()
        };
        let (key, value) = (text(key), Value::from(text(value)));
        match params.get_mut(&key) {
            None => {
                params.insert(key, value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    params
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_keys_become_lists_and_values_are_decoded() {
        // given / done
        let params = decoded_params("status=available&status=error&name=a%20b&x&status=%zz");
        // must hold
        assert_eq!(
            Value::Object(params),
            serde_json::json!({"status": ["available", "error", "%zz"], "name": "a b", "x": ""})
        );
    }
}
