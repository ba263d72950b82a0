//! [`MockTransport`]: an in-memory test double that answers from a closure and remembers
//! every request.
//!
//! It is public (not test-only) so that other crates can use it in their tests.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;

use crate::redact::RedactedHeaders;
use crate::{BoxFuture, HttpTransport, TransportError};

/// The closure a [`MockTransport`] answers with.
type Handler =
    dyn Fn(&http::Request<Bytes>) -> Result<http::Response<Bytes>, TransportError> + Send + Sync;

/// A request as a [`MockTransport`] saw it.
///
/// `Debug` hides the values of secret headers; the fields themselves are complete so tests
/// can check, for example, the `Authorization` format.
#[derive(Clone)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The method.
    pub method: http::Method,
    /// The full URI.
    pub uri: http::Uri,
    /// All headers as sent.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("uri", &self.uri)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// A test double: answers each request by calling a closure, and records every request.
///
/// ```
/// use bytes::Bytes;
/// use cbr_transport::{HttpTransport, MockTransport};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mock = MockTransport::new(|_request| Ok(http::Response::new(Bytes::from("{}"))));
/// let request = http::Request::get("https://h/a?x=1").body(Bytes::new()).unwrap();
/// let response = mock.send(request).await.unwrap();
/// assert_eq!(response.body(), "{}");
/// assert_eq!(mock.requests()[0].uri.query(), Some("x=1"));
/// # });
/// ```
pub struct MockTransport {
    handler: Box<Handler>,
    requests: Mutex<Vec<RecordedRequest>>,
}

impl MockTransport {
    /// A mock that answers every request with `handler(&request)`.
    pub fn new<F>(handler: F) -> Self
    where
        F: Fn(&http::Request<Bytes>) -> Result<http::Response<Bytes>, TransportError>
            + Send
            + Sync
            + 'static,
    {
        Self { handler: Box::new(handler), requests: Mutex::new(Vec::new()) }
    }

    /// A mock that serves `answers` in order, whatever the request; once they are used up it
    /// returns [`TransportError::ReplayExhausted`].
    pub fn sequence(
        answers: impl IntoIterator<Item = Result<http::Response<Bytes>, TransportError>>,
    ) -> Self {
        let answers: Mutex<VecDeque<_>> = Mutex::new(answers.into_iter().collect());
        let served = std::sync::atomic::AtomicUsize::new(0);
        Self::new(move |_| {
            let index = served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            answers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_front()
                .unwrap_or(Err(TransportError::ReplayExhausted { index }))
        })
    }

    /// Every request seen so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// How many requests were seen so far.
    pub fn request_count(&self) -> usize {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl fmt::Debug for MockTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockTransport").field("requests", &self.request_count()).finish()
    }
}

impl HttpTransport for MockTransport {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        let result = (self.handler)(&request);
        let (parts, body) = request.into_parts();
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).push(RecordedRequest {
            method: parts.method,
            uri: parts.uri,
            headers: parts.headers,
            body,
        });
        Box::pin(async move { result })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sequence_serves_in_order_then_runs_out() {
        let mock = MockTransport::sequence([
            Ok(http::Response::new(Bytes::from("one"))),
            Err(TransportError::InvalidRequest { reason: "two".into() }),
        ]);
        let request = || http::Request::get("https://h/a").body(Bytes::new()).unwrap();

        let first = mock.send(request()).await.unwrap();
        let second = mock.send(request()).await.unwrap_err();
        let third = mock.send(request()).await.unwrap_err();

        assert_eq!(first.body(), "one");
        assert!(matches!(second, TransportError::InvalidRequest { .. }));
        assert!(matches!(third, TransportError::ReplayExhausted { index: 2 }));
        assert_eq!(mock.request_count(), 3);
    }

    #[test]
    fn debug_hides_secret_headers() {
        let recorded = RecordedRequest {
            method: http::Method::GET,
            uri: "https://h/a".parse().unwrap(),
            headers: [(http::header::AUTHORIZATION, "canary".parse().unwrap())]
                .into_iter()
                .collect(),
            body: Bytes::new(),
        };

        assert!(!format!("{recorded:?}").contains("canary"));
    }
}
