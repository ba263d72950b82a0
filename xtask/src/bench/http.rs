//! A minimal HTTP/1.1 client for timing the emulator from the harness: `GET` over one
//! keep-alive connection to a loopback address, and nothing else.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// How long one response may take before the harness gives up on it.
const READ_TIMEOUT: Duration = Duration::from_secs(120);

/// A response: status and the whole body.
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

/// One keep-alive connection to a loopback HTTP server, reopened if the server closes it.
pub struct Connection {
    addr: SocketAddr,
    authority: String,
    reader: Option<BufReader<TcpStream>>,
}

impl Connection {
    /// A connection to `base_url` (`http://127.0.0.1:PORT`); any other host is refused, so
    /// the harness never sends traffic off this machine.
    pub fn open(base_url: &str) -> Result<Self, String> {
        let authority = base_url
            .strip_prefix("http://")
            .map(|rest| rest.trim_end_matches('/'))
            .ok_or_else(|| format!("not an http:// URL: {base_url}"))?;
        let addr: SocketAddr =
            authority.parse().map_err(|_| format!("not an IP:PORT address: {authority}"))?;
        if !addr.ip().is_loopback() {
            return Err(format!("refusing a non-loopback address: {addr}"));
        }
        Ok(Self { addr, authority: authority.to_owned(), reader: None })
    }

    /// `GET path_and_query` and the whole response.
    pub fn get(&mut self, path_and_query: &str) -> Result<Response, String> {
        let reader = match &mut self.reader {
            Some(reader) => reader,
            None => self.reader.insert(connect(self.addr)?),
        };
        let request = format!(
            "GET {path_and_query} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\
             Content-Type: application/json\r\nUser-Agent: cbr-xtask-bench\r\n\r\n",
            self.authority
        );
        reader.get_mut().write_all(request.as_bytes()).map_err(|e| format!("send: {e}"))?;

        let (response, keep_alive) = read_response(reader)?;
        if !keep_alive {
            self.reader = None;
        }
        Ok(response)
    }
}

fn connect(addr: SocketAddr) -> Result<BufReader<TcpStream>, String> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_nodelay(true).map_err(|e| format!("TCP_NODELAY: {e}"))?;
    stream.set_read_timeout(Some(READ_TIMEOUT)).map_err(|e| format!("read timeout: {e}"))?;
    Ok(BufReader::with_capacity(256 * 1024, stream))
}

/// Reads one response; also says whether the connection may be used again.
fn read_response(reader: &mut BufReader<TcpStream>) -> Result<(Response, bool), String> {
    let mut line = String::new();
    read_line(reader, &mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP status line: {:?}", line.trim_end()))?;

    let mut length = None;
    let mut chunked = false;
    let mut keep_alive = true;
    loop {
        line.clear();
        read_line(reader, &mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else { continue };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                length = Some(value.parse().map_err(|_| format!("bad Content-Length {value}"))?);
            }
            "transfer-encoding" => chunked = value.to_ascii_lowercase().contains("chunked"),
            "connection" => keep_alive = !value.eq_ignore_ascii_case("close"),
            _ => {}
        }
    }

    let body = match (chunked, length) {
        (true, _) => read_chunked(reader)?,
        (false, Some(length)) => {
            let mut body = vec![0; length];
            reader.read_exact(&mut body).map_err(|e| format!("body: {e}"))?;
            body
        }
        (false, None) => {
            keep_alive = false;
            let mut body = Vec::new();
            reader.read_to_end(&mut body).map_err(|e| format!("body: {e}"))?;
            body
        }
    };
    Ok((Response { status, body }, keep_alive))
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        read_line(reader, &mut line)?;
        let size = line.trim_end().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size.trim(), 16)
            .map_err(|_| format!("bad chunk size {:?}", line.trim_end()))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                read_line(reader, &mut line)?;
                if line.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).map_err(|e| format!("chunk: {e}"))?;
        line.clear();
        read_line(reader, &mut line)?;
    }
}

fn read_line(reader: &mut BufReader<TcpStream>, line: &mut String) -> Result<(), String> {
    match reader.read_line(line) {
        Ok(0) => Err("the server closed the connection".into()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("receive: {e}")),
    }
}
