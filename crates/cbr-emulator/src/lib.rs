//! A faithful local Huawei Cloud CBR ListBackups service (`GET /v3/{project_id}/backups`)
//! for demos, tests and benchmarks.
//!
//! - [`Dataset`]: deterministic backups — the documented project of the API example
//!   ([`Dataset::documented`]) or seeded synthetic ones of any size ([`Dataset::generated`]).
//! - [`Service`]: filters, sort, paging and `count`, without HTTP, over indexes built once
//!   (a million backups load in seconds and answer a page in milliseconds); churn.
//! - [`Emulator`]: the HTTP server (hyper), started with [`Emulator::bind`] and stopped with
//!   [`RunningEmulator::shutdown`], with the test knobs: signature checks
//!   ([`Emulator::verify_signatures`], the [`auth`] module), latency, [`faults`], churn, a
//!   page-size cap and a [`RequestLog`].
//!
//! Queries are read with [`cbr_model::ListBackupsQuery::parse`], the same definition of the
//! wire form the client uses; this crate contains no client logic.
//!
//! ```
//! use cbr_emulator::{Dataset, Service};
//! use cbr_model::{DOCUMENTED_PROJECT_ID, ListBackupsQuery, ResourceType};
//!
//! let service = Service::new(Dataset::documented());
//! let query = ListBackupsQuery::new().resource_type(ResourceType::NovaServer).limit(5u32);
//! let page = service.list(DOCUMENTED_PROJECT_ID, &query)?;
//! assert_eq!(page.count, Some(150));
//! assert_eq!(page.backups.len(), 5);
//! # Ok::<(), cbr_emulator::ServiceError>(())
//! ```

pub mod auth;
mod codec;
pub mod dataset;
pub mod faults;
pub mod request_log;
pub mod server;
pub mod service;
mod store;
mod text;

pub use auth::{Clock, DEMO_ACCESS_KEY, DEMO_SECRET_KEY};
pub use dataset::{
    DOCUMENTED_BACKUP_ID, DOCUMENTED_JSON, DOCUMENTED_SERVER_BACKUP_ID, Dataset, Vault,
};
pub use request_log::RequestLog;
pub use server::{Emulator, EmulatorError, RunningEmulator, router};
pub use service::{Service, ServiceError};
