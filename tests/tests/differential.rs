//! Differential test: the official Python SDK (`peer_list.py`) and our `cbr` binary list the
//! same emulator with the same queries — each filter alone, several statuses, sorts with
//! several keys, time windows, offset and marker paging, page sizes 1, 7 and 1000 — and
//! must yield identical id sequences.

use cbr_e2e::{PROJECT, Peer, ServeProcess, cbr};
use cbr_emulator::Dataset;
use cbr_emulator::dataset::VAULT_IDS;

/// How a case pages.
#[derive(Debug, Clone, Copy)]
enum Paging {
    Offset(u32),
    Marker(u32),
}

/// One query of the matrix: the filter flags (spelled the same for both tools) and paging.
struct Case {
    label: String,
    generated: bool,
    filters: Vec<String>,
    paging: Paging,
}

fn case(label: &str, generated: bool, filters: &[&str], paging: Paging) -> Case {
    Case {
        label: label.to_owned(),
        generated,
        filters: filters.iter().map(|s| (*s).to_owned()).collect(),
        paging,
    }
}

/// The matrix over the generated dataset (3000 backups, seed 7) and the documented one.
fn matrix() -> Vec<Case> {
    use Paging::{Marker, Offset};
    let generated = Dataset::generated(3000, 7);
    let named = generated.backups[1234].name.clone().unwrap_or_default();
    let documented = Dataset::documented();
    let documented_name = documented.backups[99].name.clone().unwrap_or_default();
    let (server_vault, disk_vault) = (VAULT_IDS[0], VAULT_IDS[2]);
    let window = ["--start-time", "2020-03-01T00:00:00Z", "--end-time", "2020-03-15T12:00:00Z"];
    let g = true;
    vec![
        case("everything, offset 1000", g, &[], Offset(1000)),
        case("everything, marker 1000", g, &[], Marker(1000)),
        case("servers, offset 1000", g, &["--resource-type", "OS::Nova::Server"], Offset(1000)),
        case("disks, marker 1000", g, &["--resource-type", "OS::Cinder::Volume"], Marker(1000)),
        case("sfs turbo, marker 7", g, &["--resource-type", "OS::Sfs::Turbo"], Marker(7)),
        case("one status, offset 7", g, &["--status", "error"], Offset(7)),
        case("one status, marker 7", g, &["--status", "error"], Marker(7)),
        case("two statuses", g, &["--status", "available", "--status", "error"], Marker(1000)),
        case(
            "three statuses",
            g,
            &["--status", "deleting", "--status", "restoring", "--status", "waiting_delete"],
            Offset(7),
        ),
        case("rare status, offset 1", g, &["--status", "waiting_restore"], Offset(1)),
        case("rare status, marker 1", g, &["--status", "waiting_restore"], Marker(1)),
        case("vault", g, &["--vault-id", disk_vault], Offset(1000)),
        case("vault, marker 7", g, &["--vault-id", server_vault], Marker(7)),
        case("name", g, &["--name", &named], Offset(1)),
        case("replicas", g, &["--image-type", "replication"], Marker(7)),
        case("backups only", g, &["--image-type", "backup"], Offset(1000)),
        case("default enterprise project", g, &["--enterprise-project-id", "0"], Marker(1000)),
        case(
            "all enterprise projects",
            g,
            &["--enterprise-project-id", "all_granted_eps"],
            Offset(1000),
        ),
        case("own private", g, &["--own-type", "private"], Marker(1000)),
        case("own all_granted", g, &["--own-type", "all_granted"], Offset(1000)),
        case("own shared (nothing)", g, &["--own-type", "shared"], Offset(1000)),
        case("show replication", g, &["--show-replication"], Marker(1000)),
        case("sort name asc", g, &["--sort", "name:asc"], Marker(1000)),
        case(
            "sort name desc, errors, marker 7",
            g,
            &["--sort", "name:desc", "--status", "error"],
            Marker(7),
        ),
        case("sort status then created asc", g, &["--sort", "status,created_at:asc"], Offset(1000)),
        case("sort three keys", g, &["--sort", "updated_at:asc,name:desc,id:asc"], Marker(1000)),
        case("sort without direction", g, &["--sort", "protected_at"], Offset(1000)),
        case("window", g, &window, Marker(7)),
        case("start only", g, &["--start-time", "2020-08-01T00:00:00Z"], Offset(1000)),
        case("end only", g, &["--end-time", "2019-10-01T00:00:00Z"], Marker(1000)),
        case(
            "window, disks, sorted by name",
            g,
            &[&window[..], &["--resource-type", "OS::Cinder::Volume", "--sort", "name:asc"]]
                .concat(),
            Offset(7),
        ),
        case(
            "vault and status, offset 7",
            g,
            &["--vault-id", disk_vault, "--status", "available"],
            Offset(7),
        ),
        case("documented, offset 1000", false, &[], Offset(1000)),
        case(
            "documented servers, marker 7",
            false,
            &["--resource-type", "OS::Nova::Server"],
            Marker(7),
        ),
        case("documented, oldest first", false, &["--sort", "created_at:asc"], Marker(1000)),
        case("documented name, page size 1", false, &["--name", &documented_name], Marker(1)),
    ]
}

/// The ids a tool printed: lines of 36 characters of hex and dashes.
fn uuid_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.len() == 36 && l.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()))
        .map(str::to_owned)
        .collect()
}

fn peer_ids(peer: &Peer, url: &str, case: &Case) -> Vec<String> {
    let mut args: Vec<String> =
        ["--endpoint", url, "--project-id", PROJECT, "--ids"].map(str::to_owned).to_vec();
    let (limit, marker) = match case.paging {
        Paging::Offset(limit) => (limit, false),
        Paging::Marker(limit) => (limit, true),
    };
    args.extend(["--limit".to_owned(), limit.to_string()]);
    if marker {
        args.push("--marker".to_owned());
    }
    args.extend(case.filters.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = peer.run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "peer, {}: {stderr}", case.label);
    uuid_lines(&stderr)
}

fn cbr_ids(url: &str, case: &Case) -> Vec<String> {
    let (limit, strategy) = match case.paging {
        Paging::Offset(limit) => (limit, "offset"),
        Paging::Marker(limit) => (limit, "marker"),
    };
    let limit = limit.to_string();
    let mut args = vec![
        "backups",
        "list",
        "--endpoint",
        url,
        "--project-id",
        PROJECT,
        "--all",
        "-o",
        "ndjson",
        "--limit",
        &limit,
        "--strategy",
        strategy,
    ];
    args.extend(case.filters.iter().map(String::as_str));
    let out = cbr(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "cbr, {}: {}", case.label, String::from_utf8_lossy(&out.stderr));
    stdout
        .lines()
        .map(|line| {
            let backup: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("cbr, {}: not JSON ({e}): {line}", case.label));
            backup["id"].as_str().unwrap_or_default().to_owned()
        })
        .collect()
}

#[test]
fn the_official_sdk_and_cbr_list_the_same_ids() {
    let Some(peer) = Peer::find() else { return };
    // given: the generated and the documented dataset served, and the matrix of queries
    let generated =
        ServeProcess::start(&["--dataset", "generated", "--backups", "3000", "--seed", "7"]);
    let documented = ServeProcess::start(&[]);
    let cases = matrix();
    assert!(cases.len() >= 30, "{} cases", cases.len());
    // done: both tools list every page, two cases at a time
    let non_empty = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for half in cases.chunks(cases.len().div_ceil(2)) {
            let (peer, non_empty) = (&peer, &non_empty);
            let (generated, documented) = (&generated.url, &documented.url);
            scope.spawn(move || {
                for case in half {
                    let url = if case.generated { generated } else { documented };
                    let expected = peer_ids(peer, url, case);
                    let ours = cbr_ids(url, case);
                    // must hold: the same ids in the same order
                    assert_eq!(ours.len(), expected.len(), "{}: count differs", case.label);
                    assert_eq!(ours, expected, "{}: order differs", case.label);
                    if !expected.is_empty() {
                        non_empty.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let non_empty = non_empty.into_inner();
    // must hold: the matrix is not vacuous (only `own_type=shared` lists nothing)
    assert_eq!(non_empty, cases.len() - 1);
}
