//! The client: where requests go, what carries them, and how failed pages are retried.

use std::sync::Arc;

use bytes::Bytes;
use cbr_transport::{Clock, HttpTransport, SystemClock};

use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::list::ListBackups;
use crate::retry::{Jitter, RandomJitter, RetryPolicy, Sleeper, TokioSleeper};

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("cbr-rust/", env!("CARGO_PKG_VERSION"));

/// A CBR client for one endpoint and project. Cheap to clone; clones share the transport.
///
/// Authentication is a transport layer below the client (for example
/// `cbr_transport::SigningTransport`), so every attempt of every page is signed afresh.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) endpoint: Endpoint,
    pub(crate) transport: Arc<dyn HttpTransport>,
    pub(crate) retry: RetryPolicy,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    pub(crate) jitter: Arc<dyn Jitter>,
    pub(crate) clock: Arc<dyn Clock>,
}

/// Builds a [`Client`] with non-default retry behaviour or injected time and randomness.
#[derive(Debug)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct ClientBuilder {
    endpoint: String,
    project_id: String,
    transport: Arc<dyn HttpTransport>,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleeper>,
    jitter: Arc<dyn Jitter>,
    clock: Arc<dyn Clock>,
}

impl ClientBuilder {
    /// How failed pages are retried (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// What waits between attempts (default: tokio's timer).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// What picks the random part of each backoff (default: the thread's generator).
    pub fn jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    /// The clock `Retry-After` dates are measured against (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The client; fails, before anything is sent, if the endpoint is not a URL, the project
    /// id is blank, or the retry policy allows no attempt.
    pub fn build(self) -> Result<Client, BuildError> {
        if self.retry.max_attempts == 0 {
            return Err(BuildError::Option {
                option: "max_attempts",
                reason: "at least one attempt is needed".into(),
            });
        }
        let endpoint = Endpoint::new(&self.endpoint, &self.project_id)?;
        Ok(Client {
            inner: Arc::new(Inner {
                endpoint,
                transport: self.transport,
                retry: self.retry,
                sleeper: self.sleeper,
                jitter: self.jitter,
                clock: self.clock,
            }),
        })
    }
}

impl Client {
    /// A client sending requests for `project_id` to `endpoint` through `transport`, with the
    /// default retry policy. Fails, before anything is sent, if the endpoint is not a URL or
    /// the project id is blank.
    pub fn new(
        endpoint: &str,
        project_id: &str,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Self, BuildError> {
        Self::builder(endpoint, project_id, transport).build()
    }

    /// A builder for a client with other retry settings or injected time and randomness.
    pub fn builder(
        endpoint: &str,
        project_id: &str,
        transport: Arc<dyn HttpTransport>,
    ) -> ClientBuilder {
        ClientBuilder {
            endpoint: endpoint.to_owned(),
            project_id: project_id.to_owned(),
            transport,
            retry: RetryPolicy::default(),
            sleeper: Arc::new(TokioSleeper),
            jitter: Arc::new(RandomJitter),
            clock: Arc::new(SystemClock),
        }
    }

    /// Lists backups: see [`ListBackups`].
    pub fn list_backups(&self) -> ListBackups {
        ListBackups::new(self.clone())
    }

    /// Where requests go.
    #[must_use]
    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// The retry policy.
    #[must_use]
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// A GET of the backups collection with the given wire query. `Content-Type` is sent, as
    /// the official SDK does, so both sign the same headers.
    pub(crate) fn build_get(&self, wire_query: &str) -> Result<http::Request<Bytes>, Error> {
        let url = self.inner.endpoint.backups_url(wire_query);
        http::Request::get(&url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, USER_AGENT)
            .body(Bytes::new())
            .map_err(|e| {
                Error::Build(BuildError::Endpoint { endpoint: url.clone(), reason: e.to_string() })
            })
    }
}
