//! Project automation, run as `cargo xtask <command>`:
//!
//! - `test`: the whole test suite as CI runs it: prepares the official Python SDK (the peer of
//!   the differential tests) in a virtual environment, then runs `cargo test --workspace`.
//! - `peer`: only prepares that virtual environment and prints its Python interpreter.
//! - `codegen [--check]`: renders `spec/cbr/list_backups.json` into cbr-model's generated code;
//!   `--check` only compares and names every stale file.
//! - `bench [--quick] [--scenario P1|P2|P3|P4]`: our CLI against the official SDK on the
//!   emulator; writes `docs/benchmarks.md` (see `docs/benchmarks.md` for the method).

mod bench;
mod codegen;
mod peer;

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("peer") => peer::ensure().map(|python| println!("{}", python.display())),
        Some("codegen") => codegen::run(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        _ => Err("usage: cargo xtask test [<cargo test arguments>] | cargo xtask peer \
                  | cargo xtask codegen [--check] \
                  | cargo xtask bench [--quick] [--scenario P1..P4]"
            .into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::from(1)
        }
    }
}

/// Runs every test of the workspace with the peer available; extra arguments go to
/// `cargo test`.
fn test(extra: &[String]) -> Result<(), String> {
    let python = peer::ensure()?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["test", "--workspace"])
        .args(extra)
        .env("CBR_PEER_PYTHON", &python)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("cargo test failed ({status})")) }
}
