//! Project automation, run as `cargo xtask <command>`:
//!
//! - `test`: the whole test suite, exactly as CI runs it (`cargo test --workspace`).

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        _ => {
            eprintln!("usage: cargo xtask test [-- <cargo test arguments>]");
            ExitCode::from(2)
        }
    }
}

/// Runs every test of the workspace; extra arguments go to `cargo test`.
fn test(extra: &[String]) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo).args(["test", "--workspace"]).args(extra).status();
    match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("xtask: cargo test failed ({status})");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("xtask: cannot run cargo: {e}");
            ExitCode::from(1)
        }
    }
}
