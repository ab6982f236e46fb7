//! The key's life at OpenAI: `keys` (every page, EKM keys only), `keys show`, `keys validate`,
//! `keys delete` (refused before any request while used), `keys retire` (archive, delete,
//! resumed after a stop) and `replace` end to end on AWS with moto, against the stand-in of
//! the Management API in `support/fake_openai.rs`. A canary admin key is in no output or file.

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use support::fake_openai::FakeOpenAi;

const CANARY: &str = "sk-admin-CANARY0123456789abcdefCANARY";
const HOSTILE: &str = "evil\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31m\u{202e}name";

fn run(args: &[&str], state: &Path) -> Output {
    run_with(args, state, &[])
}

fn run_with(args: &[&str], state: &Path, env: &[(&str, String)]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(args)
        .env("OPENAI_ADMIN_KEY", CANARY)
        .env("EKM_WIZARD_STATE_DIR", state)
        .env_remove("OPENAI_BASE_URL")
        .env_remove("AWS_PROFILE")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_clean(&output, state);
    output
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json_of(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        let (out, err) = text(output);
        panic!("{e}: {out}\n{err}")
    })
}

/// No canary, and no raw terminal escape, in any output or any file of the state folder.
fn assert_clean(output: &Output, state: &Path) {
    let (out, err) = text(output);
    for (what, text) in [("stdout", &out), ("stderr", &err)] {
        assert!(
            !text.contains("CANARY"),
            "{what} holds the admin key:\n{text}"
        );
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
            "{what} holds a raw escape:\n{text:?}"
        );
    }
    for file in walk(state) {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(!text.contains("CANARY"), "{} holds the key", file.display());
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn aws_key(id: &str, name: &str) -> Value {
    json!({
        "id": id, "object": "organization.external_key", "created_at": 1_760_000_000,
        "api_project_ids": [], "workspace_id": null, "purpose": "ekm", "type": "aws", "name": name,
        "role_arn": "arn:aws:iam::111122223333:role/openai-ekm",
        "kms_arn": format!("arn:aws:kms:us-east-1:111122223333:key/{id}"),
        "external_id": "org-abc123",
    })
}

fn project(id: &str, name: &str, key: &str, status: &str) -> Value {
    json!({
        "object": "organization.project", "id": id, "name": name, "created_at": 1_760_000_100,
        "archived_at": if status == "archived" { json!(1_760_000_200) } else { Value::Null },
        "status": status, "external_key_id": key,
    })
}

/// Five EKM keys of the three clouds and a Private Safety Processing key.
fn organization() -> FakeOpenAi {
    let fake = FakeOpenAi::start(CANARY);
    let mut state = fake.state.lock().unwrap();
    state.keys.push(aws_key("extkey_a1", "first"));
    state.keys.push(json!({
        "id": "extkey_g1", "object": "organization.external_key", "created_at": 1_760_086_400,
        "api_project_ids": [], "type": "gcp", "name": "google one", "purpose": "ekm",
        "kms_project_id": "kms-proj", "kms_key_location": "europe-west1",
        "kms_key_ring_name": "ring", "kms_key_name": "key",
        "workload_identity_project_number": "123", "workload_identity_pool_id": "pool",
        "workload_identity_provider_id": "prov", "audience": "aud",
    }));
    state.keys.push(json!({
        "id": "extkey_psp", "object": "organization.external_key", "created_at": 1_760_000_000,
        "api_project_ids": [], "type": "aws", "name": "safety", "purpose": "psp_decryption",
        "kms_arn": "arn:aws:kms:us-east-1:111122223333:key/psp",
    }));
    state.keys.push(json!({
        "id": "extkey_z1", "object": "organization.external_key", "created_at": 1_760_000_000,
        "api_project_ids": [], "type": "azure", "name": "vault one",
        "tenant_id": "t", "vault_uri": "https://v1.vault.azure.net/", "key_name": "org-abc123--k",
    }));
    state.keys.push(aws_key("extkey_a2", HOSTILE));
    state.keys.push(aws_key("extkey_a3", "third"));
    state
        .projects
        .push(project("proj_live", "Live", "extkey_a3", "active"));
    state.page_size = 2;
    drop(state);
    fake
}

#[test]
fn keys_reads_every_page_and_lists_only_ekm_keys() {
    let fake = organization();
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(&["keys", "--json", "--api-base", &base], state.path());
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["complete"], true);
    let ids: Vec<&str> = report["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "extkey_a1",
            "extkey_g1",
            "extkey_z1",
            "extkey_a2",
            "extkey_a3"
        ]
    );
    // Five EKM keys two to a page: three pages, each after the last id of the one before.
    let pages: Vec<String> = fake
        .seen()
        .iter()
        .filter(|s| s.method == "GET" && s.path == "/v1/organization/external_keys")
        .map(|s| s.query.clone())
        .collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.iter().all(|q| q.contains("purpose=ekm")), "{pages:?}");
    assert!(!pages[0].contains("after="), "{pages:?}");
    assert!(pages[1].contains("after=extkey_g1"), "{pages:?}");
    assert!(pages[2].contains("after=extkey_a2"), "{pages:?}");
    let key = |id: &str| {
        report["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(key("extkey_a1")["cloud"], "aws");
    assert_eq!(
        key("extkey_a1")["resource"],
        "key arn:aws:kms:us-east-1:111122223333:key/extkey_a1"
    );
    assert_eq!(
        key("extkey_g1")["resource"],
        "key projects/kms-proj/locations/europe-west1/keyRings/ring/cryptoKeys/key"
    );
    assert_eq!(key("extkey_g1")["created"], "2025-10-10T08:53:20Z");
    assert_eq!(
        key("extkey_z1")["resource"],
        "vault https://v1.vault.azure.net/, key org-abc123--k"
    );
    assert_eq!(key("extkey_a3")["api_project_ids"], json!(["proj_live"]));
    // The hostile name is the same text once parsed, and inert on a terminal.
    assert_eq!(key("extkey_a2")["name"], HOSTILE);

    // In words: one block per key, the projects named, the name's escapes made visible.
    let output = run(&["keys", "--api-base", &base], state.path());
    let (out, _) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(out.contains("used by project proj_live"), "{out}");
    assert!(
        out.contains("Google Cloud") || out.contains("Cloud KMS"),
        "{out}"
    );
    assert!(out.contains("evil\\x07\\x1b[2J"), "{out}");
    assert!(
        !out.contains("extkey_psp") && !out.contains("safety"),
        "{out}"
    );
}

#[test]
fn a_key_of_another_purpose_is_never_listed_nor_deleted_even_when_the_server_sends_it() {
    let fake = organization();
    fake.state.lock().unwrap().ignore_purpose_filter = true;
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(&["keys", "--json", "--api-base", &base], state.path());
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert!(!report.to_string().contains("extkey_psp"), "{report:#}");
    assert_eq!(report["left_out"]["other_purpose"], 1);
    for args in [
        vec!["keys", "delete", "extkey_psp", "--yes", "--api-base", &base],
        vec!["keys", "retire", "extkey_psp", "--yes", "--api-base", &base],
        vec!["keys", "show", "extkey_psp", "--api-base", &base],
    ] {
        let output = run(&args, state.path());
        let (_, err) = text(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("not an EKM key"), "{err}");
    }
    assert_eq!(
        fake.count("DELETE", "/v1/organization/external_keys/extkey_psp"),
        0
    );
    assert!(
        fake.state
            .lock()
            .unwrap()
            .keys
            .iter()
            .any(|k| k["id"] == "extkey_psp")
    );
}

#[test]
fn a_server_that_never_stops_paging_is_stopped_and_not_verified() {
    let fake = FakeOpenAi::start(CANARY);
    fake.state.lock().unwrap().endless_listing = true;
    let state = tempfile::tempdir().unwrap();
    let output = run(&["keys", "--api-base", &fake.base()], state.path());
    let (_, err) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(err.contains("not the whole"), "{err}");
    assert_eq!(fake.state.lock().unwrap().endless_served, 50);
}

#[test]
fn show_names_the_projects_and_a_missing_key_is_said_as_such() {
    let fake = organization();
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(
        &["keys", "show", "extkey_a3", "--api-base", &base],
        state.path(),
    );
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(out.contains("project \"Live\" (proj_live)"), "{out}");
    let output = run(
        &["keys", "show", "extkey_nope", "--api-base", &base],
        state.path(),
    );
    let (_, err) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no key extkey_nope in this organization"),
        "{err}"
    );
    let output = run(
        &["keys", "show", "proj_x", "--api-base", &base],
        state.path(),
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn delete_is_refused_before_any_request_while_a_project_uses_the_key() {
    let fake = organization();
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(
        &["keys", "delete", "extkey_a3", "--yes", "--api-base", &base],
        state.path(),
    );
    let (_, err) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("proj_live"), "{err}");
    assert!(err.contains("ekm-wizard keys retire extkey_a3"), "{err}");
    assert!(
        fake.seen().iter().all(|s| s.method != "DELETE"),
        "{:?}",
        fake.seen()
    );

    // Without a terminal and without --yes, nothing is deleted.
    let output = run(
        &["keys", "delete", "extkey_a1", "--api-base", &base],
        state.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(fake.seen().iter().all(|s| s.method != "DELETE"));

    // A key nothing uses is deleted, named.
    let output = run(
        &["keys", "delete", "extkey_a1", "--yes", "--api-base", &base],
        state.path(),
    );
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(out.contains("extkey_a1 \"first\""), "{out}");
    assert!(out.contains("key/extkey_a1"), "{out}");
    assert_eq!(
        fake.count("DELETE", "/v1/organization/external_keys/extkey_a1"),
        1
    );
    assert!(
        !fake
            .state
            .lock()
            .unwrap()
            .keys
            .iter()
            .any(|k| k["id"] == "extkey_a1")
    );
}

#[test]
fn retire_archives_then_deletes_and_resumes_after_a_stop() {
    let fake = organization();
    {
        let mut state = fake.state.lock().unwrap();
        state
            .projects
            .push(project("proj_old", "Old", "extkey_a3", "archived"));
        state
            .projects
            .push(project("proj_two", "Two", "extkey_a3", "active"));
        // The run stops on its last step: the delete is taken in and never answered.
        state.drop_next_delete = true;
    }
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let args = ["keys", "retire", "extkey_a3", "--yes", "--api-base", &base];
    let output = run(&args, state.path());
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{out}\n{err}");
    assert!(
        out.contains("\"Old\" (proj_old) is already archived"),
        "{out}"
    );
    assert!(
        err.contains("run `ekm-wizard keys retire extkey_a3` again"),
        "{err}"
    );
    // Only the active projects were archived; the one archived at OpenAI was not asked again.
    assert_eq!(
        fake.count("POST", "/v1/organization/projects/proj_live/archive"),
        1
    );
    assert_eq!(
        fake.count("POST", "/v1/organization/projects/proj_two/archive"),
        1
    );
    assert_eq!(
        fake.count("POST", "/v1/organization/projects/proj_old/archive"),
        0
    );
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(state.path().join("retire-extkey_a3.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["deleted"], false);
    assert!(
        record["projects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["archived"] == true),
        "{record:#}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(state.path().join("retire-extkey_a3.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the record is private");
    }

    // The same command again: no archive sent twice, the delete done.
    let output = run(&args, state.path());
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{err}");
    assert!(err.contains("Resuming"), "{err}");
    assert!(
        out.contains("Retired extkey_a3: 3 projects archived"),
        "{out}"
    );
    assert_eq!(
        fake.count("POST", "/v1/organization/projects/proj_live/archive"),
        1
    );
    assert_eq!(
        fake.count("POST", "/v1/organization/projects/proj_two/archive"),
        1
    );
    assert_eq!(
        fake.count("DELETE", "/v1/organization/external_keys/extkey_a3"),
        2
    );
    assert!(
        !fake
            .state
            .lock()
            .unwrap()
            .keys
            .iter()
            .any(|k| k["id"] == "extkey_a3")
    );

    // And once more: nothing left to do.
    let output = run(&args, state.path());
    let (out, _) = text(&output);
    assert_eq!(output.status.code(), Some(0));
    assert!(out.contains("already retired"), "{out}");
    assert_eq!(
        fake.count("DELETE", "/v1/organization/external_keys/extkey_a3"),
        2
    );

    // Without a terminal and without --yes, nothing is archived.
    let before = fake.seen().len();
    let output = run(
        &["keys", "retire", "extkey_a1", "--api-base", &base],
        state.path(),
    );
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(fake.seen().len(), before);
}

#[test]
fn validate_exits_0_all_valid_1_any_invalid_3_could_not_ask() {
    let fake = organization();
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let output = run(
        &["keys", "validate", "--all", "--api-base", &base],
        state.path(),
    );
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{err}");
    assert_eq!(
        out.lines().filter(|l| l.contains(": valid:")).count(),
        5,
        "{out}"
    );

    // OpenAI answers with the cloud's refusal for one key: explained, exit 1.
    fake.state.lock().unwrap().validate_by = Some(std::sync::Arc::new(|key: &Value| {
        if key["id"] == "extkey_a1" {
            (
                400,
                json!({"error": {"message": "User: arn:aws:sts::111122223333:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111122223333:role/openai-ekm", "type": "invalid_request_error", "param": null, "code": null}}),
            )
        } else {
            (200, json!({"status": "success"}))
        }
    }));
    let output = run(
        &[
            "keys",
            "validate",
            "extkey_a1",
            "extkey_a3",
            "--api-base",
            &base,
        ],
        state.path(),
    );
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{out}\n{err}");
    assert!(out.contains("extkey_a1: invalid:"), "{out}");
    assert!(out.contains("extkey_a3: valid:"), "{out}");
    assert!(
        out.to_lowercase().contains("trust policy"),
        "explained: {out}"
    );
    let output = run(
        &[
            "keys",
            "validate",
            "extkey_a1",
            "--json",
            "--api-base",
            &base,
        ],
        state.path(),
    );
    let report = json_of(&output);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["results"][0]["status"], "failed");

    // Nobody answers: exit 3.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let output = run(
        &[
            "keys",
            "validate",
            "extkey_a1",
            "--timeout",
            "2",
            "--api-base",
            &format!("http://127.0.0.1:{port}/v1"),
        ],
        state.path(),
    );
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(3), "{out}\n{err}");
    assert!(out.contains("could not ask"), "{out}");

    // No ids and no --all, or an id not of OpenAI's form: bad input, nothing asked.
    let before = fake.seen().len();
    assert_eq!(
        run(&["keys", "validate", "--api-base", &base], state.path())
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(
            &["keys", "validate", "extkey_../x", "--api-base", &base],
            state.path()
        )
        .status
        .code(),
        Some(2)
    );
    assert_eq!(fake.seen().len(), before);
}

#[test]
fn replace_on_aws_checks_registers_creates_the_project_and_hands_over_to_retire() {
    use support::aws_world::{ORG, admin};
    use support::moto::Moto;
    let moto = Moto::start();
    let (key, role) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async { admin(&moto).await.good_setup().await });
    let fake = FakeOpenAi::start(CANARY);
    {
        let mut state = fake.state.lock().unwrap();
        state.keys.push(aws_key("extkey_old", "old key"));
        state
            .projects
            .push(project("proj_old", "EKM project", "extkey_old", "active"));
    }
    let state = tempfile::tempdir().unwrap();
    let config = state.path().join("new.json");
    std::fs::write(
        &config,
        json!({"org_id": ORG, "name": "new key", "kms_arn": key, "role_arn": role}).to_string(),
    )
    .unwrap();
    let base = fake.base();
    let args = [
        "replace",
        "aws",
        "--config",
        config.to_str().unwrap(),
        "--from",
        "extkey_old",
        "--project-name",
        "EKM project 2",
        "--yes",
        "--api-base",
        &base,
    ];
    let output = run_with(&args, state.path(), &moto.env());
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{err}");
    let (new_key, new_project) = {
        let state = fake.state.lock().unwrap();
        let new_key = state
            .keys
            .iter()
            .find(|k| k["kms_arn"] == key.as_str())
            .cloned()
            .unwrap_or_else(|| panic!("no new key registered: {:?}", state.keys));
        let new_project = state
            .projects
            .iter()
            .find(|p| p["name"] == "EKM project 2")
            .cloned()
            .unwrap();
        (new_key, new_project)
    };
    assert_eq!(new_project["external_key_id"], new_key["id"]);
    assert!(out.contains("move every application"), "{out}");
    assert!(out.contains("ekm-wizard keys retire extkey_old"), "{out}");
    // The old key and its project are untouched until retire.
    assert_eq!(
        fake.count("POST", "/v1/organization/projects/proj_old/archive"),
        0
    );
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(state.path().join("replace-extkey_old.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["new_key_id"], new_key["id"]);
    assert_eq!(record["checked"], true);

    // Run again: the checks are not run twice for the same config, nothing registered twice.
    let output = run_with(&args, state.path(), &moto.env());
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    assert!(
        text(&output).0.contains("checks passed in an earlier run"),
        "{:?}",
        text(&output)
    );
    assert_eq!(fake.count("POST", "/v1/organization/external_keys"), 1);
    assert_eq!(fake.count("POST", "/v1/organization/projects"), 1);

    // Then retire the old key.
    let output = run(
        &["keys", "retire", "extkey_old", "--yes", "--api-base", &base],
        state.path(),
    );
    let (out, err) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{err}");
    let state_now = fake.state.lock().unwrap();
    assert!(!state_now.keys.iter().any(|k| k["id"] == "extkey_old"));
    assert!(state_now.keys.iter().any(|k| k["id"] == new_key["id"]));
    assert_eq!(
        state_now
            .projects
            .iter()
            .find(|p| p["id"] == "proj_old")
            .unwrap()["status"],
        "archived"
    );
    drop(state_now);

    // A missing old key: refused before anything is checked or registered.
    let output = run_with(
        &[
            "replace",
            "aws",
            "--config",
            config.to_str().unwrap(),
            "--from",
            "extkey_gone",
            "--project-name",
            "P3",
            "--yes",
            "--api-base",
            &base,
        ],
        state.path(),
        &moto.env(),
    );
    let (_, err) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no key extkey_gone in this organization"),
        "{err}"
    );
}

#[test]
fn delete_and_retire_give_a_typed_versioned_result_with_json() {
    let fake = organization();
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    // A used key: refused before any request, the report naming why.
    let output = run(
        &[
            "keys",
            "delete",
            "extkey_a3",
            "--yes",
            "--json",
            "--api-base",
            &base,
        ],
        state.path(),
    );
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["id"], "extkey_a3");
    assert_eq!(report["outcome"], "refused");
    assert_eq!(report["deleted"], false);
    assert_eq!(report["key"]["api_project_ids"][0], "proj_live");
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("ekm-wizard keys retire extkey_a3"),
        "{report:#}"
    );
    assert!(fake.seen().iter().all(|s| s.method != "DELETE"));

    // A key nothing uses: deleted, and only the JSON on standard output.
    let output = run(
        &[
            "keys",
            "delete",
            "extkey_a1",
            "--yes",
            "--json",
            "--api-base",
            &base,
        ],
        state.path(),
    );
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["outcome"], "deleted");
    assert_eq!(report["deleted"], true);
    assert_eq!(report["key"]["id"], "extkey_a1");
    assert_eq!(report["error"], Value::Null);

    // Gone now: not found.
    let output = run(
        &[
            "keys",
            "delete",
            "extkey_a1",
            "--yes",
            "--json",
            "--api-base",
            &base,
        ],
        state.path(),
    );
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["outcome"], "not-found");

    // Retire: the project archived, the key deleted, said as one report.
    let args = [
        "keys",
        "retire",
        "extkey_a3",
        "--yes",
        "--json",
        "--api-base",
        &base,
    ];
    let output = run(&args, state.path());
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["outcome"], "retired");
    assert_eq!(report["archived_projects"], json!(["proj_live"]));
    assert_eq!(report["deleted"], true);
    let output = run(&args, state.path());
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["outcome"], "already-retired");
    // A psp key is never retired: refused, nothing archived.
    let output = run(
        &[
            "keys",
            "retire",
            "extkey_psp",
            "--yes",
            "--json",
            "--api-base",
            &base,
        ],
        state.path(),
    );
    let report = json_of(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert!(
        matches!(report["outcome"].as_str(), Some("refused" | "not-found")),
        "{report:#}"
    );
    assert_eq!(report["deleted"], false);
}

#[test]
fn validate_and_keys_validate_read_an_answer_by_one_rule() {
    let fake = organization();
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let both = |env: &[(&str, String)]| {
        let single = run_with(
            &["validate", "extkey_a1", "--api-base", &base, "--json"],
            state.path(),
            env,
        );
        let many = run_with(
            &[
                "keys",
                "validate",
                "extkey_a1",
                "--api-base",
                &base,
                "--json",
            ],
            state.path(),
            env,
        );
        let single_status = json_of(&single)["status"].clone();
        let many_status = json_of(&many)["results"][0]["status"].clone();
        (
            single.status.code(),
            many.status.code(),
            single_status,
            many_status,
        )
    };
    // Our own request refused (the admin key not accepted): the key was never asked, 3.
    let wrong = [(
        "OPENAI_ADMIN_KEY",
        "sk-admin-not-this-one-0123456789".to_string(),
    )];
    let (single, many, single_status, many_status) = both(&wrong);
    assert_eq!((single, many), (Some(3), Some(3)));
    assert_eq!(single_status, "not-verified");
    assert_eq!(many_status, "not-verified");
    // 403 for our scope: also 3.
    for _ in 0..2 {
        fake.state.lock().unwrap().validate_answers.push_back((
            403,
            json!({"error": {"message": "Missing scopes: api.external_keys.read", "type": "invalid_request_error", "param": null, "code": null}}),
        ));
    }
    let (single, many, ..) = both(&[]);
    assert_eq!((single, many), (Some(3), Some(3)));
    // The cloud's refusal relayed by OpenAI: the key is invalid, 1.
    let refusal = json!({"error": {"message": "User: arn:aws:sts::111122223333:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/extkey_a1", "type": "invalid_request_error", "param": null, "code": null}});
    for _ in 0..2 {
        fake.state
            .lock()
            .unwrap()
            .validate_answers
            .push_back((400, refusal.clone()));
    }
    let (single, many, single_status, many_status) = both(&[]);
    assert_eq!((single, many), (Some(1), Some(1)));
    assert_eq!(single_status, "failed");
    assert_eq!(many_status, "failed");
    // Valid: 0 for both.
    let (single, many, ..) = both(&[]);
    assert_eq!((single, many), (Some(0), Some(0)));
}
