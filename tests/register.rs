//! `ekm-wizard register` and `validate` against a local fake of the Management API: once and
//! only once, refusals explained, and the admin key nowhere but the Authorization header.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use support::fake_openai::{CreateScript, FakeOpenAi};

const CANARY: &str = "sk-admin-CANARY0123456789abcdefCANARY";
const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

fn aws_args(base: &str) -> Vec<&str> {
    vec![
        "register",
        "aws",
        "--org-id",
        "org-abc123",
        "--kms-arn",
        KEY,
        "--role-arn",
        ROLE,
        "--project-name",
        "EKM project",
        "--api-base",
        base,
        "--timeout",
        "3",
        "--yes",
        "--json",
    ]
}

fn run(args: &[&str], state: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(args)
        .env("OPENAI_ADMIN_KEY", CANARY)
        .env("EKM_WIZARD_STATE_DIR", state)
        .env_remove("OPENAI_BASE_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

/// The canary admin key is in no output and no file the run left behind.
fn assert_no_canary(output: &Output, state: &Path) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stdout.contains("CANARY") && !stderr.contains("CANARY"),
        "{stdout}\n{stderr}"
    );
    for entry in walk(state) {
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(
            !text.contains("CANARY"),
            "{} holds the key",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn registers_creates_the_project_and_validates() {
    let fake = FakeOpenAi::start(CANARY);
    fake.state.lock().unwrap().projects.push(json!({"object": "organization.project", "id": "proj_old", "name": "Default", "external_key_id": null}));
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(&aws_args(&base), state.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document = json_of(&output);
    assert_eq!(document["external_key"]["id"], "extkey_1000");
    assert_eq!(document["reused_key"], false);
    assert_eq!(document["project"]["id"], "proj_501");
    assert_eq!(document["validation"]["status"], "success");
    assert_eq!(document["ekm_enabled"], true);
    let created: Value = serde_json::from_str(
        &fake
            .seen()
            .iter()
            .find(|s| s.method == "POST" && s.path == "/v1/organization/external_keys")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(
        created,
        json!({"type": "aws", "name": "AWS EKM key", "role_arn": ROLE, "kms_arn": KEY, "external_id": "org-abc123"})
    );
    let project: Value = serde_json::from_str(
        &fake
            .seen()
            .iter()
            .find(|s| s.method == "POST" && s.path == "/v1/organization/projects")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(
        project,
        json!({"name": "EKM project", "external_key_id": "extkey_1000"})
    );
    assert!(
        fake.seen()
            .iter()
            .all(|s| s.authorization == format!("Bearer {CANARY}"))
    );
    assert_no_canary(&output, state.path());
}

#[test]
fn registering_an_alias_warns_that_moving_it_revokes_openais_access() {
    let fake = FakeOpenAi::start(CANARY);
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let alias = "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm";
    let mut args = aws_args(&base);
    let at = args.iter().position(|a| *a == KEY).unwrap();
    args[at] = alias;
    args.extend(["--key-arn", KEY]);
    let output = run(&args, state.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document = json_of(&output);
    let warning = document["warnings"][0].as_str().unwrap();
    assert!(
        warning.starts_with("KMS key ARN (--kms-arn): alias/openai-ekm is an alias")
            && warning.contains("revokes OpenAI's access")
            && warning.ends_with(&format!("Register the key ARN instead: {KEY}")),
        "{warning}"
    );
    // For people, on stderr, before anything is registered.
    args.retain(|a| *a != "--json");
    let output = run(&args, state.path());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warned = stderr
        .find("warning: KMS key ARN (--kms-arn): alias/openai-ekm is an alias")
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(
        warned < stderr.find("Admin key from").unwrap_or(usize::MAX),
        "{stderr}"
    );
    assert_no_canary(&output, state.path());
}

#[test]
fn a_second_run_reuses_the_key_and_the_project() {
    let fake = FakeOpenAi::start(CANARY);
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    assert_eq!(run(&aws_args(&base), state.path()).status.code(), Some(0));
    let again = run(&aws_args(&base), state.path());
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let document = json_of(&again);
    assert_eq!(document["reused_key"], true);
    assert_eq!(document["project_reused"], true);
    assert_eq!(fake.count("POST", "/v1/organization/external_keys"), 1);
    assert_eq!(fake.count("POST", "/v1/organization/projects"), 1);
}

#[test]
fn the_listing_is_followed_across_pages() {
    let fake = FakeOpenAi::start(CANARY);
    {
        let mut state = fake.state.lock().unwrap();
        state.page_size = 2;
        for n in 0..5 {
            state.keys.push(json!({"id": format!("extkey_other{n}"), "type": "aws", "role_arn": ROLE, "kms_arn": format!("arn:aws:kms:us-east-1:111122223333:key/other-{n}"), "external_id": "org-abc123"}));
        }
        state.keys.push(json!({"id": "extkey_same", "type": "aws", "name": "Older name", "role_arn": ROLE, "kms_arn": KEY, "external_id": "org-abc123"}));
    }
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(&aws_args(&base), state.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(json_of(&output)["external_key"]["id"], "extkey_same");
    assert_eq!(fake.count("POST", "/v1/organization/external_keys"), 0);
    let listings: Vec<_> = fake
        .seen()
        .into_iter()
        .filter(|s| s.method == "GET" && s.path == "/v1/organization/external_keys")
        .collect();
    assert_eq!(listings.len(), 3, "three pages of two");
    assert!(
        listings[1].query.contains("after=extkey_other1"),
        "{:?}",
        listings[1]
    );
}

#[test]
fn a_refusal_with_a_faq_message_is_explained() {
    let fake = FakeOpenAi::start(CANARY);
    fake.state.lock().unwrap().next_create = Some(CreateScript::Answer(
        400,
        json!({"error": {"message": "Invalid 'key_name': string does not match pattern. Expected a string that matches the pattern '^org-[0-9a-zA-Z-]*--[0-9a-zA-Z-]*$'.", "type": "invalid_request_error", "param": "key_name", "code": null}}),
    ));
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(
        &[
            "register",
            "azure",
            "--org-id",
            "org-abc123",
            "--tenant-id",
            "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "--vault-uri",
            "contoso-ekm",
            "--key-name",
            "org-abc123--k",
            "--project-name",
            "P",
            "--api-base",
            &base,
            "--yes",
        ],
        state.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("OpenAI refused the request (400)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("The key name does not start with your organization id"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Step to revisit: Azure Key Vault, step 3"),
        "{stderr}"
    );
    assert_no_canary(&output, state.path());
}

#[test]
fn a_wrong_admin_key_gets_its_own_explanation() {
    let fake = FakeOpenAi::start("sk-admin-the-right-one");
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(&aws_args(&base), state.path());
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("did not accept the admin key (401)"),
        "{stderr}"
    );
    assert_no_canary(&output, state.path());
}

#[test]
fn validate_is_retried_after_429() {
    let fake = FakeOpenAi::start(CANARY);
    fake.state.lock().unwrap().validate_answers.push_back((
        429,
        json!({"error": {"message": "Rate limit reached", "type": "rate_limit_error", "param": null, "code": null}}),
    ));
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(
        &["validate", "extkey_abc", "--api-base", &base, "--json"],
        state.path(),
    );
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(json_of(&output), json!({"status": "success"}));
    assert_eq!(
        fake.count("POST", "/v1/organization/external_keys/extkey_abc/validate"),
        2
    );
}

#[test]
fn validate_explains_the_clouds_error() {
    let fake = FakeOpenAi::start(CANARY);
    fake.state.lock().unwrap().validate_answers.push_back((
        400,
        json!({"error": {"message": "User: arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "type": "invalid_request_error", "param": null, "code": null}}),
    ));
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(
        &["validate", "extkey_abc", "--api-base", &base],
        state.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("The role may not use the KMS key"),
        "{stdout}"
    );
    assert_eq!(
        fake.count("POST", "/v1/organization/external_keys/extkey_abc/validate"),
        1,
        "a refusal is not retried"
    );
}

#[test]
fn a_create_whose_answer_is_lost_is_found_by_listing_not_repeated() {
    let fake = FakeOpenAi::start(CANARY);
    fake.state.lock().unwrap().next_create = Some(CreateScript::RecordThenDrop);
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(&aws_args(&base), state.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(json_of(&output)["external_key"]["id"], "extkey_1000");
    assert_eq!(
        fake.count("POST", "/v1/organization/external_keys"),
        1,
        "never sent twice"
    );
    assert_eq!(fake.state.lock().unwrap().keys.len(), 1);
}

#[test]
fn the_shorter_project_answer_is_read_too() {
    let fake = FakeOpenAi::start(CANARY);
    fake.state.lock().unwrap().minimal_project_shape = true;
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let mut args = aws_args(&base);
    args.retain(|a| *a != "--json");
    let output = run(&args, state.path());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("Created project \"EKM project\": proj_500"),
        "{stdout}"
    );
    assert!(stdout.contains("Registered key: extkey_1000"), "{stdout}");
}

#[test]
fn plain_http_to_another_host_is_refused_before_connecting() {
    let state = tempfile::tempdir().unwrap();
    let output = run(&aws_args("http://api.example.com/v1"), state.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("https is required"));
    assert!(output.stdout.is_empty());
}

#[test]
fn without_a_terminal_register_needs_yes() {
    let fake = FakeOpenAi::start(CANARY);
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let mut args = aws_args(&base);
    args.retain(|a| *a != "--yes");
    let output = run(&args, state.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--yes"));
    assert!(fake.seen().is_empty(), "nothing was sent");
}

#[test]
fn bad_input_is_refused_before_any_request() {
    let fake = FakeOpenAi::start(CANARY);
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(
        &[
            "register",
            "aws",
            "--org-id",
            "org-abc123",
            "--kms-arn",
            "nope",
            "--role-arn",
            ROLE,
            "--project-name",
            "P",
            "--api-base",
            &base,
            "--yes",
        ],
        state.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("KMS key ARN (--kms-arn)"));
    let no_project = run(
        &[
            "register",
            "aws",
            "--org-id",
            "org-abc123",
            "--kms-arn",
            KEY,
            "--role-arn",
            ROLE,
            "--api-base",
            &base,
            "--yes",
        ],
        state.path(),
    );
    assert_eq!(no_project.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_project.stderr).contains("--project-name"));
    assert_eq!(
        run(&["validate", "proj_1", "--api-base", &base], state.path())
            .status
            .code(),
        Some(2)
    );
    assert!(fake.seen().is_empty());
}

#[test]
fn an_id_that_is_not_openais_form_never_reaches_a_url() {
    use ekm_wizard::openai::register::checked_id;
    assert!(checked_id("extkey_abc123", "extkey_").is_ok());
    for bad in [
        "../../users/x",
        "extkey_../../users/x",
        "extkey_",
        "extkey_a/b",
        "extkey_a?b=c",
    ] {
        let refused = checked_id(bad, "extkey_").unwrap_err().to_string();
        assert!(refused.contains("not an OpenAI id"), "{bad}: {refused}");
    }
}

#[test]
fn the_wizard_refuses_an_unsafe_api_base_before_taking_the_screen() {
    for (base, words) in [
        ("http://example.com", "plain http"),
        (
            "https://admin:hunter2@proxy.example.com/v1",
            "user name or password",
        ),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
            .args(["--api-base", base])
            .env("EKM_WIZARD_STATE_DIR", tempfile::tempdir().unwrap().path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{base}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(words), "{stderr}");
        assert!(!stderr.contains("hunter2"), "{stderr}");
        assert!(
            !String::from_utf8_lossy(&output.stdout).contains('\u{1b}'),
            "the screen was never taken"
        );
    }
}
