//! The documented queries, end to end through the built `cbr` binary and the emulator, both
//! in-process (`--emulator`) and as a separate `cbr emulator serve` process.

use std::collections::HashSet;
use std::net::TcpListener;

use cbr_e2e::{PROJECT, ServeProcess, cbr, cbr_ok, json};
use serde_json::Value;

const SEED_1: &str = include_str!("../../crates/cbr-model/tests/fixtures/seed_list_1.json");
const SEED_2: &str = include_str!("../../crates/cbr-model/tests/fixtures/seed_list_2.json");

fn backups(page: &Value) -> &Vec<Value> {
    page["backups"].as_array().unwrap_or_else(|| panic!("no backups array in {page}"))
}

/// Every key and value of `expected` is in `actual`.
fn assert_contains(expected: &Value, actual: &Value, path: &str) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                let here = format!("{path}.{key}");
                let other = a.get(key).unwrap_or_else(|| panic!("{here} is missing"));
                assert_contains(value, other, &here);
            }
        }
        _ => assert_eq!(expected, actual, "{path}"),
    }
}

fn check_documented_queries(connection: &[&str]) {
    // Given the documented dataset, when the seed's first request is made, then count is the
    // total and the page holds exactly the limit.
    let args = [connection, &["--limit", "100", "--offset", "0", "-o", "json"]].concat();
    let page = json(&cbr_ok(&args));
    assert_eq!(page["count"], 1663);
    assert_eq!(backups(&page).len(), 100);

    // The seed's second request: servers only, a page of 5.
    let args = [
        connection,
        &["--resource-type", "OS::Nova::Server", "--limit", "5", "--offset", "0", "-o", "json"],
    ]
    .concat();
    let servers = json(&cbr_ok(&args));
    assert_eq!(servers["count"], 150);
    assert_eq!(backups(&servers).len(), 5);
    assert!(backups(&servers).iter().all(|b| b["resource_type"] == "OS::Nova::Server"));

    // Every server backup, across pages, each once.
    let args =
        [connection, &["--all", "--resource-type", "OS::Nova::Server", "-o", "ndjson"]].concat();
    let lines: Vec<Value> = cbr_ok(&args).lines().map(json).collect();
    assert_eq!(lines.len(), 150);
    let ids: HashSet<&str> = lines.iter().filter_map(|b| b["id"].as_str()).collect();
    assert_eq!(ids.len(), 150);

    // Both documented backups come out with every field and value of the seed.
    let args = [connection, &["--all", "-o", "ndjson"]].concat();
    let everything: Vec<Value> = cbr_ok(&args).lines().map(json).collect();
    assert_eq!(everything.len(), 1663);
    for seed in [SEED_1, SEED_2] {
        let page = json(seed);
        let documented = &backups(&page)[0];
        let found = everything
            .iter()
            .find(|b| b["id"] == documented["id"])
            .unwrap_or_else(|| panic!("{} not listed", documented["id"]));
        assert_contains(documented, found, "backup");
        assert!(found["extend_info"]["app_consistency"].is_object());
        assert_eq!(found["extend_info"]["architecture"], "x86_64");
    }
}

#[test]
fn documented_queries_against_the_in_process_emulator() {
    check_documented_queries(&["backups", "list", "--emulator"]);
}

#[test]
fn documented_queries_against_a_separate_emulator_process() {
    let server = ServeProcess::start(&[]);
    check_documented_queries(&[
        "backups",
        "list",
        "--endpoint",
        &server.url,
        "--project-id",
        PROJECT,
    ]);
}

#[test]
fn invalid_flags_exit_2_naming_the_flag_and_send_nothing() {
    // Given a listener that would see any request, when cbr is given bad values, then it exits
    // with 2, names the flag and the rule, and never connects.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    listener.set_nonblocking(true).unwrap_or_else(|e| panic!("{e}"));
    let endpoint = format!("http://{}", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
    let cases: [(&[&str], &str, &str); 4] = [
        (&["--limit", "0"], "--limit", "1..=1000"),
        (&["--limit", "abc"], "--limit", "invalid digit"),
        (&["--sort", "bogus_key"], "--sort", "unknown sort key"),
        (&["--start-time", "2024-03-02", "--end-time", "2024-03-01"], "--start-time", "<="),
    ];
    for (flags, flag, rule) in cases {
        let args =
            [&["backups", "list", "--endpoint", &endpoint, "--project-id", "p"], flags].concat();
        let out = cbr(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(flag), "{flags:?}: {stderr}");
        assert!(stderr.contains(rule), "{flags:?}: {stderr}");
    }
    assert!(listener.accept().is_err(), "a request was sent");
}

#[test]
fn a_single_page_says_how_to_fetch_the_next() {
    let out = cbr(&["backups", "list", "--emulator", "--limit", "10", "-o", "ndjson"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--offset 10"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 10);
}

#[test]
fn the_table_shows_the_key_columns() {
    let table = cbr_ok(&[
        "backups",
        "list",
        "--emulator",
        "--resource-type",
        "OS::Nova::Server",
        "--limit",
        "5",
    ]);
    let mut lines = table.lines();
    let header = lines.next().unwrap_or_default();
    for column in ["ID", "NAME", "RESOURCE TYPE", "STATUS", "SIZE (GB)", "CREATED (UTC)"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(table.contains("c892ed58-3a18-47c2-9e31-a1d543dc490a"), "{table}");
    assert!(table.trim_end().ends_with("5 of 150 backups"), "{table}");
}
