//! `ekm-wizard apply aws` against moto: from an empty account to verified; a second run
//! writes nothing; what exists and differs changes only with consent and keeps what is there;
//! a run killed midway and run again ends with the same resources as one whole run.

mod support;

use std::process::{Command, Output};

use serde_json::{Value, json};
use support::aws_world::admin;
use support::fake_cloud::FakeCloud;
use support::moto::Moto;

const ORG: &str = "org-apply1";
const ROLE: &str = "arn:aws:iam::123456789012:role/openai-ekm";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn apply_at(endpoint: &str, moto: &Moto, state: &std::path::Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"));
    command
        .args([
            "apply",
            "aws",
            "--org-id",
            ORG,
            "--role-arn",
            ROLE,
            "--yes",
            "--json",
        ])
        .args(extra)
        .envs(moto.env())
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("EKM_WIZARD_STATE_DIR", state)
        .env_remove("AWS_PROFILE");
    command
}

/// The same run in words (no --json), and without --yes unless `extra` gives it.
fn apply_in_words(endpoint: &str, moto: &Moto, state: &std::path::Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["apply", "aws", "--org-id", ORG, "--role-arn", ROLE])
        .args(extra)
        .envs(moto.env())
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("EKM_WIZARD_STATE_DIR", state)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

fn apply(moto: &Moto, state: &std::path::Path, extra: &[&str]) -> (Option<i32>, Value) {
    let output = apply_at(&moto.endpoint(), moto, state, extra)
        .output()
        .unwrap();
    (output.status.code(), json_of(&output))
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn change_of<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

fn writes(report: &Value) -> Vec<String> {
    report["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["method"] != "READ")
        .map(|c| c["resource"].as_str().unwrap().to_string())
        .collect()
}

fn trust_document(moto: &Moto, name: &str) -> Value {
    runtime().block_on(async {
        let aws = admin(moto).await;
        let role = aws.iam.get_role().role_name(name).send().await.unwrap();
        let text = role
            .role()
            .unwrap()
            .assume_role_policy_document()
            .unwrap()
            .to_string();
        let decoded = ekm_wizard::clouds::aws::policy::percent_decode(&text);
        serde_json::from_str(if text.starts_with('%') {
            &decoded
        } else {
            &text
        })
        .unwrap()
    })
}

#[test]
fn from_an_empty_account_to_verified_and_a_second_run_writes_nothing() {
    let moto = Moto::start();
    let state = tempfile::tempdir().unwrap();
    let (code, report) = apply(&moto, state.path(), &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "verified");
    for id in ["key", "policy", "role", "attachment", "rotation"] {
        assert_eq!(change_of(&report, id)["change"], "create", "{id}");
    }
    let made = writes(&report);
    assert!(made[0].starts_with("kms:CreateKey"), "{made:?}");
    assert!(
        made.iter()
            .any(|w| w.starts_with("iam:CreateRole openai-ekm"))
    );
    let key = report["recorded"]["kms_arn"].as_str().unwrap().to_string();
    assert!(key.starts_with("arn:aws:kms:us-east-1:123456789012:key/"));
    // The role's trust policy is the guide's.
    let trust = trust_document(&moto, "openai-ekm");
    let statement = &trust["Statement"][0];
    assert_eq!(
        statement["Principal"]["AWS"],
        "arn:aws:iam::790389265272:role/EnterpriseKeyManagement"
    );
    assert_eq!(
        statement["Condition"]["StringEquals"]["sts:ExternalId"],
        json!([ORG])
    );
    // The call log is kept without secrets.
    let kept = std::fs::read_to_string(state.path().join("last-apply.json")).unwrap();
    assert!(kept.contains("kms:CreateKey") && !kept.contains("testing"));

    let (code, again) = apply(&moto, state.path(), &[]);
    assert_eq!(code, Some(0), "{again:#}");
    assert!(
        writes(&again).is_empty(),
        "a second run writes nothing: {:?}",
        writes(&again)
    );
    for planned in again["plan"].as_array().unwrap() {
        assert_eq!(planned["change"], "as-wanted", "{planned}");
    }
    assert_eq!(
        again["recorded"]["kms_arn"],
        key.as_str(),
        "the key made is found again"
    );
}

#[test]
fn an_existing_role_and_key_policy_change_only_with_consent_and_keep_their_statements() {
    let moto = Moto::start();
    let state = tempfile::tempdir().unwrap();
    let theirs = json!({"Sid": "Theirs", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"});
    let key_statement = json!({"Sid": "KeyAdmins", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:user/admin"}, "Action": "kms:*", "Resource": "*"});
    let key = runtime().block_on(async {
        let aws = admin(&moto).await;
        aws.role(
            "openai-ekm",
            &json!({"Version": "2012-10-17", "Statement": [theirs.clone()]}),
        )
        .await;
        let policy = json!({"Version": "2012-10-17", "Statement": [key_statement.clone()]});
        aws.key(
            aws_sdk_kms::types::KeySpec::SymmetricDefault,
            Some(&policy.to_string()),
        )
        .await
    });
    let (code, report) = apply(&moto, state.path(), &["--kms-arn", &key]);
    assert_eq!(
        change_of(&report, "role")["change"],
        "differs",
        "{report:#}"
    );
    assert!(
        change_of(&report, "role")["diff"]
            .as_str()
            .unwrap()
            .contains("sts:ExternalId equals org-apply1")
    );
    assert_eq!(change_of(&report, "key-policy")["change"], "differs");
    assert_eq!(change_of(&report, "rotation")["change"], "differs");
    assert_eq!(
        code,
        Some(1),
        "without consent the setup stays incomplete: {report:#}"
    );
    assert_eq!(
        trust_document(&moto, "openai-ekm")["Statement"],
        json!([theirs.clone()]),
        "unchanged"
    );
    assert!(
        !writes(&report)
            .iter()
            .any(|w| w.starts_with("iam:UpdateAssumeRolePolicy")
                || w.starts_with("kms:PutKeyPolicy")),
        "{:?}",
        writes(&report)
    );

    let (code, report) = apply(&moto, state.path(), &["--kms-arn", &key, "--allow-update"]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "verified");
    let trust = trust_document(&moto, "openai-ekm");
    let statements = trust["Statement"].as_array().unwrap();
    assert_eq!(statements[0], theirs, "their statement stays");
    assert_eq!(statements.len(), 2);
    let policy: Value = runtime().block_on(async {
        let aws = admin(&moto).await;
        let found = aws
            .kms
            .get_key_policy()
            .key_id(&key)
            .policy_name("default")
            .send()
            .await
            .unwrap();
        serde_json::from_str(found.policy().unwrap()).unwrap()
    });
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(
        statements[0], key_statement,
        "the key policy's statement stays"
    );
    assert_eq!(statements[1]["Sid"], "AllowOpenAIEKMRole");
}

#[test]
fn a_run_killed_midway_and_run_again_ends_like_one_whole_run() {
    let moto = Moto::start();
    let state = tempfile::tempdir().unwrap();
    // A slow stand-in in front of moto: the run is killed once the key's alias is asked for.
    let slow = FakeCloud::start();
    slow.proxy_to(moto.port);
    slow.delay_all(std::time::Duration::from_millis(300));
    let mut child = apply_at(&slow.base(), &moto, state.path(), &[])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !slow.seen().iter().any(|s| s.body.contains("AliasName")) {
        assert!(
            std::time::Instant::now() < deadline,
            "the run never made the key"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    // Requests the killed run left in the stand-in still land, as they would in flight.
    std::thread::sleep(std::time::Duration::from_millis(800));
    let (code, report) = apply(&moto, state.path(), &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(
        change_of(&report, "key")["change"],
        "as-wanted",
        "the key made before is found"
    );
    let keys = runtime().block_on(async {
        let aws = admin(&moto).await;
        aws.kms.list_keys().send().await.unwrap().keys().len()
    });
    assert_eq!(keys, 1, "one key, as one whole run makes");
    let (_, again) = apply(&moto, state.path(), &[]);
    assert!(writes(&again).is_empty());
}

#[test]
fn without_a_role_arn_the_role_is_made_in_the_account_of_the_credentials() {
    let moto = Moto::start();
    let state = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["apply", "aws", "--org-id", ORG, "--yes", "--json"])
        .envs(moto.env())
        .env("EKM_WIZARD_STATE_DIR", state.path())
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(
        report["recorded"]["role_arn"],
        "arn:aws:iam::123456789012:role/openai-ekm"
    );
    assert_eq!(report["verdict"], "verified");
}

#[test]
fn bad_input_names_the_flag_and_nothing_is_asked_of_the_cloud() {
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args([
            "apply",
            "aws",
            "--org-id",
            ORG,
            "--role-arn",
            "openai-ekm",
            "--yes",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("Role ARN (--role-arn)"));
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["apply", "aws", "--org-id", ORG, "--role-arn", ROLE])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "no terminal, no --yes");
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["apply", "azure", "--org-id", ORG, "--yes"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("Tenant id (--tenant-id): is empty"), "{said}");
    assert!(said.contains("Key name (--key-name)"), "{said}");
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_plan_that_could_read_nothing_knows_nothing_and_writes_nothing() {
    let moto = Moto::start();
    let state = tempfile::tempdir().unwrap();
    let nowhere = format!("http://127.0.0.1:{}", closed_port());
    let output = apply_at(&nowhere, &moto, state.path(), &["--timeout", "3"])
        .output()
        .unwrap();
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(3), "{report:#}");
    assert_eq!(report["verdict"], "not-verified", "{report:#}");
    assert_eq!(report["counts"]["unknown"], 6, "{report:#}");
    assert_eq!(report["counts"]["create"], 0, "{report:#}");
    assert_eq!(report["counts"]["as_wanted"], 0, "{report:#}");
    assert!(writes(&report).is_empty(), "{report:#}");
    // The words: the headline counts them; no "will create", no "as wanted".
    let output = apply_in_words(&nowhere, &moto, state.path(), &["--timeout", "3", "--plan"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("Could not read 6 of 6"), "{text}");
    assert!(!text.contains("will create"), "{text}");
    assert!(!text.contains("as wanted"), "{text}");
    assert!(!text.contains("Nothing to change"), "{text}");
}

#[test]
fn what_depends_on_a_resource_that_could_not_be_read_is_unknown_too() {
    let moto = Moto::start();
    let state = tempfile::tempdir().unwrap();
    // IAM answers (moto); KMS cannot be reached.
    let output = apply_at(&moto.endpoint(), &moto, state.path(), &["--timeout", "3"])
        .env(
            "AWS_ENDPOINT_URL_KMS",
            format!("http://127.0.0.1:{}", closed_port()),
        )
        .output()
        .unwrap();
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(3), "{report:#}");
    for id in ["key", "policy", "key-policy", "rotation"] {
        assert_eq!(
            change_of(&report, id)["change"],
            "unknown",
            "{id}: {report:#}"
        );
    }
    assert!(
        change_of(&report, "rotation")["why"]
            .as_str()
            .unwrap()
            .contains("depends on"),
        "{report:#}"
    );
    assert_eq!(change_of(&report, "role")["change"], "create");
    assert_eq!(report["counts"]["unknown"], 4, "{report:#}");
    assert!(writes(&report).is_empty(), "nothing written: {report:#}");
    let roles = runtime().block_on(async {
        let aws = admin(&moto).await;
        aws.iam.list_roles().send().await.unwrap().roles().len()
    });
    assert_eq!(roles, 0, "no role was made");
}

#[test]
fn plan_only_reads_prints_and_writes_nothing() {
    let moto = Moto::start();
    let state = tempfile::tempdir().unwrap();
    let output = apply_in_words(
        &moto.endpoint(),
        &moto,
        state.path(),
        &["--dry-run", "--json"],
    );
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["verdict"], "planned");
    assert_eq!(report["counts"]["create"], 5, "{report:#}");
    assert_eq!(report["counts"]["unknown"], 0, "{report:#}");
    assert!(writes(&report).is_empty(), "{report:#}");
    let keys = runtime().block_on(async {
        let aws = admin(&moto).await;
        aws.kms.list_keys().send().await.unwrap().keys().len()
    });
    assert_eq!(keys, 0, "no key was made");
    // --plan needs no terminal and no --yes, and refuses --yes.
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["apply", "aws", "--org-id", ORG, "--plan", "--yes"])
        .env("EKM_WIZARD_STATE_DIR", state.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn a_difference_left_in_place_is_said_at_once_not_waited_for() {
    let moto = Moto::start();
    let state = tempfile::tempdir().unwrap();
    let other = json!({"Sid": "Theirs", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"});
    runtime().block_on(async {
        let aws = admin(&moto).await;
        aws.role(
            "openai-ekm",
            &json!({"Version": "2012-10-17", "Statement": [other]}),
        )
        .await;
    });
    let output = apply_in_words(&moto.endpoint(), &moto, state.path(), &["--yes"]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        !text.contains("still be spreading"),
        "no wait for a change this run did not make: {text}"
    );
    assert!(
        text.contains(
            "the role openai-ekm differs and was left as it is: run apply again with --allow-update"
        ),
        "{text}"
    );
}

#[test]
fn a_trust_statement_for_another_external_id_is_replaced_only_with_consent_and_others_stay() {
    let moto = Moto::start();
    let state = tempfile::tempdir().unwrap();
    let openai = ekm_wizard::clouds::aws::OPENAI_PRINCIPAL_ARN;
    // What the tester found: the guide's statement added beside an older one that lets OpenAI
    // in under another organization's ExternalId, and a partner account's statement.
    let partner = json!({"Sid": "Partner", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"});
    let wrong = json!({"Sid": "Wrong", "Effect": "Allow", "Principal": {"AWS": openai},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "org-Wrong999"}}});
    let mine = json!({"Sid": "OpenAIEKMAssumeRole", "Effect": "Allow", "Principal": {"AWS": openai},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": [ORG]}}});
    runtime().block_on(async {
        admin(&moto)
            .await
            .role(
                "openai-ekm",
                &json!({"Version": "2012-10-17", "Statement": [partner.clone(), wrong.clone(), mine.clone()]}),
            )
            .await;
    });
    let (code, report) = apply(&moto, state.path(), &[]);
    assert_eq!(code, Some(1), "without consent: {report:#}");
    let role = change_of(&report, "role");
    assert_eq!(role["change"], "differs", "{report:#}");
    let diff = role["diff"].as_str().unwrap();
    assert!(
        diff.contains("- statement Wrong: lets OpenAI's principal assume the role when sts:ExternalId is org-Wrong999"),
        "{diff}"
    );
    assert!(
        diff.contains("+ trust statement OpenAIEKMAssumeRole:")
            && diff.contains("sts:ExternalId equals org-apply1"),
        "{diff}"
    );
    assert!(
        !diff.contains("Partner"),
        "the partner's statement stays: {diff}"
    );
    assert!(
        !writes(&report)
            .iter()
            .any(|w| w.starts_with("iam:UpdateAssumeRolePolicy")),
        "{:?}",
        writes(&report)
    );
    assert_eq!(
        trust_document(&moto, "openai-ekm")["Statement"],
        json!([partner.clone(), wrong.clone(), mine.clone()]),
        "left in place"
    );
    // The rest was made; the check fails on the trust policy alone, naming the statement.
    let key = report["recorded"]["kms_arn"].as_str().unwrap().to_string();
    let (code, checked) = check_at(&moto, &key);
    assert_eq!(code, Some(1), "{checked:#}");
    let trust = checked["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "trust-policy")
        .unwrap();
    assert_eq!(trust["status"], "fail", "{checked:#}");
    assert!(
        trust["detail"]
            .as_str()
            .unwrap()
            .contains("statement Wrong"),
        "{trust:#}"
    );

    let (code, report) = apply(&moto, state.path(), &["--allow-update"]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "verified");
    assert!(
        writes(&report)
            .iter()
            .any(|w| w.starts_with("iam:UpdateAssumeRolePolicy openai-ekm")),
        "{:?}",
        writes(&report)
    );
    let statements = trust_document(&moto, "openai-ekm")["Statement"].clone();
    assert_eq!(
        statements,
        json!([partner, mine]),
        "the wrong statement is gone, the partner's stays, the guide's is there once"
    );
    let (code, checked) = check_at(&moto, &key);
    assert_eq!(code, Some(0), "{checked:#}");
    assert_eq!(checked["verdict"], "verified");
    let trust = checked["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "trust-policy")
        .unwrap();
    assert_eq!(
        trust["status"], "warn",
        "the partner is still trusted: {trust:#}"
    );
}

/// `check aws --json` of the apply's role and `key`.
fn check_at(moto: &Moto, key: &str) -> (Option<i32>, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args([
            "check",
            "aws",
            "--org-id",
            ORG,
            "--role-arn",
            ROLE,
            "--kms-arn",
            key,
        ])
        .args(["--json", "--timeout", "20"])
        .envs(moto.env())
        .env_remove("AWS_PROFILE")
        .env("EKM_WIZARD_STATE_DIR", tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    (output.status.code(), json_of(&output))
}
