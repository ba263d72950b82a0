//! The HTTP server: the published requests over the wire, error bodies, request ids,
//! robustness against malformed requests, and shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::net::SocketAddr;

use cbr_emulator::{
    DOCUMENTED_BACKUP_ID, DOCUMENTED_JSON, DOCUMENTED_SERVER_BACKUP_ID, Dataset, Emulator,
    RunningEmulator,
};
use cbr_model::DOCUMENTED_PROJECT_ID;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LOCAL: ([u8; 4], u16) = ([127, 0, 0, 1], 0);

async fn start(dataset: Dataset) -> RunningEmulator {
    Emulator::new(dataset).bind(SocketAddr::from(LOCAL)).await.expect("emulator starts")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("client builds")
}

/// A GET answered by the emulator: status, request id, content type and JSON body.
struct Answer {
    status: u16,
    request_id: String,
    content_type: String,
    body: Value,
}

async fn send(method: reqwest::Method, url: &str) -> Answer {
    let response = client().request(method, url).send().await.expect("request is answered");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let (status, request_id, content_type) =
        (response.status().as_u16(), header("x-request-id"), header("content-type"));
    let bytes = response.bytes().await.expect("body is read");
    let body = serde_json::from_slice(&bytes).expect("body is JSON");
    Answer { status, request_id, content_type, body }
}

async fn get(url: &str) -> Answer {
    send(reqwest::Method::GET, url).await
}

fn backups_url(running: &RunningEmulator, query: &str) -> String {
    format!("{}/v3/{DOCUMENTED_PROJECT_ID}/backups?{query}", running.base_url())
}

fn page_ids(body: &Value) -> Vec<&str> {
    body["backups"].as_array().into_iter().flatten().filter_map(|b| b["id"].as_str()).collect()
}

/// Asserts every key and value of `expected` is in `actual` (objects recursively).
fn assert_contains(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => {
            for (key, value) in expected {
                let found = actual.get(key);
                assert!(found.is_some(), "{path}.{key} is missing");
                assert_contains(found.unwrap_or(&Value::Null), value, &format!("{path}.{key}"));
            }
        }
        _ => assert_eq!(actual, expected, "{path}"),
    }
}

fn assert_bad_request(answer: &Answer, parameter: &str) {
    assert_eq!(answer.status, 400, "{}", answer.body);
    let keys: Vec<&String> = answer.body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["error_code", "error_msg"]);
    assert_eq!(answer.body["error_code"], "BackupService.9900");
    let message = answer.body["error_msg"].as_str().unwrap_or_default();
    assert!(message.contains(parameter), "{message:?} should name {parameter}");
    assert!(!answer.request_id.is_empty());
    assert_eq!(answer.content_type, "application/json");
}

fn assert_not_found(answer: &Answer) {
    assert_eq!(answer.status, 404, "{}", answer.body);
    assert_eq!(answer.body["error_code"], "APIGW.0101");
    assert_eq!(
        answer.body["error_msg"],
        "The API does not exist or has not been published in the environment"
    );
    assert_eq!(answer.body["request_id"].as_str(), Some(answer.request_id.as_str()));
    assert!(!answer.request_id.is_empty());
    assert_eq!(answer.body.as_object().map(|o| o.len()), Some(3));
}

#[tokio::test]
async fn the_first_published_request_over_http() {
    // given: the documented project served locally
    let running = start(Dataset::documented()).await;
    // done: GET .../backups?limit=100&offset=0
    let answer = get(&backups_url(&running, "limit=100&offset=0")).await;
    // must hold: 200 JSON, count 1663, 100 backups including the published one
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "application/json");
    assert!(!answer.request_id.is_empty());
    assert_eq!(answer.body["count"], 1663);
    assert_eq!(answer.body["backups"].as_array().map(Vec::len), Some(100));
    assert!(page_ids(&answer.body).contains(&DOCUMENTED_BACKUP_ID));
    let keys: Vec<&String> = answer.body.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["backups", "count"]);
    running.shutdown().await;
}

#[tokio::test]
async fn the_second_published_request_over_http_encoded_or_not() {
    // given: the documented project served locally
    let running = start(Dataset::documented()).await;
    for resource_type in ["OS%3A%3ANova%3A%3AServer", "OS::Nova::Server"] {
        // done: the server filter, as the SDK encodes it and as the example writes it
        let query = format!("resource_type={resource_type}&limit=5&offset=0");
        let answer = get(&backups_url(&running, &query)).await;
        // must hold: count 150, five servers, the published one among them
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body["count"], 150);
        let backups = answer.body["backups"].as_array().expect("backups");
        assert_eq!(backups.len(), 5);
        assert!(backups.iter().all(|b| b["resource_type"] == "OS::Nova::Server"));
        assert!(page_ids(&answer.body).contains(&DOCUMENTED_SERVER_BACKUP_ID));
    }
    running.shutdown().await;
}

#[tokio::test]
async fn the_published_backups_come_back_verbatim() {
    // given: the fixture and the documented project served locally
    let fixture: Value = serde_json::from_str(DOCUMENTED_JSON).expect("fixture");
    let running = start(Dataset::documented()).await;
    // done: the first page, with and without show_replication
    let shown = get(&backups_url(&running, "limit=100&show_replication=true")).await;
    let plain = get(&backups_url(&running, "limit=100")).await;
    for expected in fixture.as_array().expect("array") {
        let id = expected["id"].as_str().expect("id");
        let find = |body: &Value| {
            body["backups"]
                .as_array()
                .and_then(|b| b.iter().find(|b| b["id"] == id))
                .cloned()
                .unwrap_or(Value::Null)
        };
        // must hold: with show_replication every published key and value is there
        assert_contains(&find(&shown.body), expected, id);
        // and without it too: the published example (no show_replication) has an empty list
        let plain_backup = find(&plain.body);
        assert_contains(&plain_backup, expected, id);
        assert_eq!(plain_backup["replication_records"], serde_json::json!([]));
    }
    running.shutdown().await;
}

#[tokio::test]
async fn invalid_values_get_400_with_the_parameter_named() {
    // given: the documented project served locally
    let running = start(Dataset::documented()).await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("offset=-5", "offset"),
        ("sort=bogus", "sort"),
        ("sort=name:up", "sort"),
        ("status=frozen", "status"),
        ("start_time=yesterday", "start_time"),
        ("start_time=2020-02-01T00:00:00Z&end_time=2020-01-01T00:00:00Z", "start_time"),
        ("marker=no-such-backup", "marker"),
        ("show_replication=yes", "show_replication"),
        ("limit=5&limit=6", "limit"),
        ("name=%zz", "malformed"),
        ("used_percent=0", "used_percent"),
    ];
    for (query, parameter) in cases {
        // done: the request is sent
        let answer = get(&backups_url(&running, query)).await;
        // must hold: 400 BackupService.9900 naming the parameter
        assert_bad_request(&answer, parameter);
    }
    running.shutdown().await;
}

#[tokio::test]
async fn other_paths_and_methods_get_the_gateway_404() {
    // given: the documented project served locally
    let running = start(Dataset::documented()).await;
    let base = running.base_url();
    for path in [
        "/",
        "/v3",
        "/v3/backups",
        &format!("/v3/{DOCUMENTED_PROJECT_ID}/backups/"),
        &format!("/v3/{DOCUMENTED_PROJECT_ID}/backups/{DOCUMENTED_BACKUP_ID}"),
        &format!("/v3/{DOCUMENTED_PROJECT_ID}/vaults"),
        &format!("/v2/{DOCUMENTED_PROJECT_ID}/backups"),
        "/v3//backups",
    ] {
        // done: GET on a path that is no API
        let answer = get(&format!("{base}{path}")).await;
        // must hold: the gateway's 404 body with the request id
        assert_not_found(&answer);
    }
    for method in [reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::DELETE] {
        let answer = send(method, &backups_url(&running, "")).await;
        assert_not_found(&answer);
    }
    running.shutdown().await;
}

#[tokio::test]
async fn every_response_has_its_own_request_id() {
    // given: the documented project served locally
    let running = start(Dataset::documented()).await;
    let mut seen = HashSet::new();
    // done: successful, refused and unknown requests
    for url in [
        backups_url(&running, "limit=1"),
        backups_url(&running, "limit=1"),
        backups_url(&running, "limit=0"),
        format!("{}/nowhere", running.base_url()),
    ] {
        let answer = get(&url).await;
        // must hold: an id on each, never repeated
        assert!(!answer.request_id.is_empty());
        assert!(seen.insert(answer.request_id), "request id repeated");
    }
    running.shutdown().await;
}

#[tokio::test]
async fn unknown_query_keys_are_ignored() {
    // given: the documented project served locally
    let running = start(Dataset::documented()).await;
    // done: a query with keys that are not parameters
    let answer = get(&backups_url(&running, "foo=bar&limit=3&X-Sdk-Date=1&&=x&lonely")).await;
    // must hold: answered as if they were absent
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["count"], 1663);
    assert_eq!(answer.body["backups"].as_array().map(Vec::len), Some(3));
    running.shutdown().await;
}

#[tokio::test]
async fn another_project_sees_no_backups() {
    // given: the documented project served locally
    let running = start(Dataset::documented()).await;
    // done: the same listing for another project id
    let url = format!("{}/v3/someone-else/backups?limit=10", running.base_url());
    let answer = get(&url).await;
    // must hold: 200, count 0, empty list
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["count"], 0);
    assert_eq!(answer.body["backups"], Value::Array(Vec::new()));
    running.shutdown().await;
}

#[tokio::test]
async fn the_project_id_can_be_overridden() {
    // given: a generated dataset served under another project id
    let running = Emulator::new(Dataset::generated(30, 3))
        .project_id("p-123")
        .bind(SocketAddr::from(LOCAL))
        .await
        .expect("starts");
    // done: both project ids are listed
    let moved = get(&format!("{}/v3/p-123/backups", running.base_url())).await;
    let old = get(&backups_url(&running, "")).await;
    // must hold: only the new one sees the backups, which carry it
    assert_eq!(moved.body["count"], 30);
    assert!(
        moved.body["backups"].as_array().into_iter().flatten().all(|b| b["project_id"] == "p-123")
    );
    assert_eq!(old.body["count"], 0);
    running.shutdown().await;
}

#[tokio::test]
async fn malformed_requests_never_stop_the_server() {
    // given: the documented project served locally
    let running = start(Dataset::documented()).await;
    let addr = running.local_addr();
    let garbage: [&[u8]; 8] = [
        b"\x00\x01\x02\x03\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /v3/x/backups?limit=%FF%FE HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /v3/%E0%80/backups HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /v3/x/backups?sort=\xff\xfe HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /v3/x/backups HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        b"GET /v3/x/backups?offset=99999999999999999999999 HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /v3/x/backups HTTP/1.1\r\nHost: a\r\nContent-Length: 99999\r\n\r\nshort",
    ];
    for bytes in garbage {
        // done: raw bytes are written and whatever comes back is read
        let mut stream = TcpStream::connect(addr).await.expect("connects");
        let _ = stream.write_all(bytes).await;
        let _ = stream.shutdown().await;
        let mut reply = Vec::new();
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut reply))
                .await;
    }
    let long = format!("name={}", "a".repeat(20_000));
    for query in ["sort=", "status=", "limit=", "marker=", "&&&&", "%", "a=%", &long] {
        let answer = get(&backups_url(&running, query)).await;
        assert!(matches!(answer.status, 200 | 400), "{query}: {}", answer.status);
    }
    // must hold: the server still answers normally
    let answer = get(&backups_url(&running, "limit=1")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["count"], 1663);
    running.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_listening() {
    // given: a running emulator
    let running = start(Dataset::generated(5, 1)).await;
    let addr = running.local_addr();
    assert!(running.base_url().starts_with("http://127.0.0.1:"));
    assert_ne!(addr.port(), 0);
    // done: it is shut down
    running.shutdown().await;
    // must hold: nothing listens any more
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn shutdown_does_not_wait_forever_for_a_stalled_client() {
    // given: a client that sent half a request and went silent
    let running = start(Dataset::generated(5, 1)).await;
    let addr = running.local_addr();
    let mut stalled = TcpStream::connect(addr).await.expect("connects");
    stalled.write_all(b"GET /v3/x/backups HTTP/1.1\r\nHost: a\r\n").await.expect("writes");
    // done: the emulator is shut down
    let started = std::time::Instant::now();
    running.shutdown().await;
    // must hold: it returns after the grace period at most, and the port is closed
    let waited = started.elapsed();
    assert!(waited <= cbr_emulator::server::SHUTDOWN_GRACE * 2, "{waited:?}");
    assert!(TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn the_router_serves_in_process() {
    // given: the router served on a listener of the test's own
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(LOCAL)).await.expect("binds");
    let addr = listener.local_addr().expect("addr");
    let app = Emulator::new(Dataset::generated(12, 9)).router();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    // done: a listing
    let answer = get(&format!("http://{addr}/v3/{DOCUMENTED_PROJECT_ID}/backups?limit=5")).await;
    // must hold: the same answer as through `bind`
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["count"], 12);
    assert_eq!(answer.body["backups"].as_array().map(Vec::len), Some(5));
    server.abort();
}

#[tokio::test]
async fn a_large_dataset_is_served_off_the_connection_task() {
    // given: a dataset above the blocking threshold
    let running = start(Dataset::generated(30_000, 5)).await;
    // done: a sorted listing and a marker page
    let first = get(&backups_url(&running, "sort=name:asc&limit=2")).await;
    let ids = page_ids(&first.body);
    let next =
        get(&backups_url(&running, &format!("sort=name:asc&limit=1&marker={}", ids[0]))).await;
    // must hold: same semantics as small datasets
    assert_eq!(first.body["count"], 30_000);
    assert_eq!(page_ids(&next.body), [ids[1]]);
    running.shutdown().await;
}
