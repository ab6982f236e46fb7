//! A hostile server cannot make the wizard use memory or time: an answer of 1 GiB, or a gzip bomb that
//! unpacks to 1 GiB, is cut at the body cap, and the process's measured peak stays under 64 MB.
//! A slow drip is cut at the timeout. (Its own test binary, so that the peak of the children
//! waited for is this run's alone.)

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Command;

const GIB: u64 = 1024 * 1024 * 1024;

/// Serves every request with `head` then `body`, repeated until `total` bytes were sent.
fn flooding_server(head: String, body: Vec<u8>, total: u64) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let head = head.clone();
            let body = body.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let mut stream = stream;
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let mut sent = 0u64;
                while sent < total {
                    if stream.write_all(&body).is_err() {
                        return;
                    }
                    sent += body.len() as u64;
                }
            });
        }
    });
    port
}

/// The peak resident size, in bytes, of the children this process has waited for.
fn children_peak_rss() -> u64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given and nothing else.
    let ok = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(ok, 0);
    usage.ru_maxrss as u64 * 1024
}

/// `check gcp` with every Google host sent to `port`; `extra` after the federation flags.
fn check_gcp(port: u16, extra: &[&str]) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args([
            "check",
            "gcp",
            "--org-id",
            "org-abc123",
            "--workload-identity-project-number",
            "123456789012",
            "--workload-identity-pool-id",
            "openai-ekm",
            "--workload-identity-provider-id",
            "openai-ekm-provider",
        ])
        .args(extra)
        .env("EKM_GCP_API_URL", format!("http://127.0.0.1:{port}"))
        .env("EKM_GCP_ACCESS_TOKEN", "ya29.memory-test-token")
        .env("HOME", home.path())
        .env("CLOUDSDK_CONFIG", home.path())
        .output()
        .unwrap()
}

fn check_against(port: u16) -> std::process::Output {
    check_gcp(
        port,
        &[
            "--kms-project-id",
            "adjective-noun-12345",
            "--kms-key-ring-name",
            "ring",
            "--kms-key-name",
            "key",
            "--kms-key-location",
            "us-east1",
            "--timeout",
            "60",
        ],
    )
}

#[test]
fn a_huge_body_and_a_gzip_bomb_stay_under_64_mb() {
    let huge = flooding_server(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {GIB}\r\n\r\n"
        ),
        vec![b' '; 64 * 1024],
        GIB,
    );
    let output = check_against(huge);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("larger than 4 MiB"), "{stdout}");
    // A gzip stream of 1 GiB of zeros is about 1 MiB: made once, here, by gzip itself.
    let made = Command::new("bash")
        .args(["-c", "head -c 1073741824 /dev/zero | gzip -9"])
        .output()
        .expect("gzip makes the bomb");
    assert!(made.status.success());
    let bomb = made.stdout;
    let bomb_len = bomb.len() as u64;
    let gzip = flooding_server(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: {bomb_len}\r\n\r\n"
        ),
        bomb,
        bomb_len,
    );
    let output = check_against(gzip);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("larger than 4 MiB"), "{stdout}");
    let peak = children_peak_rss();
    assert!(
        peak < 64 * 1024 * 1024,
        "peak resident size {} MB",
        peak / (1024 * 1024)
    );
}

#[test]
fn a_slow_drip_is_cut_at_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let mut stream = stream;
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
                );
                // One byte a second: the answer would take a day.
                while stream.write_all(b" ").is_ok() {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
            });
        }
    });
    let started = std::time::Instant::now();
    let output = check_gcp(port, &["--timeout", "2"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(3), "not verified");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("could not check"), "{stdout}");
}
