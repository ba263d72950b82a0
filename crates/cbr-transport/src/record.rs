//! [`RecordingTransport`]: forwards requests and writes every exchange to a cassette file.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::cassette::{Cassette, CassetteRequest, CassetteResponse, Interaction, write_atomically};
use crate::redact::Redactions;
use crate::{BoxFuture, HttpTransport, TransportError};

/// A layer that forwards every request to the inner transport and records each successful
/// exchange into a cassette file.
///
/// The file is rewritten atomically after **every** exchange, so a crash halfway through a
/// walk still leaves a valid cassette with everything recorded so far. Secret header values
/// (see [`Redactions`]) are replaced by `<redacted>` before anything is written. Transport
/// errors are passed through and not recorded. Recording starts from an empty cassette;
/// an existing file at the path is replaced on the first exchange.
#[derive(Debug)]
pub struct RecordingTransport<T> {
    inner: T,
    path: PathBuf,
    redactions: Redactions,
    cassette: tokio::sync::Mutex<Cassette>,
}

impl<T: HttpTransport> RecordingTransport<T> {
    /// Records exchanges made through `inner` into the cassette file at `path`.
    pub fn new(inner: T, path: impl Into<PathBuf>) -> Self {
        Self {
            inner,
            path: path.into(),
            redactions: Redactions::default(),
            cassette: tokio::sync::Mutex::new(Cassette::new()),
        }
    }

    /// Uses `redactions` instead of the default set of secret headers.
    pub fn with_redactions(mut self, redactions: Redactions) -> Self {
        self.redactions = redactions;
        self
    }

    /// The cassette file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// A copy of everything recorded so far.
    pub async fn cassette(&self) -> Cassette {
        self.cassette.lock().await.clone()
    }
}

/// Writes the cassette on tokio's blocking pool when inside a tokio runtime, else in place.
async fn write_off_thread(path: PathBuf, json: String) -> std::io::Result<()> {
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => runtime
            .spawn_blocking(move || write_atomically(&path, json.as_bytes()))
            .await
            .unwrap_or_else(|join| Err(std::io::Error::other(join.to_string()))),
        Err(_) => write_atomically(&path, json.as_bytes()),
    }
}

impl<T: HttpTransport> HttpTransport for RecordingTransport<T> {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        Box::pin(async move {
            // The inner transport consumes the request, so record it first.
            let recorded = CassetteRequest::record(&request, &self.redactions);
            let response = self.inner.send(request).await?;
            let interaction = Interaction {
                request: recorded,
                response: CassetteResponse::record(&response, &self.redactions),
            };

            // Holding the lock across the write keeps files in recording order.
            let mut cassette = self.cassette.lock().await;
            cassette.interactions.push(interaction);
            let index = cassette.interactions.len() - 1;
            let json = cassette.to_json()?;
            write_off_thread(self.path.clone(), json)
                .await
                .map_err(|source| TransportError::CassetteIo { path: self.path.clone(), source })?;
            drop(cassette);

            tracing::debug!(index, path = %self.path.display(), "recorded interaction");
            Ok(response)
        })
    }
}
