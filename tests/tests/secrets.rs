//! Secrets never leak: canary values for the secret key, the security token and an IAM
//! token go through `cbr -vvv` (success and refusal), a cassette recording, the emulator's
//! trace log and its request log, and none of them appears in any output.

use std::sync::Arc;

use bytes::Bytes;
use cbr_e2e::{PROJECT, ServeProcess, cbr_isolated};
use cbr_transport::{
    Credentials, HttpTransport, RecordingTransport, ReqwestTransport, SecretString, Signer,
    SigningTransport, TokenTransport,
};

const AK: &str = "AKE2ESECRETS00001";
const CANARY_SK: &str = "CANARY-sk-5f3a9c1e7b20";
const CANARY_WRONG_SK: &str = "CANARY-wrong-sk-4a7b2c91";
const CANARY_SECURITY_TOKEN: &str = "CANARY-security-token-8d2e4b6a";
const CANARY_IAM_TOKEN: &str = "CANARY-iam-token-1c9f7e3d";
const CANARY_WRONG_IAM_TOKEN: &str = "CANARY-wrong-iam-token-77e0";
const CANARIES: &[&str] =
    &[CANARY_SK, CANARY_WRONG_SK, CANARY_SECURITY_TOKEN, CANARY_IAM_TOKEN, CANARY_WRONG_IAM_TOKEN];

fn assert_no_canary(what: &str, text: &str) {
    for canary in CANARIES {
        assert!(!text.contains(canary), "{canary} appears in {what}:\n{text}");
    }
}

fn serve_args() -> Vec<&'static str> {
    vec!["--ak", AK, "--sk", CANARY_SK, "--token", CANARY_IAM_TOKEN]
}

#[test]
fn canaries_never_appear_in_cli_output_or_the_emulator_log() {
    // Given an emulator logging at trace level, knowing the canary SK and IAM token.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let log = dir.path().join("emulator.log");
    let requests = dir.path().join("requests.ndjson");
    let requests_flag = ["--request-log", requests.to_str().unwrap_or_else(|| panic!("path"))];
    let serve = [&["-vvv"][..], &requests_flag, &serve_args()].concat();
    let server = ServeProcess::start_logged(&serve, &log);
    let list = ["-vvv", "backups", "list", "--endpoint", &server.url, "--project-id", PROJECT];
    let list = [&list[..], &["--limit", "3", "-o", "json"]].concat();
    let keys = |sk: &'static str| {
        [
            ("HUAWEICLOUD_SDK_AK", AK),
            ("HUAWEICLOUD_SDK_SK", sk),
            ("HUAWEICLOUD_SDK_SECURITY_TOKEN", CANARY_SECURITY_TOKEN),
        ]
    };

    // When cbr -vvv succeeds and fails with temporary keys and with an IAM token.
    let runs = [
        ("temporary keys", cbr_isolated(&list, &keys(CANARY_SK)), true),
        ("a wrong secret key", cbr_isolated(&list, &keys(CANARY_WRONG_SK)), false),
        ("an IAM token", cbr_isolated(&list, &[("CBR_AUTH_TOKEN", CANARY_IAM_TOKEN)]), true),
        (
            "a wrong IAM token",
            cbr_isolated(&list, &[("CBR_AUTH_TOKEN", CANARY_WRONG_IAM_TOKEN)]),
            false,
        ),
    ];
    drop(server);

    // Then each run ended as expected, logged at trace level, and showed no canary.
    for (what, out, succeeds) in &runs {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expected = if *succeeds { 0 } else { 1 };
        assert_eq!(out.status.code(), Some(expected), "{what}: {stderr}");
        assert!(stderr.contains("TRACE"), "{what}: -vvv logged no trace events: {stderr}");
        assert!(*succeeds || stderr.contains("APIGW.0301"), "{what}: {stderr}");
        assert_no_canary(&format!("stdout with {what}"), &stdout);
        assert_no_canary(&format!("stderr with {what}"), &stderr);
    }
    let signed = String::from_utf8_lossy(&runs[0].1.stderr).into_owned();
    assert!(signed.contains("request signed"), "the signer logged nothing: {signed}");
    let emulator_log = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{e}"));
    assert!(!emulator_log.is_empty(), "the emulator logged nothing");
    assert_no_canary("the emulator's log", &emulator_log);
    let request_log = std::fs::read_to_string(&requests).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(request_log.lines().count(), runs.len(), "{request_log}");
    for header in ["authorization", "x-security-token", "x-auth-token"] {
        assert!(request_log.contains(header), "{header} is not in the request log");
    }
    assert_no_canary("the emulator's request log", &request_log);
}

#[test]
fn canaries_never_reach_a_cassette() {
    // Given one recording below three authentication layers: temporary keys, a wrong
    // secret key, and an IAM token.
    let server = ServeProcess::start(&serve_args());
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cassette = dir.path().join("auth.cassette.json");
    let network = ReqwestTransport::builder().no_proxy().build().unwrap_or_else(|e| panic!("{e}"));
    let recorder = Arc::new(RecordingTransport::new(network, &cassette));
    let signing = |sk: &str| {
        let credentials = Credentials::new(AK, sk).with_security_token(CANARY_SECURITY_TOKEN);
        SigningTransport::new(recorder.clone(), Signer::new(credentials))
            .with_project_id(PROJECT)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let token = SecretString::new(CANARY_IAM_TOKEN);
    let layers: [(&str, Box<dyn HttpTransport>, u16); 3] = [
        ("temporary keys", Box::new(signing(CANARY_SK)), 200),
        ("a wrong secret key", Box::new(signing(CANARY_WRONG_SK)), 401),
        (
            "an IAM token",
            Box::new(
                TokenTransport::new(recorder.clone(), &token).unwrap_or_else(|e| panic!("{e}")),
            ),
            200,
        ),
    ];
    let url = format!("{}/v3/{PROJECT}/backups?limit=2", server.url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));

    // When a request goes through each.
    for (what, layer, status) in &layers {
        let request = http::Request::get(&url)
            .header("content-type", "application/json")
            .body(Bytes::new())
            .unwrap_or_else(|e| panic!("{e}"));
        let response = runtime.block_on(layer.send(request)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status().as_u16(), *status, "{what}");
    }

    // Then the cassette holds the secret headers, redacted, and no canary.
    let text = std::fs::read_to_string(&cassette).unwrap_or_else(|e| panic!("{e}"));
    for header in ["authorization", "x-security-token", "x-auth-token"] {
        assert!(text.to_ascii_lowercase().contains(header), "{header} was not recorded");
    }
    assert!(text.contains("<redacted>"), "{text}");
    assert_no_canary("the cassette", &text);
}

#[test]
fn canaries_never_reach_the_clis_own_cassettes_or_other_commands() {
    // Given the signing emulator, when `summary` and `list --all` run with -vvv and --record,
    // then neither their output nor their cassettes hold a canary.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = ServeProcess::start(&serve_args());
    let keys = [
        ("HUAWEICLOUD_SDK_AK", AK),
        ("HUAWEICLOUD_SDK_SK", CANARY_SK),
        ("HUAWEICLOUD_SDK_SECURITY_TOKEN", CANARY_SECURITY_TOKEN),
    ];
    let connection = ["--endpoint", server.url.as_str(), "--project-id", PROJECT];
    for (name, command) in [
        ("summary", &["-vvv", "backups", "summary", "--by", "status"][..]),
        ("list --all", &["-vvv", "backups", "list", "--all", "--limit", "500", "-o", "csv"][..]),
    ] {
        let cassette = dir.path().join(format!("{}.json", name.replace(' ', "_")));
        let record = ["--record", cassette.to_str().unwrap_or_else(|| panic!("path"))];
        let out = cbr_isolated(&[command, &connection[..], &record[..]].concat(), &keys);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        assert_no_canary(&format!("stdout of {name}"), &String::from_utf8_lossy(&out.stdout));
        assert_no_canary(&format!("stderr of {name}"), &String::from_utf8_lossy(&out.stderr));
        let recorded = std::fs::read_to_string(&cassette).unwrap_or_else(|e| panic!("{e}"));
        assert!(recorded.contains("<redacted>"), "{name}: nothing redacted");
        assert_no_canary(&format!("the cassette of {name}"), &recorded);
    }
}

#[test]
fn a_broken_credentials_file_is_named_but_never_quoted() {
    // Given a credentials file whose broken line holds the secret key, when cbr reads it, then
    // the error names the file and the line but not the secret.
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("credentials");
    std::fs::write(&file, format!("[basic]\nak = {AK}\n{CANARY_SK} without an equals sign\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    let path = file.to_str().unwrap_or_else(|| panic!("path"));
    let out = cbr_isolated(
        &["-vvv", "backups", "list", "--region", "xx-nowhere-1", "--project-id", PROJECT],
        &[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", path)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("credentials"), "{stderr}");
    assert_no_canary("the error about a broken credentials file", &stderr);
}

#[test]
fn a_panic_that_formats_credentials_shows_no_secret() {
    // Given credentials holding canaries, when code panics while formatting them with Debug,
    // then the panic message has no canary.
    let credentials = Credentials::new(AK, CANARY_SK).with_security_token(CANARY_SECURITY_TOKEN);
    let token = SecretString::from(CANARY_IAM_TOKEN);
    let caught = std::panic::catch_unwind(|| panic!("on purpose: {credentials:?} {token:?}"));
    let payload = caught.err().unwrap_or_else(|| panic!("no panic"));
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_else(|| panic!("the panic payload is not a String"));
    assert!(message.contains(AK), "{message}");
    assert_no_canary("a panic message", &message);
}
