//! `--record` and `--replay`: a listing captured from the emulator replays offline to the same
//! output, with no secret in the file, and a different query is refused naming the interaction.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use cbr_e2e::{PROJECT, cbr, cbr_ok};

#[test]
fn a_recorded_walk_replays_to_the_same_output() {
    let dir = tempfile::tempdir().unwrap();
    let cassette = dir.path().join("walk.json");
    let cassette = cassette.to_str().unwrap();
    let query = ["--resource-type", "OS::Nova::Server", "--all", "--limit", "40", "-o", "ndjson"];

    // Given a walk recorded against the (signing) in-process emulator,
    let live =
        cbr_ok(&[&["backups", "list", "--emulator", "--record", cassette], &query[..]].concat());
    assert_eq!(live.lines().count(), 150);
    let text = std::fs::read_to_string(cassette).unwrap();
    assert_eq!(text.matches("\"uri\"").count(), 4, "4 pages of 40");
    assert!(text.contains("<redacted>"));
    assert!(!text.contains("cbr-emulator-demo-secret"), "the secret key reached the cassette");

    // when it is replayed offline with the same query, then the output is identical;
    let offline =
        ["backups", "list", "--endpoint", "https://cbr.example.invalid", "--project-id", PROJECT];
    let replayed = cbr_ok(&[&offline[..], &["--replay", cassette], &query[..]].concat());
    assert_eq!(replayed, live);

    // with another query, the first request that differs is named by its index.
    let other = cbr(&[
        &offline[..],
        &["--replay", cassette, "--retries", "0", "--status", "error"],
        &query[..],
    ]
    .concat());
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert_eq!(other.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("interaction 0") || stderr.contains("index 0"), "{stderr}");
}
