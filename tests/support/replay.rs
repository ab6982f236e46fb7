//! The replay harness: every command block a guide shows, taken exactly as the wizard prints
//! it and run by bash with the real tools (aws, gcloud, az, curl), each pointed at a loopback
//! stand-in. A tool that cannot be found or installed fails the test; nothing is skipped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ekm_wizard::artifacts::{self, ArtifactBody};
use ekm_wizard::guide::{ArtifactId, Cloud, Inputs, SetupPath};

/// A block of commands as one step shows it.
#[derive(Debug, Clone)]
pub struct Block {
    /// The step's position in its guide, from 1.
    pub step: usize,
    pub artifact: ArtifactId,
    pub text: String,
}

/// Whether a block is commands to paste into a shell (rather than a document).
pub fn is_commands(artifact: ArtifactId) -> bool {
    let stem = artifact.file_stem();
    stem.ends_with("commands") || stem.ends_with("command") || stem.ends_with("query")
}

/// Every command block of `cloud`'s guide on `path`, in the guide's order, given `inputs`.
pub fn command_blocks(cloud: Cloud, path: SetupPath, inputs: &Inputs) -> Vec<Block> {
    let mut blocks = Vec::new();
    for (index, step) in cloud.guide().steps.iter().enumerate() {
        for artifact in step.artifacts_for(path) {
            if !is_commands(artifact) || !artifacts::artifact_is_relevant(cloud, artifact, inputs) {
                continue;
            }
            match artifacts::generate(cloud, artifact, inputs, path) {
                Ok(ArtifactBody::Text(text)) => blocks.push(Block {
                    step: index + 1,
                    artifact,
                    text,
                }),
                Ok(other) => panic!("{artifact:?} is not text: {other:?}"),
                Err(missing) => panic!("{artifact:?} cannot be made: {missing:?}"),
            }
        }
    }
    blocks
}

/// The block `artifact` as its step shows it, generated from `inputs`.
pub fn one_block(cloud: Cloud, path: SetupPath, inputs: &Inputs, artifact: ArtifactId) -> Block {
    let step = cloud
        .guide()
        .steps
        .iter()
        .position(|s| s.artifacts_for(path).contains(&artifact))
        .unwrap_or_else(|| panic!("no step shows {artifact:?}"));
    match artifacts::generate(cloud, artifact, inputs, path) {
        Ok(ArtifactBody::Text(text)) => Block {
            step: step + 1,
            artifact,
            text,
        },
        other => panic!("{artifact:?}: {other:?}"),
    }
}

/// One block's run.
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `block` as an admin pastes it: bash, stopping at the first command that fails, in
/// `dir`, with `env` set and every proxy and cloud setting of this machine removed.
pub fn run_block(block: &Block, dir: &Path, env: &[(String, String)]) -> Ran {
    let script = format!("set -euo pipefail\n{}\n", block.text);
    let mut command = Command::new("bash");
    command.arg("-c").arg(script).current_dir(dir);
    for (name, _) in std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
        .filter(|(k, _)| {
            let upper = k.to_ascii_uppercase();
            upper.ends_with("_PROXY")
                || upper.starts_with("AWS_")
                || upper.starts_with("CLOUDSDK_")
                || upper.starts_with("AZURE_")
                || upper.starts_with("GOOGLE_")
                || upper.starts_with("CURL_")
                || upper.starts_with("OPENAI_")
                || upper == "REQUESTS_CA_BUNDLE"
        })
    {
        command.env_remove(name);
    }
    command.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let output: Output = command.output().expect("bash runs");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs `block` and fails the test, naming the step and the block, unless it exits 0.
pub fn must_run(block: &Block, dir: &Path, env: &[(String, String)]) -> Ran {
    let ran = run_block(block, dir, env);
    assert_eq!(
        ran.code,
        Some(0),
        "step {} {:?} was refused as printed:\n{}\n--- stdout\n{}\n--- stderr\n{}",
        block.step,
        block.artifact,
        block.text,
        ran.stdout,
        ran.stderr
    );
    ran
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// A program on PATH, if there is one that answers `--version`.
fn on_path(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            candidate.is_file()
                && Command::new(candidate)
                    .arg("--version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
        })
}

/// `program` from PyPI's `package`, installed into `target/<venv>` on first use (one test
/// installs, the others wait).
pub fn from_pypi(venv: &str, package: &str, program: &str) -> PathBuf {
    let venv = target_dir().join(venv);
    let installed = venv.join("bin").join(program);
    if installed.exists() {
        return installed;
    }
    let lock = venv.with_extension("lock");
    let _ = std::fs::create_dir_all(target_dir());
    let deadline = Instant::now() + Duration::from_secs(1500);
    loop {
        if installed.exists() {
            return installed;
        }
        if std::fs::create_dir(&lock).is_ok() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "waited too long for {package} to be installed"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let result = (|| -> Result<(), String> {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map_err(|e| format!("python3: {e}"))?;
        if !status.success() {
            return Err("python3 -m venv failed".into());
        }
        let status = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", package])
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("pip install {package} failed"));
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir(&lock);
    if let Err(err) = result {
        let _ = std::fs::remove_dir_all(&venv);
        panic!(
            "{package} could not be installed under {}: {err}",
            venv.display()
        );
    }
    installed
}

/// The directory holding `aws`: this machine's, else awscli from PyPI.
pub fn aws_dir() -> PathBuf {
    let program = on_path("aws").unwrap_or_else(|| from_pypi("aws-venv", "awscli>=1.40,<2", "aws"));
    program.parent().unwrap().to_path_buf()
}

/// The directory holding `gcloud` (Google's SDK is not on PyPI: it must be on the machine).
pub fn gcloud_dir() -> PathBuf {
    let program = on_path("gcloud").expect(
        "gcloud is needed to replay the Google Cloud commands (google-cloud-cli); it is not on PATH",
    );
    program.parent().unwrap().to_path_buf()
}

/// The directory holding `az`, from PyPI's azure-cli in the tests' own venv.
pub fn az_dir() -> PathBuf {
    let program = from_pypi("az-venv", "azure-cli==2.91.0", "az");
    program.parent().unwrap().to_path_buf()
}

/// PATH with `dirs` first.
pub fn path_with(dirs: &[PathBuf]) -> String {
    let mut all: Vec<PathBuf> = dirs.to_vec();
    if let Some(path) = std::env::var_os("PATH") {
        all.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(all)
        .unwrap()
        .into_string()
        .expect("a UTF-8 PATH")
}

/// An HTTPS stand-in in front of a fake: an HTTP proxy on loopback that accepts CONNECT to
/// any host, answers with TLS under a certificate made for this run, and forwards each
/// request to the fake as `/<host><path>`. The tools trust the certificate through
/// `CURL_CA_BUNDLE` and `REQUESTS_CA_BUNDLE`.
pub struct TlsStandIn {
    child: Child,
    pub port: u16,
    pub certificate: PathBuf,
    _dir: tempfile::TempDir,
}

impl TlsStandIn {
    pub fn start(upstream: u16) -> TlsStandIn {
        let dir = tempfile::tempdir().unwrap();
        let certificate = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&certificate)
            .args([
                "-subj",
                "/CN=ekm-wizard replay stand-in",
                "-addext",
                "subjectAltName=DNS:api.openai.com,DNS:graph.microsoft.com,DNS:management.azure.com,DNS:login.microsoftonline.com,DNS:*.vault.azure.net",
            ])
            .output()
            .expect("openssl makes the stand-in's certificate");
        assert!(
            made.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        let port_file = dir.path().join("port");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/tls_stand_in.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg(&certificate)
            .arg(&key)
            .arg(upstream.to_string())
            .arg(&port_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the stand-in");
        let deadline = Instant::now() + Duration::from_secs(30);
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Ok(port) = text.trim().parse()
            {
                break port;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the TLS stand-in exited: {status}");
            }
            assert!(Instant::now() < deadline, "the TLS stand-in did not start");
            std::thread::sleep(Duration::from_millis(50));
        };
        TlsStandIn {
            child,
            port,
            certificate,
            _dir: dir,
        }
    }

    /// What a tool needs to go through the stand-in and trust it.
    pub fn env(&self) -> Vec<(String, String)> {
        let proxy = format!("http://127.0.0.1:{}", self.port);
        let certificate = self.certificate.display().to_string();
        vec![
            ("HTTPS_PROXY".into(), proxy.clone()),
            ("https_proxy".into(), proxy),
            ("NO_PROXY".into(), String::new()),
            ("CURL_CA_BUNDLE".into(), certificate.clone()),
            ("REQUESTS_CA_BUNDLE".into(), certificate),
        ]
    }
}

impl Drop for TlsStandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
