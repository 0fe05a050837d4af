//! The binary prints its URL and serves.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::http::get;

#[test]
fn binary_prints_its_url_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_posthog-testserver"))
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim_end().to_owned();
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .expect("url form")
        .parse()
        .unwrap();
    let r = get(port, "/_test/stats");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(r.unwrap().json()["requests"], 0);
}

#[test]
fn binary_rejects_unknown_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_posthog-testserver"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
