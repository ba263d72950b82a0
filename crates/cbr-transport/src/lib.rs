//! A small HTTP layer that knows nothing of the service it talks to.
//!
//! * [`HttpTransport`]: send one `http::Request<Bytes>`, get the whole
//!   `http::Response<Bytes>` back. Dyn-compatible; `Arc<dyn HttpTransport>` works.
//! * [`ReqwestTransport`]: the real client (HTTP/1.1, rustls, gzip), sending exactly the
//!   headers it is given, with connect/request timeouts and a response size limit.
//! * [`SigningTransport`] and [`Signer`]: SDK-HMAC-SHA256 signing (the Huawei Cloud API
//!   gateway algorithm), re-signed with a fresh date on every send.
//! * [`RecordingTransport`] and [`ReplayingTransport`]: record exchanges to a JSON
//!   [`Cassette`] (secret headers redacted) and replay them later without a network.
//! * [`MockTransport`]: an in-memory test double for other crates' tests.
//! * [`CredentialChain`]: credentials and the project id from explicit values, the
//!   environment (`HUAWEICLOUD_SDK_*`) or the official credentials file, and
//!   [`TokenTransport`], which sends an IAM token as `X-Auth-Token` instead of signing.
//!
//! Layers wrap each other; a typical stack is
//! `SigningTransport<RecordingTransport<ReqwestTransport>>`.
//!
//! ```no_run
//! use bytes::Bytes;
//! use cbr_transport::{Credentials, HttpTransport, ReqwestTransport, Signer, SigningTransport};
//!
//! # async fn run() -> Result<(), cbr_transport::TransportError> {
//! let network = ReqwestTransport::builder()
//!     .connect_timeout(std::time::Duration::from_secs(5))
//!     .build()?;
//! let signer = Signer::new(Credentials::new("my-ak", "my-sk"));
//! let transport = SigningTransport::new(network, signer);
//! let request = http::Request::get("https://service.example.invalid/v1/items?limit=10")
//!     .header("content-type", "application/json")
//!     .body(Bytes::new())
//!     .map_err(|e| cbr_transport::TransportError::InvalidRequest { reason: e.to_string() })?;
//! let response = transport.send(request).await?;
//! println!("{}", response.status());
//! # Ok(())
//! # }
//! ```

mod cassette;
pub mod credentials;
mod error;
mod ini;
pub mod mock;
mod record;
mod redact;
mod replay;
mod reqwest_transport;
pub mod sign;
mod transport;

pub use cassette::{
    CASSETTE_VERSION, Cassette, CassetteRequest, CassetteResponse, HeaderList, Interaction,
};
pub use credentials::{
    Auth, CredentialChain, CredentialError, Environment, ProcessEnvironment, Resolved, Source,
    StaticEnvironment, TokenTransport,
};
pub use error::{BoxError, TimeoutKind, TransportError};
pub use mock::{MockTransport, RecordedRequest};
pub use record::RecordingTransport;
pub use redact::{DEFAULT_REDACTED_HEADERS, REDACTED, Redactions};
pub use replay::ReplayingTransport;
pub use reqwest_transport::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_TIMEOUT, ReqwestTransport,
    ReqwestTransportBuilder,
};
pub use sign::{
    Clock, Credentials, FixedClock, PercentDecodeError, SecretString, SignError, SignatureParts,
    Signer, SigningTransport, SystemClock, canonical_query, canonical_uri, parse_query,
    percent_decode, percent_encode,
};
pub use transport::{BoxFuture, HttpTransport};

/// Compiles the README's examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
