//! The server-side signature check against every vector of the official SDK's signer
//! (`sign-vectors.json` beside the checkout): each request as sent is accepted at its date,
//! and every tampering is refused for the right reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use cbr_emulator::auth::{AuthError, Authenticator, Principal, SignedRequest};
use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use serde_json::Value;

/// One vector's request as it went on the wire.
struct Sent {
    name: String,
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
    date: DateTime<Utc>,
}

impl Sent {
    fn request(&self) -> SignedRequest<'_> {
        SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

fn vectors_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/sign-vectors.json")
}

/// The vectors file and each vector's request as sent; fails clearly when the file is absent.
fn load() -> (Value, Vec<Sent>) {
    let path = vectors_file();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("the signing vectors are missing ({e}); expected at {}", path.display())
    });
    let file: Value = serde_json::from_str(&text).expect("vectors are JSON");
    let vectors = file["vectors"].as_array().expect("a `vectors` array").clone();
    let sent = vectors
        .iter()
        .map(|v| {
            let uri = v["request_uri"].as_str().expect("request_uri");
            let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
            let mut headers = HeaderMap::new();
            for (name, value) in v["headers_sent"].as_object().expect("headers_sent") {
                let name = HeaderName::from_bytes(name.as_bytes()).expect("header name");
                let value = value.as_str().expect("header value as text");
                headers.append(name, HeaderValue::from_bytes(value.as_bytes()).expect("value"));
            }
            let date = v["x_sdk_date"].as_str().expect("x_sdk_date");
            let date =
                NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ").expect("date").and_utc();
            Sent {
                name: v["name"].as_str().expect("name").to_owned(),
                method: v["method"].as_str().expect("method").to_owned(),
                path: path.to_owned(),
                query: query.to_owned(),
                headers,
                body: v["body"].as_str().unwrap_or_default().as_bytes().to_vec(),
                date,
            }
        })
        .collect();
    (file, sent)
}

fn authenticator(file: &Value) -> Authenticator {
    let mut auth = Authenticator::new();
    auth.add_key("SOME-OTHER-AK", "some-other-sk");
    auth.add_key(file["ak"].as_str().expect("ak"), file["sk"].as_str().expect("sk"));
    auth
}

#[test]
fn every_vector_as_sent_is_accepted_at_its_date() {
    // given: the vectors' credentials and each request as it was sent
    let (file, sent) = load();
    let auth = authenticator(&file);
    assert_eq!(sent.len(), 29, "the file holds 29 SDK-HMAC-SHA256 vectors");
    for vector in &sent {
        // done: checked with the clock at the vector's date
        let verdict = auth.check(&vector.request(), vector.date);
        // must hold: accepted as the vector's access key
        assert_eq!(
            verdict,
            Ok(Principal::AccessKey(file["ak"].as_str().unwrap_or_default().to_owned())),
            "{}",
            vector.name
        );
    }
}

#[test]
fn the_clock_window_is_fifteen_minutes_either_way() {
    // given: every vector
    let (file, sent) = load();
    let auth = authenticator(&file);
    for vector in &sent {
        for (minutes, accepted) in [(-16, false), (-15, true), (15, true), (16, false)] {
            // done: checked with the clock moved
            let now = vector.date + TimeDelta::minutes(minutes);
            let verdict = auth.check(&vector.request(), now);
            // must hold: within 15 minutes accepted, beyond it expired
            if accepted {
                assert!(verdict.is_ok(), "{} at {minutes:+} min: {verdict:?}", vector.name);
            } else {
                assert_eq!(verdict, Err(AuthError::Expired), "{} at {minutes:+} min", vector.name);
            }
        }
    }
}

/// Checks `change` on every vector it applies to; returns how many it applied to.
fn refused_after(change: impl Fn(&mut Sent) -> bool, expected: AuthError) -> usize {
    let (file, sent) = load();
    let auth = authenticator(&file);
    let mut applied = 0;
    for mut vector in sent {
        if !change(&mut vector) {
            continue;
        }
        applied += 1;
        let verdict = auth.check(&vector.request(), vector.date);
        assert_eq!(verdict, Err(expected), "{}", vector.name);
    }
    applied
}

#[test]
fn a_tampered_method_is_refused() {
    // given / done: GET becomes DELETE, POST becomes PUT
    let applied = refused_after(
        |v| {
            v.method = if v.method == "GET" { "DELETE".into() } else { "PUT".into() };
            true
        },
        AuthError::SignatureMismatch,
    );
    // must hold: refused on every vector
    assert_eq!(applied, 29);
}

#[test]
fn a_tampered_path_is_refused() {
    // given / done: the project id loses its last digit
    let applied = refused_after(
        |v| {
            v.path = v.path.replacen("e8f9/", "e8f8/", 1);
            true
        },
        AuthError::SignatureMismatch,
    );
    // must hold
    assert_eq!(applied, 29);
}

#[test]
fn a_tampered_query_is_refused() {
    // given / done: a parameter is added, or a value changed
    let applied = refused_after(
        |v| {
            v.query = if v.query.is_empty() {
                "limit=1".to_owned()
            } else if v.query.contains("limit=") {
                v.query.replacen("limit=", "limit=9", 1)
            } else {
                format!("{}&offset=1", v.query)
            };
            true
        },
        AuthError::SignatureMismatch,
    );
    // must hold
    assert_eq!(applied, 29);
}

#[test]
fn the_query_may_arrive_in_another_order_or_encoding() {
    // given: a vector whose query has several parameters, sent reordered and with lower-case
    // escapes (the same parameters)
    let (file, sent) = load();
    let auth = authenticator(&file);
    let vector = sent.iter().find(|v| v.name == "client-filters-mixed").expect("vector");
    let mut pairs: Vec<&str> = vector.query.split('&').collect();
    pairs.reverse();
    let reordered = pairs.join("&").replace("%3A", "%3a");
    // done
    let request = SignedRequest { query: &reordered, ..vector.request() };
    // must hold: the server re-canonicalises, so the signature still holds
    assert!(auth.check(&request, vector.date).is_ok());
}

#[test]
fn a_tampered_signed_header_is_refused() {
    // given / done: the value of a signed header other than the date changes
    let applied = refused_after(
        |v| {
            let Some(name) = ["host", "x-project-id", "user-agent", "content-type"]
                .into_iter()
                .find(|name| v.headers.contains_key(*name))
            else {
                return false;
            };
            let old = v.headers.get(name).and_then(|h| h.to_str().ok()).unwrap_or_default();
            let new = HeaderValue::from_str(&format!("{old}x")).expect("value");
            v.headers.insert(name, new);
            true
        },
        AuthError::SignatureMismatch,
    );
    // must hold: every vector signs `host` at least
    assert_eq!(applied, 29);
}

#[test]
fn a_tampered_date_is_refused() {
    // given / done: X-Sdk-Date one second later than signed
    let applied = refused_after(
        |v| {
            let later = (v.date + TimeDelta::seconds(1)).format("%Y%m%dT%H%M%SZ").to_string();
            v.headers.insert("x-sdk-date", HeaderValue::from_str(&later).expect("date"));
            true
        },
        AuthError::SignatureMismatch,
    );
    // must hold
    assert_eq!(applied, 29);
}

#[test]
fn a_tampered_body_is_refused_unless_unsigned() {
    // given / done: the body of each POST changes
    let applied = refused_after(
        |v| {
            if v.body.is_empty() || v.headers.contains_key("x-sdk-content-sha256") {
                return false;
            }
            v.body.push(b' ');
            true
        },
        AuthError::SignatureMismatch,
    );
    // must hold: the JSON-body vector is refused
    assert_eq!(applied, 1);
}

#[test]
fn an_unknown_access_key_is_refused() {
    // given: an authenticator that knows other keys only
    let (_, sent) = load();
    let mut auth = Authenticator::new();
    auth.add_key("SOME-OTHER-AK", "some-other-sk");
    for vector in &sent {
        // done
        let verdict = auth.check(&vector.request(), vector.date);
        // must hold
        assert_eq!(verdict, Err(AuthError::UnknownAccessKey), "{}", vector.name);
    }
}

#[test]
fn a_wrong_secret_key_is_refused() {
    // given: the vectors' access key paired with another secret
    let (file, sent) = load();
    let mut auth = Authenticator::new();
    auth.add_key(file["ak"].as_str().expect("ak"), "sk-test-example-secreT");
    for vector in &sent {
        // done
        let verdict = auth.check(&vector.request(), vector.date);
        // must hold
        assert_eq!(verdict, Err(AuthError::SignatureMismatch), "{}", vector.name);
    }
}

#[test]
fn the_date_must_be_signed() {
    // given: a vector whose signed-header list loses x-sdk-date (so the date is not covered)
    let (file, sent) = load();
    let auth = authenticator(&file);
    let vector = &sent[0];
    let original = vector.headers.get("authorization").and_then(|v| v.to_str().ok());
    let changed = original.unwrap_or_default().replace("host;x-sdk-date", "host");
    let mut headers = vector.headers.clone();
    headers.insert("authorization", HeaderValue::from_str(&changed).expect("value"));
    // done
    let request = SignedRequest { headers: &headers, ..vector.request() };
    // must hold
    assert_eq!(auth.check(&request, vector.date), Err(AuthError::BadDate));
}

#[test]
fn missing_or_malformed_authorization_is_refused() {
    // given: a vector without Authorization, and with mangled ones
    let (file, sent) = load();
    let auth = authenticator(&file);
    let vector = &sent[0];
    let mut headers = vector.headers.clone();
    headers.remove("authorization");
    // done / must hold: nothing to check
    let request = SignedRequest { headers: &headers, ..vector.request() };
    assert_eq!(auth.check(&request, vector.date), Err(AuthError::MissingAuthorization));
    for mangled in [
        "SDK-HMAC-SHA256",
        "SDK-HMAC-SM3 Access=AKTESTEXAMPLE000001, SignedHeaders=host, Signature=00",
        "SDK-HMAC-SHA256 Access=AKTESTEXAMPLE000001, SignedHeaders=host;x-sdk-date",
        "SDK-HMAC-SHA256 Access=AKTESTEXAMPLE000001, Access=X, SignedHeaders=a, Signature=00",
        "Bearer xyz",
    ] {
        headers.insert("authorization", HeaderValue::from_static(mangled));
        let request = SignedRequest { headers: &headers, ..vector.request() };
        let verdict = auth.check(&request, vector.date);
        assert_eq!(verdict, Err(AuthError::MalformedAuthorization), "{mangled}");
        assert_eq!(verdict.unwrap_err().reason(), "verify aksk signature fail");
    }
}

#[test]
fn a_configured_token_is_accepted_and_any_other_refused() {
    // given: an authenticator with one token, and a request carrying no signature
    let mut auth = Authenticator::new();
    auth.add_token("token-123");
    let mut headers = HeaderMap::new();
    let request = |headers: &HeaderMap| {
        let request =
            SignedRequest { method: "GET", path: "/v3/p/backups", query: "", headers, body: b"" };
        auth.check(&request, Utc::now())
    };
    // done / must hold: the right token passes, a wrong one does not, none at all is missing
    headers.insert("x-auth-token", HeaderValue::from_static("token-123"));
    assert_eq!(request(&headers), Ok(Principal::Token));
    headers.insert("x-auth-token", HeaderValue::from_static("token-124"));
    assert_eq!(request(&headers), Err(AuthError::BadToken));
    headers.remove("x-auth-token");
    assert_eq!(request(&headers), Err(AuthError::MissingAuthorization));
}

#[test]
fn without_credentials_everything_is_accepted() {
    // given: no credentials configured
    let (_, sent) = load();
    let auth = Authenticator::new();
    // done / must hold: even a request without Authorization
    let headers = HeaderMap::new();
    let request = SignedRequest { headers: &headers, ..sent[0].request() };
    assert_eq!(auth.check(&request, Utc::now()), Ok(Principal::Anonymous));
}
