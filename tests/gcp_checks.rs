//! `ekm-wizard check gcp` against a local fake of Google's REST hosts: the guide's setup
//! passes, and each way of breaking it is named by the check that fails, with the step to fix.

mod support;

use ekm_wizard::clouds::gcp;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::check_run::{Case, Outcome, run_check};
use support::fake_cloud::{FakeCloud, Reply};

use support::google::*;

fn check_with(fake: &FakeCloud, extra: &[&str], token: Option<&str>) -> Outcome {
    let home = tempfile::tempdir().unwrap();
    let mut set = vec![
        ("EKM_GCP_API_URL", fake.base()),
        ("CLOUDSDK_CONFIG", home.path().display().to_string()),
    ];
    set.extend(token.map(|t| ("EKM_GCP_ACCESS_TOKEN", t.to_string())));
    let unset = ["GOOGLE_APPLICATION_CREDENTIALS", "EKM_GCP_ACCESS_TOKEN"];
    run_check("gcp", &FLAGS, extra, &set, &unset)
}

fn check(fake: &FakeCloud) -> Outcome {
    check_with(fake, &[], Some(TOKEN))
}

#[test]
fn the_guides_setup_passes_every_check() {
    let fake = good_google();
    let outcome = check(&fake);
    assert_eq!(
        outcome.code,
        Some(0),
        "{:#}\n{}",
        outcome.report,
        outcome.stderr
    );
    let ids: Vec<&str> = outcome.report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "identity",
            "pool",
            "provider",
            "kms-enabled",
            "key",
            "grant",
            "round-trip",
            "rotation"
        ]
    );
    for id in ids {
        assert_eq!(outcome.status(id), "pass", "{id}: {}", outcome.detail(id));
    }
    assert!(outcome.detail("identity").contains("EKM_GCP_ACCESS_TOKEN"));
    assert!(outcome.detail("identity").contains("pool-project"));
    assert!(outcome.detail("rotation").contains("90 days"));
    assert!(outcome.detail("kms-enabled").contains("pool's project"));
    // The admin's token went to Google, and only there.
    let seen = fake.seen();
    assert!(
        seen.iter()
            .all(|s| s.authorization == format!("Bearer {TOKEN}"))
    );
    assert_eq!(fake.count("POST", &format!("{KEY}:decrypt")), 1);
}

#[test]
fn the_text_report_names_the_step_to_fix() {
    let fake = good_google();
    fake.on(
        "GET",
        POOL,
        Reply::ok(json!({"name": "pool", "state": "DELETED"})),
    );
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["check", "gcp"])
        .args(FLAGS)
        .env("EKM_GCP_API_URL", fake.base())
        .env("EKM_GCP_ACCESS_TOKEN", TOKEN)
        .env("HOME", home.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("✗ Workload identity pool (step 1): pool `openai-ekm` was deleted"),
        "{text}"
    );
    assert!(
        text.contains("- OIDC provider (step 1): needs the pool"),
        "{text}"
    );
    assert!(
        text.contains("fix the failed checks at the step shown"),
        "{text}"
    );
}

fn provider_with(pointer: &str, value: Value) -> Value {
    let mut provider = good_provider();
    *provider.pointer_mut(pointer).unwrap() = value;
    provider
}

#[test]
fn each_broken_step_is_named_by_its_check() {
    let cases = [
        Case {
            name: "unknown project number",
            breaks: |f| {
                f.remove(
                    "GET",
                    "/cloudresourcemanager.googleapis.com/v3/projects/123456789012",
                )
            },
            check: "identity",
            status: "fail",
            step: "federated-identity",
            words: "no project has the number 123456789012",
        },
        Case {
            name: "pool missing",
            breaks: |f| f.remove("GET", POOL),
            check: "pool",
            status: "fail",
            step: "federated-identity",
            words: "was not found",
        },
        Case {
            name: "pool disabled",
            breaks: |f| {
                f.on(
                    "GET",
                    POOL,
                    Reply::ok(json!({"state": "ACTIVE", "disabled": true})),
                )
            },
            check: "pool",
            status: "fail",
            step: "federated-identity",
            words: "is disabled",
        },
        Case {
            name: "wrong issuer",
            breaks: |f| {
                f.on(
                    "GET",
                    &provider_path(),
                    Reply::ok(provider_with(
                        "/oidc/issuerUri",
                        json!("https://sts.windows.net/x/"),
                    )),
                )
            },
            check: "provider",
            status: "fail",
            step: "federated-identity",
            words: "it must be https://accounts.google.com",
        },
        Case {
            name: "audience not allowed",
            breaks: |f| {
                f.on(
                    "GET",
                    &provider_path(),
                    Reply::ok(provider_with(
                        "/oidc/allowedAudiences",
                        json!(["org-other"]),
                    )),
                )
            },
            check: "provider",
            status: "fail",
            step: "federated-identity",
            words: "`org-abc123` must be one of them",
        },
        Case {
            name: "wrong mapping",
            breaks: |f| {
                f.on(
                    "GET",
                    &provider_path(),
                    Reply::ok(provider_with(
                        "/attributeMapping/google.subject",
                        json!("assertion.email"),
                    )),
                )
            },
            check: "provider",
            status: "fail",
            step: "federated-identity",
            words: "must be `assertion.sub`",
        },
        Case {
            name: "condition refuses OpenAI",
            breaks: |f| {
                f.on(
                    "GET",
                    &provider_path(),
                    Reply::ok(provider_with(
                        "/attributeCondition",
                        json!("assertion.sub == '105900137572174660366'"),
                    )),
                )
            },
            check: "provider",
            status: "fail",
            step: "federated-identity",
            words: "refuses OpenAI's subject",
        },
        Case {
            name: "condition admits everyone",
            breaks: |f| {
                f.on(
                    "GET",
                    &provider_path(),
                    Reply::ok(provider_with("/attributeCondition", json!("true"))),
                )
            },
            check: "provider",
            status: "warn",
            step: "federated-identity",
            words: "admits more than OpenAI",
        },
        Case {
            name: "provider deleted",
            breaks: |f| {
                f.on(
                    "GET",
                    &provider_path(),
                    Reply::ok(provider_with("/state", json!("DELETED"))),
                )
            },
            check: "provider",
            status: "fail",
            step: "federated-identity",
            words: "deleted",
        },
        Case {
            name: "Cloud KMS off in the key's project",
            breaks: |f| {
                f.on(
                "GET",
                "/serviceusage.googleapis.com/v1/projects/adjective-noun-12345/services/cloudkms.googleapis.com",
                Reply::ok(json!({"state": "DISABLED"})),
            )
            },
            check: "kms-enabled",
            status: "fail",
            step: "enable-kms",
            words: "gcloud services enable cloudkms.googleapis.com --project adjective-noun-12345",
        },
        Case {
            name: "key missing",
            breaks: |f| f.remove("GET", KEY),
            check: "key",
            status: "fail",
            step: "create-key",
            words: "no key projects/adjective-noun-12345/locations/us-east1",
        },
        Case {
            name: "asymmetric key",
            breaks: |f| {
                let mut key = good_key();
                key["purpose"] = json!("ASYMMETRIC_DECRYPT");
                f.on("GET", KEY, Reply::ok(key));
            },
            check: "key",
            status: "fail",
            step: "create-key",
            words: "ENCRYPT_DECRYPT",
        },
        Case {
            name: "primary version disabled",
            breaks: |f| {
                let mut key = good_key();
                key["primary"]["state"] = json!("DISABLED");
                f.on("GET", KEY, Reply::ok(key));
            },
            check: "key",
            status: "fail",
            step: "create-key",
            words: "primary version is DISABLED",
        },
        Case {
            name: "Cloud KMS API off answers SERVICE_DISABLED",
            breaks: |f| {
                f.on(
                "GET",
                KEY,
                Reply::with(403, json!({"error": {"code": 403, "status": "PERMISSION_DENIED",
                    "message": "Cloud Key Management Service (KMS) API has not been used in project 1 before or it is disabled.",
                    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}]}})),
            )
            },
            check: "key",
            status: "fail",
            step: "enable-kms",
            words: "not enabled",
        },
        Case {
            name: "no grant to OpenAI",
            breaks: |f| {
                f.on(
                "GET",
                &format!("{KEY}:getIamPolicy"),
                Reply::ok(json!({"bindings": [{"role": ROLE, "members": ["user:admin@example.com"]}]})),
            )
            },
            check: "grant",
            status: "fail",
            step: "grant",
            words: "no role on the key is granted to OpenAI's principal",
        },
        Case {
            name: "custom role lacks decrypt",
            breaks: |f| {
                f.on(
                    "GET",
                    &format!("/iam.googleapis.com/v1/{ROLE}"),
                    Reply::ok(
                        json!({"includedPermissions": ["cloudkms.cryptoKeyVersions.useToEncrypt"]}),
                    ),
                )
            },
            check: "grant",
            status: "fail",
            step: "custom-role",
            words: "which lacks cloudkms.cryptoKeyVersions.useToDecrypt",
        },
        Case {
            name: "custom role deleted",
            breaks: |f| {
                f.on(
                "GET",
                &format!("/iam.googleapis.com/v1/{ROLE}"),
                Reply::ok(json!({"deleted": true, "includedPermissions": [
                    "cloudkms.cryptoKeyVersions.useToEncrypt", "cloudkms.cryptoKeyVersions.useToDecrypt"]})),
            )
            },
            check: "grant",
            status: "fail",
            step: "custom-role",
            words: "was deleted",
        },
        Case {
            name: "the whole pool holds the predefined role",
            breaks: |f| {
                f.on(
                "GET",
                &format!("{KEY}:getIamPolicy"),
                Reply::ok(json!({"bindings": [{"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": [
                    format!("principalSet://iam.googleapis.com/projects/{NUMBER}/locations/global/workloadIdentityPools/openai-ekm/*")]}]})),
            )
            },
            check: "grant",
            status: "pass",
            step: "grant",
            words: "encrypt and decrypt are granted",
        },
        Case {
            name: "no rotation",
            breaks: |f| {
                let mut key = good_key();
                key.as_object_mut().unwrap().remove("rotationPeriod");
                f.on("GET", KEY, Reply::ok(key));
            },
            check: "rotation",
            status: "warn",
            step: "restrictions",
            words: "90 days",
        },
        Case {
            name: "the admin may not read the key's policy",
            breaks: |f| {
                f.on(
                "GET",
                &format!("{KEY}:getIamPolicy"),
                Reply::google(403, "PERMISSION_DENIED", "Permission 'cloudkms.cryptoKeys.getIamPolicy' denied on resource (or it may not exist)."),
            )
            },
            check: "grant",
            status: "unverified",
            step: "grant",
            words: "your credentials lack cloudkms.cryptoKeys.getIamPolicy",
        },
    ];
    for case in cases {
        let fake = good_google();
        (case.breaks)(&fake);
        let outcome = check(&fake);
        case.judge(&outcome, gcp::cloud());
    }
}

#[test]
fn a_missing_key_skips_the_round_trip_and_rotation() {
    let fake = good_google();
    fake.remove("GET", KEY);
    let outcome = check(&fake);
    assert_eq!(outcome.status("round-trip"), "skip");
    assert!(outcome.detail("round-trip").contains("needs the key"));
    assert_eq!(outcome.status("rotation"), "skip");
}

#[test]
fn throttling_is_retried_then_passes() {
    let fake = good_google();
    fake.queue(
        "GET",
        KEY,
        vec![
            Reply::google(429, "RESOURCE_EXHAUSTED", "Quota exceeded"),
            Reply::google(503, "UNAVAILABLE", "try again"),
        ],
    );
    let outcome = check(&fake);
    assert_eq!(outcome.code, Some(0), "{:#}", outcome.report);
    assert_eq!(outcome.status("key"), "pass");
    assert_eq!(fake.count("GET", KEY), 3);
}

#[test]
fn throttling_that_never_ends_fails_after_three_tries() {
    let fake = good_google();
    fake.queue(
        "GET",
        POOL,
        (0..5)
            .map(|_| Reply::google(429, "RESOURCE_EXHAUSTED", "Quota exceeded"))
            .collect(),
    );
    let outcome = check(&fake);
    assert_eq!(outcome.code, Some(3), "{:#}", outcome.report);
    assert_eq!(outcome.status("pool"), "unverified");
    assert!(
        outcome.detail("pool").contains("throttling"),
        "{}",
        outcome.detail("pool")
    );
    assert_eq!(fake.count("GET", POOL), 3);
}

#[test]
fn a_slow_answer_times_out_with_the_check_named() {
    let fake = good_google();
    fake.on(
        "GET",
        KEY,
        Reply::ok(good_key()).after(Duration::from_secs(4)),
    );
    let started = Instant::now();
    let outcome = check_with(&fake, &["--timeout", "1"], Some(TOKEN));
    assert_eq!(outcome.code, Some(3), "{:#}", outcome.report);
    assert_eq!(outcome.report["verdict"], "not-verified");
    assert_eq!(outcome.status("key"), "unverified");
    assert!(
        outcome
            .detail("key")
            .contains("could not reach cloudkms.googleapis.com")
            && outcome.detail("key").contains("timed out"),
        "{}",
        outcome.detail("key")
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn without_credentials_it_says_so_at_once() {
    let fake = good_google();
    let started = Instant::now();
    let outcome = check_with(&fake, &[], None);
    assert_eq!(outcome.code, Some(3), "{}", outcome.stdout);
    assert!(
        outcome
            .stderr
            .contains("Could not check: no Google Cloud credentials were found"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("gcloud auth application-default login")
    );
    assert_eq!(outcome.report["ok"], false);
    assert!(
        fake.seen().is_empty(),
        "nothing is sent without credentials"
    );
    // No metadata server is waited on off Google's machines (generous bound for a busy host).
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_override_over_plain_http_elsewhere_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["check", "gcp"])
        .args(FLAGS)
        .env("EKM_GCP_API_URL", "http://example.com")
        .env("EKM_GCP_ACCESS_TOKEN", TOKEN)
        .env("HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("EKM_GCP_API_URL"), "{stderr}");
}

#[test]
fn creating_a_service_principal_is_refused_outside_azure() {
    let fake = good_google();
    let outcome = check_with(&fake, &["--create-service-principal"], Some(TOKEN));
    assert_eq!(outcome.code, Some(2), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("--create-service-principal"),
        "{}",
        outcome.stderr
    );
    assert!(fake.seen().is_empty(), "nothing is sent for bad input");
    // Each cloud's help lists only what checking that cloud takes.
    let help = |cloud: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
            .args(["check", cloud, "--help"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let (gcp, azure, aws) = (help("gcp"), help("azure"), help("aws"));
    assert!(
        !gcp.contains("--create-service-principal") && !gcp.contains("--profile"),
        "{gcp}"
    );
    assert!(
        azure.contains("--create-service-principal") && !azure.contains("--profile"),
        "{azure}"
    );
    assert!(
        aws.contains("--profile") && !aws.contains("--create-service-principal"),
        "{aws}"
    );
    assert!(
        !aws.contains("--name"),
        "checking does not use the key's name: {aws}"
    );
    assert!(
        !gcp.contains("--kms-arn") && gcp.contains("--kms-key-name"),
        "{gcp}"
    );
}

#[test]
fn a_run_where_every_read_is_refused_is_not_verified() {
    let fake = FakeCloud::start();
    for method in ["GET", "POST"] {
        fake.on_prefix(method, "/", |_| {
            Reply::google(
                403,
                "PERMISSION_DENIED",
                "The caller does not have permission (or it may not exist).",
            )
        });
    }
    let outcome = check(&fake);
    assert_eq!(outcome.code, Some(3), "{:#}", outcome.report);
    assert_eq!(outcome.report["verdict"], "not-verified");
    for check in outcome.report["checks"].as_array().unwrap() {
        assert!(
            check["status"] == "unverified" || check["status"] == "skip",
            "nothing passes or fails on a refusal: {check:#}"
        );
    }
}

#[test]
fn a_condition_that_admits_another_subject_too_is_a_warning_not_a_pass() {
    let fake = good_google();
    fake.on(
        "GET",
        &provider_path(),
        Reply::ok(provider_with(
            "/attributeCondition",
            json!(format!(
                "assertion.sub == '{SUBJECT}' || assertion.sub == '100000000000000000001'"
            )),
        )),
    );
    let outcome = check(&fake);
    assert_eq!(outcome.status("provider"), "warn");
    assert!(
        outcome
            .detail("provider")
            .contains("admits more than OpenAI")
    );
}

/// A hostile or broken server: terminal escapes in its messages, a redirect elsewhere, and a
/// body far larger than any answer. Nothing of it reaches the terminal raw, and nothing is
/// followed or read whole.
#[test]
fn a_hostile_server_cannot_write_to_the_terminal_redirect_or_flood() {
    let fake = good_google();
    fake.on(
        "GET",
        POOL,
        Reply::google(
            400,
            "FAILED_PRECONDITION",
            &format!(
                "bad \u{1b}]52;c;ZXZpbCBjbGlwYm9hcmQ=\u{7} pool \u{1b}[2J\u{202e} (you sent Bearer {TOKEN})"
            ),
        ),
    );
    fake.on(
        "GET",
        &format!("{KEY}:getIamPolicy"),
        Reply::with(302, Value::Null).header("Location", "http://example.com/steal"),
    );
    fake.on(
        "GET",
        KEY,
        Reply::ok(json!({"padding": "x".repeat(6 * 1024 * 1024)})),
    );
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["check", "gcp"])
        .args(FLAGS)
        .args(["--timeout", "20"])
        .env("EKM_GCP_API_URL", fake.base())
        .env("EKM_GCP_ACCESS_TOKEN", TOKEN)
        .env("CLOUDSDK_CONFIG", home.path())
        .env("HOME", home.path())
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("HTTPS_PROXY", "http://127.0.0.1:9")
        .env("ALL_PROXY", "http://127.0.0.1:9")
        .env_remove("NO_PROXY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for text in [&stdout, &stderr] {
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "raw control characters reached the terminal:\n{text:?}"
        );
    }
    assert!(
        stdout.contains("\\x1b]52"),
        "the escape is shown, made visible: {stdout}"
    );
    assert!(stdout.contains("not followed"), "{stdout}");
    assert!(stdout.contains("larger than 4 MiB"), "{stdout}");
    assert!(
        stdout.len() < 20_000,
        "no body is dumped: {} bytes",
        stdout.len()
    );
    assert!(
        !fake.seen().iter().any(|s| s.path.contains("steal")),
        "the redirect was not followed"
    );
    assert!(!stdout.contains("CANARY") && !stderr.contains("CANARY"));
}

#[test]
fn an_override_that_is_not_utf8_is_bad_input_naming_the_variable() {
    use std::os::unix::ffi::OsStrExt;
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["check", "gcp"])
        .args(FLAGS)
        .env(
            "EKM_GCP_API_URL",
            std::ffi::OsStr::from_bytes(b"http://127.0.0.1:1/\xff"),
        )
        .env("EKM_GCP_ACCESS_TOKEN", TOKEN)
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("EKM_GCP_API_URL is not valid UTF-8"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
}

#[test]
fn export_after_a_headless_check_carries_its_results() {
    let fake = good_google();
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().display().to_string();
    let mut set = vec![
        ("EKM_GCP_API_URL", fake.base()),
        ("EKM_GCP_ACCESS_TOKEN", TOKEN.to_string()),
        ("EKM_WIZARD_STATE_DIR", state_dir.clone()),
    ];
    set.push(("CLOUDSDK_CONFIG", state_dir.clone()));
    let outcome = run_check(
        "gcp",
        &FLAGS,
        &[],
        &set,
        &["GOOGLE_APPLICATION_CREDENTIALS"],
    );
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let kept = std::fs::read_to_string(state.path().join("last-run.json")).unwrap();
    assert!(!kept.contains(TOKEN), "the token is never kept");
    // No saved progress: the headless run is enough to export.
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["export", "--output", "-"])
        .env("EKM_WIZARD_STATE_DIR", state.path())
        .output()
        .unwrap();
    let bundle = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(bundle.contains("cloud: Google Cloud KMS"), "{bundle}");
    assert!(
        bundle.contains("**Workload identity pool** (passed; step "),
        "the check results are in it:\n{bundle}"
    );
    assert!(!bundle.contains("No live check was run"), "{bundle}");
    assert!(!bundle.contains(TOKEN));
}
