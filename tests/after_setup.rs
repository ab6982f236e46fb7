//! Life after setup, through the real binary: `doctor` and `watch` against moto with an
//! OpenAI stand-in whose validate looks at the key's real state in moto.

mod support;

use std::process::{Command, Output};
use std::sync::Arc;

use serde_json::{Value, json};
use support::aws_world::{ORG, admin, key_enabled, openai_for};
use support::fake_cloud::{FakeCloud, Reply};
use support::fake_openai::FakeOpenAi;
use support::moto::Moto;

const ADMIN_KEY: &str = "sk-admin-CANARY0after0setup0never0shown";

/// The key id at the end of an ARN (moto switches keys by id only; AWS takes either).
fn key_id(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn ekm(state: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"));
    command
        .env("EKM_WIZARD_STATE_DIR", state)
        .env_remove("OPENAI_ADMIN_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env_remove("AWS_PROFILE");
    command
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

fn doctor(state: &std::path::Path, env: &[(&str, String)], flags: &[&str]) -> Output {
    ekm(state)
        .args(["doctor", "aws", "--org-id", ORG, "--timeout", "20"])
        .args(flags)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap()
}

#[test]
fn doctor_is_healthy_then_unhealthy_at_the_right_step_then_not_verified_on_a_403() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async { admin(&moto).await.good_setup().await });
    let openai = openai_for(&moto, &key, &role, ADMIN_KEY);
    let state = tempfile::tempdir().unwrap();
    let mut env = moto.env();
    env.push(("OPENAI_ADMIN_KEY", ADMIN_KEY.to_string()));
    let values = ["--kms-arn", key.as_str(), "--role-arn", role.as_str()];
    let base = openai.base();
    let api = ["--api-base", base.as_str()];
    let flags: Vec<&str> = values.iter().chain(&api).copied().collect();

    // Healthy: every check passed, the key found by its values and validated.
    let mut with_json = flags.clone();
    with_json.push("--json");
    let output = doctor(state.path(), &env, &with_json);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["verdict"], "healthy");
    assert_eq!(report["cloud_verdict"], "verified");
    assert_eq!(report["openai"]["status"], "answered");
    assert_eq!(report["openai"]["key_id"], "extkey_aws1");
    assert_eq!(report["openai"]["found_by"], "matching-values");
    assert_eq!(report["openai"]["valid"], true);
    assert_eq!(report["openai"]["projects"][0]["id"], "proj_ekm");
    assert!(report["started_at"].as_str().unwrap().ends_with('Z'));
    let kept = std::fs::read_to_string(state.path().join("last-doctor.json")).unwrap();
    assert!(kept.contains("\"healthy\""));

    // Someone disables the key behind the wizard's back: unhealthy, the key's step named.
    runtime().block_on(async {
        admin(&moto)
            .await
            .kms
            .disable_key()
            .key_id(key_id(&key))
            .send()
            .await
            .unwrap();
    });
    let output = doctor(state.path(), &env, &with_json);
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["verdict"], "unhealthy");
    assert_eq!(report["openai"]["valid"], false);
    let failed: Vec<&Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .collect();
    assert!(
        failed.iter().any(
            |c| c["step"] == "create-key" && c["detail"].as_str().unwrap().contains("Disabled")
        ),
        "{report:#}"
    );
    // The summary for people: five lines, the fix step, OpenAI's refusal.
    let text = doctor(state.path(), &env, &flags);
    let said = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.status.code(), Some(1));
    assert!(said.starts_with("AWS KMS: unhealthy"), "{said}");
    assert!(said.contains("(fix: step 1)"), "{said}");
    assert!(said.contains("extkey_aws1 failed validation"), "{said}");
    assert!(said.lines().count() <= 8, "{said}");

    // The cloud refuses every read (403): nothing proved wrong, nothing proved right.
    let refusing = FakeCloud::start();
    refusing.on_prefix("POST", "/", |_| {
        Reply::with(
            403,
            json!({"__type": "AccessDeniedException", "message": "User: arn:aws:iam::123456789012:user/cron is not authorized to perform: kms:DescribeKey"}),
        )
    });
    let mut refused_env: Vec<(&str, String)> = moto
        .env()
        .into_iter()
        .filter(|(k, _)| *k != "AWS_ENDPOINT_URL")
        .collect();
    refused_env.push(("AWS_ENDPOINT_URL", refusing.base()));
    let output = ekm(state.path())
        .args(["doctor", "aws", "--org-id", ORG, "--timeout", "5", "--json"])
        .args(values)
        .envs(refused_env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(3), "{report:#}");
    assert_eq!(report["verdict"], "not-verified");
    assert_eq!(report["openai"]["status"], "not-asked");

    // Nothing the doctor wrote holds the admin key.
    for entry in std::fs::read_dir(state.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(ADMIN_KEY));
    }
}

#[test]
fn watch_until_healthy_ends_when_a_fix_lands_after_a_delay() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async {
        let aws = admin(&moto).await;
        let made = aws.good_setup().await;
        aws.kms
            .disable_key()
            .key_id(key_id(&made.0))
            .send()
            .await
            .unwrap();
        made
    });
    let state = tempfile::tempdir().unwrap();
    let child = ekm(state.path())
        .args([
            "watch",
            "aws",
            "--org-id",
            ORG,
            "--kms-arn",
            &key,
            "--role-arn",
            &role,
        ])
        .args(["--every", "1s", "--until-healthy", "--timeout", "60s"])
        .envs(moto.env())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The fix lands a few seconds later, as an IAM change reaches everyone.
    std::thread::sleep(std::time::Duration::from_secs(3));
    runtime().block_on(async {
        admin(&moto)
            .await
            .kms
            .enable_key()
            .key_id(key_id(&key))
            .send()
            .await
            .unwrap();
    });
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{said}");
    let lines: Vec<&str> = said.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "one line on start, one on the change: {said}"
    );
    assert!(lines[0].contains(" unhealthy: ✗ "), "{said}");
    assert!(lines[1].ends_with(" healthy"), "{said}");
}

#[test]
fn watch_gives_up_at_its_timeout_with_the_last_health() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async {
        let aws = admin(&moto).await;
        let made = aws.good_setup().await;
        aws.kms
            .disable_key()
            .key_id(key_id(&made.0))
            .send()
            .await
            .unwrap();
        made
    });
    let state = tempfile::tempdir().unwrap();
    let output = ekm(state.path())
        .args([
            "watch",
            "aws",
            "--org-id",
            ORG,
            "--kms-arn",
            &key,
            "--role-arn",
            &role,
        ])
        .args(["--every", "1s", "--until-healthy", "--timeout", "3s"])
        .envs(moto.env())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let said = String::from_utf8_lossy(&output.stdout);
    assert_eq!(said.lines().count(), 1, "no line without a change: {said}");
    let bad = ekm(state.path())
        .args(["watch", "aws", "--org-id", ORG, "--every", "soon"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--every"));
}

/// The drill's flags for the AWS setup in moto.
fn drill_command(
    state: &std::path::Path,
    moto: &Moto,
    openai: &FakeOpenAi,
    key: &str,
    role: &str,
    wait: &str,
) -> Command {
    let mut command = ekm(state);
    command
        .args([
            "drill",
            "aws",
            "--org-id",
            ORG,
            "--kms-arn",
            key,
            "--role-arn",
            role,
        ])
        .args([
            "--key-id",
            "extkey_aws1",
            "--api-base",
            &openai.base(),
            "--wait",
            wait,
        ])
        .envs(moto.env())
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY);
    command
}

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {}\n{text}", path.display()))
}

#[test]
fn a_dry_run_changes_nothing_and_a_drill_proves_the_cut_off_and_leaves_the_key_on() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async { admin(&moto).await.good_setup().await });
    let openai = openai_for(&moto, &key, &role, ADMIN_KEY);
    let state = tempfile::tempdir().unwrap();

    let dry = drill_command(state.path(), &moto, &openai, &key, &role, "30s")
        .arg("--dry-run")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&dry.stdout);
    assert_eq!(
        dry.status.code(),
        Some(0),
        "{said}{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(said.contains("plan: switch off the KMS key"), "{said}");
    assert!(said.contains("aws kms enable-key --key-id"), "{said}");
    assert!(key_enabled(moto.port, &key));
    assert!(!state.path().join("drill-in-progress.json").exists());
    assert!(!state.path().join("last-drill.json").exists());

    // Without a terminal and without --yes, nothing starts.
    let unasked = drill_command(state.path(), &moto, &openai, &key, &role, "30s")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(unasked.status.code(), Some(2));

    let full = drill_command(state.path(), &moto, &openai, &key, &role, "30s")
        .args(["--yes", "--json"])
        .output()
        .unwrap();
    let record = json_of(&full);
    assert_eq!(full.status.code(), Some(0), "{record:#}");
    assert_eq!(record["end"], "proved", "{record:#}");
    assert_eq!(record["state"], "on");
    assert!(record["revoked_after_seconds"].as_f64().is_some());
    assert!(record["restored_after_seconds"].as_f64().is_some());
    let steps: Vec<&str> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "read the key",
            "validate before",
            "switch off",
            "validate after switching off",
            "switch on",
            "validate after switching on"
        ]
    );
    assert!(key_enabled(moto.port, &key));
    assert!(!state.path().join("drill-in-progress.json").exists());
    assert_eq!(
        read_json(&state.path().join("last-drill.json"))["end"],
        "proved"
    );
    for entry in std::fs::read_dir(state.path()).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(ADMIN_KEY));
    }
}

/// Starts a drill whose OpenAI never sees the cut-off (so it waits with the key off), and
/// returns once the record says the key is off.
fn drill_waiting_with_the_key_off(
    state: &std::path::Path,
    moto: &Moto,
    openai: &FakeOpenAi,
    key: &str,
    role: &str,
) -> std::process::Child {
    openai.state.lock().unwrap().validate_by =
        Some(Arc::new(|_: &Value| (200, json!({"status": "success"}))));
    let child = drill_command(state, moto, openai, key, role, "120s")
        .arg("--yes")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let record = state.join("drill-in-progress.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if record.exists() && read_json(&record)["state"] == "off" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the drill never switched the key off"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        !key_enabled(moto.port, key),
        "the key is off while the drill waits"
    );
    child
}

#[test]
fn ctrl_c_while_the_key_is_off_switches_it_on_and_a_killed_drill_is_finished_by_the_next_start() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async { admin(&moto).await.good_setup().await });
    let openai = openai_for(&moto, &key, &role, ADMIN_KEY);
    let state = tempfile::tempdir().unwrap();

    let child = drill_waiting_with_the_key_off(state.path(), &moto, &openai, &key, &role);
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let status = child.wait_with_output().unwrap().status;
    assert_eq!(
        status.code(),
        Some(1),
        "an interrupted drill proved nothing"
    );
    assert!(
        key_enabled(moto.port, &key),
        "Ctrl-C switched the key on again"
    );
    assert_eq!(
        read_json(&state.path().join("last-drill.json"))["end"],
        "interrupted"
    );
    assert!(!state.path().join("drill-in-progress.json").exists());

    let mut child = drill_waiting_with_the_key_off(state.path(), &moto, &openai, &key, &role);
    child.kill().unwrap(); // SIGKILL: nothing runs after it
    child.wait().unwrap();
    assert!(!key_enabled(moto.port, &key), "killed with the key off");
    assert!(state.path().join("drill-in-progress.json").exists());
    // The next start (here a doctor run) finds the record and switches the key on first.
    let output = doctor(
        state.path(),
        &moto.env(),
        &["--kms-arn", &key, "--role-arn", &role],
    );
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("is on again"), "{said}");
    assert!(key_enabled(moto.port, &key));
    assert!(!state.path().join("drill-in-progress.json").exists());
    assert_eq!(output.status.code(), Some(0), "healthy again: {said}");
}

/// A drill through a cloud stand-in: `fake` holds the key, `on` its state as the stand-in
/// keeps it; OpenAI validates by looking at `on`.
fn drill_through(
    cloud: &str,
    flags: &[&str],
    env: &[(&str, String)],
    on: &Arc<std::sync::Mutex<bool>>,
) -> (Option<i32>, Value) {
    let openai = FakeOpenAi::start(ADMIN_KEY);
    {
        let mut state = openai.state.lock().unwrap();
        state.keys.push(json!({
            "id": "extkey_drill1", "object": "organization.external_key",
            "created_at": 1_760_000_000, "api_project_ids": [], "type": cloud, "name": "ekm",
        }));
        let on = Arc::clone(on);
        state.validate_by = Some(Arc::new(move |_: &Value| {
            if *on.lock().unwrap() {
                (200, json!({"status": "success"}))
            } else {
                (
                    400,
                    json!({"error": {"message": "The key is disabled.", "type": "invalid_request_error", "param": null, "code": null}}),
                )
            }
        }));
    }
    let state = tempfile::tempdir().unwrap();
    let output = ekm(state.path())
        .args(["drill", cloud])
        .args(flags)
        .args(["--key-id", "extkey_drill1", "--api-base", &openai.base()])
        .args(["--yes", "--json", "--wait", "30s"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
        .output()
        .unwrap();
    (output.status.code(), json_of(&output))
}

#[test]
fn a_drill_on_google_disables_and_enables_the_primary_version() {
    use support::google;
    let fake = google::good_google();
    let on = Arc::new(std::sync::Mutex::new(true));
    let version = format!("{}/cryptoKeyVersions/1", google::KEY);
    // Cloud KMS: the key shows its primary version's state; PATCH with updateMask=state sets
    // it and answers with the CryptoKeyVersion.
    let state = Arc::clone(&on);
    fake.on_fn("GET", google::KEY, move |_| {
        let mut key = google::good_key();
        key["primary"]["state"] = json!(if *state.lock().unwrap() {
            "ENABLED"
        } else {
            "DISABLED"
        });
        Reply::ok(key)
    });
    let state = Arc::clone(&on);
    let name = version
        .trim_start_matches("/cloudkms.googleapis.com/v1/")
        .to_string();
    fake.on_fn("PATCH", &version, move |seen| {
        if seen.query != "updateMask=state" {
            return Reply::google(400, "INVALID_ARGUMENT", "updateMask must name state");
        }
        let wanted = seen.json()["state"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match wanted.as_str() {
            "ENABLED" | "DISABLED" => {
                *state.lock().unwrap() = wanted == "ENABLED";
                Reply::ok(json!({"name": name, "state": wanted}))
            }
            _ => Reply::google(400, "INVALID_ARGUMENT", "bad state"),
        }
    });
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("EKM_GCP_API_URL", fake.base()),
        ("EKM_GCP_ACCESS_TOKEN", google::TOKEN.to_string()),
        ("CLOUDSDK_CONFIG", home.path().display().to_string()),
    ];
    let (code, record) = drill_through("gcp", &google::FLAGS, &env, &on);
    assert_eq!(code, Some(0), "{record:#}");
    assert_eq!(record["end"], "proved");
    assert!(
        record["key"]["described"]
            .as_str()
            .unwrap()
            .starts_with("version 1 (the primary) of projects/adjective-noun-12345")
    );
    assert!(
        record["key"]["switch_on_command"]
            .as_str()
            .unwrap()
            .starts_with("gcloud kms keys versions enable 1 --key=openai-kms-key")
    );
    assert!(
        *on.lock().unwrap(),
        "the version is enabled after the drill"
    );
    let patches: Vec<Value> = fake
        .seen()
        .iter()
        .filter(|s| s.method == "PATCH")
        .map(|s| s.json()["state"].clone())
        .collect();
    assert_eq!(patches, [json!("DISABLED"), json!("ENABLED")]);
    assert!(!record.to_string().contains(google::TOKEN));
}

#[test]
fn a_drill_on_azure_sets_the_current_versions_enabled_attribute() {
    use support::azure;
    let fake = azure::good_azure();
    let on = Arc::new(std::sync::Mutex::new(true));
    let state = Arc::clone(&on);
    let current = move || {
        let mut key = azure::good_key();
        key["attributes"]["enabled"] = json!(*state.lock().unwrap());
        key
    };
    for path in [
        format!("{}/keys/{}", azure::VAULT_HOST, azure::KEY_NAME),
        format!("{}/keys/{}/", azure::VAULT_HOST, azure::KEY_NAME),
    ] {
        let current = current.clone();
        azure::vault_route(&fake, "GET", &path, move |_| Reply::ok(current()));
    }
    // Update Key: PATCH /keys/{name}/{version} with {"attributes": {"enabled": …}} answers
    // with the key bundle.
    let state = Arc::clone(&on);
    let current_after = current.clone();
    azure::vault_route(
        &fake,
        "PATCH",
        &format!(
            "{}/keys/{}/0123456789abcdef",
            azure::VAULT_HOST,
            azure::KEY_NAME
        ),
        move |seen| match seen.json()["attributes"]["enabled"].as_bool() {
            Some(enabled) => {
                *state.lock().unwrap() = enabled;
                Reply::ok(current_after())
            }
            None => Reply::azure(400, "BadParameter", "attributes.enabled is required", None),
        },
    );
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("EKM_AZURE_API_URL", fake.base()),
        ("EKM_AZURE_ACCESS_TOKEN", azure::token_for(azure::TENANT)),
        ("AZURE_CONFIG_DIR", home.path().display().to_string()),
    ];
    let (code, record) = drill_through("azure", &azure::FLAGS, &env, &on);
    assert_eq!(code, Some(0), "{record:#}");
    assert_eq!(record["end"], "proved");
    assert_eq!(
        record["key"]["switch_on_command"],
        format!(
            "az keyvault key set-attributes --vault-name contoso-ekm --name {} --version 0123456789abcdef --enabled true",
            azure::KEY_NAME
        )
    );
    assert!(*on.lock().unwrap(), "the key is enabled after the drill");
    let patches = fake.seen().iter().filter(|s| s.method == "PATCH").count();
    assert_eq!(patches, 2);
}

#[test]
fn the_evidence_folder_verifies_holds_the_records_and_no_secret() {
    let moto = Moto::start();
    let (key, role) = runtime().block_on(async { admin(&moto).await.good_setup().await });
    let openai = openai_for(&moto, &key, &role, ADMIN_KEY);
    openai.state.lock().unwrap().audit_logs = vec![
        json!({"id": "audit_log-1", "type": "external_key.registered", "effective_at": 1_760_000_000,
               "actor": {"type": "api_key", "api_key": {"id": "key_abc"}},
               "external_key.registered": {"id": "extkey_aws1"}}),
        json!({"id": "audit_log-2", "type": "project.created", "effective_at": 1_760_000_050}),
        json!({"id": "audit_log-3", "type": "external_key.removed", "effective_at": 1_760_000_100,
               "external_key.removed": {"id": "extkey_old"}}),
    ];
    let state = tempfile::tempdir().unwrap();
    let mut env = moto.env();
    env.push(("OPENAI_ADMIN_KEY", ADMIN_KEY.to_string()));
    let base = openai.base();
    let healthy = doctor(
        state.path(),
        &env,
        &["--kms-arn", &key, "--role-arn", &role, "--api-base", &base],
    );
    assert_eq!(healthy.status.code(), Some(0));
    let drilled = drill_command(state.path(), &moto, &openai, &key, &role, "30s")
        .arg("--yes")
        .output()
        .unwrap();
    assert_eq!(drilled.status.code(), Some(0));

    let folder = state.path().join("evidence");
    let output = ekm(state.path())
        .args(["export", "--evidence"])
        .arg(&folder)
        .args(["--api-base", &base])
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The manifest verifies with the standard tool, and covers every file.
    let verified = Command::new("sha256sum")
        .args(["-c", "MANIFEST.sha256"])
        .current_dir(&folder)
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    let manifest = std::fs::read_to_string(folder.join("MANIFEST.sha256")).unwrap();
    for name in [
        "README.md",
        "results/last-check.json",
        "results/last-doctor.json",
        "results/last-drill.json",
        "openai/audit-log-external-keys.json",
        "artifacts/trust-policy.json",
    ] {
        assert!(
            manifest.lines().any(|l| l.ends_with(&format!("  {name}"))),
            "{name} not in the manifest:\n{manifest}"
        );
    }
    let audit: Value = read_json(&folder.join("openai/audit-log-external-keys.json"));
    let types: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["external_key.registered", "external_key.removed"]);
    let readme = std::fs::read_to_string(folder.join("README.md")).unwrap();
    assert!(readme.contains("Last doctor run: healthy"), "{readme}");
    assert!(readme.contains("Last revocation drill: proved"), "{readme}");
    // Tampering shows.
    std::fs::write(folder.join("results/last-drill.json"), "{}").unwrap();
    let tampered = Command::new("sha256sum")
        .args(["-c", "--quiet", "MANIFEST.sha256"])
        .current_dir(&folder)
        .output()
        .unwrap();
    assert!(!tampered.status.success());
    // No file anywhere holds the admin key.
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(state.path(), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            !text.contains(ADMIN_KEY),
            "{} holds the admin key",
            file.display()
        );
    }
    // A folder that is not empty is refused, and nothing is written into it.
    let again = ekm(state.path())
        .args(["export", "--evidence"])
        .arg(&folder)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--evidence"));
}

/// `doctor <cloud>` through a cloud stand-in, with an OpenAI stand-in that validates by
/// looking at `on` (the stand-in's key state).
fn doctor_through(
    cloud: &str,
    flags: &[&str],
    env: &[(&str, String)],
    on: &Arc<std::sync::Mutex<bool>>,
) -> (Option<i32>, Value) {
    let openai = FakeOpenAi::start(ADMIN_KEY);
    {
        let mut state = openai.state.lock().unwrap();
        state.keys.push(json!({
            "id": "extkey_doc1", "object": "organization.external_key",
            "created_at": 1_760_000_000, "api_project_ids": ["proj_1"], "type": cloud, "name": "ekm",
        }));
        let on = Arc::clone(on);
        state.validate_by = Some(Arc::new(move |_: &Value| {
            if *on.lock().unwrap() {
                (200, json!({"status": "success"}))
            } else {
                (
                    400,
                    json!({"error": {"message": "The key is disabled.", "type": "invalid_request_error", "param": null, "code": null}}),
                )
            }
        }));
    }
    let state = tempfile::tempdir().unwrap();
    let output = ekm(state.path())
        .args(["doctor", cloud])
        .args(flags)
        .args([
            "--key-id",
            "extkey_doc1",
            "--api-base",
            &openai.base(),
            "--json",
            "--timeout",
            "5",
        ])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env("OPENAI_ADMIN_KEY", ADMIN_KEY)
        .output()
        .unwrap();
    (output.status.code(), json_of(&output))
}

/// Healthy, then unhealthy at `step` once the key is off behind the wizard's back, then not
/// verified when the key cannot be read (403).
fn judge_three_ways(
    cloud: &str,
    flags: &[&str],
    env: &[(&str, String)],
    on: &Arc<std::sync::Mutex<bool>>,
    step: &str,
    refuse: impl FnOnce(),
) {
    let (code, report) = doctor_through(cloud, flags, env, on);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "healthy");
    assert_eq!(report["openai"]["found_by"], "id");
    assert_eq!(report["openai"]["projects"][0]["id"], "proj_1");
    *on.lock().unwrap() = false;
    let (code, report) = doctor_through(cloud, flags, env, on);
    assert_eq!(code, Some(1), "{report:#}");
    assert_eq!(report["verdict"], "unhealthy");
    assert_eq!(report["openai"]["valid"], false);
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "fail" && c["step"] == step),
        "{report:#}"
    );
    *on.lock().unwrap() = true;
    refuse();
    let (code, report) = doctor_through(cloud, flags, env, on);
    assert_eq!(code, Some(3), "{report:#}");
    assert_eq!(report["verdict"], "not-verified");
}

#[test]
fn doctor_on_google_and_azure_stand_ins_judges_the_keys_real_state() {
    use support::{azure, google};
    // Google: the key shows its primary version's state.
    let fake = google::good_google();
    let on = Arc::new(std::sync::Mutex::new(true));
    let state = Arc::clone(&on);
    fake.on_fn("GET", google::KEY, move |_| {
        let mut key = google::good_key();
        key["primary"]["state"] = json!(if *state.lock().unwrap() {
            "ENABLED"
        } else {
            "DISABLED"
        });
        Reply::ok(key)
    });
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("EKM_GCP_API_URL", fake.base()),
        ("EKM_GCP_ACCESS_TOKEN", google::TOKEN.to_string()),
        ("CLOUDSDK_CONFIG", home.path().display().to_string()),
    ];
    judge_three_ways("gcp", &google::FLAGS, &env, &on, "create-key", || {
        fake.on(
            "GET",
            google::KEY,
            Reply::google(
                403,
                "PERMISSION_DENIED",
                "Permission 'cloudkms.cryptoKeys.get' denied on resource (or it may not exist).",
            ),
        );
    });

    // Azure: the key's `enabled` attribute.
    let fake = azure::good_azure();
    let on = Arc::new(std::sync::Mutex::new(true));
    for path in [
        format!("{}/keys/{}", azure::VAULT_HOST, azure::KEY_NAME),
        format!("{}/keys/{}/", azure::VAULT_HOST, azure::KEY_NAME),
    ] {
        let state = Arc::clone(&on);
        azure::vault_route(&fake, "GET", &path, move |_| {
            let mut key = azure::good_key();
            key["attributes"]["enabled"] = json!(*state.lock().unwrap());
            Reply::ok(key)
        });
    }
    let home = tempfile::tempdir().unwrap();
    let env = [
        ("EKM_AZURE_API_URL", fake.base()),
        ("EKM_AZURE_ACCESS_TOKEN", azure::token_for(azure::TENANT)),
        ("AZURE_CONFIG_DIR", home.path().display().to_string()),
    ];
    judge_three_ways("azure", &azure::FLAGS, &env, &on, "create-key", || {
        azure::key_refused(
            &fake,
            Reply::azure(
                403,
                "Forbidden",
                "Caller is not authorized to perform action on resource.",
                Some("ForbiddenByRbac"),
            ),
        );
    });
}

#[test]
fn bad_key_ids_and_a_missing_one_are_bad_input_naming_the_flag_and_nothing_is_written() {
    let state = tempfile::tempdir().unwrap();
    let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let role = "arn:aws:iam::111122223333:role/openai-ekm";
    let doctor = ekm(state.path())
        .args([
            "doctor",
            "aws",
            "--org-id",
            ORG,
            "--kms-arn",
            key,
            "--role-arn",
            role,
        ])
        .args(["--key-id", "../users/x"])
        .output()
        .unwrap();
    assert_eq!(doctor.status.code(), Some(2));
    let said = String::from_utf8_lossy(&doctor.stderr);
    assert!(
        said.contains("--key-id") && said.contains("extkey_"),
        "{said}"
    );
    let drill = ekm(state.path())
        .args([
            "drill",
            "aws",
            "--org-id",
            ORG,
            "--kms-arn",
            key,
            "--role-arn",
            role,
            "--yes",
        ])
        .output()
        .unwrap();
    assert_eq!(drill.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&drill.stderr).contains("--key-id: missing"));
    assert_eq!(
        std::fs::read_dir(state.path()).unwrap().count(),
        0,
        "nothing written"
    );
}
