//! The help text of every command, pinned: a change to a flag shows up in review.

use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cbr"))
        .args(args)
        .arg("--help")
        .env("COLUMNS", "100")
        .output()
        .unwrap_or_else(|e| panic!("cannot run cbr: {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_of_every_command() {
    insta::assert_snapshot!("cbr", help(&[]));
    insta::assert_snapshot!("backups_list", help(&["backups", "list"]));
    insta::assert_snapshot!("emulator_serve", help(&["emulator", "serve"]));
    insta::assert_snapshot!("backups", help(&["backups"]));
    insta::assert_snapshot!("backups_summary", help(&["backups", "summary"]));
    insta::assert_snapshot!("emulator", help(&["emulator"]));
    insta::assert_snapshot!("completions", help(&["completions"]));
}

#[test]
fn list_help_groups_filters_under_a_heading() {
    let text = help(&["backups", "list"]);
    let filters = text.find("Filters:").unwrap_or_else(|| panic!("no Filters heading:\n{text}"));
    assert!(text[filters..].contains("--resource-type"));
    assert!(text[filters..].contains("--status"));
}
