//! Helpers for the end-to-end tests: find the built `cbr` binary, run it, and start
//! `cbr emulator serve` as a separate process.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

/// The project id of the documented dataset.
pub const PROJECT: &str = "0605767b5780d5762fc5c0118072a564";

/// The built `cbr` binary: `$CBR_BIN`, else `cbr` in the same target folder as this test.
///
/// `cargo test --workspace` builds it before any test runs, because `cbr-cli` has
/// integration tests of its own.
#[must_use]
pub fn cbr_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("CBR_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/deps/<test> → target/<profile>/cbr
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).map(PathBuf::from);
    let bin = profile_dir.unwrap_or_default().join(format!("cbr{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "{} not found: build it with `cargo build -p cbr-cli`", bin.display());
    bin
}

/// Runs `cbr` with `args` (no stdin) and returns its output.
#[must_use]
pub fn cbr(args: &[&str]) -> Output {
    Command::new(cbr_bin())
        .args(args)
        .env_remove("HUAWEICLOUD_SDK_PROJECT_ID")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run cbr: {e}"))
}

/// Runs `cbr`, requires success, and returns stdout as text.
#[must_use]
pub fn cbr_ok(args: &[&str]) -> String {
    let out = cbr(args);
    assert!(
        out.status.success(),
        "cbr {args:?} failed with {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap_or_else(|e| panic!("stdout is not UTF-8: {e}"))
}

/// Parses the JSON output of `cbr … -o json`.
#[must_use]
pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A `cbr emulator serve` process, killed when dropped.
pub struct ServeProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl ServeProcess {
    /// Starts `cbr emulator serve --addr 127.0.0.1:0` plus `extra` flags and waits for its
    /// `listening on` line.
    #[must_use]
    pub fn start(extra: &[&str]) -> Self {
        Self::spawn(extra, Stdio::inherit())
    }

    /// Starts the emulator with its stderr going to `stderr` and waits for `listening on`.
    fn spawn(extra: &[&str], stderr: Stdio) -> Self {
        let mut child = Command::new(cbr_bin())
            .args(["emulator", "serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the emulator: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap_or_else(|e| panic!("{e}"));
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { child, url }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The official Python SDK's listing script (`shared/peer/peer_list.py`, beside the checkout)
/// and the interpreter of the virtual environment `cargo xtask test` prepared.
pub struct Peer {
    python: PathBuf,
    script: PathBuf,
}

impl Peer {
    /// The peer, or `None` (with a note on stderr) when it is not installed. Under CI
    /// (`CI=true`) a missing peer fails the test instead: there it must always run.
    #[must_use]
    pub fn find() -> Option<Self> {
        let script = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/peer"))
            .join("peer_list.py");
        let python = std::env::var_os("CBR_PEER_PYTHON").map(PathBuf::from);
        match python {
            Some(python) if python.exists() && script.exists() => Some(Self { python, script }),
            _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("the official SDK peer is missing under CI: run `cargo xtask test`")
            }
            _ => {
                eprintln!(
                    "skipped: the official SDK peer is not installed; run `cargo xtask test`"
                );
                None
            }
        }
    }

    /// Runs `peer_list.py` with `args`, with a throwaway `HOME` (importing the SDK writes
    /// `$HOME/.huaweicloud/application_id`) and no proxy for loopback.
    #[must_use]
    pub fn run(&self, args: &[&str]) -> Output {
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        Command::new(&self.python)
            .arg(&self.script)
            .args(args)
            .env("HOME", home.path())
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY")
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run the peer: {e}"))
    }
}

/// Environment variables through which credentials or a project id reach `cbr`.
pub const CREDENTIAL_VARIABLES: &[&str] = &[
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
    "CBR_AUTH_TOKEN",
];

/// Runs `cbr` with `args` and no credentials but those in `env`: every
/// [`CREDENTIAL_VARIABLES`] entry and `RUST_LOG` are removed, and `HOME` is a fresh empty
/// directory, so no real credentials file is read.
#[must_use]
pub fn cbr_isolated(args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    let mut command = Command::new(cbr_bin());
    command.args(args).env("HOME", home.path()).env_remove("RUST_LOG").stdin(Stdio::null());
    for name in CREDENTIAL_VARIABLES {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().unwrap_or_else(|e| panic!("cannot run cbr: {e}"))
}

impl ServeProcess {
    /// Like [`ServeProcess::start`], but the emulator's stderr (its log) goes to the file
    /// `log` instead of the test's output; put `-v` flags into `extra` for more of it.
    #[must_use]
    pub fn start_logged(extra: &[&str], log: &std::path::Path) -> Self {
        let log_file = std::fs::File::create(log).unwrap_or_else(|e| panic!("log file: {e}"));
        Self::spawn(extra, Stdio::from(log_file))
    }
}
