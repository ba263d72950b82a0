//! Times `decode_page` on large generated pages: `cargo run --release -p cbr-model --example
//! decode_timing`. Two shapes (the seed's backups, rich in undocumented `extend_info` keys, and
//! the documentation example's, with documented keys only), each clean (the fast path) and with
//! one odd field (the slow path). Prints the median of 101 runs. Each run keeps the previous
//! page alive until the next one is decoded, as a pager does; freeing everything between runs
//! instead lets glibc hand the heap back to the kernel after each run, and the page faults of
//! growing it again then dominate the figures.

use std::time::Instant;

use cbr_model::decode_page;
use serde_json::{Value, json};

const SEED: &str = include_str!("../tests/fixtures/seed_list_1.json");
const DOCS: &str = include_str!("../tests/fixtures/docs_example.json");

/// A page of `count` copies of the first backup of `fixture`, each with its own id and name.
fn page(fixture: &str, count: usize) -> Value {
    let fixture: Value = serde_json::from_str(fixture).unwrap_or_default();
    let template = fixture["backups"][0].clone();
    let backups: Vec<Value> = (0..count)
        .map(|index| {
            let mut backup = template.clone();
            backup["id"] = json!(format!("00000000-0000-4000-8000-{index:012}"));
            backup["name"] = json!(format!("autobk_{index:04}"));
            backup
        })
        .collect();
    json!({ "backups": backups, "count": count })
}

/// The median time of `work` over `runs` runs, in microseconds; each result is dropped only
/// after the next run.
fn median_micros<T>(runs: usize, mut work: impl FnMut() -> T) -> u128 {
    let mut held = None;
    let mut times: Vec<u128> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let result = std::hint::black_box(work());
            let elapsed = start.elapsed().as_micros();
            held = Some(result);
            elapsed
        })
        .collect();
    drop(held);
    times.sort_unstable();
    times[runs / 2]
}

fn main() {
    for (shape, fixture) in [("seed-shaped", SEED), ("docs-shaped", DOCS)] {
        let clean = page(fixture, 1000);
        let mut odd = clean.clone();
        odd["backups"][500]["resource_size"] = json!("forty");
        for (case, value) in [("clean", clean), ("one odd field", odd)] {
            let body = serde_json::to_vec(&value).unwrap_or_default();
            let found = decode_page(&body).map(|p| p.odd_fields.len()).unwrap_or(usize::MAX);
            let micros = median_micros(101, || decode_page(&body));
            println!(
                "decode_page, {shape}, {case} ({found} odd), {} KiB: {micros} µs",
                body.len() / 1024
            );
        }
    }
}
