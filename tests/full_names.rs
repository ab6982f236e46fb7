//! A full resource name given to a headless command never changes meaning silently: the
//! fields it also names are filled when empty and refused (exit 2, both fields named) when
//! they differ, and every value cleaned is said on standard error, one line per flag. `render`
//! and `check` of the real binary; `check` against the local stand-ins of Google and Azure.

mod support;

use std::io::Write;
use std::process::{Command, Output};

use serde_json::Value;
use support::check_run::run_check;

const GCP_KEY: &str = "projects/adjective-noun-12345/locations/us-east1/keyRings/openai-kms-key-ring/cryptoKeys/openai-kms-key";
const GCP_PROVIDER: &str = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/providers/openai-ekm-provider";
const SUBSCRIPTION: &str = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

fn arm_key(vault: &str) -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ekm/providers/Microsoft.KeyVault/vaults/{vault}/keys/org-abc123--openai-ekm/versions/0123456789abcdef"
    )
}

fn run(args: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(args)
        .env("HOME", home.path())
        .env("EKM_WIZARD_STATE_DIR", home.path())
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn registration(output: &Output) -> Value {
    assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
    let document: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    document["registration"].clone()
}

/// Lines of standard error, for exact matches.
fn lines(output: &Output) -> Vec<String> {
    stderr(output).lines().map(str::to_string).collect()
}

#[test]
fn render_gcp_a_full_key_name_fills_the_empty_project_location_and_ring_and_says_so() {
    let output = run(&[
        "render",
        "gcp",
        "--org-id",
        "org-abc123",
        "--workload-identity-project-number",
        GCP_PROVIDER,
        "--kms-key-name",
        GCP_KEY,
        "--json",
    ]);
    let body = registration(&output);
    assert_eq!(body["kms_key_name"], "openai-kms-key");
    assert_eq!(body["kms_key_ring_name"], "openai-kms-key-ring");
    assert_eq!(body["kms_key_location"], "us-east1");
    assert_eq!(body["kms_project_id"], "adjective-noun-12345");
    // The project number field takes the provider's full name, and gives the pool and provider.
    assert_eq!(body["workload_identity_project_number"], "123456789012");
    assert_eq!(body["workload_identity_pool_id"], "openai-ekm");
    assert_eq!(body["workload_identity_provider_id"], "openai-ekm-provider");
    let said = lines(&output);
    for line in [
        format!("--kms-key-name: taken from the full name {GCP_KEY}"),
        format!("--workload-identity-project-number: taken from the full name {GCP_PROVIDER}"),
        "--kms-key-ring-name: openai-kms-key-ring, taken from the full name given to --kms-key-name".to_string(),
        "--kms-key-location: us-east1, taken from the full name given to --kms-key-name".to_string(),
        "--kms-project-id: adjective-noun-12345, taken from the full name given to --kms-key-name".to_string(),
        "--workload-identity-pool-id: openai-ekm, taken from the full name given to --workload-identity-project-number".to_string(),
    ] {
        assert!(said.contains(&line), "missing `{line}` in {said:#?}");
    }
}

#[test]
fn render_gcp_refuses_a_full_key_name_from_another_ring_naming_both_fields() {
    let output = run(&[
        "render",
        "gcp",
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
        "--kms-key-location",
        "us-east1",
        "--kms-key-ring-name",
        "ekm-ring",
        "--kms-key-name",
        GCP_KEY,
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "nothing rendered on a conflict");
    let said = stderr(&output);
    assert!(
        said.contains(
            "error: Key name (--kms-key-name): the full name names Key ring name `openai-kms-key-ring`, but Key ring name (--kms-key-ring-name) is `ekm-ring`: correct one of them"
        ),
        "{said}"
    );
    // The fields that agree are no conflict.
    assert_eq!(said.matches("error:").count(), 1, "{said}");
}

#[test]
fn render_gcp_refuses_a_project_number_whose_full_name_names_another_pool() {
    let output = run(&[
        "render",
        "gcp",
        "--org-id",
        "org-abc123",
        "--workload-identity-project-number",
        GCP_PROVIDER,
        "--workload-identity-pool-id",
        "other-pool",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.contains("Pool's project number (--workload-identity-project-number): the full name names Workload identity pool id `openai-ekm`, but Workload identity pool id (--workload-identity-pool-id) is `other-pool`"),
        "{said}"
    );
}

#[test]
fn a_config_files_values_cleaned_are_said_by_their_flag() {
    let mut config = tempfile::NamedTempFile::new().unwrap();
    write!(
        config,
        "{}",
        serde_json::json!({
            "org_id": "org-abc123",
            "kms_arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-\n34cd-56ef-1234567890ab",
            "role_arn": "arn:aws:iam::111122223333:role/ openai-ekm",
        })
    )
    .unwrap();
    let path = config.path().display().to_string();
    let output = run(&["render", "aws", "--config", &path, "--json"]);
    let body = registration(&output);
    assert_eq!(
        body["role_arn"],
        "arn:aws:iam::111122223333:role/openai-ekm"
    );
    let said = lines(&output);
    assert!(
        said.contains(&"--role-arn: spaces removed".to_string()),
        "{said:#?}"
    );
    assert!(
        said.contains(&"--kms-arn: line breaks removed".to_string()),
        "{said:#?}"
    );
    // A value kept as typed is not mentioned.
    assert!(!stderr(&output).contains("--org-id"), "{said:#?}");
}

#[test]
fn render_azure_a_key_resource_id_fills_the_vault_subscription_and_group() {
    let key = arm_key("contoso-ekm");
    let output = run(&[
        "render",
        "azure",
        "--org-id",
        "org-abc123",
        "--tenant-id",
        TENANT,
        "--key-name",
        &key,
        "--json",
    ]);
    let body = registration(&output);
    assert_eq!(body["key_name"], "org-abc123--openai-ekm");
    assert_eq!(body["vault_uri"], "https://contoso-ekm.vault.azure.net/");
    let said = lines(&output);
    for line in [
        format!("--key-name: taken from the full name {key}"),
        "--vault-uri: contoso-ekm, taken from the full name given to --key-name".to_string(),
        format!("--subscription-id: {SUBSCRIPTION}, taken from the full name given to --key-name"),
        "--resource-group: rg-ekm, taken from the full name given to --key-name".to_string(),
    ] {
        assert!(said.contains(&line), "missing `{line}` in {said:#?}");
    }
}

#[test]
fn render_azure_a_vault_uri_with_a_key_path_offers_the_key_and_refuses_another() {
    let identifier =
        "https://contoso-ekm.vault.azure.net/keys/org-abc123--openai-ekm/0123456789abcdef";
    let base = [
        "render",
        "azure",
        "--org-id",
        "org-abc123",
        "--tenant-id",
        TENANT,
        "--subscription-id",
        SUBSCRIPTION,
        "--resource-group",
        "rg-ekm",
        "--vault-uri",
        identifier,
    ];
    let output = run(&[&base[..], &["--json"]].concat());
    let body = registration(&output);
    assert_eq!(body["vault_uri"], "https://contoso-ekm.vault.azure.net/");
    assert_eq!(body["key_name"], "org-abc123--openai-ekm");
    assert!(
        lines(&output).contains(
            &"--key-name: org-abc123--openai-ekm, taken from the full name given to --vault-uri"
                .to_string()
        ),
        "{}",
        stderr(&output)
    );
    let output = run(&[&base[..], &["--key-name", "org-abc123--another"]].concat());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let said = stderr(&output);
    assert!(
        said.contains("Vault URI (--vault-uri): the full name names Key name `org-abc123--openai-ekm`, but Key name (--key-name) is `org-abc123--another`: correct one of them"),
        "{said}"
    );
}

#[test]
fn render_azure_subscription_ids_take_resource_ids_and_groups_compare_in_any_case() {
    let output = run(&[
        "render",
        "azure",
        "--org-id",
        "org-abc123",
        "--tenant-id",
        TENANT,
        "--vault-uri",
        "contoso-ekm",
        "--key-name",
        "org-abc123--openai-ekm",
        "--subscription-id",
        &format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/RG-EKM"),
        "--resource-group",
        "rg-ekm",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.contains(&format!(
            "--subscription-id: taken from the full name /subscriptions/{SUBSCRIPTION}/resourceGroups/RG-EKM"
        )),
        "{said}"
    );
    let output = run(&[
        "render",
        "azure",
        "--org-id",
        "org-abc123",
        "--tenant-id",
        TENANT,
        "--key-name",
        &arm_key("contoso-ekm"),
        "--vault-uri",
        "https://other-vault.vault.azure.net/",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let said = stderr(&output);
    assert!(
        said.contains("Key name (--key-name): the full name names Vault URI `https://contoso-ekm.vault.azure.net/`, but Vault URI (--vault-uri) is `https://other-vault.vault.azure.net/`"),
        "{said}"
    );
}

fn google_check(
    flags: &[&str],
    fake: &support::fake_cloud::FakeCloud,
) -> support::check_run::Outcome {
    let home = tempfile::tempdir().unwrap();
    run_check(
        "gcp",
        flags,
        &[],
        &[
            ("EKM_GCP_API_URL", fake.base()),
            ("CLOUDSDK_CONFIG", home.path().display().to_string()),
            ("EKM_GCP_ACCESS_TOKEN", support::google::TOKEN.to_string()),
        ],
        &["GOOGLE_APPLICATION_CREDENTIALS"],
    )
}

#[test]
fn check_gcp_reaches_the_key_a_full_name_names_and_refuses_a_conflict_before_any_call() {
    let fake = support::google::good_google();
    let flags = [
        "--org-id",
        "org-abc123",
        "--workload-identity-project-number",
        "projects/123456789012",
        "--workload-identity-pool-id",
        "openai-ekm",
        "--workload-identity-provider-id",
        "openai-ekm-provider",
        "--kms-key-name",
        GCP_KEY,
    ];
    let outcome = google_check(&flags, &fake);
    assert_eq!(
        outcome.code,
        Some(0),
        "{:#}\n{}",
        outcome.report,
        outcome.stderr
    );
    for id in ["key", "grant", "round-trip"] {
        assert_eq!(outcome.status(id), "pass", "{id}: {}", outcome.detail(id));
    }
    assert_eq!(
        fake.count("POST", &format!("{}:decrypt", support::google::KEY)),
        1
    );
    assert!(
        outcome
            .stderr
            .contains("--kms-key-ring-name: openai-kms-key-ring, taken from the full name given to --kms-key-name"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains(
            "--workload-identity-project-number: taken from the full name projects/123456789012"
        ),
        "{}",
        outcome.stderr
    );

    let fake = support::google::good_google();
    let conflicting = [&flags[..], &["--kms-key-location", "europe-west4"]].concat();
    let outcome = google_check(&conflicting, &fake);
    assert_eq!(outcome.code, Some(2), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("Key name (--kms-key-name): the full name names Key ring location `us-east1`, but Key ring location (--kms-key-location) is `europe-west4`"),
        "{}",
        outcome.stderr
    );
    assert!(
        fake.seen().is_empty(),
        "no call before the input is settled"
    );
}

#[test]
fn check_azure_reaches_the_key_a_resource_id_names() {
    let fake = support::azure::good_azure();
    let home = tempfile::tempdir().unwrap();
    let key = arm_key("contoso-ekm");
    let flags = [
        "--org-id",
        "org-abc123",
        "--tenant-id",
        TENANT,
        "--key-name",
        &key,
    ];
    let outcome = run_check(
        "azure",
        &flags,
        &[],
        &[
            ("EKM_AZURE_API_URL", fake.base()),
            ("AZURE_CONFIG_DIR", home.path().display().to_string()),
            ("EKM_AZURE_ACCESS_TOKEN", support::azure::token_for(TENANT)),
        ],
        &[
            "AZURE_CLIENT_SECRET",
            "AZURE_CLIENT_ID",
            "IDENTITY_ENDPOINT",
            "MSI_ENDPOINT",
        ],
    );
    assert_eq!(
        outcome.code,
        Some(0),
        "{:#}\n{}",
        outcome.report,
        outcome.stderr
    );
    for id in ["vault", "key", "role-assignment", "round-trip"] {
        assert_eq!(outcome.status(id), "pass", "{id}: {}", outcome.detail(id));
    }
    assert!(
        outcome
            .stderr
            .contains("--resource-group: rg-ekm, taken from the full name given to --key-name"),
        "{}",
        outcome.stderr
    );
}
