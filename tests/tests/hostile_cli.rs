//! Hostile command-line values, table-driven, through the built binary: each is refused with
//! exit code 2 and a message naming the flag, nothing panics, and nothing is sent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsString;
use std::net::TcpListener;
use std::os::unix::ffi::OsStringExt as _;
use std::process::{Command, Stdio};

use cbr_e2e::cbr_bin;

fn cases() -> Vec<(Vec<OsString>, &'static str)> {
    let text = |args: &[&str]| args.iter().map(OsString::from).collect::<Vec<_>>();
    let long_name = "n".repeat(10 * 1024);
    let mut cases = vec![
        (text(&["--limit", "0"]), "--limit"),
        (text(&["--limit", "1001"]), "--limit"),
        (text(&["--limit", "-5"]), "--limit"),
        (text(&["--limit", "99999999999999999999"]), "--limit"),
        (text(&["--limit", "abc"]), "--limit"),
        (text(&["--limit", ""]), "--limit"),
        (text(&["--limit", "1.5"]), "--limit"),
        (text(&["--offset", "-1"]), "--offset"),
        (text(&["--offset", "1e3"]), "--offset"),
        (text(&["--offset", "18446744073709551616"]), "--offset"),
        (text(&["--max-items", "-1"]), "--max-items"),
        (text(&["--max-items", "many"]), "--max-items"),
        (text(&["--used-percent", "0"]), "--used-percent"),
        (text(&["--used-percent", "101"]), "--used-percent"),
        (text(&["--used-percent", "50%"]), "--used-percent"),
        (text(&["--sort", "bogus_key"]), "--sort"),
        (text(&["--sort", "created_at:desc&limit=1"]), "--sort"),
        (text(&["--sort", "name:up"]), "--sort"),
        (text(&["--sort", ""]), "--sort"),
        (text(&["--sort", ",,"]), "--sort"),
        (text(&["--sort", &"id,".repeat(200)]), "--sort"),
        (text(&["--start-time", "yesterday"]), "--start-time"),
        (text(&["--start-time", "2024-02-30"]), "--start-time"),
        (text(&["--end-time", "2024-03-01T25:00:00Z"]), "--end-time"),
        (text(&["--start-time", "2024-03-02", "--end-time", "2024-03-01"]), "--start-time"),
        (text(&["--name", &long_name]), "--name"),
        (text(&["--incremental", "yes"]), "--incremental"),
        (text(&["--dec", "1"]), "--dec"),
        (text(&["--show-replication", "maybe"]), "--show-replication"),
        (text(&["--timeout", "0"]), "--timeout"),
        (text(&["--timeout", "-1s"]), "--timeout"),
        (text(&["--timeout", "30 parsecs"]), "--timeout"),
        (text(&["--timeout", "NaN"]), "--timeout"),
        (text(&["--concurrency", "0"]), "--concurrency"),
        (text(&["--concurrency", "100000"]), "--concurrency"),
        (text(&["--strategy", "random"]), "--strategy"),
        (text(&["-o", "xml"]), "--output"),
        (text(&["--fields", "id,bogus"]), "--fields"),
        (text(&["--fields", ""]), "--fields"),
        (text(&["--offset", "5", "--marker", "m"]), "--marker"),
    ];
    // Arguments that are not UTF-8 at all.
    for flag in ["--name", "--resource-type", "--vault-id", "--status"] {
        cases.push((vec![OsString::from(flag), OsString::from_vec(vec![0x66, 0xff, 0xfe])], flag));
    }
    cases
}

#[test]
fn hostile_values_are_refused_before_anything_is_sent() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let cases = cases();
    for (values, flag) in &cases {
        let out = Command::new(cbr_bin())
            .args(["backups", "list", "--endpoint", &endpoint, "--project-id", "p"])
            .args(values)
            .env_remove("HUAWEICLOUD_SDK_PROJECT_ID")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{values:?}: {stderr}");
        assert!(stderr.contains(flag), "{values:?} should name {flag}: {stderr}");
        assert!(!stderr.contains("panicked"), "{values:?}: {stderr}");
        assert!(stderr.len() < 4096, "{values:?}: a {} byte message", stderr.len());
    }
    assert!(listener.accept().is_err(), "a request was sent");
    println!("hostile command-line values: {} cases, all refused, none sent", cases.len());
    assert!(cases.len() >= 40);
}

#[test]
fn control_characters_in_values_are_sent_encoded_not_refused() {
    // A name with control characters is a legal filter: it is percent-encoded on the wire and
    // simply matches nothing.
    let out =
        cbr_e2e::cbr(&["backups", "list", "--emulator", "--name", "a\u{1}\u{7f}\nb", "-o", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(cbr_e2e::json(&String::from_utf8_lossy(&out.stdout))["count"], 0);
}
