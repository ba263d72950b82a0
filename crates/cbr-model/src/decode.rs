//! Decoding one response page so that one odd field never fails it.
//!
//! [`decode_page`] first tries the fast path: the generated typed `Deserialize` impls read the
//! body straight into [`ListBackupsResponse`], accepting every spelling the service is known to
//! use (see [`crate::lenient`]). Only if that fails does the slow path parse the body into a
//! `serde_json::Value` and decode it field by field: a value that fits no accepted spelling is
//! kept raw in its object's `extra` map under its own key (so it is written back unchanged)
//! and reported as an [`OddField`] with its JSON path. Only a body that is not JSON, is not an
//! object, or whose `backups` is not a list of objects (or `null`) fails the page.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::{Map, Value};

use crate::backup::{Extra, ListBackupsResponse};
use crate::lenient::Lenient;

/// A decoded page and the fields that did not fit their documented type.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct DecodedPage {
    /// The page. Each odd field is absent from its typed field and kept raw in `extra`.
    pub response: ListBackupsResponse,
    /// Every value that did not fit its field, in body order; empty for a well-formed page.
    pub odd_fields: Vec<OddField>,
}

/// A documented field whose value fits none of the spellings its type accepts.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct OddField {
    /// JSON path of the value, such as `backups[3].resource_size` or
    /// `backups[0].extend_info.bootable`.
    pub path: String,
    /// The value exactly as received (also kept in the object's `extra` map).
    pub raw: Value,
    /// Why it did not fit.
    pub reason: String,
}

impl fmt::Display for OddField {
    /// The path and the reason; the raw value is left out, as it may be large.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` kept raw: {}", self.path, self.reason)
    }
}

/// Why a page could not be decoded at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PageDecodeError {
    /// The body is not JSON (empty, HTML from a proxy, cut short, …).
    #[error("the response body is not JSON: {reason}")]
    Syntax {
        /// Line of the first error, from 1.
        line: usize,
        /// Column of the first error, from 1 (0 for an empty body).
        column: usize,
        /// What the JSON parser found, with its position.
        reason: String,
    },
    /// The body, or its `backups`, does not have the shape of a page.
    #[error("{} is {found}; expected {expected}", shown_path(path))]
    Shape {
        /// JSON path of the value: empty for the body itself, `backups`, or `backups[3]`.
        path: String,
        /// What a page has there.
        expected: &'static str,
        /// What the body has there (`a string`, `null`, …).
        found: &'static str,
    },
}

impl PageDecodeError {
    /// JSON path of the value at fault (empty for the body itself); `None` for a syntax error.
    #[must_use]
    pub fn path(&self) -> Option<&str> {
        match self {
            Self::Syntax { .. } => None,
            Self::Shape { path, .. } => Some(path),
        }
    }
}

fn shown_path(path: &str) -> String {
    if path.is_empty() { "the response body".to_owned() } else { format!("`{path}`") }
}

/// Decodes one page of `GET /v3/{project_id}/backups`.
///
/// A value that does not fit its documented field never fails the page: it is kept raw in the
/// `extra` map of its object and listed in [`DecodedPage::odd_fields`]. The page fails only if
/// the body is not JSON, is not an object, or its `backups` is neither `null` nor a list of
/// objects.
///
/// ```
/// let body = br#"{"count": 1, "backups": [{"id": "b1", "resource_size": "forty"}]}"#;
/// let page = cbr_model::decode_page(body)?;
/// assert_eq!(page.response.backups[0].id(), "b1");
/// assert_eq!(page.response.backups[0].resource_size, None);
/// assert_eq!(page.response.backups[0].extra["resource_size"], "forty");
/// assert_eq!(page.odd_fields[0].path, "backups[0].resource_size");
/// # Ok::<(), cbr_model::PageDecodeError>(())
/// ```
pub fn decode_page(body: &[u8]) -> Result<DecodedPage, PageDecodeError> {
    // Fast path: typed, no intermediate tree; fails on the first odd value.
    if let Ok(response) = serde_json::from_slice::<ListBackupsResponse>(body) {
        return Ok(DecodedPage { response, odd_fields: Vec::new() });
    }

    // Slow path: parse once into a tree, then decode field by field.
    let value: Value = serde_json::from_slice(body).map_err(|e| PageDecodeError::Syntax {
        line: e.line(),
        column: e.column(),
        reason: e.to_string(),
    })?;
    let object = match value {
        Value::Object(object) => object,
        other => return Err(shape(String::new(), "a JSON object", &other)),
    };
    match object.get("backups") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            if let Some((index, item)) = items.iter().enumerate().find(|(_, v)| !v.is_object()) {
                return Err(shape(format!("backups[{index}]"), "a backup object", item));
            }
        }
        Some(other) => return Err(shape("backups".to_owned(), "a list or null", other)),
    }
    let mut odd_fields = Vec::new();
    let response = ListBackupsResponse::from_json(object, &JsonPath::Root, &mut odd_fields);
    Ok(DecodedPage { response, odd_fields })
}

fn shape(path: String, expected: &'static str, found: &Value) -> PageDecodeError {
    PageDecodeError::Shape { path, expected, found: kind(found) }
}

/// What kind of JSON value `value` is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Where a value sits in the body; rendered only when a value is odd.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JsonPath<'a> {
    /// The body itself.
    Root,
    /// A key of an object.
    Key(&'a JsonPath<'a>, &'a str),
    /// An element of a list.
    Index(&'a JsonPath<'a>, usize),
}

impl<'a> JsonPath<'a> {
    /// The path of `key` in the object at `self`.
    pub(crate) fn key(&'a self, key: &'a str) -> Self {
        Self::Key(self, key)
    }

    /// The path of element `index` of the list at `self`.
    pub(crate) fn index(&'a self, index: usize) -> Self {
        Self::Index(self, index)
    }
}

impl fmt::Display for JsonPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => Ok(()),
            Self::Key(parent, key) => {
                parent.fmt(f)?;
                let plain =
                    !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
                match (plain, parent) {
                    (true, Self::Root) => f.write_str(key),
                    (true, _) => write!(f, ".{key}"),
                    // A key that would be ambiguous in dotted form is quoted as JSON.
                    (false, _) => write!(f, "[{}]", Value::from(*key)),
                }
            }
            Self::Index(parent, index) => {
                parent.fmt(f)?;
                write!(f, "[{index}]")
            }
        }
    }
}

/// What the slow path decodes one object with: where it is, where odd values are reported,
/// and the object's `extra` map.
pub(crate) struct Fields<'a> {
    path: &'a JsonPath<'a>,
    odd: &'a mut Vec<OddField>,
    extra: &'a mut Extra,
}

/// A generated slow-path decoder of one object.
pub(crate) type Decoder<T> = fn(Map<String, Value>, &JsonPath<'_>, &mut Vec<OddField>) -> T;

impl<'a> Fields<'a> {
    /// The decoding context of the object at `path`.
    pub(crate) fn new(
        path: &'a JsonPath<'a>,
        odd: &'a mut Vec<OddField>,
        extra: &'a mut Extra,
    ) -> Self {
        Self { path, odd, extra }
    }

    /// A scalar field read through its [`Lenient`] type; an odd value is kept.
    pub(crate) fn leaf<L: Lenient>(&mut self, key: String, value: Value) -> Option<L::Value> {
        // TODO: this copies each string out of the tree (`deserialize(&Value)`) so that the
        // value is still there to keep if it is odd; moving strings out would about halve the
        // slow path's allocations. Worth it only if odd pages turn out to be common.
        match L::deserialize(&value) {
            Ok(decoded) => decoded.into_option(),
            Err(error) => {
                self.keep(key, value, error.to_string());
                None
            }
        }
    }

    /// A nested object; `null` is absent, anything but an object is kept.
    pub(crate) fn object<T>(&mut self, key: String, value: Value, decode: Decoder<T>) -> Option<T> {
        match value {
            Value::Null => None,
            Value::Object(object) => Some(decode(object, &self.path.key(&key), self.odd)),
            other => {
                let reason = format!("expected an object or null, found {}", kind(&other));
                self.keep(key, other, reason);
                None
            }
        }
    }

    /// A list of objects; `null` is absent, anything but a list of objects is kept whole.
    ///
    /// TODO: the official SDK wraps a lone object where a list is expected into a one-element
    /// list; this keeps it raw as an odd field instead, since no page was seen to need it.
    pub(crate) fn list<T>(
        &mut self,
        key: String,
        value: Value,
        decode: Decoder<T>,
    ) -> Option<Vec<T>> {
        let items = match value {
            Value::Null => return None,
            Value::Array(items) => items,
            other => {
                let reason = format!("expected a list or null, found {}", kind(&other));
                self.keep(key, other, reason);
                return None;
            }
        };
        if let Some((index, item)) = items.iter().enumerate().find(|(_, v)| !v.is_object()) {
            let reason = format!("element {index} is {}; expected an object", kind(item));
            self.keep(key, Value::Array(items), reason);
            return None;
        }
        let here = self.path.key(&key);
        let mut decoded = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            if let Value::Object(object) = item {
                decoded.push(decode(object, &here.index(index), self.odd));
            }
        }
        Some(decoded)
    }

    /// A key the object does not document: kept as it is.
    pub(crate) fn unknown(&mut self, key: String, value: Value) {
        self.extra.insert(key, value);
    }

    /// Keeps an odd value raw under its own key and reports it.
    pub(crate) fn keep(&mut self, key: String, raw: Value, reason: String) {
        // The parser quotes the value in its message; a huge value stays in `raw` only.
        const MAX_REASON: usize = 200;
        let reason = if reason.chars().count() > MAX_REASON {
            format!("{}…", reason.chars().take(MAX_REASON).collect::<String>())
        } else {
            reason
        };
        let path = self.path.key(&key).to_string();
        self.odd.push(OddField { path, raw: raw.clone(), reason });
        self.extra.insert(key, raw);
    }
}

/// Which spelling of a field `key` is: `Ok(None)` for the documented one (`keys[0]`),
/// `Ok(Some(alias))` for an alias. An error when another spelling of the same field was read
/// before in the same object (`seen` remembers it).
pub(crate) fn spelling(
    seen: &mut Option<&'static str>,
    key: &str,
    keys: &[&'static str],
) -> Result<Option<&'static str>, String> {
    let this = keys.iter().copied().find(|k| *k == key).unwrap_or_default();
    if let Some(before) = *seen {
        if before != this {
            return Err(format!("`{this}` repeats `{before}`, another spelling of the same field"));
        }
    }
    *seen = Some(this);
    Ok((keys.first() != Some(&this)).then_some(this))
}

/// An object key, borrowed from the body when it has no escapes.
pub(crate) struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    /// The key's text.
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as an owned string.
    pub(crate) fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }

            fn visit_string<E: de::Error>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key)))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_the_body() {
        let root = JsonPath::Root;
        let backups = root.key("backups");
        let third = backups.index(3);
        assert_eq!(third.key("resource_size").to_string(), "backups[3].resource_size");
        assert_eq!(third.key("a.b").to_string(), "backups[3][\"a.b\"]");
        assert_eq!(root.key("count").to_string(), "count");
        assert_eq!(root.to_string(), "");
    }

    #[test]
    fn a_second_spelling_of_one_field_is_refused() {
        let keys = ["destination_vault_id", "destinatio_vault_id"];
        let mut seen = None;
        assert_eq!(spelling(&mut seen, "destinatio_vault_id", &keys), Ok(Some(keys[1])));
        assert_eq!(spelling(&mut seen, "destinatio_vault_id", &keys), Ok(Some(keys[1])));
        assert!(spelling(&mut seen, "destination_vault_id", &keys).is_err());
        let mut fresh = None;
        assert_eq!(spelling(&mut fresh, "destination_vault_id", &keys), Ok(None));
    }
}
