//! The HTTP face of the emulator: `GET /v3/{project_id}/backups` over HTTP/1.1, with the
//! gateway's authentication, the service's error bodies, an `X-Request-Id` on every
//! response, the test knobs (latency, faults, churn, page-size cap, request log), and a
//! handle to stop it.
//!
//! Connections are accepted here rather than by `axum::serve`, so that a fault can act on the
//! connection itself: close it without a response (`reset`), or send fewer body bytes than
//! announced (`truncate`).

use std::convert::Infallible;
use std::hash::{BuildHasher, RandomState};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use axum::http::{Method, Request, StatusCode};
use axum::response::Response;
use cbr_model::encode::percent_decode;
use cbr_model::{ListBackupsQuery, MAX_LIMIT, MIN_LIMIT};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Map, Value};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use crate::auth::{AUTH_FAILED_CODE, Authenticator, Clock, SignedRequest, system_clock};
use crate::dataset::Dataset;
use crate::faults::{Fault, FaultDice, Faults};
use crate::request_log::{Entry, RequestLog};
use crate::service::{Service, ServiceError};

/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Gateway code for a path or method that is not an API.
pub const NOT_FOUND_CODE: &str = "APIGW.0101";

/// Gateway message for a path or method that is not an API.
pub const NOT_FOUND_MESSAGE: &str =
    "The API does not exist or has not been published in the environment";

/// Gateway code of a throttled request (HTTP 429).
pub const THROTTLED_CODE: &str = "APIGW.0308";

/// Gateway code of a backend failure (HTTP 502, 503, 504).
pub const BACKEND_FAILED_CODE: &str = "APIGW.0201";

/// How long [`RunningEmulator::shutdown`] lets open connections finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long a `stall` fault keeps a request waiting unless told otherwise.
pub const DEFAULT_STALL: Duration = Duration::from_secs(60);

/// Above this many backups a listing runs on tokio's blocking pool rather than on the
/// connection's task, so one large request cannot stall the others.
const BLOCKING_THRESHOLD: usize = 20_000;

/// The largest request body read (for the signature's body hash).
const MAX_BODY: usize = 1 << 20;

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The bound socket's address could not be read.
    #[error("cannot read the listening address: {0}")]
    LocalAddr(#[source] std::io::Error),
    /// Building the dataset's indexes failed.
    #[error("cannot load the dataset: {0}")]
    Load(String),
}

/// What the emulator serves.
#[derive(Clone)]
enum Source {
    Dataset(Dataset),
    Generated { backups: usize, seed: u64 },
    Service(Arc<Service>),
}

/// A ListBackups emulator, ready to be served: the data, the credentials it checks and the
/// knobs tests turn.
///
/// ```no_run
/// # async fn demo() -> Result<(), cbr_emulator::EmulatorError> {
/// use std::time::Duration;
/// use cbr_emulator::{DEMO_ACCESS_KEY, DEMO_SECRET_KEY, Dataset, Emulator};
/// use cbr_emulator::faults::{Fault, Faults};
///
/// let faults = Faults::random(0.1, [Fault::TooManyRequests, Fault::Reset], 7).unwrap();
/// let running = Emulator::new(Dataset::documented())
///     .verify_signatures(DEMO_ACCESS_KEY, DEMO_SECRET_KEY)
///     .latency(Duration::from_millis(5))
///     .faults(faults)
///     .bind(([127, 0, 0, 1], 0).into())
///     .await?;
/// println!("listening at {}", running.base_url());
/// running.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Emulator {
    source: Source,
    project_id: Option<String>,
    auth: Authenticator,
    clock: Clock,
    latency: Duration,
    faults: Faults,
    stall: Duration,
    churn: Option<(usize, u64)>,
    max_limit: Option<u32>,
    request_log: Option<RequestLog>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Dataset(dataset) => format!("dataset of {} backups", dataset.len()),
            Source::Generated { backups, seed } => format!("generated {backups} (seed {seed})"),
            Source::Service(service) => format!("service of {} backups", service.len()),
        };
        f.debug_struct("Emulator")
            .field("source", &source)
            .field("project_id", &self.project_id)
            .field("auth", &self.auth)
            .field("latency", &self.latency)
            .field("faults", &self.faults)
            .field("stall", &self.stall)
            .field("churn", &self.churn)
            .field("max_limit", &self.max_limit)
            .field("request_log", &self.request_log.is_some())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    fn from_source(source: Source) -> Self {
        Self {
            source,
            project_id: None,
            auth: Authenticator::new(),
            clock: system_clock(),
            latency: Duration::ZERO,
            faults: Faults::none(),
            stall: DEFAULT_STALL,
            churn: None,
            max_limit: None,
            request_log: None,
        }
    }

    /// An emulator serving `dataset`.
    #[must_use]
    pub fn new(dataset: Dataset) -> Self {
        Self::from_source(Source::Dataset(dataset))
    }

    /// An emulator serving [`Dataset::generated`]`(backups, seed)`, built without holding the
    /// whole dataset at once (see [`Service::generated`]): the way to serve a million backups.
    #[must_use]
    pub fn generated(backups: usize, seed: u64) -> Self {
        Self::from_source(Source::Generated { backups, seed })
    }

    /// An emulator serving an already built service (shared, e.g. by a benchmark and a
    /// test); [`Emulator::project_id`] has no effect on it.
    #[must_use]
    pub fn from_service(service: Arc<Service>) -> Self {
        Self::from_source(Source::Service(service))
    }

    /// Serves the backups under another project id (see [`Dataset::with_project_id`]).
    #[must_use]
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.project_id = Some(id.into());
        self
    }

    /// Checks every request's `SDK-HMAC-SHA256` signature like the API gateway, accepting
    /// this key pair; several calls accept several pairs. Without any key or token, requests
    /// are not checked.
    #[must_use]
    pub fn verify_signatures(
        mut self,
        access_key: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Self {
        self.auth.add_key(access_key, secret_key);
        self
    }

    /// Accepts requests carrying `X-Auth-Token: token` (and turns checking on).
    #[must_use]
    pub fn accept_token(mut self, token: impl AsRef<str>) -> Self {
        self.auth.add_token(token);
        self
    }

    /// The clock signature dates are checked against and request-log times come from.
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Waits this long before answering each request.
    #[must_use]
    pub fn latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Fails requests as `faults` says.
    #[must_use]
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// How long a `stall` fault keeps its request waiting before closing the connection
    /// (default [`DEFAULT_STALL`]).
    #[must_use]
    pub fn stall_for(mut self, stall: Duration) -> Self {
        self.stall = stall;
        self
    }

    /// After each successful listing, creates and deletes `count` random backups (see
    /// [`Service::churn`]), from a generator seeded with `seed`.
    #[must_use]
    pub fn churn(mut self, count: usize, seed: u64) -> Self {
        self.churn = (count > 0).then_some((count, seed));
        self
    }

    /// Silently serves at most `max` backups per page, whatever `limit` asks for.
    #[must_use]
    pub fn max_limit(mut self, max: u32) -> Self {
        self.max_limit = Some(max.max(MIN_LIMIT));
        self
    }

    /// Writes one JSON line per request to `log` (credentials redacted).
    #[must_use]
    pub fn request_log(mut self, log: RequestLog) -> Self {
        self.request_log = Some(log);
        self
    }

    /// The service behind the HTTP layer (built now; for a large dataset this takes a while).
    #[must_use]
    pub fn into_service(self) -> Arc<Service> {
        let project_id = self.project_id;
        match self.source {
            Source::Dataset(dataset) => {
                let dataset = match project_id {
                    Some(id) => dataset.with_project_id(id),
                    None => dataset,
                };
                Arc::new(Service::new(dataset))
            }
            Source::Generated { backups, seed } => {
                let id = project_id.unwrap_or_else(|| cbr_model::DOCUMENTED_PROJECT_ID.into());
                Arc::new(Service::generated(id, backups, seed))
            }
            Source::Service(service) => service,
        }
    }

    fn into_state(self) -> (Arc<AppState>, Arc<Service>) {
        let knobs = Knobs {
            auth: self.auth.clone(),
            clock: Arc::clone(&self.clock),
            latency: self.latency,
            faults: self.faults.is_active().then(|| FaultDice::new(self.faults.clone())),
            stall: self.stall,
            churn: self.churn,
            max_limit: self.max_limit,
            log: self.request_log.clone(),
        };
        let service = self.into_service();
        let state = AppState {
            service: Arc::clone(&service),
            ids: RequestIds::new(),
            knobs,
            served: AtomicU64::new(0),
        };
        (Arc::new(state), service)
    }

    /// The axum application, for in-process use (e.g. `tower::ServiceExt::oneshot`). Without
    /// a connection to act on, the `reset`, `truncate` and `stall` faults answer with a body
    /// that fails when read.
    pub fn router(self) -> Router {
        let (state, _) = self.into_state();
        Router::new().fallback(handle_in_process).with_state(state)
    }

    /// Loads the data (on tokio's blocking pool), binds `addr` (port 0 picks a free port) and
    /// serves on the current tokio runtime until [`RunningEmulator::shutdown`] is called or
    /// the handle is dropped.
    pub async fn bind(self, addr: SocketAddr) -> Result<RunningEmulator, EmulatorError> {
        let listener =
            TcpListener::bind(addr).await.map_err(|source| EmulatorError::Bind { addr, source })?;
        let local_addr = listener.local_addr().map_err(EmulatorError::LocalAddr)?;
        let (state, service) = tokio::task::spawn_blocking(move || self.into_state())
            .await
            .map_err(|error| EmulatorError::Load(error.to_string()))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(accept_loop(listener, Arc::clone(&state), stopped));
        tracing::info!(%local_addr, "emulator listening");
        Ok(RunningEmulator { local_addr, stop: Some(stop), task, service, state })
    }
}

/// A serving emulator. Dropping it stops the server too (without waiting).
pub struct RunningEmulator {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
    service: Arc<Service>,
    state: Arc<AppState>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("local_addr", &self.local_addr)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The address the server listens on.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://IP:PORT`, the endpoint to give a client (`127.0.0.1` if bound to any address).
    #[must_use]
    pub fn base_url(&self) -> String {
        let mut addr = self.local_addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}")
    }

    /// The service being served: its [generation](Service::generation) and
    /// [`Service::present_throughout`] tell a churn test what a listing must have yielded.
    #[must_use]
    pub fn service(&self) -> &Arc<Service> {
        &self.service
    }

    /// How many requests were received so far (faulted ones included).
    #[must_use]
    pub fn requests(&self) -> u64 {
        self.state.served.load(Ordering::Relaxed)
    }

    /// Stops accepting connections, lets requests in flight finish, and waits for the server;
    /// after [`SHUTDOWN_GRACE`] it stops waiting for connections still open (the listening
    /// socket is closed either way).
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut self.task).await {
            Ok(Ok(())) => tracing::info!(local_addr = %self.local_addr, "emulator stopped"),
            Ok(Err(error)) => tracing::error!(%error, "emulator server task failed"),
            Err(_) => {
                tracing::warn!("connections still open after the grace period; not waiting");
                self.task.abort();
            }
        }
    }
}

/// The axum application for a service with no knobs: every request goes through one handler,
/// so every response (404 and 400 included) has the service's body shape and an
/// `X-Request-Id`.
pub fn router(service: Arc<Service>) -> Router {
    Emulator::from_service(service).router()
}

/// The knobs, as the handler reads them.
struct Knobs {
    auth: Authenticator,
    clock: Clock,
    latency: Duration,
    faults: Option<FaultDice>,
    stall: Duration,
    churn: Option<(usize, u64)>,
    max_limit: Option<u32>,
    log: Option<RequestLog>,
}

struct AppState {
    service: Arc<Service>,
    ids: RequestIds,
    knobs: Knobs,
    served: AtomicU64,
}

/// Unique request ids: a counter and a per-process random mix of it, 32 hex digits.
struct RequestIds {
    next: AtomicU64,
    keys: RandomState,
}

impl RequestIds {
    fn new() -> Self {
        Self { next: AtomicU64::new(1), keys: RandomState::new() }
    }

    fn next(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{n:016x}{:016x}", self.keys.hash_one(n))
    }
}

/// What to do to the connection instead of answering.
#[derive(Debug)]
enum RawAction {
    /// Close with a TCP reset, nothing sent.
    Reset,
    /// Send these bytes (a response cut short), then close.
    Truncate(Vec<u8>),
    /// Close, nothing sent.
    Close,
}

/// How a request was dealt with.
enum Outcome {
    Reply(Response),
    Raw(RawAction),
}

// ---------------------------------------------------------------------------------------
// Connections

async fn accept_loop(listener: TcpListener, state: Arc<AppState>, stopped: oneshot::Receiver<()>) {
    let (stop_connections, stop_signal) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            // A send or a dropped sender both mean "stop".
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    if let Err(error) = stream.set_nodelay(true) {
                        tracing::debug!(%error, "cannot set TCP_NODELAY");
                    }
                    let state = Arc::clone(&state);
                    connections.spawn(connection(state, stream, stop_signal.clone()));
                }
                Err(error) => {
                    // E.g. out of file descriptors: wait rather than spin.
                    tracing::debug!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_connections.send(true);
    while connections.join_next().await.is_some() {}
}

/// A connection's channel from its requests to its task: a fault that acts on the
/// connection leaves its action here.
#[derive(Default)]
struct ConnectionControl {
    action: Mutex<Option<RawAction>>,
    notify: Notify,
}

async fn connection(state: Arc<AppState>, stream: TcpStream, mut stop: watch::Receiver<bool>) {
    let stream = Arc::new(stream);
    let control = Arc::new(ConnectionControl::default());
    let service = {
        let control = Arc::clone(&control);
        hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
            let state = Arc::clone(&state);
            let control = Arc::clone(&control);
            async move {
                match answer(&state, request.map(Body::new)).await {
                    Outcome::Reply(response) => Ok::<_, Infallible>(response),
                    Outcome::Raw(action) => {
                        *control.action.lock().unwrap_or_else(PoisonError::into_inner) =
                            Some(action);
                        control.notify.notify_one();
                        // The connection task drops this request with the connection.
                        std::future::pending().await
                    }
                }
            }
        })
    };
    let io = TokioIo::new(SharedStream(Arc::clone(&stream)));
    let mut served =
        Box::pin(http1::Builder::new().timer(TokioTimer::new()).serve_connection(io, service));
    let mut stopping = false;
    if *stop.borrow() {
        served.as_mut().graceful_shutdown();
        stopping = true;
    }
    let raw = loop {
        tokio::select! {
            result = served.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                break false;
            }
            () = control.notify.notified() => break true,
            _ = stop.changed(), if !stopping => {
                stopping = true;
                served.as_mut().graceful_shutdown();
            }
        }
    };
    drop(served);
    let action = control.action.lock().unwrap_or_else(PoisonError::into_inner).take();
    if let (true, Some(action)) = (raw, action) {
        act(&stream, action).await;
    }
}

/// Does a fault's action to the connection; the socket closes when the task ends.
async fn act(stream: &TcpStream, action: RawAction) {
    match action {
        RawAction::Reset => {
            if let Err(error) = stream.set_zero_linger() {
                tracing::debug!(%error, "cannot set SO_LINGER; closing normally");
            }
        }
        RawAction::Truncate(bytes) => {
            let written = tokio::time::timeout(SHUTDOWN_GRACE, write_all(stream, &bytes)).await;
            if !matches!(written, Ok(Ok(()))) {
                tracing::debug!("could not send the truncated response");
            }
        }
        RawAction::Close => {}
    }
}

async fn write_all(stream: &TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// A TCP stream shared between hyper and the connection task, which keeps it to act on the
/// connection after hyper is dropped.
struct SharedStream(Arc<TcpStream>);

impl AsyncRead for SharedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            // Nothing to read into; reading now would look like the end of the stream.
            return Poll::Ready(Ok(()));
        }
        loop {
            ready!(self.0.poll_read_ready(cx))?;
            match self.0.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }
}

impl AsyncWrite for SharedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match self.0.try_write(buf) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// The socket is closed when the connection task lets go of it.
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

// ---------------------------------------------------------------------------------------
// Requests

async fn handle_in_process(State(state): State<Arc<AppState>>, request: Request<Body>) -> Response {
    match answer(&state, request).await {
        Outcome::Reply(response) => response,
        Outcome::Raw(action) => {
            let error = io::Error::new(io::ErrorKind::ConnectionReset, format!("{action:?}"));
            let failing = futures::stream::once(std::future::ready(Err::<Vec<u8>, _>(error)));
            Response::new(Body::from_stream(failing))
        }
    }
}

/// Answers one request: latency, fault, route, authentication, listing, churn; logs it.
async fn answer(state: &AppState, request: Request<Body>) -> Outcome {
    let started = Instant::now();
    let time = (state.knobs.clock)();
    let request_id = state.ids.next();
    state.served.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();

    if !state.knobs.latency.is_zero() {
        tokio::time::sleep(state.knobs.latency).await;
    }
    let fault = state.knobs.faults.as_ref().and_then(FaultDice::roll);
    let outcome = match fault {
        Some(fault) => faulty(state, fault, &parts, body, &request_id).await,
        None => serve(state, &parts, body, &request_id).await,
    };

    let status = match &outcome {
        Outcome::Reply(response) => Some(response.status().as_u16()),
        Outcome::Raw(RawAction::Truncate(_)) => Some(200),
        Outcome::Raw(_) => None,
    };
    tracing::debug!(
        method = %parts.method,
        path = parts.uri.path(),
        status,
        fault = fault.map(Fault::name),
        %request_id,
        elapsed = ?started.elapsed(),
        "request answered"
    );
    if let Some(log) = &state.knobs.log {
        log.write(&Entry {
            time,
            request_id: &request_id,
            method: &parts.method,
            uri: &parts.uri,
            headers: &parts.headers,
            status,
            fault: fault.map(Fault::name),
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        });
    }
    outcome
}

/// The normal path: 404 for anything but the API, 401 for bad credentials, 400 for a bad
/// query, else the page.
async fn serve(
    state: &AppState,
    parts: &axum::http::request::Parts,
    body: Body,
    request_id: &str,
) -> Outcome {
    let Some(project_id) =
        (parts.method == Method::GET).then(|| project_of(parts.uri.path())).flatten()
    else {
        return Outcome::Reply(not_found(request_id));
    };

    if state.knobs.auth.is_enabled() {
        let body = axum::body::to_bytes(body, MAX_BODY).await.unwrap_or_default();
        let request = SignedRequest {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            query: parts.uri.query().unwrap_or_default(),
            headers: &parts.headers,
            body: &body,
        };
        if let Err(error) = state.knobs.auth.check(&request, (state.knobs.clock)()) {
            tracing::debug!(reason = error.reason(), %request_id, "authentication refused");
            let body = gateway_body(AUTH_FAILED_CODE, &error.to_string(), request_id);
            return Outcome::Reply(json_response(StatusCode::UNAUTHORIZED, body, request_id));
        }
    }

    let raw_query = parts.uri.query().unwrap_or_default().to_owned();
    let service = Arc::clone(&state.service);
    let max_limit = state.knobs.max_limit;
    let large = service.len() > BLOCKING_THRESHOLD;
    let listing = move || list(&service, &project_id, &raw_query, max_limit);
    let listed = if large {
        match tokio::task::spawn_blocking(listing).await {
            Ok(listed) => listed,
            Err(error) => {
                tracing::error!(%error, %request_id, "listing task failed");
                return Outcome::Reply(internal_error(request_id));
            }
        }
    } else {
        listing()
    };
    match listed {
        Ok(body) => {
            churn(state, large).await;
            Outcome::Reply(json_response(StatusCode::OK, body, request_id))
        }
        Err(error) => {
            tracing::debug!(%error, %request_id, "query refused");
            let mut body = Map::new();
            body.insert("error_code".to_owned(), Value::from(error.error_code()));
            body.insert("error_msg".to_owned(), Value::from(error.to_string()));
            let status =
                StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            Outcome::Reply(json_response(status, object_bytes(body), request_id))
        }
    }
}

/// One churn step after a listing, if churn is on.
async fn churn(state: &AppState, large: bool) {
    let Some((count, seed)) = state.knobs.churn else { return };
    let service = Arc::clone(&state.service);
    if large {
        if let Err(error) = tokio::task::spawn_blocking(move || service.churn(count, seed)).await {
            tracing::error!(%error, "churn task failed");
        }
    } else {
        service.churn(count, seed);
    }
}

/// Parses the raw query with the model (unknown keys ignored), caps `limit`, and lists.
fn list(
    service: &Service,
    project_id: &str,
    raw_query: &str,
    max_limit: Option<u32>,
) -> Result<Vec<u8>, ServiceError> {
    let parsed = ListBackupsQuery::parse(raw_query)?;
    if !parsed.unknown.is_empty() {
        let keys: Vec<&str> = parsed.unknown.iter().map(|(key, _)| key.as_str()).collect();
        tracing::debug!(?keys, "ignoring unknown query parameters");
    }
    let mut query = parsed.query;
    if let Some(max) = max_limit {
        // Only a valid limit is capped; an invalid one is still refused.
        let asked = query.limit.unwrap_or(MAX_LIMIT);
        if (MIN_LIMIT..=MAX_LIMIT).contains(&asked) && asked > max {
            query.limit = Some(max);
        }
    }
    service.list_json(project_id, &query)
}

/// A request the fault plan chose to fail.
async fn faulty(
    state: &AppState,
    fault: Fault,
    parts: &axum::http::request::Parts,
    body: Body,
    request_id: &str,
) -> Outcome {
    let gateway = |status: StatusCode, code: &str, message: &str| {
        Outcome::Reply(json_response(status, gateway_body(code, message, request_id), request_id))
    };
    match fault {
        Fault::TooManyRequests => {
            let message = "The throttling threshold has been reached: policy user over \
                           ratelimit,limit:200,time:1 minute";
            let body = gateway_body(THROTTLED_CODE, message, request_id);
            let mut response = json_response(StatusCode::TOO_MANY_REQUESTS, body, request_id);
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
            Outcome::Reply(response)
        }
        Fault::InternalError => Outcome::Reply(internal_error(request_id)),
        Fault::BadGateway => gateway(StatusCode::BAD_GATEWAY, BACKEND_FAILED_CODE, "Bad gateway"),
        Fault::Unavailable => {
            gateway(StatusCode::SERVICE_UNAVAILABLE, BACKEND_FAILED_CODE, "Backend unavailable")
        }
        Fault::GatewayTimeout => {
            gateway(StatusCode::GATEWAY_TIMEOUT, BACKEND_FAILED_CODE, "Backend timeout")
        }
        Fault::Reset => Outcome::Raw(RawAction::Reset),
        Fault::Stall => {
            tokio::time::sleep(state.knobs.stall).await;
            Outcome::Raw(RawAction::Close)
        }
        Fault::Truncate => {
            // The real answer, cut in half after announcing its full length.
            let (status, body) = match serve(state, parts, body, request_id).await {
                Outcome::Reply(response) => {
                    let status = response.status();
                    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await;
                    (status, bytes.map(|b| b.to_vec()).unwrap_or_default())
                }
                Outcome::Raw(action) => return Outcome::Raw(action),
            };
            let mut raw = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\n{REQUEST_ID_HEADER}: {request_id}\r\n\r\n",
                body.len() + 16
            )
            .into_bytes();
            raw.extend_from_slice(&body[..body.len() / 2]);
            Outcome::Raw(RawAction::Truncate(raw))
        }
        Fault::Html => Outcome::Reply(text_response(
            StatusCode::BAD_GATEWAY,
            "text/html",
            "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
             <center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n\
             </body>\r\n</html>\r\n",
            request_id,
        )),
        Fault::Empty => {
            Outcome::Reply(text_response(StatusCode::OK, "application/json", "", request_id))
        }
        Fault::NonJson => Outcome::Reply(text_response(
            StatusCode::OK,
            "text/html",
            "<!DOCTYPE html><html><head><title>Sign in</title></head>\
             <body><p>Please sign in to continue.</p></body></html>",
            request_id,
        )),
    }
}

/// The project id of `/v3/{project_id}/backups`, percent-decoded; `None` for any other path.
fn project_of(path: &str) -> Option<String> {
    let project = path.strip_prefix("/v3/")?.strip_suffix("/backups")?;
    if project.is_empty() || project.contains('/') {
        return None;
    }
    percent_decode(project).ok()
}

fn object_bytes(body: Map<String, Value>) -> Vec<u8> {
    serde_json::to_vec(&Value::Object(body)).unwrap_or_default()
}

/// The gateway's error body: code, message and the request id.
fn gateway_body(code: &str, message: &str, request_id: &str) -> Vec<u8> {
    let mut body = Map::new();
    body.insert("error_code".to_owned(), Value::from(code));
    body.insert("error_msg".to_owned(), Value::from(message));
    body.insert("request_id".to_owned(), Value::from(request_id));
    object_bytes(body)
}

fn not_found(request_id: &str) -> Response {
    let body = gateway_body(NOT_FOUND_CODE, NOT_FOUND_MESSAGE, request_id);
    json_response(StatusCode::NOT_FOUND, body, request_id)
}

fn internal_error(request_id: &str) -> Response {
    let mut body = Map::new();
    body.insert("error_code".to_owned(), Value::from("BackupService.9910"));
    body.insert("error_msg".to_owned(), Value::from("Unknown error."));
    json_response(StatusCode::INTERNAL_SERVER_ERROR, object_bytes(body), request_id)
}

fn json_response(status: StatusCode, body: Vec<u8>, request_id: &str) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    response
}

fn text_response(
    status: StatusCode,
    content_type: &'static str,
    body: &'static str,
    request_id: &str,
) -> Response {
    let mut response = json_response(status, body.as_bytes().to_vec(), request_id);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_backups_path_names_a_project() {
        // given / done / must hold: the one API path is recognised, nothing else
        assert_eq!(project_of("/v3/abc/backups").as_deref(), Some("abc"));
        assert_eq!(project_of("/v3/a%62c/backups").as_deref(), Some("abc"));
        assert_eq!(project_of("/v3//backups"), None);
        assert_eq!(project_of("/v3/a/b/backups"), None);
        assert_eq!(project_of("/v3/abc/backups/"), None);
        assert_eq!(project_of("/v3/abc/backup"), None);
        assert_eq!(project_of("/v3/%zz/backups"), None);
        assert_eq!(project_of("/v2/abc/backups"), None);
    }

    #[test]
    fn request_ids_are_unique() {
        // given: a request id source
        let ids = RequestIds::new();
        // done: many ids are drawn
        let drawn: std::collections::HashSet<String> = (0..10_000).map(|_| ids.next()).collect();
        // must hold: all distinct, 32 hex digits
        assert_eq!(drawn.len(), 10_000);
        assert!(drawn.iter().all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}
