//! `cbr emulator serve`: the emulator as its own process, with its test knobs.

use std::io::Write as _;
use std::time::Duration;

use cbr_emulator::faults::Faults;
use cbr_emulator::{Dataset, Emulator, RequestLog};

use crate::Failure;
use crate::args::{DatasetArg, ServeArgs};

/// Runs the emulator until Ctrl-C, after printing `listening on http://HOST:PORT`.
pub async fn run(args: ServeArgs) -> Result<(), Failure> {
    let emulator = emulator(&args)?;
    let running = emulator
        .bind(args.addr)
        .await
        .map_err(|e| Failure::Runtime(format!("cannot serve on {}: {e}", args.addr)))?;
    let mut stdout = std::io::stdout().lock();
    // The address really bound, even when it is every interface (`base_url` would name the
    // loopback address for a client instead).
    let bound = running.local_addr();
    if bound.ip().is_unspecified() {
        tracing::warn!(
            "listening on every network interface: anyone who can reach this machine can list \
             the emulator's backups{}",
            if args.ak.is_some() { "" } else { " without credentials (add --ak/--sk)" }
        );
    }
    let _ = writeln!(stdout, "listening on http://{bound}");
    let _ = stdout.flush();
    drop(stdout);
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    Ok(())
}

/// The emulator the flags describe (nothing is loaded or bound yet).
fn emulator(args: &ServeArgs) -> Result<Emulator, Failure> {
    let knobs = &args.knobs;
    let mut emulator = match args.dataset {
        DatasetArg::Documented => Emulator::new(Dataset::documented()),
        // Built without holding the whole dataset: a million backups fit.
        DatasetArg::Generated => Emulator::generated(args.backups, args.seed),
    };
    if let Some(project_id) = &args.project_id {
        emulator = emulator.project_id(project_id);
    }
    if let (Some(ak), Some(sk)) = (&args.ak, &args.sk) {
        emulator = emulator.verify_signatures(ak, sk);
    }
    for token in &args.token {
        emulator = emulator.accept_token(token);
    }
    if knobs.fault_rate > 0.0 {
        let faults =
            Faults::random(knobs.fault_rate, knobs.faults.iter().copied(), knobs.fault_seed)
                .map_err(|e| Failure::Usage(format!("--fault-rate/--faults: {e}")))?
                .scripted(std::iter::repeat_n(None, knobs.fault_after));
        emulator = emulator.faults(faults);
    }
    emulator = emulator
        .latency(Duration::from_millis(knobs.latency_ms))
        .stall_for(Duration::from_millis(knobs.stall_ms))
        .churn(knobs.churn, knobs.churn_seed);
    if let Some(max) = knobs.max_limit {
        emulator = emulator.max_limit(max);
    }
    if let Some(path) = &knobs.request_log {
        let log = RequestLog::create(path).map_err(|e| {
            Failure::Usage(format!("--request-log: cannot create {}: {e}", path.display()))
        })?;
        emulator = emulator.request_log(log);
    }
    Ok(emulator)
}
