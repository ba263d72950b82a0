//! `cbr emulator serve`: the emulator as its own process.

use std::io::Write as _;

use cbr_emulator::{Dataset, Emulator};

use crate::Failure;
use crate::args::{DatasetArg, ServeArgs};

/// Runs the emulator until Ctrl-C, after printing `listening on http://HOST:PORT`.
pub async fn run(args: ServeArgs) -> Result<(), Failure> {
    let mut dataset = match args.dataset {
        DatasetArg::Documented => Dataset::documented(),
        DatasetArg::Generated => Dataset::generated(args.backups, args.seed),
    };
    if let Some(project_id) = args.project_id {
        dataset = dataset.with_project_id(project_id);
    }
    let running = Emulator::new(dataset)
        .bind(args.addr)
        .await
        .map_err(|e| Failure::Runtime(format!("cannot listen on {}: {e}", args.addr)))?;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening on {}", running.base_url());
    let _ = stdout.flush();
    drop(stdout);
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    Ok(())
}
