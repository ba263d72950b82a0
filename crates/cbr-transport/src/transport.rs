//! The [`HttpTransport`] trait: one request in, one whole response out.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;

use crate::TransportError;

/// A boxed, sendable future, as returned by [`HttpTransport::send`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Moves one HTTP request and returns the whole response.
///
/// Implementations send the request's headers as given (no signed header is rewritten)
/// and return any status, including 4xx and 5xx, as `Ok`: only failures to complete the
/// exchange are errors. The trait is dyn-compatible, so `Arc<dyn HttpTransport>` works,
/// and layers (signing, recording) wrap any other transport.
pub trait HttpTransport: Send + Sync + std::fmt::Debug {
    /// Sends one request and returns the whole response.
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>>;
}

impl<T: HttpTransport + ?Sized> HttpTransport for Arc<T> {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        (**self).send(request)
    }
}

impl<T: HttpTransport + ?Sized> HttpTransport for Box<T> {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        (**self).send(request)
    }
}

impl<T: HttpTransport + ?Sized> HttpTransport for &T {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        (**self).send(request)
    }
}

/// The `host[:port]` of a URI, without any user information, for messages and `Host`.
pub(crate) fn authority_host(uri: &http::Uri) -> Option<&str> {
    let authority = uri.authority()?.as_str();
    Some(authority.rsplit_once('@').map_or(authority, |(_, host)| host))
}

/// The path and query of a URI as it goes on the request line (`/` when empty).
pub(crate) fn path_and_query(uri: &http::Uri) -> &str {
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}
