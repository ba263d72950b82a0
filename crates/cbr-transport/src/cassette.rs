//! Cassettes: recorded HTTP exchanges stored as JSON, with secret header values redacted.
//!
//! ```json
//! {"version": 1, "interactions": [{
//!   "request":  {"method": "GET", "uri": "https://host/v3/p/backups?limit=1",
//!                "headers": [["authorization", "<redacted>"], ["host", "host"]]},
//!   "response": {"status": 200, "headers": [["content-type", "application/json"]],
//!                "body": "{\"backups\": []}"}
//! }]}
//! ```
//!
//! Headers are ordered `[name, value]` pairs so repeated headers survive; when reading, an
//! object `{name: value | [values]}` is accepted too. A body that is not UTF-8 is stored as
//! `"body_hex"` instead of `"body"`. Request bodies are not stored (they may carry
//! credentials); header values that are not UTF-8 are stored lossily.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::TransportError;
use crate::redact::{REDACTED, Redactions};

/// The cassette format version this crate reads and writes.
pub const CASSETTE_VERSION: u32 = 1;

/// A list of recorded exchanges, in the order they happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cassette {
    /// Format version, always [`CASSETTE_VERSION`].
    pub version: u32,
    /// The exchanges, oldest first.
    #[serde(default)]
    pub interactions: Vec<Interaction>,
}

/// One recorded request and the response it got.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// The request as sent (secret header values redacted).
    pub request: CassetteRequest,
    /// The response as received (secret header values redacted).
    pub response: CassetteResponse,
}

/// The recorded part of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CassetteRequest {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The full URI as sent, e.g. `https://host/v3/p/backups?limit=1`.
    pub uri: String,
    /// Header pairs in sending order.
    #[serde(default)]
    pub headers: HeaderList,
}

/// The recorded part of a response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CassetteResponse {
    /// The status code.
    pub status: u16,
    /// Header pairs in receiving order.
    #[serde(default)]
    pub headers: HeaderList,
    /// The body as UTF-8 text (absent when `body_hex` is used; both absent = empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The body as lower-hex bytes, used when it is not UTF-8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_hex: Option<String>,
}

/// Ordered `(name, value)` header pairs; a name may repeat.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderList(pub Vec<(String, String)>);

impl Default for Cassette {
    fn default() -> Self {
        Self { version: CASSETTE_VERSION, interactions: Vec::new() }
    }
}

impl Cassette {
    /// An empty cassette.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a cassette from JSON text.
    pub fn from_json(text: &str) -> Result<Self, TransportError> {
        Self::parse(text, None)
    }

    /// Reads a cassette file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, TransportError> {
        let path = path.as_ref();
        let text = fs::read_to_string(path)
            .map_err(|source| TransportError::CassetteIo { path: path.to_owned(), source })?;
        Self::parse(&text, Some(path))
    }

    fn parse(text: &str, path: Option<&Path>) -> Result<Self, TransportError> {
        let parse_error = |message: String| TransportError::CassetteParse {
            path: path.map(Path::to_owned),
            message,
        };
        let cassette: Self = serde_json::from_str(text).map_err(|e| parse_error(e.to_string()))?;
        if cassette.version != CASSETTE_VERSION {
            return Err(parse_error(format!("unsupported version {}", cassette.version)));
        }
        Ok(cassette)
    }

    /// The cassette as pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> Result<String, TransportError> {
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| TransportError::CassetteParse { path: None, message: e.to_string() })?;
        text.push('\n');
        Ok(text)
    }

    /// Writes the cassette to `path` atomically: a temporary file in the same directory is
    /// written, flushed and renamed over `path`, so readers never see a partial file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), TransportError> {
        let path = path.as_ref();
        write_atomically(path, self.to_json()?.as_bytes())
            .map_err(|source| TransportError::CassetteIo { path: path.to_owned(), source })
    }
}

impl Interaction {
    /// Records one exchange, replacing the values of headers in `redactions` with
    /// `<redacted>` and any user information in the URI likewise.
    pub fn record(
        request: &http::Request<Bytes>,
        response: &http::Response<Bytes>,
        redactions: &Redactions,
    ) -> Self {
        Self {
            request: CassetteRequest::record(request, redactions),
            response: CassetteResponse::record(response, redactions),
        }
    }
}

impl CassetteRequest {
    /// Records a request (method, URI, headers; not the body), redacting as
    /// [`Interaction::record`] does.
    pub fn record(request: &http::Request<Bytes>, redactions: &Redactions) -> Self {
        Self {
            method: request.method().as_str().to_owned(),
            uri: redact_user_info(request.uri()),
            headers: HeaderList::record(request.headers(), redactions),
        }
    }
}

impl CassetteResponse {
    /// Records a response, redacting secret header values; the body goes to `body` when it
    /// is UTF-8 text, else to `body_hex`.
    pub fn record(response: &http::Response<Bytes>, redactions: &Redactions) -> Self {
        let body = response.body();
        let (text, hex_body) = match std::str::from_utf8(body) {
            Ok(text) => (Some(text.to_owned()), None),
            Err(_) => (None, Some(hex::encode(body))),
        };
        Self {
            status: response.status().as_u16(),
            headers: HeaderList::record(response.headers(), redactions),
            body: text,
            body_hex: hex_body,
        }
    }

    /// The body bytes, from `body` or `body_hex`.
    pub fn body_bytes(&self) -> Result<Bytes, String> {
        match (&self.body, &self.body_hex) {
            (Some(_), Some(_)) => Err("response has both body and body_hex".to_owned()),
            (Some(text), None) => Ok(Bytes::from(text.clone())),
            (None, Some(hex_text)) => hex::decode(hex_text)
                .map(Bytes::from)
                .map_err(|e| format!("body_hex is not hex: {e}")),
            (None, None) => Ok(Bytes::new()),
        }
    }

    /// Rebuilds the `http` response (status, headers, body; HTTP/1.1).
    pub fn to_response(&self) -> Result<http::Response<Bytes>, String> {
        let status = http::StatusCode::from_u16(self.status)
            .map_err(|_| format!("invalid status {}", self.status))?;
        let mut response = http::Response::new(self.body_bytes()?);
        *response.status_mut() = status;
        *response.headers_mut() = self.headers.to_header_map()?;
        Ok(response)
    }
}

impl HeaderList {
    /// Copies a header map in order, redacting the values of secret headers.
    pub fn record(headers: &http::HeaderMap, redactions: &Redactions) -> Self {
        let pairs = headers
            .iter()
            .map(|(name, value)| {
                let name = name.as_str();
                let text = String::from_utf8_lossy(value.as_bytes());
                (name.to_owned(), redactions.apply(name, &text).to_owned())
            })
            .collect();
        Self(pairs)
    }

    /// Converts back into a header map, keeping repeated names.
    pub fn to_header_map(&self) -> Result<http::HeaderMap, String> {
        let mut map = http::HeaderMap::with_capacity(self.0.len());
        for (name, value) in &self.0 {
            let header = http::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name {name:?}"))?;
            let value = http::HeaderValue::from_str(value)
                .map_err(|_| format!("invalid value for header {name}"))?;
            map.append(header, value);
        }
        Ok(map)
    }
}

impl Serialize for HeaderList {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            seq.serialize_element(&[name, value])?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for HeaderList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(HeaderListVisitor)
    }
}

struct HeaderListVisitor;

/// A header value in the object form: one value or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl<'de> Visitor<'de> for HeaderListVisitor {
    type Value = HeaderList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of [name, value] pairs or an object of name: value(s)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(pair) = seq.next_element::<(String, String)>()? {
            pairs.push(pair);
        }
        Ok(HeaderList(pairs))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::new();
        while let Some((name, values)) = map.next_entry::<String, OneOrMany>()? {
            match values {
                OneOrMany::One(value) => pairs.push((name, value)),
                OneOrMany::Many(values) => {
                    pairs.extend(values.into_iter().map(|value| (name.clone(), value)));
                }
            }
        }
        Ok(HeaderList(pairs))
    }
}

/// The URI as text with any `user:password@` replaced by `<redacted>@`.
fn redact_user_info(uri: &http::Uri) -> String {
    let text = uri.to_string();
    match uri.authority().map(http::uri::Authority::as_str) {
        Some(authority) if authority.contains('@') => {
            let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
            text.replacen(authority, &format!("{REDACTED}@{host}"), 1)
        }
        _ => text,
    }
}

/// Writes `contents` to a fresh temporary file beside `path`, then renames it over `path`.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "cassette path has no file name")
    })?;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));

    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        // Best effort: a stray temporary file is harmless, the error that matters is returned.
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn headers_read_from_pairs_or_object() {
        let text = r#"{"version": 1, "interactions": [{
            "request": {"method": "GET", "uri": "http://h/a",
                        "headers": {"accept": "*/*", "x-multi": ["1", "2"]}},
            "response": {"status": 200, "headers": [["set-x", "a"], ["set-x", "b"]]}
        }]}"#;

        let cassette = Cassette::from_json(text).unwrap();

        let interaction = &cassette.interactions[0];
        let expected = [("accept", "*/*"), ("x-multi", "1"), ("x-multi", "2")];
        let expected: Vec<_> =
            expected.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect();
        assert_eq!(interaction.request.headers.0, expected);
        let response = interaction.response.to_response().unwrap();
        assert_eq!(response.headers().get_all("set-x").iter().count(), 2);
        assert!(response.body().is_empty());
    }

    #[test]
    fn binary_bodies_use_hex_and_round_trip() {
        let request = http::Request::builder()
            .uri("https://user:pw@h/a")
            .header("authorization", "canary-secret")
            .body(Bytes::new())
            .unwrap();
        let response = http::Response::new(Bytes::from_static(&[0xff, 0x00, 0x41]));

        let interaction = Interaction::record(&request, &response, &Redactions::default());
        let text =
            Cassette { interactions: vec![interaction], ..Cassette::new() }.to_json().unwrap();

        assert!(text.contains("\"body_hex\": \"ff0041\""), "{text}");
        assert!(!text.contains("canary-secret") && !text.contains("pw@"), "{text}");
        let back = Cassette::from_json(&text).unwrap();
        assert_eq!(back.interactions[0].response.body_bytes().unwrap(), &[0xff, 0x00, 0x41][..]);
    }

    #[test]
    fn save_replaces_the_file_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let request = http::Request::get("https://h/a").body(Bytes::new()).unwrap();
        let response = http::Response::new(Bytes::from("ok"));
        let mut cassette = Cassette::new();

        cassette.save(&path).unwrap();
        cassette.interactions.push(Interaction::record(
            &request,
            &response,
            &Redactions::default(),
        ));
        cassette.save(&path).unwrap();
        let missing_dir = cassette.save(dir.path().join("no/such/dir.json")).unwrap_err();

        assert_eq!(Cassette::load(&path).unwrap(), cassette);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(matches!(missing_dir, TransportError::CassetteIo { .. }), "{missing_dir:?}");
    }

    #[test]
    fn wrong_version_is_a_parse_error() {
        let error = Cassette::from_json(r#"{"version": 2, "interactions": []}"#).unwrap_err();
        assert!(matches!(error, TransportError::CassetteParse { .. }), "{error}");
        assert_eq!(error.to_string(), "cassette <memory>: unsupported version 2");
    }
}
