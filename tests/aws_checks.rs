//! `ekm-wizard check aws` against moto: a good setup passes, and each way of breaking it is
//! named by the specific check that fails (or warns), with its wording: among them trust
//! statements that let OpenAI in without exactly the organization's ExternalId, and a key
//! policy naming a deleted role.

mod support;

use ekm_wizard::clouds::aws;
use std::process::Command;

use aws_sdk_kms::types::KeySpec;
use ekm_wizard::clouds::aws::artifacts::{iam_policy, trust_policy};
use ekm_wizard::clouds::aws::fields::kms_arn;
use serde_json::{Value, json};
use support::moto::Moto;

const ORG: &str = "org-abc123";
const ACCOUNT: &str = "123456789012";

use support::aws_world::admin;

fn check(moto: &Moto, args: &[&str]) -> (Option<i32>, Value, String) {
    let output = ekm()
        .args(["check", "aws", "--org-id", ORG, "--json", "--timeout", "20"])
        .args(args)
        .envs(moto.env())
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let document = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&output.stdout)));
    support::check_run::every_fix_step_is_in_the_guide(&document, aws::cloud());
    (output.status.code(), document, stderr)
}

fn result<'a>(document: &'a Value, id: &str) -> &'a Value {
    document["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {document:#}"))
}

fn assert_check(document: &Value, id: &str, status: &str, fragment: &str) {
    let check = result(document, id);
    assert_eq!(check["status"], status, "{id}: {check:#}");
    let detail = check["detail"].as_str().unwrap();
    assert!(
        detail.contains(fragment),
        "{id}: `{fragment}` not in `{detail}`"
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The binary, keeping what a run leaves for `export` in a folder of this test's own.
fn ekm() -> Command {
    static STATE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let state = STATE.get_or_init(|| tempfile::tempdir().unwrap());
    let mut command = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"));
    command.env("EKM_WIZARD_STATE_DIR", state.path());
    command
}

#[test]
fn the_guides_setup_passes_every_check() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async { admin(&moto).await.good_setup().await });
    let (code, document, stderr) = check(&moto, &["--kms-arn", &key, "--role-arn", &role]);
    assert_eq!(code, Some(0), "{document:#}\n{stderr}");
    assert_eq!(document["ok"], true);
    for id in [
        "identity",
        "key",
        "key-policy",
        "role",
        "trust-policy",
        "permissions",
        "round-trip",
        "rotation",
    ] {
        assert_eq!(
            result(&document, id)["status"],
            "pass",
            "{id}: {document:#}"
        );
    }
    assert_eq!(result(&document, "trust-policy")["step"], "role");
    assert_eq!(result(&document, "permissions")["step"], "iam-policy");
}

#[test]
fn an_inline_policy_counts_like_a_managed_one() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async {
        let aws = admin(&moto).await;
        let key = aws.symmetric_key().await;
        let role = aws.role("openai-ekm", &trust_policy(ORG)).await;
        aws.inline("openai-ekm", &iam_policy(&kms_arn(&key).unwrap()))
            .await;
        (key, role)
    });
    let (code, document, _) = check(&moto, &["--kms-arn", &key, "--role-arn", &role]);
    assert_eq!(code, Some(0), "{document:#}");
    assert_check(&document, "permissions", "pass", "kms-inline (inline)");
    assert_check(&document, "rotation", "warn", "rotation is off");
}

#[test]
fn an_alias_resolves_to_its_key_but_a_policy_naming_the_alias_fails() {
    let moto = Moto::start();
    let (key, role, alias) = runtime().block_on(async {
        let aws = admin(&moto).await;
        let key = aws.symmetric_key().await;
        aws.kms
            .create_alias()
            .alias_name("alias/openai-ekm")
            .target_key_id(&key)
            .send()
            .await
            .unwrap();
        let alias = format!("arn:aws:kms:us-east-1:{ACCOUNT}:alias/openai-ekm");
        let role = aws.role("openai-ekm", &trust_policy(ORG)).await;
        aws.attach("openai-ekm", &iam_policy(&kms_arn(&alias).unwrap()))
            .await;
        (key, role, alias)
    });
    let (code, document, _) = check(
        &moto,
        &["--kms-arn", &alias, "--key-arn", &key, "--role-arn", &role],
    );
    assert_eq!(code, Some(1));
    assert_check(&document, "key", "pass", "alias/openai-ekm points to it");
    let warning = document["warnings"][0].as_str().unwrap();
    assert!(
        warning.contains("pointing the alias at another key revokes OpenAI's access")
            && warning.ends_with(&format!("Register the key ARN instead: {key}")),
        "{warning}"
    );
    assert_check(
        &document,
        "permissions",
        "fail",
        "the policy names the alias alias/openai-ekm",
    );
}

#[test]
fn a_wrong_external_id_is_named() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async {
        let aws = admin(&moto).await;
        let key = aws.symmetric_key().await;
        let role = aws
            .role("openai-ekm", &trust_policy("org-someoneelse"))
            .await;
        aws.attach("openai-ekm", &iam_policy(&kms_arn(&key).unwrap()))
            .await;
        (key, role)
    });
    let (code, document, _) = check(&moto, &["--kms-arn", &key, "--role-arn", &role]);
    assert_eq!(code, Some(1));
    assert_check(
        &document,
        "trust-policy",
        "fail",
        "sts:ExternalId is org-someoneelse but OpenAI will present org-abc123",
    );
}

#[test]
fn a_trust_policy_without_external_id_fails() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async {
        let aws = admin(&moto).await;
        let key = aws.symmetric_key().await;
        let mut trust = trust_policy(ORG);
        trust["Statement"][0]
            .as_object_mut()
            .unwrap()
            .remove("Condition");
        let role = aws.role("openai-ekm", &trust).await;
        aws.attach("openai-ekm", &iam_policy(&kms_arn(&key).unwrap()))
            .await;
        (key, role)
    });
    let (_, document, _) = check(&moto, &["--kms-arn", &key, "--role-arn", &role]);
    assert_check(
        &document,
        "trust-policy",
        "fail",
        "without a StringEquals sts:ExternalId condition",
    );
}

#[test]
fn a_trust_policy_for_another_principal_fails() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async {
        let aws = admin(&moto).await;
        let key = aws.symmetric_key().await;
        let mut trust = trust_policy(ORG);
        trust["Statement"][0]["Principal"]["AWS"] = json!("arn:aws:iam::444455556666:root");
        let role = aws.role("openai-ekm", &trust).await;
        aws.attach("openai-ekm", &iam_policy(&kms_arn(&key).unwrap()))
            .await;
        (key, role)
    });
    let (_, document, _) = check(&moto, &["--kms-arn", &key, "--role-arn", &role]);
    assert_check(
        &document,
        "trust-policy",
        "fail",
        "trusts arn:aws:iam::444455556666:root but not OpenAI's principal",
    );
}

#[test]
fn permissions_missing_decrypt_on_another_key_or_denied_are_named() {
    let moto = Moto::start();
    let cases = runtime().block_on(async {
        let aws = admin(&moto).await;
        let key = aws.symmetric_key().await;
        let other = aws.symmetric_key().await;
        let mut only_encrypt = iam_policy(&kms_arn(&key).unwrap());
        only_encrypt["Statement"][0]["Action"] = json!(["kms:Encrypt"]);
        let on_other = iam_policy(&kms_arn(&other).unwrap());
        let mut denied = iam_policy(&kms_arn(&key).unwrap());
        denied["Statement"].as_array_mut().unwrap().push(
            json!({"Sid": "NoDecrypt", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"}),
        );
        let mut roles = Vec::new();
        for (name, document) in [
            ("only-encrypt", only_encrypt),
            ("other-key", on_other),
            ("denied", denied),
        ] {
            let role = aws.role(name, &trust_policy(ORG)).await;
            aws.attach(name, &document).await;
            roles.push(role);
        }
        (key, roles)
    });
    let (key, roles) = cases;
    let (_, document, _) = check(&moto, &["--kms-arn", &key, "--role-arn", &roles[0]]);
    assert_check(
        &document,
        "permissions",
        "fail",
        "kms:Decrypt is not allowed",
    );
    let (_, document, _) = check(&moto, &["--kms-arn", &key, "--role-arn", &roles[1]]);
    assert_check(
        &document,
        "permissions",
        "fail",
        "kms:Encrypt is not allowed; kms:Decrypt is not allowed",
    );
    let (_, document, _) = check(&moto, &["--kms-arn", &key, "--role-arn", &roles[2]]);
    assert_check(
        &document,
        "permissions",
        "fail",
        "kms:Decrypt is explicitly denied by statement NoDecrypt",
    );
}

#[test]
fn a_disabled_or_asymmetric_key_fails_naming_why() {
    let moto = Moto::start();
    let (disabled, asymmetric, role) = runtime().block_on(async {
        let aws = admin(&moto).await;
        let disabled = aws.symmetric_key().await;
        // moto's DisableKey takes the key id, not the ARN.
        let key_id = disabled.rsplit('/').next().unwrap();
        aws.kms.disable_key().key_id(key_id).send().await.unwrap();
        let asymmetric = aws.key(KeySpec::EccNistP256, None).await;
        let role = aws.role("openai-ekm", &trust_policy(ORG)).await;
        (disabled, asymmetric, role)
    });
    let (code, document, _) = check(&moto, &["--kms-arn", &disabled, "--role-arn", &role]);
    assert_eq!(code, Some(1));
    assert_check(
        &document,
        "key",
        "fail",
        "the key is Disabled (it must be Enabled)",
    );
    let (_, document, _) = check(&moto, &["--kms-arn", &asymmetric, "--role-arn", &role]);
    assert_check(
        &document,
        "key",
        "fail",
        "the key is ECC_NIST_P256, not a symmetric key",
    );
}

#[test]
fn a_missing_role_or_key_is_named_and_what_depends_on_it_is_skipped() {
    let moto = Moto::start();
    let key = runtime().block_on(async { admin(&moto).await.symmetric_key().await });
    let missing_role = format!("arn:aws:iam::{ACCOUNT}:role/nobody-here");
    let (code, document, _) = check(&moto, &["--kms-arn", &key, "--role-arn", &missing_role]);
    assert_eq!(code, Some(1));
    assert_check(&document, "role", "fail", "no role named nobody-here");
    assert_check(&document, "trust-policy", "skip", "needs the role");
    assert_check(&document, "permissions", "skip", "needs the role");
    let missing_key =
        format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    let (_, document, _) = check(
        &moto,
        &["--kms-arn", &missing_key, "--role-arn", &missing_role],
    );
    assert_check(
        &document,
        "key",
        "fail",
        "no key key/1234abcd-12ab-34cd-56ef-1234567890ab",
    );
    assert_check(&document, "round-trip", "skip", "needs the key");
    assert_check(&document, "key-policy", "skip", "needs the key");
}

#[test]
fn a_key_policy_that_delegates_to_nobody_fails() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async {
        let aws = admin(&moto).await;
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Sid": "AdminOnly", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/admin")}, "Action": "kms:*", "Resource": "*"}]});
        let key = aws.key(KeySpec::SymmetricDefault, Some(&policy.to_string())).await;
        let role = aws.role("openai-ekm", &trust_policy(ORG)).await;
        aws.attach("openai-ekm", &iam_policy(&kms_arn(&key).unwrap())).await;
        (key, role)
    });
    let (code, document, _) = check(&moto, &["--kms-arn", &key, "--role-arn", &role]);
    assert_eq!(code, Some(1));
    assert_check(
        &document,
        "key-policy",
        "fail",
        "the IAM policy alone has no effect",
    );
}

#[test]
fn no_credentials_gives_one_clear_message() {
    let moto = Moto::start();
    let output = ekm()
        .args(["check", "aws", "--org-id", ORG, "--timeout", "10"])
        .args([
            "--kms-arn",
            &format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
        ])
        .args([
            "--role-arn",
            &format!("arn:aws:iam::{ACCOUNT}:role/openai-ekm"),
        ])
        .envs(moto.env())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_WEB_IDENTITY_TOKEN_FILE")
        .env_remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .env_remove("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "could not verify");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no usable AWS credentials"), "{stderr}");
    assert!(
        !stderr.contains("CredentialsNotLoaded") && !stderr.contains("source:"),
        "no SDK debug text: {stderr}"
    );
    assert!(stderr.contains("aws sso login"), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "one message: {stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn bad_input_exits_2_before_any_request() {
    let output = ekm()
        .args([
            "check",
            "aws",
            "--org-id",
            ORG,
            "--kms-arn",
            "nope",
            "--role-arn",
            "arn:aws:iam::123456789012:role/x",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("KMS key ARN (--kms-arn)"));
    let gcp = ekm()
        .args(["check", "gcp", "--org-id", ORG])
        .output()
        .unwrap();
    assert_eq!(gcp.status.code(), Some(2));
}

#[test]
fn step_one_is_checked_before_the_role_exists_and_the_rest_waits() {
    let moto = Moto::start();
    let key = runtime().block_on(async { admin(&moto).await.symmetric_key().await });
    let (code, document, stderr) = check(&moto, &["--kms-arn", &key]);
    assert_eq!(
        code,
        Some(3),
        "not verified as a whole: {document:#}\n{stderr}"
    );
    assert_eq!(document["verdict"], "not-verified");
    assert_check(&document, "key", "pass", "enabled, symmetric");
    assert_check(&document, "round-trip", "pass", "unchanged");
    for id in ["role", "trust-policy", "permissions"] {
        assert_check(&document, id, "waiting", "waits for step 3: Role ARN");
    }
    // moto's default key policy delegates to IAM, which needs no role to prove.
    assert_check(&document, "key-policy", "pass", "IAM policies decide");
}

#[test]
fn without_a_region_anywhere_the_key_arn_gives_it() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async { admin(&moto).await.good_setup().await });
    let output = ekm()
        .args(["check", "aws", "--org-id", ORG, "--json", "--timeout", "20"])
        .args(["--kms-arn", &key, "--role-arn", &role])
        .envs(moto.env())
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{document:#}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(document["verdict"], "verified");
    assert!(!document.to_string().contains("signing region"));
}

#[test]
fn answers_that_are_not_aws_answers_are_not_verified_never_a_pass() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async { admin(&moto).await.good_setup().await });
    // A stand-in that answers every request 404 with a body that is not AWS's (a broken proxy).
    let refusing = support::fake_cloud::FakeCloud::start();
    let output = ekm()
        .args(["check", "aws", "--org-id", ORG, "--json", "--timeout", "20"])
        .args(["--kms-arn", &key, "--role-arn", &role])
        .envs(moto.env())
        .env("AWS_ENDPOINT_URL", refusing.base())
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let document: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    assert_eq!(output.status.code(), Some(3), "{document:#}");
    assert_eq!(document["verdict"], "not-verified");
    assert_eq!(document["ok"], false);
    for check in document["checks"].as_array().unwrap() {
        assert_ne!(check["status"], "pass", "{check:#}");
        assert_ne!(
            check["status"], "fail",
            "nothing is blamed on the setup: {check:#}"
        );
    }
}

#[test]
fn a_plain_http_endpoint_off_this_machine_is_refused_before_any_request() {
    let output = ekm()
        .args(["check", "aws", "--org-id", ORG])
        .args([
            "--kms-arn",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ])
        .env("AWS_ENDPOINT_URL", "http://example.com")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("AWS_ENDPOINT_URL must be an https URL"),
        "{stderr}"
    );
}

#[test]
fn a_proxy_in_the_environment_never_sees_loopback_traffic() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async { admin(&moto).await.good_setup().await });
    let proxy = support::fake_cloud::FakeCloud::start();
    let output = ekm()
        .args(["check", "aws", "--org-id", ORG, "--json", "--timeout", "20"])
        .args(["--kms-arn", &key, "--role-arn", &role])
        .envs(moto.env())
        .env("HTTP_PROXY", proxy.base())
        .env("HTTPS_PROXY", proxy.base())
        .env("ALL_PROXY", proxy.base())
        .env("http_proxy", proxy.base())
        .env("https_proxy", proxy.base())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(proxy.seen().is_empty(), "the proxy saw: {:?}", proxy.seen());
}

#[test]
fn when_no_check_could_run_it_says_none_could_and_never_that_nothing_failed() {
    let moto = Moto::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    let output = ekm()
        .args([
            "check",
            "aws",
            "--org-id",
            ORG,
            "--timeout",
            "3",
            "--kms-arn",
            &format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
            "--role-arn",
            &format!("arn:aws:iam::{ACCOUNT}:role/openai-ekm"),
        ])
        .envs(moto.env())
        .env("AWS_ENDPOINT_URL", &nowhere)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{text}");
    assert!(text.contains("Not verified: none of the"), "{text}");
    assert!(text.contains("checks could run:"), "{text}");
    assert!(!text.contains("nothing failed"), "{text}");
}

/// `check aws` of a setup whose role `name` trusts with the guide's statement for ORG and
/// `extra` beside it (everything else as the guide says).
fn trust_check_beside_the_guide(moto: &Moto, name: &str, extra: Value) -> (Option<i32>, Value) {
    let (key, role) = runtime().block_on(async {
        let aws = admin(moto).await;
        let key = aws.symmetric_key().await;
        let mut trust = trust_policy(ORG);
        trust["Statement"].as_array_mut().unwrap().push(extra);
        let role = aws.role(name, &trust).await;
        aws.attach(name, &iam_policy(&kms_arn(&key).unwrap())).await;
        (key, role)
    });
    let (code, document, _) = check(moto, &["--kms-arn", &key, "--role-arn", &role]);
    (code, document)
}

fn explained_by(document: &Value, id: &str, entry: &str) {
    let detail = result(document, id)["detail"].as_str().unwrap().to_string();
    let found = ekm_wizard::explain::explain(&detail).map(|e| e.entry.id.clone());
    assert_eq!(found.as_deref(), Some(entry), "{detail}");
}

#[test]
fn a_trust_statement_letting_openai_in_without_exactly_the_external_id_fails_beside_the_guides() {
    let moto = Moto::start();
    let openai = aws::OPENAI_PRINCIPAL_ARN;
    let cases = [
        (
            "other-external-id",
            json!({"Sid": "Old", "Effect": "Allow", "Principal": {"AWS": openai}, "Action": "sts:AssumeRole",
                   "Condition": {"StringEquals": {"sts:ExternalId": "org-Wrong999"}}}),
            "statement Old lets OpenAI's principal assume the role when sts:ExternalId is org-Wrong999 but OpenAI will present org-abc123",
        ),
        (
            "no-condition",
            json!({"Effect": "Allow", "Principal": {"AWS": openai}, "Action": "sts:AssumeRole"}),
            "statement #2 (no Sid) lets OpenAI's principal assume the role without a StringEquals sts:ExternalId condition (it has no condition at all)",
        ),
        (
            "anyone",
            json!({"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
            "statement Anyone lets any AWS principal (\"*\") assume the role",
        ),
        (
            "pattern",
            json!({"Sid": "Pattern", "Effect": "Allow", "Principal": {"AWS": openai}, "Action": "sts:AssumeRole",
                   "Condition": {"StringLike": {"sts:ExternalId": "org-*"}}}),
            "statement Pattern lets OpenAI's principal assume the role when sts:ExternalId matches org-* (StringLike)",
        ),
        (
            "list",
            json!({"Sid": "List", "Effect": "Allow", "Principal": {"AWS": openai}, "Action": "sts:AssumeRole",
                   "Condition": {"StringEquals": {"sts:ExternalId": [ORG, "org-Wrong999"]}}}),
            "statement List lets OpenAI's principal assume the role when sts:ExternalId is any of org-abc123, org-Wrong999: org-Wrong999 is not your organization's",
        ),
    ];
    for (name, extra, words) in cases {
        let (code, document) = trust_check_beside_the_guide(&moto, name, extra);
        assert_eq!(code, Some(1), "{name}: {document:#}");
        assert_eq!(document["verdict"], "failed", "{name}");
        assert_check(&document, "trust-policy", "fail", words);
        assert_check(
            &document,
            "trust-policy",
            "fail",
            "Only OpenAI's principal, with exactly sts:ExternalId org-abc123, should be let in",
        );
        explained_by(&document, "trust-policy", "aws-check-trust-loose");
        // Only the trust policy is at fault.
        for other in ["key", "key-policy", "role", "permissions", "round-trip"] {
            assert_eq!(
                result(&document, other)["status"],
                "pass",
                "{name}: {other}"
            );
        }
    }
}

#[test]
fn a_trust_statement_for_another_account_beside_the_guides_warns() {
    let moto = Moto::start();
    let partner = json!({"Sid": "Partner", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"});
    let (code, document) = trust_check_beside_the_guide(&moto, "openai-ekm", partner);
    assert_eq!(code, Some(0), "a warning is no failure: {document:#}");
    assert_check(
        &document,
        "trust-policy",
        "warn",
        "the role admits more than OpenAI: statement Partner trusts arn:aws:iam::444455556666:root",
    );
    explained_by(&document, "trust-policy", "aws-check-trust-others");
}

#[test]
fn a_key_policy_naming_a_deleted_role_fails_and_wide_grants_warn() {
    let moto = Moto::start();
    let (key, wide_key, role) = runtime().block_on(async {
        let aws = admin(&moto).await;
        let admin_only = json!({"Sid": "KeyAdmins", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:user/admin")}, "Action": "kms:*", "Resource": "*"});
        // The role is granted in the key policy, then deleted and made again under its name.
        let old = aws
            .iam
            .create_role()
            .role_name("openai-ekm")
            .assume_role_policy_document(trust_policy(ORG).to_string())
            .send()
            .await
            .unwrap();
        let old = old.role().unwrap();
        let grant = |principal: &str| {
            json!({"Sid": "OpenAIRole", "Effect": "Allow", "Principal": {"AWS": principal},
                   "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"})
        };
        let policy = json!({"Version": "2012-10-17", "Statement": [admin_only.clone(), grant(old.arn())]});
        let key = aws
            .key(KeySpec::SymmetricDefault, Some(&policy.to_string()))
            .await;
        aws.iam
            .delete_role()
            .role_name("openai-ekm")
            .send()
            .await
            .unwrap();
        // AWS shows a deleted role's principal as its unique id; moto keeps the ARN, so the
        // key policy is written as AWS would show it.
        let shown = aws
            .kms
            .get_key_policy()
            .key_id(&key)
            .policy_name("default")
            .send()
            .await
            .unwrap();
        let mut shown: Value = serde_json::from_str(shown.policy().unwrap()).unwrap();
        if shown["Statement"][1]["Principal"]["AWS"] == old.arn() {
            shown["Statement"][1]["Principal"]["AWS"] = json!(old.role_id());
        }
        assert!(old.role_id().starts_with("AROA"), "{}", old.role_id());
        aws.kms
            .put_key_policy()
            .key_id(&key)
            .policy_name("default")
            .policy(shown.to_string())
            .send()
            .await
            .unwrap();
        let role = aws.role("openai-ekm", &trust_policy(ORG)).await;
        aws.attach("openai-ekm", &iam_policy(&kms_arn(&key).unwrap()))
            .await;
        // Another key lets IAM decide, but also grants anyone and OpenAI's account directly.
        let wide = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"},
            {"Sid": "OpenAIDirect", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::790389265272:root"}, "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"},
        ]});
        let wide_key = aws
            .key(KeySpec::SymmetricDefault, Some(&wide.to_string()))
            .await;
        aws.inline("openai-ekm", &iam_policy(&kms_arn(&wide_key).unwrap()))
            .await;
        (key, wide_key, role)
    });
    let (code, document, _) = check(&moto, &["--kms-arn", &key, "--role-arn", &role]);
    assert_eq!(code, Some(1), "{document:#}");
    assert_check(
        &document,
        "key-policy",
        "fail",
        "statement OpenAIRole (AROA",
    );
    assert_check(
        &document,
        "key-policy",
        "fail",
        "a role made again under the same name is not the old one",
    );
    assert_check(
        &document,
        "key-policy",
        "fail",
        &format!("Name the role again in the key policy (step 4's statement grants {role})"),
    );
    explained_by(&document, "key-policy", "aws-check-key-policy-deleted-role");

    let (code, document, _) = check(&moto, &["--kms-arn", &wide_key, "--role-arn", &role]);
    assert_check(
        &document,
        "key-policy",
        "warn",
        "statement Everyone grants kms:Encrypt or kms:Decrypt to anyone (\"*\")",
    );
    assert_check(
        &document,
        "key-policy",
        "warn",
        "statement OpenAIDirect grants kms:Encrypt or kms:Decrypt to OpenAI's account directly (arn:aws:iam::790389265272:root)",
    );
    explained_by(&document, "key-policy", "aws-check-key-policy-wide");
    assert_eq!(code, Some(0), "warnings only: {document:#}");
}
