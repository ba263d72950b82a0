//! `cbr emulator serve` as its own process: signature checks against the official SDK and
//! our client, and the test knobs as command-line flags.

use std::process::{Command, Output, Stdio};

use cbr_e2e::{PROJECT, Peer, ServeProcess, cbr_bin};

/// Runs `cbr backups list … --all -o ndjson` against `url` with these keys in the
/// environment (and a throwaway HOME, so no credentials file is read).
fn cbr_with_keys(url: &str, ak: &str, sk: &str) -> Output {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    Command::new(cbr_bin())
        .args(["backups", "list", "--endpoint", url, "--project-id", PROJECT])
        .args(["--all", "-o", "ndjson"])
        .env("HOME", home.path())
        .env("HUAWEICLOUD_SDK_AK", ak)
        .env("HUAWEICLOUD_SDK_SK", sk)
        .env_remove("HUAWEICLOUD_SDK_PROJECT_ID")
        .env_remove("HUAWEICLOUD_SDK_SECURITY_TOKEN")
        .env_remove("HUAWEICLOUD_SDK_CREDENTIALS_FILE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run cbr: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_official_sdk_is_checked_like_the_gateway() {
    let Some(peer) = Peer::find() else { return };
    // given: the documented dataset served with signature checks on
    let server = ServeProcess::start(&["--ak", "AK-E2E-1", "--sk", "sk-e2e-secret"]);
    let base = ["--endpoint", &server.url, "--project-id", PROJECT, "--limit", "1000"];
    for mode in [&[][..], &["--marker"][..]] {
        // done: the SDK lists with the right keys
        let out =
            peer.run(&[&base[..], &["--ak", "AK-E2E-1", "--sk", "sk-e2e-secret"], mode].concat());
        // must hold: every backup
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
        assert!(stdout.starts_with("backups=1663 pages=2 "), "{mode:?}: {stdout}");
    }
    // done: with a wrong secret key, and with an unknown access key
    let wrong = peer.run(&[&base[..], &["--ak", "AK-E2E-1", "--sk", "sk-e2e-secreT"]].concat());
    let unknown = peer.run(&[&base[..], &["--ak", "AK-OTHER", "--sk", "sk-e2e-secret"]].concat());
    // must hold: refused with 401 APIGW.0301 and the gateway's reason
    let (wrong, unknown) = (text(&wrong.stderr), text(&unknown.stderr));
    assert!(wrong.contains("http=401 code=APIGW.0301"), "{wrong}");
    assert!(wrong.contains("verify aksk signature fail"), "{wrong}");
    assert!(unknown.contains("http=401 code=APIGW.0301"), "{unknown}");
    assert!(unknown.contains("ak not exist"), "{unknown}");
}

#[test]
fn our_client_is_checked_like_the_gateway() {
    // given: the documented dataset served with signature checks on
    let server = ServeProcess::start(&["--ak", "AK-E2E-2", "--sk", "sk-e2e-secret-2"]);
    // done: cbr with the keys in the environment, then with a wrong secret key
    let good = cbr_with_keys(&server.url, "AK-E2E-2", "sk-e2e-secret-2");
    let bad = cbr_with_keys(&server.url, "AK-E2E-2", "sk-e2e-secret-3");
    // must hold: every backup; then exit 1 with the gateway's 401
    assert!(good.status.success(), "{}", text(&good.stderr));
    assert_eq!(text(&good.stdout).lines().count(), 1663);
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stderr));
    assert!(text(&bad.stderr).contains("APIGW.0301"), "{}", text(&bad.stderr));
    assert!(!text(&bad.stderr).contains("sk-e2e-secret"), "{}", text(&bad.stderr));
}

#[test]
fn knobs_are_command_line_flags() {
    let Some(peer) = Peer::find() else { return };
    // given: a generated dataset in another project, pages capped at 100, a request log
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let log = dir.path().join("requests.ndjson");
    let log_arg = log.to_string_lossy().into_owned();
    let server = ServeProcess::start(&[
        "--dataset",
        "generated",
        "--backups",
        "1234",
        "--seed",
        "3",
        "--project-id",
        "abc123",
        "--max-limit",
        "100",
        "--request-log",
        &log_arg,
    ]);
    // done: the SDK pages by offset (it stops on `count`, so the cap is harmless), and asks
    // the documented project once
    let listed =
        peer.run(&["--endpoint", &server.url, "--project-id", "abc123", "--limit", "1000"]);
    let other = peer.run(&["--endpoint", &server.url, "--project-id", PROJECT]);
    // must hold: 1234 backups in 13 capped pages; the other project sees none; one log line
    // per request, each with the limit asked for
    let listed = text(&listed.stdout);
    assert!(listed.starts_with("backups=1234 pages=13 "), "{listed}");
    assert!(text(&other.stdout).starts_with("backups=0 pages=1 "), "{}", text(&other.stdout));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_default())
        .collect();
    assert_eq!(lines.len(), 14);
    assert!(lines.iter().all(|l| l["status"] == 200), "{lines:?}");
    assert_eq!(lines[0]["params"]["limit"], "1000");
    assert_eq!(lines[12]["params"]["offset"], "1200");
}

#[test]
fn faults_are_command_line_flags() {
    let Some(peer) = Peer::find() else { return };
    // given: every request fails with 503
    let server =
        ServeProcess::start(&["--fault-rate", "1", "--faults", "503", "--fault-seed", "9"]);
    // done
    let out = peer.run(&["--endpoint", &server.url, "--project-id", PROJECT]);
    // must hold: the SDK sees the gateway's 503
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("http=503 code=APIGW.0201"), "{stderr}");
}
