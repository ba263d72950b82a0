//! The CBR client: list the backups of a project one page at a time or as a lazy stream,
//! with one page cursor deciding every next request, and errors typed by phase.
//!
//! ```no_run
//! use std::sync::Arc;
//! use cbr_api::Client;
//! use cbr_model::ResourceType;
//! use futures::TryStreamExt as _;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let transport = Arc::new(cbr_transport::ReqwestTransport::new()?);
//! let project = "0605767b5780d5762fc5c0118072a564";
//! let client = Client::new("http://127.0.0.1:8080", project, transport)?;
//! let servers: Vec<_> = client
//!     .list_backups()
//!     .resource_type(ResourceType::NovaServer)
//!     .items()
//!     .try_collect()
//!     .await?;
//! println!("{} server backups", servers.len());
//! # Ok(())
//! # }
//! ```

mod client;
pub mod cursor;
mod endpoint;
mod error;
mod list;
mod raw;
pub mod region;
pub mod retry;

pub use client::{Client, ClientBuilder, USER_AGENT};
pub use cursor::{DEFAULT_IN_FLIGHT, Identified, PageCursor, PaginationError, Recorded, Strategy};
pub use endpoint::Endpoint;
pub use error::{BuildError, Error, ServiceError, hint_for};
pub use list::{DecodedItems, ListBackups, Page, PageFailure, PageItem};
pub use raw::RawBackup;
pub use region::{RegionError, endpoint_for_region};
pub use retry::RetryPolicy;
