//! [`ReplayingTransport`]: serves the responses of a cassette, in order, without a network.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;

use crate::cassette::Cassette;
use crate::transport::path_and_query;
use crate::{BoxFuture, HttpTransport, TransportError};

/// One interaction, checked and ready to serve.
#[derive(Debug)]
struct Prepared {
    method: http::Method,
    path_and_query: String,
    response: http::Response<Bytes>,
}

/// A transport that answers from a cassette instead of the network.
///
/// Interactions are served strictly in order. Each request must match the next interaction
/// by method and by path + query (scheme and host are ignored, headers are not compared);
/// otherwise [`TransportError::ReplayMismatch`] names the interaction index and both sides.
/// A request after the last interaction gets [`TransportError::ReplayExhausted`]. Safe to
/// share between tasks.
#[derive(Debug)]
pub struct ReplayingTransport {
    interactions: Vec<Prepared>,
    next: Mutex<usize>,
}

impl ReplayingTransport {
    /// Loads and checks a cassette file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, TransportError> {
        let path = path.as_ref();
        Self::prepare(Cassette::load(path)?, Some(path))
    }

    /// Checks and serves an in-memory cassette.
    pub fn from_cassette(cassette: Cassette) -> Result<Self, TransportError> {
        Self::prepare(cassette, None)
    }

    fn prepare(cassette: Cassette, path: Option<&Path>) -> Result<Self, TransportError> {
        let interactions = cassette
            .interactions
            .into_iter()
            .enumerate()
            .map(|(index, interaction)| {
                let parse_error = |message: String| TransportError::CassetteParse {
                    path: path.map(Path::to_owned),
                    message: format!("interaction {index}: {message}"),
                };
                let request = &interaction.request;
                let method = http::Method::from_bytes(request.method.as_bytes())
                    .map_err(|_| parse_error(format!("invalid method {:?}", request.method)))?;
                let uri: http::Uri = request
                    .uri
                    .parse()
                    .map_err(|_| parse_error(format!("invalid uri {:?}", request.uri)))?;
                let response = interaction.response.to_response().map_err(parse_error)?;
                Ok(Prepared { method, path_and_query: path_and_query(&uri).to_owned(), response })
            })
            .collect::<Result<Vec<_>, TransportError>>()?;
        Ok(Self { interactions, next: Mutex::new(0) })
    }

    /// How many recorded interactions have not been served yet.
    pub fn remaining(&self) -> usize {
        let next = *self.next.lock().unwrap_or_else(PoisonError::into_inner);
        self.interactions.len().saturating_sub(next)
    }

    fn serve(
        &self,
        request: &http::Request<Bytes>,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let index = *next;
        let Some(expected) = self.interactions.get(index) else {
            return Err(TransportError::ReplayExhausted { index });
        };

        let actual_path = path_and_query(request.uri());
        if request.method() != expected.method || actual_path != expected.path_and_query {
            return Err(TransportError::ReplayMismatch {
                index,
                expected: format!("{} {}", expected.method, expected.path_and_query),
                actual: format!("{} {actual_path}", request.method()),
            });
        }
        *next += 1;

        let mut response = http::Response::new(expected.response.body().clone());
        *response.status_mut() = expected.response.status();
        *response.headers_mut() = expected.response.headers().clone();
        tracing::debug!(index, method = %request.method(), path = %actual_path, "replayed");
        Ok(response)
    }
}

impl HttpTransport for ReplayingTransport {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        let result = self.serve(&request);
        Box::pin(async move { result })
    }
}
