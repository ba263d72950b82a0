//! Hostile response bodies, table-driven, through both the typed and the raw decoding paths:
//! every one ends in a page or a typed error, never a panic or a hang.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use bytes::Bytes;
use cbr_api::{Client, Error, RetryPolicy, Strategy};
use cbr_transport::MockTransport;
use futures::StreamExt as _;

/// What a body must lead to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    /// A walk that yields this many backups and ends cleanly.
    Backups(usize),
    /// The body is not the API's JSON at all.
    Unexpected,
    /// JSON of the wrong shape.
    Decode,
    /// Either a clean end or a typed decode error is acceptable (lenient readers may differ).
    Either,
}

fn cases() -> Vec<(&'static str, String, Expect)> {
    let deep = format!(
        "{{\"backups\":[{{\"id\":\"a\",\"x\":{}1{}}}],\"count\":1}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let huge_name = format!(
        "{{\"backups\":[{{\"id\":\"a\",\"name\":\"{}\"}}],\"count\":1}}",
        "n".repeat(8 << 20)
    );
    let many = format!(
        "{{\"backups\":[{}],\"count\":5000}}",
        (0..5000).map(|i| format!("{{\"id\":\"b{i}\"}}")).collect::<Vec<_>>().join(",")
    );
    vec![
        ("empty body", String::new(), Expect::Unexpected),
        ("whitespace", "  \n ".into(), Expect::Unexpected),
        (
            "html gateway page",
            "<html><body>502 Bad Gateway</body></html>".into(),
            Expect::Unexpected,
        ),
        ("json null", "null".into(), Expect::Unexpected),
        ("json array", "[]".into(), Expect::Unexpected),
        ("json string", "\"backups\"".into(), Expect::Unexpected),
        ("truncated object", "{\"backups\":[{\"id\":\"a\"".into(), Expect::Unexpected),
        ("empty object", "{}".into(), Expect::Backups(0)),
        ("backups null", "{\"backups\":null,\"count\":0}".into(), Expect::Backups(0)),
        ("backups as an object", "{\"backups\":{\"id\":\"a\"},\"count\":1}".into(), Expect::Decode),
        ("backups as a string", "{\"backups\":\"a\",\"count\":1}".into(), Expect::Decode),
        ("backups of numbers", "{\"backups\":[1,2],\"count\":2}".into(), Expect::Decode),
        ("count as an object", "{\"backups\":[],\"count\":{}}".into(), Expect::Either),
        ("count negative", "{\"backups\":[{\"id\":\"a\"}],\"count\":-1}".into(), Expect::Either),
        (
            "count beyond u64",
            "{\"backups\":[{\"id\":\"a\"}],\"count\":18446744073709551616}".into(),
            Expect::Either,
        ),
        ("count 1e400", "{\"backups\":[{\"id\":\"a\"}],\"count\":1e400}".into(), Expect::Either),
        (
            "count as text",
            "{\"backups\":[{\"id\":\"a\"}],\"count\":\"1\"}".into(),
            Expect::Backups(1),
        ),
        ("id as a number", "{\"backups\":[{\"id\":5}],\"count\":1}".into(), Expect::Either),
        ("id missing", "{\"backups\":[{\"name\":\"x\"}],\"count\":1}".into(), Expect::Backups(1)),
        (
            "wrong types everywhere",
            concat!(
                "{\"backups\":[{\"id\":\"a\",\"name\":[],\"status\":{},",
                "\"resource_size\":\"big\",\"children\":\"none\",\"extend_info\":7}],",
                "\"count\":1}",
            )
            .into(),
            Expect::Either,
        ),
        (
            "duplicate keys",
            "{\"backups\":[{\"id\":\"a\",\"id\":\"b\"}],\"count\":1,\"count\":2}".into(),
            Expect::Either,
        ),
        ("deep nesting", deep, Expect::Either),
        ("8 MiB name", huge_name, Expect::Backups(1)),
        (
            "invalid UTF-8 escape",
            "{\"backups\":[{\"id\":\"\\ud800\"}],\"count\":1}".into(),
            Expect::Either,
        ),
        (
            "control characters",
            "{\"backups\":[{\"id\":\"a\u{1}b\"}],\"count\":1}".into(),
            Expect::Unexpected,
        ),
        ("trailing garbage", "{\"backups\":[],\"count\":0} extra".into(), Expect::Unexpected),
        ("more backups than asked", many, Expect::Backups(5000)),
        (
            "repeated ids",
            "{\"backups\":[{\"id\":\"a\"},{\"id\":\"a\"}],\"count\":2}".into(),
            Expect::Either,
        ),
    ]
}

fn client_serving(body: String) -> (Client, Arc<MockTransport>) {
    let body = Bytes::from(body);
    let mock = Arc::new(MockTransport::new(move |_| {
        Ok(http::Response::builder().status(200).body(body.clone()).unwrap())
    }));
    let client = Client::builder("http://127.0.0.1:9", "p", mock.clone())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    (client, mock)
}

fn check(name: &str, expect: Expect, results: &[Result<String, Error>]) {
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let last_error = results.iter().rev().find_map(|r| r.as_ref().err());
    match (expect, last_error) {
        (Expect::Backups(n), None) => assert_eq!(ok, n, "{name}"),
        (Expect::Unexpected, Some(Error::UnexpectedBody { snippet, .. })) => {
            assert!(snippet.len() <= 200, "{name}");
        }
        (Expect::Decode, Some(Error::Decode { .. })) => {}
        (Expect::Either, None | Some(Error::Decode { .. } | Error::UnexpectedBody { .. })) => {}
        (Expect::Either, Some(Error::Pagination { .. })) => {}
        _ => panic!("{name}: expected {expect:?}, got {ok} backups and {last_error:?}"),
    }
}

#[tokio::test]
async fn hostile_bodies_end_in_a_page_or_a_typed_error() {
    let cases = cases();
    let mut tried = 0;
    for (name, body, expect) in &cases {
        for raw in [false, true] {
            let (client, mock) = client_serving(body.clone());
            let request = client.list_backups().strategy(Strategy::Offset).max_items(10_000);
            let results: Vec<Result<String, Error>> = if raw {
                request.raw_items().map(|r| r.map(|b| b.json().to_owned())).collect().await
            } else {
                request.items().map(|r| r.map(|b| b.id().to_owned())).collect().await
            };
            // The walk stops by itself: no service answer makes it loop.
            assert!(mock.request_count() <= 3, "{name}: {} requests", mock.request_count());
            if raw && *expect == Expect::Decode {
                // The raw path does not look inside backups, so only page-level shape errors
                // are decode errors there.
                check(name, Expect::Either, &results);
            } else {
                check(name, *expect, &results);
            }
            tried += 1;
        }
    }
    println!("hostile response bodies: {} cases, {tried} walks, 0 panics", cases.len());
    assert!(cases.len() >= 25);
}
