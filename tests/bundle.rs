//! The support bundle: everything support needs, and never a secret (proved with canaries).

use ekm_wizard::clouds::aws;
use std::process::Command;

use ekm_wizard::bundle::support_bundle;
use ekm_wizard::guide::{FieldId, Inputs, SetupPath};
use ekm_wizard::session::{SESSION_FORMAT, Session, SessionStore};

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";
const CANARY_KEY: &str = "sk-admin-CANARYcanary0123456789abcdef";
const CANARY_SECRET: &str = "CANARYwJalrXUtnFEMIK7MDENGbPxRfiCYzzzz";

fn session() -> Session {
    let mut inputs = Inputs::new(aws::cloud());
    inputs.set(FieldId::ORG_ID, "org-abc123");
    inputs.set(aws::KMS_ARN, KEY);
    inputs.set(aws::ROLE_ARN, ROLE);
    // An admin who pasted a key into the wrong field must not see it exported.
    inputs.set(FieldId::NAME, CANARY_KEY);
    Session {
        format: SESSION_FORMAT,
        cloud: aws::cloud(),
        path: SetupPath::Api,
        step: 3,
        reached: 2,
        inputs,
        external_key_id: Some("extkey_abc".into()),
        project_id: Some("proj_def".into()),
    }
}

#[test]
fn the_bundle_has_versions_inputs_blocks_and_explained_errors() {
    let error = format!(
        "User: arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: {ROLE} (sent with Authorization: Bearer {CANARY_KEY})"
    );
    let checks = [ekm_wizard::checks::CheckResult::new(
        ekm_wizard::guide::CheckId::new("trust-policy"),
        "Trust policy",
        ekm_wizard::guide::StepId::new("role"),
        ekm_wizard::checks::CheckStatus::Fail,
        "sts:ExternalId is org-other but OpenAI will present org-abc123",
    )];
    let calls = [ekm_wizard::guide::apply::Call {
        at: "2026-11-30T07:00:00Z".into(),
        method: "WRITE".into(),
        resource: "iam:CreateRole openai-ekm|x".into(),
        outcome: format!("AccessDenied: sent with Bearer {CANARY_KEY}"),
        millis: 42,
    }];
    let bundle = support_bundle(
        &session(),
        &[error, "something unknown".into()],
        &checks,
        &calls,
    );
    for expected in [
        "## Calls of the last apply",
        "| WRITE `iam:CreateRole openai-ekm\\|x` |",
        "# ekm-wizard support bundle",
        env!("CARGO_PKG_VERSION"),
        "cloud: AWS KMS",
        "path: API registration",
        "| `kms_arn` |",
        ROLE,
        "#### Trust policy (JSON)",
        "\"sts:ExternalId\"",
        "#### Registration request body (JSON)",
        "OpenAI cannot assume your IAM role",
        "No known EKM error matched it.",
        "- external key: `extkey_abc`",
        "- project: `proj_def`",
        "**Trust policy** (failed; step 3: Create the role OpenAI assumes)",
        "The trust policy expects another ExternalId, or none",
    ] {
        assert!(
            bundle.contains(expected),
            "{expected} missing from:\n{bundle}"
        );
    }
    assert!(!bundle.contains("CANARY"), "a secret leaked:\n{bundle}");
}

#[test]
fn export_writes_the_bundle_without_any_secret_of_the_environment() {
    let state = tempfile::tempdir().unwrap();
    SessionStore::in_dir(state.path()).save(&session()).unwrap();
    let out = state.path().join("bundle.md");
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["export", "--output", out.to_str().unwrap()])
        .env("EKM_WIZARD_STATE_DIR", state.path())
        .env("OPENAI_ADMIN_KEY", CANARY_KEY)
        .env("AWS_SECRET_ACCESS_KEY", CANARY_SECRET)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bundle = std::fs::read_to_string(&out).unwrap();
    assert!(bundle.contains("org-abc123"));
    assert!(!bundle.contains("CANARY"), "a secret leaked:\n{bundle}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("bundle.md") && !stdout.contains("CANARY"));
}

#[test]
fn export_without_saved_progress_exits_2_and_says_why() {
    let state = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["export", "--output", "-"])
        .env("EKM_WIZARD_STATE_DIR", state.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no saved progress"));
    assert!(output.stdout.is_empty());
}

#[test]
fn the_bundle_reads_as_facts_one_row_each_prose_as_prose() {
    let mut on_chatgpt = session();
    on_chatgpt.path = SetupPath::ChatGpt;
    on_chatgpt.step = 7;
    on_chatgpt.reached = 9;
    on_chatgpt.inputs.set(FieldId::NAME, "EKM key");
    let bundle = support_bundle(&on_chatgpt, &[], &[], &[]);
    assert_eq!(bundle.matches("| `name` |").count(), 1, "{bundle}");
    assert!(
        !bundle.contains("| `key_arn` |"),
        "the key behind an alias is not asked for a key ARN:\n{bundle}"
    );
    let written = bundle
        .lines()
        .find_map(|l| l.strip_prefix("- written at "))
        .expect("a time");
    assert!(
        written.len() == 20 && written.ends_with('Z') && written.as_bytes()[10] == b'T',
        "ISO 8601 with its offset: {written}"
    );
    let steps = aws::cloud().guide().steps.len();
    assert!(
        bundle.contains(&format!("- furthest reached: step {steps} of {steps}")),
        "never past the last step:\n{bundle}"
    );
    assert!(
        bundle.contains("> Details to turn on Enterprise Key Management"),
        "{bundle}"
    );
    assert!(
        !bundle.contains("```sh\nDetails"),
        "a message is not shell:\n{bundle}"
    );
    assert!(
        bundle.contains("```sh\naws kms"),
        "commands are shell:\n{bundle}"
    );
}
