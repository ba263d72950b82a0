//! The emulator's knobs over real HTTP: signature and token checks, every fault, latency,
//! the page-size cap, the request log and churn.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cbr_emulator::faults::{Fault, Faults};
use cbr_emulator::{Dataset, Emulator, RequestLog, RunningEmulator};
use cbr_model::{DOCUMENTED_PROJECT_ID, ListBackupsQuery};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const LOCAL: ([u8; 4], u16) = ([127, 0, 0, 1], 0);

async fn start(emulator: Emulator) -> RunningEmulator {
    emulator.bind(SocketAddr::from(LOCAL)).await.expect("emulator starts")
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("client builds")
}

/// What came back on a raw connection: status (0 if nothing), headers, body bytes.
#[derive(Debug)]
struct Raw {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    received: usize,
}

impl Raw {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Sends `request` as it is on a new connection and reads until the server closes it.
async fn raw(addr: SocketAddr, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(request).await.expect("writes");
    let mut reply = Vec::new();
    // A reset shows as an error after (possibly) nothing: keep what arrived.
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await;
    let received = reply.len();
    let Some(split) = reply.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Raw { status: 0, headers: Vec::new(), body: reply, received };
    };
    let head = String::from_utf8_lossy(&reply[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Raw { status, headers, body: reply[split + 4..].to_vec(), received }
}

fn get_request(path_and_query: &str, extra_headers: &[(&str, &str)]) -> Vec<u8> {
    let mut request = format!("GET {path_and_query} HTTP/1.1\r\nHost: emulator\r\n");
    for (name, value) in extra_headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    request.into_bytes()
}

fn backups_path(query: &str) -> String {
    format!("/v3/{DOCUMENTED_PROJECT_ID}/backups?{query}")
}

/// The signing vectors of the official SDK for `GET …/backups`.
fn get_vectors() -> (Value, Vec<Value>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/sign-vectors.json");
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the signing vectors are missing ({e}): {path}"));
    let file: Value = serde_json::from_str(&text).expect("JSON");
    let vectors = file["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .filter(|v| {
            v["method"] == "GET" && v["path"].as_str().is_some_and(|p| p.ends_with("/backups"))
        })
        .cloned()
        .collect();
    (file, vectors)
}

fn vector_date(vector: &Value) -> DateTime<Utc> {
    let text = vector["x_sdk_date"].as_str().expect("date");
    NaiveDateTime::parse_from_str(text, "%Y%m%dT%H%M%SZ").expect("date").and_utc()
}

/// The vector's request exactly as the SDK sent it, the query optionally replaced.
fn vector_request(vector: &Value, query: Option<&str>) -> Vec<u8> {
    let uri = vector["request_uri"].as_str().expect("uri");
    let uri = match query {
        Some(query) => format!("{}?{query}", uri.split('?').next().unwrap_or(uri)),
        None => uri.to_owned(),
    };
    let mut request = format!("GET {uri} HTTP/1.1\r\n");
    for (name, value) in vector["headers_sent"].as_object().expect("headers") {
        request.push_str(&format!("{name}: {}\r\n", value.as_str().unwrap_or_default()));
    }
    request.push_str("Connection: close\r\n\r\n");
    request.into_bytes()
}

fn signing_emulator(file: &Value, now: DateTime<Utc>) -> Emulator {
    Emulator::new(Dataset::generated(50, 1))
        .project_id(file["project_id"].as_str().expect("project"))
        .verify_signatures(file["ak"].as_str().expect("ak"), file["sk"].as_str().expect("sk"))
        .clock(Arc::new(move || now))
}

fn assert_refused(raw: &Raw, reason: &str) {
    assert_eq!(raw.status, 401, "{raw:?}");
    let body = raw.json();
    assert_eq!(body["error_code"], "APIGW.0301");
    assert_eq!(body["error_msg"], format!("Incorrect IAM authentication information: {reason}"));
    assert_eq!(body["request_id"].as_str(), raw.header("x-request-id"));
}

#[tokio::test]
async fn the_sdks_signed_requests_pass_and_tampered_ones_get_401() {
    // given: the vectors' credentials, and each GET vector sent exactly as the SDK sent it
    let (file, vectors) = get_vectors();
    assert!(vectors.len() >= 10, "{}", vectors.len());
    let mut passed = 0;
    for vector in &vectors {
        let running = start(signing_emulator(&file, vector_date(vector))).await;
        // done: as sent, and with its query changed
        let accepted = raw(running.local_addr(), &vector_request(vector, None)).await;
        let tampered = raw(running.local_addr(), &vector_request(vector, Some("limit=999"))).await;
        // must hold: the first passes authentication and reaches the service (which refuses
        // the vectors' made-up statuses and markers), the second is refused like the gateway
        let body = accepted.json();
        match accepted.status {
            200 => assert!(body["count"].is_u64(), "{}", vector["name"]),
            400 => assert_eq!(body["error_code"], "BackupService.9900", "{}", vector["name"]),
            other => panic!("{}: {other} {body}", vector["name"]),
        }
        passed += usize::from(accepted.status == 200);
        assert_refused(&tampered, "verify aksk signature fail");
        running.shutdown().await;
    }
    assert!(passed * 3 >= vectors.len() * 2, "{passed} of {}", vectors.len());
}

#[tokio::test]
async fn a_date_sixteen_minutes_off_is_expired() {
    // given: the emulator's clock 16 minutes after a vector's date, then 16 minutes before
    let (file, vectors) = get_vectors();
    let vector = &vectors[0];
    for minutes in [16, -16] {
        let now = vector_date(vector) + TimeDelta::minutes(minutes);
        let running = start(signing_emulator(&file, now)).await;
        // done
        let answer = raw(running.local_addr(), &vector_request(vector, None)).await;
        // must hold
        assert_refused(&answer, "signature expired");
        running.shutdown().await;
    }
}

#[tokio::test]
async fn unknown_keys_missing_credentials_and_tokens() {
    // given: an emulator that knows another key and one token
    let running = start(
        Emulator::new(Dataset::generated(5, 1)).verify_signatures("OTHER", "x").accept_token("tok"),
    )
    .await;
    let addr = running.local_addr();
    let (_, vectors) = get_vectors();
    let path = backups_path("limit=1");
    // done / must hold: the vector's AK is unknown here
    assert_refused(&raw(addr, &vector_request(&vectors[0], None)).await, "ak not exist");
    assert_refused(&raw(addr, &get_request(&path, &[])).await, "missing authorization");
    let good = raw(addr, &get_request(&path, &[("X-Auth-Token", "tok")])).await;
    assert_eq!(good.status, 200);
    let bad = raw(addr, &get_request(&path, &[("X-Auth-Token", "tok2")])).await;
    assert_refused(&bad, "decrypt token fail");
    // must hold: an unknown path is 404 before any authentication
    let unknown = raw(addr, &get_request("/v3/p/volumes", &[])).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error_code"], "APIGW.0101");
    running.shutdown().await;
}

/// Starts an emulator whose first request meets `fault`, then answers normally.
async fn faulted(fault: Fault) -> RunningEmulator {
    let faults = Faults::none().scripted([Some(fault)]);
    start(
        Emulator::new(Dataset::generated(20, 1))
            .faults(faults)
            .stall_for(Duration::from_millis(300)),
    )
    .await
}

#[tokio::test]
async fn http_error_faults_answer_like_the_gateway() {
    let cases = [
        (Fault::TooManyRequests, 429, "APIGW.0308"),
        (Fault::InternalError, 500, "BackupService.9910"),
        (Fault::BadGateway, 502, "APIGW.0201"),
        (Fault::Unavailable, 503, "APIGW.0201"),
        (Fault::GatewayTimeout, 504, "APIGW.0201"),
    ];
    for (fault, status, code) in cases {
        // given: an emulator whose first request fails with `fault`
        let running = faulted(fault).await;
        // done: two requests
        let first = raw(running.local_addr(), &get_request(&backups_path("limit=2"), &[])).await;
        let second = raw(running.local_addr(), &get_request(&backups_path("limit=2"), &[])).await;
        // must hold: the fault's status, code and request id, then a normal page
        assert_eq!(first.status, status, "{fault}");
        assert_eq!(first.json()["error_code"], code, "{fault}");
        assert_eq!(first.header("content-type"), Some("application/json"));
        assert_eq!(first.header("x-request-id").map(str::len), Some(32), "{fault}");
        if fault == Fault::TooManyRequests {
            assert_eq!(first.header("retry-after"), Some("1"));
            assert_eq!(first.json()["request_id"].as_str(), first.header("x-request-id"));
        }
        assert_eq!(second.status, 200, "{fault}");
        assert_eq!(second.json()["count"], 20);
        running.shutdown().await;
    }
}

#[tokio::test]
async fn reset_closes_the_connection_without_a_response() {
    // given
    let running = faulted(Fault::Reset).await;
    // done
    let answer = raw(running.local_addr(), &get_request(&backups_path("limit=2"), &[])).await;
    // must hold: not one byte came back; the next request is served
    assert_eq!(answer.received, 0, "{answer:?}");
    let next = raw(running.local_addr(), &get_request(&backups_path("limit=2"), &[])).await;
    assert_eq!(next.status, 200);
    running.shutdown().await;
}

#[tokio::test]
async fn truncate_announces_more_than_it_sends() {
    // given
    let running = faulted(Fault::Truncate).await;
    // done
    let answer = raw(running.local_addr(), &get_request(&backups_path("limit=5"), &[])).await;
    // must hold: 200 and a Content-Length beyond the bytes sent, which are the start of the
    // real page; a client reading the body fails
    assert_eq!(answer.status, 200);
    let announced: usize = answer.header("content-length").and_then(|v| v.parse().ok()).unwrap();
    assert!(answer.body.len() < announced, "{} of {announced}", answer.body.len());
    assert!(answer.body.starts_with(b"{\"backups\":[{"), "{answer:?}");
    assert!(serde_json::from_slice::<Value>(&answer.body).is_err());
    running.shutdown().await;
    let running = faulted(Fault::Truncate).await;
    let url = format!("{}{}", running.base_url(), backups_path("limit=5"));
    let response = client().get(&url).send().await.expect("head arrives");
    assert!(response.bytes().await.is_err());
    running.shutdown().await;
}

#[tokio::test]
async fn stall_never_answers_and_gives_up_after_the_stall_limit() {
    // given: a stall of 300 ms
    let running = faulted(Fault::Stall).await;
    let url = format!("{}{}", running.base_url(), backups_path("limit=2"));
    // done: a client with a 100 ms timeout, then the server's own limit
    let timed_out = client().get(&url).timeout(Duration::from_millis(100)).send().await;
    let started = Instant::now();
    let running2 = faulted(Fault::Stall).await;
    let answer = raw(running2.local_addr(), &get_request(&backups_path("limit=2"), &[])).await;
    // must hold: the client timed out; the patient one got nothing after ~300 ms
    assert!(timed_out.is_err_and(|e| e.is_timeout()));
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    assert_eq!(answer.received, 0);
    running.shutdown().await;
    running2.shutdown().await;
}

#[tokio::test]
async fn html_empty_and_nonjson_bodies() {
    let cases = [
        (Fault::Html, 502, "text/html"),
        (Fault::Empty, 200, "application/json"),
        (Fault::NonJson, 200, "text/html"),
    ];
    for (fault, status, content_type) in cases {
        // given
        let running = faulted(fault).await;
        // done
        let answer = raw(running.local_addr(), &get_request(&backups_path("limit=2"), &[])).await;
        // must hold: the status, the content type, a body that is not a listing
        assert_eq!(answer.status, status, "{fault}");
        assert_eq!(answer.header("content-type"), Some(content_type), "{fault}");
        assert!(answer.header("x-request-id").is_some());
        assert!(serde_json::from_slice::<Value>(&answer.body).is_err(), "{fault}");
        assert_eq!(answer.body.is_empty(), fault == Fault::Empty, "{fault}");
        running.shutdown().await;
    }
}

#[tokio::test]
async fn a_random_fault_plan_is_repeatable() {
    // given: two emulators with one seeded plan, one with another seed
    let plan = |seed| Faults::random(0.4, [Fault::TooManyRequests, Fault::Unavailable], seed);
    let emulator = |seed| Emulator::new(Dataset::generated(10, 1)).faults(plan(seed).unwrap());
    let (a, b, c) = (start(emulator(5)).await, start(emulator(5)).await, start(emulator(6)).await);
    // done: 40 requests to each, one after the other
    let mut outcomes = Vec::new();
    for running in [&a, &b, &c] {
        let url = format!("{}{}", running.base_url(), backups_path("limit=1"));
        let mut statuses = Vec::new();
        for _ in 0..40 {
            statuses.push(client().get(&url).send().await.expect("answered").status().as_u16());
        }
        outcomes.push(statuses);
    }
    // must hold: the same seed fails the same requests; both faults and successes occur
    assert_eq!(outcomes[0], outcomes[1]);
    assert_ne!(outcomes[0], outcomes[2]);
    for status in [200, 429, 503] {
        assert!(outcomes[0].contains(&status), "{status}: {:?}", outcomes[0]);
    }
    for running in [a, b, c] {
        running.shutdown().await;
    }
}

#[tokio::test]
async fn latency_delays_every_answer() {
    // given
    let running =
        start(Emulator::new(Dataset::generated(5, 1)).latency(Duration::from_millis(200))).await;
    let url = format!("{}{}", running.base_url(), backups_path("limit=1"));
    // done
    let started = Instant::now();
    let status = client().get(&url).send().await.expect("answered").status();
    // must hold
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(200), "{:?}", started.elapsed());
    running.shutdown().await;
}

#[tokio::test]
async fn max_limit_caps_pages_silently() {
    // given: pages capped at 7
    let running = start(Emulator::new(Dataset::generated(100, 1)).max_limit(7)).await;
    let addr = running.local_addr();
    for (query, length, status) in
        [("limit=100", 7, 200), ("", 7, 200), ("limit=3", 3, 200), ("limit=5000", 0, 400)]
    {
        // done
        let answer = raw(addr, &get_request(&backups_path(query), &[])).await;
        // must hold: at most 7, the full count, an invalid limit still refused
        assert_eq!(answer.status, status, "{query}");
        if status == 200 {
            assert_eq!(answer.json()["backups"].as_array().map(Vec::len), Some(length), "{query}");
            assert_eq!(answer.json()["count"], 100);
        }
    }
    running.shutdown().await;
}

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_request_log_has_a_line_per_request_and_no_secret() {
    // given: a logging emulator that accepts one token, and a faulted second request
    let buffer = Shared::default();
    let faults = Faults::none().scripted([None, Some(Fault::Reset)]);
    let emulator = Emulator::new(Dataset::generated(10, 1))
        .accept_token("TOKEN-CANARY-1")
        .faults(faults)
        .request_log(RequestLog::new(buffer.clone()));
    let running = start(emulator).await;
    let addr = running.local_addr();
    // done: a listing with a token (and a stray security token), a reset, a refused one
    let headers = [("X-Auth-Token", "TOKEN-CANARY-1"), ("X-Security-Token", "STS-CANARY-2")];
    let query = "status=available&status=error&name=a%20b&limit=2";
    raw(addr, &get_request(&backups_path(query), &headers)).await;
    raw(addr, &get_request(&backups_path("limit=1"), &headers)).await;
    let signed =
        [("Authorization", "SDK-HMAC-SHA256 Access=AK9, SignedHeaders=host, Signature=f00d")];
    raw(addr, &get_request(&backups_path("limit=1"), &signed)).await;
    running.shutdown().await;
    // must hold: three JSON lines, the right fields, credentials redacted
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(!text.contains("CANARY") && !text.contains("f00d"), "{text}");
    let first = &lines[0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["path"], format!("/v3/{DOCUMENTED_PROJECT_ID}/backups"));
    assert_eq!(first["query"], query);
    assert_eq!(first["params"]["status"], serde_json::json!(["available", "error"]));
    assert_eq!(first["params"]["name"], "a b");
    assert_eq!(first["status"], 200);
    assert_eq!(first["request_id"].as_str().map(str::len), Some(32));
    assert_eq!(first["headers"]["x-auth-token"], "[redacted]");
    assert_eq!(first["headers"]["x-security-token"], "[redacted]");
    assert!(first["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(lines[1]["fault"], "reset");
    assert_eq!(lines[1]["status"], Value::Null);
    assert_eq!(lines[2]["status"], 401);
    assert_eq!(
        lines[2]["headers"]["authorization"],
        "SDK-HMAC-SHA256 Access=AK9, SignedHeaders=host, Signature=[redacted]"
    );
}

/// Every id of a listing by marker, `limit` at a time, over HTTP.
async fn list_by_marker(running: &RunningEmulator, filters: &str, limit: u32) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    loop {
        let marker = ids.last().map(|id| format!("&marker={id}")).unwrap_or_default();
        let path = backups_path(&format!("limit={limit}{filters}{marker}"));
        let url = format!("{}{path}", running.base_url());
        let bytes = client().get(&url).send().await.expect("answered").bytes().await.unwrap();
        let body: Value = serde_json::from_slice(&bytes).expect("a JSON page");
        let page: Vec<String> = body["backups"]
            .as_array()
            .expect("a page")
            .iter()
            .map(|b| b["id"].as_str().unwrap_or_default().to_owned())
            .collect();
        let short = page.len() < limit as usize;
        ids.extend(page);
        if short {
            return ids;
        }
    }
}

#[tokio::test]
async fn under_churn_marker_paging_yields_every_lasting_backup_once() {
    for filters in ["", "&resource_type=OS::Cinder::Volume&sort=name:asc"] {
        // given: 2000 backups, 10 created and 10 deleted after every page
        let running = start(Emulator::new(Dataset::generated(2000, 4)).churn(10, 42)).await;
        let before = running.service().generation();
        // done: a full listing by marker, 100 at a time
        let ids = list_by_marker(&running, filters, 100).await;
        let after = running.service().generation();
        // must hold: the listing saw churn; each backup present throughout is listed exactly
        // once, and no backup twice
        assert!(after - before >= 15, "{before}..{after}");
        let query = ListBackupsQuery::parse(filters).expect("parses").query;
        let lasting = running
            .service()
            .present_throughout(DOCUMENTED_PROJECT_ID, &query, before, after)
            .expect("lists");
        let mut seen = std::collections::HashMap::new();
        for id in &ids {
            *seen.entry(id.as_str()).or_insert(0) += 1;
        }
        assert!(seen.values().all(|&n| n == 1), "a backup listed twice");
        let missing: Vec<&String> =
            lasting.iter().filter(|id| !seen.contains_key(id.as_str())).collect();
        assert!(missing.is_empty(), "{} lasting backups missed", missing.len());
        assert!(lasting.len() > 1000, "{}", lasting.len());
        running.shutdown().await;
    }
}

#[tokio::test]
async fn churn_is_repeatable() {
    // given: two emulators churning with one seed
    let emulator = || Emulator::new(Dataset::generated(300, 2)).churn(7, 3);
    let (a, b) = (start(emulator()).await, start(emulator()).await);
    // done: the same listings on both
    let (ids_a, ids_b) = (list_by_marker(&a, "", 50).await, list_by_marker(&b, "", 50).await);
    // must hold
    assert_eq!(ids_a, ids_b);
    assert_eq!(a.service().generation(), b.service().generation());
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test]
async fn in_process_the_connection_faults_fail_the_body() {
    // given: the router with a reset first, served on the test's own listener
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(LOCAL)).await.expect("binds");
    let addr = listener.local_addr().expect("addr");
    let faults = Faults::none().scripted([Some(Fault::Reset)]);
    let app = Emulator::new(Dataset::generated(3, 1)).faults(faults).router();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let url = format!("http://{addr}{}", backups_path("limit=1"));
    // done
    let first = client().get(&url).send().await;
    let first = match first {
        Ok(response) => response.bytes().await.is_err(),
        Err(_) => true,
    };
    let second = client().get(&url).send().await.expect("answered").status();
    // must hold: the first fails, the second is served
    assert!(first);
    assert_eq!(second, 200);
    server.abort();
}
