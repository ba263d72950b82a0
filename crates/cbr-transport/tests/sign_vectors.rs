//! Checks the signer byte for byte against the shared SDK-HMAC-SHA256 vectors, which were
//! produced by the official Python SDK's signer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bytes::Bytes;
use cbr_transport::{Credentials, Signer, canonical_query, percent_encode};
use chrono::Utc;
use serde_json::Value;

/// The vectors sit in the shared reference folder beside the checkout.
const VECTORS: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/reference/sign-vectors.json");

fn load() -> Value {
    let text = std::fs::read_to_string(VECTORS).unwrap_or_else(|e| {
        panic!(
            "cannot read the signing vectors at {VECTORS}: {e}. They belong in \
             shared/reference/sign-vectors.json beside the checkout; this test must not pass \
             without them."
        )
    });
    serde_json::from_str(&text).expect("sign-vectors.json is not valid JSON")
}

/// Renders a scalar query value the way the reference SDK does.
fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => panic!("unsupported query value {other}"),
    }
}

/// Flattens `[key, value | [values]]` into raw pairs, in the caller's order.
fn raw_pairs(query: &Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for item in query.as_array().expect("query is a list") {
        let key = item[0].as_str().expect("query key is a string").to_owned();
        match &item[1] {
            Value::Array(values) => {
                pairs.extend(values.iter().map(|v| (key.clone(), scalar(v))));
            }
            value => pairs.push((key, scalar(value))),
        }
    }
    pairs
}

/// Builds the request as a client would: query encoded in the caller's (unsorted) order.
fn build_request(vector: &Value, pairs: &[(String, String)]) -> http::Request<Bytes> {
    let str_of = |field: &str| vector[field].as_str().expect(field).to_owned();
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut uri = format!("{}://{}{}", str_of("scheme"), str_of("host"), str_of("path"));
    if !query.is_empty() {
        uri.push('?');
        uri.push_str(&query);
    }
    let body = vector["body"].as_str().map(|b| Bytes::from(b.to_owned())).unwrap_or_default();

    let mut builder = http::Request::builder().method(str_of("method").as_str()).uri(uri);
    for (name, value) in vector["headers_given"].as_object().expect("headers_given") {
        builder = builder.header(name.as_str(), value.as_str().expect("header value"));
    }
    builder.body(body).unwrap()
}

/// Header name (lower case) → value, for an order-insensitive comparison.
fn header_set(headers: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut set: Vec<_> = headers.map(|(n, v)| (n.to_ascii_lowercase(), v)).collect();
    set.sort();
    set
}

/// Returns the differing fields of one vector, empty when it passes.
fn check(vector: &Value, signer: &Signer) -> Vec<String> {
    let expect = |field: &str| vector[field].as_str().unwrap_or_default().to_owned();
    let pairs = raw_pairs(&vector["query"]);
    let mut request = build_request(vector, &pairs);

    let parts = signer.sign(&mut request, Utc::now()).unwrap();

    let sent_uri = request.uri().path_and_query().unwrap().as_str().to_owned();
    let sent_headers = header_set(
        request
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())),
    );
    let expected_headers = header_set(
        vector["headers_sent"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(n, v)| (n.clone(), v.as_str().unwrap().to_owned())),
    );
    let actual = [
        ("canonical_query (function)", canonical_query(&pairs)),
        ("canonical_query", parts.canonical_query.clone()),
        ("payload_hash", parts.payload_hash.clone()),
        ("canonical_request", parts.canonical_request.clone()),
        ("string_to_sign", parts.string_to_sign.clone()),
        ("signed_headers", parts.signed_headers.clone()),
        ("signature", parts.signature.clone()),
        ("authorization", parts.authorization.clone()),
        ("request_uri", sent_uri),
    ];
    let mut diffs: Vec<String> = actual
        .iter()
        .filter_map(|(field, got)| {
            let key = field.split(' ').next().unwrap_or(field);
            let want = expect(key);
            (got != &want).then(|| format!("{field}: expected {want:?}, got {got:?}"))
        })
        .collect();
    if sent_headers != expected_headers {
        diffs.push(format!("headers_sent: expected {expected_headers:?}, got {sent_headers:?}"));
    }
    diffs
}

#[test]
fn every_vector_matches_byte_for_byte() {
    let file = load();
    let ak = file["ak"].as_str().expect("ak");
    let sk = file["sk"].as_str().expect("sk");
    let signer = Signer::new(Credentials::new(ak, sk));
    let vectors = file["vectors"].as_array().expect("vectors is a list");

    let mut failures = Vec::new();
    let mut groups = std::collections::BTreeMap::<String, usize>::new();
    for vector in vectors {
        let name = vector["name"].as_str().unwrap_or("<unnamed>");
        *groups.entry(vector["group"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
        let diffs = check(vector, &signer);
        if !diffs.is_empty() {
            failures.push(format!("{name}:\n  {}", diffs.join("\n  ")));
        }
    }

    println!("{} of {} vectors pass ({groups:?})", vectors.len() - failures.len(), vectors.len());
    assert!(!vectors.is_empty(), "the vector file holds no vectors");
    assert!(groups.contains_key("signer") && groups.contains_key("client"), "{groups:?}");
    assert!(failures.is_empty(), "{} vectors fail:\n{}", failures.len(), failures.join("\n"));
}
