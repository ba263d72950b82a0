//! Response bodies: the list page and each backup, with every documented field, tolerant
//! decoding, and unknown fields kept and written back.
//!
//! The structs and their `Serialize`/`Deserialize` impls are generated from the spec into
//! `generated/response.rs`; the write-back helpers they call are written here by hand.
//!
//! Write-back policy: a documented field the service always sends (required in its spec,
//! possibly `null`) is always written, as `null` when absent; a field the spec marks optional is
//! written only when present. A documented key whose value did not fit its type is kept raw in
//! `extra` and written back in its documented place; unknown fields are written back as
//! received, after the documented ones. No key is ever written twice.

use serde::ser::{Serialize, SerializeMap};
use serde_json::{Map, Value};

pub use crate::generated::response::{
    Backup, BackupExtendInfo, ImageData, ListBackupsResponse, ReplicationExtraInfo,
    ReplicationRecord,
};

/// Fields of an object this version does not know (and documented fields whose value did not
/// fit their type), kept as received and in their original order.
pub type Extra = Map<String, Value>;

impl Backup {
    /// The id, or `""` if the service sent none.
    #[must_use]
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }
}

/// Whether a documented field is written back when it has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    /// Always sent by the service: written as `null` when absent.
    Always,
    /// Sometimes sent: written only when present.
    Optional,
}

/// Writes one documented field: its value; else the raw value kept in `extra` under `key`;
/// else `null` if the service always sends it.
pub(crate) fn write_field<M: SerializeMap, T: Serialize>(
    map: &mut M,
    extra: &Extra,
    key: &'static str,
    value: Option<&T>,
    presence: Presence,
) -> Result<(), M::Error> {
    if let Some(value) = value {
        return map.serialize_entry(key, value);
    }
    match extra.get(key) {
        Some(raw) => map.serialize_entry(key, raw),
        None if presence == Presence::Always => map.serialize_entry(key, &Value::Null),
        None => Ok(()),
    }
}

/// Writes a documented field that has several spellings (`keys[0]` is the documented one):
/// its value under the spelling it was read under; else every spelling kept raw in `extra`;
/// else `null` under the documented key if the service always sends it.
pub(crate) fn write_aliased<M: SerializeMap, T: Serialize>(
    map: &mut M,
    extra: &Extra,
    keys: &[&'static str],
    spelling: Option<&'static str>,
    value: Option<&T>,
    presence: Presence,
) -> Result<(), M::Error> {
    let documented = keys.first().copied().unwrap_or_default();
    if let Some(value) = value {
        return map.serialize_entry(spelling.unwrap_or(documented), value);
    }
    let mut written = false;
    for key in keys {
        if let Some(raw) = extra.get(*key) {
            map.serialize_entry(key, raw)?;
            written = true;
        }
    }
    if !written && presence == Presence::Always {
        map.serialize_entry(documented, &Value::Null)?;
    }
    Ok(())
}

/// Whether [`write_aliased`] already wrote the `extra` entry `key` (one of `keys`): all of
/// them when the field has no value, else only the spelling the value was written under.
pub(crate) fn aliased_written(
    key: &str,
    keys: &[&'static str],
    spelling: Option<&'static str>,
    has_value: bool,
) -> bool {
    !has_value || Some(key) == spelling.or_else(|| keys.first().copied())
}
