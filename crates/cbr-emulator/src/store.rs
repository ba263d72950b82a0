//! Backups stored for fast listing: each backup's JSON written once, columns of the values
//! filters and sorts read, posting lists for the equality filters on many-valued fields, and
//! sorted orders built once per `sort` and kept.
//!
//! A request never sorts the whole pool. It either starts from a posting list (a filter on
//! `name`, `checkpoint_id`, `resource_id`, `resource_name` or `parent_id` selects few
//! backups, which are then sorted), or walks the pre-sorted order of its `sort` until the page
//! is full, counting the matches with a sequential scan of the columns.
//!
//! Backups are never removed: a deleted one becomes a tombstone (`died` set), so a `marker`
//! naming it still places the next page.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};

use cbr_model::{Backup, SortDirection, SortField, Timestamp};
use serde::Deserialize;

use crate::codec::{Dictionary, FxBuild};
use crate::text::timestamp_micros;

/// A column value meaning "no value".
pub(crate) const NONE: u32 = u32::MAX;
/// A time column value meaning "no (readable) time"; it sorts before every time.
pub(crate) const NO_TIME: i64 = i64::MIN;
/// `died` of a backup that still exists.
pub(crate) const ALIVE: u32 = u32::MAX;
/// How many sorted orders a pool keeps besides the default one.
const MAX_ORDERS: usize = 32;
/// How many backups the JSON dictionary is learnt from.
const DICTIONARY_SAMPLE: usize = 2000;

/// Small integer codes for the values of one few-valued field.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    codes: HashMap<Box<str>, u32, FxBuild>,
    texts: Vec<Box<str>>,
}

impl Interner {
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&code) = self.codes.get(text) {
            return code;
        }
        let code = u32::try_from(self.texts.len()).unwrap_or(NONE - 1);
        self.codes.insert(text.into(), code);
        self.texts.push(text.into());
        code
    }

    fn intern_opt(&mut self, text: Option<&str>) -> u32 {
        text.map_or(NONE, |text| self.intern(text))
    }

    /// The code of `text`, if some backup has it.
    pub(crate) fn code(&self, text: &str) -> Option<u32> {
        self.codes.get(text).copied()
    }

    pub(crate) fn len(&self) -> usize {
        self.texts.len()
    }

    fn text(&self, code: u32) -> Option<&str> {
        self.texts.get(code as usize).map(|text| &**text)
    }
}

/// Positions of the backups with each value of one many-valued field, by the high 32 bits
/// of a hash of the value (a match is then checked against the value itself): a sorted
/// array for the backups loaded at start, a map for those added later. Backups without a
/// value are not listed.
#[derive(Debug, Default)]
pub(crate) struct Postings {
    sorted: Vec<(u32, u32)>,
    recent: HashMap<u32, Vec<u32>>,
    finished: bool,
}

impl Postings {
    fn add(&mut self, hash: u64, at: u32) {
        let key = (hash >> 32) as u32;
        if self.finished {
            self.recent.entry(key).or_default().push(at);
        } else {
            self.sorted.push((key, at));
        }
    }

    fn finish(&mut self) {
        self.sorted.sort_unstable();
        self.sorted.shrink_to_fit();
        self.finished = true;
    }

    fn range(&self, key: u32) -> &[(u32, u32)] {
        let start = self.sorted.partition_point(|&(k, _)| k < key);
        let end = self.sorted.partition_point(|&(k, _)| k <= key);
        &self.sorted[start..end]
    }

    /// Every position with this hash, in increasing order.
    pub(crate) fn get(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let key = (hash >> 32) as u32;
        let old = self.range(key).iter().map(|&(_, at)| at);
        old.chain(self.recent.get(&key).into_iter().flatten().copied())
    }

    /// How many positions have this hash.
    pub(crate) fn len_of(&self, hash: u64) -> usize {
        let key = (hash >> 32) as u32;
        self.range(key).len() + self.recent.get(&key).map_or(0, Vec::len)
    }
}

/// The many-valued fields with a posting list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Indexed {
    Name,
    CheckpointId,
    ResourceId,
    ResourceName,
    ParentId,
}

/// The fields of a backup's JSON that are compared exactly after a posting list matched.
#[derive(Deserialize)]
struct Exact<'a> {
    #[serde(borrow, default)]
    checkpoint_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    resource_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    resource_name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    parent_id: Option<Cow<'a, str>>,
}

/// A sort key list completed by `id`: a total order.
pub(crate) type Keys = Vec<(SortField, SortDirection)>;

/// Backups listed together (the top-level ones, or every child), in columns.
#[derive(Debug)]
pub(crate) struct Pool {
    ids: Vec<Box<str>>,
    /// Each backup's JSON, in the dictionary's compact form once it is learnt.
    json: Vec<Box<[u8]>>,
    /// The JSON without replication records, where it differs from `json`.
    stripped: HashMap<u32, Box<[u8]>>,
    /// Learnt from the first backups; `None` while they are still stored as plain JSON.
    dictionary: Option<Dictionary>,
    /// Reused buffers for writing and packing JSON.
    scratch: Vec<u8>,
    packing: Vec<u8>,
    names: Vec<Option<Box<str>>>,
    pub(crate) created: Vec<i64>,
    updated: Vec<i64>,
    protected: Vec<i64>,
    pub(crate) status: Vec<u32>,
    pub(crate) resource_type: Vec<u32>,
    pub(crate) image_type: Vec<u32>,
    pub(crate) vault: Vec<u32>,
    pub(crate) az: Vec<u32>,
    pub(crate) enterprise_project: Vec<u32>,
    pub(crate) incremental: Vec<bool>,
    /// The churn generation a backup appeared in (0 = loaded at start).
    born: Vec<u32>,
    /// The churn generation a backup was deleted in, or [`ALIVE`].
    pub(crate) died: Vec<u32>,
    pub(crate) statuses: Interner,
    pub(crate) resource_types: Interner,
    pub(crate) image_types: Interner,
    pub(crate) vaults: Interner,
    pub(crate) zones: Interner,
    pub(crate) enterprise_projects: Interner,
    /// Rank of each status code by its wire text (what `sort=status` orders by).
    status_rank: Vec<u32>,
    by_id: Postings,
    by_name: Postings,
    by_checkpoint: Postings,
    by_resource_id: Postings,
    by_resource_name: Postings,
    by_parent: Postings,
    hasher: FxBuild,
    alive: usize,
    /// Sorted orders, by canonical key list (see [`canonical`]).
    orders: Mutex<HashMap<Keys, Arc<Vec<u32>>>>,
}

impl Default for Pool {
    fn default() -> Self {
        Self {
            ids: Vec::new(),
            json: Vec::new(),
            stripped: HashMap::new(),
            dictionary: None,
            scratch: Vec::new(),
            packing: Vec::new(),
            names: Vec::new(),
            created: Vec::new(),
            updated: Vec::new(),
            protected: Vec::new(),
            status: Vec::new(),
            resource_type: Vec::new(),
            image_type: Vec::new(),
            vault: Vec::new(),
            az: Vec::new(),
            enterprise_project: Vec::new(),
            incremental: Vec::new(),
            born: Vec::new(),
            died: Vec::new(),
            statuses: Interner::default(),
            resource_types: Interner::default(),
            image_types: Interner::default(),
            vaults: Interner::default(),
            zones: Interner::default(),
            enterprise_projects: Interner::default(),
            status_rank: Vec::new(),
            by_id: Postings::default(),
            by_name: Postings::default(),
            by_checkpoint: Postings::default(),
            by_resource_id: Postings::default(),
            by_resource_name: Postings::default(),
            by_parent: Postings::default(),
            hasher: FxBuild::default(),
            alive: 0,
            orders: Mutex::new(HashMap::new()),
        }
    }
}

/// The default order: `created_at` descending, then `id` descending.
pub(crate) fn default_keys() -> Keys {
    vec![(SortField::CreatedAt, SortDirection::Desc), (SortField::Id, SortDirection::Desc)]
}

/// The key list stored for `keys` and whether it must be walked backwards: orders whose first
/// key is descending are stored flipped (every direction reversed), so an order and its
/// reverse share one array.
pub(crate) fn canonical(keys: &[(SortField, SortDirection)]) -> (Keys, bool) {
    let reversed = keys.first().is_some_and(|(_, direction)| *direction == SortDirection::Desc);
    let flip = |direction: SortDirection| match direction {
        SortDirection::Asc => SortDirection::Desc,
        SortDirection::Desc => SortDirection::Asc,
    };
    let stored =
        keys.iter().map(|&(f, d)| (f, if reversed { flip(d) } else { d })).collect::<Keys>();
    (stored, reversed)
}

impl Pool {
    /// Number of backups stored, deleted ones included.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    /// Number of backups that exist now.
    pub(crate) fn alive(&self) -> usize {
        self.alive
    }

    pub(crate) fn hash(&self, text: &str) -> u64 {
        self.hasher.hash_one(text)
    }

    /// Stores a backup (its children are not stored here) and returns its position, or `None`
    /// if it cannot be written as JSON. `json` is the backup written by `serde_json`, if the
    /// caller has it already.
    pub(crate) fn push(&mut self, backup: &Backup, json: Option<&[u8]>, born: u32) -> Option<u32> {
        let mut scratch = std::mem::take(&mut self.scratch);
        let json = match json {
            Some(json) => json,
            None => {
                scratch.clear();
                if let Err(error) = serde_json::to_writer(&mut scratch, backup) {
                    tracing::error!(%error, id = backup.id(), "cannot write a backup as JSON");
                    self.scratch = scratch;
                    return None;
                }
                &scratch
            }
        };
        let at = u32::try_from(self.ids.len()).ok().filter(|&at| at < NONE)?;
        if needs_stripping(backup) {
            let mut copy = backup.clone();
            strip_replication(&mut copy);
            if let Ok(stripped) = serde_json::to_vec(&copy) {
                let packed = self.pack(&stripped);
                self.stripped.insert(at, packed);
            }
        }
        let json = self.pack(json);
        self.scratch = scratch;
        let micros = |time: &Option<Timestamp>| time.as_ref().and_then(timestamp_micros);
        let incremental = backup
            .incremental
            .or_else(|| backup.extend_info.as_ref().and_then(|info| info.incremental))
            .unwrap_or(false);

        self.json.push(json);
        self.ids.push(backup.id().into());
        self.names.push(backup.name.as_deref().map(Into::into));
        self.created.push(micros(&backup.created_at).unwrap_or(NO_TIME));
        self.updated.push(micros(&backup.updated_at).unwrap_or(NO_TIME));
        self.protected.push(micros(&backup.protected_at).unwrap_or(NO_TIME));
        let status = self.statuses.intern_opt(backup.status.as_ref().map(|s| s.as_str()));
        self.status.push(status);
        let resource_type =
            self.resource_types.intern_opt(backup.resource_type.as_ref().map(|t| t.as_str()));
        self.resource_type.push(resource_type);
        let image_type =
            self.image_types.intern_opt(backup.image_type.as_ref().map(|t| t.as_str()));
        self.image_type.push(image_type);
        let vault = self.vaults.intern_opt(backup.vault_id.as_deref());
        self.vault.push(vault);
        let az = self.zones.intern_opt(backup.resource_az.as_deref());
        self.az.push(az);
        // A backup without an enterprise project is in the default one, "0".
        let project = backup.enterprise_project_id.as_deref().unwrap_or("0");
        let project = self.enterprise_projects.intern(project);
        self.enterprise_project.push(project);
        self.incremental.push(incremental);
        self.born.push(born);
        self.died.push(ALIVE);
        self.alive += 1;

        let id_hash = self.hash(backup.id());
        self.by_id.add(id_hash, at);
        for (postings, value) in [
            (&mut self.by_name, &backup.name),
            (&mut self.by_checkpoint, &backup.checkpoint_id),
            (&mut self.by_resource_id, &backup.resource_id),
            (&mut self.by_resource_name, &backup.resource_name),
            (&mut self.by_parent, &backup.parent_id),
        ] {
            if let Some(value) = value {
                postings.add(self.hasher.hash_one(value.as_str()), at);
            }
        }
        if self.dictionary.is_none() && self.json.len() >= DICTIONARY_SAMPLE {
            self.learn_dictionary();
        }

        if self.status_rank.len() != self.statuses.len() {
            self.rank_statuses();
        }
        if self.by_id.finished {
            self.insert_into_orders(at);
        }
        Some(at)
    }

    /// The form a JSON text is stored in: compact once the dictionary is learnt.
    fn pack(&mut self, json: &[u8]) -> Box<[u8]> {
        match &self.dictionary {
            Some(dictionary) => {
                self.packing.clear();
                dictionary.encode(json, &mut self.packing);
                Box::from(self.packing.as_slice())
            }
            None => json.into(),
        }
    }

    /// Learns the dictionary from the backups stored so far and packs them.
    fn learn_dictionary(&mut self) {
        let dictionary = Dictionary::learn(self.json.iter().map(|json| &**json));
        self.dictionary = Some(dictionary);
        let plain = std::mem::take(&mut self.json);
        for json in &plain {
            let packed = self.pack(json);
            self.json.push(packed);
        }
        let stripped = std::mem::take(&mut self.stripped);
        for (at, json) in stripped {
            let packed = self.pack(&json);
            self.stripped.insert(at, packed);
        }
        self.packing.shrink_to(4096);
    }

    /// Ends the initial load: sorts the posting lists and the default order.
    pub(crate) fn finish(&mut self) {
        if self.dictionary.is_none() {
            self.learn_dictionary();
        }
        for postings in [
            &mut self.by_id,
            &mut self.by_name,
            &mut self.by_checkpoint,
            &mut self.by_resource_id,
            &mut self.by_resource_name,
            &mut self.by_parent,
        ] {
            postings.finish();
        }
        self.stripped.shrink_to_fit();
        let (keys, _) = canonical(&default_keys());
        let order = Arc::new(self.sorted(&keys));
        self.orders.get_mut().unwrap_or_else(PoisonError::into_inner).insert(keys, order);
    }

    fn rank_statuses(&mut self) {
        let mut codes: Vec<u32> = (0..self.statuses.len() as u32).collect();
        codes.sort_by(|&a, &b| self.statuses.text(a).cmp(&self.statuses.text(b)));
        self.status_rank = vec![0; codes.len()];
        for (rank, code) in codes.into_iter().enumerate() {
            self.status_rank[code as usize] = rank as u32 + 1;
        }
    }

    /// Marks the backup at `at` deleted in generation `generation`; `false` if it already was.
    pub(crate) fn kill(&mut self, at: u32, generation: u32) -> bool {
        match self.died.get_mut(at as usize) {
            Some(died) if *died == ALIVE => {
                *died = generation;
                self.alive -= 1;
                true
            }
            _ => false,
        }
    }

    /// Whether the backup at `at` exists now.
    pub(crate) fn is_alive(&self, at: u32) -> bool {
        self.died[at as usize] == ALIVE
    }

    /// Whether the backup at `at` existed in every generation from `from` to `to`.
    pub(crate) fn present_throughout(&self, at: u32, from: u32, to: u32) -> bool {
        self.born[at as usize] <= from && self.died[at as usize] > to
    }

    pub(crate) fn id(&self, at: u32) -> &str {
        &self.ids[at as usize]
    }

    /// Appends the backup's JSON, with or without its replication records, to `out`.
    pub(crate) fn write_json(&self, at: u32, show_replication: bool, out: &mut Vec<u8>) {
        let stored = match self.stripped.get(&at) {
            Some(stripped) if !show_replication => stripped,
            _ => &self.json[at as usize],
        };
        match &self.dictionary {
            Some(dictionary) => dictionary.decode(stored, out),
            None => out.extend_from_slice(stored),
        }
    }

    /// The size of the backup's stored form (compact), a hint for buffer sizes.
    pub(crate) fn stored_len(&self, at: u32) -> usize {
        self.json[at as usize].len()
    }

    /// The stored backup, decoded again.
    pub(crate) fn backup(&self, at: u32, show_replication: bool) -> Option<Backup> {
        let mut json = Vec::new();
        self.write_json(at, show_replication, &mut json);
        match serde_json::from_slice(&json) {
            Ok(backup) => Some(backup),
            Err(error) => {
                tracing::error!(%error, id = self.id(at), "a stored backup does not decode");
                None
            }
        }
    }

    /// Position of the backup with this id (the first one, if ids repeat), deleted or not.
    pub(crate) fn find(&self, id: &str) -> Option<u32> {
        self.by_id.get(self.hash(id)).find(|&at| self.id(at) == id)
    }

    /// The posting list of `field` for `value`, and its length.
    pub(crate) fn postings(&self, field: Indexed, value: &str) -> (usize, Vec<u32>) {
        let postings = self.index_of(field);
        let hash = self.hash(value);
        (postings.len_of(hash), postings.get(hash).collect())
    }

    /// How many positions the posting list of `field` holds for `value`.
    pub(crate) fn postings_len(&self, field: Indexed, value: &str) -> usize {
        self.index_of(field).len_of(self.hash(value))
    }

    /// The index kept for `field`.
    fn index_of(&self, field: Indexed) -> &Postings {
        match field {
            Indexed::Name => &self.by_name,
            Indexed::CheckpointId => &self.by_checkpoint,
            Indexed::ResourceId => &self.by_resource_id,
            Indexed::ResourceName => &self.by_resource_name,
            Indexed::ParentId => &self.by_parent,
        }
    }

    /// Whether the backup's name is exactly `name`.
    pub(crate) fn name_is(&self, at: u32, name: &str) -> bool {
        self.names[at as usize].as_deref() == Some(name)
    }

    /// Whether each given field of the backup is exactly the wanted text (read from its
    /// JSON).
    pub(crate) fn exactly(&self, at: u32, wanted: &[(Indexed, &str)]) -> bool {
        let mut json = Vec::new();
        self.write_json(at, true, &mut json);
        let Ok(exact) = serde_json::from_slice::<Exact<'_>>(&json) else {
            return false;
        };
        wanted.iter().all(|&(field, text)| {
            let value = match field {
                Indexed::Name => return self.name_is(at, text),
                Indexed::CheckpointId => &exact.checkpoint_id,
                Indexed::ResourceId => &exact.resource_id,
                Indexed::ResourceName => &exact.resource_name,
                Indexed::ParentId => &exact.parent_id,
            };
            value.as_deref() == Some(text)
        })
    }

    /// Compares the backups at `a` and `b` by `keys`; ties left by every key (repeated ids
    /// only) go by position, in the direction of the last key.
    pub(crate) fn compare(&self, keys: &[(SortField, SortDirection)], a: u32, b: u32) -> Ordering {
        let (x, y) = (a as usize, b as usize);
        for &(field, direction) in keys {
            let ordering = match field {
                SortField::CreatedAt => self.created[x].cmp(&self.created[y]),
                SortField::UpdatedAt => self.updated[x].cmp(&self.updated[y]),
                SortField::ProtectedAt => self.protected[x].cmp(&self.protected[y]),
                SortField::Name => self.names[x].cmp(&self.names[y]),
                SortField::Status => self.status_key(x).cmp(&self.status_key(y)),
                SortField::Id => self.ids[x].cmp(&self.ids[y]),
            };
            if ordering != Ordering::Equal {
                return match direction {
                    SortDirection::Asc => ordering,
                    SortDirection::Desc => ordering.reverse(),
                };
            }
        }
        match keys.last() {
            Some((_, SortDirection::Desc)) => b.cmp(&a),
            _ => a.cmp(&b),
        }
    }

    /// A missing status sorts first (rank 0).
    fn status_key(&self, at: usize) -> u32 {
        match self.status[at] {
            NONE => 0,
            code => self.status_rank.get(code as usize).copied().unwrap_or(0),
        }
    }

    /// A number that orders like the first key `field` (ascending): the time itself, the
    /// status rank, or the first 16 bytes of a name or id; equal numbers are then compared
    /// in full.
    fn sort_prefix(&self, field: SortField, at: usize) -> u128 {
        fn text(text: Option<&str>) -> u128 {
            let mut bytes = [0_u8; 16];
            for (slot, byte) in bytes.iter_mut().zip(text.unwrap_or_default().bytes()) {
                *slot = byte;
            }
            u128::from_be_bytes(bytes)
        }
        // i64 to u64 keeping the order: flip the sign bit.
        let time = |t: i64| u128::from((t as u64) ^ (1 << 63));
        match field {
            SortField::CreatedAt => time(self.created[at]),
            SortField::UpdatedAt => time(self.updated[at]),
            SortField::ProtectedAt => time(self.protected[at]),
            SortField::Status => u128::from(self.status_key(at)),
            SortField::Name => text(self.names[at].as_deref()),
            SortField::Id => text(Some(&self.ids[at])),
        }
    }

    /// Every position, sorted by `keys` (whose first key is ascending, as stored orders are).
    fn sorted(&self, keys: &[(SortField, SortDirection)]) -> Vec<u32> {
        let all = 0..u32::try_from(self.len()).unwrap_or(NONE);
        match keys.first() {
            // Sorting on a copy of the first key has far fewer cache misses.
            Some(&(field, SortDirection::Asc)) => {
                let mut keyed: Vec<(u128, u32)> =
                    all.map(|at| (self.sort_prefix(field, at as usize), at)).collect();
                keyed.sort_unstable_by(|&(ka, a), &(kb, b)| {
                    ka.cmp(&kb).then_with(|| self.compare(keys, a, b))
                });
                keyed.into_iter().map(|(_, at)| at).collect()
            }
            _ => {
                let mut order: Vec<u32> = all.collect();
                order.sort_unstable_by(|&a, &b| self.compare(keys, a, b));
                order
            }
        }
    }

    /// The sorted order for `keys` (a complete key list), built on first use and kept, and
    /// whether to walk it backwards.
    pub(crate) fn order(&self, keys: &[(SortField, SortDirection)]) -> (Arc<Vec<u32>>, bool) {
        let (stored, reversed) = canonical(keys);
        let lock = || self.orders.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(order) = lock().get(&stored) {
            return (Arc::clone(order), reversed);
        }
        let started = std::time::Instant::now();
        let order = Arc::new(self.sorted(&stored));
        tracing::debug!(keys = ?stored, elapsed = ?started.elapsed(), "sorted order built");
        let mut orders = lock();
        if orders.len() > MAX_ORDERS {
            // Forget every order but the default one; they are rebuilt when asked for again.
            // TODO: keep the most used orders (an LRU) if a client ever cycles through more
            // than 32 sort specifications; none of the tests or benchmarks does.
            let (default, _) = canonical(&default_keys());
            orders.retain(|keys, _| *keys == default);
        }
        let order = Arc::clone(orders.entry(stored).or_insert(order));
        (order, reversed)
    }

    /// Puts a newly stored backup in its place in every kept order.
    fn insert_into_orders(&mut self, at: u32) {
        let mut orders =
            std::mem::take(self.orders.get_mut().unwrap_or_else(PoisonError::into_inner));
        for (keys, order) in &mut orders {
            let place = order.partition_point(|&other| self.compare(keys, other, at).is_lt());
            Arc::make_mut(order).insert(place, at);
        }
        *self.orders.get_mut().unwrap_or_else(PoisonError::into_inner) = orders;
    }
}

/// Whether hiding replication records changes the backup: some record is listed, or the key
/// is absent (it is then written as an empty list), here or in a child.
fn needs_stripping(backup: &Backup) -> bool {
    backup.replication_records.as_ref().is_none_or(|records| !records.is_empty())
        || backup.children.iter().flatten().any(needs_stripping)
}

/// Empties `replication_records`, here and in every child: without `show_replication=true`
/// the service still sends the key, as an empty list (the published example shows this).
pub(crate) fn strip_replication(backup: &mut Backup) {
    backup.replication_records = Some(Vec::new());
    for child in backup.children.iter_mut().flatten() {
        strip_replication(child);
    }
}
