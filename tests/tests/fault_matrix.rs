//! The fault matrix: every fault the emulator can inject, on page 2 of a 3-page walk, once
//! (transient: recovered within the retry budget, every backup exactly once) and on every
//! attempt (permanent: a typed error after the backups already fetched). Prints the table.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use cbr_api::retry::RecordingSleeper;
use cbr_api::{Client, Error};
use cbr_emulator::faults::{Fault, Faults};
use cbr_emulator::{Dataset, Emulator};
use cbr_transport::ReqwestTransport;
use futures::StreamExt as _;

const BACKUPS: usize = 250;
const PAGE: u32 = 100;

/// Walks every backup through a fresh emulator answering its first requests by `script`;
/// returns the ids yielded, the error that ended the walk, and the requests served.
async fn walk(script: Vec<Option<Fault>>) -> (Vec<String>, Option<Error>, u64) {
    let dataset = Dataset::generated(BACKUPS, 7);
    let project = dataset.project_id.clone();
    let running = Emulator::new(dataset)
        .faults(Faults::none().scripted(script))
        .stall_for(Duration::from_secs(3))
        .bind(([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let transport =
        ReqwestTransport::builder().timeout(Duration::from_millis(800)).build().unwrap();
    let client = Client::builder(&running.base_url(), &project, Arc::new(transport))
        .sleeper(Arc::new(RecordingSleeper::default()))
        .build()
        .unwrap();
    let mut ids = Vec::new();
    let mut error = None;
    let mut items = std::pin::pin!(client.list_backups().page_size(PAGE).items());
    while let Some(item) = items.next().await {
        match item {
            Ok(backup) => ids.push(backup.id().to_owned()),
            Err(e) => error = Some(e),
        }
    }
    let served = running.requests();
    running.shutdown().await;
    (ids, error, served)
}

fn describe(error: &Error) -> String {
    match error {
        Error::Service(e) => format!(
            "HTTP {} {} (request id {})",
            e.status,
            e.code,
            e.request_id.as_deref().unwrap_or("none")
        ),
        Error::Transport { source, .. } => format!("transport: {source}"),
        Error::UnexpectedBody { status, .. } => format!("unexpected body (HTTP {status})"),
        other => other.to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_recovered_once_and_reported_when_it_persists() {
    let mut table = vec![format!(
        "{:<9} {:>8} {:>9} {:>8} {:>7} {:>10}  {}",
        "fault", "injected", "recovered", "expected", "yielded", "duplicates", "when it persists"
    )];
    for fault in Fault::ALL {
        // Transient: page 2's first attempt fails, its retry succeeds.
        let (ids, error, _) = walk(vec![None, Some(fault)]).await;
        let unique: HashSet<&String> = ids.iter().collect();
        assert!(error.is_none(), "{}: {:?}", fault.name(), error.map(|e| e.to_string()));
        assert_eq!(ids.len(), BACKUPS, "{}", fault.name());
        assert_eq!(unique.len(), BACKUPS, "{}: duplicates", fault.name());

        // Permanent: every attempt of page 2 fails (3 attempts by default).
        let (kept, error, served) = walk(vec![None, Some(fault), Some(fault), Some(fault)]).await;
        let error = error.unwrap_or_else(|| panic!("{}: the walk did not fail", fault.name()));
        assert_eq!(kept.len(), PAGE as usize, "{}: page 1 is kept", fault.name());
        assert_eq!(served, 4, "{}: 1 + 3 attempts", fault.name());
        assert!(error.is_retryable(), "{}: {error}", fault.name());
        if let Error::Service(service) = &error {
            assert!(service.request_id.is_some(), "{}: no request id", fault.name());
        }
        table.push(format!(
            "{:<9} {:>8} {:>9} {:>8} {:>7} {:>10}  {}",
            fault.name(),
            1,
            "yes",
            BACKUPS,
            ids.len(),
            ids.len() - unique.len(),
            describe(&error)
        ));
    }
    println!("{}", table.join("\n"));
}
