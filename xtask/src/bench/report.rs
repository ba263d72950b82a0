//! The benchmark report: the machine, every figure against its goal, the method, and the raw
//! runs, as markdown (with a hand-written part that a re-run keeps) and as JSON.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::process::PeerRunner;

/// Everything below this line of `docs/benchmarks.md` is written by hand and kept by re-runs.
pub const KEPT_BELOW: &str = concat!(
    "<!-- Everything above this line is written by `cargo xtask bench`; ",
    "everything below is kept. -->"
);

/// Whether a figure meets its goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The goal is met.
    Met,
    /// The goal is not met.
    NotMet,
    /// A figure for scale, with no goal.
    Info,
    /// The figure could not be measured on this run.
    NotMeasured,
}

impl Verdict {
    /// `Met` if `met`, else `NotMet`.
    pub fn of(met: bool) -> Self {
        if met { Self::Met } else { Self::NotMet }
    }

    fn text(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::NotMet => "**not met**",
            Self::Info => "",
            Self::NotMeasured => "not measured",
        }
    }
}

/// One row of the results table.
#[derive(Debug, Clone)]
pub struct Figure {
    /// `P1` … `P4`.
    pub scenario: &'static str,
    /// What was measured.
    pub measure: String,
    /// Our figure.
    pub ours: String,
    /// The official SDK's figure, or the reference it is compared with.
    pub reference: String,
    /// The ratio the goal is about.
    pub ratio: String,
    /// The goal.
    pub goal: String,
    /// Met or not.
    pub verdict: Verdict,
}

impl Figure {
    /// A goal that could not be measured, and why.
    pub fn not_measured(scenario: &'static str, measure: &str, why: &str) -> Self {
        Self {
            scenario,
            measure: format!("{measure} ({why})"),
            ours: String::new(),
            reference: String::new(),
            ratio: String::new(),
            goal: String::new(),
            verdict: Verdict::NotMeasured,
        }
    }
}

/// The machine a report was made on, without any path.
#[derive(Debug, Clone)]
pub struct Machine {
    cpu: String,
    cores: usize,
    memory: String,
    os: String,
    rustc: String,
    python: String,
    sdk: String,
    load_before: String,
    load_after: String,
    date: String,
}

impl Machine {
    /// Reads the machine's description from `/proc`, `/etc/os-release` and the tools.
    pub fn probe(peer: Option<&PeerRunner>) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name").and_then(|r| r.split_once(':')))
            .map_or_else(|| "unknown".to_owned(), |(_, model)| model.trim().to_owned());
        let cores = std::thread::available_parallelism().map_or(0, usize::from);
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = meminfo
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or_else(
                || "unknown".to_owned(),
                |kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0),
            );
        let release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
        let os = release
            .lines()
            .find_map(|line| line.strip_prefix("PRETTY_NAME="))
            .map_or_else(|| "Linux".to_owned(), |name| name.trim_matches('"').to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let rustc = Command::new("rustc")
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let (python, sdk) = peer
            .map_or_else(|| ("not used".to_owned(), "not used".to_owned()), PeerRunner::versions);
        Self {
            cpu,
            cores,
            memory,
            os: format!("{os}, kernel {}", kernel.trim()),
            rustc,
            python,
            sdk,
            load_before: load_average(),
            load_after: String::new(),
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }
}

/// `/proc/loadavg`'s 1, 5 and 15 minute averages.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Every figure of one harness run.
#[derive(Debug)]
pub struct Report {
    quick: bool,
    machine: Machine,
    figures: Vec<Figure>,
    runs: Vec<(&'static str, String, Vec<Duration>)>,
    notes: Vec<String>,
    failures: Vec<(String, String)>,
    elapsed: Duration,
}

impl Report {
    /// An empty report.
    pub fn new(quick: bool, machine: Machine) -> Self {
        Self {
            quick,
            machine,
            figures: Vec::new(),
            runs: Vec::new(),
            notes: Vec::new(),
            failures: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    /// Adds a row to the results table.
    pub fn push(&mut self, figure: Figure) {
        self.figures.push(figure);
    }

    /// Records the times of every run of one contender.
    pub fn runs(&mut self, scenario: &'static str, what: &str, times: &[Duration]) {
        if !times.is_empty() {
            self.runs.push((scenario, what.to_owned(), times.to_vec()));
        }
    }

    /// Adds a sentence to the notes under the runs.
    pub fn note(&mut self, text: &str) {
        self.notes.push(text.to_owned());
    }

    /// Records that a scenario could not finish.
    pub fn failed(&mut self, scenario: &str, error: &str) {
        self.failures.push((scenario.to_owned(), error.to_owned()));
    }

    /// Whether a scenario failed.
    pub fn has_failures(&self) -> bool {
        !self.failures.is_empty()
    }

    /// Closes the report: the load average after, the total time.
    pub fn finish(&mut self, elapsed: Duration) {
        self.machine.load_after = load_average();
        self.elapsed = elapsed;
    }

    /// The results table, in markdown.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| | measure | ours | official SDK / reference | ratio | goal | |\n\
             |---|---|---|---|---|---|---|\n",
        );
        for f in &self.figures {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                f.scenario,
                f.measure,
                f.ours,
                f.reference,
                f.ratio,
                f.goal,
                f.verdict.text()
            );
        }
        for (scenario, error) in &self.failures {
            let _ = writeln!(
                out,
                "| {scenario} | failed: {} | | | | | not measured |",
                one_line(error)
            );
        }
        out
    }

    /// The whole generated part of `docs/benchmarks.md`.
    pub fn markdown(&self, plan: &str) -> String {
        let m = &self.machine;
        let mut out = String::from("# Benchmarks\n\n");
        let _ = writeln!(
            out,
            "Written by `cargo xtask bench{}` on {} in {:.0} s. Re-run it on a quiet machine \
             before \
             trusting a figure: the harness runs the contenders in alternation, so a busy machine \
             slows both, but it cannot make the figures quiet.\n",
            if self.quick { " --quick" } else { "" },
            m.date,
            self.elapsed.as_secs_f64()
        );
        if self.quick {
            out.push_str(
                "**Quick run**: small listings that only keep the harness working; the goals are \
                 about the full sizes, so these verdicts mean little.\n\n",
            );
        }
        out.push_str("## Figures against the goals\n\n");
        out.push_str(&self.table());

        out.push_str("\n## Machine\n\n");
        let _ = writeln!(out, "- CPU: {} ({} logical cores available)", m.cpu, m.cores);
        let _ = writeln!(out, "- memory: {}", m.memory);
        let _ = writeln!(out, "- OS: {}", m.os);
        let _ = writeln!(out, "- Rust: {} (release profile)", m.rustc);
        let _ = writeln!(out, "- Python {}, official SDK huaweicloudsdkcbr {}", m.python, m.sdk);
        let _ = writeln!(
            out,
            "- load average (1, 5, 15 min) before: {}; after: {}",
            m.load_before, m.load_after
        );

        out.push_str("\n## Method\n\n");
        let _ = writeln!(out, "Sizes of this run: {plan}.\n");
        out.push_str(METHOD);

        out.push_str("\n## Every run\n\n");
        for (scenario, what, times) in &self.runs {
            let _ = writeln!(out, "- {scenario} {what}: {}", summarise(times));
        }
        for note in &self.notes {
            let _ = writeln!(out, "- {note}");
        }
        out
    }

    /// Every figure and run as JSON, for comparing runs.
    pub fn json(&self) -> String {
        let figures: Vec<serde_json::Value> = self
            .figures
            .iter()
            .map(|f| {
                serde_json::json!({
                    "scenario": f.scenario, "measure": f.measure, "ours": f.ours,
                    "reference": f.reference, "ratio": f.ratio, "goal": f.goal,
                    "verdict": f.verdict.text().trim_matches('*'),
                })
            })
            .collect();
        let runs: Vec<serde_json::Value> = self
            .runs
            .iter()
            .map(|(scenario, what, times)| {
                let seconds: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
                serde_json::json!({ "scenario": scenario, "what": what, "seconds": seconds })
            })
            .collect();
        let m = &self.machine;
        let value = serde_json::json!({
            "quick": self.quick,
            "date": m.date,
            "machine": {
                "cpu": m.cpu, "cores": m.cores, "memory": m.memory, "os": m.os,
                "rustc": m.rustc, "python": m.python, "sdk": m.sdk,
                "load_before": m.load_before, "load_after": m.load_after,
            },
            "figures": figures,
            "runs": runs,
            "notes": self.notes,
            "failures": self.failures,
        });
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '|'], " ")
}

/// Every time of a few runs; the spread of many (every time is in the JSON).
fn summarise(times: &[Duration]) -> String {
    if times.len() <= 12 {
        let list: Vec<String> = times.iter().map(|t| format_duration(*t)).collect();
        return list.join(", ");
    }
    let mut sorted = times.to_vec();
    sorted.sort();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    format!(
        "{} runs: min {}, p50 {}, p90 {}, max {}",
        sorted.len(),
        format_duration(at(0.0)),
        format_duration(at(0.5)),
        format_duration(at(0.9)),
        format_duration(at(1.0))
    )
}

fn format_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.3} s", d.as_secs_f64())
    }
}

/// Writes `generated` to `path`, keeping whatever the file had below [`KEPT_BELOW`].
pub fn write_keeping_notes(path: &Path, generated: &str) -> Result<(), String> {
    let kept = std::fs::read_to_string(path)
        .ok()
        .and_then(|old| old.split_once(KEPT_BELOW).map(|(_, below)| below.to_owned()))
        .unwrap_or_else(|| {
            "\n\n## Analysis\n\n(Written by hand: what bounds each goal, with the profile.)\n"
                .into()
        });
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let text = format!("{}\n{KEPT_BELOW}{kept}", generated.trim_end());
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// How each figure is measured; the same for every run.
const METHOD: &str = "\
- **Contenders.** Ours is the release `cbr` binary: `cbr backups list --endpoint URL \
--project-id P --all -o ndjson --quiet --limit 1000` (default strategy `marker` unless noted), \
stdout to `/dev/null`, as a separate process. The official SDK is `huaweicloudsdkcbr` driven \
by the shared `peer_list.py` (its paging loop, `limit`/`offset`, stopping at `count`), with a \
throwaway `HOME`. Both talk to the same `cbr emulator serve --dataset generated --seed 1` \
process on 127.0.0.1, started once per listing size, unsigned (no `--ak`).
- **Alternation.** Each run is ours, then the SDK's, repeated; figures are medians of the \
runs. One untimed run of ours first writes into a line counter, which warms the emulator and \
checks that every backup came out; every SDK run must report every backup too.
- **Wall time.** Ours: from spawn to exit as the harness sees it, so process start, runtime \
start and connection set-up are included. The SDK's: the `elapsed_s` its script reports for \
the listing loop, so interpreter start and imports are *excluded*: the comparison favours the \
SDK.
- **CPU time and peak RSS** of the `cbr` process come from the kernel's `wait4` rusage, \
reported by GNU time (`time -f '%U %S %M'`, 10 ms resolution for CPU). The emulator is \
a separate process, so neither includes it.
- **Decode floor (P1).** The harness fetches the same pages once over HTTP (by `marker`, as \
the CLI does) and decodes each body with `serde_json::from_slice::<ListBackupsResponse>`, the \
client's own types; the best of several rounds counts. For scale it also times decoding plus \
writing each backup as an ndjson line into memory.
- **Ideal (P2).** With P pages, latency L and k pages in flight, the ideal is \
`(1 + ⌈(P − 1) / k⌉) × L`: the first page alone (it tells the count), then the rest k at a \
time; k = 1 for the sequential default strategy.
- **Emulator (P4).** Round trips timed in the harness over one keep-alive connection with \
`TCP_NODELAY`, body read in full; median (and worst) of the requests after two warm-ups.
";
