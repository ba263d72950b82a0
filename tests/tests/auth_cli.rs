//! Authentication end to end through the built `cbr` binary: `cbr emulator serve --ak --sk`
//! checks every signature like the API gateway, and `cbr backups list` takes its keys from
//! the environment or the credentials file.

use std::collections::HashSet;
use std::process::Output;

use cbr_e2e::{PROJECT, ServeProcess, cbr_isolated, json};
use serde_json::Value;

const AK: &str = "AKE2EAUTHCLI00001";
const SK: &str = "sk-e2e-auth-cli-secret";
const IAM_TOKEN: &str = "iam-token-e2e-auth-cli";

fn keys(sk: &str) -> Vec<(&'static str, String)> {
    vec![("HUAWEICLOUD_SDK_AK", AK.to_owned()), ("HUAWEICLOUD_SDK_SK", sk.to_owned())]
}

fn run(args: &[&str], env: &[(&str, String)]) -> Output {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    cbr_isolated(args, &env)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The CLI failed with exit code 1 because the service refused the credentials, and said
/// what to check.
fn assert_refused(out: &Output) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("401") && err.contains("APIGW.0301"), "{err}");
    assert!(err.contains("secret key") && err.contains("15 minutes"), "no hint: {err}");
    assert!(stdout(out).is_empty(), "{}", stdout(out));
}

#[test]
fn keys_from_the_environment_list_every_documented_backup() {
    // Given an emulator that checks signatures, and its keys in the environment.
    let server = ServeProcess::start(&["--ak", AK, "--sk", SK]);

    // When every backup is listed.
    let args = ["backups", "list", "--endpoint", &server.url, "--project-id", PROJECT];
    let out = run(&[&args[..], &["--all", "-o", "ndjson"]].concat(), &keys(SK));

    // Then all 1663 documented backups arrive, each once.
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out).lines().map(json).collect();
    assert_eq!(lines.len(), 1663);
    let ids: HashSet<&str> = lines.iter().filter_map(|b| b["id"].as_str()).collect();
    assert_eq!(ids.len(), 1663);
}

#[test]
fn keys_and_project_id_from_the_credentials_file() {
    // Given the official INI file named by HUAWEICLOUD_SDK_CREDENTIALS_FILE, and no flags
    // but the endpoint.
    let server = ServeProcess::start(&["--ak", AK, "--sk", SK]);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = dir.path().join("credentials");
    let text = format!("# test\n[basic]\nak = {AK}\nsk = {SK}\nproject_id = {PROJECT}\n");
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let env = [("HUAWEICLOUD_SDK_CREDENTIALS_FILE", file.display().to_string())];

    // When one page is listed.
    let out =
        run(&["backups", "list", "--endpoint", &server.url, "--limit", "5", "-o", "json"], &env);

    // Then the file's keys sign and its project id is the one in the path.
    assert!(out.status.success(), "{}", stderr(&out));
    let page = json(&stdout(&out));
    assert_eq!(page["count"], 1663);
    assert_eq!(page["backups"].as_array().map(Vec::len), Some(5));
}

#[test]
fn a_wrong_secret_key_is_refused_with_a_hint() {
    let server = ServeProcess::start(&["--ak", AK, "--sk", SK]);
    let args = ["backups", "list", "--endpoint", &server.url, "--project-id", PROJECT];

    let wrong = run(&args, &keys("sk-e2e-auth-cli-WRONG"));
    let unknown_ak = run(
        &args,
        &[("HUAWEICLOUD_SDK_AK", "AKUNKNOWN".into()), ("HUAWEICLOUD_SDK_SK", SK.into())],
    );
    let unsigned = run(&args, &[]);

    assert_refused(&wrong);
    assert_refused(&unknown_ak);
    assert_refused(&unsigned);
}

#[test]
fn the_built_in_emulator_checks_signatures_and_the_cli_passes() {
    // Given --emulator, whose emulator verifies signatures with its demo keys, and
    // unrelated keys in the environment that must not be used.
    let args = ["backups", "list", "--emulator", "--all", "-o", "ndjson"];

    let out = run(&args, &keys("sk-not-for-the-emulator"));

    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1663);
}

#[test]
fn an_iam_token_is_sent_instead_of_a_signature() {
    let server = ServeProcess::start(&["--ak", AK, "--sk", SK, "--token", IAM_TOKEN]);
    let args = ["backups", "list", "--endpoint", &server.url, "--project-id", PROJECT];
    let args = [&args[..], &["--limit", "3", "-o", "json"]].concat();

    let good = run(&args, &[("CBR_AUTH_TOKEN", IAM_TOKEN.into())]);
    let bad = run(&args, &[("CBR_AUTH_TOKEN", "iam-token-e2e-WRONG".into())]);

    assert!(good.status.success(), "{}", stderr(&good));
    assert_eq!(json(&stdout(&good))["count"], 1663);
    assert_eq!(bad.status.code(), Some(1), "{}", stderr(&bad));
    assert!(stderr(&bad).contains("APIGW.0301"), "{}", stderr(&bad));
}

#[test]
fn missing_or_blank_credentials_are_usage_errors_before_sending() {
    // A non-loopback endpoint that can never resolve: nothing may be sent, and nothing is.
    let remote = ["backups", "list", "--endpoint", "https://cbr.example.invalid"];
    let with_project = [&remote[..], &["--project-id", PROJECT]].concat();

    let no_keys = run(&with_project, &[]);
    let no_project = run(&remote, &keys(SK));
    let blank_sk = run(&with_project, &keys("  "));
    let half = run(&with_project, &[("HUAWEICLOUD_SDK_AK", AK.into())]);
    let blank_region = run(&["backups", "list", "--region", ""], &keys(SK));

    for (out, expected) in [
        (&no_keys, "no credentials for https://cbr.example.invalid: set HUAWEICLOUD_SDK_AK"),
        (&no_project, "missing project id: pass --project-id ID, set HUAWEICLOUD_SDK_PROJECT_ID"),
        (&blank_sk, "the secret key from environment variable HUAWEICLOUD_SDK_SK is empty"),
        (&half, "HUAWEICLOUD_SDK_AK is set but environment variable HUAWEICLOUD_SDK_SK is not"),
        (&blank_region, "--region: the region is empty"),
    ] {
        let err = stderr(out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(expected), "expected {expected:?} in {err}");
        assert!(!err.contains("//backups"), "{err}");
    }
}
