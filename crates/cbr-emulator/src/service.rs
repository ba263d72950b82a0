//! The ListBackups service without HTTP: filters, sort, paging and `count` over a
//! [`Dataset`], so it can be tested and benchmarked on its own, plus the churn that creates
//! and deletes backups between requests.
//!
//! The backups are indexed once, when the service is built (see the `store` module): a
//! request reads posting lists, columns and pre-sorted orders, never sorting the whole
//! dataset, and writes each listed backup's JSON as it was written at load time.

use std::fmt;
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use cbr_model::{
    Backup, ImageType, ListBackupsQuery, ListBackupsResponse, MAX_LIMIT, MemberStatus, OwnType,
    QueryError, ResourceType, SortDirection, SortField, Status, Timestamp,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::dataset::{Dataset, Vault, generate_each};
use crate::store::{ALIVE, Indexed, Keys, NO_TIME, Pool, canonical, default_keys};
use crate::text::{timestamp_from_micros, timestamp_micros, uuid_v4};

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

/// What changes under churn.
#[derive(Debug, Default)]
struct State {
    /// Top-level backups: what a listing without `parent_id` sees.
    top: Pool,
    /// Every child backup (any depth): what a listing with `parent_id` searches.
    children: Pool,
    /// Churn steps taken so far.
    generation: u32,
    /// The earliest and latest `created_at` of the loaded backups, in microseconds: where
    /// churn places new backups.
    span: (i64, i64),
}

impl State {
    /// Stores a top-level backup and all its children; `json` is the backup already
    /// written by `serde_json`, if the caller has it.
    fn add(&mut self, backup: &Backup, json: Option<&[u8]>, born: u32) {
        fn add_children(children: &mut Pool, backup: &Backup, born: u32) {
            for child in backup.children.iter().flatten() {
                children.push(child, None, born);
                add_children(children, child, born);
            }
        }
        if self.top.push(backup, json, born).is_some() {
            add_children(&mut self.children, backup, born);
        }
    }

    fn finish(&mut self) {
        self.top.finish();
        self.children.finish();
        let times = self.top.created.iter().copied().filter(|&t| t != NO_TIME);
        self.span = times
            .fold(None, |span: Option<(i64, i64)>, t| match span {
                None => Some((t, t)),
                Some((low, high)) => Some((low.min(t), high.max(t))),
            })
            .unwrap_or((0, 0));
    }
}

/// The ListBackups service over one dataset.
pub struct Service {
    project_id: String,
    vaults: Vec<Vault>,
    state: RwLock<State>,
}

impl fmt::Debug for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.read();
        f.debug_struct("Service")
            .field("project_id", &self.project_id)
            .field("backups", &state.top.alive())
            .field("children", &state.children.alive())
            .field("generation", &state.generation)
            .finish_non_exhaustive()
    }
}

/// The backups one request selected.
struct Selection<'s> {
    pool: &'s Pool,
    count: usize,
    page: Vec<u32>,
    show_replication: bool,
}

impl Service {
    /// Indexes the dataset: writes every backup's JSON, reads its times and sorts the default
    /// order.
    #[must_use]
    pub fn new(dataset: Dataset) -> Self {
        let mut state = State::default();
        for backup in dataset.backups {
            state.add(&backup, None, 0);
        }
        state.finish();
        Self { project_id: dataset.project_id, vaults: dataset.vaults, state: RwLock::new(state) }
    }

    /// The service of [`Dataset::generated`]`(backups, seed)` in project `project_id`, built
    /// without ever holding the whole dataset (one million backups fit in far less memory),
    /// generating on a second thread while indexing on this one.
    #[must_use]
    pub fn generated(project_id: impl Into<String>, backups: usize, seed: u64) -> Self {
        const BATCH: usize = 1024;
        let project_id = project_id.into();
        let mut state = State::default();
        std::thread::scope(|scope| {
            // Backups with their JSON: writing it is half the work, done on the other thread.
            // Used batches go back to be emptied there too: freeing memory on the thread that
            // allocated it is much cheaper.
            let (send, receive) = std::sync::mpsc::sync_channel::<Vec<(Backup, Vec<u8>)>>(4);
            let (recycle, recycled) = std::sync::mpsc::sync_channel::<Vec<(Backup, Vec<u8>)>>(4);
            let project = project_id.as_str();
            let generator = move || {
                let fresh = || match recycled.try_recv() {
                    Ok(mut used) => {
                        used.clear();
                        used
                    }
                    Err(_) => Vec::with_capacity(BATCH),
                };
                let mut batch = fresh();
                generate_each(project, backups, seed, &mut |backup| {
                    let json = serde_json::to_vec(&backup).unwrap_or_default();
                    batch.push((backup, json));
                    if batch.len() == BATCH {
                        // The receiver outlives the generator: a send cannot fail.
                        let _ = send.send(std::mem::replace(&mut batch, fresh()));
                    }
                });
                let _ = send.send(batch);
            };
            let spawned = std::thread::Builder::new()
                .name("cbr-emulator-generate".into())
                .spawn_scoped(scope, generator);
            match spawned {
                Ok(_) => {
                    for batch in receive {
                        for (backup, json) in &batch {
                            // Written by the same serializer; empty only if writing failed.
                            let json = (!json.is_empty()).then_some(json.as_slice());
                            state.add(backup, json, 0);
                        }
                        // Full (the generator is ahead) or gone: then it is freed here.
                        let _ = recycle.try_send(batch);
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, "no second thread; generating on this one");
                    generate_each(&project_id, backups, seed, &mut |b| state.add(&b, None, 0));
                }
            }
        });
        state.finish();
        Self { project_id, vaults: Vault::standard(), state: RwLock::new(state) }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The project whose backups this service holds.
    #[must_use]
    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// Number of top-level backups that exist now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.read().top.alive()
    }

    /// Whether there are no top-level backups.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
        let state = self.read();
        let selection = self.select(&state, project_id, query)?;
        let mut response = ListBackupsResponse::default();
        response.count = Some(selection.count as u64);
        response.backups = selection
            .page
            .iter()
            .filter_map(|&at| selection.pool.backup(at, selection.show_replication))
            .collect();
        Ok(response)
    }

    /// The same answer as [`Service::list`], as the JSON body `{"backups":[…],"count":N}`,
    /// written from each backup's JSON kept since load.
    pub fn list_json(
        &self,
        project_id: &str,
        query: &ListBackupsQuery,
    ) -> Result<Vec<u8>, ServiceError> {
        let state = self.read();
        let selection = self.select(&state, project_id, query)?;
        let pool = selection.pool;
        // Stored forms are about a third of the JSON.
        let size: usize = selection.page.iter().map(|&at| pool.stored_len(at) * 3 + 1).sum();
        let mut body = Vec::with_capacity(size + 40);
        body.extend_from_slice(b"{\"backups\":[");
        for (index, &at) in selection.page.iter().enumerate() {
            if index > 0 {
                body.push(b',');
            }
            pool.write_json(at, selection.show_replication, &mut body);
        }
        body.extend_from_slice(b"],\"count\":");
        body.extend_from_slice(selection.count.to_string().as_bytes());
        body.push(b'}');
        Ok(body)
    }

    /// How many churn steps were taken so far (0 before the first).
    #[must_use]
    pub fn generation(&self) -> u64 {
        u64::from(self.read().generation)
    }

    /// One churn step: creates `count` top-level backups (copies of random existing ones with
    /// new ids and times anywhere in the dataset's time span, children included) and deletes
    /// `count` random existing ones (with their children), then moves to the next
    /// [generation](Service::generation). The same `seed` makes the same changes at the same
    /// generation.
    pub fn churn(&self, count: usize, seed: u64) {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let Some(generation) = state.generation.checked_add(1).filter(|&g| g < ALIVE) else {
            tracing::warn!("churn generation limit reached; no more changes");
            return;
        };
        let mix = u64::from(generation).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ mix);
        let span = state.span;
        for _ in 0..count {
            let Some(template) = random_alive(&state.top, &mut rng) else { break };
            let Some(mut backup) = state.top.backup(template, true) else { continue };
            renew(&mut backup, &mut rng, span);
            state.add(&backup, None, generation);
        }
        for _ in 0..count {
            let Some(victim) = random_alive(&state.top, &mut rng) else { break };
            let id = state.top.id(victim).to_owned();
            state.top.kill(victim, generation);
            kill_children(&mut state.children, &id, generation);
        }
        state.generation = generation;
        tracing::debug!(generation, count, "churn step");
    }

    /// The ids of the backups matching the query's filters that existed in every generation
    /// from `from` to `to` (see [`Service::generation`]), in the query's order; `marker`,
    /// `offset` and `limit` are ignored. Under churn these are exactly the backups a
    /// consistent listing between those generations must yield once each.
    pub fn present_throughout(
        &self,
        project_id: &str,
        query: &ListBackupsQuery,
        from: u64,
        to: u64,
    ) -> Result<Vec<String>, ServiceError> {
        check(query)?;
        let state = self.read();
        let Some(pool) = self.pool(&state, project_id, query) else { return Ok(Vec::new()) };
        let Some(filter) = Filter::compile(pool, query, &self.vaults) else {
            return Ok(Vec::new());
        };
        let (from, to) = (clamp_generation(from), clamp_generation(to));
        let candidates = filter
            .smallest_posting(pool)
            .unwrap_or_else(|| (0..u32::try_from(pool.len()).unwrap_or(u32::MAX)).collect());
        let mut found: Vec<u32> = candidates
            .into_iter()
            .filter(|&at| pool.present_throughout(at, from, to))
            .filter(|&at| filter.fields_match(pool, at) && filter.exactly(pool, at))
            .collect();
        let keys = order_keys(query);
        found.sort_unstable_by(|&a, &b| pool.compare(&keys, a, b));
        Ok(found.into_iter().map(|at| pool.id(at).to_owned()).collect())
    }

    /// The pool a query lists, `None` when it sees no backups at all.
    fn pool<'s>(
        &self,
        state: &'s State,
        project_id: &str,
        query: &ListBackupsQuery,
    ) -> Option<&'s Pool> {
        if project_id != self.project_id || query.own_type == Some(OwnType::Shared) {
            // Another project, or backups shared with this one: the dataset has none.
            None
        } else if query.parent_id.is_some() {
            Some(&state.children)
        } else {
            Some(&state.top)
        }
    }

    fn select<'s>(
        &self,
        state: &'s State,
        project_id: &str,
        query: &ListBackupsQuery,
    ) -> Result<Selection<'s>, ServiceError> {
        check(query)?;
        let show_replication = query.show_replication == Some(true);
        let limit = usize::try_from(query.limit.unwrap_or(MAX_LIMIT)).unwrap_or(usize::MAX);
        let offset = query.offset.map_or(0, |o| usize::try_from(o).unwrap_or(usize::MAX));
        let empty = |pool| Selection { pool, count: 0, page: Vec::new(), show_replication };
        let marker_not_found =
            || ServiceError::MarkerNotFound { marker: query.marker.clone().unwrap_or_default() };

        let Some(pool) = self.pool(state, project_id, query) else {
            return match query.marker {
                Some(_) => Err(marker_not_found()),
                None => Ok(empty(&state.top)),
            };
        };
        // The marker need not match the filters (nor still exist): the page starts after
        // its place in the order.
        let marker = match &query.marker {
            None => None,
            Some(marker) => Some(pool.find(marker).ok_or_else(marker_not_found)?),
        };
        let Some(filter) = Filter::compile(pool, query, &self.vaults) else {
            // A wanted value that no backup has.
            return Ok(empty(pool));
        };
        let keys = order_keys(query);
        let (count, page) = match filter.smallest_posting(pool) {
            Some(candidates) => {
                let (count, found) = select_sorted(pool, &filter, candidates, &keys, marker);
                (count, found.into_iter().skip(offset).take(limit).collect())
            }
            None => {
                let matching = (!filter.is_empty()).then(|| filter.bitmap(pool));
                let count = match &matching {
                    None => pool.alive(),
                    Some(bits) => bits.iter().map(|word| word.count_ones() as usize).sum(),
                };
                (count, walk(pool, matching.as_deref(), &keys, marker, offset, limit))
            }
        };
        Ok(Selection { pool, count, page, show_replication })
    }
}

/// The matches among `candidates`, sorted, starting after the marker: `(count, matches)`.
fn select_sorted(
    pool: &Pool,
    filter: &Filter<'_>,
    candidates: Vec<u32>,
    keys: &[(SortField, SortDirection)],
    marker: Option<u32>,
) -> (usize, Vec<u32>) {
    let mut found: Vec<u32> = candidates
        .into_iter()
        .filter(|&at| filter.matches(pool, at) && filter.exactly(pool, at))
        .collect();
    found.sort_unstable_by(|&a, &b| pool.compare(keys, a, b));
    let count = found.len();
    if let Some(marker) = marker {
        let start = found.partition_point(|&at| pool.compare(keys, at, marker).is_le());
        found.drain(..start);
    }
    (count, found)
}

/// Walks the pre-sorted order of `keys` from after the marker, collecting the page of the
/// backups set in `matching` (every existing one when it is `None`).
fn walk(
    pool: &Pool,
    matching: Option<&[u64]>,
    keys: &[(SortField, SortDirection)],
    marker: Option<u32>,
    offset: usize,
    limit: usize,
) -> Vec<u32> {
    let mut page = Vec::with_capacity(limit.min(MAX_LIMIT as usize));
    if limit == 0 {
        return page;
    }
    let (order, reversed) = pool.order(keys);
    let (stored, _) = canonical(keys);
    let mut skip = offset;
    let wanted = |at: u32| match matching {
        None => pool.is_alive(at),
        Some(bits) => bits[at as usize / 64] >> (at % 64) & 1 == 1,
    };
    let mut visit = |at: u32| {
        if wanted(at) {
            if skip > 0 {
                skip -= 1;
            } else {
                page.push(at);
            }
        }
        page.len() < limit
    };
    match (marker, reversed) {
        (None, false) => {
            for &at in order.iter() {
                if !visit(at) {
                    break;
                }
            }
        }
        (None, true) => {
            for &at in order.iter().rev() {
                if !visit(at) {
                    break;
                }
            }
        }
        (Some(marker), false) => {
            let start = order.partition_point(|&at| pool.compare(&stored, at, marker).is_le());
            for &at in &order[start..] {
                if !visit(at) {
                    break;
                }
            }
        }
        (Some(marker), true) => {
            // Walking backwards: what comes after the marker is what is stored before it.
            let end = order.partition_point(|&at| pool.compare(&stored, at, marker).is_lt());
            for &at in order[..end].iter().rev() {
                if !visit(at) {
                    break;
                }
            }
        }
    }
    page
}

/// The query's order: its `sort` keys (or `created_at` descending), then `id` in the
/// direction of the last key unless `id` is already a key.
fn order_keys(query: &ListBackupsQuery) -> Keys {
    let mut keys: Keys = match &query.sort {
        Some(sort) => sort.keys().iter().map(|k| (k.field, k.effective_direction())).collect(),
        None => Vec::new(),
    };
    if keys.is_empty() {
        return default_keys();
    }
    if !keys.iter().any(|(field, _)| *field == SortField::Id) {
        let last = keys.last().map_or(SortDirection::Desc, |(_, direction)| *direction);
        keys.push((SortField::Id, last));
    }
    keys
}

fn clamp_generation(generation: u64) -> u32 {
    u32::try_from(generation).unwrap_or(ALIVE - 1)
}

/// A random backup of `pool` that exists now, if one is found quickly.
fn random_alive(pool: &Pool, rng: &mut ChaCha8Rng) -> Option<u32> {
    let len = u32::try_from(pool.len()).ok().filter(|&len| len > 0 && pool.alive() > 0)?;
    (0..64).map(|_| rng.gen_range(0..len)).find(|&at| pool.is_alive(at))
}

/// Deletes every child (any depth) of the backup with id `parent`.
fn kill_children(children: &mut Pool, parent: &str, generation: u32) {
    let (_, candidates) = children.postings(Indexed::ParentId, parent);
    for at in candidates {
        if children.exactly(at, &[(Indexed::ParentId, parent)]) && children.kill(at, generation) {
            let id = children.id(at).to_owned();
            kill_children(children, &id, generation);
        }
    }
}

/// Turns a copy of a backup into a new one: new ids (children and replication records
/// follow), every time moved so that `created_at` falls at a random instant of `span`.
fn renew(backup: &mut Backup, rng: &mut ChaCha8Rng, span: (i64, i64)) {
    let created = rng.gen_range(span.0..=span.1.max(span.0));
    let old = backup.created_at.as_ref().and_then(timestamp_micros);
    let shift = old.map_or(0, |old| created - old);
    if old.is_none() {
        backup.created_at = Some(timestamp_from_micros(created));
    }
    renew_tree(backup, None, rng, shift);
}

fn renew_tree(backup: &mut Backup, parent: Option<&Backup>, rng: &mut ChaCha8Rng, shift: i64) {
    let moved = |time: &mut Option<Timestamp>| {
        if let Some(micros) = time.as_ref().and_then(timestamp_micros) {
            *time = Some(timestamp_from_micros(micros.saturating_add(shift)));
        }
    };
    backup.id = Some(uuid_v4(rng));
    match parent {
        Some(parent) => {
            backup.parent_id.clone_from(&parent.id);
            backup.checkpoint_id.clone_from(&parent.checkpoint_id);
        }
        None => backup.checkpoint_id = Some(uuid_v4(rng)),
    }
    moved(&mut backup.created_at);
    moved(&mut backup.updated_at);
    moved(&mut backup.protected_at);
    moved(&mut backup.expired_at);
    for record in backup.replication_records.iter_mut().flatten() {
        record.id = Some(uuid_v4(rng));
        record.destination_backup_id = Some(uuid_v4(rng));
        record.source_backup_id.clone_from(&backup.id);
        record.source_checkpoint_id.clone_from(&backup.checkpoint_id);
        moved(&mut record.created_at);
    }
    if let Some(mut children) = backup.children.take() {
        for child in &mut children {
            renew_tree(child, Some(backup), rng, shift);
        }
        backup.children = Some(children);
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

/// The filters of one query, turned into the codes of one pool.
struct Filter<'q> {
    /// Allowed status codes (index = code), if `status` is given.
    statuses: Option<Vec<bool>>,
    resource_type: Option<u32>,
    image_type: Option<u32>,
    vault: Option<u32>,
    az: Option<u32>,
    enterprise_project: Option<u32>,
    /// Vault codes at least `used_percent` full (index = code), if `used_percent` is given.
    full_vaults: Option<Vec<bool>>,
    incremental: Option<bool>,
    start: Option<i64>,
    end: Option<i64>,
    /// Filters on many-valued fields: field and wanted text.
    indexed: Vec<(Indexed, &'q str)>,
}

impl<'q> Filter<'q> {
    /// The query's filters in `pool`'s codes; `None` when a wanted value is held by no backup
    /// (nothing can match).
    ///
    /// TODO: `member_status` and `dec` are validated but filter nothing: the datasets have
    /// no backups shared with other projects and no dedicated-cloud flag to match them against.
    fn compile(pool: &Pool, query: &'q ListBackupsQuery, vaults: &[Vault]) -> Option<Self> {
        let code = |interner: &crate::store::Interner, text: Option<&str>| match text {
            None => Some(None),
            Some(text) => interner.code(text).map(Some),
        };
        // A table of allowed codes; `None` (nothing can match) when it allows none.
        let table = |len: usize, codes: &mut dyn Iterator<Item = u32>| {
            let mut allowed = vec![false; len];
            for code in codes {
                allowed[code as usize] = true;
            }
            allowed.contains(&true).then_some(allowed)
        };
        let statuses = match query.status.as_slice() {
            [] => None,
            wanted => Some(table(
                pool.statuses.len(),
                &mut wanted.iter().filter_map(|status| pool.statuses.code(status.as_str())),
            )?),
        };
        let full_vaults = match query.used_percent {
            None => None,
            Some(percent) => Some(table(
                pool.vaults.len(),
                &mut vaults
                    .iter()
                    .filter(|vault| vault.is_used_at_least(percent))
                    .filter_map(|vault| pool.vaults.code(&vault.id)),
            )?),
        };
        let enterprise_project =
            query.enterprise_project_id.as_deref().filter(|id| *id != ALL_ENTERPRISE_PROJECTS);
        let mut indexed = Vec::new();
        for (field, value) in [
            (Indexed::Name, &query.name),
            (Indexed::CheckpointId, &query.checkpoint_id),
            (Indexed::ResourceId, &query.resource_id),
            (Indexed::ResourceName, &query.resource_name),
            (Indexed::ParentId, &query.parent_id),
        ] {
            if let Some(value) = value {
                indexed.push((field, value.as_str()));
            }
        }
        Some(Self {
            statuses,
            resource_type: code(
                &pool.resource_types,
                query.resource_type.as_ref().map(ResourceType::as_str),
            )?,
            image_type: code(&pool.image_types, query.image_type.as_ref().map(ImageType::as_str))?,
            vault: code(&pool.vaults, query.vault_id.as_deref())?,
            az: code(&pool.zones, query.resource_az.as_deref())?,
            enterprise_project: code(&pool.enterprise_projects, enterprise_project)?,
            full_vaults,
            incremental: query.incremental,
            start: query.start_time.map(|t| t.utc().timestamp_micros()),
            end: query.end_time.map(|t| t.utc().timestamp_micros()),
            indexed,
        })
    }

    /// Whether the query filters nothing out.
    fn is_empty(&self) -> bool {
        self.statuses.is_none()
            && self.resource_type.is_none()
            && self.image_type.is_none()
            && self.vault.is_none()
            && self.az.is_none()
            && self.enterprise_project.is_none()
            && self.full_vaults.is_none()
            && self.incremental.is_none()
            && self.start.is_none()
            && self.end.is_none()
            && self.indexed.is_empty()
    }

    /// The shortest posting list among the many-valued filters, if there is one.
    fn smallest_posting(&self, pool: &Pool) -> Option<Vec<u32>> {
        let (field, text) =
            self.indexed.iter().min_by_key(|(field, text)| pool.postings_len(*field, text))?;
        Some(pool.postings(*field, text).1)
    }

    /// Whether the backup at `at` exists now and matches (many-valued fields but `name` are
    /// left to [`Filter::exactly`]).
    fn matches(&self, pool: &Pool, at: u32) -> bool {
        pool.died[at as usize] == ALIVE && self.fields_match(pool, at)
    }

    fn fields_match(&self, pool: &Pool, at: u32) -> bool {
        let i = at as usize;
        let is = |wanted: Option<u32>, column: &[u32]| wanted.is_none_or(|code| column[i] == code);
        let allowed = |table: &Option<Vec<bool>>, code: u32| {
            table.as_ref().is_none_or(|table| table.get(code as usize).copied().unwrap_or(false))
        };
        let created = pool.created[i];
        allowed(&self.statuses, pool.status[i])
            && is(self.resource_type, &pool.resource_type)
            && is(self.image_type, &pool.image_type)
            && is(self.vault, &pool.vault)
            && is(self.az, &pool.az)
            && is(self.enterprise_project, &pool.enterprise_project)
            && allowed(&self.full_vaults, pool.vault[i])
            && self.incremental.is_none_or(|wanted| pool.incremental[i] == wanted)
            && self.start.is_none_or(|start| created != NO_TIME && created >= start)
            && self.end.is_none_or(|end| created != NO_TIME && created <= end)
            && self
                .indexed
                .iter()
                .all(|&(field, text)| field != Indexed::Name || pool.name_is(at, text))
    }

    /// The set of existing backups that match, one bit per position, computed a column at a
    /// time. Only for filters without many-valued fields (those go by posting lists).
    fn bitmap(&self, pool: &Pool) -> Vec<u64> {
        let mut bits = vec![0_u64; pool.len().div_ceil(64)];
        and_column(&mut bits, &pool.died, true, |died| died == ALIVE);
        let allowed =
            |table: &[bool], code: u32| table.get(code as usize).copied().unwrap_or(false);
        if let Some(table) = &self.statuses {
            and_column(&mut bits, &pool.status, false, |code| allowed(table, code));
        }
        for (wanted, column) in [
            (self.resource_type, &pool.resource_type),
            (self.image_type, &pool.image_type),
            (self.vault, &pool.vault),
            (self.az, &pool.az),
            (self.enterprise_project, &pool.enterprise_project),
        ] {
            if let Some(wanted) = wanted {
                and_column(&mut bits, column, false, |code| code == wanted);
            }
        }
        if let Some(table) = &self.full_vaults {
            and_column(&mut bits, &pool.vault, false, |code| allowed(table, code));
        }
        if let Some(wanted) = self.incremental {
            and_column(&mut bits, &pool.incremental, false, |value| value == wanted);
        }
        if self.start.is_some() || self.end.is_some() {
            let (start, end) = (self.start.unwrap_or(NO_TIME + 1), self.end.unwrap_or(i64::MAX));
            and_column(&mut bits, &pool.created, false, |created| {
                created != NO_TIME && created >= start && created <= end
            });
        }
        bits
    }

    /// Whether the many-valued fields (read from the backup's JSON) are the wanted text.
    fn exactly(&self, pool: &Pool, at: u32) -> bool {
        let hashed: Vec<(Indexed, &str)> =
            self.indexed.iter().filter(|(field, _)| *field != Indexed::Name).copied().collect();
        hashed.is_empty() || pool.exactly(at, &hashed)
    }
}

/// Clears the bits of `bits` whose backup's value in `column` fails `keep` (or, with
/// `first`, sets exactly those that pass). Words already empty are skipped.
fn and_column<T: Copy>(bits: &mut [u64], column: &[T], first: bool, keep: impl Fn(T) -> bool) {
    for (word, values) in bits.iter_mut().zip(column.chunks(64)) {
        if !first && *word == 0 {
            continue;
        }
        let mut passed = 0_u64;
        for (at, &value) in values.iter().enumerate() {
            passed |= u64::from(keep(value)) << at;
        }
        *word = if first { passed } else { *word & passed };
    }
}
