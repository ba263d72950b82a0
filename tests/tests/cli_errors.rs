//! What an operator reads when the service or the network fails: the exact messages of a
//! refused signature (401), throttling that outlasts the retries (429) and a refused
//! connection, pinned as snapshots, each with exit code 1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};

use cbr_e2e::{PROJECT, ServeProcess, cbr_bin};

/// Runs cbr with `env`, requires exit code 1, and returns stderr with what changes from run
/// to run (ports, request ids, log times) replaced.
fn failure(args: &[&str], env: &[(&str, &str)], url: &str) -> String {
    let mut command = Command::new(cbr_bin());
    command.args(args).stdin(Stdio::null()).env_remove("RUST_LOG");
    for var in ["HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_PROJECT_ID"] {
        command.env_remove(var);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    let text = String::from_utf8_lossy(&out.stderr)
        .replace(url, "http://127.0.0.1:PORT")
        .replace(PROJECT, "{project_id}");
    text.lines().filter(|l| !l.contains(" WARN ")).map(normalise).collect::<Vec<_>>().join("\n")
}

/// Replaces every run of 32 hexadecimal digits (a request id) and a port after `127.0.0.1:`.
fn normalise(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        if hex == 32 {
            out.push_str("<request-id>");
            rest = &rest[32..];
        } else if let Some(after) = rest.strip_prefix("127.0.0.1:") {
            let digits = after.bytes().take_while(u8::is_ascii_digit).count();
            out.push_str("127.0.0.1:PORT");
            rest = &after[digits..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[test]
fn a_refused_signature() {
    let server = ServeProcess::start(&["--ak", "TESTAK", "--sk", "right-secret"]);
    let keys = [("HUAWEICLOUD_SDK_AK", "TESTAK"), ("HUAWEICLOUD_SDK_SK", "wrong-secret")];
    let args = ["backups", "list", "--endpoint", &server.url, "--project-id", PROJECT];
    insta::assert_snapshot!("error_401", failure(&args, &keys, &server.url));
}

#[test]
fn throttling_that_outlasts_the_retries() {
    let server = ServeProcess::start(&["--faults", "429", "--fault-rate", "1"]);
    let args =
        ["backups", "list", "--endpoint", &server.url, "--project-id", PROJECT, "--retries", "1"];
    insta::assert_snapshot!("error_429", failure(&args, &[], &server.url));
}

#[test]
fn a_refused_connection() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let args = ["backups", "list", "--endpoint", &url, "--project-id", PROJECT, "--retries", "0"];
    insta::assert_snapshot!("error_refused", failure(&args, &[], &url));
}

#[test]
fn a_walk_cut_short_says_how_to_carry_on() {
    // Given an emulator that fails every request after the first two, when --all is walked 100
    // at a time, then the message names the marker to carry on from.
    let server =
        ServeProcess::start(&["--faults", "503", "--fault-rate", "1", "--fault-after", "2"]);
    let args = [
        "backups",
        "list",
        "--endpoint",
        &server.url,
        "--project-id",
        PROJECT,
        "--all",
        "--limit",
        "100",
        "--retries",
        "0",
        "-o",
        "ndjson",
    ];
    let out = Command::new(cbr_bin()).args(args).stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let printed: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(cbr_e2e::json).collect();
    assert_eq!(printed.len(), 200);
    let last = printed[199]["id"].as_str().unwrap();
    assert!(stderr.contains(&format!("repeat with --marker {last}")), "{stderr}");
}
