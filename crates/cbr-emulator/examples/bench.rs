//! Measures the emulator on a large generated dataset: load time, page latency per query
//! (median and 95th percentile, in the service and over HTTP), and peak resident memory.
//!
//! ```sh
//! cargo run --release -p cbr-emulator --example bench -- [BACKUPS] [ROUNDS]
//! ```
//!
//! Defaults: 1 000 000 backups, 60 rounds per query. The figures go in the crate README.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use cbr_emulator::{Emulator, Service};
use cbr_model::{DOCUMENTED_PROJECT_ID, ListBackupsQuery};

/// Peak and current resident memory from `/proc/self/status`, in MiB (Linux only).
fn memory() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Median and 95th percentile of the samples, in ms.
fn summary(mut samples: Vec<Duration>) -> (f64, f64) {
    samples.sort_unstable();
    let at = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    (at(0.5), at(0.95))
}

/// One measured query: a label and how round `i` spells it.
struct Case {
    label: &'static str,
    query: Box<dyn Fn(usize) -> String>,
}

fn case(label: &'static str, query: impl Fn(usize) -> String + 'static) -> Case {
    Case { label, query: Box::new(query) }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let backups: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(60);

    let started = Instant::now();
    let service = Arc::new(Service::generated(DOCUMENTED_PROJECT_ID, backups, 1));
    let load = started.elapsed();
    let (peak, rss) = memory();
    println!(
        "load: {} backups in {:.2} s; VmHWM {peak:.0} MiB, VmRSS {rss:.0} MiB",
        service.len(),
        load.as_secs_f64()
    );

    // Values to filter by, taken from the data.
    let sample = service
        .list(
            DOCUMENTED_PROJECT_ID,
            &ListBackupsQuery::parse("limit=1000&offset=4321").unwrap().query,
        )
        .unwrap();
    let resource_id = sample.backups[7].resource_id.clone().unwrap_or_default();
    let deep_marker = service
        .list(
            DOCUMENTED_PROJECT_ID,
            &ListBackupsQuery::parse("limit=1&offset=500000").unwrap().query,
        )
        .unwrap()
        .backups
        .first()
        .map(|b| b.id().to_owned())
        .unwrap_or_default();
    let vault = "79bd9daa-884f-4f84-b8fe-235d58cd927d";

    let cases = vec![
        case("no filter, default order", |i| format!("limit=1000&offset={}", i * 1000)),
        case("status=error", |i| format!("status=error&limit=1000&offset={}", (i % 20) * 1000)),
        case("resource_type=server, sort updated_at:asc", |i| {
            format!(
                "resource_type=OS::Nova::Server&sort=updated_at:asc&limit=1000&offset={}",
                (i % 20) * 1000
            )
        }),
        case("2 statuses + disk, sort name:asc", |i| {
            format!(
                "status=available&status=error&resource_type=OS::Cinder::Volume&sort=name:asc\
                 &limit=1000&offset={}",
                (i % 20) * 1000
            )
        }),
        case("vault + 30-day window", move |i| {
            format!(
                "vault_id={vault}&start_time=2020-03-01T00:00:00Z&end_time=2020-03-31T00:00:00Z\
                 &limit=1000&offset={}",
                (i % 5) * 1000
            )
        }),
        case("sort status,protected_at:asc,name", |i| {
            format!("sort=status,protected_at:asc,name&limit=1000&offset={}", (i % 20) * 1000)
        }),
        case("used_percent=80, incremental=true", |i| {
            format!("used_percent=80&incremental=true&limit=1000&offset={}", (i % 20) * 1000)
        }),
        case("resource_id (posting list)", move |_| format!("resource_id={resource_id}")),
        case("marker at 500 000", move |_| format!("limit=1000&marker={deep_marker}")),
        case("offset 900 000, status=available", |i| {
            format!("status=available&limit=1000&offset={}", 850_000 + i * 1000)
        }),
        case("show_replication=true, image_type=backup", |i| {
            format!("show_replication=true&image_type=backup&limit=1000&offset={}", i * 1000)
        }),
    ];

    println!("\nservice (list_json), {rounds} rounds each; first = first request of the query");
    println!("{:<44} {:>9} {:>9} {:>9} {:>8}", "query", "first ms", "median", "p95", "count");
    for case in &cases {
        let mut samples = Vec::with_capacity(rounds);
        let mut first = Duration::ZERO;
        let mut count = 0;
        for i in 0..=rounds {
            let text = (case.query)(i);
            let query = ListBackupsQuery::parse(&text).unwrap().query;
            let started = Instant::now();
            let body = service.list_json(DOCUMENTED_PROJECT_ID, &query).unwrap();
            let elapsed = started.elapsed();
            if i == 0 {
                first = elapsed;
                let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
                count = value["count"].as_u64().unwrap_or_default();
            } else {
                samples.push(elapsed);
            }
        }
        let (median, p95) = summary(samples);
        println!("{:<44} {:>9.2} {:>9.2} {:>9.2} {count:>8}", case.label, ms(first), median, p95);
    }

    let running = Emulator::from_service(Arc::clone(&service))
        .bind(([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let base = format!("{}/v3/{DOCUMENTED_PROJECT_ID}/backups", running.base_url());
    println!("\nHTTP (reqwest on the same machine, body read), {rounds} rounds each");
    println!("{:<44} {:>9} {:>9} {:>10}", "query", "median", "p95", "body KiB");
    for case in &cases {
        let mut samples = Vec::with_capacity(rounds);
        let mut size = 0;
        for i in 1..=rounds {
            let url = format!("{base}?{}", (case.query)(i));
            let started = Instant::now();
            let response = client.get(&url).send().await.unwrap();
            assert!(response.status().is_success(), "{url}: {}", response.status());
            size = response.bytes().await.unwrap().len();
            samples.push(started.elapsed());
        }
        let (median, p95) = summary(samples);
        println!("{:<44} {median:>9.2} {p95:>9.2} {:>10.0}", case.label, size as f64 / 1024.0);
    }
    running.shutdown().await;

    let churned = Instant::now();
    for step in 0..20 {
        service.churn(10, step);
    }
    println!("\nchurn: 20 steps of 10 created + 10 deleted in {:.1} ms", ms(churned.elapsed()));
    let (peak, rss) = memory();
    println!("end: VmHWM {peak:.0} MiB, VmRSS {rss:.0} MiB");
}
