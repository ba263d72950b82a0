//! Recording to and replaying from cassette files, including redaction of secrets.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use bytes::Bytes;
use cbr_transport::{
    Cassette, Credentials, FixedClock, HttpTransport, MockTransport, RecordingTransport,
    Redactions, ReplayingTransport, Signer, SigningTransport, TransportError,
};
use chrono::{TimeZone, Utc};

const CANARY_SK: &str = "canary-secret-key-7f3a";
const CANARY_TOKEN: &str = "canary-security-token-91bc";
const CANARY_SUBJECT: &str = "canary-subject-token-5d20";
const CANARY_API_KEY: &str = "canary-api-key-e4e4";

/// A mock service that echoes the query back as the body, with a secret response header.
fn service() -> MockTransport {
    MockTransport::new(|request| {
        let body = format!("{{\"query\": \"{}\"}}", request.uri().query().unwrap_or(""));
        let mut response = http::Response::new(Bytes::from(body));
        let headers = response.headers_mut();
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert("x-subject-token", CANARY_SUBJECT.parse().unwrap());
        headers.append("x-request-id", "r-1".parse().unwrap());
        headers.append("x-request-id", "r-2".parse().unwrap());
        Ok(response)
    })
}

fn get(uri: &str) -> http::Request<Bytes> {
    http::Request::get(uri)
        .header("content-type", "application/json")
        .header("x-api-key", CANARY_API_KEY)
        .body(Bytes::new())
        .unwrap()
}

#[tokio::test]
async fn recording_redacts_secrets_and_replays_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("walk.json");
    let credentials = Credentials::new("AK-PUBLIC", CANARY_SK).with_security_token(CANARY_TOKEN);
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2024, 1, 15, 8, 9, 10).unwrap());
    let recorder = RecordingTransport::new(service(), &path)
        .with_redactions(Redactions::default().with_header("X-Api-Key"));
    let stack = SigningTransport::new(recorder, Signer::new(credentials))
        .with_clock(clock)
        .with_project_id("p")
        .unwrap();

    stack.send(get("https://svc.example.invalid:8443/v3/p/backups?offset=0")).await.unwrap();
    let after_one = Cassette::load(&path).unwrap();
    stack.send(get("https://svc.example.invalid:8443/v3/p/backups?offset=1")).await.unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    for canary in [CANARY_SK, CANARY_TOKEN, CANARY_SUBJECT, CANARY_API_KEY, "Signature="] {
        assert!(!text.contains(canary), "{canary} leaked into the cassette:\n{text}");
    }
    assert_eq!(after_one.interactions.len(), 1, "the file is written after every exchange");
    let cassette = Cassette::load(&path).unwrap();
    assert_eq!(cassette, stack.inner().cassette().await);
    let first = &cassette.interactions[0];
    assert_eq!(first.request.uri, "https://svc.example.invalid:8443/v3/p/backups?offset=0");
    let header = |name: &str| {
        first.request.headers.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    };
    assert_eq!(header("authorization"), Some("<redacted>"));
    assert_eq!(header("x-security-token"), Some("<redacted>"));
    assert_eq!(header("host"), Some("svc.example.invalid:8443"));
    assert_eq!(header("x-sdk-date"), Some("20240115T080910Z"));
    let ids = first.response.headers.0.iter().filter(|(n, _)| n == "x-request-id").count();
    assert_eq!(ids, 2, "repeated headers survive");

    // Replay ignores scheme and host, and needs no signing.
    let replay = ReplayingTransport::from_file(&path).unwrap();
    let one = replay.send(get("http://other.invalid/v3/p/backups?offset=0")).await.unwrap();
    let two = replay.send(get("http://other.invalid/v3/p/backups?offset=1")).await.unwrap();
    assert_eq!(one.body(), "{\"query\": \"offset=0\"}");
    assert_eq!(two.body(), "{\"query\": \"offset=1\"}");
    assert_eq!(one.headers()["content-type"], "application/json");
    assert_eq!(replay.remaining(), 0);
}

#[tokio::test]
async fn cassette_file_format_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("format.json");
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2024, 1, 15, 8, 9, 10).unwrap());
    let recorder = RecordingTransport::new(service(), &path);
    let stack = SigningTransport::new(recorder, Signer::new(Credentials::new("AK", CANARY_SK)))
        .with_clock(clock);

    let request = http::Request::get("https://svc.example.invalid/v3/p/backups?limit=1")
        .header("content-type", "application/json")
        .body(Bytes::new())
        .unwrap();

    stack.send(request).await.unwrap();

    insta::assert_snapshot!(std::fs::read_to_string(&path).unwrap());
}

fn two_step_cassette() -> Cassette {
    Cassette::from_json(
        r#"{"version": 1, "interactions": [
            {"request": {"method": "GET", "uri": "https://h/items?page=1", "headers": []},
             "response": {"status": 200, "headers": [], "body": "first"}},
            {"request": {"method": "GET", "uri": "https://h/items?page=2", "headers": []},
             "response": {"status": 503, "headers": [["retry-after", "1"]], "body": ""}}
        ]}"#,
    )
    .unwrap()
}

#[tokio::test]
async fn replay_mismatch_names_the_interaction_index() {
    let replay = ReplayingTransport::from_cassette(two_step_cassette()).unwrap();

    replay.send(get("https://h/items?page=1")).await.unwrap();
    let error = replay.send(get("https://h/items?page=3")).await.unwrap_err();

    match &error {
        TransportError::ReplayMismatch { index, expected, actual } => {
            assert_eq!(*index, 1);
            assert_eq!(expected, "GET /items?page=2");
            assert_eq!(actual, "GET /items?page=3");
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "replay mismatch at interaction 1: expected GET /items?page=2, got GET /items?page=3"
    );
    assert_eq!(replay.remaining(), 1, "a mismatch does not use the interaction up");
}

#[tokio::test]
async fn replay_checks_the_method_and_runs_out() {
    let replay = ReplayingTransport::from_cassette(two_step_cassette()).unwrap();
    let post = http::Request::post("https://h/items?page=1").body(Bytes::new()).unwrap();

    let wrong_method = replay.send(post).await.unwrap_err();
    replay.send(get("https://h/items?page=1")).await.unwrap();
    let second = replay.send(get("https://h/items?page=2")).await.unwrap();
    let exhausted = replay.send(get("https://h/items?page=2")).await.unwrap_err();

    assert!(matches!(wrong_method, TransportError::ReplayMismatch { index: 0, .. }));
    assert_eq!(second.status(), 503);
    assert_eq!(second.headers()["retry-after"], "1");
    assert!(matches!(exhausted, TransportError::ReplayExhausted { index: 2 }), "{exhausted:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_is_shared_safely_between_tasks() {
    let interactions = (0..20)
        .map(|i| {
            format!(
                r#"{{"request": {{"method": "GET", "uri": "https://h/same"}},
                    "response": {{"status": 200, "body": "{i}"}}}}"#
            )
        })
        .collect::<Vec<_>>()
        .join(",");
    let text = format!(r#"{{"version": 1, "interactions": [{interactions}]}}"#);
    let cassette = Cassette::from_json(&text).unwrap();
    let replay = Arc::new(ReplayingTransport::from_cassette(cassette).unwrap());

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let replay = replay.clone();
            tokio::spawn(async move { replay.send(get("https://h/same")).await.unwrap() })
        })
        .collect();
    let mut bodies = Vec::new();
    for task in tasks {
        bodies.push(String::from_utf8(task.await.unwrap().body().to_vec()).unwrap());
    }

    bodies.sort_by_key(|b| b.parse::<u32>().unwrap());
    assert_eq!(bodies, (0..20).map(|i| i.to_string()).collect::<Vec<_>>());
    assert_eq!(replay.remaining(), 0);
}

#[test]
fn unreadable_or_broken_cassettes_are_reported_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"version\": 1, \"interactions\": [").unwrap();
    let bad_status = r#"{"version": 1, "interactions": [
        {"request": {"method": "GET", "uri": "https://h/a"}, "response": {"status": 99}}]}"#;

    let missing_error = ReplayingTransport::from_file(&missing).unwrap_err();
    let broken_error = ReplayingTransport::from_file(&broken).unwrap_err();
    let status_error =
        ReplayingTransport::from_cassette(Cassette::from_json(bad_status).unwrap()).unwrap_err();

    assert!(matches!(missing_error, TransportError::CassetteIo { .. }), "{missing_error:?}");
    assert!(missing_error.to_string().contains("missing.json"));
    assert!(matches!(broken_error, TransportError::CassetteParse { .. }), "{broken_error:?}");
    assert!(broken_error.to_string().contains("broken.json"));
    assert_eq!(status_error.to_string(), "cassette <memory>: interaction 0: invalid status 99");
}

#[tokio::test]
async fn errors_are_passed_through_and_not_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("errors.json");
    let failing =
        MockTransport::new(|_| Err(TransportError::InvalidRequest { reason: "nope".into() }));
    let recorder = RecordingTransport::new(failing, &path);

    let error = recorder.send(get("https://h/a")).await.unwrap_err();

    assert!(matches!(error, TransportError::InvalidRequest { .. }));
    assert!(recorder.cassette().await.interactions.is_empty());
    assert!(!path.exists());
}
