//! The one error type every transport in this crate returns.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::sign::SignError;

/// A boxed error used as the `source` of transport failures.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Which of the two timeouts of a transport ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// Establishing the TCP (and TLS) connection took too long.
    Connect,
    /// The whole exchange, from sending to the last body byte, took too long.
    Request,
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::Request => "request",
        })
    }
}

/// What went wrong while moving one request and its response.
///
/// Messages are short, lower case and name the host (`host[:port]`), never a header value,
/// a body or a secret. Use the predicates ([`is_retryable`](Self::is_retryable) and
/// friends) rather than matching variants when deciding what to do next.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No connection could be established (refused, unreachable, DNS or TLS failure).
    #[error("cannot connect to {host}")]
    Connect {
        /// The `host[:port]` that was dialled.
        host: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },

    /// A timeout ran out before the exchange completed.
    #[error("{kind} timeout ({after:?}) talking to {host}")]
    Timeout {
        /// The `host[:port]` that was being talked to.
        host: String,
        /// Which timeout ran out.
        kind: TimeoutKind,
        /// The configured limit that was exceeded.
        after: Duration,
    },

    /// The connection failed after it was established, before a response head arrived
    /// (for example a reset, or a pooled connection the server had closed).
    #[error("sending the request to {host} failed")]
    Send {
        /// The `host[:port]` that was being talked to.
        host: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },

    /// The response body broke off or could not be decoded (for example bad gzip).
    #[error("response body from {host} was truncated or unreadable")]
    TruncatedBody {
        /// The `host[:port]` that sent the body.
        host: String,
        /// The underlying failure.
        #[source]
        source: BoxError,
    },

    /// The response body is larger than the configured limit; reading stopped there.
    #[error("response body from {host} exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The `host[:port]` that sent the body.
        host: String,
        /// The configured limit in bytes.
        limit: u64,
    },

    /// The request cannot be sent as given (for example a URI without scheme or host).
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong with it.
        reason: String,
    },

    /// The request could not be signed.
    #[error("cannot sign the request")]
    Sign {
        /// Why signing failed.
        #[from]
        source: SignError,
    },

    /// The underlying HTTP client could not be set up.
    #[error("cannot set up the http client")]
    Setup {
        /// The underlying failure.
        #[source]
        source: BoxError,
    },

    /// A cassette file could not be read or written.
    #[error("cassette {}: i/o error", path.display())]
    CassetteIo {
        /// The cassette file.
        path: PathBuf,
        /// The underlying failure.
        #[source]
        source: std::io::Error,
    },

    /// A cassette is not valid JSON or does not have the expected shape.
    #[error("cassette {}: {message}", source_name(path.as_deref()))]
    CassetteParse {
        /// The cassette file, if it came from one.
        path: Option<PathBuf>,
        /// What is wrong with it.
        message: String,
    },

    /// During replay, a request did not match the recorded interaction at `index`.
    #[error("replay mismatch at interaction {index}: expected {expected}, got {actual}")]
    ReplayMismatch {
        /// Zero-based index of the interaction that was expected next.
        index: usize,
        /// Method and path+query recorded in the cassette, e.g. `GET /v3/p/backups?limit=1`.
        expected: String,
        /// Method and path+query of the request actually made.
        actual: String,
    },

    /// During replay, a request arrived after every recorded interaction was used.
    #[error("replay exhausted: no recorded interaction at index {index}")]
    ReplayExhausted {
        /// Zero-based index the request would have used (= number of interactions).
        index: usize,
    },
}

/// How a cassette is named in messages: its path, or `<memory>` when it has none.
fn source_name(path: Option<&std::path::Path>) -> String {
    path.map_or_else(|| "<memory>".to_owned(), |p| p.display().to_string())
}

impl TransportError {
    /// True when a timeout (connect or request) ran out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// True when no connection could be established, including a connect timeout.
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Connect { .. })
            || matches!(self, Self::Timeout { kind: TimeoutKind::Connect, .. })
    }

    /// True when trying the same request again may succeed: connection failures, timeouts,
    /// failures while sending and truncated bodies.
    ///
    /// Invalid requests, signing failures, oversized bodies and cassette errors are not
    /// retryable: the same attempt would fail the same way. Whether the *request* may safely
    /// be repeated (idempotency) is for the caller to decide.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Connect { .. }
                | Self::Timeout { .. }
                | Self::Send { .. }
                | Self::TruncatedBody { .. }
        )
    }

    /// The `host[:port]` this error concerns, when it concerns one.
    pub fn host(&self) -> Option<&str> {
        match self {
            Self::Connect { host, .. }
            | Self::Timeout { host, .. }
            | Self::Send { host, .. }
            | Self::TruncatedBody { host, .. }
            | Self::BodyTooLarge { host, .. } => Some(host),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_follow_the_variant() {
        let io = || -> BoxError { Box::new(std::io::Error::other("x")) };
        let connect = TransportError::Connect { host: "h:1".into(), source: io() };
        let timeout = TransportError::Timeout {
            host: "h:1".into(),
            kind: TimeoutKind::Request,
            after: Duration::from_secs(2),
        };
        let too_large = TransportError::BodyTooLarge { host: "h:1".into(), limit: 10 };
        let exhausted = TransportError::ReplayExhausted { index: 3 };

        assert!(connect.is_connect() && connect.is_retryable() && !connect.is_timeout());
        assert!(timeout.is_timeout() && timeout.is_retryable() && !timeout.is_connect());
        assert!(!too_large.is_retryable());
        assert!(!exhausted.is_retryable());
        assert_eq!(timeout.to_string(), "request timeout (2s) talking to h:1");
        assert_eq!(too_large.to_string(), "response body from h:1 exceeds the limit of 10 bytes");
        assert_eq!(connect.host(), Some("h:1"));
    }
}
