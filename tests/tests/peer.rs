//! The official Python SDK against our emulator: it must list what we list.

use cbr_e2e::{PROJECT, Peer, ServeProcess};

#[test]
fn the_official_sdk_lists_every_documented_backup() {
    let Some(peer) = Peer::find() else { return };
    let server = ServeProcess::start(&[]);
    for mode in [&[][..], &["--marker"][..]] {
        let args = [&["--endpoint", &server.url, "--project-id", PROJECT, "--limit", "1000"], mode]
            .concat();
        let out = peer.run(&args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.starts_with("backups=1663 pages=2 "), "{mode:?}: {stdout}");
    }
}
