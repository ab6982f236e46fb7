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
    for keys in [
        vec!["keys"],
        vec!["keys", "--json"],
        vec!["keys", "show", "extkey_abc123"],
        vec!["keys", "validate", "--all"],
        vec!["keys", "delete", "extkey_abc123", "--yes"],
        vec!["keys", "retire", "extkey_abc123", "--yes"],
    ] {
        let mut args = keys.clone();
        args.extend(["--api-base", &base, "--timeout", "5"]);
        runs.push((keys.join(" "), run(&args, home.path(), &[])));
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

/// Every byte that would act on a terminal, C1 controls and bidirectional marks included.
fn assert_inert(what: &str, text: &str) {
    let acting = text.chars().find(|c| {
        let code = *c as u32;
        (code < 0x20 && *c != '\n' && *c != '\t')
            || (0x7f..=0x9f).contains(&code)
            || (0x202a..=0x202e).contains(&code)
            || (0x2066..=0x2069).contains(&code)
    });
    assert!(acting.is_none(), "{what} holds {acting:?}:\n{text:?}");
}

const AWS_KMS: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const AWS_ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

/// A key object as OpenAI lists it, with the AWS settings `register aws` below asks for.
fn listed_key(id: &str, name: &str) -> serde_json::Value {
    json!({
        "id": id,
        "object": "organization.external_key",
        "created_at": 1_760_000_000,
        "api_project_ids": [],
        "type": "aws",
        "name": name,
        "role_arn": AWS_ROLE,
        "kms_arn": AWS_KMS,
        "external_id": "org-abc123",
    })
}

fn register_aws(base: &str, json: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "register",
        "aws",
        "--org-id",
        "org-abc123",
        "--kms-arn",
        AWS_KMS,
        "--role-arn",
        AWS_ROLE,
        "--project-name",
        "EKM project",
        "--api-base",
        base,
        "--yes",
        "--timeout",
        "5",
    ]
    .map(String::from)
    .to_vec();
    if json {
        args.push("--json".into());
    }
    args
}

fn run_owned(args: &[String], home: &Path) -> Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args, home, &[])
}

/// Only the Management API's own paths were asked for, and no id from an answer went into one
/// unless it had OpenAI's form.
fn assert_only_documented_paths(fake: &support::fake_openai::FakeOpenAi) {
    for seen in fake.seen() {
        let documented = matches!(
            seen.path.as_str(),
            "/v1/organization/external_keys" | "/v1/organization/projects"
        ) || seen
            .path
            .strip_prefix("/v1/organization/external_keys/extkey_")
            .and_then(|rest| rest.strip_suffix("/validate"))
            .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(documented, "{} {} was asked", seen.method, seen.path);
    }
}

#[test]
fn hostile_ids_and_names_from_openai_are_printed_inert_and_never_reused_out_of_form() {
    use support::fake_openai::FakeOpenAi;
    let home = tempfile::tempdir().unwrap();
    let hostile_name = "evil\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31m\u{202e}name";

    // A listed key with the same settings, whose id climbs out of its path.
    let fake = FakeOpenAi::start(ADMIN_KEY);
    fake.state.lock().unwrap().keys.push(listed_key(
        "extkey_1/../../organization/projects\u{1b}[2J",
        hostile_name,
    ));
    for json in [false, true] {
        let output = run_owned(&register_aws(&fake.base(), json), home.path());
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(output.status.code(), Some(1), "{said}");
        assert!(said.contains("not an OpenAI id"), "{said}");
        assert_inert(&format!("register json={json}"), &said);
        assert_clean(&format!("register json={json}"), &said);
    }
    assert_only_documented_paths(&fake);
    assert!(
        fake.seen().iter().all(|s| s.method == "GET"),
        "nothing was created or validated with the bad id"
    );

    // A key of good form with a hostile name, a project of the same name whose id is not of
    // OpenAI's form, and a validation failing with escapes in its message.
    let fake = FakeOpenAi::start(ADMIN_KEY);
    {
        let mut state = fake.state.lock().unwrap();
        state.keys.push(listed_key("extkey_good1", hostile_name));
        state.projects.push(json!({
            "object": "organization.project",
            "id": "proj_\u{1b}[31m/../x",
            "name": "EKM project",
            "external_key_id": "extkey_good1",
        }));
        let refusal = json!({"status": "failed", "error": {"message":
            "AccessDenied \u{1b}[2J\u{7}\u{9b}1m from \u{202e}KMS"}});
        for _ in 0..3 {
            state.validate_answers.push_back((200, refusal.clone()));
        }
    }
    for json in [false, true] {
        let output = run_owned(&register_aws(&fake.base(), json), home.path());
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let said = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(output.status.code(), Some(1), "validation failed: {said}");
        assert_inert(&format!("register json={json}"), &said);
        assert_clean(&format!("register json={json}"), &said);
        if json {
            // Still JSON, and the same names once parsed.
            let document: serde_json::Value = serde_json::from_str(&stdout).unwrap();
            assert_eq!(document["external_key"]["name"], hostile_name);
        } else {
            assert!(said.contains("not of the form proj_"), "{said}");
        }
    }
    let output = run(
        &[
            "validate",
            "extkey_good1",
            "--api-base",
            &fake.base(),
            "--timeout",
            "5",
        ],
        home.path(),
        &[],
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(1), "{said}");
    assert!(said.contains("AccessDenied"), "{said}");
    assert_inert("validate", &said);
    assert_only_documented_paths(&fake);

    // What the runs left for `export` is as inert.
    let mut files = Vec::new();
    files_under(home.path(), &mut files);
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert_clean(&file.display().to_string(), &text);
    }
}

#[test]
fn a_secret_given_as_any_flag_is_refused_naming_it_before_any_request() {
    use support::fake_openai::FakeOpenAi;
    let home = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(ADMIN_KEY);
    let base = fake.base();
    let canary = "sk-proj-CANARYcanaryFLAG0123456789";
    let token = "ya29.CANARYcanaryFLAGtoken0123456789";
    let mut project_name = register_aws(&base, false);
    let at = project_name
        .iter()
        .position(|a| a == "EKM project")
        .unwrap();
    project_name[at] = canary.into();
    let mut kms_arn = register_aws(&base, true);
    let at = kms_arn.iter().position(|a| a == AWS_KMS).unwrap();
    kms_arn[at] = format!("Bearer {}", &token[5..]);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (project_name, "--project-name"),
        (kms_arn, "--kms-arn"),
        (
            ["validate", canary, "--api-base", base.as_str()]
                .map(String::from)
                .to_vec(),
            "<EXTKEY_ID>",
        ),
        (
            [
                "check",
                "gcp",
                "--org-id",
                "org-abc123",
                "--kms-key-name",
                token,
            ]
            .map(String::from)
            .to_vec(),
            "--kms-key-name",
        ),
        (
            ["doctor", "aws", "--key-id", canary, "--api-base", &base]
                .map(String::from)
                .to_vec(),
            "--key-id",
        ),
        (
            [
                "render",
                "azure",
                "--org-id",
                "org-abc123",
                "--name",
                canary,
            ]
            .map(String::from)
            .to_vec(),
            "--name",
        ),
        // The wizard's own start flags: refused before the screen is taken.
        (
            ["--cloud", "aws", "--org-id", canary]
                .map(String::from)
                .to_vec(),
            "--org-id",
        ),
    ];
    for (args, flag) in cases {
        let output = run_owned(&args, home.path());
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(flag) && stderr.contains("looks like a secret"),
            "{args:?}: {stderr}"
        );
        assert_clean(&format!("{args:?} stdout"), &stdout);
        assert_clean(&format!("{args:?} stderr"), &stderr);
    }
    assert!(fake.seen().is_empty(), "the stand-in got no request");
    let mut files = Vec::new();
    files_under(home.path(), &mut files);
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        assert_clean(&file.display().to_string(), &text);
    }
}

#[test]
fn a_config_file_with_a_secret_is_refused_naming_the_field() {
    use support::fake_openai::FakeOpenAi;
    let home = tempfile::tempdir().unwrap();
    let fake = FakeOpenAi::start(ADMIN_KEY);
    let config = home.path().join("ekm.json");
    std::fs::write(
        &config,
        json!({
            "type": "aws",
            "org_id": "org-abc123",
            "kms_arn": AWS_KMS,
            "role_arn": AWS_ROLE,
            "project_name": "aws_secret_access_key=CANARYcanaryCONFIG0123456789",
        })
        .to_string(),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let base = fake.base();
    for args in [
        vec!["render", "aws", "--config", config],
        vec![
            "register",
            "aws",
            "--config",
            config,
            "--api-base",
            &base,
            "--yes",
        ],
        vec!["check", "aws", "--config", config],
    ] {
        let output = run(&args, home.path(), &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("`project_name`") && stderr.contains("looks like a secret"),
            "{args:?}: {stderr}"
        );
        assert_clean(&format!("{args:?}"), &stderr);
        assert_clean(
            &format!("{args:?}"),
            &String::from_utf8_lossy(&output.stdout),
        );
    }
    assert!(fake.seen().is_empty(), "the stand-in got no request");
}

#[test]
fn a_saved_session_with_a_huge_value_stays_out_of_the_support_bundle() {
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let huge = "CANARY".repeat(1024 * 1024 / 6);
    std::fs::write(
        state.join("session.json"),
        json!({
            "format": 1,
            "cloud": "aws",
            "path": "api",
            "step": 2,
            "reached": 2,
            "inputs": {"org_id": "org-abc123", "kms_arn": AWS_KMS, "role_arn": huge},
        })
        .to_string(),
    )
    .unwrap();
    let output = run(&["export", "--output", "-"], home.path(), &[]);
    let bundle = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(bundle.len() < 64 * 1024, "{} bytes", bundle.len());
    assert_clean("the bundle", &bundle);
    assert!(
        bundle.contains("Role ARN") && bundle.contains("characters; no value of this field"),
        "the bundle says what was left out and why:\n{bundle}"
    );
    assert!(
        bundle.contains(AWS_KMS),
        "the rest of the progress is there"
    );
}
