//! The official Python SDK against `cbr emulator serve` with signature checks on: our
//! emulator must accept the official signer's requests, and refuse them with a wrong SK.

use cbr_e2e::{PROJECT, Peer, ServeProcess};

const AK: &str = "AKE2EAUTHPEER0001";
const SK: &str = "sk-e2e-auth-peer-secret";

#[test]
fn the_official_sdk_is_verified_and_lists_every_documented_backup() {
    let Some(peer) = Peer::find() else { return };
    let server = ServeProcess::start(&["--ak", AK, "--sk", SK]);
    let connection = ["--endpoint", &server.url, "--project-id", PROJECT, "--ak", AK];

    for mode in [&[][..], &["--marker"][..]] {
        // Given the right keys, by offset and by marker.
        let args = [&connection[..], &["--sk", SK, "--limit", "1000"], mode].concat();

        // When the official SDK lists everything.
        let out = peer.run(&args);

        // Then every documented backup arrives in two pages.
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.starts_with("backups=1663 pages=2 "), "{mode:?}: {stdout}");
    }
}

#[test]
fn the_official_sdk_is_refused_with_a_wrong_secret_key() {
    let Some(peer) = Peer::find() else { return };
    let server = ServeProcess::start(&["--ak", AK, "--sk", SK]);
    let args = ["--endpoint", &server.url, "--project-id", PROJECT, "--ak", AK];

    // A non-empty wrong SK: an empty one would send the SDK to the metadata service.
    let out =
        peer.run(&[&args[..], &["--sk", "sk-e2e-auth-peer-WRONG", "--max-pages", "1"]].concat());

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("http=401 code=APIGW.0301"), "{stderr}");
}
