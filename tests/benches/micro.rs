//! Micro-benchmarks of the hot paths of a listing: decoding a page of 1000 backups, rendering
//! a query, signing a request, and the emulator answering a filtered page.
//!
//! `cargo bench -p cbr-e2e --bench micro` (add `-- --quick` for a fast pass). The end-to-end
//! figures against the official SDK come from `cargo xtask bench`.

use std::hint::black_box;

use bytes::Bytes;
use cbr_emulator::{Dataset, Service};
use cbr_model::{
    DOCUMENTED_PROJECT_ID, ListBackupsQuery, ListBackupsResponse, OwnType, QueryTime, ResourceType,
    Sort, Status,
};
use cbr_transport::{Credentials, Signer};
use chrono::{DateTime, Utc};
use criterion::{BatchSize, Criterion, Throughput, criterion_main};

/// Page size of every benchmark here (the service maximum).
const PAGE: u32 = 1000;

/// A query with most parameters set, some needing percent-encoding.
fn rich_query() -> ListBackupsQuery {
    let sort = "created_at:desc,name:asc".parse::<Sort>().unwrap_or_else(|e| panic!("sort: {e}"));
    let start: QueryTime =
        "2024-01-01T00:00:00Z".parse().unwrap_or_else(|e| panic!("start_time: {e}"));
    let end: QueryTime = "2024-12-31".parse().unwrap_or_else(|e| panic!("end_time: {e}"));
    ListBackupsQuery::new()
        .resource_type(ResourceType::NovaServer)
        .status(Status::Available)
        .status(Status::Error)
        .vault_id("3b5816b5-f29c-4172-9d9a-76c719a659ce")
        .name("nightly backup / ecs-01 (prod)")
        .sort(sort)
        .start_time(start)
        .end_time(end)
        .enterprise_project_id("all_granted_eps")
        .own_type(OwnType::from("private"))
        .show_replication(true)
        .marker("62617971-839d-4d23-8dfd-4ca65c039bdf")
        .limit(PAGE)
}

fn fixed_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
        .unwrap_or_else(|e| panic!("time: {e}"))
        .with_timezone(&Utc)
}

/// Decoding one page of 1000 generated backups into the client's types.
fn decode_page(c: &mut Criterion) {
    let service = Service::new(Dataset::generated(usize::try_from(PAGE).unwrap_or(1000), 1));
    let page = service
        .list(DOCUMENTED_PROJECT_ID, &ListBackupsQuery::new().limit(PAGE))
        .unwrap_or_else(|e| panic!("list: {e}"));
    let body = serde_json::to_vec(&page).unwrap_or_else(|e| panic!("encode: {e}"));

    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(u64::from(PAGE)));
    group.bench_function("page of 1000 backups (typed)", |b| {
        b.iter(|| {
            let page: ListBackupsResponse =
                serde_json::from_slice(black_box(&body)).unwrap_or_else(|e| panic!("{e}"));
            page
        });
    });
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("page of 1000 backups (serde_json::Value)", |b| {
        b.iter(|| {
            let page: serde_json::Value =
                serde_json::from_slice(black_box(&body)).unwrap_or_else(|e| panic!("{e}"));
            page
        });
    });
    group.finish();
}

/// Rendering and parsing the wire form of a rich query.
fn query(c: &mut Criterion) {
    let query = rich_query();
    let wire = query.to_query_string();
    c.bench_function("query/to_query_string (rich)", |b| {
        b.iter(|| black_box(&query).to_query_string());
    });
    c.bench_function("query/parse (rich)", |b| {
        b.iter(|| ListBackupsQuery::parse(black_box(&wire)).map(|parsed| parsed.query));
    });
}

/// Signing one ListBackups request with SDK-HMAC-SHA256.
fn sign(c: &mut Criterion) {
    let signer =
        Signer::new(Credentials::new("BENCHACCESSKEY000001", "bench-secret-key-not-a-real-one"));
    let url = format!(
        "http://127.0.0.1:8080/v3/{DOCUMENTED_PROJECT_ID}/backups?{}",
        rich_query().to_query_string()
    );
    let request = http::Request::get(url)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header("X-Project-Id", DOCUMENTED_PROJECT_ID)
        .body(Bytes::new())
        .unwrap_or_else(|e| panic!("request: {e}"));
    let now = fixed_now();
    c.bench_function("sign/list request (rich query)", |b| {
        b.iter_batched_ref(
            || request.clone(),
            |request| signer.sign(request, now).map(|parts| parts.signature),
            BatchSize::SmallInput,
        );
    });
}

/// The emulator's service answering filtered and sorted pages over 100,000 backups, as typed
/// backups and as the JSON body the HTTP layer sends.
fn emulator_list(c: &mut Criterion) {
    let service = Service::new(Dataset::generated(100_000, 1));
    let cases = [
        ("no filter", ListBackupsQuery::new().limit(PAGE)),
        (
            "resource_type=OS::Nova::Server",
            ListBackupsQuery::new().limit(PAGE).resource_type(ResourceType::NovaServer),
        ),
        ("status=available", ListBackupsQuery::new().limit(PAGE).status(Status::Available)),
        (
            "sort=name:asc",
            ListBackupsQuery::new()
                .limit(PAGE)
                .sort("name:asc".parse::<Sort>().unwrap_or_else(|e| panic!("sort: {e}"))),
        ),
    ];
    let mut group = c.benchmark_group("emulator/list over 100,000");
    group.sample_size(20);
    for (name, query) in &cases {
        group.bench_function(format!("list (typed), {name}"), |b| {
            b.iter(|| service.list(DOCUMENTED_PROJECT_ID, black_box(query)));
        });
        group.bench_function(format!("list_json (the HTTP body), {name}"), |b| {
            b.iter(|| service.list_json(DOCUMENTED_PROJECT_ID, black_box(query)));
        });
    }
    group.finish();
}

/// `criterion_group!` makes a public function; a private module keeps it out of the docs lint.
mod group {
    use super::{decode_page, emulator_list, query, sign};

    criterion::criterion_group!(benches, decode_page, query, sign, emulator_list);
}

criterion_main!(group::benches);
