//! The client's error type, one variant per phase: build (nothing sent), transport, service,
//! unexpected body, decode, pagination.

use cbr_model::QueryError;
use cbr_transport::TransportError;

/// Anything that can go wrong while listing backups.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be built; nothing was sent.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The request did not get a complete HTTP response.
    #[error("{method} {path}: {source}")]
    Transport {
        /// HTTP method.
        method: String,
        /// Request path and query.
        path: String,
        /// What the transport reported (it names the host).
        #[source]
        source: TransportError,
    },
    /// The service answered with an error status.
    #[error(transparent)]
    Service(Box<ServiceError>),
    /// A response whose body is not what the API returns (HTML from a proxy, empty, not JSON).
    #[error("unexpected response body (HTTP {status}) for {method} {path}: {snippet:?}")]
    UnexpectedBody {
        /// HTTP status.
        status: u16,
        /// HTTP method.
        method: String,
        /// Request path and query.
        path: String,
        /// The first bytes of the body (at most 200), lossily decoded.
        snippet: String,
        /// The `X-Request-Id` header, if any.
        request_id: Option<String>,
    },
    /// A JSON body that does not fit the response model.
    #[error("cannot decode response at {json_path}: {message}")]
    Decode {
        /// Where in the body decoding failed (e.g. `backups[3].resource_size`).
        json_path: String,
        /// What was wrong there.
        message: String,
        /// The `X-Request-Id` header, if any.
        request_id: Option<String>,
    },
    /// The service's paging did not make progress; the walk was stopped instead of looping.
    #[error("pagination stopped: {reason}")]
    Pagination {
        /// What the service did wrong.
        reason: String,
    },
}

/// A request that could not be built from what was given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A query parameter breaks its rule.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The endpoint is not an absolute `http(s)://host[:port]` URL.
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    Endpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong.
        reason: String,
    },
    /// No project id, or a blank one.
    #[error(
        "missing project id: set --project-id, HUAWEICLOUD_SDK_PROJECT_ID, or `project_id` in \
         the credentials file"
    )]
    MissingProjectId,
    /// A client option outside its range.
    #[error("invalid option `{option}`: {reason}")]
    Option {
        /// Name of the option.
        option: &'static str,
        /// The rule it breaks.
        reason: String,
    },
}

/// An error answer of the service or its API gateway.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "HTTP {status}{} for {method} {path}: {message}{}{}",
    // A code that only repeats the status (the body had none) is not shown twice.
    if *code == status.to_string() { String::new() } else { format!(" {code}") },
    request_id.as_deref().map(|id| format!(" (request id {id})")).unwrap_or_default(),
    hint_for(code.as_str()).map(|h| format!("; hint: {h}")).unwrap_or_default(),
)]
#[non_exhaustive]
pub struct ServiceError {
    /// HTTP status.
    pub status: u16,
    /// `error_code` (e.g. `APIGW.0301`), or the status as text when the body has none.
    pub code: String,
    /// `error_msg`, or the body text when it is not JSON.
    pub message: String,
    /// Request id from the body or the `X-Request-Id` header.
    pub request_id: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Request path and query (the query shows where a walk stopped: `offset` or `marker`).
    pub path: String,
}

/// Advice for the error codes operators meet most.
#[must_use]
pub fn hint_for(code: &str) -> Option<&'static str> {
    match code {
        "APIGW.0301" | "APIG.0301" => Some(
            "authentication failed: check the access key and secret key, and that this \
             machine's clock is within 15 minutes of the service's",
        ),
        "APIGW.0101" | "APIG.0101" => {
            Some("the API was not found: check the endpoint or region and the project id")
        }
        "APIGW.0308" | "APIG.0308" => Some("throttled: retry later or lower the request rate"),
        "BackupService.9900" => Some("a query parameter was rejected by the service"),
        _ => None,
    }
}

impl Error {
    /// Whether trying the same request again may succeed (throttling, 5xx gateway errors,
    /// connection failures, timeouts, truncated bodies).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { source, .. } => source.is_retryable(),
            Self::Service(e) => matches!(e.status, 429 | 500 | 502 | 503 | 504),
            // A well-behaved service never sends a 2xx that is not JSON: a proxy or a cut
            // connection did, and trying again may well work.
            Self::UnexpectedBody { status, .. } => (200..300).contains(status),
            _ => false,
        }
    }

    /// Whether the service refused the credentials.
    #[must_use]
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Service(e) if e.status == 401 || e.code.ends_with(".0301"))
    }

    /// Whether the service throttled the request.
    #[must_use]
    pub fn is_throttled(&self) -> bool {
        matches!(self, Self::Service(e) if e.status == 429 || e.code.ends_with(".0308"))
    }

    /// The request id the service gave, for support tickets.
    #[must_use]
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Service(e) => e.request_id.as_deref(),
            Self::UnexpectedBody { request_id, .. } | Self::Decode { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }
}

impl From<QueryError> for Error {
    fn from(error: QueryError) -> Self {
        Self::Build(BuildError::Query(error))
    }
}
