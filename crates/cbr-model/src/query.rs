//! `ListBackupsQuery`: every query parameter of `GET /v3/{project_id}/backups`, its
//! validation, and its one wire form (rendering and parsing are exact inverses).

use std::str::FromStr;

use crate::encode::{percent_decode, percent_encode_into};
use crate::enums::{ImageType, MemberStatus, OwnType, ResourceType, Status};
use crate::sort::Sort;
use crate::time::QueryTime;

/// The smallest page size the service accepts.
pub const MIN_LIMIT: u32 = 1;
/// The largest page size the service accepts (also its default).
pub const MAX_LIMIT: u32 = 1000;
/// The longest backup name accepted as a filter, in characters.
pub const MAX_NAME_LEN: usize = 255;

/// The query of one ListBackups request. Every parameter is optional; `None` (or an empty
/// `status` list) is not sent. Values are checked by [`ListBackupsQuery::validate`] before
/// anything is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListBackupsQuery {
    /// `checkpoint_id`: only backups of this restore point.
    pub checkpoint_id: Option<String>,
    /// `dec`: dedicated-cloud scenario switch.
    pub dec: Option<bool>,
    /// `end_time`: only backups created at or before this time.
    pub end_time: Option<QueryTime>,
    /// `enterprise_project_id`: an enterprise project, or `all_granted_eps`.
    pub enterprise_project_id: Option<String>,
    /// `image_type`: originals or replicas.
    pub image_type: Option<ImageType>,
    /// `incremental`: incremental (`true`) or full (`false`) backups.
    pub incremental: Option<bool>,
    /// `limit`: page size, 1 to 1000 (service default 1000).
    pub limit: Option<u32>,
    /// `marker`: continue after the backup with this id.
    pub marker: Option<String>,
    /// `member_status`: sharing state.
    pub member_status: Option<MemberStatus>,
    /// `name`: backup name, at most 255 characters.
    pub name: Option<String>,
    /// `offset`: index of the first backup of the page, from 0.
    pub offset: Option<u64>,
    /// `own_type`: ownership (service default `private`).
    pub own_type: Option<OwnType>,
    /// `parent_id`: only children of this backup.
    pub parent_id: Option<String>,
    /// `resource_az`: availability zone of the protected resource.
    pub resource_az: Option<String>,
    /// `resource_id`: the protected resource.
    pub resource_id: Option<String>,
    /// `resource_name`: name of the protected resource.
    pub resource_name: Option<String>,
    /// `resource_type`: kind of the protected resource.
    pub resource_type: Option<ResourceType>,
    /// `show_replication`: include `replication_records`.
    pub show_replication: Option<bool>,
    /// `sort`: order of the listing (service default `created_at` descending).
    pub sort: Option<Sort>,
    /// `start_time`: only backups created at or after this time.
    pub start_time: Option<QueryTime>,
    /// `status`: any of these states (sent as repeated keys).
    pub status: Vec<Status>,
    /// `used_percent`: only backups in vaults at least this full, 1 to 100.
    pub used_percent: Option<u8>,
    /// `vault_id`: only backups in this vault.
    pub vault_id: Option<String>,
}

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

macro_rules! setters {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty ),+ $(,)?) => {
        $(
            $(#[$doc])*
            #[must_use]
            pub fn $field(mut self, value: impl Into<$ty>) -> Self {
                self.$field = Some(value.into());
                self
            }
        )+
    };
}

impl ListBackupsQuery {
    /// An empty query: every parameter left to the service default.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    setters! {
        /// Sets `checkpoint_id`.
        checkpoint_id: String,
        /// Sets `dec`.
        dec: bool,
        /// Sets `end_time`.
        end_time: QueryTime,
        /// Sets `enterprise_project_id`.
        enterprise_project_id: String,
        /// Sets `image_type`.
        image_type: ImageType,
        /// Sets `incremental`.
        incremental: bool,
        /// Sets `limit`, the page size.
        limit: u32,
        /// Sets `marker`.
        marker: String,
        /// Sets `member_status`.
        member_status: MemberStatus,
        /// Sets `name`.
        name: String,
        /// Sets `offset`.
        offset: u64,
        /// Sets `own_type`.
        own_type: OwnType,
        /// Sets `parent_id`.
        parent_id: String,
        /// Sets `resource_az`.
        resource_az: String,
        /// Sets `resource_id`.
        resource_id: String,
        /// Sets `resource_name`.
        resource_name: String,
        /// Sets `resource_type`.
        resource_type: ResourceType,
        /// Sets `show_replication`.
        show_replication: bool,
        /// Sets `sort`.
        sort: Sort,
        /// Sets `start_time`.
        start_time: QueryTime,
        /// Sets `used_percent`.
        used_percent: u8,
        /// Sets `vault_id`.
        vault_id: String,
    }

    /// Adds one accepted `status` (several are combined with "any of").
    #[must_use]
    pub fn status(mut self, value: impl Into<Status>) -> Self {
        self.status.push(value.into());
        self
    }

    /// Checks every value against the documented rules; nothing should be sent otherwise.
    pub fn validate(&self) -> Result<(), QueryError> {
        if let Some(limit) = self.limit {
            if !(MIN_LIMIT..=MAX_LIMIT).contains(&limit) {
                return Err(invalid("limit", &limit.to_string(), "must be between 1 and 1000"));
            }
        }
        if let Some(used) = self.used_percent {
            if !(1..=100).contains(&used) {
                return Err(invalid(
                    "used_percent",
                    &used.to_string(),
                    "must be between 1 and 100",
                ));
            }
        }
        if let Some(name) = &self.name {
            if name.chars().count() > MAX_NAME_LEN {
                return Err(invalid("name", name, "must be at most 255 characters"));
            }
        }
        if let Some(sort) = &self.sort {
            let text = sort.to_string();
            if text.chars().count() > crate::sort::MAX_SORT_LEN {
                return Err(invalid("sort", &text, "must be at most 255 characters"));
            }
        }
        if let (Some(start), Some(end)) = (self.start_time, self.end_time) {
            if start > end {
                return Err(QueryError::TimeWindow {
                    start: start.to_string(),
                    end: end.to_string(),
                });
            }
        }
        Ok(())
    }

    /// The parameters as raw (unencoded) `(key, value)` pairs, in wire order: sorted by key,
    /// repeated `status` values sorted by their text.
    #[must_use]
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        fn text<T: ToString>(value: Option<&T>) -> Option<String> {
            value.map(ToString::to_string)
        }
        let single: [(&'static str, Option<String>); 22] = [
            ("checkpoint_id", self.checkpoint_id.clone()),
            ("dec", text(self.dec.as_ref())),
            ("end_time", text(self.end_time.as_ref())),
            ("enterprise_project_id", self.enterprise_project_id.clone()),
            ("image_type", text(self.image_type.as_ref())),
            ("incremental", text(self.incremental.as_ref())),
            ("limit", text(self.limit.as_ref())),
            ("marker", self.marker.clone()),
            ("member_status", text(self.member_status.as_ref())),
            ("name", self.name.clone()),
            ("offset", text(self.offset.as_ref())),
            ("own_type", text(self.own_type.as_ref())),
            ("parent_id", self.parent_id.clone()),
            ("resource_az", self.resource_az.clone()),
            ("resource_id", self.resource_id.clone()),
            ("resource_name", self.resource_name.clone()),
            ("resource_type", text(self.resource_type.as_ref())),
            ("show_replication", text(self.show_replication.as_ref())),
            ("sort", text(self.sort.as_ref())),
            ("start_time", text(self.start_time.as_ref())),
            ("used_percent", text(self.used_percent.as_ref())),
            ("vault_id", self.vault_id.clone()),
        ];
        let mut statuses: Vec<String> = self.status.iter().map(ToString::to_string).collect();
        statuses.sort_unstable();
        let mut pairs: Vec<(&'static str, String)> =
            single.into_iter().filter_map(|(key, value)| value.map(|v| (key, v))).collect();
        // `status` sorts between `start_time` and `used_percent`.
        let at = pairs.partition_point(|(key, _)| *key < "status");
        pairs.splice(at..at, statuses.into_iter().map(|value| ("status", value)));
        pairs
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

    /// Sets one parameter from its wire text; `Ok(false)` if `key` is not a parameter.
    fn set_wire(&mut self, key: &str, value: String) -> Result<bool, QueryError> {
        fn once<T>(slot: &mut Option<T>, key: &'static str, value: T) -> Result<(), QueryError> {
            if slot.is_some() {
                return Err(QueryError::Repeated { parameter: key });
            }
            *slot = Some(value);
            Ok(())
        }
        fn boolean(key: &'static str, value: &str) -> Result<bool, QueryError> {
            match value {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(invalid(key, value, "must be true or false")),
            }
        }
        fn number<T: FromStr>(key: &'static str, value: &str, rule: &str) -> Result<T, QueryError> {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid(key, value, rule));
            }
            value.parse().map_err(|_| invalid(key, value, rule))
        }
        fn time(key: &'static str, value: &str) -> Result<QueryTime, QueryError> {
            value
                .parse()
                .map_err(|e: crate::time::QueryTimeError| invalid(key, value, e.to_string()))
        }

        match key {
            "checkpoint_id" => once(&mut self.checkpoint_id, "checkpoint_id", value)?,
            "dec" => once(&mut self.dec, "dec", boolean("dec", &value)?)?,
            "end_time" => once(&mut self.end_time, "end_time", time("end_time", &value)?)?,
            "enterprise_project_id" => {
                once(&mut self.enterprise_project_id, "enterprise_project_id", value)?;
            }
            "image_type" => once(&mut self.image_type, "image_type", value.into())?,
            "incremental" => {
                once(&mut self.incremental, "incremental", boolean("incremental", &value)?)?;
            }
            "limit" => {
                let limit = number("limit", &value, "must be an integer between 1 and 1000")?;
                once(&mut self.limit, "limit", limit)?;
            }
            "marker" => once(&mut self.marker, "marker", value)?,
            "member_status" => once(&mut self.member_status, "member_status", value.into())?,
            "name" => once(&mut self.name, "name", value)?,
            "offset" => {
                let offset = number("offset", &value, "must be an integer >= 0")?;
                once(&mut self.offset, "offset", offset)?;
            }
            "own_type" => once(&mut self.own_type, "own_type", value.into())?,
            "parent_id" => once(&mut self.parent_id, "parent_id", value)?,
            "resource_az" => once(&mut self.resource_az, "resource_az", value)?,
            "resource_id" => once(&mut self.resource_id, "resource_id", value)?,
            "resource_name" => once(&mut self.resource_name, "resource_name", value)?,
            "resource_type" => once(&mut self.resource_type, "resource_type", value.into())?,
            "show_replication" => {
                let show = boolean("show_replication", &value)?;
                once(&mut self.show_replication, "show_replication", show)?;
            }
            "sort" => {
                let sort = value
                    .parse()
                    .map_err(|e: crate::sort::SortError| invalid("sort", &value, e.to_string()))?;
                once(&mut self.sort, "sort", sort)?;
            }
            "start_time" => once(&mut self.start_time, "start_time", time("start_time", &value)?)?,
            "status" => self.status.push(value.into()),
            "used_percent" => {
                let used = number("used_percent", &value, "must be an integer between 1 and 100")?;
                once(&mut self.used_percent, "used_percent", used)?;
            }
            "vault_id" => once(&mut self.vault_id, "vault_id", value)?,
            _ => return Ok(false),
        }
        Ok(true)
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
