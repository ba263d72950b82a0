//! `cbr`: list Huawei Cloud CBR backups from a terminal or a script.
//!
//! Exit codes: 0 success (also when nothing matches), 1 service or transport error, 2 usage
//! error (nothing was sent).

// The flags' doc comments are also their `--help` text, where a bare URL reads best.
#![allow(rustdoc::bare_urls)]

mod args;
mod connect;
mod list;
mod output;
mod serve;
mod summary;

use std::process::ExitCode;

use clap::Parser as _;

use crate::args::{BackupsCommand, Cli, Command, EmulatorCommand};

/// How a command failed, which decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad input; nothing was sent. Exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The service or the network failed. Exit code 1.
    #[error("{0}")]
    Runtime(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let quiet = matches!(&cli.command, Command::Backups(BackupsCommand::List(args)) if args.quiet);
    init_tracing(cli.verbose, quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Backups(BackupsCommand::List(args)) => list::run(*args).await,
            Command::Backups(BackupsCommand::Summary(args)) => summary::run(*args).await,
            Command::Completions { shell } => {
                let mut command = <Cli as clap::CommandFactory>::command();
                clap_complete::generate(shell, &mut command, "cbr", &mut std::io::stdout());
                Ok(())
            }
            Command::Emulator(EmulatorCommand::Serve(args)) => serve::run(args).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// A service or network error as the operator reads it: the error (status, code, message,
/// request id and, for the common codes, a hint) plus a hint for network failures.
pub fn explain(error: &cbr_api::Error) -> Failure {
    let hint = match error {
        cbr_api::Error::Transport { source, .. } if source.is_connect() => Some(
            "nothing answered there: check --endpoint or --region, the network, and proxy \
             settings (HTTPS_PROXY, NO_PROXY)",
        ),
        cbr_api::Error::Transport { source, .. } if source.is_timeout() => {
            Some("no answer in time: raise --timeout, or check the network")
        }
        cbr_api::Error::UnexpectedBody { .. } => {
            Some("something other than the CBR API answered: check --endpoint and proxies")
        }
        _ => None,
    };
    match hint {
        Some(hint) => Failure::Runtime(format!("{error}; hint: {hint}")),
        None => Failure::Runtime(error.to_string()),
    }
}

/// Logs to stderr: warnings by default (errors only with `--quiet`), more with each `-v`;
/// `RUST_LOG` overrides.
fn init_tracing(verbose: u8, quiet: bool) {
    let level = match verbose {
        0 if quiet => "error",
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(console::Term::stderr().is_term())
        .init();
}
