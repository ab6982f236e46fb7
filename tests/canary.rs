//! The canary sweep: every headless command runs with a canary admin key and canary cloud
//! tokens, against stand-ins that echo whatever credential they are sent back inside their
//! error messages (with terminal escapes and OpenAI's masked `sk-admin-****wxyz` form). Not
//! one byte printed and not one file written holds the canary, its last four characters, or a
//! raw escape.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::json;
use support::fake_cloud::{FakeCloud, Reply};

const ADMIN_KEY: &str = "sk-admin-CANARYcanary0123456789wxyz";
const GCP_TOKEN: &str = "ya29.CANARY-google-token-0123456789";

/// A stand-in that answers every request with an error quoting the credential it received.
fn echoing_stand_in() -> FakeCloud {
    let fake = FakeCloud::start();
    for method in ["GET", "POST"] {
        fake.on_prefix(method, "/", |seen| {
            let masked = format!(
                "sk-admin-****{}",
                &ADMIN_KEY[ADMIN_KEY.len() - 4..]
            );
            Reply::with(
                401,
                json!({"error": {
                    "message": format!(
                        "Incorrect API key provided: {masked}. You sent `{}` \u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J",
                        seen.authorization
                    ),
                    "status": "UNAUTHENTICATED",
                    "code": 401,
                    "type": "invalid_request_error",
                }}),
            )
        });
    }
    fake
}

fn run(args: &[&str], home: &Path, env: &[(&str, String)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(args)
        .current_dir(home)
        .env("HOME", home)
        .env("EKM_WIZARD_STATE_DIR", home.join("state"))
        .env("CLOUDSDK_CONFIG", home)
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
        .env_remove("OPENAI_BASE_URL")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains("CANARY") && !text.contains("canary0123") && !text.contains("wxyz"),
        "{what} holds the canary:\n{text}"
    );
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{what} holds a raw escape:\n{text:?}"
    );
}

fn files_under(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn no_command_prints_or_writes_a_secret_or_an_escape() {
    let home = tempfile::tempdir().unwrap();
    let fake = echoing_stand_in();
    let base = format!("{}/v1", fake.base());
    let aws = [
        "--org-id",
        "org-abc123",
        "--kms-arn",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "--role-arn",
        "arn:aws:iam::111122223333:role/openai-ekm",
    ];
    let gcp = [
        "--org-id",
        "org-abc123",
        "--workload-identity-project-number",
        "123456789012",
        "--workload-identity-pool-id",
        "openai-ekm",
        "--workload-identity-provider-id",
        "openai-ekm-provider",
        "--kms-project-id",
        "adjective-noun-12345",
        "--kms-key-ring-name",
        "ring",
        "--kms-key-name",
        "key",
        "--kms-key-location",
        "us-east1",
    ];
    let mut runs: Vec<(String, Output)> = Vec::new();
    let mut args: Vec<&str> = vec!["render", "aws"];
    args.extend(aws);
    runs.push(("render".into(), run(&args, home.path(), &[])));
    for json in [false, true] {
        let mut args: Vec<&str> = vec!["register", "aws"];
        args.extend(aws);
        args.extend([
            "--project-name",
            "EKM project",
            "--api-base",
            &base,
            "--yes",
            "--timeout",
            "5",
        ]);
        if json {
            args.push("--json");
        }
        runs.push((
            format!("register json={json}"),
            run(&args, home.path(), &[]),
        ));
        let mut args = vec![
            "validate",
            "extkey_abc123",
            "--api-base",
            &base,
            "--timeout",
            "5",
        ];
        if json {
            args.push("--json");
        }
        runs.push((
            format!("validate json={json}"),
            run(&args, home.path(), &[]),
        ));
        let mut args: Vec<&str> = vec!["check", "gcp"];
        args.extend(gcp);
        args.extend(["--timeout", "5"]);
        if json {
            args.push("--json");
        }
        let env = [
            ("EKM_GCP_API_URL", fake.base()),
            ("EKM_GCP_ACCESS_TOKEN", GCP_TOKEN.to_string()),
        ];
        runs.push((
            format!("check gcp json={json}"),
            run(&args, home.path(), &env),
        ));
    }
    let bundle = home.path().join("bundle.md");
    runs.push((
        "export".into(),
        run(
            &["export", "--output", bundle.to_str().unwrap()],
            home.path(),
            &[],
        ),
    ));
    assert!(
        fake.seen()
            .iter()
            .any(|s| s.authorization.contains("CANARY")),
        "the stand-in was asked with the canary, so it had it to echo"
    );
    for (what, output) in &runs {
        assert_clean(
            &format!("{what} stdout"),
            &String::from_utf8_lossy(&output.stdout),
        );
        assert_clean(
            &format!("{what} stderr"),
            &String::from_utf8_lossy(&output.stderr),
        );
    }
    let mut files = Vec::new();
    files_under(home.path(), &mut files);
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert_clean(&file.display().to_string(), &text);
    }
}
