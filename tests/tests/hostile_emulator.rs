//! Hostile requests to `cbr emulator serve`, table-driven over raw TCP: each gets an answer
//! (or a clean close), none stops the server, and a normal request still works afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::Duration;

use cbr_e2e::{PROJECT, ServeProcess};

/// Sends `request` as is and returns the status code of the answer, or 0 for a closed
/// connection without one.
fn status_of(address: &str, request: &[u8]) -> u16 {
    let mut stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split_whitespace().nth(1).and_then(|code| code.parse().ok()).unwrap_or(0)
}

fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").into_bytes()
}

/// A request line (`METHOD target`), extra header lines, and a body, as raw HTTP/1.1 bytes.
fn raw(line: &str, headers: &str, body: &str) -> Vec<u8> {
    format!("{line} HTTP/1.1\r\nHost: h\r\n{headers}Connection: close\r\n\r\n{body}").into_bytes()
}

#[test]
fn hostile_requests_get_answers_and_the_server_survives() {
    let server = ServeProcess::start(&[]);
    let address = server.url.trim_start_matches("http://").to_owned();
    let backups = format!("/v3/{PROJECT}/backups");
    let long_query = format!("{backups}?name={}", "x".repeat(60_000));
    let many_keys = format!("{backups}?{}", "status=available&".repeat(5_000));
    let flood = format!("X-A: {}\r\n", "a".repeat(200_000));
    let cases: Vec<(&str, Vec<u8>, &[u16])> = vec![
        ("bad escape in value", get(&format!("{backups}?name=%zz")), &[400]),
        ("lone percent", get(&format!("{backups}?name=%")), &[400]),
        ("escape of invalid UTF-8", get(&format!("{backups}?name=%FF%FE")), &[400]),
        ("empty pairs", get(&format!("{backups}?&&&=&")), &[200, 400]),
        ("limit 0", get(&format!("{backups}?limit=0")), &[400]),
        ("limit huge", get(&format!("{backups}?limit=99999999999999999999")), &[400]),
        ("negative offset", get(&format!("{backups}?offset=-1")), &[400]),
        ("sort injection", get(&format!("{backups}?sort=created_at:desc%26limit%3D1")), &[400]),
        ("repeated limit", get(&format!("{backups}?limit=1&limit=2")), &[400]),
        ("unknown marker", get(&format!("{backups}?marker=nope")), &[400]),
        ("60 KB query", get(&long_query), &[400, 414, 431, 0]),
        ("5000 repeated keys", get(&many_keys), &[200, 400, 414, 431, 0]),
        ("bad escape in path", get("/v3/%zz/backups"), &[200, 400, 404]),
        ("unknown path", get("/v3/p/vaults"), &[404]),
        ("root", get("/"), &[404]),
        ("POST", raw(&format!("POST {backups}"), "Content-Length: 2\r\n", "{}"), &[404, 405]),
        ("DELETE", raw(&format!("DELETE {backups}"), "", ""), &[404, 405]),
        ("garbage", b"\x00\x01\x02 not http at all\r\n\r\n".to_vec(), &[400, 0]),
        ("unfinished request", b"GET /v3/p/backups HTTP/1.1\r\nHost:".to_vec(), &[400, 0]),
        ("header flood", raw(&format!("GET {backups}"), &flood, ""), &[200, 400, 431, 0]),
    ];
    for (name, request, allowed) in &cases {
        let status = status_of(&address, request);
        assert!(allowed.contains(&status), "{name}: got {status}, expected one of {allowed:?}");
    }
    // The server still answers a normal request.
    assert_eq!(status_of(&address, &get(&format!("{backups}?limit=1"))), 200);
    println!("hostile emulator requests: {} cases, server still serving", cases.len());
}
