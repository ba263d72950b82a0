//! `ReqwestTransport` against a tiny HTTP server started on 127.0.0.1 inside each test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cbr_transport::{
    Credentials, HttpTransport, ReqwestTransport, Signer, TimeoutKind, TransportError,
};
use chrono::Utc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the test server does after reading a request head.
#[derive(Clone)]
enum Reply {
    /// Writes these bytes, then closes the connection.
    Raw(Vec<u8>),
    /// Never answers (the connection stays open until the test ends).
    Hang,
}

/// A one-behaviour HTTP/1.1 server on 127.0.0.1 that keeps every request head it reads.
struct Server {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl Server {
    async fn start(reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (reply, seen) = (reply.clone(), seen.clone());
                tokio::spawn(async move { serve(stream, reply, seen).await });
            }
        });
        Self { addr, heads, task }
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, reply: Reply, seen: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    seen.lock().unwrap().push(String::from_utf8_lossy(&head).into_owned());
    match reply {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Hang => tokio::time::sleep(Duration::from_secs(3600)).await,
    }
}

fn response(status_line: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("connection: close\r\n\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

fn transport() -> ReqwestTransport {
    ReqwestTransport::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap()
}

fn get(url: &str) -> http::Request<Bytes> {
    http::Request::get(url).body(Bytes::new()).unwrap()
}

/// Header lines of a captured request head, lower-cased names, in order.
fn header_lines(head: &str) -> Vec<(String, String)> {
    head.split("\r\n")
        .skip(1)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn signed_request_goes_out_exactly_as_signed() {
    let ok = response("200 OK", &[("content-length", "2")], b"{}");
    let server = Server::start(Reply::Raw(ok)).await;
    let mut request = http::Request::get(server.url("/v3/p/backups?name=a%20b&limit=1"))
        .header("content-type", "application/json")
        .header("user-agent", "signed-agent/1.0")
        .body(Bytes::new())
        .unwrap();
    let parts = Signer::new(Credentials::new("AK", "SK")).sign(&mut request, Utc::now()).unwrap();

    let response = transport().send(request).await.unwrap();

    assert_eq!(response.status(), 200);
    let head = &server.heads()[0];
    assert!(head.starts_with("GET /v3/p/backups?limit=1&name=a%20b HTTP/1.1\r\n"), "{head}");
    let lines = header_lines(head);
    let count = |name: &str| lines.iter().filter(|(n, _)| n == name).count();
    let value = |name: &str| lines.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    assert_eq!(count("host"), 1);
    assert_eq!(value("host"), Some(server.addr.to_string().as_str()));
    assert_eq!(count("user-agent"), 1);
    assert_eq!(value("user-agent"), Some("signed-agent/1.0"));
    assert_eq!(value("authorization"), Some(parts.authorization.as_str()));
    let unsigned: Vec<&str> = lines
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !parts.signed_headers.split(';').any(|s| s == *n) && *n != "authorization")
        .collect();
    assert_eq!(unsigned, ["accept", "accept-encoding"], "{head}");
}

#[tokio::test]
async fn no_user_agent_unless_given_or_configured() {
    let ok = response("204 No Content", &[], b"");
    let server = Server::start(Reply::Raw(ok)).await;
    let configured = ReqwestTransport::builder().no_proxy().user_agent("fallback/2").build();

    transport().send(get(&server.url("/a"))).await.unwrap();
    configured.unwrap().send(get(&server.url("/b"))).await.unwrap();

    let heads = server.heads();
    assert!(!heads[0].to_ascii_lowercase().contains("user-agent"), "{}", heads[0]);
    assert!(heads[1].contains("fallback/2"), "{}", heads[1]);
}

#[tokio::test]
async fn caller_host_header_is_kept_verbatim() {
    let ok = response("200 OK", &[("content-length", "0")], b"");
    let server = Server::start(Reply::Raw(ok)).await;
    let request = http::Request::get(server.url("/a"))
        .header("host", "service.example.invalid:443")
        .body(Bytes::new())
        .unwrap();

    transport().send(request).await.unwrap();

    assert!(server.heads()[0].contains("host: service.example.invalid:443\r\n"));
}

#[tokio::test]
async fn response_keeps_status_repeated_headers_and_body() {
    let reply = response(
        "404 Not Found",
        &[("x-multi", "1"), ("x-multi", "2"), ("content-length", "5")],
        b"hello",
    );
    let server = Server::start(Reply::Raw(reply)).await;

    let response = transport().send(get(&server.url("/missing"))).await.unwrap();

    assert_eq!(response.status(), 404);
    assert_eq!(response.version(), http::Version::HTTP_11);
    let multi: Vec<_> = response.headers().get_all("x-multi").iter().collect();
    assert_eq!(multi, ["1", "2"]);
    assert_eq!(response.body(), "hello");
}

#[tokio::test]
async fn gzip_bodies_are_decoded() {
    let body = b"{\"backups\": [], \"count\": 0}";
    let reply = response(
        "200 OK",
        &[("content-encoding", "gzip"), ("content-length", &gzip(body).len().to_string())],
        &gzip(body),
    );
    let server = Server::start(Reply::Raw(reply)).await;

    let response = transport().send(get(&server.url("/gz"))).await.unwrap();

    assert_eq!(response.body(), &body[..]);
    assert!(server.heads()[0].contains("accept-encoding: gzip"));
}

#[tokio::test]
async fn announced_body_over_the_limit_is_refused() {
    let reply = response("200 OK", &[("content-length", "100")], &[b'x'; 100]);
    let server = Server::start(Reply::Raw(reply)).await;
    let small = ReqwestTransport::builder().no_proxy().max_body_bytes(10).build().unwrap();

    let error = small.send(get(&server.url("/big"))).await.unwrap_err();

    assert!(matches!(error, TransportError::BodyTooLarge { limit: 10, .. }), "{error:?}");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains(&server.addr.to_string()), "{error}");
}

#[tokio::test]
async fn streamed_body_over_the_limit_is_refused() {
    let chunked = b"6\r\nabcdef\r\n6\r\nghijkl\r\n0\r\n\r\n";
    let reply = response("200 OK", &[("transfer-encoding", "chunked")], chunked);
    let server = Server::start(Reply::Raw(reply)).await;
    let small = ReqwestTransport::builder().no_proxy().max_body_bytes(10).build().unwrap();
    let enough = ReqwestTransport::builder().no_proxy().max_body_bytes(12).build().unwrap();

    let error = small.send(get(&server.url("/chunked"))).await.unwrap_err();
    let fits = enough.send(get(&server.url("/chunked"))).await.unwrap();

    assert!(matches!(error, TransportError::BodyTooLarge { limit: 10, .. }), "{error:?}");
    assert_eq!(fits.body(), "abcdefghijkl");
}

#[tokio::test]
async fn short_body_is_a_truncated_body_error() {
    let reply = response("200 OK", &[("content-length", "100")], b"only ten b");
    let server = Server::start(Reply::Raw(reply)).await;

    let error = transport().send(get(&server.url("/short"))).await.unwrap_err();

    assert!(matches!(error, TransportError::TruncatedBody { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn refused_connection_is_a_connect_error_naming_the_host() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);

    let error = transport().send(get(&format!("http://{addr}/a"))).await.unwrap_err();

    assert!(error.is_connect() && error.is_retryable() && !error.is_timeout(), "{error:?}");
    assert_eq!(error.to_string(), format!("cannot connect to {addr}"));
    assert_eq!(error.host(), Some(addr.to_string().as_str()));
}

#[tokio::test]
async fn silent_server_hits_the_request_timeout() {
    let server = Server::start(Reply::Hang).await;
    let quick =
        ReqwestTransport::builder().no_proxy().timeout(Duration::from_millis(300)).build().unwrap();
    let started = Instant::now();

    let error = quick.send(get(&server.url("/slow"))).await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(error, TransportError::Timeout { kind: TimeoutKind::Request, .. }),
        "{error:?}"
    );
    assert!(error.is_timeout() && error.is_retryable());
    assert_eq!(error.to_string(), format!("request timeout (300ms) talking to {}", server.addr));
}

#[tokio::test]
async fn requests_that_cannot_be_sent_verbatim_are_refused() {
    let transport = transport();

    let relative = transport.send(get("/relative")).await.unwrap_err();
    let user_info = transport.send(get("http://user:secret-pw@127.0.0.1:9/a")).await.unwrap_err();
    let dot_segments = transport.send(get("http://127.0.0.1:9/a/../b")).await.unwrap_err();

    for error in [&relative, &user_info, &dot_segments] {
        assert!(matches!(error, TransportError::InvalidRequest { .. }), "{error:?}");
        assert!(!error.is_retryable());
    }
    assert!(!format!("{user_info} {user_info:?}").contains("secret-pw"));
}

/// A gzip member holding `data` in one stored (uncompressed) deflate block.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let len = u16::try_from(data.len()).unwrap();
    out.push(1);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}
