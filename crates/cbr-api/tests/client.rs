//! The client end to end over a mock transport: retries per page with the right backoffs,
//! fresh signatures per attempt, errors by phase, lazy streams.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cbr_api::retry::{MaxJitter, RecordingSleeper, Sleeper};
use cbr_api::{Client, Error, Strategy};
use cbr_model::ListBackupsQuery;
use cbr_transport::{
    BoxFuture, Credentials, FixedClock, MockTransport, Signer, SigningTransport, TransportError,
};
use futures::{StreamExt as _, TryStreamExt as _};

const PROJECT: &str = "0605767b5780d5762fc5c0118072a564";
const THROTTLED: &str = concat!(
    r#"{"error_msg":"The throttling threshold has been reached: policy user over ratelimit,"#,
    r#"limit:200,time:5 minute","error_code":"APIGW.0308","request_id":"fake-req-0001"}"#
);

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("b{i:04}")).collect()
}

/// A page of `items` answering `query` (offset or marker, default limit 1000).
fn page_for(items: &[String], query: &ListBackupsQuery) -> Bytes {
    let start = match &query.marker {
        Some(m) => items.iter().position(|i| i == m).map_or(0, |p| p + 1),
        None => query.offset.unwrap_or(0) as usize,
    };
    let limit = query.limit.unwrap_or(1000) as usize;
    let page: Vec<serde_json::Value> = items
        .iter()
        .skip(start)
        .take(limit)
        .map(|id| serde_json::json!({ "id": id, "name": format!("n-{id}") }))
        .collect();
    Bytes::from(serde_json::json!({ "backups": page, "count": items.len() }).to_string())
}

fn query_of(request: &http::Request<Bytes>) -> ListBackupsQuery {
    ListBackupsQuery::parse(request.uri().query().unwrap_or("")).unwrap().query
}

fn ok(body: Bytes) -> Result<http::Response<Bytes>, TransportError> {
    Ok(http::Response::builder().status(200).header("x-request-id", "rid-ok").body(body).unwrap())
}

fn status(
    code: u16,
    body: &str,
    headers: &[(&str, &str)],
) -> Result<http::Response<Bytes>, TransportError> {
    let mut response = http::Response::builder().status(code).header("x-request-id", "rid-header");
    for (name, value) in headers {
        response = response.header(*name, *value);
    }
    Ok(response.body(Bytes::from(body.to_owned())).unwrap())
}

fn client(transport: Arc<MockTransport>, sleeper: Arc<RecordingSleeper>) -> Client {
    Client::builder("https://cbr.example.invalid", PROJECT, transport)
        .sleeper(sleeper)
        .jitter(Arc::new(MaxJitter))
        .build()
        .unwrap()
}

#[tokio::test]
async fn throttled_page_two_is_retried_with_growing_backoff() {
    // Given 3 pages where page 2 is throttled twice (B10), when every backup is listed, then
    // there are exactly 5 requests, no duplicate, and backoffs of 1 s then 2 s (max jitter).
    let items = ids(30);
    let calls = AtomicUsize::new(0);
    let served = items.clone();
    let mock = Arc::new(MockTransport::new(move |request| {
        let call = calls.fetch_add(1, Ordering::SeqCst);
        if call == 1 || call == 2 {
            return status(429, THROTTLED, &[]);
        }
        ok(page_for(&served, &query_of(request)))
    }));
    let sleeper = Arc::new(RecordingSleeper::default());
    let listed: Vec<String> = client(mock.clone(), sleeper.clone())
        .list_backups()
        .page_size(10)
        .strategy(Strategy::Offset)
        .items()
        .map_ok(|b| b.id().to_owned())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, items);
    assert_eq!(mock.request_count(), 5);
    assert_eq!(sleeper.slept(), [Duration::from_secs(1), Duration::from_secs(2)]);
    let offsets: Vec<String> =
        mock.requests().iter().map(|r| r.uri.query().unwrap_or("").to_owned()).collect();
    assert_eq!(
        offsets,
        [
            "limit=10&offset=0",
            "limit=10&offset=10",
            "limit=10&offset=10",
            "limit=10&offset=10",
            "limit=10&offset=20"
        ]
    );
}

#[tokio::test]
async fn retry_after_is_honoured_and_the_budget_ends_with_the_servers_error() {
    let mock = Arc::new(MockTransport::new(|_| status(429, THROTTLED, &[("retry-after", "7")])));
    let sleeper = Arc::new(RecordingSleeper::default());
    let error = client(mock.clone(), sleeper.clone()).list_backups().send().await.unwrap_err();
    assert_eq!(mock.request_count(), 3, "default: 3 attempts");
    assert_eq!(sleeper.slept(), [Duration::from_secs(7), Duration::from_secs(7)]);
    assert!(error.is_throttled() && error.is_retryable());
    // The server's own body and request id survive (unlike the official SDK, pitfall 33).
    assert_eq!(error.request_id(), Some("fake-req-0001"));
    let text = error.to_string();
    assert!(text.contains("APIGW.0308") && text.contains("throttling threshold"), "{text}");
    assert!(text.contains("hint: throttled"), "{text}");
}

/// A sleeper that moves a clock forward by what it is asked to sleep.
#[derive(Debug)]
struct AdvancingSleeper(Arc<FixedClock>);

impl Sleeper for AdvancingSleeper {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.0.advance(chrono::Duration::from_std(duration).unwrap());
        Box::pin(std::future::ready(()))
    }
}

#[tokio::test]
async fn every_attempt_is_signed_afresh() {
    // Given a signing layer whose clock the backoff moves forward, when a page is retried,
    // then each attempt carries a new X-Sdk-Date and signature.
    let clock = Arc::new(FixedClock::new(
        chrono::DateTime::parse_from_rfc3339("2024-01-15T08:09:10Z").unwrap().to_utc(),
    ));
    let calls = AtomicUsize::new(0);
    let mock = Arc::new(MockTransport::new(move |request| {
        if calls.fetch_add(1, Ordering::SeqCst) < 2 {
            return status(503, "<html>busy</html>", &[]);
        }
        ok(page_for(&ids(3), &query_of(request)))
    }));
    let credentials = Credentials::new("AKTESTEXAMPLE000001", "sk-test-example-secret");
    let signing =
        SigningTransport::new(mock.clone(), Signer::new(credentials)).with_clock(clock.clone());
    let client = Client::builder("https://cbr.example.invalid", PROJECT, Arc::new(signing))
        .sleeper(Arc::new(AdvancingSleeper(clock)))
        .jitter(Arc::new(MaxJitter))
        .build()
        .unwrap();
    client.list_backups().send().await.unwrap();
    let dates: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| r.headers["x-sdk-date"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(dates, ["20240115T080910Z", "20240115T080911Z", "20240115T080913Z"]);
    let signatures: std::collections::HashSet<String> = mock
        .requests()
        .iter()
        .map(|r| r.headers["authorization"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(signatures.len(), 3);
}

#[tokio::test]
async fn permanent_errors_are_not_retried_and_keep_every_detail() {
    let body = r#"{"error_code":"BackupService.9900","error_msg":"Invalid vault_id provided."}"#;
    let mock = Arc::new(MockTransport::new(move |_| status(400, body, &[])));
    let sleeper = Arc::new(RecordingSleeper::default());
    let error = client(mock.clone(), sleeper.clone())
        .list_backups()
        .vault_id("v")
        .send()
        .await
        .unwrap_err();
    assert_eq!(mock.request_count(), 1);
    assert!(sleeper.slept().is_empty());
    let Error::Service(service) = &error else { panic!("{error:?}") };
    assert_eq!((service.status, service.code.as_str()), (400, "BackupService.9900"));
    assert_eq!(service.message, "Invalid vault_id provided.");
    assert_eq!(service.request_id.as_deref(), Some("rid-header"));
    assert_eq!(service.path, format!("/v3/{PROJECT}/backups?vault_id=v"));
    assert!(!error.is_retryable() && !error.is_auth());
}

#[tokio::test]
async fn error_bodies_of_every_shape_are_read() {
    let cases = [
        (
            401,
            concat!(
                r#"{"error_msg":"Incorrect IAM authentication information: verify aksk "#,
                r#"signature fail","error_code":"APIGW.0301","request_id":"r1"}"#
            ),
            "APIGW.0301",
            "r1",
        ),
        (403, r#"{"errorCode":"CBR.0001","errorMsg":"forbidden"}"#, "CBR.0001", "rid-header"),
        (
            404,
            r#"{"error":{"code":"APIGW.0101","message":"not found"}}"#,
            "APIGW.0101",
            "rid-header",
        ),
        (502, "<html><body>Bad Gateway</body></html>", "502", "rid-header"),
    ];
    for (code, body, expected, request_id) in cases {
        let mock = Arc::new(MockTransport::new(move |_| status(code, body, &[])));
        let sleeper = Arc::new(RecordingSleeper::default());
        let error = client(mock, sleeper).list_backups().send().await.unwrap_err();
        let Error::Service(service) = &error else { panic!("{error:?}") };
        assert_eq!(service.code, expected, "{body}");
        assert_eq!(error.request_id(), Some(request_id), "{body}");
    }
}

#[tokio::test]
async fn a_2xx_that_is_not_json_is_retried_then_reported_with_a_short_snippet() {
    let html = format!("<html>{}</html>", "x".repeat(5000));
    let mock = Arc::new(MockTransport::new(move |_| ok(Bytes::from(html.clone()))));
    let sleeper = Arc::new(RecordingSleeper::default());
    let error = client(mock.clone(), sleeper).list_backups().send().await.unwrap_err();
    assert_eq!(mock.request_count(), 3);
    let Error::UnexpectedBody { status, snippet, .. } = &error else { panic!("{error:?}") };
    assert_eq!(*status, 200);
    assert!(snippet.len() <= 200 && snippet.starts_with("<html>"));
}

#[tokio::test]
async fn nothing_is_sent_until_the_stream_is_polled() {
    let mock = Arc::new(MockTransport::new(|request| ok(page_for(&ids(5), &query_of(request)))));
    let sleeper = Arc::new(RecordingSleeper::default());
    let stream = client(mock.clone(), sleeper).list_backups().page_size(2).items();
    assert_eq!(mock.request_count(), 0);
    let first: Vec<_> = stream.take(1).collect().await;
    assert_eq!(first.len(), 1);
    assert_eq!(mock.request_count(), 1);
}

#[tokio::test]
async fn a_service_ignoring_the_marker_ends_with_a_pagination_error() {
    let mock = Arc::new(MockTransport::new(|_| {
        ok(page_for(&ids(50), &ListBackupsQuery::new().limit(10u32)))
    }));
    let sleeper = Arc::new(RecordingSleeper::default());
    let results: Vec<_> =
        client(mock.clone(), sleeper).list_backups().page_size(10).items().collect().await;
    assert!(mock.request_count() <= 2);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 10);
    assert!(matches!(results.last(), Some(Err(Error::Pagination { .. }))));
}

#[tokio::test]
async fn invalid_queries_fail_before_anything_is_sent() {
    let mock = Arc::new(MockTransport::new(|_| ok(Bytes::from("{}"))));
    let sleeper = Arc::new(RecordingSleeper::default());
    let c = client(mock.clone(), sleeper);
    let error = c.list_backups().page_size(0).send().await.unwrap_err();
    assert!(matches!(error, Error::Build(_)), "{error:?}");
    let streamed: Vec<_> = c.list_backups().used_percent(0u8).items().collect().await;
    assert!(matches!(streamed.as_slice(), [Err(Error::Build(_))]));
    assert_eq!(mock.request_count(), 0);
}

#[tokio::test]
async fn concurrent_walks_yield_the_offset_sequence_with_requests_in_flight() {
    let items = ids(2345);
    let served = items.clone();
    let mock = Arc::new(MockTransport::new(move |r| ok(page_for(&served, &query_of(r)))));
    let sleeper = Arc::new(RecordingSleeper::default());
    let c = client(mock.clone(), sleeper);
    let listed: Vec<String> = c
        .list_backups()
        .page_size(100)
        .strategy(Strategy::concurrent())
        .max_items(2001)
        .items()
        .map_ok(|b| b.id().to_owned())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed, items[..2001]);
    assert_eq!(mock.request_count(), 21);
}

#[tokio::test]
async fn an_odd_field_never_fails_a_page_and_is_reported_with_its_path() {
    let body =
        r#"{"count":2,"backups":[{"id":"a","resource_size":"big"},{"id":"b","resource_size":40}]}"#;
    let mock = Arc::new(MockTransport::new(move |_| ok(Bytes::from(body))));
    let page =
        client(mock, Arc::new(RecordingSleeper::default())).list_backups().send().await.unwrap();
    assert_eq!(page.backups.len(), 2);
    assert_eq!(page.backups[0].resource_size, None);
    assert_eq!(page.backups[0].extra["resource_size"], "big");
    assert_eq!(page.backups[1].resource_size, Some(40));
    let paths: Vec<&str> = page.odd_fields.iter().map(|o| o.path.as_str()).collect();
    assert_eq!(paths, ["backups[0].resource_size"]);
}
