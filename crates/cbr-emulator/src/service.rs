//! The ListBackups service without HTTP: filters, sort, paging and `count` over a
//! [`Dataset`], so it can be tested and benchmarked on its own.
//!
//! Each backup's times are parsed once, when the service is built; the default order is
//! sorted once too. A request filters the backups of its pool (top-level backups, or the
//! children of one backup when `parent_id` is given), sorts them if it asks for another order,
//! then pages.

use std::borrow::Cow;
use std::cmp::Ordering;

use cbr_model::{
    Backup, ImageType, ListBackupsQuery, ListBackupsResponse, MAX_LIMIT, MemberStatus, OwnType,
    QueryError, ResourceType, SortDirection, SortField, Status,
};

use crate::dataset::Dataset;
use crate::text::timestamp_micros;

/// The error code of every refused query (the service's generic "parameter verification
/// failed").
pub const INVALID_PARAMETER_CODE: &str = "BackupService.9900";

/// The `enterprise_project_id` value that means "every enterprise project".
pub const ALL_ENTERPRISE_PROJECTS: &str = "all_granted_eps";

/// Why a request was refused; every variant is a `400 BackupService.9900`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// A parameter failed parsing or validation.
    #[error(transparent)]
    InvalidQuery(#[from] QueryError),
    /// A value outside the documented set of an enumerated parameter.
    #[error("invalid value {value:?} for `{parameter}`: expected one of {expected}")]
    UnsupportedValue {
        /// Wire name of the parameter.
        parameter: &'static str,
        /// The value as given.
        value: String,
        /// The documented values, comma-separated.
        expected: String,
    },
    /// `marker` names no backup of the listing.
    #[error("marker {marker:?} not found: no backup with this id in the listing")]
    MarkerNotFound {
        /// The marker as given.
        marker: String,
    },
}

impl ServiceError {
    /// The service error code for the response body.
    #[must_use]
    pub fn error_code(&self) -> &'static str {
        INVALID_PARAMETER_CODE
    }

    /// The HTTP status of the response.
    #[must_use]
    pub fn http_status(&self) -> u16 {
        400
    }
}

/// The values of one backup that sorting and filtering need, parsed once.
#[derive(Debug, Clone, Copy)]
struct Keys {
    created: Option<i64>,
    updated: Option<i64>,
    protected: Option<i64>,
    incremental: bool,
}

impl Keys {
    fn of(backup: &Backup) -> Self {
        let micros = |time: &Option<cbr_model::Timestamp>| time.as_ref().and_then(timestamp_micros);
        let incremental = backup
            .incremental
            .or_else(|| backup.extend_info.as_ref().and_then(|info| info.incremental))
            .unwrap_or(false);
        Self {
            created: micros(&backup.created_at),
            updated: micros(&backup.updated_at),
            protected: micros(&backup.protected_at),
            incremental,
        }
    }
}

/// One backup and its parsed keys.
#[derive(Clone, Copy)]
struct Entry<'a> {
    backup: &'a Backup,
    keys: &'a Keys,
}

/// Backups listed together, with an id index and the default order. The backups stay in the
/// dataset's vector (no copy); the indexes hold positions in it.
#[derive(Debug, Default)]
struct Pool {
    backups: Vec<Backup>,
    keys: Vec<Keys>,
    /// `(id prefix, position)` sorted by id, then position: an id index that sorts and
    /// searches mostly on integers and holds no copies of the ids.
    by_id: Vec<(u128, usize)>,
    /// Positions in the default order: `created_at` descending, then `id` descending.
    default_order: Vec<usize>,
}

impl Pool {
    fn new(backups: Vec<Backup>) -> Self {
        let keys = backups.iter().map(Keys::of).collect();
        let mut pool = Self { backups, keys, by_id: Vec::new(), default_order: Vec::new() };
        let mut by_id: Vec<(u128, usize)> =
            pool.backups.iter().enumerate().map(|(at, b)| (id_prefix(b.id()), at)).collect();
        by_id.sort_unstable_by(|&(pa, a), &(pb, b)| {
            pa.cmp(&pb).then_with(|| pool.backups[a].id().cmp(pool.backups[b].id())).then(a.cmp(&b))
        });
        let order = Order::default_order();
        let mut default_order: Vec<usize> = (0..pool.len()).collect();
        default_order.sort_unstable_by(|&a, &b| order.compare(&pool, a, b));
        pool.by_id = by_id;
        pool.default_order = default_order;
        pool
    }

    fn len(&self) -> usize {
        self.backups.len()
    }

    fn entry(&self, at: usize) -> Entry<'_> {
        Entry { backup: &self.backups[at], keys: &self.keys[at] }
    }

    /// Position of the backup with this id (the first one, if ids repeat).
    fn find(&self, id: &str) -> Option<usize> {
        let prefix = id_prefix(id);
        let at = self
            .by_id
            .partition_point(|&(p, i)| p < prefix || (p == prefix && self.backups[i].id() < id));
        self.by_id.get(at).map(|&(_, i)| i).filter(|&i| self.backups[i].id() == id)
    }
}

/// The first 16 bytes of an id as a big-endian integer (zero-padded): ordering by it, then by
/// the whole id, is a total order, and it compares most UUIDs in one step.
fn id_prefix(id: &str) -> u128 {
    let mut bytes = [0_u8; 16];
    for (slot, byte) in bytes.iter_mut().zip(id.bytes()) {
        *slot = byte;
    }
    u128::from_be_bytes(bytes)
}

/// The ListBackups service over one dataset.
#[derive(Debug)]
pub struct Service {
    project_id: String,
    /// Top-level backups: what a listing without `parent_id` sees.
    top: Pool,
    /// Every child backup (any depth): what a listing with `parent_id` searches.
    children: Pool,
}

impl Service {
    /// Indexes the dataset: parses every backup's times and sorts the default order.
    #[must_use]
    pub fn new(dataset: Dataset) -> Self {
        fn collect_children(backups: &[Backup], out: &mut Vec<Backup>) {
            for backup in backups {
                if let Some(children) = &backup.children {
                    out.extend(children.iter().cloned());
                    collect_children(children, out);
                }
            }
        }
        let mut children = Vec::new();
        collect_children(&dataset.backups, &mut children);
        Self {
            project_id: dataset.project_id,
            top: Pool::new(dataset.backups),
            children: Pool::new(children),
        }
    }

    /// The project whose backups this service holds.
    #[must_use]
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// Number of top-level backups.
    #[must_use]
    pub fn len(&self) -> usize {
        self.top.len()
    }

    /// Whether there are no top-level backups.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.top.backups.is_empty()
    }

    /// Answers `GET /v3/{project_id}/backups` for an already parsed query.
    ///
    /// The query is validated first (also for another project). Then: `parent_id` given →
    /// the children of that backup, otherwise the top-level backups; filters applied; `count`
    /// is the number of matches; the matches are ordered by `sort` (default `created_at`
    /// descending), always completed by `id` in the direction of the last key; `marker`
    /// continues strictly after the backup with that id in this order, then `offset` skips,
    /// then `limit` (default 1000) cuts. Another project sees no backups.
    pub fn list(
        &self,
        project_id: &str,
        query: &ListBackupsQuery,
    ) -> Result<ListBackupsResponse, ServiceError> {
        check(query)?;
        let order = Order::of(query);
        let show_replication = query.show_replication == Some(true);
        let limit = usize::try_from(query.limit.unwrap_or(MAX_LIMIT)).unwrap_or(usize::MAX);
        let offset = query.offset.map_or(0, |o| usize::try_from(o).unwrap_or(usize::MAX));

        let empty = Pool::default();
        let pool = if project_id != self.project_id || query.own_type == Some(OwnType::Shared) {
            // Another project, or backups shared with this one: the dataset has none.
            &empty
        } else if query.parent_id.is_some() {
            &self.children
        } else {
            &self.top
        };

        let filter = Filter::new(query);
        let matches: Cow<'_, [usize]> = if order.is_default() && filter.is_empty() {
            Cow::Borrowed(&pool.default_order)
        } else if order.is_default() {
            pool.default_order.iter().copied().filter(|&i| filter.matches(pool.entry(i))).collect()
        } else {
            let mut found: Vec<usize> =
                (0..pool.len()).filter(|&i| filter.matches(pool.entry(i))).collect();
            found.sort_unstable_by(|&a, &b| order.compare(pool, a, b));
            Cow::Owned(found)
        };
        let count = matches.len();

        let start = match &query.marker {
            None => 0,
            Some(marker) => {
                let Some(at) = pool.find(marker) else {
                    return Err(ServiceError::MarkerNotFound { marker: marker.clone() });
                };
                // The marker need not match the filters: the page starts after its place.
                matches.partition_point(|&i| order.compare(pool, i, at) != Ordering::Greater)
            }
        };
        let page_start = start.saturating_add(offset).min(matches.len());
        let page_end = page_start.saturating_add(limit).min(matches.len());

        let mut response = ListBackupsResponse::default();
        response.count = Some(count as u64);
        response.backups = matches[page_start..page_end]
            .iter()
            .map(|&i| {
                let mut backup = pool.backups[i].clone();
                if !show_replication {
                    strip_replication(&mut backup);
                }
                backup
            })
            .collect();
        Ok(response)
    }
}

/// Empties `replication_records`, here and in every child: without `show_replication=true`
/// the service still sends the key, as an empty list (the published example shows this).
fn strip_replication(backup: &mut Backup) {
    backup.replication_records = Some(Vec::new());
    for child in backup.children.iter_mut().flatten() {
        strip_replication(child);
    }
}

/// Validates a query: the model's rules, then documented values of enumerated parameters.
fn check(query: &ListBackupsQuery) -> Result<(), ServiceError> {
    fn known<T: std::fmt::Display>(
        parameter: &'static str,
        value: &T,
        is_known: bool,
        expected: &[&str],
    ) -> Result<(), ServiceError> {
        if is_known {
            Ok(())
        } else {
            Err(ServiceError::UnsupportedValue {
                parameter,
                value: value.to_string(),
                expected: expected.join(", "),
            })
        }
    }
    query.validate()?;
    if let Some(value) = &query.image_type {
        known("image_type", value, value.is_known(), ImageType::KNOWN)?;
    }
    if let Some(value) = &query.member_status {
        known("member_status", value, value.is_known(), MemberStatus::KNOWN)?;
    }
    if let Some(value) = &query.own_type {
        known("own_type", value, value.is_known(), OwnType::KNOWN)?;
    }
    if let Some(value) = &query.resource_type {
        known("resource_type", value, value.is_known(), ResourceType::KNOWN)?;
    }
    for value in &query.status {
        known("status", value, value.is_known(), Status::KNOWN)?;
    }
    Ok(())
}

/// The filters of one query, borrowed from it.
struct Filter<'q> {
    checkpoint_id: Option<&'q str>,
    enterprise_project_id: Option<&'q str>,
    image_type: Option<&'q ImageType>,
    incremental: Option<bool>,
    name: Option<&'q str>,
    parent_id: Option<&'q str>,
    resource_az: Option<&'q str>,
    resource_id: Option<&'q str>,
    resource_name: Option<&'q str>,
    resource_type: Option<&'q ResourceType>,
    statuses: &'q [Status],
    vault_id: Option<&'q str>,
    start: Option<i64>,
    end: Option<i64>,
}

impl<'q> Filter<'q> {
    fn new(query: &'q ListBackupsQuery) -> Self {
        Self {
            checkpoint_id: query.checkpoint_id.as_deref(),
            enterprise_project_id: query
                .enterprise_project_id
                .as_deref()
                .filter(|id| *id != ALL_ENTERPRISE_PROJECTS),
            image_type: query.image_type.as_ref(),
            incremental: query.incremental,
            name: query.name.as_deref(),
            parent_id: query.parent_id.as_deref(),
            resource_az: query.resource_az.as_deref(),
            resource_id: query.resource_id.as_deref(),
            resource_name: query.resource_name.as_deref(),
            resource_type: query.resource_type.as_ref(),
            statuses: &query.status,
            vault_id: query.vault_id.as_deref(),
            start: query.start_time.map(|t| t.utc().timestamp_micros()),
            end: query.end_time.map(|t| t.utc().timestamp_micros()),
        }
    }

    /// Whether the query filters nothing out.
    fn is_empty(&self) -> bool {
        self.checkpoint_id.is_none()
            && self.enterprise_project_id.is_none()
            && self.image_type.is_none()
            && self.incremental.is_none()
            && self.name.is_none()
            && self.parent_id.is_none()
            && self.resource_az.is_none()
            && self.resource_id.is_none()
            && self.resource_name.is_none()
            && self.resource_type.is_none()
            && self.statuses.is_empty()
            && self.vault_id.is_none()
            && self.start.is_none()
            && self.end.is_none()
    }

    fn matches(&self, entry: Entry<'_>) -> bool {
        fn equal(wanted: Option<&str>, value: Option<&String>) -> bool {
            wanted.is_none_or(|wanted| value.is_some_and(|value| value == wanted))
        }
        let backup = entry.backup;
        let keys = entry.keys;
        equal(self.checkpoint_id, backup.checkpoint_id.as_ref())
            && equal(self.name, backup.name.as_ref())
            && equal(self.parent_id, backup.parent_id.as_ref())
            && equal(self.resource_az, backup.resource_az.as_ref())
            && equal(self.resource_id, backup.resource_id.as_ref())
            && equal(self.resource_name, backup.resource_name.as_ref())
            && equal(self.vault_id, backup.vault_id.as_ref())
            && self.enterprise_project_id.is_none_or(|wanted| {
                // No enterprise project means the default one, "0".
                backup.enterprise_project_id.as_deref().unwrap_or("0") == wanted
            })
            && self.image_type.is_none_or(|wanted| backup.image_type.as_ref() == Some(wanted))
            && self.resource_type.is_none_or(|wanted| backup.resource_type.as_ref() == Some(wanted))
            && (self.statuses.is_empty()
                || backup.status.as_ref().is_some_and(|status| self.statuses.contains(status)))
            && self.incremental.is_none_or(|wanted| keys.incremental == wanted)
            && self.start.is_none_or(|start| keys.created.is_some_and(|c| c >= start))
            && self.end.is_none_or(|end| keys.created.is_some_and(|c| c <= end))
    }
}

/// The wire spelling of an entry's status, compared as text.
fn status_text(backup: &Backup) -> Option<&str> {
    backup.status.as_ref().map(Status::as_str)
}

/// A total order over backups: the query's keys, completed by `id`.
struct Order {
    keys: Vec<(SortField, SortDirection)>,
}

impl Order {
    fn default_order() -> Self {
        Self {
            keys: vec![
                (SortField::CreatedAt, SortDirection::Desc),
                (SortField::Id, SortDirection::Desc),
            ],
        }
    }

    /// The query's order: its `sort` keys (or `created_at` descending), then `id` in the
    /// direction of the last key unless `id` is already a key.
    fn of(query: &ListBackupsQuery) -> Self {
        let mut keys: Vec<(SortField, SortDirection)> = match &query.sort {
            Some(sort) => sort.keys().iter().map(|k| (k.field, k.effective_direction())).collect(),
            None => Vec::new(),
        };
        if keys.is_empty() {
            keys.push((SortField::CreatedAt, SortDirection::Desc));
        }
        if !keys.iter().any(|(field, _)| *field == SortField::Id) {
            let last = keys.last().map_or(SortDirection::Desc, |(_, direction)| *direction);
            keys.push((SortField::Id, last));
        }
        Self { keys }
    }

    fn is_default(&self) -> bool {
        self.keys == Self::default_order().keys
    }

    /// Compares the entries at positions `a` and `b`; missing values sort first ascending.
    fn compare(&self, pool: &Pool, a: usize, b: usize) -> Ordering {
        let (x, y) = (pool.entry(a), pool.entry(b));
        for &(field, direction) in &self.keys {
            let ordering = match field {
                SortField::CreatedAt => x.keys.created.cmp(&y.keys.created),
                SortField::UpdatedAt => x.keys.updated.cmp(&y.keys.updated),
                SortField::ProtectedAt => x.keys.protected.cmp(&y.keys.protected),
                SortField::Name => x.backup.name.cmp(&y.backup.name),
                SortField::Status => status_text(x.backup).cmp(&status_text(y.backup)),
                SortField::Id => x.backup.id.cmp(&y.backup.id),
            };
            let ordering = match direction {
                SortDirection::Asc => ordering,
                SortDirection::Desc => ordering.reverse(),
            };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        // Only reached when ids repeat: keep the dataset's order.
        a.cmp(&b)
    }
}
