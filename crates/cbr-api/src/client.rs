//! The client: where requests go and what carries them.

use std::sync::Arc;

use bytes::Bytes;
use cbr_transport::HttpTransport;

use crate::endpoint::Endpoint;
use crate::error::{BuildError, Error};
use crate::list::ListBackups;

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("cbr-rust/", env!("CARGO_PKG_VERSION"));

/// A CBR client for one endpoint and project. Cheap to clone; clones share the transport.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    endpoint: Endpoint,
    transport: Arc<dyn HttpTransport>,
}

impl Client {
    /// A client sending requests for `project_id` to `endpoint` through `transport`.
    /// Fails, before anything is sent, if the endpoint is not a URL or the project id is blank.
    pub fn new(
        endpoint: &str,
        project_id: &str,
        transport: Arc<dyn HttpTransport>,
    ) -> Result<Self, BuildError> {
        let endpoint = Endpoint::new(endpoint, project_id)?;
        Ok(Self { inner: Arc::new(Inner { endpoint, transport }) })
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

    pub(crate) fn transport(&self) -> &dyn HttpTransport {
        self.inner.transport.as_ref()
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
