//! `cargo xtask bench`: our CLI and the official Python SDK against the same emulator, in
//! alternation, with medians, ratios and the goals of each scenario; writes
//! `docs/benchmarks.md` (or, with `--quick`, a report under `target/bench/`).
//!
//! - **P1 bulk**: wall time of a whole listing against the SDK's paging loop, and our CPU time
//!   per backup against a bare decode of the same page bytes.
//! - **P2 latency-bound**: the same under `--latency-ms`, against the ideal of a pipelined walk.
//! - **P3 memory**: peak RSS of a large listing, and how it grows with the listing.
//! - **P4 emulator**: round trips of filtered pages, timed from the harness.
//!
//! `--callgrind` instead runs P1 (smaller) under valgrind's callgrind and prints the functions
//! that execute the most instructions.

mod http;
mod process;
mod report;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cbr_model::{
    DOCUMENTED_PROJECT_ID, ListBackupsQuery, ListBackupsResponse, ResourceType, Sort, Status,
};

use crate::peer;
use http::Connection;
use process::{CbrRun, CbrRunner, EmulatorProcess, PeerRunner, Sink};
use report::{Figure, Report, Verdict};

/// Set on the release re-run of the harness, so it does not re-run itself again.
const RELEASE_RUN_VARIABLE: &str = "CBR_XTASK_BENCH_RELEASE";

/// Page size of every scenario (the service maximum).
const PAGE_SIZE: u32 = 1000;

/// Emulated latency of P2, per request.
const P2_LATENCY_MS: u64 = 50;

/// Pages in flight of P2's concurrent strategy.
const P2_IN_FLIGHT: u16 = 4;

/// How large and how long: the full benchmark or the quick check of the harness.
#[derive(Debug, Clone, Copy)]
struct Plan {
    quick: bool,
    /// Runs of each contender in P1 and P2.
    runs: usize,
    p1_backups: usize,
    p2_backups: usize,
    /// P3's small and large listing.
    p3_backups: (usize, usize),
    p3_runs: usize,
    p4_backups: usize,
    /// Timed requests per filter in P4.
    p4_requests: usize,
    /// Rounds of the in-process decode; the best counts.
    decode_rounds: usize,
    /// The longest any one child process may run.
    child_limit: Duration,
}

impl Plan {
    fn full() -> Self {
        Self {
            quick: false,
            runs: 5,
            p1_backups: 100_000,
            p2_backups: 20_000,
            p3_backups: (100_000, 1_000_000),
            p3_runs: 3,
            p4_backups: 1_000_000,
            p4_requests: 50,
            decode_rounds: 5,
            child_limit: Duration::from_secs(600),
        }
    }

    fn quick() -> Self {
        Self {
            quick: true,
            runs: 2,
            p1_backups: 5_000,
            p2_backups: 5_000,
            p3_backups: (5_000, 50_000),
            p3_runs: 1,
            p4_backups: 50_000,
            p4_requests: 10,
            decode_rounds: 2,
            child_limit: Duration::from_secs(90),
        }
    }
}

/// The scenarios, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    P1,
    P2,
    P3,
    P4,
}

impl Scenario {
    const ALL: [Self; 4] = [Self::P1, Self::P2, Self::P3, Self::P4];

    fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_uppercase().as_str() {
            "P1" => Ok(Self::P1),
            "P2" => Ok(Self::P2),
            "P3" => Ok(Self::P3),
            "P4" => Ok(Self::P4),
            other => Err(format!("unknown scenario {other:?}; expected P1, P2, P3 or P4")),
        }
    }
}

/// The command line of `cargo xtask bench`.
#[derive(Debug)]
struct Options {
    plan: Plan,
    scenarios: Vec<Scenario>,
    sdk: bool,
    callgrind: Option<usize>,
}

const USAGE: &str = "usage: cargo xtask bench [--quick] [--scenario P1|P2|P3|P4]... [--runs N] \
                     [--no-sdk] | cargo xtask bench --callgrind [--backups N]";

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut quick = false;
    let mut scenarios = Vec::new();
    let mut runs = None;
    let mut sdk = true;
    let mut callgrind = false;
    let mut backups = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next().cloned()).ok_or(USAGE);
        match flag {
            "--quick" => quick = true,
            "--no-sdk" => sdk = false,
            "--callgrind" => callgrind = true,
            "--scenario" => {
                for name in value()?.split(',') {
                    scenarios.push(Scenario::parse(name)?);
                }
            }
            "--runs" => runs = Some(value()?.parse::<usize>().map_err(|_| USAGE)?.clamp(1, 50)),
            "--backups" => backups = Some(value()?.parse::<usize>().map_err(|_| USAGE)?),
            _ => return Err(USAGE.into()),
        }
    }
    let mut plan = if quick { Plan::quick() } else { Plan::full() };
    if let Some(runs) = runs {
        plan.runs = runs;
        plan.p3_runs = runs;
    }
    if scenarios.is_empty() {
        scenarios = Scenario::ALL.to_vec();
    }
    scenarios.dedup();
    let callgrind = callgrind.then(|| backups.unwrap_or(20_000).clamp(1_000, 200_000));
    Ok(Options { plan, scenarios, sdk, callgrind })
}

/// Runs `cargo xtask bench` with `args`.
pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse_options(args)?;
    // In-process decoding is timed here: that means nothing in a debug build. A quick run only
    // proves the harness works (CI asserts no timing), so it stays on the debug build the tests
    // already made instead of spending minutes on a release build.
    let quick = options.plan.quick;
    if !quick && cfg!(debug_assertions) && std::env::var_os(RELEASE_RUN_VARIABLE).is_none() {
        return rerun_in_release(args);
    }

    let root = peer::workspace_root();
    let cbr = build_cli(&root, if quick { Profile::Debug } else { Profile::Release })?;
    let bench_dir = target_dir(&root).join("bench");
    let home = bench_dir.join("home");
    std::fs::create_dir_all(&home).map_err(|e| format!("cannot create {}: {e}", home.display()))?;
    let context = Context {
        cbr: CbrRunner {
            cbr: cbr.clone(),
            home: home.clone(),
            time_file: bench_dir.join("time.txt"),
            gnu_time: process::gnu_time(),
        },
        emulator_log: bench_dir.join("emulator.log"),
        bench_dir: bench_dir.clone(),
        plan: options.plan,
    };
    if let Some(backups) = options.callgrind {
        return callgrind(&context, backups);
    }

    let peer = if options.sdk { Some(peer_runner(&root, &home)?) } else { None };
    if context.cbr.gnu_time.is_none() {
        eprintln!(
            "bench: GNU time not found at /usr/bin/time: CPU time and peak RSS are not measured"
        );
    }
    let mut report = Report::new(options.plan.quick, report::Machine::probe(peer.as_ref()));
    let started = Instant::now();
    for scenario in &options.scenarios {
        let began = Instant::now();
        eprintln!("bench: {scenario:?}");
        let outcome = match scenario {
            Scenario::P1 => p1(&context, peer.as_ref(), &mut report),
            Scenario::P2 => p2(&context, peer.as_ref(), &mut report),
            Scenario::P3 => p3(&context, &mut report),
            Scenario::P4 => p4(&context, &mut report),
        };
        if let Err(error) = outcome {
            eprintln!("bench: {scenario:?} failed: {error}");
            report.failed(&format!("{scenario:?}"), &error);
        }
        eprintln!("bench: {scenario:?} took {:.1} s", began.elapsed().as_secs_f64());
    }
    report.finish(started.elapsed());

    println!("{}", report.table());
    let markdown = report.markdown(&options.plan_description());
    // Only a full run of everything replaces the published figures.
    let complete = !options.plan.quick && options.sdk && options.scenarios == Scenario::ALL;
    let (out, json) = if complete {
        (root.join("docs").join("benchmarks.md"), bench_dir.join("results.json"))
    } else if options.plan.quick {
        (bench_dir.join("benchmarks-quick.md"), bench_dir.join("results-quick.json"))
    } else {
        (bench_dir.join("benchmarks-partial.md"), bench_dir.join("results-partial.json"))
    };
    report::write_keeping_notes(&out, &markdown)?;
    std::fs::write(&json, report.json())
        .map_err(|e| format!("cannot write {}: {e}", json.display()))?;
    eprintln!("bench: wrote {} and {}", out.display(), json.display());
    if report.has_failures() { Err("some scenarios failed (see above)".into()) } else { Ok(()) }
}

impl Options {
    /// The sizes, in words, for the report.
    fn plan_description(&self) -> String {
        let p = self.plan;
        format!(
            "{} runs of each contender in P1 and P2, {} in P3; P1 {} backups; P2 {} backups at \
             {P2_LATENCY_MS} ms; P3 {} and {} backups; P4 {} backups, {} requests per filter; \
             page size {PAGE_SIZE}",
            p.runs,
            p.p3_runs,
            thousands(p.p1_backups),
            thousands(p.p2_backups),
            thousands(p.p3_backups.0),
            thousands(p.p3_backups.1),
            thousands(p.p4_backups),
            p.p4_requests,
        )
    }
}

/// Re-runs the harness from a release build of xtask.
fn rerun_in_release(args: &[String]) -> Result<(), String> {
    eprintln!("bench: building the harness in release (it times in-process decoding)");
    let status = Command::new(cargo())
        .args(["run", "--release", "--quiet", "--package", "xtask", "--", "bench"])
        .args(args)
        .env(RELEASE_RUN_VARIABLE, "1")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("the release harness failed ({status})")) }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from)
}

/// Which build of `cbr` a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// `target/debug`: enough to check the harness (`--quick`).
    Debug,
    /// `target/release`: what the figures are measured on.
    Release,
}

/// `cargo build [--release] -p cbr-cli`, and the binary it made.
fn build_cli(root: &Path, profile: Profile) -> Result<PathBuf, String> {
    let (flags, folder): (&[&str], &str) = match profile {
        Profile::Debug => (&[], "debug"),
        Profile::Release => (&["--release"], "release"),
    };
    eprintln!("bench: cargo build {} -p cbr-cli", flags.join(" "));
    let began = Instant::now();
    let status = Command::new(cargo())
        .arg("build")
        .args(flags)
        .args(["--quiet", "-p", "cbr-cli"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build -p cbr-cli ({folder}) failed ({status})"));
    }
    eprintln!("bench: built in {:.1} s", began.elapsed().as_secs_f64());
    let cbr = target_dir(root).join(folder).join(format!("cbr{}", std::env::consts::EXE_SUFFIX));
    if cbr.exists() { Ok(cbr) } else { Err(format!("{} was not built", cbr.display())) }
}

/// The official SDK's interpreter (installing it if needed) and its listing script, which
/// lives in the shared folder beside the checkout.
fn peer_runner(root: &Path, home: &Path) -> Result<PeerRunner, String> {
    let python = peer::ensure()?;
    let script = root.join("..").join("shared").join("peer").join("peer_list.py");
    if !script.exists() {
        return Err(format!(
            "the official SDK's listing script is missing: {} (or run with --no-sdk)",
            script.display()
        ));
    }
    Ok(PeerRunner { python, script, home: home.join("peer") })
}

/// What every scenario needs.
struct Context {
    cbr: CbrRunner,
    emulator_log: PathBuf,
    bench_dir: PathBuf,
    plan: Plan,
}

impl Context {
    /// Starts `cbr emulator serve` with `backups` generated backups (seed 1) and `extra` flags.
    fn emulator(&self, backups: usize, extra: &[&str]) -> Result<EmulatorProcess, String> {
        let began = Instant::now();
        let mut args: Vec<String> = ["--dataset", "generated", "--seed", "1", "--backups"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        args.push(backups.to_string());
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let emulator = EmulatorProcess::start(
            &self.cbr.cbr,
            &args,
            &self.emulator_log,
            Duration::from_secs(300),
        )?;
        eprintln!(
            "bench:   emulator with {} backups up in {:.1} s",
            thousands(backups),
            began.elapsed().as_secs_f64()
        );
        Ok(emulator)
    }

    /// `cbr backups list` of every backup at `url` as ndjson, plus `extra`.
    fn list_args(&self, url: &str, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = [
            "backups",
            "list",
            "--endpoint",
            url,
            "--project-id",
            DOCUMENTED_PROJECT_ID,
            "--all",
            "-o",
            "ndjson",
            "--quiet",
            "--limit",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.push(PAGE_SIZE.to_string());
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    }

    /// One untimed run into a line counter: warms up, and checks that every backup came out.
    fn check_complete(&self, args: &[String], backups: usize) -> Result<(), String> {
        let run = self.cbr.run(args, Sink::Count, self.plan.child_limit)?;
        match run.lines {
            Some(lines) if lines == backups as u64 => Ok(()),
            lines => Err(format!("cbr listed {lines:?} backups instead of {backups}")),
        }
    }

    fn run_cbr(&self, args: &[String]) -> Result<CbrRun, String> {
        self.cbr.run(args, Sink::Null, self.plan.child_limit)
    }

    /// Whether `cbr emulator serve` has `flag`.
    fn emulator_has(&self, flag: &str) -> bool {
        let output = Command::new(&self.cbr.cbr)
            .args(["emulator", "serve", "--help"])
            .stdin(Stdio::null())
            .output();
        output.is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(flag))
    }
}

fn run_peer(
    peer: &PeerRunner,
    context: &Context,
    url: &str,
    backups: usize,
) -> Result<process::PeerRun, String> {
    let run = peer.run(url, DOCUMENTED_PROJECT_ID, PAGE_SIZE, context.plan.child_limit)?;
    if run.backups != backups as u64 {
        return Err(format!(
            "the official SDK listed {} backups instead of {backups}",
            run.backups
        ));
    }
    Ok(run)
}

/// P1: a bulk listing, ours against the SDK, and our CPU time against the decode floor.
fn p1(context: &Context, peer: Option<&PeerRunner>, report: &mut Report) -> Result<(), String> {
    let plan = context.plan;
    let n = plan.p1_backups;
    let emulator = context.emulator(n, &[])?;
    let args = context.list_args(&emulator.url, &[]);
    context.check_complete(&args, n)?;

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for run in 1..=plan.runs {
        let our = context.run_cbr(&args)?;
        eprintln!("bench:   P1 run {run}: ours {}", describe(&our));
        ours.push(our);
        if let Some(peer) = peer {
            let their = run_peer(peer, context, &emulator.url, n)?;
            eprintln!(
                "bench:   P1 run {run}: SDK {:.3} s, {} pages",
                secs(their.elapsed),
                their.pages
            );
            theirs.push(their.elapsed);
        }
    }

    let pages = fetch_pages(&emulator.url, n)?;
    let floor = decode_floor(&pages, plan.decode_rounds)?;
    drop(emulator);

    let our_wall = median(ours.iter().map(|r| r.wall).collect());
    report.runs("P1", "ours, wall", &ours.iter().map(|r| r.wall).collect::<Vec<_>>());
    report.runs("P1", "official SDK, listing loop", &theirs);
    let measure = format!("{} backups, page {PAGE_SIZE}, to ndjson: wall time", thousands(n));
    report.push(speedup("P1", &measure, our_wall, median_opt(&theirs), 20.0));

    let cpus: Vec<Duration> = ours.iter().filter_map(|r| r.cpu).collect();
    report.runs("P1", "ours, CPU (user+sys)", &cpus);
    let per_backup = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    let floor_us = per_backup(floor.decode);
    let figure = match median_opt(&cpus) {
        Some(cpu) => {
            let ratio = per_backup(cpu) / floor_us;
            Figure {
                scenario: "P1",
                measure: "CPU time per backup vs a bare serde_json decode of the same page bytes"
                    .into(),
                ours: format!("{:.2} µs", per_backup(cpu)),
                reference: format!("{floor_us:.2} µs"),
                ratio: format!("{ratio:.2}×"),
                goal: "≤ 2×".into(),
                verdict: Verdict::of(ratio <= 2.0),
            }
        }
        None => Figure::not_measured("P1", "CPU time per backup", "GNU time is not installed"),
    };
    report.push(figure);
    report.push(Figure {
        scenario: "P1",
        measure: "for scale: decode + write ndjson in-process (serde_json, no I/O)".into(),
        ours: String::new(),
        reference: format!("{:.2} µs", per_backup(floor.decode_and_write)),
        ratio: String::new(),
        goal: String::new(),
        verdict: Verdict::Info,
    });
    report.note(&format!(
        "P1 floor: {} pages, {} MiB of JSON, decoded into `ListBackupsResponse` {} times (best \
         {:.3} s; with ndjson writing {:.3} s).",
        pages.len(),
        pages.iter().map(Vec::len).sum::<usize>() / (1 << 20),
        plan.decode_rounds,
        secs(floor.decode),
        secs(floor.decode_and_write),
    ));
    Ok(())
}

/// P2: a listing bound by latency; concurrent and default strategies against the SDK and the
/// ideal.
fn p2(context: &Context, peer: Option<&PeerRunner>, report: &mut Report) -> Result<(), String> {
    let plan = context.plan;
    let n = plan.p2_backups;
    if !context.emulator_has("--latency-ms") {
        report.push(Figure::not_measured(
            "P2",
            "latency-bound listing",
            "this `cbr emulator serve` has no --latency-ms",
        ));
        return Ok(());
    }
    let latency = P2_LATENCY_MS.to_string();
    let emulator = context.emulator(n, &["--latency-ms", &latency])?;
    let in_flight = P2_IN_FLIGHT.to_string();
    let concurrent = context
        .list_args(&emulator.url, &["--strategy", "concurrent", "--concurrency", &in_flight]);
    let default = context.list_args(&emulator.url, &[]);
    context.check_complete(&concurrent, n)?;

    let (mut ours_concurrent, mut ours_default, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=plan.runs {
        let our = context.run_cbr(&concurrent)?;
        eprintln!("bench:   P2 run {run}: ours concurrent {}", describe(&our));
        ours_concurrent.push(our.wall);
        let our = context.run_cbr(&default)?;
        eprintln!("bench:   P2 run {run}: ours default {}", describe(&our));
        ours_default.push(our.wall);
        if let Some(peer) = peer {
            let their = run_peer(peer, context, &emulator.url, n)?;
            eprintln!("bench:   P2 run {run}: SDK {:.3} s", secs(their.elapsed));
            theirs.push(their.elapsed);
        }
    }
    drop(emulator);
    report.runs("P2", "ours, concurrent, wall", &ours_concurrent);
    report.runs("P2", "ours, default strategy, wall", &ours_default);
    report.runs("P2", "official SDK, listing loop", &theirs);

    let pages = n.div_ceil(PAGE_SIZE as usize).max(1);
    let ideal = |in_flight: usize| {
        let rounds = 1 + (pages - 1).div_ceil(in_flight);
        Duration::from_millis(P2_LATENCY_MS * rounds as u64)
    };
    let sdk = median_opt(&theirs);
    for (label, walls, in_flight) in [
        (
            format!("concurrent, {P2_IN_FLIGHT} in flight"),
            &ours_concurrent,
            usize::from(P2_IN_FLIGHT),
        ),
        ("default strategy (marker, sequential)".to_owned(), &ours_default, 1),
    ] {
        let ours = median(walls.clone());
        let measure = format!("{} backups at {P2_LATENCY_MS} ms a request, {label}", thousands(n));
        let mut figure = speedup("P2", &measure, ours, sdk, 5.0);
        if in_flight == 1 {
            // The goal is set for pages in flight (its ideal divides by them); a marker walk is
            // sequential by nature, each request naming the last backup of the one before, so
            // this row is shown for information against its own sequential ideal below.
            figure.goal = "for information (sequential by design)".into();
            figure.verdict = Verdict::Info;
        }
        report.push(figure);
        let ideal = ideal(in_flight);
        let ratio = secs(ours) / secs(ideal);
        report.push(Figure {
            scenario: "P2",
            measure: format!(
                "{label}: against the ideal (1 + ⌈{}/{in_flight}⌉) × {P2_LATENCY_MS} ms",
                pages - 1
            ),
            ours: format!("{:.3} s", secs(ours)),
            reference: format!("{:.3} s", secs(ideal)),
            ratio: format!("{ratio:.2}×"),
            goal: "≤ 1.5×".into(),
            verdict: Verdict::of(ratio <= 1.5),
        });
    }
    Ok(())
}

/// P3: peak RSS of our CLI over a small and a large listing.
fn p3(context: &Context, report: &mut Report) -> Result<(), String> {
    let plan = context.plan;
    if context.cbr.gnu_time.is_none() {
        report.push(Figure::not_measured("P3", "peak RSS", "GNU time is not installed"));
        return Ok(());
    }
    let mut peaks = Vec::new();
    for n in [plan.p3_backups.0, plan.p3_backups.1] {
        let emulator = context.emulator(n, &[])?;
        let args = context.list_args(&emulator.url, &[]);
        context.check_complete(&args, n)?;
        let mut rss = Vec::new();
        for run in 1..=plan.p3_runs {
            let our = context.run_cbr(&args)?;
            eprintln!("bench:   P3 {} run {run}: {}", thousands(n), describe(&our));
            rss.push(our.max_rss_kib.unwrap_or(0));
        }
        report.note(&format!(
            "P3 peak RSS over {} backups, each run: {} KiB.",
            thousands(n),
            rss.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ));
        peaks.push((n, rss.into_iter().max().unwrap_or(0)));
    }
    let [(small_n, small), (large_n, large)] = peaks[..] else {
        return Err("P3 measured fewer than two listings".into());
    };
    let mib = |kib: u64| kib as f64 / 1024.0;
    report.push(Figure {
        scenario: "P3",
        measure: format!("peak RSS, {} backups to ndjson", thousands(large_n)),
        ours: format!("{:.1} MiB", mib(large)),
        reference: String::new(),
        ratio: String::new(),
        goal: "≤ 64 MiB".into(),
        verdict: Verdict::of(mib(large) <= 64.0),
    });
    let ratio = large as f64 / small.max(1) as f64;
    report.push(Figure {
        scenario: "P3",
        measure: format!(
            "peak RSS at {} against {} backups",
            thousands(large_n),
            thousands(small_n)
        ),
        ours: format!("{:.1} MiB", mib(large)),
        reference: format!("{:.1} MiB", mib(small)),
        ratio: format!("{ratio:.2}×"),
        goal: "≤ 1.2×".into(),
        verdict: Verdict::of(ratio <= 1.2),
    });
    Ok(())
}

/// P4: round trips of filtered pages of 1000 from a large emulator.
fn p4(context: &Context, report: &mut Report) -> Result<(), String> {
    let plan = context.plan;
    let n = plan.p4_backups;
    let emulator = context.emulator(n, &[])?;
    let mut connection = Connection::open(&emulator.url)?;
    let path = |query: &ListBackupsQuery| {
        format!("/v3/{DOCUMENTED_PROJECT_ID}/backups?{}", query.to_query_string())
    };
    let page = ListBackupsQuery::new().limit(PAGE_SIZE);

    // A vault that exists: the first backup's.
    let first = get_page(&mut connection, &path(&page))?;
    let vault = first.backups.first().and_then(|b| b.vault_id.clone());

    let mut cases = vec![
        ("no filter", page.clone()),
        ("resource_type=OS::Nova::Server", page.clone().resource_type(ResourceType::NovaServer)),
        ("status=available", page.clone().status(Status::Available)),
    ];
    if let Some(vault) = vault {
        cases.push(("vault_id=(one vault)", page.clone().vault_id(vault)));
    }
    for (label, sort) in [("sort=name:asc", "name:asc"), ("sort=created_at:asc", "created_at:asc")]
    {
        let sort = sort.parse::<Sort>().map_err(|e| format!("sort {sort}: {e}"))?;
        cases.push((label, page.clone().sort(sort)));
    }
    let sort = "name:asc".parse::<Sort>().map_err(|e| format!("sort: {e}"))?;
    cases.push((
        "resource_type + status + sort=name:asc",
        page.clone().resource_type(ResourceType::NovaServer).status(Status::Available).sort(sort),
    ));

    for (label, query) in cases {
        let path = path(&query);
        let warm = get_page(&mut connection, &path)?;
        let _ = get_page(&mut connection, &path)?;
        let mut times = Vec::with_capacity(plan.p4_requests);
        let mut bytes = 0;
        for _ in 0..plan.p4_requests {
            let began = Instant::now();
            let response = connection.get(&path)?;
            times.push(began.elapsed());
            if response.status != 200 {
                return Err(format!("{label}: HTTP {}", response.status));
            }
            bytes = response.body.len();
        }
        report.runs("P4", label, &times);
        let median = median(times.clone());
        let worst = times.iter().max().copied().unwrap_or_default();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        report.push(Figure {
            scenario: "P4",
            measure: format!(
                "{label}: {} of {} matches, {} KiB (worst {:.1} ms)",
                warm.backups.len(),
                warm.count.map_or_else(|| "?".to_owned(), |c| thousands(c as usize)),
                bytes / 1024,
                ms(worst)
            ),
            ours: format!("{:.1} ms", ms(median)),
            reference: String::new(),
            ratio: String::new(),
            goal: "≤ 20 ms median".into(),
            verdict: Verdict::of(ms(median) <= 20.0),
        });
    }
    report.note(&format!(
        "P4 requests: {} per filter after 2 warm-ups, one keep-alive connection, TCP_NODELAY, \
         over {} backups.",
        plan.p4_requests,
        thousands(n)
    ));
    Ok(())
}

fn get_page(connection: &mut Connection, path: &str) -> Result<ListBackupsResponse, String> {
    let response = connection.get(path)?;
    if response.status != 200 {
        return Err(format!(
            "HTTP {} for {path}: {}",
            response.status,
            String::from_utf8_lossy(&response.body[..response.body.len().min(300)])
        ));
    }
    serde_json::from_slice(&response.body).map_err(|e| format!("undecodable page: {e}"))
}

/// Every page of the listing as the CLI's default strategy fetches it (by marker), as bytes.
fn fetch_pages(url: &str, backups: usize) -> Result<Vec<Vec<u8>>, String> {
    let mut connection = Connection::open(url)?;
    let mut pages = Vec::new();
    let mut query = ListBackupsQuery::new().limit(PAGE_SIZE);
    let mut seen = 0;
    for _ in 0..=backups / PAGE_SIZE as usize + 1 {
        let path = format!("/v3/{DOCUMENTED_PROJECT_ID}/backups?{}", query.to_query_string());
        let response = connection.get(&path)?;
        if response.status != 200 {
            return Err(format!("HTTP {} while fetching pages", response.status));
        }
        let page: ListBackupsResponse =
            serde_json::from_slice(&response.body).map_err(|e| format!("undecodable page: {e}"))?;
        seen += page.backups.len();
        let last = page.backups.last().and_then(|b| b.id.clone());
        let full = page.backups.len() == PAGE_SIZE as usize;
        if !page.backups.is_empty() {
            pages.push(response.body);
        }
        match last {
            Some(id) if full && seen < backups => query.marker = Some(id),
            _ => break,
        }
    }
    if seen == backups {
        Ok(pages)
    } else {
        Err(format!("fetched {seen} backups instead of {backups}"))
    }
}

/// The best times of decoding every page (and of decoding and writing ndjson).
struct Floor {
    decode: Duration,
    decode_and_write: Duration,
}

/// Decodes `pages` into the client's own types `rounds` times; the best round counts.
fn decode_floor(pages: &[Vec<u8>], rounds: usize) -> Result<Floor, String> {
    let mut decode = Duration::MAX;
    let mut decode_and_write = Duration::MAX;
    let mut out = Vec::with_capacity(4 << 20);
    for _ in 0..rounds.max(1) {
        let began = Instant::now();
        for page in pages {
            let page: ListBackupsResponse =
                serde_json::from_slice(page).map_err(|e| format!("undecodable page: {e}"))?;
            std::hint::black_box(page);
        }
        decode = decode.min(began.elapsed());

        let began = Instant::now();
        for page in pages {
            let page: ListBackupsResponse =
                serde_json::from_slice(page).map_err(|e| format!("undecodable page: {e}"))?;
            out.clear();
            for backup in &page.backups {
                serde_json::to_writer(&mut out, backup).map_err(|e| e.to_string())?;
                out.push(b'\n');
            }
            std::hint::black_box(&out);
        }
        decode_and_write = decode_and_write.min(began.elapsed());
    }
    Ok(Floor { decode, decode_and_write })
}

/// `--callgrind`: P1 with `backups` backups, our CLI under callgrind; prints the functions
/// with the most instructions of their own.
fn callgrind(context: &Context, backups: usize) -> Result<(), String> {
    let valgrind = Command::new("valgrind").arg("--version").output();
    if !valgrind.is_ok_and(|o| o.status.success()) {
        return Err("valgrind is not installed".into());
    }
    let emulator = context.emulator(backups, &[])?;
    let args = context.list_args(&emulator.url, &[]);
    let out = context.bench_dir.join("callgrind.out");
    let mut profiled = vec![
        "--tool=callgrind".to_owned(),
        format!("--callgrind-out-file={}", out.display()),
        context.cbr.cbr.display().to_string(),
    ];
    profiled.extend(args);
    eprintln!(
        "bench: valgrind --tool=callgrind cbr backups list … ({} backups)",
        thousands(backups)
    );
    let runner = CbrRunner {
        cbr: PathBuf::from("valgrind"),
        home: context.cbr.home.clone(),
        time_file: context.cbr.time_file.clone(),
        gnu_time: None,
    };
    runner.run(&profiled, Sink::Null, Duration::from_secs(900))?;
    drop(emulator);

    let annotated = Command::new("callgrind_annotate")
        .arg(&out)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run callgrind_annotate: {e}"))?;
    let text = String::from_utf8_lossy(&annotated.stdout);
    for line in text.lines().take(60) {
        println!("{line}");
    }
    eprintln!("bench: full profile in {} (callgrind_annotate, kcachegrind)", out.display());
    Ok(())
}

/// `speedup` figure: the SDK's median over ours, goal at least `goal`×.
fn speedup(
    scenario: &'static str,
    measure: &str,
    ours: Duration,
    theirs: Option<Duration>,
    goal: f64,
) -> Figure {
    match theirs {
        Some(theirs) => {
            let faster = secs(theirs) / secs(ours);
            Figure {
                scenario,
                measure: format!("{measure} (ours / SDK = {:.3})", secs(ours) / secs(theirs)),
                ours: format!("{:.3} s", secs(ours)),
                reference: format!("{:.3} s", secs(theirs)),
                ratio: format!("{faster:.1}× faster"),
                goal: format!("≥ {goal}× faster"),
                verdict: Verdict::of(faster >= goal),
            }
        }
        None => Figure {
            scenario,
            measure: measure.to_owned(),
            ours: format!("{:.3} s", secs(ours)),
            reference: "not run (--no-sdk)".into(),
            ratio: String::new(),
            goal: format!("≥ {goal}× faster"),
            verdict: Verdict::NotMeasured,
        },
    }
}

fn describe(run: &CbrRun) -> String {
    let mut text = format!("{:.3} s", secs(run.wall));
    if let Some(cpu) = run.cpu {
        text.push_str(&format!(", CPU {:.2} s", secs(cpu)));
    }
    if let Some(rss) = run.max_rss_kib {
        text.push_str(&format!(", peak RSS {:.1} MiB", rss as f64 / 1024.0));
    }
    text
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64().max(1e-9)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    match values.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2,
    }
}

fn median_opt(values: &[Duration]) -> Option<Duration> {
    (!values.is_empty()).then(|| median(values.to_vec()))
}

/// `1234567` → `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        // given / done / must hold
        let ms = Duration::from_millis;
        assert_eq!(median(vec![ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(median(vec![ms(4), ms(1), ms(2), ms(3)]), Duration::from_micros(2500));
        assert_eq!(median(Vec::new()), Duration::ZERO);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn options_read_scenarios_and_sizes() {
        // given: a quick run of two scenarios
        let args: Vec<String> =
            ["--quick", "--scenario", "p1,P3", "--runs=3"].iter().map(|s| (*s).into()).collect();
        // done
        let options = parse_options(&args);
        // must hold
        let options = options.ok();
        assert!(options.as_ref().is_some_and(|o| o.plan.quick && o.plan.runs == 3));
        assert!(options.is_some_and(|o| o.scenarios == [Scenario::P1, Scenario::P3]));
        assert!(parse_options(&["--scenario".to_owned(), "P9".to_owned()]).is_err());
    }
}
