//! `ListBackupsQuery`: every query parameter of `GET /v3/{project_id}/backups`, its
//! validation, and its one wire form (rendering and parsing are exact inverses).
//!
//! The struct, its setters, the wire table and the per-parameter rules are generated from the
//! spec into `generated/query.rs`; the readers and checks they call, the errors and the
//! string-level rendering and parsing are written here by hand.

use std::str::FromStr;

use crate::encode::{percent_decode, percent_encode_into};
use crate::sort::Sort;
use crate::time::QueryTime;

pub use crate::generated::query::{ListBackupsQuery, MAX_LIMIT, MAX_NAME_LEN, MIN_LIMIT};

/// A query value that was refused, naming the parameter, the value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// A value outside what the parameter allows.
    #[error("invalid value {value:?} for `{parameter}`: {rule}")]
    Invalid {
        /// Wire name of the parameter.
        parameter: &'static str,
        /// The value as given (shortened if very long).
        value: String,
        /// The rule it breaks.
        rule: String,
    },
    /// `start_time` after `end_time`.
    #[error("`start_time` ({start}) is after `end_time` ({end}); start_time must be <= end_time")]
    TimeWindow {
        /// The start as rendered.
        start: String,
        /// The end as rendered.
        end: String,
    },
    /// A parameter that takes one value was given several.
    #[error("`{parameter}` is given more than once; it takes a single value")]
    Repeated {
        /// Wire name of the parameter.
        parameter: &'static str,
    },
    /// A key that is not a ListBackups parameter.
    #[error("unknown query parameter `{parameter}`")]
    Unknown {
        /// The key as given (shortened if very long).
        parameter: String,
    },
    /// The query string itself is malformed (bad percent-encoding).
    #[error("malformed query string: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
}

impl QueryError {
    /// Wire name of the parameter at fault, if one is known.
    #[must_use]
    pub fn parameter(&self) -> Option<&str> {
        match self {
            Self::Invalid { parameter, .. } | Self::Repeated { parameter } => Some(parameter),
            Self::TimeWindow { .. } => Some("start_time"),
            Self::Unknown { parameter } => Some(parameter),
            Self::Malformed { .. } => None,
        }
    }
}

/// Shortens a value quoted in an error so a 10 KB input gives a readable message.
fn shown(value: &str) -> String {
    const MAX: usize = 64;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head}… ({} characters)", value.chars().count())
    }
}

fn invalid(parameter: &'static str, value: &str, rule: impl Into<String>) -> QueryError {
    QueryError::Invalid { parameter, value: shown(value), rule: rule.into() }
}

/// A parsed query plus the keys that are not ListBackups parameters (kept, not lost).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedQuery {
    /// The parameters that were understood.
    pub query: ListBackupsQuery,
    /// Keys that are not parameters of the operation, with their values, in order.
    pub unknown: Vec<(String, String)>,
}

impl ListBackupsQuery {
    /// An empty query: every parameter left to the service default.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks every value against the documented rules (ranges, lengths, `start_time` <=
    /// `end_time`); nothing should be sent otherwise.
    pub fn validate(&self) -> Result<(), QueryError> {
        self.check_rules()
    }

    /// The canonical wire query string (without `?`): keys sorted, repeated values sorted,
    /// every byte outside `A-Za-z0-9-_.~` percent-encoded. This is exactly the string the
    /// official SDK sends and signs.
    #[must_use]
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        for (index, (key, value)) in self.to_pairs().iter().enumerate() {
            if index > 0 {
                out.push('&');
            }
            out.push_str(key);
            out.push('=');
            percent_encode_into(value, &mut out);
        }
        out
    }

    /// Parses a wire query string (without `?`), keeping keys that are not parameters of this
    /// operation aside in [`ParsedQuery::unknown`]. Values are read exactly as
    /// [`ListBackupsQuery::to_query_string`] writes them; a bad value is an error naming its
    /// parameter. The result is not yet [validated](ListBackupsQuery::validate).
    pub fn parse(query: &str) -> Result<ParsedQuery, QueryError> {
        let mut parsed = Self::default();
        let mut unknown = Vec::new();
        for segment in query.split('&').filter(|s| !s.is_empty()) {
            let (raw_key, raw_value) = segment.split_once('=').unwrap_or((segment, ""));
            let decode = |text: &str| {
                percent_decode(text).map_err(|e| QueryError::Malformed {
                    reason: format!("{e} in {:?}", shown(segment)),
                })
            };
            let key = decode(raw_key)?;
            let value = decode(raw_value)?;
            if !parsed.set_wire(&key, value.clone())? {
                unknown.push((key, value));
            }
        }
        Ok(ParsedQuery { query: parsed, unknown })
    }
}

/// Stores the first value of a single-valued parameter; a second one is an error.
pub(crate) fn read_once<T>(
    slot: &mut Option<T>,
    key: &'static str,
    value: T,
) -> Result<(), QueryError> {
    if slot.is_some() {
        return Err(QueryError::Repeated { parameter: key });
    }
    *slot = Some(value);
    Ok(())
}

/// Reads `true` or `false`, nothing else.
pub(crate) fn read_bool(key: &'static str, value: &str) -> Result<bool, QueryError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(key, value, "must be true or false")),
    }
}

/// Reads plain decimal digits (no sign, no spaces) into an integer of the parameter's type.
pub(crate) fn read_integer<T: FromStr>(
    key: &'static str,
    value: &str,
    rule: &str,
) -> Result<T, QueryError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(key, value, rule));
    }
    value.parse().map_err(|_| invalid(key, value, rule))
}

/// Reads a time (RFC 3339 with any offset, or a date).
pub(crate) fn read_time(key: &'static str, value: &str) -> Result<QueryTime, QueryError> {
    value.parse().map_err(|e: crate::time::QueryTimeError| invalid(key, value, e.to_string()))
}

/// Reads a sort with the hand-written grammar of [`Sort`].
pub(crate) fn read_sort(key: &'static str, value: &str) -> Result<Sort, QueryError> {
    value.parse().map_err(|e: crate::sort::SortError| invalid(key, value, e.to_string()))
}

/// Checks that `value` lies in `min..=max` (no upper bound when `max` is `None`).
pub(crate) fn check_range(
    key: &'static str,
    value: u64,
    min: u64,
    max: Option<u64>,
) -> Result<(), QueryError> {
    match max {
        Some(max) if !(min..=max).contains(&value) => {
            Err(invalid(key, &value.to_string(), format!("must be between {min} and {max}")))
        }
        None if value < min => {
            Err(invalid(key, &value.to_string(), format!("must be at least {min}")))
        }
        _ => Ok(()),
    }
}

/// Checks that `value` has at most `max` characters (not bytes).
pub(crate) fn check_chars(key: &'static str, value: &str, max: usize) -> Result<(), QueryError> {
    if value.chars().count() > max {
        return Err(invalid(key, value, format!("must be at most {max} characters")));
    }
    Ok(())
}

/// Checks that the time window is not inverted.
pub(crate) fn check_time_window(
    start: Option<QueryTime>,
    end: Option<QueryTime>,
) -> Result<(), QueryError> {
    match (start, end) {
        (Some(start), Some(end)) if start > end => {
            Err(QueryError::TimeWindow { start: start.to_string(), end: end.to_string() })
        }
        _ => Ok(()),
    }
}

impl FromStr for ListBackupsQuery {
    type Err = QueryError;

    /// Parses strictly: a key that is not a parameter is an error.
    fn from_str(query: &str) -> Result<Self, Self::Err> {
        let parsed = Self::parse(query)?;
        match parsed.unknown.into_iter().next() {
            Some((key, _)) => Err(QueryError::Unknown { parameter: shown(&key) }),
            None => Ok(parsed.query),
        }
    }
}
