//! Which header values are secret, and how they are hidden in cassettes and `Debug` output.

use std::fmt;

/// The text that replaces a secret header value.
pub const REDACTED: &str = "<redacted>";

/// Header names whose values are always hidden (compared case-insensitively).
///
/// `x-subject-token` carries an IAM token in responses; the cookie headers can carry
/// session secrets.
pub const DEFAULT_REDACTED_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-auth-token",
    "x-security-token",
    "x-subject-token",
    "cookie",
    "set-cookie",
];

/// A set of header names whose values must never be written out.
///
/// [`Redactions::default`] holds [`DEFAULT_REDACTED_HEADERS`]; add more with
/// [`with_header`](Self::with_header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redactions {
    names: Vec<String>,
}

impl Default for Redactions {
    fn default() -> Self {
        Self { names: DEFAULT_REDACTED_HEADERS.iter().map(|n| (*n).to_owned()).collect() }
    }
}

impl Redactions {
    /// Adds one more header name (any case) whose values are hidden.
    pub fn with_header(mut self, name: impl Into<String>) -> Self {
        let name = name.into().to_ascii_lowercase();
        if !self.names.contains(&name) {
            self.names.push(name);
        }
        self
    }

    /// True when values of the header `name` (any case) are hidden.
    pub fn is_redacted(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// The value to write out for header `name`: `value` itself, or [`REDACTED`].
    pub fn apply<'a>(&self, name: &str, value: &'a str) -> &'a str {
        if self.is_redacted(name) { REDACTED } else { value }
    }
}

/// `Debug` for a header map that hides the values of the default secret headers.
pub(crate) struct RedactedHeaders<'a>(pub(crate) &'a http::HeaderMap);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redactions = Redactions::default();
        f.debug_map()
            .entries(self.0.iter().map(|(name, value)| {
                let shown = if redactions.is_redacted(name.as_str()) {
                    REDACTED.to_owned()
                } else {
                    String::from_utf8_lossy(value.as_bytes()).into_owned()
                };
                (name.as_str(), shown)
            }))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_additions_match_any_case() {
        let r = Redactions::default().with_header("X-Api-Key");

        assert!(r.is_redacted("Authorization"));
        assert!(r.is_redacted("X-SECURITY-TOKEN"));
        assert!(r.is_redacted("x-auth-token"));
        assert!(r.is_redacted("x-api-key"));
        assert!(!r.is_redacted("x-sdk-date"));
        assert_eq!(r.apply("authorization", "SDK-HMAC-SHA256 x"), REDACTED);
        assert_eq!(r.apply("host", "h"), "h");
    }

    #[test]
    fn debug_of_headers_hides_secrets() {
        let mut headers = http::HeaderMap::new();
        headers.insert("authorization", http::HeaderValue::from_static("canary-secret"));
        headers.insert("host", http::HeaderValue::from_static("example.invalid"));

        let shown = format!("{:?}", RedactedHeaders(&headers));

        assert!(!shown.contains("canary-secret"), "{shown}");
        assert!(shown.contains("example.invalid"));
    }
}
