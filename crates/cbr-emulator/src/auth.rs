//! The API gateway's authentication, checked on the server side: `SDK-HMAC-SHA256` AK/SK
//! signatures rebuilt from the request as received, and IAM tokens in `X-Auth-Token`.
//!
//! The canonical request is rebuilt here from the wire rules of the official SDK's signer
//! (method, decoded then re-encoded path with a trailing `/`, re-canonicalised query, the
//! signed headers with trimmed values, body hash). None of it is shared with the client's
//! signer, so a bug on one side cannot hide a bug on the other.

use std::fmt;
use std::sync::Arc;

use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The access key of the fixed demo credentials (what the CLI's in-process `--emulator` mode
/// signs with). Not a secret: it only opens the local emulator.
pub const DEMO_ACCESS_KEY: &str = "CBREMULATORDEMOAK001";

/// The secret key of the fixed demo credentials, paired with [`DEMO_ACCESS_KEY`].
pub const DEMO_SECRET_KEY: &str = "cbr-emulator-demo-secret-key-not-for-real-use";

/// The gateway's error code for any refused authentication (HTTP 401).
pub const AUTH_FAILED_CODE: &str = "APIGW.0301";

/// The only signing algorithm accepted.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// How far `X-Sdk-Date` may be from the emulator's clock, either way (the gateway's window).
pub const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(15);

/// The format of `X-Sdk-Date`: `20240115T080910Z`.
const DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// Lower-hex SHA-256 of an empty body.
const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The emulator's idea of "now": for signature dates, request-log times and churn. Injected so
/// tests can pin it.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The real UTC clock.
#[must_use]
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// Why a request was refused; every variant is a `401 APIGW.0301`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Neither an `Authorization` header nor an `X-Auth-Token`.
    #[error("Incorrect IAM authentication information: missing authorization")]
    MissingAuthorization,
    /// `Authorization` is not `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
    #[error("Incorrect IAM authentication information: verify aksk signature fail")]
    MalformedAuthorization,
    /// The access key is not one of the configured ones.
    #[error("Incorrect IAM authentication information: ak not exist")]
    UnknownAccessKey,
    /// `x-sdk-date` is not among the signed headers, missing, or not `YYYYMMDDTHHMMSSZ`.
    #[error("Incorrect IAM authentication information: verify aksk signature fail")]
    BadDate,
    /// The signature does not match the request as received.
    #[error("Incorrect IAM authentication information: verify aksk signature fail")]
    SignatureMismatch,
    /// `X-Sdk-Date` is more than [`MAX_CLOCK_SKEW`] away from the emulator's clock.
    #[error("Incorrect IAM authentication information: signature expired")]
    Expired,
    /// `X-Auth-Token` is not one of the configured tokens.
    #[error("Incorrect IAM authentication information: decrypt token fail")]
    BadToken,
}

impl AuthError {
    /// The short reason after the colon of the gateway's message, e.g. `ak not exist`.
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingAuthorization => "missing authorization",
            Self::MalformedAuthorization | Self::BadDate | Self::SignatureMismatch => {
                "verify aksk signature fail"
            }
            Self::UnknownAccessKey => "ak not exist",
            Self::Expired => "signature expired",
            Self::BadToken => "decrypt token fail",
        }
    }
}

/// A secret kept out of `Debug`, logs and errors.
#[derive(Clone, PartialEq, Eq)]
struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Who a request was accepted as.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Principal {
    /// Verification is off: every request is accepted.
    Anonymous,
    /// A valid signature by this access key.
    AccessKey(String),
    /// A configured IAM token.
    Token,
}

/// The credentials the emulator accepts. Empty (the default) means verification is off.
///
/// `Debug` shows the access keys and how many tokens there are, never a secret key or token.
#[derive(Clone, Default)]
pub struct Authenticator {
    keys: Vec<(String, Secret)>,
    /// SHA-256 of each accepted token (the tokens themselves are not kept).
    tokens: Vec<[u8; 32]>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let access_keys: Vec<&str> = self.keys.iter().map(|(ak, _)| ak.as_str()).collect();
        f.debug_struct("Authenticator")
            .field("access_keys", &access_keys)
            .field("tokens", &self.tokens.len())
            .finish()
    }
}

/// The parts of a request the signature covers, as received. `Debug` shows the header names
/// only (values may be credentials).
#[derive(Clone, Copy)]
pub struct SignedRequest<'a> {
    /// The method, e.g. `GET`.
    pub method: &'a str,
    /// The path as on the request line, still percent-encoded.
    pub path: &'a str,
    /// The query as on the request line, without `?` (empty when there is none).
    pub query: &'a str,
    /// Every header received.
    pub headers: &'a HeaderMap,
    /// The body bytes (empty for a GET).
    pub body: &'a [u8],
}

impl fmt::Debug for SignedRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(|name| name.as_str()).collect();
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl Authenticator {
    /// No credentials: every request is accepted.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts signatures by `access_key` made with `secret_key` (in addition to any others).
    pub fn add_key(&mut self, access_key: impl Into<String>, secret_key: impl Into<String>) {
        self.keys.push((access_key.into(), Secret(secret_key.into())));
    }

    /// Accepts `X-Auth-Token: token` (in addition to any others).
    pub fn add_token(&mut self, token: impl AsRef<str>) {
        self.tokens.push(Sha256::digest(token.as_ref().as_bytes()).into());
    }

    /// Whether any credential is configured, i.e. whether requests are checked at all.
    #[must_use]
    pub fn is_enabled(&self) -> bool {
        !self.keys.is_empty() || !self.tokens.is_empty()
    }

    /// Checks a request at time `now`. With nothing configured every request is
    /// [`Principal::Anonymous`]. An `X-Auth-Token` header is judged as a token; otherwise the
    /// `Authorization` signature is verified.
    pub fn check(
        &self,
        request: &SignedRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<Principal, AuthError> {
        if !self.is_enabled() {
            return Ok(Principal::Anonymous);
        }
        if let Some(token) = request.headers.get("x-auth-token") {
            let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            // Digests of equal length, compared without an early exit.
            let known = self
                .tokens
                .iter()
                .any(|t| t.iter().zip(digest.iter()).fold(0_u8, |acc, (a, b)| acc | (a ^ b)) == 0);
            return if known { Ok(Principal::Token) } else { Err(AuthError::BadToken) };
        }
        let Some(authorization) = request.headers.get("authorization") else {
            return Err(AuthError::MissingAuthorization);
        };
        let authorization =
            authorization.to_str().map_err(|_| AuthError::MalformedAuthorization)?;
        let parts = Authorization::parse(authorization)?;
        let Some((_, secret)) = self.keys.iter().find(|(ak, _)| ak == parts.access) else {
            return Err(AuthError::UnknownAccessKey);
        };

        let signed: Vec<&str> = parts.signed_headers.split(';').collect();
        if !signed.iter().any(|name| name.eq_ignore_ascii_case("x-sdk-date")) {
            return Err(AuthError::BadDate);
        }
        let date_text = header_text(request.headers, "x-sdk-date").ok_or(AuthError::BadDate)?;
        let date = std::str::from_utf8(&date_text)
            .ok()
            .and_then(|text| NaiveDateTime::parse_from_str(text.trim(), DATE_FORMAT).ok())
            .ok_or(AuthError::BadDate)?
            .and_utc();

        let canonical = canonical_request(request, &signed, parts.signed_headers)?;
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{}",
            date.format(DATE_FORMAT),
            hex::encode(Sha256::digest(&canonical))
        );
        let wanted = hex::decode(parts.signature).map_err(|_| AuthError::SignatureMismatch)?;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.0.as_bytes())
            .map_err(|_| AuthError::SignatureMismatch)?;
        mac.update(string_to_sign.as_bytes());
        // `verify_slice` compares in constant time.
        mac.verify_slice(&wanted).map_err(|_| AuthError::SignatureMismatch)?;

        if (now - date).abs() > MAX_CLOCK_SKEW {
            return Err(AuthError::Expired);
        }
        Ok(Principal::AccessKey(parts.access.to_owned()))
    }
}

/// The three parts of an `SDK-HMAC-SHA256` `Authorization` value.
struct Authorization<'a> {
    access: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    /// Reads `SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex`; the three parts may
    /// come in any order, separated by commas with optional spaces.
    fn parse(value: &'a str) -> Result<Self, AuthError> {
        let rest = value
            .trim()
            .strip_prefix(ALGORITHM)
            .filter(|rest| rest.starts_with(' '))
            .ok_or(AuthError::MalformedAuthorization)?;
        let (mut access, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let (key, value) =
                part.trim().split_once('=').ok_or(AuthError::MalformedAuthorization)?;
            let slot = match key {
                "Access" => &mut access,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                _ => return Err(AuthError::MalformedAuthorization),
            };
            if slot.replace(value).is_some() {
                return Err(AuthError::MalformedAuthorization);
            }
        }
        match (access, signed_headers, signature) {
            (Some(access), Some(signed_headers), Some(signature))
                if !access.is_empty() && !signed_headers.is_empty() =>
            {
                Ok(Self { access, signed_headers, signature })
            }
            _ => Err(AuthError::MalformedAuthorization),
        }
    }
}

/// The bytes of a header (several occurrences joined by `,`), `None` if absent.
fn header_text(headers: &HeaderMap, name: &str) -> Option<Vec<u8>> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    let mut out = first.as_bytes().to_vec();
    for value in values {
        out.push(b',');
        out.extend_from_slice(value.as_bytes());
    }
    Some(out)
}

/// The canonical request, as bytes (header values may hold any bytes the client sent).
fn canonical_request(
    request: &SignedRequest<'_>,
    signed: &[&str],
    signed_list: &str,
) -> Result<Vec<u8>, AuthError> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(request.method.to_ascii_uppercase().as_bytes());
    out.push(b'\n');
    canonical_uri(request.path, &mut out);
    out.push(b'\n');
    canonical_query(request.query, &mut out);
    out.push(b'\n');
    for name in signed {
        let value = header_text(request.headers, name).ok_or(AuthError::SignatureMismatch)?;
        out.extend_from_slice(name.to_ascii_lowercase().as_bytes());
        out.push(b':');
        out.extend_from_slice(value.trim_ascii());
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(signed_list.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(payload_hash(request).as_bytes());
    Ok(out)
}

/// Lower-hex SHA-256 of the body; the empty-body hash for no body; the value of
/// `X-Sdk-Content-Sha256` (`UNSIGNED-PAYLOAD`) for a body the client chose not to hash.
fn payload_hash(request: &SignedRequest<'_>) -> String {
    if request.body.is_empty() {
        return EMPTY_BODY_SHA256.to_owned();
    }
    match request.headers.get("x-sdk-content-sha256") {
        Some(value) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        None => hex::encode(Sha256::digest(request.body)),
    }
}

/// The path percent-decoded, split on `/`, each segment re-encoded, with a trailing `/`.
fn canonical_uri(path: &str, out: &mut Vec<u8>) {
    let decoded = percent_decode(path.as_bytes());
    for (index, segment) in decoded.split(|&b| b == b'/').enumerate() {
        if index > 0 {
            out.push(b'/');
        }
        encode(segment, out);
    }
    if out.last() != Some(&b'/') {
        out.push(b'/');
    }
}

/// The raw query's pairs decoded, sorted by key then value (as bytes), re-encoded and joined
/// with `&`; a key without `=` counts as `key=`.
fn canonical_query(query: &str, out: &mut Vec<u8>) {
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key.as_bytes()), percent_decode(value.as_bytes()))
        })
        .collect();
    pairs.sort();
    for (index, (key, value)) in pairs.iter().enumerate() {
        if index > 0 {
            out.push(b'&');
        }
        encode(key, out);
        out.push(b'=');
        encode(value, out);
    }
}

/// Percent-decodes leniently: a `%` not followed by two hex digits stays as it is.
pub(crate) fn percent_decode(text: &[u8]) -> Vec<u8> {
    fn hex_digit(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    while at < text.len() {
        let escaped = (text[at] == b'%')
            .then(|| Some((hex_digit(*text.get(at + 1)?)?, hex_digit(*text.get(at + 2)?)?)))
            .flatten();
        match escaped {
            Some((high, low)) => {
                out.push(high << 4 | low);
                at += 3;
            }
            None => {
                out.push(text[at]);
                at += 1;
            }
        }
    }
    out
}

/// Percent-encodes every byte but `A-Z a-z 0-9 - _ . ~`, with upper-case hex.
fn encode(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]]);
        }
    }
}

/// An `Authorization` value fit for a log: the algorithm, access key and signed headers, with
/// the signature replaced; anything else is replaced whole.
#[must_use]
pub fn redact_authorization(value: &str) -> String {
    match Authorization::parse(value) {
        Ok(parts) => format!(
            "{ALGORITHM} Access={}, SignedHeaders={}, Signature=[redacted]",
            parts.access, parts.signed_headers
        ),
        Err(_) => "[redacted]".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_only_unreserved_bytes() {
        // given / done / must hold: the wire-facts examples
        let cases: [(&str, &str); 5] = [
            ("OS::Nova::Server", "OS%3A%3ANova%3A%3AServer"),
            ("my backup 01", "my%20backup%2001"),
            ("备份-中文", "%E5%A4%87%E4%BB%BD-%E4%B8%AD%E6%96%87"),
            ("a&b=c+d", "a%26b%3Dc%2Bd"),
            ("x~y/z%41", "x~y%2Fz%2541"),
        ];
        for (raw, wire) in cases {
            let mut out = Vec::new();
            encode(raw.as_bytes(), &mut out);
            assert_eq!(String::from_utf8_lossy(&out), wire);
            assert_eq!(percent_decode(wire.as_bytes()), raw.as_bytes());
        }
    }

    #[test]
    fn decoding_leaves_bad_escapes_alone() {
        // given / done / must hold
        assert_eq!(percent_decode(b"a%zz%4"), b"a%zz%4");
        assert_eq!(percent_decode(b"%2f%2F"), b"//");
    }

    #[test]
    fn the_canonical_uri_ends_with_a_slash_and_splits_encoded_slashes() {
        // given / done / must hold
        let uri = |path: &str| {
            let mut out = Vec::new();
            canonical_uri(path, &mut out);
            String::from_utf8(out).unwrap_or_default()
        };
        assert_eq!(uri("/v3/p/backups"), "/v3/p/backups/");
        assert_eq!(uri("/v3/p/backups/"), "/v3/p/backups/");
        assert_eq!(uri("/v3/a%2Fb/x%20y"), "/v3/a/b/x%20y/");
        assert_eq!(uri("/v3/a:b"), "/v3/a%3Ab/");
    }

    #[test]
    fn the_canonical_query_is_sorted_by_raw_key_then_raw_value() {
        // given: the vector `list-sorted-by-raw-value` sent in another order
        let mut out = Vec::new();
        // done
        canonical_query("status=z&status=%C3%A9&status=a.&status=A&status=a%2F&", &mut out);
        // must hold
        assert_eq!(
            String::from_utf8_lossy(&out),
            "status=A&status=a.&status=a%2F&status=z&status=%C3%A9"
        );
    }

    #[test]
    fn debug_never_shows_a_secret() {
        // given: credentials with recognisable secrets
        let mut auth = Authenticator::new();
        auth.add_key("AK-VISIBLE", "SK-CANARY-1234");
        auth.add_token("TOKEN-CANARY-5678");
        // done
        let shown = format!("{auth:?}");
        // must hold
        assert!(shown.contains("AK-VISIBLE"), "{shown}");
        assert!(!shown.contains("CANARY"), "{shown}");
    }

    #[test]
    fn a_request_shows_header_names_but_no_values() {
        // given: a request carrying a token
        let mut headers = HeaderMap::new();
        headers.insert("x-auth-token", axum::http::HeaderValue::from_static("TOKEN-CANARY"));
        let request =
            SignedRequest { method: "GET", path: "/", query: "", headers: &headers, body: b"" };
        // done
        let shown = format!("{request:?}");
        // must hold
        assert!(shown.contains("x-auth-token") && !shown.contains("CANARY"), "{shown}");
    }

    #[test]
    fn a_logged_authorization_keeps_the_key_but_not_the_signature() {
        // given / done
        let shown =
            redact_authorization("SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=ab12");
        // must hold
        assert_eq!(shown, "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host, Signature=[redacted]");
        assert_eq!(redact_authorization("Bearer abc"), "[redacted]");
    }
}
