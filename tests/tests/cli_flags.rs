//! Every flag of `cbr backups list` changes the request as documented: the built binary lists
//! from `cbr emulator serve --request-log FILE`, and the raw query string the emulator received
//! must be the canonical wire form exactly (keys sorted, repeated `status` values sorted,
//! every byte outside `A-Za-z0-9-_.~` percent-encoded, times in UTC with `Z`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use cbr_e2e::{PROJECT, ServeProcess, cbr_isolated};
use serde_json::Value;
use tempfile::TempDir;

/// The id of the first backup of the API documentation's example (documented dataset).
const DOCUMENTED_ID: &str = "62617971-839d-4d23-8dfd-4ca65c039bdf";

/// One row of the table: the flags given, and the query string the first request must carry.
struct Case {
    flags: &'static [&'static str],
    wire: &'static str,
}

/// Flags that each make exactly one request (a single page), and its canonical query.
const CASES: &[Case] = &[
    // a bare single-page list leaves every parameter, `limit` included, to the service
    Case { flags: &[], wire: "" },
    Case {
        flags: &["--resource-type", "OS::Nova::Server"],
        wire: "resource_type=OS%3A%3ANova%3A%3AServer",
    },
    Case {
        flags: &["--resource-type", "OS::Cinder::Volume"],
        wire: "resource_type=OS%3A%3ACinder%3A%3AVolume",
    },
    // repeated values go out sorted, whatever order they were given in
    Case {
        flags: &["--status", "error", "--status", "available"],
        wire: "status=available&status=error",
    },
    Case {
        flags: &["--status", "available", "--status", "error"],
        wire: "status=available&status=error",
    },
    Case {
        flags: &["--vault-id", "1572bd27-e221-4f28-94ca-9777d232fcd7"],
        wire: "vault_id=1572bd27-e221-4f28-94ca-9777d232fcd7",
    },
    Case { flags: &["--name", "my backup & co"], wire: "name=my%20backup%20%26%20co" },
    Case { flags: &["--name", "a+b=c/d"], wire: "name=a%2Bb%3Dc%2Fd" },
    Case {
        flags: &["--sort", "created_at:desc,name:asc"],
        wire: "sort=created_at%3Adesc%2Cname%3Aasc",
    },
    Case { flags: &["--sort", "name"], wire: "sort=name" },
    // any offset becomes UTC with `Z`; fractions of a second are dropped
    Case {
        flags: &["--start-time", "2024-03-01T08:00:00+08:00"],
        wire: "start_time=2024-03-01T00%3A00%3A00Z",
    },
    Case {
        flags: &["--start-time", "2024-03-01T08:00:00.750+08:00"],
        wire: "start_time=2024-03-01T00%3A00%3A00Z",
    },
    // a bare --end-time date is the last second of that day, UTC
    Case { flags: &["--end-time", "2024-03-02"], wire: "end_time=2024-03-02T23%3A59%3A59Z" },
    Case {
        flags: &["--start-time", "2024-03-01T23:30:00-01:00", "--end-time", "2024-03-03"],
        wire: "end_time=2024-03-03T23%3A59%3A59Z&start_time=2024-03-02T00%3A30%3A00Z",
    },
    Case {
        flags: &["--resource-id", "d6bf7592-ca52-43a2-9979-e418d64b29bb"],
        wire: "resource_id=d6bf7592-ca52-43a2-9979-e418d64b29bb",
    },
    Case {
        flags: &["--resource-name", "备份-中文"],
        wire: "resource_name=%E5%A4%87%E4%BB%BD-%E4%B8%AD%E6%96%87",
    },
    Case { flags: &["--resource-az", "br-iaas-odin1a"], wire: "resource_az=br-iaas-odin1a" },
    Case {
        flags: &["--checkpoint-id", "e6aec7a9-7b03-4c1d-8a07-5983b53c53f3"],
        wire: "checkpoint_id=e6aec7a9-7b03-4c1d-8a07-5983b53c53f3",
    },
    Case {
        flags: &["--parent-id", DOCUMENTED_ID],
        wire: "parent_id=62617971-839d-4d23-8dfd-4ca65c039bdf",
    },
    Case { flags: &["--image-type", "replication"], wire: "image_type=replication" },
    Case { flags: &["--own-type", "all_granted"], wire: "own_type=all_granted" },
    Case { flags: &["--member-status", "pending"], wire: "member_status=pending" },
    Case {
        flags: &["--enterprise-project-id", "all_granted_eps"],
        wire: "enterprise_project_id=all_granted_eps",
    },
    Case { flags: &["--used-percent", "80"], wire: "used_percent=80" },
    Case { flags: &["--incremental", "true"], wire: "incremental=true" },
    Case { flags: &["--incremental", "false"], wire: "incremental=false" },
    // a bare --show-replication means true
    Case { flags: &["--show-replication"], wire: "show_replication=true" },
    Case { flags: &["--show-replication", "false"], wire: "show_replication=false" },
    Case { flags: &["--dec", "true"], wire: "dec=true" },
    Case { flags: &["--dec", "false"], wire: "dec=false" },
    // paging of a single page
    Case { flags: &["--limit", "25"], wire: "limit=25" },
    Case { flags: &["--page-size", "7"], wire: "limit=7" },
    Case { flags: &["--offset", "10"], wire: "offset=10" },
    Case { flags: &["--limit", "5", "--offset", "20"], wire: "limit=5&offset=20" },
    Case {
        flags: &["--marker", DOCUMENTED_ID],
        wire: "marker=62617971-839d-4d23-8dfd-4ca65c039bdf",
    },
    Case {
        flags: &["--marker", DOCUMENTED_ID, "--page-size", "3"],
        wire: "limit=3&marker=62617971-839d-4d23-8dfd-4ca65c039bdf",
    },
    // everything at once, given out of order: one key each, sorted
    Case {
        flags: &[
            "--vault-id",
            "v 1",
            "--dec",
            "false",
            "--used-percent",
            "5",
            "--status",
            "error",
            "--sort",
            "id:asc",
            "--resource-type",
            "OS::Nova::Server",
            "--resource-name",
            "é",
            "--resource-id",
            "r",
            "--resource-az",
            "az",
            "--parent-id",
            "p",
            "--own-type",
            "private",
            "--offset",
            "1",
            "--name",
            "n",
            "--member-status",
            "accepted",
            "--limit",
            "2",
            "--incremental",
            "true",
            "--image-type",
            "backup",
            "--enterprise-project-id",
            "0",
            "--end-time",
            "2030-01-01",
            "--checkpoint-id",
            "c",
            "--show-replication",
            "true",
            "--start-time",
            "2020-01-01T00:00:00Z",
            "--status",
            "available",
        ],
        wire: "checkpoint_id=c&dec=false&end_time=2030-01-01T23%3A59%3A59Z\
               &enterprise_project_id=0&image_type=backup&incremental=true&limit=2\
               &member_status=accepted&name=n&offset=1&own_type=private&parent_id=p\
               &resource_az=az&resource_id=r&resource_name=%C3%A9\
               &resource_type=OS%3A%3ANova%3A%3AServer&show_replication=true&sort=id%3Aasc\
               &start_time=2020-01-01T00%3A00%3A00Z&status=available&status=error\
               &used_percent=5&vault_id=v%201",
    },
];

/// An emulator with a request log in a temporary folder.
struct Logged {
    server: ServeProcess,
    log: PathBuf,
    _dir: TempDir,
}

impl Logged {
    /// Starts `cbr emulator serve --request-log FILE` plus `extra` flags.
    fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("requests.ndjson");
        let log_arg = log.to_str().unwrap().to_owned();
        let server = ServeProcess::start(&[&["--request-log", log_arg.as_str()], extra].concat());
        Self { server, log, _dir: dir }
    }

    /// Runs `cbr backups list` against this emulator (no credentials) with `flags`.
    fn list(&self, flags: &[&str]) -> Output {
        let base = ["backups", "list", "--endpoint", &self.server.url, "--project-id", PROJECT];
        cbr_isolated(&[&base[..], &["--quiet", "-o", "ndjson"], flags].concat(), &[])
    }

    /// The log's complete lines, once there are at least `at_least` of them (polled for up to
    /// 2 s, in case a line is written after the response it describes).
    fn entries(&self, at_least: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let lines = complete_lines(&self.log);
            if lines.len() >= at_least || Instant::now() >= deadline {
                return lines
                    .iter()
                    .map(|line| serde_json::from_str(line).expect("a log line is JSON"))
                    .collect();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The lines of `path` that end with a newline (a line still being written is left out).
fn complete_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete.lines().map(str::to_owned).collect()
}

fn query(entry: &Value) -> &str {
    entry["query"].as_str().expect("the log has the raw query")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The ids printed by `-o ndjson`, in order.
fn printed_ids(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let backup: Value = serde_json::from_str(line).expect("ndjson");
            backup["id"].as_str().expect("an id").to_owned()
        })
        .collect()
}

#[test]
fn each_flag_sends_its_canonical_wire_form() {
    // given: the documented dataset, served with a request log
    let emulator = Logged::start(&[]);
    let path = format!("/v3/{PROJECT}/backups");
    let mut wrong = Vec::new();
    for case in CASES {
        let before = complete_lines(&emulator.log).len();
        // done: one single-page listing with the case's flags
        let out = emulator.list(case.flags);
        // must hold: success, exactly one request, a GET of the listing with exactly this query
        if !out.status.success() {
            wrong.push(format!("{:?}: exit {:?}: {}", case.flags, out.status.code(), stderr(&out)));
            continue;
        }
        let entries = emulator.entries(before + 1);
        let sent = &entries[before.min(entries.len())..];
        let Some(first) = sent.first() else {
            wrong.push(format!("{:?}: no request was logged", case.flags));
            continue;
        };
        assert_eq!(first["method"], "GET", "{:?}", case.flags);
        assert_eq!(first["path"], path.as_str(), "{:?}", case.flags);
        if sent.len() != 1 {
            wrong.push(format!("{:?}: {} requests instead of 1", case.flags, sent.len()));
        }
        if query(first) != case.wire {
            wrong.push(format!(
                "{:?}:\n    expected {:?}\n    actual   {:?}",
                case.flags,
                case.wire,
                query(first)
            ));
        }
    }
    assert!(CASES.len() >= 25);
    assert!(wrong.is_empty(), "{} of {} cases:\n{}", wrong.len(), CASES.len(), wrong.join("\n"));
}

#[test]
fn all_walks_by_marker_from_the_last_id_printed() {
    // given: the documented dataset (1663 backups)
    let emulator = Logged::start(&[]);
    // done
    let out = emulator.list(&["--all", "--limit", "500"]);
    // must hold: four pages of 500; each after the first starts after the last id printed
    assert!(out.status.success(), "{}", stderr(&out));
    let ids = printed_ids(&out);
    assert_eq!(ids.len(), 1663);
    let sent: Vec<String> = emulator.entries(4).iter().map(|e| query(e).to_owned()).collect();
    let expected: Vec<String> = std::iter::once("limit=500".to_owned())
        .chain([499, 999, 1499].map(|last| format!("limit=500&marker={}", ids[last])))
        .collect();
    assert_eq!(sent, expected);
}

#[test]
fn all_by_offset_sends_each_offset_once() {
    // given: the documented dataset
    let emulator = Logged::start(&[]);
    // done
    let out = emulator.list(&["--all", "--strategy", "offset", "--limit", "700"]);
    // must hold: offsets 0, 700, 1400 in order, each with the limit
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(printed_ids(&out).len(), 1663);
    let sent: Vec<String> = emulator.entries(3).iter().map(|e| query(e).to_owned()).collect();
    assert_eq!(sent, ["limit=700&offset=0", "limit=700&offset=700", "limit=700&offset=1400"]);
}

#[test]
fn max_items_asks_for_exactly_that_many_once() {
    // given: the documented dataset
    let emulator = Logged::start(&[]);
    // done
    let out = emulator.list(&["--max-items", "5"]);
    // must hold: one request with limit=5, five backups printed
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(printed_ids(&out).len(), 5);
    let sent: Vec<String> = emulator.entries(1).iter().map(|e| query(e).to_owned()).collect();
    assert_eq!(sent, ["limit=5"]);
}

#[test]
fn concurrent_walks_send_every_offset_once() {
    // given: the documented dataset
    let emulator = Logged::start(&[]);
    // done
    let out = emulator.list(&[
        "--all",
        "--strategy",
        "concurrent",
        "--concurrency",
        "3",
        "--limit",
        "400",
    ]);
    // must hold: offset 0 first (it tells `count`), then 400..1600 in any order, each once
    assert!(out.status.success(), "{}", stderr(&out));
    let ids = printed_ids(&out);
    assert_eq!(ids.len(), 1663);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 1663);
    let sent: Vec<String> = emulator.entries(5).iter().map(|e| query(e).to_owned()).collect();
    assert_eq!(sent.len(), 5, "{sent:?}");
    assert_eq!(sent[0], "limit=400&offset=0");
    let rest: BTreeSet<&str> = sent[1..].iter().map(String::as_str).collect();
    let expected: BTreeSet<String> =
        [400, 800, 1200, 1600].map(|offset| format!("limit=400&offset={offset}")).into();
    assert_eq!(rest, expected.iter().map(String::as_str).collect());
}

#[test]
fn retries_bound_the_requests_of_a_failing_page() {
    // given: an emulator that answers every request with 503
    let emulator = Logged::start(&["--faults", "503", "--fault-rate", "1"]);
    for (flags, attempts) in [(&["--retries", "0"][..], 1), (&["--retries", "1"], 2), (&[], 3)] {
        let before = complete_lines(&emulator.log).len();
        // done
        let out = emulator.list(flags);
        // must hold: exit 1 with the 503, after exactly 1 + retries requests (default 2)
        assert_eq!(out.status.code(), Some(1), "{flags:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("503"), "{flags:?}: {}", stderr(&out));
        let entries = emulator.entries(before + attempts);
        let sent = &entries[before..];
        assert_eq!(sent.len(), attempts, "{flags:?}: {sent:?}");
        assert!(sent.iter().all(|e| e["status"] == 503 && query(e).is_empty()), "{sent:?}");
    }
}
