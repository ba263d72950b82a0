//! The emulator's signature check seen from a small client built on `cbr-transport`: a
//! request altered after signing, or signed at a time more than 15 minutes from the
//! emulator's clock, is refused like the API gateway refuses it.

use bytes::Bytes;
use cbr_e2e::{PROJECT, ServeProcess};
use cbr_transport::{
    Credentials, FixedClock, HttpTransport, ReqwestTransport, Signer, SigningTransport,
};
use chrono::{TimeDelta, Utc};
use serde_json::Value;

const AK: &str = "AKE2EAUTHSIGN0001";
const SK: &str = "sk-e2e-auth-sign-secret";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"))
}

fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url)
        .header("content-type", "application/json")
        .header("user-agent", "cbr-e2e")
        .body(Bytes::new())
        .unwrap_or_else(|e| panic!("request: {e}"))
}

fn network() -> ReqwestTransport {
    ReqwestTransport::builder().no_proxy().build().unwrap_or_else(|e| panic!("{e}"))
}

/// The status and `error_code` of a response.
fn outcome(response: &http::Response<Bytes>) -> (u16, String) {
    let body: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    let code = body["error_code"].as_str().unwrap_or_default().to_owned();
    (response.status().as_u16(), code)
}

/// Sends through a signing layer whose clock is `skew` away from now.
fn send_with_skew(url: &str, skew: TimeDelta) -> (u16, String) {
    let clock = FixedClock::new(Utc::now() + skew);
    let transport = SigningTransport::new(network(), Signer::new(Credentials::new(AK, SK)))
        .with_clock(clock)
        .with_project_id(PROJECT)
        .unwrap_or_else(|e| panic!("{e}"));
    let response = runtime().block_on(transport.send(get(url))).unwrap_or_else(|e| panic!("{e}"));
    outcome(&response)
}

#[test]
fn a_query_changed_after_signing_is_refused() {
    // Given a request signed for limit=10.
    let server = ServeProcess::start(&["--ak", AK, "--sk", SK]);
    let signed_for = format!("{}/v3/{PROJECT}/backups?limit=10", server.url);
    let signer = Signer::new(Credentials::new(AK, SK));
    let mut request = get(&signed_for);
    signer.sign(&mut request, Utc::now()).unwrap_or_else(|e| panic!("{e}"));
    let mut tampered = request.clone();
    let other = format!("{}/v3/{PROJECT}/backups?limit=11", server.url);
    *tampered.uri_mut() = other.parse().unwrap_or_else(|e| panic!("{e}"));

    // When the signed request is sent as is, and with the other query.
    let rt = runtime();
    let untouched = rt.block_on(network().send(request)).unwrap_or_else(|e| panic!("{e}"));
    let altered = rt.block_on(network().send(tampered)).unwrap_or_else(|e| panic!("{e}"));

    // Then only the untouched one is served.
    assert_eq!(outcome(&untouched).0, 200);
    assert_eq!(outcome(&altered), (401, "APIGW.0301".to_owned()));
    let body: Value = serde_json::from_slice(altered.body()).unwrap_or(Value::Null);
    assert!(body["request_id"].is_string(), "{body}");
}

#[test]
fn a_date_more_than_15_minutes_off_is_refused() {
    let server = ServeProcess::start(&["--ak", AK, "--sk", SK]);
    let url = format!("{}/v3/{PROJECT}/backups?limit=1", server.url);

    let slow = send_with_skew(&url, TimeDelta::minutes(-16));
    let fast = send_with_skew(&url, TimeDelta::minutes(16));
    let within = send_with_skew(&url, TimeDelta::minutes(-14));

    assert_eq!(slow, (401, "APIGW.0301".to_owned()));
    assert_eq!(fast, (401, "APIGW.0301".to_owned()));
    assert_eq!(within.0, 200, "{within:?}");
}

#[test]
fn the_signed_host_follows_the_endpoint() {
    // Given the emulator reached as localhost instead of 127.0.0.1: the signer takes Host
    // from the URI, so the signature holds for whatever endpoint is used.
    let server = ServeProcess::start(&["--ak", AK, "--sk", SK]);
    let port = server.url.rsplit(':').next().unwrap_or_default();
    let url = format!("http://localhost:{port}/v3/{PROJECT}/backups?limit=1");

    let (status, code) = send_with_skew(&url, TimeDelta::zero());

    assert_eq!(status, 200, "{code}");
}
