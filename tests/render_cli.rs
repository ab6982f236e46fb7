//! `ekm-wizard render`: the real binary, its outputs and its exit codes.

use std::process::{Command, Output};

use serde_json::{Value, json};

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn json_output_has_every_artifact_worked_out_from_the_guide() {
    let output = run(&[
        "render",
        "aws",
        "--org-id",
        "org-abc123",
        "--kms-arn",
        KEY,
        "--role-arn",
        ROLE,
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        document["iam_policy"],
        json!({"Version": "2012-10-17", "Statement": [{"Sid": "OpenAIEKMEncryptDecrypt",
            "Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": KEY}]})
    );
    assert_eq!(
        document["trust_policy"],
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::790389265272:role/EnterpriseKeyManagement"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": ["org-abc123"]}}}]})
    );
    assert_eq!(
        document["registration"],
        json!({"type": "aws", "name": "AWS EKM key", "role_arn": ROLE, "kms_arn": KEY,
            "external_id": "org-abc123"})
    );
    assert_eq!(
        document["enterprise_details"],
        json!({"role_arn": ROLE, "kms_arn": KEY})
    );
    let commands = document["commands"].as_object().unwrap();
    for key in [
        "create_key",
        "create_policy",
        "create_role",
        "enable_rotation",
        "read_key_policy",
        "put_key_policy",
        "register",
        "create_project",
    ] {
        assert!(
            commands[key].as_str().is_some_and(|c| !c.is_empty()),
            "{key}"
        );
    }
    assert!(!commands.contains_key("find_alias_target"));
}

#[test]
fn flags_override_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ekm.json");
    std::fs::write(
        &config,
        json!({"type": "aws", "name": "From file", "org_id": "org-file", "kms_arn": KEY,
            "role_arn": ROLE, "external_id": "proj_file1"})
        .to_string(),
    )
    .unwrap();
    let output = run(&[
        "render",
        "aws",
        "--config",
        config.to_str().unwrap(),
        "--name",
        "From flag",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["registration"]["name"], "From flag");
    assert_eq!(document["registration"]["external_id"], "proj_file1");
    // The ChatGPT hand-over always presents the organization id; the API path uses the project id.
    assert_eq!(
        document["trust_policy"]["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"][0],
        "proj_file1"
    );
}

#[test]
fn text_output_has_headings_for_people() {
    let output = run(&[
        "render",
        "aws",
        "--org-id",
        "org-abc123",
        "--kms-arn",
        KEY,
        "--role-arn",
        ROLE,
    ]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for heading in [
        "== Step 1: Create a symmetric KMS key ==",
        "-- IAM policy (JSON)",
        "-- Trust policy (JSON)",
        "-- Registration request body (JSON)",
    ] {
        assert!(text.contains(heading), "{heading} missing from:\n{text}");
    }
    assert!(!text.contains("Details for your OpenAI contact"));
    let chatgpt = stdout(&run(&[
        "render",
        "aws",
        "--org-id",
        "org-abc123",
        "--kms-arn",
        KEY,
        "--role-arn",
        ROLE,
        "--path",
        "chatgpt",
    ]));
    assert!(chatgpt.contains("Details for your OpenAI contact (JSON)"));
    assert!(!chatgpt.contains("Registration request body"));
}

#[test]
fn an_alias_needs_the_key_arn_and_then_renders_the_look_up_command() {
    let alias = "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm";
    let refused = run(&[
        "render",
        "aws",
        "--org-id",
        "org-abc",
        "--kms-arn",
        alias,
        "--role-arn",
        ROLE,
    ]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("(--key-arn)"),
        "{}",
        stderr(&refused)
    );
    assert!(stdout(&refused).is_empty());
    let output = run(&[
        "render",
        "aws",
        "--org-id",
        "org-abc",
        "--kms-arn",
        alias,
        "--key-arn",
        KEY,
        "--role-arn",
        ROLE,
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(document["iam_policy"]["Statement"][0]["Resource"], KEY);
    assert_eq!(document["registration"]["kms_arn"], alias);
    // Moving an alias to another key revokes OpenAI's access: said, with the key ARN to use.
    let warning = document["warnings"][0].as_str().unwrap();
    assert!(
        warning.starts_with("KMS key ARN (--kms-arn): alias/openai-ekm is an alias")
            && warning.contains("revokes OpenAI's access")
            && warning.ends_with(&format!("Register the key ARN instead: {KEY}")),
        "{warning}"
    );
    let text = run(&[
        "render",
        "aws",
        "--org-id",
        "org-abc",
        "--kms-arn",
        alias,
        "--key-arn",
        KEY,
        "--role-arn",
        ROLE,
    ]);
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    assert!(
        stderr(&text).contains("warning: KMS key ARN (--kms-arn): alias/openai-ekm is an alias"),
        "{}",
        stderr(&text)
    );
    let plain = run(&[
        "render",
        "aws",
        "--org-id",
        "org-abc",
        "--kms-arn",
        KEY,
        "--role-arn",
        ROLE,
        "--json",
    ]);
    assert!(!stderr(&plain).contains("warning"), "{}", stderr(&plain));
    let without_alias: Value = serde_json::from_str(&stdout(&plain)).unwrap();
    assert!(
        without_alias.get("warnings").is_none(),
        "no alias, no warning"
    );
    assert!(
        document["commands"]["find_alias_target"]
            .as_str()
            .unwrap()
            .contains("describe-key")
    );
}

#[test]
fn bad_values_exit_2_naming_every_field_and_printing_nothing() {
    let output = run(&[
        "render",
        "aws",
        "--org-id",
        "acme",
        "--kms-arn",
        "arn:aws:kms:us-east-1:1:key/x",
        "--role-arn",
        "role/x",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty());
    let errors = stderr(&output);
    for field in ["(--org-id):", "(--kms-arn):", "(--role-arn):"] {
        assert!(errors.contains(field), "{field} missing from:\n{errors}");
    }
    assert!(errors.contains("expected"), "{errors}");
}

#[test]
fn missing_values_exit_2() {
    let output = run(&["render", "aws", "--org-id", "org-abc"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("(--kms-arn): is empty"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn an_unknown_config_key_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ekm.json");
    std::fs::write(
        &config,
        r#"{"org_id": "org-a", "kms_arn": "x", "role": "y"}"#,
    )
    .unwrap();
    let output = run(&["render", "aws", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("unknown key `role`"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn an_unreadable_or_malformed_config_is_named() {
    let output = run(&["render", "aws", "--config", "/nonexistent/ekm.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("/nonexistent/ekm.json"));
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ekm.json");
    std::fs::write(&config, "{").unwrap();
    let output = run(&["render", "aws", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not valid JSON"));
    std::fs::write(&config, r#"{"type": "gcp"}"#).unwrap();
    let output = run(&["render", "aws", "--config", config.to_str().unwrap()]);
    assert!(stderr(&output).contains("`type` is `gcp`"));
}

#[test]
fn unknown_flags_and_clouds_exit_2() {
    assert_eq!(run(&["render", "aws", "--kms"]).status.code(), Some(2));
    assert_eq!(run(&["render", "oracle"]).status.code(), Some(2));
    // A flag of another cloud is refused by the cloud's own subcommand.
    assert_eq!(
        run(&["render", "gcp", "--kms-arn", KEY]).status.code(),
        Some(2)
    );
    let gcp = run(&["render", "gcp", "--org-id", "org-a"]);
    assert_eq!(gcp.status.code(), Some(2));
    assert!(
        stderr(&gcp).contains("(--workload-identity-project-number): is empty"),
        "{}",
        stderr(&gcp)
    );
    assert!(stdout(&gcp).is_empty());
}

#[test]
fn the_wizard_without_a_terminal_says_what_to_use_instead() {
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("render"));
}

const GCP_FLAGS: [&str; 16] = [
    "--org-id",
    "org-abc123",
    "--workload-identity-project-number",
    "123456789012",
    "--workload-identity-pool-id",
    "openai-ekm",
    "--workload-identity-provider-id",
    "openai-ekm-service-role",
    "--kms-project-id",
    "adjective-noun-12345",
    "--kms-key-ring-name",
    "openai-kms-key-ring",
    "--kms-key-name",
    "openai-kms-key",
    "--kms-key-location",
    "us-east1",
];

#[test]
fn gcp_json_has_the_provider_role_principal_and_bodies() {
    let mut args = vec!["render", "gcp"];
    args.extend(GCP_FLAGS);
    args.extend(["--audience", "proj_Abc123", "--json"]);
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        document["provider"],
        json!({"issuer_uri": "https://accounts.google.com", "allowed_audiences": ["proj_Abc123"],
            "attribute_mapping": {"google.subject": "assertion.sub"},
            "attribute_condition": "assertion.sub == \"105900137572174660365\""})
    );
    assert_eq!(
        document["custom_role"]["role"]["includedPermissions"],
        json!([
            "cloudkms.cryptoKeyVersions.useToEncrypt",
            "cloudkms.cryptoKeyVersions.useToDecrypt"
        ])
    );
    assert_eq!(
        document["principal"],
        "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/subject/105900137572174660365"
    );
    assert_eq!(
        document["sts_audience"],
        "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/providers/openai-ekm-service-role"
    );
    assert_eq!(
        document["registration"],
        json!({"type": "gcp", "name": "GCP EKM key", "workload_identity_project_number": "123456789012",
            "workload_identity_pool_id": "openai-ekm", "workload_identity_provider_id": "openai-ekm-service-role",
            "audience": "proj_Abc123", "kms_project_id": "adjective-noun-12345",
            "kms_key_ring_name": "openai-kms-key-ring", "kms_key_name": "openai-kms-key",
            "kms_key_location": "us-east1"})
    );
    assert_eq!(document["enterprise_details"].as_object().unwrap().len(), 7);
    for key in [
        "workload_identity",
        "enable_kms",
        "create_key",
        "create_role",
        "grant",
        "rotation",
        "register",
    ] {
        assert!(document["commands"][key].as_str().is_some(), "{key}");
    }
}

#[test]
fn gcp_refuses_a_pool_id_google_reserves() {
    let mut args = vec!["render", "gcp"];
    args.extend(GCP_FLAGS);
    args[7] = "gcp-pool";
    let output = run(&args);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("(--workload-identity-pool-id): starts with `gcp-`"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());
}

const AZURE_FLAGS: [&str; 12] = [
    "--org-id",
    "org-abc123",
    "--tenant-id",
    "72f988bf-86f1-41af-91ab-2d7cd011db47",
    "--vault-uri",
    "contoso-ekm.vault.azure.net",
    "--key-name",
    "org-abc123--openai-ekm",
    "--subscription-id",
    "0b1f6471-1bf0-4dda-aec3-cb9272f09590",
    "--resource-group",
    "rg-ekm",
];

#[test]
fn azure_json_has_the_request_role_scope_and_bodies() {
    let mut args = vec!["render", "azure"];
    args.extend(AZURE_FLAGS);
    args.push("--json");
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let document: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        document["service_principal_request"],
        json!({"appId": "20a14814-5ab7-4612-a671-1382b412bf93"})
    );
    assert_eq!(
        document["custom_role"]["properties"]["permissions"][0]["dataActions"],
        json!([
            "Microsoft.KeyVault/vaults/keys/encrypt/action",
            "Microsoft.KeyVault/vaults/keys/decrypt/action",
            "Microsoft.KeyVault/vaults/keys/read"
        ])
    );
    assert_eq!(
        document["custom_role"]["properties"]["assignableScopes"],
        json!(["/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590"])
    );
    assert_eq!(
        document["role_assignment_scope"],
        "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/rg-ekm/providers/Microsoft.KeyVault/vaults/contoso-ekm/keys/org-abc123--openai-ekm"
    );
    assert_eq!(
        document["registration"],
        json!({"type": "azure", "name": "Azure EKM key", "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "vault_uri": "https://contoso-ekm.vault.azure.net/", "key_name": "org-abc123--openai-ekm"})
    );
    assert_eq!(
        document["enterprise_details"],
        json!({"tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "vault_uri": "https://contoso-ekm.vault.azure.net/", "key_name": "org-abc123--openai-ekm"})
    );
    assert!(!stdout(&output).contains('–'), "no en dash anywhere");
}

#[test]
fn azure_refuses_a_key_name_without_the_org_prefix() {
    let mut args = vec!["render", "azure"];
    args.extend(AZURE_FLAGS);
    args[9] = "org-other--openai-ekm";
    let output = run(&args);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    assert!(
        errors.contains(
            "(--key-name): starts with `org-other`, not with your organization id `org-abc123`"
        ),
        "{errors}"
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn azure_config_accepts_its_own_keys_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ekm.json");
    std::fs::write(
        &config,
        json!({"type": "azure", "org_id": "org-abc123", "tenant_id": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "vault_uri": "https://contoso-ekm.vault.azure.net/", "key_name": "org-abc123--k",
            "subscription_id": "0b1f6471-1bf0-4dda-aec3-cb9272f09590", "resource_group": "rg"})
        .to_string(),
    )
    .unwrap();
    let output = run(&[
        "render",
        "azure",
        "--config",
        config.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    std::fs::write(
        &config,
        json!({"org_id": "org-abc123", "kms_arn": KEY}).to_string(),
    )
    .unwrap();
    let output = run(&["render", "azure", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown key `kms_arn`"));
}

#[test]
fn a_config_that_is_not_a_small_regular_file_is_refused_at_once() {
    let output = run(&["render", "aws", "--config", "/dev/zero"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("not a regular file"),
        "{}",
        stderr(&output)
    );
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; 2 * 1024 * 1024]).unwrap();
    let output = run(&["render", "aws", "--config", big.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("more than any config"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_huge_value_is_refused_without_being_echoed() {
    let huge = format!("org-{}", "a".repeat(60_000));
    let output = run(&[
        "render",
        "aws",
        "--org-id",
        "org-abc",
        "--external-id",
        &huge,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let errors = stderr(&output);
    assert!(errors.contains("60004 characters long"), "{errors}");
    assert!(
        errors.len() < 2_000,
        "the value is not echoed: {} bytes",
        errors.len()
    );
}

#[test]
fn one_fault_gives_one_message() {
    // The id OpenAI presents defaults to the organization id: a bad org id is one fault.
    let output = run(&[
        "render",
        "aws",
        "--org-id",
        "bad",
        "--kms-arn",
        KEY,
        "--role-arn",
        ROLE,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let said = stderr(&output);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.contains("OpenAI organization id (--org-id)"), "{said}");
    // Typed, the presented id is judged on its own.
    let output = run(&[
        "render",
        "aws",
        "--org-id",
        "bad",
        "--external-id",
        "also-bad",
        "--kms-arn",
        KEY,
        "--role-arn",
        ROLE,
    ]);
    assert_eq!(stderr(&output).lines().count(), 2, "{}", stderr(&output));
}

/// What bash completes for `words`, the last being the word under the cursor.
fn bash_completes(script: &str, words: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ekm-wizard.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let (current, previous) = (words[words.len() - 1], words[words.len() - 2]);
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _ekm__wizard ekm-wizard '{current}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        path.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let output = Command::new("bash")
        .args(["-c", &program])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_are_made_from_the_cli_and_complete_past_a_subcommand() {
    let output = run(&["completions", "bash"]);
    assert_eq!(output.status.code(), Some(0));
    let script = stdout(&output);
    assert_eq!(
        bash_completes(&script, &["ekm-wizard", "check", "az"]),
        ["azure"]
    );
    assert_eq!(
        bash_completes(&script, &["ekm-wizard", "check", "azure", "--create"]),
        ["--create-service-principal"]
    );
    assert!(
        bash_completes(&script, &["ekm-wizard", "check", "aws", "--create"]).is_empty(),
        "only the cloud that has the action offers its flag"
    );
    assert_eq!(
        bash_completes(&script, &["ekm-wizard", "check", "aws", "--pro"]),
        ["--profile"]
    );
    for shell in ["zsh", "fish"] {
        let output = run(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0));
        let script = stdout(&output);
        assert!(
            script.contains("kms-key-name") && script.contains("create-service-principal"),
            "{shell}"
        );
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn the_manual_page_is_roff_made_from_the_cli() {
    let output = run(&["man"]);
    assert_eq!(output.status.code(), Some(0));
    let page = stdout(&output);
    assert!(
        page.starts_with(".ie") || page.contains(".TH ekm-wizard 1"),
        "{page}"
    );
    for part in [
        ".SH NAME",
        ".SH SYNOPSIS",
        "render",
        "check",
        "register",
        "completions",
    ] {
        assert!(page.contains(part), "{part} missing:\n{page}");
    }
}
