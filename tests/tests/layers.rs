//! Layers stay layers: `cbr-model` never depends on an async runtime or HTTP stack, and
//! `cbr-transport` never depends on `cbr-model`.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// Names of every package `root` depends on (normal dependencies, transitively).
fn normal_dependencies(metadata: &Value, root: &str) -> BTreeSet<String> {
    let packages: HashMap<&str, &str> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some((n["id"].as_str()?, n)))
        .collect();
    let start = packages.iter().find(|(_, name)| **name == root).map(|(id, _)| *id);
    let mut stack: Vec<&str> = start.into_iter().collect();
    let mut seen = BTreeSet::new();
    while let Some(id) = stack.pop() {
        for dep in nodes.get(id).and_then(|n| n["deps"].as_array()).into_iter().flatten() {
            let normal =
                dep["dep_kinds"].as_array().into_iter().flatten().any(|k| k["kind"].is_null());
            let Some(dep_id) = dep["pkg"].as_str() else { continue };
            if normal && seen.insert(packages.get(dep_id).copied().unwrap_or(dep_id).to_owned()) {
                stack.push(dep_id);
            }
        }
    }
    seen
}

#[test]
fn model_and_transport_keep_their_place() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline", "--manifest-path", manifest])
        .output()
        .unwrap_or_else(|e| panic!("cargo metadata: {e}"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let metadata: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));

    let model = normal_dependencies(&metadata, "cbr-model");
    assert!(model.contains("serde"), "the walk found no dependencies: {model:?}");
    for forbidden in ["tokio", "reqwest", "hyper", "axum", "futures", "cbr-transport"] {
        assert!(!model.contains(forbidden), "cbr-model depends on {forbidden}");
    }
    let transport = normal_dependencies(&metadata, "cbr-transport");
    assert!(transport.contains("http"));
    assert!(!transport.contains("cbr-model"), "cbr-transport depends on cbr-model");
}
