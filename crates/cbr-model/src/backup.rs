//! Response bodies: the list page and each backup, with every documented field, tolerant
//! decoding, and unknown fields kept and written back.
//!
//! Write-back policy: a documented field the service always sends (required in its spec,
//! possibly `null`) is always written, as `null` when absent; a field the spec marks optional is
//! written only when present; unknown fields are written back as received, after the
//! documented ones.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::enums::{ImageType, ReplicationStatus, ResourceType, RestoreMode, Status};
use crate::lenient;
use crate::time::Timestamp;

/// Fields of an object this version does not know, kept in their original order.
pub type Extra = Map<String, Value>;

/// One page of `GET /v3/{project_id}/backups`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListBackupsResponse {
    /// The backups of this page.
    #[serde(default, deserialize_with = "lenient::vec_or_null")]
    pub backups: Vec<Backup>,
    /// The number of backups matching the filters in total, not the length of this page.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub count: Option<u64>,
    /// The offset the page started at (the service rarely sends it).
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub offset: Option<u64>,
    /// The page size in effect (the service rarely sends it).
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit: Option<u64>,
    /// Unknown top-level fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One backup (`BackupResp`); also the type of each element of `children`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Backup {
    /// Restore point (checkpoint) the backup belongs to.
    #[serde(default)]
    pub checkpoint_id: Option<String>,
    /// Per-disk backups under a server backup.
    #[serde(default, deserialize_with = "lenient::opt_vec")]
    pub children: Option<Vec<Backup>>,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// Free-text description.
    #[serde(default)]
    pub description: Option<String>,
    /// Enterprise project (`"0"` is the default project); a number is accepted too.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub enterprise_project_id: Option<String>,
    /// When the backup expires; `null` means never.
    #[serde(default)]
    pub expired_at: Option<Timestamp>,
    /// Extended attributes.
    #[serde(default)]
    pub extend_info: Option<BackupExtendInfo>,
    /// Backup id (a UUID).
    #[serde(default)]
    pub id: Option<String>,
    /// Original or replica.
    #[serde(default)]
    pub image_type: Option<ImageType>,
    /// Whether the backup is incremental.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<bool>,
    /// Backup name.
    #[serde(default)]
    pub name: Option<String>,
    /// Parent backup id (set on children).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Project the backup belongs to.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Time the backup was taken.
    #[serde(default)]
    pub protected_at: Option<Timestamp>,
    /// Kind of backup object (server, disk, SFS Turbo, …) as a UUID.
    #[serde(default)]
    pub provider_id: Option<String>,
    /// Cross-region replication records (sent with `show_replication=true`).
    #[serde(
        default,
        deserialize_with = "lenient::opt_vec",
        skip_serializing_if = "Option::is_none"
    )]
    pub replication_records: Option<Vec<ReplicationRecord>>,
    /// Availability zone of the protected resource.
    #[serde(default)]
    pub resource_az: Option<String>,
    /// Protected resource id.
    #[serde(default)]
    pub resource_id: Option<String>,
    /// Protected resource name.
    #[serde(default)]
    pub resource_name: Option<String>,
    /// Size of the protected resource, in GB.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub resource_size: Option<u64>,
    /// Kind of the protected resource.
    #[serde(default)]
    pub resource_type: Option<ResourceType>,
    /// Policy that created the backup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_operation_id: Option<String>,
    /// Backup state.
    #[serde(default)]
    pub status: Option<Status>,
    /// Last update time.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
    /// Vault holding the backup.
    #[serde(default)]
    pub vault_id: Option<String>,
    /// Snapshot type of the copy.
    #[serde(
        default,
        deserialize_with = "lenient::opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub version: Option<u64>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

impl Backup {
    /// The id, or `""` if the service sent none.
    #[must_use]
    pub fn id(&self) -> &str {
        self.id.as_deref().unwrap_or_default()
    }
}

/// Extended attributes of a backup (`BackupExtendInfo`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BackupExtendInfo {
    /// Created automatically by a policy.
    #[serde(default)]
    pub auto_trigger: Option<bool>,
    /// A system-disk backup.
    #[serde(default)]
    pub bootable: Option<bool>,
    /// A whole-server backup that includes the system disk.
    #[serde(default)]
    pub contain_system_disk: Option<bool>,
    /// Encrypted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// Incremental (where the service reports it here rather than at the top level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<bool>,
    /// Stored across availability zones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_multi_az: Option<bool>,
    /// Images registered from this backup.
    #[serde(default, deserialize_with = "lenient::opt_vec")]
    pub os_images_data: Option<Vec<ImageData>>,
    /// Snapshot of a disk backup.
    #[serde(default)]
    pub snapshot_id: Option<String>,
    /// Lazy-loading fast restore allowed.
    #[serde(default)]
    pub support_lld: Option<bool>,
    /// How the backup can be restored.
    #[serde(default)]
    pub supported_restore_mode: Option<RestoreMode>,
    /// The disk is a system disk.
    #[serde(default)]
    pub system_disk: Option<bool>,
    /// Unknown fields (`app_consistency`, `architecture`, `progress`, …).
    #[serde(flatten)]
    pub extra: Extra,
}

/// An image registered from a backup (`ImageData`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ImageData {
    /// Image id.
    #[serde(default)]
    pub image_id: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A cross-region replication of a backup (`ReplicationRecordGet`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReplicationRecord {
    /// Replication start time.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// Backup created in the destination region.
    #[serde(default)]
    pub destination_backup_id: Option<String>,
    /// Restore point in the destination region.
    #[serde(default)]
    pub destination_checkpoint_id: Option<String>,
    /// Destination project.
    #[serde(default)]
    pub destination_project_id: Option<String>,
    /// Destination region.
    #[serde(default)]
    pub destination_region: Option<String>,
    /// Destination vault.
    #[serde(default)]
    pub destination_vault_id: Option<String>,
    /// Extra details.
    #[serde(default)]
    pub extra_info: Option<ReplicationExtraInfo>,
    /// Record id.
    #[serde(default)]
    pub id: Option<String>,
    /// Source backup.
    #[serde(default)]
    pub source_backup_id: Option<String>,
    /// Source restore point.
    #[serde(default)]
    pub source_checkpoint_id: Option<String>,
    /// Source project.
    #[serde(default)]
    pub source_project_id: Option<String>,
    /// Source region.
    #[serde(default)]
    pub source_region: Option<String>,
    /// Replication state.
    #[serde(default)]
    pub status: Option<ReplicationStatus>,
    /// Vault holding the backup.
    #[serde(default)]
    pub vault_id: Option<String>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Details of a replication (`ReplicationRecordsExtraInfo`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ReplicationExtraInfo {
    /// Replicated by a policy.
    #[serde(default)]
    pub auto_trigger: Option<bool>,
    /// Destination vault; the docs also spell the key `destinatio_vault_id`, read as this.
    #[serde(default, alias = "destinatio_vault_id")]
    pub destination_vault_id: Option<String>,
    /// Failure code (empty on success).
    #[serde(default)]
    pub fail_code: Option<String>,
    /// Failure reason.
    #[serde(default)]
    pub fail_reason: Option<String>,
    /// Progress in percent.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub progress: Option<u64>,
    /// Unknown fields.
    #[serde(flatten)]
    pub extra: Extra,
}
