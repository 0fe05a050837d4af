//! Answer bodies are bounded: a declared length over the request's limit is refused before
//! reading, and a body that streams past it is cut off, whatever the server sends.

use posthog_core::retry::{Class, class_of};
use posthog_core::transport::{HttpRequest, HttpTransport, ReqwestTransport, TransportFailure};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

/// A one-connection HTTP server on 127.0.0.1 that answers `head` and then writes `chunk`
/// up to `repeat` times (stopping when the client hangs up). Returns its URL and how many
/// chunks it managed to write.
fn hostile_server(
    head: &'static str,
    chunk: Vec<u8>,
    repeat: usize,
) -> (String, std::thread::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/flags/?v=2", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        if s.write_all(head.as_bytes()).is_err() {
            return 0;
        }
        let mut written = 0;
        for _ in 0..repeat {
            if s.write_all(&chunk).is_err() {
                break;
            }
            written += 1;
        }
        written
    });
    (url, handle)
}

fn request(url: String, limit: usize) -> HttpRequest {
    HttpRequest {
        method: "GET".into(),
        url,
        headers: vec![],
        body: vec![],
        timeout: Duration::from_secs(20),
        max_response_bytes: limit,
    }
}

fn send(req: HttpRequest) -> Result<posthog_core::transport::HttpResponse, TransportFailure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(ReqwestTransport::new().unwrap().send(req))
}

#[test]
fn a_declared_10_gib_body_is_refused_unread() {
    let (url, server) = hostile_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n",
        vec![b'x'; 64 * 1024],
        16,
    );
    let out = send(request(url, 1 << 20));
    assert_eq!(
        out.unwrap_err(),
        TransportFailure::TooLarge { limit: 1 << 20 }
    );
    assert_eq!(
        class_of(&Err(TransportFailure::TooLarge { limit: 1 })),
        Class::Terminal,
        "an oversized answer is not retried"
    );
    server.join().unwrap();
}

#[test]
fn a_chunked_body_past_the_limit_is_cut_off() {
    // 64 KiB chunks, up to 400 MiB if the client kept reading.
    let mut chunk = format!("{:x}\r\n", 64 * 1024).into_bytes();
    chunk.extend(vec![b'x'; 64 * 1024]);
    chunk.extend_from_slice(b"\r\n");
    let (url, server) = hostile_server(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        chunk,
        6400,
    );
    let out = send(request(url, 1 << 20));
    assert_eq!(
        out.unwrap_err(),
        TransportFailure::TooLarge { limit: 1 << 20 }
    );
    let written = server.join().unwrap();
    assert!(
        written < 6400,
        "the client stopped reading ({written} chunks written)"
    );
}

#[test]
fn a_body_within_the_limit_is_read_whole() {
    let (url, server) = hostile_server(
        "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\n{\"ok\":true}",
        vec![],
        0,
    );
    let resp = send(request(url, 1 << 20)).unwrap();
    assert_eq!(resp.body, b"{\"ok\":true}");
    server.join().unwrap();
}
