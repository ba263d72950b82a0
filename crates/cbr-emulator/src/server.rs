//! The HTTP face of the emulator: `GET /v3/{project_id}/backups` over axum, with the
//! service's error bodies, an `X-Request-Id` on every response, and a handle to stop it.

use std::hash::{BuildHasher, RandomState};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use axum::serve::ListenerExt;
use cbr_model::ListBackupsQuery;
use cbr_model::encode::percent_decode;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::dataset::Dataset;
use crate::service::{Service, ServiceError};

/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Gateway code for a path or method that is not an API.
pub const NOT_FOUND_CODE: &str = "APIGW.0101";

/// Gateway message for a path or method that is not an API.
pub const NOT_FOUND_MESSAGE: &str =
    "The API does not exist or has not been published in the environment";

/// How long [`RunningEmulator::shutdown`] lets open connections finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Above this many backups a listing runs on tokio's blocking pool rather than on the
/// connection's task, so one large request cannot stall the others.
const BLOCKING_THRESHOLD: usize = 20_000;

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
}

/// A ListBackups emulator, ready to be served.
///
/// ```no_run
/// # async fn demo() -> Result<(), cbr_emulator::EmulatorError> {
/// use cbr_emulator::{Dataset, Emulator};
///
/// let running = Emulator::new(Dataset::documented())
///     .bind(([127, 0, 0, 1], 0).into())
///     .await?;
/// println!("listening at {}", running.base_url());
/// running.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Emulator {
    dataset: Dataset,
}

impl Emulator {
    /// An emulator serving `dataset`.
    #[must_use]
    pub fn new(dataset: Dataset) -> Self {
        Self { dataset }
    }

    /// Serves the backups under another project id (see [`Dataset::with_project_id`]).
    #[must_use]
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.dataset = self.dataset.with_project_id(id);
        self
    }

    /// The service behind the HTTP layer.
    #[must_use]
    pub fn into_service(self) -> Service {
        Service::new(self.dataset)
    }

    /// The axum application, for in-process use (e.g. `tower::ServiceExt::oneshot`).
    pub fn router(self) -> Router {
        router(Arc::new(self.into_service()))
    }

    /// Binds `addr` (port 0 picks a free port) and serves on the current tokio runtime until
    /// [`RunningEmulator::shutdown`] is called or the handle is dropped.
    pub async fn bind(self, addr: SocketAddr) -> Result<RunningEmulator, EmulatorError> {
        let listener =
            TcpListener::bind(addr).await.map_err(|source| EmulatorError::Bind { addr, source })?;
        let local_addr = listener.local_addr().map_err(EmulatorError::LocalAddr)?;
        let listener = listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
        });
        let app = self.router();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let signal = async move {
                // A send or a dropped sender both mean "stop".
                let _ = stopped.await;
            };
            if let Err(error) = axum::serve(listener, app).with_graceful_shutdown(signal).await {
                tracing::error!(%error, "emulator server stopped with an error");
            }
        });
        tracing::info!(%local_addr, "emulator listening");
        Ok(RunningEmulator { local_addr, stop: Some(stop), task })
    }
}

/// A serving emulator. Dropping it stops the server too (without waiting).
#[derive(Debug)]
pub struct RunningEmulator {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
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

/// The axum application for a service: every request goes through one handler, so every
/// response (404 and 400 included) has the service's body shape and an `X-Request-Id`.
pub fn router(service: Arc<Service>) -> Router {
    let state = Arc::new(AppState { service, ids: RequestIds::new() });
    Router::new().fallback(handle).with_state(state)
}

struct AppState {
    service: Arc<Service>,
    ids: RequestIds,
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

async fn handle(State(state): State<Arc<AppState>>, method: Method, uri: Uri) -> Response {
    let request_id = state.ids.next();
    let project_id = match (method == Method::GET).then(|| project_of(uri.path())).flatten() {
        Some(project_id) => project_id,
        None => {
            tracing::debug!(%method, %uri, %request_id, "no such API");
            return not_found(&request_id);
        }
    };
    let raw_query = uri.query().unwrap_or_default().to_owned();
    let service = Arc::clone(&state.service);
    let outcome = if service.len() > BLOCKING_THRESHOLD {
        let listed = tokio::task::spawn_blocking(move || list(&service, &project_id, &raw_query));
        match listed.await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::error!(%error, %request_id, "listing task failed");
                return internal_error(&request_id);
            }
        }
    } else {
        list(&service, &project_id, &raw_query)
    };
    match outcome {
        Ok(Ok(body)) => json_response(StatusCode::OK, body, &request_id),
        Ok(Err(error)) => {
            // Serialising the model's own types cannot fail; answer 500 rather than panic.
            tracing::error!(%error, %request_id, "cannot serialise the response");
            internal_error(&request_id)
        }
        Err(error) => {
            tracing::debug!(%error, %request_id, "query refused");
            let mut body = Map::new();
            body.insert("error_code".to_owned(), Value::from(error.error_code()));
            body.insert("error_msg".to_owned(), Value::from(error.to_string()));
            let status =
                StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            json_response(status, object_bytes(body), &request_id)
        }
    }
}

/// The body of a listing, or why it could not be written.
type Listed = Result<Vec<u8>, serde_json::Error>;

/// Parses the raw query with the model (unknown keys ignored) and lists.
fn list(service: &Service, project_id: &str, raw_query: &str) -> Result<Listed, ServiceError> {
    let parsed = ListBackupsQuery::parse(raw_query)?;
    if !parsed.unknown.is_empty() {
        let keys: Vec<&str> = parsed.unknown.iter().map(|(key, _)| key.as_str()).collect();
        tracing::debug!(?keys, "ignoring unknown query parameters");
    }
    let response = service.list(project_id, &parsed.query)?;
    Ok(serde_json::to_vec(&response))
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

fn not_found(request_id: &str) -> Response {
    let mut body = Map::new();
    body.insert("error_code".to_owned(), Value::from(NOT_FOUND_CODE));
    body.insert("error_msg".to_owned(), Value::from(NOT_FOUND_MESSAGE));
    body.insert("request_id".to_owned(), Value::from(request_id));
    json_response(StatusCode::NOT_FOUND, object_bytes(body), request_id)
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
