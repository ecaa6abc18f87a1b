//! Finds or starts moto's server on loopback, once per test binary.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();

/// The loopback endpoint of a running moto server. Fails the test (never skips) if there is none
/// and none can be started.
pub fn endpoint() -> &'static str {
    match ENDPOINT.get_or_init(find_or_start) {
        Ok(endpoint) => endpoint,
        Err(reason) => panic!(
            "the AWS adapter contract tests need moto's server: {reason}. Install it with \
             `pip install 'moto[server]'` (so `moto_server` is on PATH) or run infra/scripts/test, \
             which starts one and exports AWS_ENDPOINT_URL"
        ),
    }
}

fn loopback_addr(endpoint: &str) -> Option<SocketAddr> {
    let url = url::Url::parse(endpoint).ok()?;
    let host = url.host_str()?;
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]" | "::1") {
        return None;
    }
    let port = url.port_or_known_default()?;
    let ip = if host.contains(':') {
        "[::1]"
    } else {
        "127.0.0.1"
    };
    format!("{ip}:{port}").parse().ok()
}

fn find_or_start() -> Result<String, String> {
    // An endpoint that is not on loopback is never used: the tests start their own moto then.
    if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL")
        && let Some(addr) = loopback_addr(&endpoint)
    {
        wait_until_ready(addr, Duration::from_secs(20))?;
        return Ok(endpoint.trim_end_matches('/').to_owned());
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    // A shell wrapper stops moto when this test process is gone.
    let script = format!(
        "moto_server -H 127.0.0.1 -p {port} >/dev/null 2>&1 & m=$!; \
         while kill -0 {parent} 2>/dev/null && kill -0 $m 2>/dev/null; do sleep 1; done; \
         kill $m 2>/dev/null",
        parent = std::process::id()
    );
    let found = Command::new("sh")
        .arg("-c")
        .arg("command -v moto_server")
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    if !found.success() {
        return Err("AWS_ENDPOINT_URL is not set and moto_server is not on PATH".into());
    }
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start moto_server: {e}"))?;
    let addr: SocketAddr = format!("127.0.0.1:{port}")
        .parse()
        .map_err(|e| format!("{e}"))?;
    wait_until_ready(addr, Duration::from_secs(30))?;
    Ok(format!("http://127.0.0.1:{port}"))
}

fn wait_until_ready(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            let request = format!("GET /moto-api/ HTTP/1.0\r\nHost: {addr}\r\n\r\n");
            let mut answer = [0u8; 12];
            if stream.write_all(request.as_bytes()).is_ok()
                && stream.read_exact(&mut answer).is_ok()
                && answer.starts_with(b"HTTP/1.")
            {
                return Ok(());
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "moto's server at {addr} did not answer within {timeout:?}"
    ))
}
