//! The official Huawei Cloud Python SDK in a virtual environment under `target/`, installed by
//! name and version from the Python package registry.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned official SDK the differential tests compare against.
const PEER_PACKAGE: &str = "huaweicloudsdkcbr==3.1.219";

/// The workspace root (the folder above `xtask`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Creates the virtual environment and installs the SDK unless that was done already; returns
/// the environment's Python interpreter.
pub fn ensure() -> Result<PathBuf, String> {
    let venv = workspace_root().join("target").join("peer-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join(".installed");
    if std::fs::read_to_string(&marker).is_ok_and(|text| text.trim() == PEER_PACKAGE) {
        return Ok(python);
    }
    eprintln!("xtask: installing {PEER_PACKAGE} into {}", venv.display());
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv), "create the virtual environment")?;
    run(
        Command::new(&python).args(["-m", "pip", "install", "--quiet", PEER_PACKAGE]),
        "install the official SDK",
    )?;
    std::fs::write(&marker, PEER_PACKAGE).map_err(|e| format!("cannot write {marker:?}: {e}"))?;
    Ok(python)
}

fn run(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("cannot {what}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("cannot {what}: {status}")) }
}
