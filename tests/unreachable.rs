//! Every headless command that makes a request, pointed at a host it cannot reach: a closed
//! loopback port (refused), a loopback server that accepts and never answers (timed out), and
//! a plain TCP server where https is expected (TLS). Each must exit 3 (could not verify), name
//! the host and the kind of failure, and never print an SDK's or HTTP library's debug text.
//! Nothing leaves this machine: every cloud and OpenAI are sent to 127.0.0.1.

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

/// Text that only a library's debug output holds.
const DEBUG_TEXT: [&str; 6] = [
    "DispatchFailure",
    "ConnectorError",
    "hyper_util",
    "Custom {",
    "Os {",
    "error sending request",
];

const KMS_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/openai-ekm";

/// How the host out of reach behaves.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Nothing listens on the port.
    Refused,
    /// A server accepts and never answers.
    Silent,
    /// A plain TCP server answers where https is expected.
    Plain,
}

impl Mode {
    /// The words of the kind the wizard must name.
    fn kind(self) -> &'static str {
        match self {
            Mode::Refused => "connection refused",
            Mode::Silent => "timed out",
            Mode::Plain => "TLS failed",
        }
    }

    fn scheme(self) -> &'static str {
        match self {
            Mode::Plain => "https",
            _ => "http",
        }
    }
}

/// A loopback host that cannot be reached in the way of its mode, kept until dropped.
struct OutOfReach {
    port: u16,
    mode: Mode,
    _held: Arc<Mutex<Vec<TcpStream>>>,
    _listener: Option<Arc<TcpListener>>,
}

impl OutOfReach {
    fn start(mode: Mode) -> OutOfReach {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let held = Arc::new(Mutex::new(Vec::new()));
        let listener = match mode {
            Mode::Refused => {
                drop(listener);
                None
            }
            Mode::Silent => {
                let listener = Arc::new(listener);
                let (accepting, keep) = (listener.clone(), held.clone());
                std::thread::spawn(move || {
                    for stream in accepting.incoming().flatten() {
                        // Held open, never answered.
                        keep.lock().unwrap().push(stream);
                    }
                });
                Some(listener)
            }
            Mode::Plain => {
                let listener = Arc::new(listener);
                let accepting = listener.clone();
                std::thread::spawn(move || {
                    for mut stream in accepting.incoming().flatten() {
                        std::thread::spawn(move || {
                            let mut buffer = [0u8; 2048];
                            let _ = stream.read(&mut buffer);
                            let _ = stream.write_all(
                                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                            );
                        });
                    }
                });
                Some(listener)
            }
        };
        OutOfReach {
            port,
            mode,
            _held: held,
            _listener: listener,
        }
    }

    fn base(&self) -> String {
        format!("{}://127.0.0.1:{}", self.mode.scheme(), self.port)
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

/// The binary with a private state folder, no admin key, and every cloud's ambient
/// credentials and endpoints removed (the test gives its own).
fn ekm(state: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"));
    command
        .env("EKM_WIZARD_STATE_DIR", state)
        .env("HOME", state)
        .env("CLOUDSDK_CONFIG", state)
        .env("AZURE_CONFIG_DIR", state)
        .stdin(Stdio::null());
    for var in [
        "OPENAI_ADMIN_KEY",
        "OPENAI_BASE_URL",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "EKM_GCP_API_URL",
        "EKM_AZURE_API_URL",
        "EKM_GCP_ACCESS_TOKEN",
        "EKM_AZURE_ACCESS_TOKEN",
    ] {
        command.env_remove(var);
    }
    command
}

/// The flags and environment that send one cloud's requests to `far`.
fn cloud_setup(cloud: &str, far: &OutOfReach) -> (Vec<String>, Vec<(&'static str, String)>) {
    let owned = |flags: &[&str]| flags.iter().map(|f| f.to_string()).collect::<Vec<_>>();
    match cloud {
        "aws" => (
            owned(&[
                "--org-id",
                "org-abc123",
                "--kms-arn",
                KMS_ARN,
                "--role-arn",
                ROLE_ARN,
                "--external-id",
                "org-abc123",
            ]),
            vec![
                ("AWS_ENDPOINT_URL", far.base()),
                ("AWS_ACCESS_KEY_ID", "testing".into()),
                ("AWS_SECRET_ACCESS_KEY", "testing".into()),
                ("AWS_REGION", "us-east-1".into()),
                ("AWS_EC2_METADATA_DISABLED", "true".into()),
                ("AWS_CONFIG_FILE", "/nonexistent/ekm-wizard-test".into()),
                (
                    "AWS_SHARED_CREDENTIALS_FILE",
                    "/nonexistent/ekm-wizard-test".into(),
                ),
            ],
        ),
        "gcp" => (
            owned(&support::google::FLAGS),
            vec![
                ("EKM_GCP_API_URL", far.base()),
                ("EKM_GCP_ACCESS_TOKEN", support::google::TOKEN.into()),
            ],
        ),
        "azure" => (
            owned(&support::azure::FLAGS),
            vec![
                ("EKM_AZURE_API_URL", far.base()),
                (
                    "EKM_AZURE_ACCESS_TOKEN",
                    support::azure::token_for(support::azure::TENANT),
                ),
            ],
        ),
        other => panic!("no setup for {other}"),
    }
}

/// Runs one command and holds it to the rules: exit 3, the host and the kind named, no debug
/// text anywhere.
fn assert_unreachable(label: &str, output: &Output, far: &OutOfReach) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let both = format!("{stdout}\n{stderr}");
    assert_eq!(
        output.status.code(),
        Some(3),
        "{label}: exit 3 expected\n{both}"
    );
    assert!(
        both.contains(&far.host()),
        "{label}: the host {} is not named\n{both}",
        far.host()
    );
    assert!(
        both.contains("could not reach ") && both.contains(far.mode.kind()),
        "{label}: the kind `{}` is not named\n{both}",
        far.mode.kind()
    );
    for debug in DEBUG_TEXT {
        assert!(
            !both.contains(debug),
            "{label}: `{debug}` is debug text\n{both}"
        );
    }
}

/// Every command that asks a cloud, in text and JSON: check, apply, doctor, watch (one round)
/// and the drill (which reads the key before OpenAI is asked).
fn cloud_commands(cloud: &str, mode: Mode) {
    let far = OutOfReach::start(mode);
    // OpenAI's side is out of reach too, in the same way: the drill and the doctor ask it.
    let (flags, env) = cloud_setup(cloud, &far);
    let api = format!("{}/v1", far.base());
    let per_call = "3";
    let runs: Vec<(&str, Vec<String>, bool)> = vec![
        ("check", vec!["check".into(), cloud.into()], false),
        (
            "apply",
            vec!["apply".into(), cloud.into(), "--yes".into()],
            false,
        ),
        ("doctor", vec!["doctor".into(), cloud.into()], true),
        (
            "watch",
            vec![
                "watch".into(),
                cloud.into(),
                "--timeout".into(),
                "1s".into(),
            ],
            true,
        ),
        (
            "drill",
            vec![
                "drill".into(),
                cloud.into(),
                "--yes".into(),
                "--key-id".into(),
                "extkey_unreached1".into(),
                "--wait".into(),
                "5s".into(),
            ],
            true,
        ),
    ];
    std::thread::scope(|scope| {
        for (name, args, asks_openai) in &runs {
            for json in [false, true] {
                let (far, flags, env, api) = (&far, &flags, &env, &api);
                scope.spawn(move || {
                    let state = tempfile::tempdir().unwrap();
                    let mut command = ekm(state.path());
                    command.args(args).args(flags);
                    if *name != "watch" {
                        command.args(["--timeout", per_call]);
                    }
                    if *asks_openai {
                        command
                            .args(["--api-base", api.as_str()])
                            .env("OPENAI_ADMIN_KEY", "sk-admin-CANARY0unreached0never0shown");
                    }
                    if json {
                        command.arg("--json");
                    }
                    command.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
                    let output = command.output().unwrap();
                    let label = format!(
                        "{name} {cloud}{} ({mode:?})",
                        if json { " --json" } else { "" }
                    );
                    assert_unreachable(&label, &output, far);
                    let said = format!(
                        "{}{}",
                        String::from_utf8_lossy(&output.stdout),
                        String::from_utf8_lossy(&output.stderr)
                    );
                    assert!(
                        !said.contains("CANARY"),
                        "{label}: a secret was shown\n{said}"
                    );
                });
            }
        }
    });
}

/// register and validate, which ask only OpenAI.
fn openai_commands(mode: Mode) {
    let far = OutOfReach::start(mode);
    let api = format!("{}/v1", far.base());
    let (flags, _) = cloud_setup("aws", &far);
    let register: Vec<String> = ["register", "aws", "--project-name", "EKM project", "--yes"]
        .iter()
        .map(|s| s.to_string())
        .chain(flags)
        .collect();
    let validate: Vec<String> = vec!["validate".into(), "extkey_unreached1".into()];
    std::thread::scope(|scope| {
        for (name, args) in [("register", &register), ("validate", &validate)] {
            for json in [false, true] {
                let (far, api) = (&far, &api);
                scope.spawn(move || {
                    let state = tempfile::tempdir().unwrap();
                    let mut command = ekm(state.path());
                    command
                        .args(args)
                        .args(["--api-base", api.as_str(), "--timeout", "2"])
                        .env("OPENAI_ADMIN_KEY", "sk-admin-CANARY0unreached0never0shown");
                    if json {
                        command.arg("--json");
                    }
                    let output = command.output().unwrap();
                    let label = format!("{name}{} ({mode:?})", if json { " --json" } else { "" });
                    assert_unreachable(&label, &output, far);
                    let said = String::from_utf8_lossy(&output.stderr).to_string()
                        + &String::from_utf8_lossy(&output.stdout);
                    // The explanation is this machine's network, not an OpenAI entry.
                    assert!(
                        said.contains("local-network"),
                        "{label}: not explained as a local network fault\n{said}"
                    );
                    assert!(
                        !said.contains("CANARY"),
                        "{label}: a secret was shown\n{said}"
                    );
                });
            }
        }
    });
}

#[test]
fn aws_commands_say_a_refused_connection() {
    cloud_commands("aws", Mode::Refused);
}

#[test]
fn aws_commands_say_a_timeout() {
    cloud_commands("aws", Mode::Silent);
}

#[test]
fn aws_commands_say_a_tls_failure() {
    cloud_commands("aws", Mode::Plain);
}

#[test]
fn google_commands_say_a_refused_connection() {
    cloud_commands("gcp", Mode::Refused);
}

#[test]
fn google_commands_say_a_timeout() {
    cloud_commands("gcp", Mode::Silent);
}

#[test]
fn google_commands_say_a_tls_failure() {
    cloud_commands("gcp", Mode::Plain);
}

#[test]
fn azure_commands_say_a_refused_connection() {
    cloud_commands("azure", Mode::Refused);
}

#[test]
fn azure_commands_say_a_timeout() {
    cloud_commands("azure", Mode::Silent);
}

#[test]
fn azure_commands_say_a_tls_failure() {
    cloud_commands("azure", Mode::Plain);
}

#[test]
fn register_and_validate_say_a_refused_connection() {
    openai_commands(Mode::Refused);
}

#[test]
fn register_and_validate_say_a_timeout() {
    openai_commands(Mode::Silent);
}

#[test]
fn register_and_validate_say_a_tls_failure() {
    openai_commands(Mode::Plain);
}

#[test]
fn explain_calls_an_unreachable_host_this_machines_fault() {
    let state = tempfile::tempdir().unwrap();
    for text in [
        "OpenAI's API: could not reach api.openai.com: name lookup failed (DNS: check the host name and this machine's DNS or VPN)",
        "error sending request for url (https://api.openai.com/v1/organization/external_keys): client error (Connect): tcp connect error: Connection refused (os error 111)",
        "dispatch failure: io error: client error (Connect): dns error: failed to lookup address information: Name or service not known",
    ] {
        let output = ekm(state.path())
            .args(["explain", text, "--json"])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(output.status.code(), Some(0), "{report:#}");
        assert_eq!(report["entry"]["id"], "local-network", "{text}\n{report:#}");
        assert_eq!(report["entry"]["local"], true);
        assert!(report["entry"]["cloud"].is_null(), "{report:#}");
        let said = String::from_utf8_lossy(
            &ekm(state.path())
                .args(["explain", text])
                .output()
                .unwrap()
                .stdout,
        )
        .to_string();
        assert!(said.starts_with("This machine · "), "{said}");
        assert!(!said.contains("OpenAI contact"), "{said}");
    }
}
