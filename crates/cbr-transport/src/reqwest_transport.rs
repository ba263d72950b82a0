//! [`ReqwestTransport`]: the real network client, built on reqwest (rustls, HTTP/1.1).

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::transport::{authority_host, path_and_query};
use crate::{BoxFuture, HttpTransport, TimeoutKind, TransportError};

/// Default limit for one response body: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// Default time allowed to establish a connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Default time allowed for one whole exchange (send, response head, whole body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Largest buffer reserved up front from a server's `Content-Length`.
const MAX_INITIAL_CAPACITY: u64 = 1024 * 1024;

/// An [`HttpTransport`] that talks HTTP/1.1 (and HTTPS via rustls) through reqwest.
///
/// What goes on the wire is the request's own headers: `Host` as given (port included),
/// no `User-Agent` unless the request has one or [`user_agent`] was configured. reqwest adds
/// only unsigned extras: `accept: */*` and `accept-encoding: gzip` when the request lacks
/// them (gzip responses are decoded). Redirects are not followed; every status is returned.
/// Proxies from the environment (`HTTPS_PROXY`, `NO_PROXY`, ...) are honoured unless
/// [`no_proxy`] is set.
///
/// [`user_agent`]: ReqwestTransportBuilder::user_agent
/// [`no_proxy`]: ReqwestTransportBuilder::no_proxy
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    connect_timeout: Duration,
    timeout: Duration,
    max_body_bytes: u64,
}

impl std::fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReqwestTransport")
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

/// Configures a [`ReqwestTransport`].
#[derive(Clone, Debug)]
pub struct ReqwestTransportBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    max_body_bytes: u64,
    user_agent: Option<String>,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
    tcp_keepalive: Option<Duration>,
    no_proxy: bool,
}

impl Default for ReqwestTransportBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent: None,
            pool_idle_timeout: Duration::from_secs(90),
            pool_max_idle_per_host: 10,
            tcp_keepalive: Some(Duration::from_secs(60)),
            no_proxy: false,
        }
    }
}

impl ReqwestTransportBuilder {
    /// Time allowed to establish a connection (TCP and TLS). Default 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one whole exchange, from sending to the last body byte. Default 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Largest response body accepted, in bytes after decompression. Default 64 MiB.
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// A `User-Agent` sent only on requests that carry none.
    ///
    /// A signer signs the headers present when it runs, so a `User-Agent` added here is
    /// unsigned; set the header on the request before signing if it must be signed.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// How long an idle keep-alive connection stays in the pool. Default 90 s.
    pub fn pool_idle_timeout(mut self, idle: Duration) -> Self {
        self.pool_idle_timeout = idle;
        self
    }

    /// How many idle keep-alive connections are kept per host. Default 10.
    pub fn pool_max_idle_per_host(mut self, max: usize) -> Self {
        self.pool_max_idle_per_host = max;
        self
    }

    /// TCP keep-alive probe interval, or `None` to disable. Default 60 s.
    pub fn tcp_keepalive(mut self, interval: Option<Duration>) -> Self {
        self.tcp_keepalive = interval;
        self
    }

    /// Ignores proxy settings from the environment and always connects directly.
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// Builds the transport.
    pub fn build(self) -> Result<ReqwestTransport, TransportError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .tcp_nodelay(true)
            .tcp_keepalive(self.tcp_keepalive)
            .pool_idle_timeout(self.pool_idle_timeout)
            .pool_max_idle_per_host(self.pool_max_idle_per_host)
            .redirect(reqwest::redirect::Policy::none())
            .http1_only();
        if let Some(user_agent) = &self.user_agent {
            builder = builder.user_agent(user_agent.as_str());
        }
        if self.no_proxy {
            builder = builder.no_proxy();
        }
        let client = builder
            .build()
            .map_err(|e| TransportError::Setup { source: Box::new(e.without_url()) })?;
        Ok(ReqwestTransport {
            client,
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            max_body_bytes: self.max_body_bytes,
        })
    }
}

impl ReqwestTransport {
    /// Starts configuring a transport.
    pub fn builder() -> ReqwestTransportBuilder {
        ReqwestTransportBuilder::default()
    }

    /// A transport with every default (see [`ReqwestTransportBuilder`]).
    pub fn new() -> Result<Self, TransportError> {
        Self::builder().build()
    }

    async fn exchange(
        &self,
        request: reqwest::Request,
        host: &str,
    ) -> Result<http::Response<Bytes>, TransportError> {
        let mut response =
            self.client.execute(request).await.map_err(|e| self.map_send_error(e, host))?;

        let body = self.read_body(&mut response, host).await?;

        let mut out = http::Response::new(body);
        *out.status_mut() = response.status();
        *out.version_mut() = response.version();
        *out.headers_mut() = std::mem::take(response.headers_mut());
        Ok(out)
    }

    /// Reads the body chunk by chunk, stopping as soon as it exceeds the limit.
    async fn read_body(
        &self,
        response: &mut reqwest::Response,
        host: &str,
    ) -> Result<Bytes, TransportError> {
        let too_large =
            || TransportError::BodyTooLarge { host: host.to_owned(), limit: self.max_body_bytes };
        let announced = response.content_length().unwrap_or(0);
        if announced > self.max_body_bytes {
            return Err(too_large());
        }

        let capacity = usize::try_from(announced.min(MAX_INITIAL_CAPACITY)).unwrap_or(0);
        let mut body = BytesMut::with_capacity(capacity);
        loop {
            let chunk = response.chunk().await.map_err(|e| TransportError::TruncatedBody {
                host: host.to_owned(),
                source: Box::new(e.without_url()),
            })?;
            let Some(chunk) = chunk else { return Ok(body.freeze()) };
            if body.len() as u64 + chunk.len() as u64 > self.max_body_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
    }

    fn map_send_error(&self, error: reqwest::Error, host: &str) -> TransportError {
        let host = host.to_owned();
        if error.is_connect() && error.is_timeout() {
            TransportError::Timeout {
                host,
                kind: TimeoutKind::Connect,
                after: self.connect_timeout,
            }
        } else if error.is_connect() {
            TransportError::Connect { host, source: Box::new(error.without_url()) }
        } else if error.is_timeout() {
            TransportError::Timeout { host, kind: TimeoutKind::Request, after: self.timeout }
        } else {
            TransportError::Send { host, source: Box::new(error.without_url()) }
        }
    }
}

/// Turns an `http` request into a reqwest one without changing what goes on the wire.
fn to_reqwest(request: http::Request<Bytes>) -> Result<(reqwest::Request, String), TransportError> {
    let (parts, body) = request.into_parts();
    let invalid = |reason: String| TransportError::InvalidRequest { reason };

    let uri = &parts.uri;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(invalid(format!("uri must be absolute http or https: {}", uri.path()))),
    }
    let Some(authority) = uri.authority() else {
        return Err(invalid("uri has no host".to_owned()));
    };
    if authority.as_str().contains('@') {
        return Err(invalid("uri must not carry user information".to_owned()));
    }
    let host = authority_host(uri).unwrap_or_default().to_owned();

    let url = reqwest::Url::parse(&uri.to_string())
        .map_err(|e| invalid(format!("uri for {host} is not a valid url: {e}")))?;
    let sent = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    if sent != path_and_query(uri) {
        // The url parser normalises some paths (dot segments, some characters); what is
        // sent must be byte-identical to what a signer saw.
        return Err(invalid(format!(
            "uri for {host} would be rewritten on the wire ({} -> {sent})",
            path_and_query(uri)
        )));
    }

    let mut out = reqwest::Request::new(parts.method, url);
    *out.headers_mut() = parts.headers;
    *out.version_mut() = http::Version::HTTP_11;
    if !body.is_empty() {
        *out.body_mut() = Some(reqwest::Body::from(body));
    }
    Ok((out, host))
}

impl HttpTransport for ReqwestTransport {
    fn send(
        &self,
        request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        Box::pin(async move {
            let method = request.method().clone();
            let path = path_and_query(request.uri()).to_owned();
            let (request, host) = to_reqwest(request)?;
            let started = Instant::now();

            let result = tokio::time::timeout(self.timeout, self.exchange(request, &host))
                .await
                .unwrap_or_else(|_| {
                    Err(TransportError::Timeout {
                        host: host.clone(),
                        kind: TimeoutKind::Request,
                        after: self.timeout,
                    })
                });

            let elapsed_ms = started.elapsed().as_millis();
            match &result {
                Ok(response) => tracing::debug!(
                    %method, %host, %path, status = response.status().as_u16(), elapsed_ms,
                    body_bytes = response.body().len(), "http exchange"
                ),
                Err(error) => tracing::debug!(
                    %method, %host, %path, elapsed_ms, error = %error, "http exchange failed"
                ),
            }
            result
        })
    }
}
