//! Times: the tolerant [`Timestamp`] of responses and the strict [`QueryTime`] of requests.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A time as the service wrote it in a response.
///
/// The service writes times several ways (`2020-08-18T06:00:45.375070` with no zone, meaning
/// UTC; `2020-02-21T07:00:54.065+00:00`; a trailing `Z`). The original text is kept, so a
/// backup written back out is byte-faithful; [`Timestamp::to_utc`] interprets it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp {
    raw: String,
}

impl Timestamp {
    /// Wraps the text as received.
    #[must_use]
    pub fn from_raw(raw: impl Into<String>) -> Self {
        Self { raw: raw.into() }
    }

    /// A timestamp for `time`, written the way the service writes list responses
    /// (microseconds, no zone).
    #[must_use]
    pub fn from_utc(time: DateTime<Utc>) -> Self {
        Self { raw: time.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string() }
    }

    /// The text as received.
    #[must_use]
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The instant, if the text is one of the spellings the service uses: RFC 3339 with `Z`
    /// or an offset, a zone-less date-time (UTC), with or without a fraction, or a bare date.
    #[must_use]
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        parse_utc(self.raw.trim())
    }
}

fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc())
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.raw, f)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::from_raw)
    }
}

/// A time given as a query parameter (`start_time`, `end_time`).
///
/// Users may write RFC 3339 with any offset (`2024-03-01T08:00:00+08:00`) or a bare date
/// (`2024-03-01`, meaning 00:00:00 UTC); the wire always gets UTC `YYYY-MM-DDTHH:MM:SSZ`.
/// Fractions of a second are dropped, since the wire format has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueryTime(DateTime<Utc>);

/// A query time that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected RFC 3339 (2024-03-01T12:00:00Z, any offset) or a date (2024-03-01)")]
pub struct QueryTimeError;

impl QueryTime {
    /// The time, truncated to whole seconds.
    #[must_use]
    pub fn new(time: DateTime<Utc>) -> Self {
        Self(DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time))
    }

    /// The instant in UTC.
    #[must_use]
    pub fn utc(self) -> DateTime<Utc> {
        self.0
    }
}

impl FromStr for QueryTime {
    type Err = QueryTimeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(time) = DateTime::parse_from_rfc3339(text) {
            return Ok(Self::new(time.with_timezone(&Utc)));
        }
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| QueryTimeError)?;
        let midnight = date.and_hms_opt(0, 0, 0).ok_or(QueryTimeError)?;
        Ok(Self::new(midnight.and_utc()))
    }
}

impl fmt::Display for QueryTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_of_every_documented_spelling_parse() {
        let cases = [
            "2020-08-18T06:00:45.375070",
            "2020-08-18T06:00:45.375+00:00",
            "2020-08-18T06:00:45Z",
            "2020-08-18T14:00:45.375070+08:00",
            "2020-08-18T06:00:45",
        ];
        for raw in cases {
            let time = Timestamp::from_raw(raw).to_utc();
            assert_eq!(
                time.map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string()).as_deref(),
                Some("2020-08-18T06:00:45"),
                "{raw}"
            );
        }
        assert_eq!(Timestamp::from_raw("soon").to_utc(), None);
    }

    #[test]
    fn query_times_render_in_utc() {
        let render = |text: &str| text.parse::<QueryTime>().map(|t| t.to_string());
        assert_eq!(render("2024-03-01T08:00:00+08:00").as_deref(), Ok("2024-03-01T00:00:00Z"));
        assert_eq!(render("2024-03-01").as_deref(), Ok("2024-03-01T00:00:00Z"));
        assert_eq!(render("2024-03-01T00:00:00.9Z").as_deref(), Ok("2024-03-01T00:00:00Z"));
        assert!(render("yesterday").is_err());
        assert!(render("2024-02-30").is_err());
    }
}
