//! The `cbr` output formats and `summary`, through the built binary and the in-process
//! emulator's `documented` dataset (deterministic, so the outputs can be pinned).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Read as _;
use std::process::{Command, Stdio};

use cbr_e2e::{cbr, cbr_bin, cbr_ok, json};
use serde_json::Value;

const FIRST_THREE: [&str; 6] = ["backups", "list", "--emulator", "--limit", "3", "--quiet"];

#[test]
fn every_output_format_is_pinned() {
    for format in ["table", "json", "ndjson", "csv"] {
        let out = cbr_ok(&[&FIRST_THREE[..], &["-o", format]].concat());
        insta::assert_snapshot!(format!("list_{format}"), out);
    }
    let chosen =
        cbr_ok(&[&FIRST_THREE[..], &["-o", "csv", "--fields", "name,id,resource_size"]].concat());
    insta::assert_snapshot!("list_csv_fields", chosen);
}

#[test]
fn csv_reads_back_to_the_values_of_json() {
    // Given the same listing as json and as csv with every field, when the csv is parsed, then
    // each cell equals the json value (text as sent; numbers and booleans as their text).
    let query = ["backups", "list", "--emulator", "--all", "--max-items", "300"];
    let listed = json(&cbr_ok(&[&query[..], &["-o", "json"]].concat()));
    let csv_text = cbr_ok(&[&query[..], &["-o", "csv"]].concat());
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let backups = listed["backups"].as_array().unwrap();
    assert_eq!(rows.len(), backups.len());
    assert_eq!(rows.len(), 300);
    for (row, backup) in rows.iter().zip(backups) {
        for (name, cell) in headers.iter().zip(row) {
            let expected = match &backup[name] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Array(items) if name == "children" => items.len().to_string(),
                other => other.to_string(),
            };
            assert_eq!(cell, expected, "{name} of {}", backup["id"]);
        }
    }
}

#[test]
fn summary_totals_equal_sums_over_the_listing() {
    let everything = cbr_ok(&["backups", "list", "--emulator", "--all", "-o", "ndjson"]);
    let backups: Vec<Value> = everything.lines().map(json).collect();
    for by in ["resource_type", "status", "vault_id", "resource_az", "resource_id"] {
        let mut expected: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for backup in &backups {
            let key = backup[by].as_str().unwrap_or("-").to_owned();
            let entry = expected.entry(key).or_default();
            entry.0 += 1;
            entry.1 += backup["resource_size"].as_u64().unwrap_or(0);
        }
        let summary =
            json(&cbr_ok(&["backups", "summary", "--emulator", "--by", by, "-o", "json"]));
        let got: BTreeMap<String, (u64, u64)> = summary["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let key = g[by].as_str().unwrap().to_owned();
                (key, (g["count"].as_u64().unwrap(), g["resource_size"].as_u64().unwrap()))
            })
            .collect();
        assert_eq!(got, expected, "--by {by}");
        assert_eq!(summary["count"], backups.len());
    }
}

#[test]
fn summary_finds_the_newest_and_the_unprotected() {
    let latest = json(&cbr_ok(&["backups", "summary", "--emulator", "--latest", "-o", "json"]));
    let latest = latest["latest"].as_array().unwrap();
    assert!(latest.len() > 10);
    for entry in latest {
        assert_eq!(entry["backup"]["resource_id"], entry["resource_id"]);
    }
    // As of the day after the newest documented backup, with 30 days allowed, some resources
    // are stale or failed, and every one listed really is.
    let report = json(&cbr_ok(&[
        "backups",
        "summary",
        "--emulator",
        "--stale-after",
        "30d",
        "--now",
        "2020-08-19",
        "-o",
        "json",
    ]));
    let resources = report["resources"].as_array().unwrap();
    assert!(!resources.is_empty());
    for resource in resources {
        match resource["problem"].as_str().unwrap() {
            "stale" => assert!(resource["newest_available_at"].as_str().unwrap() < "2020-07-20"),
            "all_error" | "none_available" => {}
            other => panic!("unexpected problem {other}"),
        }
    }
    let table = cbr_ok(&[
        "backups",
        "summary",
        "--emulator",
        "--stale-after",
        "30d",
        "--now",
        "2020-08-19",
    ]);
    assert!(table.contains("unprotected"), "{table}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let script = cbr_ok(&["completions", shell]);
        assert!(script.contains("backups"), "{shell}");
    }
    assert_eq!(cbr(&["completions", "tcsh"]).status.code(), Some(2));
}

/// Stdout of `cbr` as ndjson lines.
fn ndjson_lines(args: &[&str]) -> Vec<Value> {
    cbr_ok(args).lines().map(json).collect()
}

#[test]
fn a_closed_pipe_ends_quietly_with_success() {
    // Given a reader that goes away after a few bytes (like `| head -c 64`), when cbr writes a
    // long output in any format, then it exits 0 and says nothing on stderr.
    for command in [
        &["backups", "list", "--emulator", "--all", "-o", "ndjson"][..],
        &["backups", "list", "--emulator", "--all", "-o", "table"][..],
        &["backups", "list", "--emulator", "--all", "-o", "csv"][..],
        &["backups", "summary", "--emulator", "--by", "resource_id", "-o", "csv"][..],
    ] {
        let mut child = Command::new(cbr_bin())
            .args(command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let mut head = [0u8; 64];
        stdout.read_exact(&mut head).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{command:?}: {stderr}");
        assert!(stderr.is_empty(), "{command:?}: {stderr}");
    }
}

#[test]
fn every_strategy_starts_where_it_is_told() {
    // Given the documented 1663 backups, when a walk starts at offset 1660 or after the
    // 1660th backup, then exactly the last three come out, whatever the strategy.
    let all = ndjson_lines(&["backups", "list", "--emulator", "--all", "-o", "ndjson"]);
    let last_three: Vec<&Value> = all[1660..].iter().map(|b| &b["id"]).collect();
    for strategy in ["marker", "offset", "concurrent"] {
        let walk = ["backups", "list", "--emulator", "--all", "--strategy", strategy];
        let from_offset =
            ndjson_lines(&[&walk[..], &["--offset", "1660", "-o", "ndjson"]].concat());
        assert_eq!(
            from_offset.iter().map(|b| &b["id"]).collect::<Vec<_>>(),
            last_three,
            "{strategy}"
        );
    }
    let marker = all[1659]["id"].as_str().unwrap();
    let after = ndjson_lines(&[
        "backups",
        "list",
        "--emulator",
        "--all",
        "--marker",
        marker,
        "-o",
        "ndjson",
    ]);
    assert_eq!(after.iter().map(|b| &b["id"]).collect::<Vec<_>>(), last_three);
    let capped = ndjson_lines(&[
        "backups",
        "list",
        "--emulator",
        "--max-items",
        "2",
        "--offset",
        "1660",
        "-o",
        "ndjson",
    ]);
    assert_eq!(capped.iter().map(|b| &b["id"]).collect::<Vec<_>>(), last_three[..2]);
}

#[test]
fn what_people_type_means_what_they_mean() {
    // A bare --end-time date is the whole day: the same day as start and end selects it.
    let day = json(&cbr_ok(&[
        "backups",
        "list",
        "--emulator",
        "--start-time",
        "2020-08-17",
        "--end-time",
        "2020-08-17",
        "-o",
        "json",
    ]));
    let everything = ndjson_lines(&["backups", "list", "--emulator", "--all", "-o", "ndjson"]);
    let on_the_day = everything
        .iter()
        .filter(|b| b["created_at"].as_str().unwrap_or_default().starts_with("2020-08-17"))
        .count();
    assert!(on_the_day > 0);
    assert_eq!(day["count"], on_the_day);
    // A documented value in another case is the documented value.
    let shouted =
        json(&cbr_ok(&["backups", "list", "--emulator", "--status", "Available", "-o", "json"]));
    let quiet =
        json(&cbr_ok(&["backups", "list", "--emulator", "--status", "available", "-o", "json"]));
    assert_eq!(shouted["count"], quiet["count"]);
    // An age needs a unit; --fields only applies where there are columns.
    for args in [
        &["backups", "summary", "--emulator", "--stale-after", "7"][..],
        &["backups", "list", "--emulator", "-o", "json", "--fields", "id"][..],
    ] {
        let out = cbr(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
