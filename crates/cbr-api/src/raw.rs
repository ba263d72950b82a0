//! Raw backups: each backup of a page kept as the exact bytes the service sent, with only its
//! id read. Listing for json output needs nothing more, and skipping the typed decode makes
//! it several times cheaper while staying faithful to the byte.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use cbr_model::Backup;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::cursor::Identified;

/// One backup as the service sent it: a slice of the page's body (no copy) and its id.
#[derive(Clone)]
pub struct RawBackup {
    body: Bytes,
    start: usize,
    end: usize,
    id: String,
    page_has_line_breaks: bool,
}

impl RawBackup {
    /// The backup's JSON text exactly as received.
    #[must_use]
    pub fn json(&self) -> &str {
        // The range was cut at a JSON value's boundaries inside a UTF-8 body.
        std::str::from_utf8(&self.body[self.start..self.end]).unwrap_or_default()
    }

    /// The backup's JSON bytes exactly as received.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.body[self.start..self.end]
    }

    /// Whether the JSON text may hold a line break (the service pretty-printed the page), so
    /// that writing it on one line needs re-formatting. Checked once per page.
    #[must_use]
    pub fn may_span_lines(&self) -> bool {
        self.page_has_line_breaks && memchr::memchr2(b'\n', b'\r', self.bytes()).is_some()
    }

    /// Decodes the backup into the typed model.
    pub fn decode(&self) -> Result<Backup, serde_json::Error> {
        serde_json::from_slice(self.bytes())
    }
}

impl Identified for RawBackup {
    fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for RawBackup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawBackup")
            .field("id", &self.id)
            .field("bytes", &self.bytes().len())
            .finish()
    }
}

#[derive(Deserialize)]
struct RawPage<'a> {
    #[serde(borrow, default)]
    backups: Option<Vec<&'a RawValue>>,
    #[serde(default, deserialize_with = "cbr_model::lenient::opt_u64")]
    count: Option<u64>,
}

#[derive(Deserialize)]
struct IdOnly<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
}

/// Splits a page body into raw backups and the reported `count`.
pub(crate) fn split_page(body: &Bytes) -> Result<(Vec<RawBackup>, Option<u64>), serde_json::Error> {
    let page: RawPage<'_> = serde_json::from_slice(body)?;
    let base = body.as_ptr() as usize;
    let page_has_line_breaks = memchr::memchr2(b'\n', b'\r', body).is_some();
    let mut backups = Vec::with_capacity(page.backups.as_ref().map_or(0, Vec::len));
    for raw in page.backups.unwrap_or_default() {
        let text = raw.get();
        let start = text.as_ptr() as usize - base;
        let id: IdOnly<'_> = serde_json::from_str(text)?;
        backups.push(RawBackup {
            body: body.clone(),
            start,
            end: start + text.len(),
            id: id.id.map(Cow::into_owned).unwrap_or_default(),
            page_has_line_breaks,
        });
    }
    Ok((backups, page.count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_backup_byte_for_byte() {
        let body = Bytes::from_static(
            concat!(
                r#"{"count":"2","backups":[{"id":"a","name":"x y","extra":{"k":[1,2]}}, "#,
                r#"{"name":"n","id":"b"}]}"#
            )
            .as_bytes(),
        );
        let (backups, count) = split_page(&body).unwrap_or_default();
        assert_eq!(count, Some(2));
        assert_eq!(backups.len(), 2);
        assert_eq!(backups[0].json(), r#"{"id":"a","name":"x y","extra":{"k":[1,2]}}"#);
        assert_eq!((backups[0].id(), backups[1].id()), ("a", "b"));
        assert_eq!(backups[1].decode().ok().and_then(|b| b.name), Some("n".to_owned()));
        assert!(!backups[0].may_span_lines());
        let pretty = Bytes::from_static(
            b"{\"backups\": [\n  {\"id\": \"a\",\n \"n\": 1},\n {\"id\":\"b\"}\n]}",
        );
        let (backups, _) = split_page(&pretty).unwrap_or_default();
        assert!(backups[0].may_span_lines());
        assert!(!backups[1].may_span_lines());
    }

    #[test]
    fn a_null_list_is_an_empty_page_and_a_bad_body_an_error() {
        let empty = split_page(&Bytes::from_static(br#"{"backups":null}"#)).unwrap_or_default();
        assert!(empty.0.is_empty());
        assert!(split_page(&Bytes::from_static(br#"{"backups":{"id":"a"}}"#)).is_err());
        assert!(split_page(&Bytes::from_static(b"<html>")).is_err());
    }
}
