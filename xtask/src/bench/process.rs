//! The processes a benchmark runs: `cbr emulator serve`, our CLI under GNU time, and the
//! official SDK's listing script. Each is bounded in time and ended by its own id.

use std::fs::File;
use std::io::{BufRead as _, BufReader, Read as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Environment variables through which credentials or a project id could reach `cbr`; the
/// harness removes them all, so `cbr` talks to the loopback emulator unsigned.
const CREDENTIAL_VARIABLES: &[&str] = &[
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "HUAWEICLOUD_SDK_CREDENTIALS_FILE",
    "CBR_AUTH_TOKEN",
    "RUST_LOG",
];

/// Where GNU time is expected; it reports a child's CPU time and peak RSS from `wait4`.
const GNU_TIME: &str = "/usr/bin/time";

/// A `cbr emulator serve` process, killed and reaped when dropped.
pub struct EmulatorProcess {
    child: Child,
    /// Kept open so the emulator never writes into a closed pipe.
    _stdout: BufReader<ChildStdout>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl EmulatorProcess {
    /// Starts `cbr emulator serve --addr 127.0.0.1:0 <args>` and waits (at most `startup`)
    /// for its `listening on` line; its log goes to `log`.
    pub fn start(
        cbr: &Path,
        args: &[String],
        log: &Path,
        startup: Duration,
    ) -> Result<Self, String> {
        let log_file = File::options()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?;
        let mut child = Command::new(cbr)
            .args(["emulator", "serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the emulator has no stdout".into());
        };

        // Read the first line on a thread so a silent emulator cannot hang the harness.
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let read = reader.read_line(&mut line).map(|_| line);
            let _ = sender.send((read, reader));
        });
        let outcome = receiver.recv_timeout(startup);
        let (line, stdout) = match outcome {
            Ok((Ok(line), stdout)) => (line, stdout),
            Ok((Err(e), _)) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("cannot read the emulator's first line: {e}"));
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("the emulator did not start within {startup:?}"));
            }
        };
        let Some(url) = line.trim().strip_prefix("listening on ").map(str::to_owned) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "the emulator said {:?} instead of `listening on URL` (log: {})",
                line.trim(),
                log.display()
            ));
        };
        Ok(Self { child, _stdout: stdout, url })
    }
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one run of our CLI cost.
#[derive(Debug, Clone, Copy)]
pub struct CbrRun {
    /// From spawn to exit, as the harness saw it.
    pub wall: Duration,
    /// User + system CPU time of the `cbr` process (GNU time, from `wait4`), if available.
    pub cpu: Option<Duration>,
    /// Peak resident set size of the `cbr` process in KiB (`ru_maxrss`), if available.
    pub max_rss_kib: Option<u64>,
    /// Lines written to stdout, when they were counted.
    pub lines: Option<u64>,
}

/// Where a run's stdout goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// `/dev/null`: nothing slows the writer down.
    Null,
    /// A pipe the harness counts lines from (to check the listing is complete).
    Count,
}

/// Runs our CLI, bounded by `limit`.
pub struct CbrRunner {
    /// The release `cbr` binary.
    pub cbr: PathBuf,
    /// An empty folder used as `HOME`, so no credentials file is read.
    pub home: PathBuf,
    /// Where GNU time writes its figures.
    pub time_file: PathBuf,
    /// GNU time, if this machine has it.
    pub gnu_time: Option<PathBuf>,
}

impl CbrRunner {
    /// Runs `cbr <args>` with stdout into `sink`; fails on a non-zero exit or after `limit`.
    pub fn run(&self, args: &[String], sink: Sink, limit: Duration) -> Result<CbrRun, String> {
        let mut command = match &self.gnu_time {
            Some(time) => {
                let _ = std::fs::remove_file(&self.time_file);
                let mut command = Command::new(time);
                command.args(["-f", "%U %S %M", "-o"]).arg(&self.time_file).arg(&self.cbr);
                command
            }
            None => Command::new(&self.cbr),
        };
        command.args(args).env("HOME", &self.home).stdin(Stdio::null()).stderr(Stdio::piped());
        for name in CREDENTIAL_VARIABLES {
            command.env_remove(name);
        }
        command.stdout(match sink {
            Sink::Null => Stdio::null(),
            Sink::Count => Stdio::piped(),
        });
        // Its own process group, so that a timeout ends GNU time and `cbr` together.
        command.process_group(0);

        let started = Instant::now();
        let child = command.spawn().map_err(|e| format!("cannot run cbr: {e}"))?;
        let (status, ended, newlines, stderr) = wait_bounded(child, limit)?;
        let wall = ended.duration_since(started);
        if !status.success() {
            return Err(format!("cbr {} failed ({status}): {}", args.join(" "), stderr.trim()));
        }

        let (cpu, max_rss_kib) = match &self.gnu_time {
            Some(_) => read_gnu_time(&self.time_file)?,
            None => (None, None),
        };
        Ok(CbrRun { wall, cpu, max_rss_kib, lines: newlines })
    }
}

/// Waits for `child` at most `limit` (then kills its process group), counting the newlines of
/// a piped stdout and collecting stderr; returns the status and when the child ended.
fn wait_bounded(
    mut child: Child,
    limit: Duration,
) -> Result<(ExitStatus, Instant, Option<u64>, String), String> {
    let pid = child.id();
    let stdout = child.stdout.take().map(|mut out| {
        thread::spawn(move || {
            let mut newlines = 0u64;
            let mut buffer = vec![0u8; 256 * 1024];
            while let Ok(n) = out.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                newlines += bytecount(&buffer[..n], b'\n');
            }
            newlines
        })
    });
    let stderr = child.stderr.take().map(|mut err| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        })
    });

    let (sender, receiver) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let status = child.wait();
        let _ = sender.send(Instant::now());
        status
    });
    let ended = match receiver.recv_timeout(limit) {
        Ok(ended) => ended,
        Err(_) => {
            kill_group(pid);
            let _ = waiter.join();
            return Err(format!("timed out after {limit:?}; process group {pid} killed"));
        }
    };
    let status = waiter
        .join()
        .map_err(|_| "the waiting thread panicked".to_owned())?
        .map_err(|e| format!("cannot wait: {e}"))?;
    let newlines = stdout.and_then(|t| t.join().ok());
    let stderr = stderr.and_then(|t| t.join().ok()).unwrap_or_default();
    Ok((status, ended, newlines, stderr))
}

/// Kills every process of the group `pgid` (one the harness created for its own child).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn bytecount(bytes: &[u8], byte: u8) -> u64 {
    bytes.iter().filter(|&&b| b == byte).count() as u64
}

/// Reads GNU time's `%U %S %M` line (the last line: a failed command adds one before it).
fn read_gnu_time(path: &Path) -> Result<(Option<Duration>, Option<u64>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read GNU time's output {}: {e}", path.display()))?;
    let line = text.lines().last().unwrap_or_default();
    let fields: Vec<&str> = line.split_whitespace().collect();
    let [user, system, rss] = fields[..] else {
        return Err(format!("unexpected GNU time output {line:?}"));
    };
    let seconds = |s: &str| s.parse::<f64>().ok().filter(|v| v.is_finite() && *v >= 0.0);
    let cpu = match (seconds(user), seconds(system)) {
        (Some(user), Some(system)) => Some(Duration::from_secs_f64(user + system)),
        _ => None,
    };
    Ok((cpu, rss.parse().ok()))
}

/// GNU time, if it is installed (it is not part of the shell's `time` keyword).
pub fn gnu_time() -> Option<PathBuf> {
    let path = PathBuf::from(GNU_TIME);
    let works = Command::new(&path)
        .args(["-f", "%M", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    works.then_some(path)
}

/// One run of the official SDK's listing script, as it reported it.
#[derive(Debug, Clone, Copy)]
pub struct PeerRun {
    /// The listing loop's own time (`elapsed_s`): interpreter start and imports excluded.
    pub elapsed: Duration,
    /// Backups it saw.
    pub backups: u64,
    /// Pages it fetched.
    pub pages: u64,
}

/// Runs the official SDK's `peer_list.py`.
pub struct PeerRunner {
    /// The virtual environment's interpreter.
    pub python: PathBuf,
    /// `peer_list.py`.
    pub script: PathBuf,
    /// A throwaway `HOME` (importing the SDK writes into it).
    pub home: PathBuf,
}

impl PeerRunner {
    /// Lists every backup at `endpoint` with `--limit page_size`, bounded by `limit`.
    pub fn run(
        &self,
        endpoint: &str,
        project_id: &str,
        page_size: u32,
        limit: Duration,
    ) -> Result<PeerRun, String> {
        let mut command = Command::new(&self.python);
        command
            .arg(&self.script)
            .args(["--endpoint", endpoint, "--project-id", project_id, "--json"])
            .args(["--limit", &page_size.to_string(), "--timeout", "300"])
            .env("HOME", &self.home)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env_remove("HTTP_PROXY")
            .env_remove("HTTPS_PROXY")
            .env_remove("http_proxy")
            .env_remove("https_proxy")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let child = command.spawn().map_err(|e| format!("cannot run the official SDK: {e}"))?;
        let pid = child.id();
        let (sender, receiver) = mpsc::channel();
        thread::spawn(move || {
            let _ = sender.send(child.wait_with_output());
        });
        let output = match receiver.recv_timeout(limit) {
            Ok(output) => output.map_err(|e| format!("cannot wait for the official SDK: {e}"))?,
            Err(_) => {
                kill_group(pid);
                return Err(format!("the official SDK timed out after {limit:?}"));
            }
        };
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(format!(
                "the official SDK failed ({}): {} {}",
                output.status,
                stdout.trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        // Its summary is the last line on stdout; stderr carries only the SDK's own logging.
        let line = stdout.lines().last().unwrap_or_default();
        let summary: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("unexpected output of the official SDK {line:?}: {e}"))?;
        let number = |key: &str| summary.get(key).and_then(serde_json::Value::as_u64);
        let elapsed = summary
            .get("elapsed_s")
            .and_then(serde_json::Value::as_f64)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| format!("no elapsed_s in {line:?}"))?;
        Ok(PeerRun {
            elapsed: Duration::from_secs_f64(elapsed),
            backups: number("backups").unwrap_or(0),
            pages: number("pages").unwrap_or(0),
        })
    }

    /// The interpreter's version and the installed SDK's, e.g. `("3.11.7", "3.1.219")`.
    pub fn versions(&self) -> (String, String) {
        let output = Command::new(&self.python)
            .args([
                "-c",
                "import importlib.metadata as m, platform; \
                 print(platform.python_version(), m.version('huaweicloudsdkcbr'))",
            ])
            .env("HOME", &self.home)
            .stdin(Stdio::null())
            .output();
        let text = output.map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        let text = text.unwrap_or_default();
        let mut words = text.split_whitespace().map(str::to_owned);
        let python = words.next().unwrap_or_else(|| "unknown".into());
        let sdk = words.next().unwrap_or_else(|| "unknown".into());
        (python, sdk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_past_its_limit_is_killed_with_its_group() {
        // given: a shell in its own group whose child would sleep long
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30; echo late"]).stdout(Stdio::piped()).process_group(0);
        let Ok(child) = command.spawn() else { return };
        let pid = child.id();
        // done: it is waited for a short time
        let began = Instant::now();
        let outcome = wait_bounded(child, Duration::from_millis(200));
        // must hold: an error soon, and no process of the group is left
        assert!(outcome.is_err());
        assert!(began.elapsed() < Duration::from_secs(10));
        let group_alive = || {
            Command::new("kill")
                .args(["-0", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        // (the killed grandchild may take a moment to die and be reaped)
        let gone = (0..100).any(|_| {
            thread::sleep(Duration::from_millis(50));
            !group_alive()
        });
        assert!(gone);
    }

    #[test]
    fn gnu_time_output_is_read_from_its_last_line() {
        // given: GNU time's file after a failed command
        let dir = std::env::temp_dir().join(format!("cbr-bench-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("time.txt");
        let _ = std::fs::write(&file, "Command exited with non-zero status 1\n0.25 0.05 15360\n");
        // done
        let read = read_gnu_time(&file);
        let _ = std::fs::remove_dir_all(&dir);
        // must hold
        let Ok((cpu, rss)) = read else { panic!("unreadable: {read:?}") };
        assert_eq!(cpu, Some(Duration::from_millis(300)));
        assert_eq!(rss, Some(15360));
    }
}
