//! SDK-HMAC-SHA256 request signing (the Huawei Cloud API gateway algorithm) and its layer.
//!
//! The signer reads a request exactly as it will be sent, adds `X-Sdk-Date`, `Host` and
//! (for temporary credentials) `X-Security-Token`, rewrites the query into its canonical
//! form and sets `Authorization`. [`SigningTransport`] does this just before every send.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use http::{HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use crate::redact::REDACTED;
use crate::transport::authority_host;
use crate::{BoxFuture, HttpTransport, TransportError};

/// The algorithm name that opens the `Authorization` header and the string to sign.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// Lower-hex SHA-256 of an empty body, the payload hash of every body-less request.
pub const EMPTY_BODY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// `strftime` form of `X-Sdk-Date`, e.g. `20240115T080910Z`.
pub const DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Header carrying the signing time.
pub const X_SDK_DATE: HeaderName = HeaderName::from_static("x-sdk-date");

/// Header that replaces the body hash (value `UNSIGNED-PAYLOAD`) for non-JSON bodies.
pub const X_SDK_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-sdk-content-sha256");

/// Header carrying the security token of temporary credentials.
pub const X_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-security-token");

/// Header carrying the project id.
pub const X_PROJECT_ID: HeaderName = HeaderName::from_static("x-project-id");

/// Value of [`X_SDK_CONTENT_SHA256`] that stands in for the body hash.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

// ---------------------------------------------------------------------------------------
// Encoding

/// Why a percent-encoded text could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PercentDecodeError {
    /// A `%` is not followed by two hex digits.
    #[error("bad percent escape at byte {position}")]
    BadEscape {
        /// Byte offset of the `%`.
        position: usize,
    },
    /// The decoded bytes are not UTF-8 text.
    #[error("percent-decoded text is not utf-8")]
    NotUtf8,
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes every UTF-8 byte of `s` except `A-Z a-z 0-9 - _ . ~`, with upper-case
/// hex (space is `%20`, `+` is `%2B`).
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if is_unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Decodes `%XX` escapes; with `strict` a bad escape is an error, otherwise it stays as is.
fn decode_bytes(s: &str, strict: bool) -> Result<Vec<u8>, PercentDecodeError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hi = bytes.get(i + 1).copied().and_then(hex_value);
            let lo = bytes.get(i + 2).copied().and_then(hex_value);
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
            if strict {
                return Err(PercentDecodeError::BadEscape { position: i });
            }
        }
        out.push(b);
        i += 1;
    }
    Ok(out)
}

/// Decodes `%XX` escapes strictly: a `%` not followed by two hex digits, or bytes that
/// are not UTF-8, are errors. `+` stays `+` (it is not a space).
pub fn percent_decode(s: &str) -> Result<String, PercentDecodeError> {
    String::from_utf8(decode_bytes(s, true)?).map_err(|_| PercentDecodeError::NotUtf8)
}

/// Splits a raw query string (without `?`) into decoded `(key, value)` pairs, in order.
///
/// Empty segments are skipped; a segment without `=` has an empty value.
pub fn parse_query(query: &str) -> Result<Vec<(String, String)>, PercentDecodeError> {
    query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
            Ok((percent_decode(key)?, percent_decode(value)?))
        })
        .collect()
}

/// The canonical query string: pairs sorted by raw (unencoded) key then value bytes, each
/// key and value [`percent_encode`]d, joined as `k=v` with `&`. Empty input gives `""`.
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    sorted
        .iter()
        .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The canonical URI of a path: percent-decoded, split on `/`, each segment
/// [`percent_encode`]d, re-joined, with a trailing `/` added when missing.
///
/// Decoding is lenient like the reference signer: a bad `%` escape stays literal and
/// bytes that are not UTF-8 become U+FFFD.
pub fn canonical_uri(path: &str) -> String {
    let bytes = decode_bytes(path, false).unwrap_or_else(|_| path.as_bytes().to_vec());
    let decoded = String::from_utf8_lossy(&bytes);
    let mut out = decoded.split('/').map(percent_encode).collect::<Vec<_>>().join("/");
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

// ---------------------------------------------------------------------------------------
// Credentials

/// A secret string whose `Debug` and `Display` print `<redacted>`.
#[derive(Clone)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself; do not log or print it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl From<String> for SecretString {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl From<&str> for SecretString {
    fn from(secret: &str) -> Self {
        Self(secret.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// An access key (AK), its secret key (SK) and, for temporary credentials, a security token.
#[derive(Clone)]
pub struct Credentials {
    access_key: String,
    secret_key: SecretString,
    security_token: Option<SecretString>,
}

impl Credentials {
    /// Permanent credentials from an access key and a secret key.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<SecretString>) -> Self {
        Self { access_key: access_key.into(), secret_key: secret_key.into(), security_token: None }
    }

    /// Makes these temporary credentials: the token is sent (and signed) as
    /// `X-Security-Token`.
    pub fn with_security_token(mut self, token: impl Into<SecretString>) -> Self {
        self.security_token = Some(token.into());
        self
    }

    /// The access key (AK), which is not secret.
    pub fn access_key(&self) -> &str {
        &self.access_key
    }

    /// The secret key (SK).
    pub fn secret_key(&self) -> &SecretString {
        &self.secret_key
    }

    /// The security token of temporary credentials.
    pub fn security_token(&self) -> Option<&SecretString> {
        self.security_token.as_ref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("security_token", &self.security_token)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// Signer

/// Why a request could not be signed. Messages never contain header values or secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// `X-Sdk-Date` is not in `YYYYMMDDTHHMMSSZ` form.
    #[error("x-sdk-date {value:?} is not in YYYYMMDDTHHMMSSZ form")]
    InvalidDate {
        /// The value found.
        value: String,
    },
    /// The request has no `Host` header and its URI has no authority.
    #[error("request has neither a host header nor an absolute uri")]
    MissingHost,
    /// The query string is not validly percent-encoded.
    #[error("query string cannot be decoded")]
    InvalidQuery {
        /// The decoding failure.
        #[source]
        source: PercentDecodeError,
    },
    /// A header that would be signed is not UTF-8 text.
    #[error("value of header {name} is not utf-8 text")]
    InvalidHeaderValue {
        /// The header name.
        name: String,
    },
    /// A header that would be signed appears more than once.
    #[error("header {name} appears more than once and cannot be signed")]
    RepeatedHeader {
        /// The header name.
        name: String,
    },
    /// A credential or configured value cannot be put into a header.
    #[error("{what} cannot be used as a header value")]
    InvalidValue {
        /// What it is (`access key`, `security token`, `project id`, ...).
        what: &'static str,
    },
    /// The rewritten URI is not valid.
    #[error("cannot rebuild the request uri: {reason}")]
    InvalidUri {
        /// What went wrong.
        reason: String,
    },
}

/// Every intermediate result of one signature, for tests and server-side verification.
///
/// None of these is the secret key. With temporary credentials `canonical_request` does
/// contain the security token, and `authorization` is a bearer credential until the date
/// expires, so do not log them; `Debug` hides both.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureParts {
    /// The signing time as used in the string to sign (`YYYYMMDDTHHMMSSZ`).
    pub date: String,
    /// The canonical query string, also the query now on the request URI.
    pub canonical_query: String,
    /// The lower-hex payload hash, or `UNSIGNED-PAYLOAD`.
    pub payload_hash: String,
    /// The six-part canonical request.
    pub canonical_request: String,
    /// `SDK-HMAC-SHA256\n<date>\n<hex sha256 of the canonical request>`.
    pub string_to_sign: String,
    /// Signed header names, lower case, sorted, joined by `;`.
    pub signed_headers: String,
    /// Lower-hex HMAC-SHA256 of the string to sign.
    pub signature: String,
    /// The full `Authorization` header value.
    pub authorization: String,
}

impl fmt::Debug for SignatureParts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureParts")
            .field("date", &self.date)
            .field("canonical_query", &self.canonical_query)
            .field("payload_hash", &self.payload_hash)
            .field("string_to_sign", &self.string_to_sign)
            .field("signed_headers", &self.signed_headers)
            .field("canonical_request", &REDACTED)
            .field("signature", &REDACTED)
            .field("authorization", &REDACTED)
            .finish()
    }
}

/// Signs requests with SDK-HMAC-SHA256.
#[derive(Clone, Debug)]
pub struct Signer {
    credentials: Credentials,
}

impl Signer {
    /// A signer for these credentials.
    pub fn new(credentials: Credentials) -> Self {
        Self { credentials }
    }

    /// The credentials this signer uses.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Signs `request` in place and returns every intermediate result.
    ///
    /// In order: an existing `Authorization` is removed; a `Content-Type` other than
    /// `application/json*` / `application/bson*` adds `X-Sdk-Content-Sha256:
    /// UNSIGNED-PAYLOAD`; an existing `X-Sdk-Date` is kept (else `now` is used and the header
    /// added); `X-Security-Token` is set for temporary credentials; `Host` is set from the URI
    /// authority verbatim (port included) when absent; the query is decoded and the URI
    /// rewritten to the canonical query; every header whose name has no `_` is signed with
    /// its value trimmed (the sent value is trimmed too); finally `Authorization` is set.
    pub fn sign(
        &self,
        request: &mut http::Request<Bytes>,
        now: DateTime<Utc>,
    ) -> Result<SignatureParts, SignError> {
        request.headers_mut().remove(AUTHORIZATION);
        self.add_headers(request, now)?;
        let date = signing_date(request.headers())?;

        let canonical_query = rewrite_query(request)?;
        let canonical_uri = canonical_uri(request.uri().path());
        let (canonical_headers, signed_headers) = canonical_headers(request.headers_mut())?;
        let payload_hash = payload_hash(request)?;
        let canonical_request = format!(
            "{}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n\
             {payload_hash}",
            request.method().as_str().to_ascii_uppercase()
        );

        let hashed = hex::encode(Sha256::digest(canonical_request.as_bytes()));
        let string_to_sign = format!("{ALGORITHM}\n{date}\n{hashed}");
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.credentials.secret_key.expose_secret().as_bytes())
                .map_err(|_| SignError::InvalidValue { what: "secret key" })?;
        mac.update(string_to_sign.as_bytes());
        let signature = hex::encode(mac.finalize().into_bytes());
        let authorization = format!(
            "{ALGORITHM} Access={}, SignedHeaders={signed_headers}, Signature={signature}",
            self.credentials.access_key
        );
        let mut value = HeaderValue::from_str(&authorization)
            .map_err(|_| SignError::InvalidValue { what: "access key" })?;
        value.set_sensitive(true);
        request.headers_mut().insert(AUTHORIZATION, value);

        Ok(SignatureParts {
            date,
            canonical_query,
            payload_hash,
            canonical_request,
            string_to_sign,
            signed_headers,
            signature,
            authorization,
        })
    }

    /// Adds the headers the signer owns: unsigned-payload marker, date, token, host.
    fn add_headers(
        &self,
        request: &mut http::Request<Bytes>,
        now: DateTime<Utc>,
    ) -> Result<(), SignError> {
        let host = if request.headers().contains_key(HOST) {
            None
        } else {
            let host = authority_host(request.uri()).ok_or(SignError::MissingHost)?;
            let value = HeaderValue::from_str(host)
                .map_err(|_| SignError::InvalidValue { what: "uri host" })?;
            Some(value)
        };
        let headers = request.headers_mut();

        let unsigned_payload = headers.get(CONTENT_TYPE).is_some_and(|ct| {
            let ct = ct.as_bytes();
            !ct.starts_with(b"application/json") && !ct.starts_with(b"application/bson")
        });
        if unsigned_payload {
            headers.insert(X_SDK_CONTENT_SHA256, HeaderValue::from_static(UNSIGNED_PAYLOAD));
        }

        if !headers.contains_key(X_SDK_DATE) {
            let date = now.format(DATE_FORMAT).to_string();
            let value = HeaderValue::from_str(&date)
                .map_err(|_| SignError::InvalidValue { what: "signing date" })?;
            headers.insert(X_SDK_DATE, value);
        }

        if let Some(token) = &self.credentials.security_token {
            let mut value = HeaderValue::from_str(token.expose_secret())
                .map_err(|_| SignError::InvalidValue { what: "security token" })?;
            value.set_sensitive(true);
            headers.insert(X_SECURITY_TOKEN, value);
        }

        if let Some(host) = host {
            headers.insert(HOST, host);
        }
        Ok(())
    }
}

/// Parses `X-Sdk-Date` and returns it re-formatted, as the string to sign uses it.
fn signing_date(headers: &http::HeaderMap) -> Result<String, SignError> {
    let raw = headers.get(X_SDK_DATE).map(HeaderValue::as_bytes).unwrap_or_default();
    let text = String::from_utf8_lossy(raw);
    let parsed = NaiveDateTime::parse_from_str(&text, DATE_FORMAT)
        .map_err(|_| SignError::InvalidDate { value: text.clone().into_owned() })?;
    Ok(parsed.format(DATE_FORMAT).to_string())
}

/// Re-canonicalises the request's query and rewrites the URI to it; returns it.
fn rewrite_query(request: &mut http::Request<Bytes>) -> Result<String, SignError> {
    let uri = request.uri();
    let pairs = parse_query(uri.query().unwrap_or_default())
        .map_err(|source| SignError::InvalidQuery { source })?;
    let canonical = canonical_query(&pairs);
    let path_and_query = if canonical.is_empty() {
        uri.path().to_owned()
    } else {
        format!("{}?{canonical}", uri.path())
    };
    if uri.path_and_query().map(http::uri::PathAndQuery::as_str) == Some(path_and_query.as_str()) {
        return Ok(canonical);
    }

    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        path_and_query
            .parse()
            .map_err(|e: http::uri::InvalidUri| SignError::InvalidUri { reason: e.to_string() })?,
    );
    *request.uri_mut() = http::Uri::from_parts(parts)
        .map_err(|e| SignError::InvalidUri { reason: e.to_string() })?;
    Ok(canonical)
}

/// Builds the canonical header block and the signed-header list, trimming sent values.
fn canonical_headers(headers: &mut http::HeaderMap) -> Result<(String, String), SignError> {
    let mut signed: Vec<(HeaderName, String)> = Vec::new();
    for name in headers.keys() {
        if name.as_str().contains('_') {
            continue;
        }
        let mut values = headers.get_all(name).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(SignError::RepeatedHeader { name: name.to_string() });
        };
        let text = std::str::from_utf8(value.as_bytes())
            .map_err(|_| SignError::InvalidHeaderValue { name: name.to_string() })?;
        signed.push((name.clone(), text.trim().to_owned()));
    }
    signed.sort_by(|(a, _), (b, _)| a.as_str().cmp(b.as_str()));

    let mut block = String::new();
    for (name, value) in &signed {
        let current = headers.get(name).map(HeaderValue::as_bytes);
        if current != Some(value.as_bytes()) {
            let mut trimmed = HeaderValue::from_bytes(value.as_bytes())
                .map_err(|_| SignError::InvalidHeaderValue { name: name.to_string() })?;
            trimmed.set_sensitive(headers.get(name).is_some_and(HeaderValue::is_sensitive));
            headers.insert(name.clone(), trimmed);
        }
        block.push_str(name.as_str());
        block.push(':');
        block.push_str(value);
        block.push('\n');
    }
    let list = signed.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(";");
    Ok((block, list))
}

/// The payload hash: hex SHA-256 of the body, or the `X-Sdk-Content-Sha256` value when the
/// body is non-empty and that header is present.
fn payload_hash(request: &http::Request<Bytes>) -> Result<String, SignError> {
    let body = request.body();
    if body.is_empty() {
        return Ok(EMPTY_BODY_SHA256.to_owned());
    }
    match request.headers().get(X_SDK_CONTENT_SHA256) {
        Some(value) => value
            .to_str()
            .map(str::to_owned)
            .map_err(|_| SignError::InvalidHeaderValue { name: X_SDK_CONTENT_SHA256.to_string() }),
        None => Ok(hex::encode(Sha256::digest(body))),
    }
}

// ---------------------------------------------------------------------------------------
// Clock and layer

/// Where the signing layer gets the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that shows a set time until told otherwise; for tests.
#[derive(Debug)]
pub struct FixedClock {
    now: Mutex<DateTime<Utc>>,
}

impl FixedClock {
    /// A clock stopped at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self { now: Mutex::new(now) }
    }

    /// Sets the time shown from now on.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the time shown forward by `by`.
    pub fn advance(&self, by: chrono::TimeDelta) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A layer that signs every request just before handing it to the inner transport.
///
/// Each call to [`send`](HttpTransport::send) is signed anew with a fresh date from the
/// clock, so a retry above this layer never reuses a stale signature. An `X-Sdk-Date`
/// already on the request is **replaced** by the fresh one (some official SDKs keep an
/// existing date, so a request reused after a long back-off is rejected as stale). An
/// existing `Authorization` is replaced as well. Put this layer above any recording layer
/// so that recordings show what was really sent (with `Authorization` redacted).
#[derive(Debug)]
pub struct SigningTransport<T> {
    inner: T,
    signer: Signer,
    clock: Arc<dyn Clock>,
    project_id: Option<HeaderValue>,
}

impl<T: HttpTransport> SigningTransport<T> {
    /// Signs with `signer` using the system clock.
    pub fn new(inner: T, signer: Signer) -> Self {
        Self { inner, signer, clock: Arc::new(SystemClock), project_id: None }
    }

    /// Uses `clock` for signing dates.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Sets (and signs) `X-Project-Id: <project_id>` on every request.
    pub fn with_project_id(mut self, project_id: &str) -> Result<Self, SignError> {
        let value = HeaderValue::from_str(project_id)
            .map_err(|_| SignError::InvalidValue { what: "project id" })?;
        self.project_id = Some(value);
        Ok(self)
    }

    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The signer in use.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }
}

impl<T: HttpTransport> HttpTransport for SigningTransport<T> {
    fn send(
        &self,
        mut request: http::Request<Bytes>,
    ) -> BoxFuture<'_, Result<http::Response<Bytes>, TransportError>> {
        Box::pin(async move {
            let headers = request.headers_mut();
            headers.remove(X_SDK_DATE);
            if let Some(project_id) = &self.project_id {
                headers.insert(X_PROJECT_ID, project_id.clone());
            }
            let parts = self.signer.sign(&mut request, self.clock.now())?;
            tracing::trace!(
                date = %parts.date, signed_headers = %parts.signed_headers, "request signed"
            );
            self.inner.send(request).await
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn encoder_keeps_only_unreserved() {
        assert_eq!(percent_encode("OS::Nova::Server"), "OS%3A%3ANova%3A%3AServer");
        assert_eq!(percent_encode("my backup 01"), "my%20backup%2001");
        assert_eq!(percent_encode("x~y/z%41"), "x~y%2Fz%2541");
        assert_eq!(percent_encode("a&b=c+d"), "a%26b%3Dc%2Bd");
        assert_eq!(percent_encode("é"), "%C3%A9");
        assert_eq!(percent_encode("Az09-_.~"), "Az09-_.~");
    }

    #[test]
    fn decoder_is_strict() {
        assert_eq!(percent_decode("a%2Bb+c%e9%81%93").unwrap(), "a+b+c道");
        assert_eq!(percent_decode("100%"), Err(PercentDecodeError::BadEscape { position: 3 }));
        assert_eq!(percent_decode("%zz"), Err(PercentDecodeError::BadEscape { position: 0 }));
        assert_eq!(percent_decode("%FF"), Err(PercentDecodeError::NotUtf8));
    }

    #[test]
    fn canonical_query_sorts_raw_pairs_then_encodes() {
        let given = pairs(&[("status", "z"), ("status", "é"), ("status", "a/"), ("a", "")]);
        assert_eq!(canonical_query(&given), "a=&status=a%2F&status=z&status=%C3%A9");
        assert_eq!(canonical_query(&[]), "");
    }

    #[test]
    fn canonical_uri_adds_trailing_slash_and_reencodes() {
        assert_eq!(canonical_uri("/v3/p/backups"), "/v3/p/backups/");
        assert_eq!(canonical_uri("/v3/p/backups/"), "/v3/p/backups/");
        assert_eq!(canonical_uri("/a%2Fb/c d"), "/a/b/c%20d/");
        assert_eq!(canonical_uri("/a%zz"), "/a%25zz/");
        assert_eq!(canonical_uri(""), "/");
    }

    #[test]
    fn parse_query_splits_and_decodes() {
        let parsed = parse_query("b=2&&a&c=x%20y").unwrap();
        assert_eq!(parsed, pairs(&[("b", "2"), ("a", ""), ("c", "x y")]));
        assert!(parse_query("a=%").is_err());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let creds = Credentials::new("AK-PUBLIC", "canary-sk-0001").with_security_token("tok-0002");
        let shown = format!("{creds:?} {} {:?}", creds.secret_key(), Signer::new(creds.clone()));

        assert!(!shown.contains("canary-sk-0001"), "{shown}");
        assert!(!shown.contains("tok-0002"), "{shown}");
        assert!(shown.contains("AK-PUBLIC"));
    }

    #[test]
    fn sign_adds_date_host_token_and_rewrites_query() {
        let creds = Credentials::new("AK", "SK").with_security_token("canary-token");
        let mut request = http::Request::builder()
            .uri("http://127.0.0.1:18080/v3/p/backups?offset=0&limit=10&name=a%20b")
            .header("x-custom", "  padded  ")
            .body(Bytes::new())
            .unwrap();
        let now = Utc.with_ymd_and_hms(2024, 1, 15, 8, 9, 10).unwrap();

        let parts = Signer::new(creds).sign(&mut request, now).unwrap();

        let headers = request.headers();
        assert_eq!(headers["x-sdk-date"], "20240115T080910Z");
        assert_eq!(headers["host"], "127.0.0.1:18080");
        assert_eq!(headers["x-custom"], "padded");
        assert_eq!(headers["x-security-token"], "canary-token");
        assert_eq!(parts.signed_headers, "host;x-custom;x-sdk-date;x-security-token");
        assert_eq!(
            request.uri().path_and_query().unwrap().as_str(),
            "/v3/p/backups?limit=10&name=a%20b&offset=0"
        );
        assert_eq!(headers["authorization"].to_str().unwrap(), parts.authorization);
        let shown = format!("{parts:?} {request:?}");
        assert!(!shown.contains("canary-token"), "{shown}");
        assert!(!shown.contains(&parts.signature), "{shown}");
    }

    #[test]
    fn non_ascii_header_values_are_signed_as_utf8() {
        let mut request = http::Request::builder()
            .uri("https://h/p")
            .header("x-sdk-date", "20240115T080910Z")
            .header("x-name", http::HeaderValue::from_bytes("备份".as_bytes()).unwrap())
            .body(Bytes::new())
            .unwrap();

        let parts = Signer::new(Credentials::new("AK", "SK")).sign(&mut request, Utc::now());

        assert!(parts.unwrap().canonical_request.contains("\nx-name:备份\n"));
        assert_eq!(request.headers()["x-name"].as_bytes(), "备份".as_bytes());
    }

    #[test]
    fn sign_rejects_bad_date_and_repeated_headers() {
        let signer = Signer::new(Credentials::new("AK", "SK"));
        let now = Utc::now();
        let mut bad_date = http::Request::builder()
            .uri("https://h/p")
            .header("x-sdk-date", "2024-01-15")
            .body(Bytes::new())
            .unwrap();
        let mut repeated = http::Request::builder()
            .uri("https://h/p")
            .header("x-a", "1")
            .header("x-a", "2")
            .body(Bytes::new())
            .unwrap();
        let mut relative = http::Request::builder().uri("/p").body(Bytes::new()).unwrap();

        assert!(matches!(signer.sign(&mut bad_date, now), Err(SignError::InvalidDate { .. })));
        assert!(matches!(signer.sign(&mut repeated, now), Err(SignError::RepeatedHeader { .. })));
        assert!(matches!(signer.sign(&mut relative, now), Err(SignError::MissingHost)));
    }

    #[tokio::test]
    async fn layer_signs_each_send_with_a_fresh_date() {
        let mock = Arc::new(crate::MockTransport::new(|_| Ok(http::Response::new(Bytes::new()))));
        let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2024, 1, 15, 8, 9, 10).unwrap()));
        let layer = SigningTransport::new(mock.clone(), Signer::new(Credentials::new("AK", "SK")))
            .with_clock(clock.clone())
            .with_project_id("proj")
            .unwrap();
        let request = || {
            http::Request::builder()
                .uri("https://h/p")
                .header("x-sdk-date", "20000101T000000Z")
                .body(Bytes::new())
                .unwrap()
        };

        layer.send(request()).await.unwrap();
        clock.advance(chrono::TimeDelta::seconds(90));
        layer.send(request()).await.unwrap();

        let seen = mock.requests();
        assert_eq!(seen[0].headers["x-sdk-date"], "20240115T080910Z");
        assert_eq!(seen[1].headers["x-sdk-date"], "20240115T081040Z");
        assert_eq!(seen[1].headers["x-project-id"], "proj");
        let auth = seen[1].headers["authorization"].to_str().unwrap();
        assert!(auth.contains("SignedHeaders=host;x-project-id;x-sdk-date"), "{auth}");
        assert_ne!(seen[0].headers["authorization"], seen[1].headers["authorization"]);
    }
}
