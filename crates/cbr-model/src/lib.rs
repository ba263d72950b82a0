//! Pure data types of Huawei Cloud CBR's backup-query API, `GET /v3/{project_id}/backups`:
//! every query parameter ([`ListBackupsQuery`]) with its validation and its one wire form,
//! and every response field ([`ListBackupsResponse`], [`Backup`]) with tolerant decoding that
//! keeps unknown fields ([`decode_page`]: one odd field never fails a page).
//!
//! The parameters, fields and enumerations are generated from the checked-in spec
//! (`spec/cbr/list_backups.json`) by `cargo xtask codegen`; the sort grammar, times, tolerant
//! decoders and the percent-encoding are written by hand beside the generated code.
//!
//! This crate does no I/O: no async runtime, no HTTP client. Both the client (`cbr-api`)
//! and the emulator (`cbr-emulator`) read and write queries through it, so the two sides can
//! never disagree on a parameter's spelling.
//!
//! ```
//! use cbr_model::{ListBackupsQuery, ResourceType};
//!
//! let query = ListBackupsQuery::new()
//!     .resource_type(ResourceType::NovaServer)
//!     .limit(5u32)
//!     .offset(0u64);
//! query.validate()?;
//! assert_eq!(query.to_query_string(), "limit=5&offset=0&resource_type=OS%3A%3ANova%3A%3AServer");
//! assert_eq!(query.to_query_string().parse::<ListBackupsQuery>()?, query);
//! # Ok::<(), cbr_model::QueryError>(())
//! ```

pub mod backup;
pub mod decode;
pub mod encode;
pub mod enums;
mod generated;
pub mod lenient;
pub mod query;
pub mod sort;
pub mod time;

pub use backup::{
    Backup, BackupExtendInfo, Extra, ImageData, ListBackupsResponse, ReplicationExtraInfo,
    ReplicationRecord,
};
pub use decode::{DecodedPage, OddField, PageDecodeError, decode_page};
pub use enums::{
    ImageType, MemberStatus, OwnType, ReplicationStatus, ResourceType, RestoreMode, Status,
};
pub use query::{ListBackupsQuery, MAX_LIMIT, MAX_NAME_LEN, MIN_LIMIT, ParsedQuery, QueryError};
pub use sort::{Sort, SortDirection, SortError, SortField, SortKey};
pub use time::{QueryTime, QueryTimeError, Timestamp};

/// The project the documented examples (and the emulator's datasets) belong to.
pub const DOCUMENTED_PROJECT_ID: &str = "0605767b5780d5762fc5c0118072a564";
