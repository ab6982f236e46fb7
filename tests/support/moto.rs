//! moto, the AWS emulator from PyPI, provisioned into a virtual environment under `target/`
//! on first use (so a fresh machine needs nothing installed by hand) and started on a free
//! loopback port for each test. A failure to provision fails the tests: they are never skipped.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The moto release the tests are written against.
const MOTO: &str = "moto[server]>=5.1,<6";

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// The `moto_server` program, installing it into `target/moto-venv` when missing.
pub fn moto_server() -> PathBuf {
    if let Some(program) = std::env::var_os("EKM_TEST_MOTO_SERVER") {
        return PathBuf::from(program);
    }
    let venv = target_dir().join("moto-venv");
    let program = venv.join("bin/moto_server");
    if program.exists() {
        return program;
    }
    // One process installs; the others wait for it.
    let lock = target_dir().join("moto-venv.lock");
    let _ = std::fs::create_dir_all(target_dir());
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        if program.exists() {
            return program;
        }
        if std::fs::create_dir(&lock).is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "waited too long for another test to install moto"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let result = (|| -> Result<(), String> {
        let python = ["python3", "python"]
            .into_iter()
            .find(|p| {
                Command::new(p)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .ok_or("no python3 to install moto with")?;
        let status = Command::new(python)
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("python3 -m venv failed".into());
        }
        let status = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", MOTO])
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("pip install {MOTO} failed"));
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir(&lock);
    if let Err(err) = result {
        let _ = std::fs::remove_dir_all(&venv);
        panic!(
            "moto could not be provisioned under {}: {err}",
            venv.display()
        );
    }
    program
}

/// A running moto server, stopped when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    pub fn start() -> Moto {
        let program = moto_server();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return moto;
            }
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited at start: {status}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("moto_server did not listen on port {port} within 60 s");
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The environment a process needs to talk to this moto with test credentials.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", "/nonexistent/ekm-wizard-test".into()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/ekm-wizard-test".into(),
            ),
        ]
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
