//! Every command the wizard prints runs as printed. Each command block of every step, on both
//! paths, is pasted into bash exactly as generated and run with the real tools: `aws` against
//! moto, `gcloud` against a recording stand-in of Google's APIs (gcloud's own endpoint
//! overrides), `az` and `curl` through a loopback HTTPS stand-in in front of fakes of Microsoft's
//! and OpenAI's APIs. Each must exit 0 and send the request the guide means. Nothing leaves the
//! machine.

mod support;

use ekm_wizard::clouds::{aws, azure, gcp};
use std::process::Command;

use ekm_wizard::guide::{ArtifactId, FieldId, Inputs, SetupPath};
use serde_json::{Value, json};
use support::fake_cloud::{FakeCloud, Reply, Seen};
use support::moto::Moto;
use support::replay::{
    Block, TlsStandIn, aws_dir, az_dir, command_blocks, gcloud_dir, must_run, one_block, path_with,
};

const ORG: &str = "org-abc123";

fn seen_one<'a>(seen: &'a [Seen], method: &str, path: &str) -> &'a Seen {
    let found: Vec<&Seen> = seen
        .iter()
        .filter(|s| s.method == method && s.path == path)
        .collect();
    assert!(
        !found.is_empty(),
        "no {method} {path}; the tools sent:\n{}",
        seen.iter()
            .map(|s| format!("{} {}?{}", s.method, s.path, s.query))
            .collect::<Vec<_>>()
            .join("\n")
    );
    found[0]
}

// ---------------------------------------------------------------------------------------------
// Google Cloud: gcloud against a recording stand-in of the IAM, Cloud KMS and Service Usage
// REST APIs, answering with the shapes of Google's published references.

const NUMBER: &str = "123456789012";
const KMS_PROJECT: &str = "adjective-noun-12345";
const IAM: &str = "/iam.googleapis.com/v1";
const KMS: &str = "/cloudkms.googleapis.com/v1";

fn gcp_inputs() -> Inputs {
    let mut inputs = Inputs::new(gcp::cloud());
    for (field, value) in [
        (FieldId::ORG_ID, ORG),
        (gcp::WORKLOAD_IDENTITY_PROJECT_NUMBER, NUMBER),
        (gcp::WORKLOAD_IDENTITY_POOL_ID, "openai-ekm"),
        (gcp::WORKLOAD_IDENTITY_PROVIDER_ID, "openai-ekm-provider"),
        (gcp::KMS_PROJECT_ID, KMS_PROJECT),
        (gcp::KMS_KEY_LOCATION, "us-east1"),
        (gcp::KMS_KEY_RING_NAME, "openai-kms-key-ring"),
        (gcp::KMS_KEY_NAME, "openai-kms-key"),
    ] {
        inputs.set(field, value);
    }
    inputs
}

/// A long-running operation that is already done (google.longrunning.Operation).
fn done_operation(name: &str, response: Value) -> Reply {
    Reply::ok(json!({"name": name, "done": true, "response": response}))
}

fn google_stand_in() -> FakeCloud {
    let fake = FakeCloud::start();
    let pools = format!("{IAM}/projects/{NUMBER}/locations/global/workloadIdentityPools");
    let pool_name = format!("projects/{NUMBER}/locations/global/workloadIdentityPools/openai-ekm");
    fake.on_fn("POST", &pools, move |seen| {
        let mut pool = seen.json();
        pool["name"] = json!(pool_name);
        pool["state"] = json!("ACTIVE");
        done_operation(&format!("{pool_name}/operations/create-pool"), pool)
    });
    let providers = format!("{pools}/openai-ekm/providers");
    fake.on_fn("POST", &providers, |seen| {
        let mut provider = seen.json();
        provider["state"] = json!("ACTIVE");
        done_operation("operations/create-provider", provider)
    });
    for project in [KMS_PROJECT, NUMBER] {
        fake.on(
            "POST",
            &format!(
                "/serviceusage.googleapis.com/v1/projects/{project}/services/cloudkms.googleapis.com:enable"
            ),
            done_operation(
                "operations/noop.DONE_OPERATION",
                json!({"service": {"name": format!("projects/{project}/services/cloudkms.googleapis.com"), "state": "ENABLED"}}),
            ),
        );
    }
    let rings = format!("{KMS}/projects/{KMS_PROJECT}/locations/us-east1/keyRings");
    fake.on_fn("POST", &rings, |seen| {
        let ring = seen.query.split("keyRingId=").nth(1).unwrap_or_default();
        Reply::ok(json!({
            "name": format!("projects/{KMS_PROJECT}/locations/us-east1/keyRings/{ring}"),
            "createTime": "2026-11-30T00:00:00Z",
        }))
    });
    let key_name = format!(
        "projects/{KMS_PROJECT}/locations/us-east1/keyRings/openai-kms-key-ring/cryptoKeys/openai-kms-key"
    );
    let key = json!({
        "name": key_name,
        "purpose": "ENCRYPT_DECRYPT",
        "primary": {"name": format!("{key_name}/cryptoKeyVersions/1"), "state": "ENABLED"},
        "versionTemplate": {"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protectionLevel": "SOFTWARE"},
    });
    let keys = format!("{rings}/openai-kms-key-ring/cryptoKeys");
    let created = key.clone();
    fake.on_fn("POST", &keys, move |_| Reply::ok(created.clone()));
    let key_path = format!("{keys}/openai-kms-key");
    fake.on("GET", &key_path, Reply::ok(key.clone()));
    let patched = key.clone();
    fake.on_fn("PATCH", &key_path, move |seen| {
        let mut key = patched.clone();
        for (field, value) in seen.json().as_object().cloned().unwrap_or_default() {
            key[field] = value;
        }
        Reply::ok(key)
    });
    fake.on(
        "GET",
        &format!("{key_path}:getIamPolicy"),
        Reply::ok(json!({"version": 1, "etag": "BwYAAAAAAAA="})),
    );
    fake.on_fn("POST", &format!("{key_path}:setIamPolicy"), |seen| {
        Reply::ok(seen.json()["policy"].clone())
    });
    // gcloud asks which permissions a custom role may hold before it creates one.
    fake.on(
        "POST",
        &format!("{IAM}/permissions:queryTestablePermissions"),
        Reply::ok(json!({"permissions": [
            {"name": "cloudkms.cryptoKeyVersions.useToEncrypt", "stage": "GA", "customRolesSupportLevel": "SUPPORTED"},
            {"name": "cloudkms.cryptoKeyVersions.useToDecrypt", "stage": "GA", "customRolesSupportLevel": "SUPPORTED"},
        ]})),
    );
    fake.on_fn(
        "POST",
        &format!("{IAM}/projects/{KMS_PROJECT}/roles"),
        |seen| {
            let body = seen.json();
            let mut role = body["role"].clone();
            role["name"] = json!(format!(
                "projects/{KMS_PROJECT}/roles/{}",
                body["roleId"].as_str().unwrap_or_default()
            ));
            role["etag"] = json!("BwYAAAAAAAA=");
            Reply::ok(role)
        },
    );
    fake
}

fn gcloud_env(fake: &FakeCloud, config: &std::path::Path) -> Vec<(String, String)> {
    let token = config.join("token");
    std::fs::write(&token, "ya29.replay-token").unwrap();
    let mut env = vec![
        ("PATH".to_string(), path_with(&[gcloud_dir()])),
        ("CLOUDSDK_CONFIG".into(), config.display().to_string()),
        (
            "CLOUDSDK_AUTH_ACCESS_TOKEN_FILE".into(),
            token.display().to_string(),
        ),
        ("CLOUDSDK_CORE_DISABLE_PROMPTS".into(), "1".into()),
        (
            "CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK".into(),
            "true".into(),
        ),
        (
            "CLOUDSDK_CORE_DISABLE_USAGE_REPORTING".into(),
            "true".into(),
        ),
    ];
    for api in ["iam", "cloudkms", "serviceusage", "cloudresourcemanager"] {
        env.push((
            format!(
                "CLOUDSDK_API_ENDPOINT_OVERRIDES_{}",
                api.to_ascii_uppercase()
            ),
            format!("{}/{api}.googleapis.com/", fake.base()),
        ));
    }
    env
}

fn replay_gcloud(path: SetupPath) {
    let fake = google_stand_in();
    let dir = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let env = gcloud_env(&fake, config.path());
    let inputs = gcp_inputs();
    let blocks: Vec<Block> = command_blocks(gcp::cloud(), path, &inputs)
        .into_iter()
        .filter(|b| b.artifact != ArtifactId::REGISTRATION_COMMANDS)
        .filter(|b| b.artifact != ArtifactId::CREATE_PROJECT_COMMAND)
        .collect();
    assert_eq!(blocks.len(), 6, "{blocks:#?}");
    for block in &blocks {
        must_run(block, dir.path(), &env);
    }
    let seen = fake.seen();
    let audience = ORG;
    let pool = seen_one(
        &seen,
        "POST",
        &format!("{IAM}/projects/{NUMBER}/locations/global/workloadIdentityPools"),
    );
    assert!(
        pool.query.contains("workloadIdentityPoolId=openai-ekm"),
        "{}",
        pool.query
    );
    let provider = seen_one(
        &seen,
        "POST",
        &format!(
            "{IAM}/projects/{NUMBER}/locations/global/workloadIdentityPools/openai-ekm/providers"
        ),
    );
    assert!(
        provider
            .query
            .contains("workloadIdentityPoolProviderId=openai-ekm-provider")
    );
    let provider = provider.json();
    assert_eq!(provider["oidc"]["issuerUri"], "https://accounts.google.com");
    assert_eq!(provider["oidc"]["allowedAudiences"], json!([audience]));
    assert_eq!(
        provider["attributeMapping"],
        json!({"google.subject": "assertion.sub"})
    );
    assert_eq!(
        provider["attributeCondition"],
        "assertion.sub == \"105900137572174660365\""
    );
    for project in [KMS_PROJECT, NUMBER] {
        seen_one(
            &seen,
            "POST",
            &format!(
                "/serviceusage.googleapis.com/v1/projects/{project}/services/cloudkms.googleapis.com:enable"
            ),
        );
    }
    let rings = format!("{KMS}/projects/{KMS_PROJECT}/locations/us-east1/keyRings");
    assert!(
        seen_one(&seen, "POST", &rings)
            .query
            .contains("keyRingId=openai-kms-key-ring")
    );
    let key = seen_one(
        &seen,
        "POST",
        &format!("{rings}/openai-kms-key-ring/cryptoKeys"),
    );
    assert!(key.query.contains("cryptoKeyId=openai-kms-key"));
    assert_eq!(key.json()["purpose"], "ENCRYPT_DECRYPT");
    let role = seen_one(
        &seen,
        "POST",
        &format!("{IAM}/projects/{KMS_PROJECT}/roles"),
    )
    .json();
    assert_eq!(
        role["role"]["includedPermissions"],
        json!([
            "cloudkms.cryptoKeyVersions.useToEncrypt",
            "cloudkms.cryptoKeyVersions.useToDecrypt"
        ])
    );
    let key_path = format!("{rings}/openai-kms-key-ring/cryptoKeys/openai-kms-key");
    let policy = seen_one(&seen, "POST", &format!("{key_path}:setIamPolicy")).json();
    let role_name = format!(
        "projects/{KMS_PROJECT}/roles/{}",
        role["roleId"].as_str().unwrap()
    );
    let binding = policy["policy"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["role"] == role_name.as_str())
        .unwrap_or_else(|| panic!("no binding of {role_name}: {policy:#}"));
    assert_eq!(
        binding["members"],
        json!([format!(
            "principal://iam.googleapis.com/projects/{NUMBER}/locations/global/workloadIdentityPools/openai-ekm/subject/105900137572174660365"
        )])
    );
    let rotation = seen_one(&seen, "PATCH", &key_path).json();
    assert_eq!(rotation["rotationPeriod"], "7776000s");
    assert!(rotation["nextRotationTime"].as_str().is_some());
}

#[test]
fn every_gcloud_command_of_the_api_path_runs_as_printed() {
    replay_gcloud(SetupPath::Api);
}

#[test]
fn every_gcloud_command_of_the_chatgpt_path_runs_as_printed() {
    replay_gcloud(SetupPath::ChatGpt);
}

// ---------------------------------------------------------------------------------------------
// AWS: the aws CLI against moto, then `check aws` on what the commands built.

fn aws_env(moto: &Moto) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = moto
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    // An admin's `aws configure` gives a default region; the key's own commands name theirs.
    env.push(("AWS_DEFAULT_REGION".into(), "us-east-1".into()));
    env.push(("AWS_PAGER".into(), String::new()));
    env.push(("PATH".into(), path_with(&[aws_dir()])));
    env
}

fn replay_aws(path: SetupPath) {
    let moto = Moto::start();
    let env = aws_env(&moto);
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = Inputs::new(aws::cloud());
    inputs.set(FieldId::ORG_ID, ORG);
    inputs.set(aws::ROLE_ARN, "arn:aws:iam::123456789012:role/openai-ekm");
    if path == SetupPath::Api {
        inputs.set(aws::EXTERNAL_ID, ORG);
    }
    // Step 1 first: it makes the key whose ARN the later blocks name.
    let create = one_block(aws::cloud(), path, &inputs, aws::CREATE_KEY_COMMANDS);
    let key_arn = must_run(&create, dir.path(), &env)
        .stdout
        .trim()
        .to_string();
    assert!(
        key_arn.starts_with("arn:aws:kms:us-east-1:123456789012:key/"),
        "{key_arn}"
    );
    // An alias recorded instead of the key: the look-up block prints the key behind it.
    let alias = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "aws kms create-alias --alias-name alias/openai-ekm --target-key-id {key_arn}"
        ))
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(alias.status.success(), "{alias:?}");
    inputs.set(
        aws::KMS_ARN,
        "arn:aws:kms:us-east-1:123456789012:alias/openai-ekm",
    );
    let lookup = one_block(aws::cloud(), path, &inputs, aws::ALIAS_TARGET_COMMAND);
    assert_eq!(must_run(&lookup, dir.path(), &env).stdout.trim(), key_arn);
    inputs.set(aws::KMS_ARN, &key_arn);
    for block in command_blocks(aws::cloud(), path, &inputs) {
        if matches!(
            block.artifact,
            aws::CREATE_KEY_COMMANDS
                | ArtifactId::REGISTRATION_COMMANDS
                | ArtifactId::CREATE_PROJECT_COMMAND
        ) {
            continue;
        }
        must_run(&block, dir.path(), &env);
        if block.artifact == aws::READ_KEY_POLICY_COMMAND {
            let saved = std::fs::read_to_string(dir.path().join("key-policy.json")).unwrap();
            let policy: Value = serde_json::from_str(&saved).expect("the key policy is JSON");
            assert!(policy["Statement"].is_array(), "{policy:#}");
        }
    }
    // What the commands built passes every check: verified.
    let mut check = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"));
    let state = tempfile::tempdir().unwrap();
    check.env("EKM_WIZARD_STATE_DIR", state.path());
    check
        .args(["check", "aws", "--org-id", ORG, "--kms-arn", &key_arn])
        .args(["--role-arn", "arn:aws:iam::123456789012:role/openai-ekm"])
        .arg("--json");
    // On the ChatGPT path OpenAI presents the org id: the ExternalId's default, so no flag.
    if path == SetupPath::Api {
        check.args(["--external-id", ORG]);
    }
    for (name, value) in &env {
        check.env(name, value);
    }
    let output = check.output().unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{report:#}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(report["verdict"], "verified", "{report:#}");
}

#[test]
fn every_aws_command_of_the_api_path_runs_as_printed_and_the_result_is_verified() {
    replay_aws(SetupPath::Api);
}

#[test]
fn every_aws_command_of_the_chatgpt_path_runs_as_printed_and_the_result_is_verified() {
    replay_aws(SetupPath::ChatGpt);
}

// ---------------------------------------------------------------------------------------------
// Azure and OpenAI: az and curl through the HTTPS stand-in, in front of a recording fake of
// Entra ID, Microsoft Graph, Azure Resource Manager, Key Vault and OpenAI's Management API.

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SUBSCRIPTION: &str = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
const APP: &str = "20a14814-5ab7-4612-a671-1382b412bf93";
const KEY_NAME: &str = "org-abc123--openai-ekm";
const ARM: &str = "/management.azure.com";
const VAULT_HOST: &str = "/contoso-ekm.vault.azure.net";
/// The admin key the curl commands read from the environment: it must arrive as a header and
/// nowhere else.
const ADMIN_KEY: &str = "sk-admin-REPLAY-canary-0123456789abcdef";
/// The test's own service principal, signed in to az the way an automation account would be.
const ADMIN_APP: &str = "11111111-2222-3333-4444-555555555555";

fn azure_inputs() -> Inputs {
    let mut inputs = Inputs::new(azure::cloud());
    for (field, value) in [
        (FieldId::ORG_ID, ORG),
        (azure::TENANT_ID, TENANT),
        (azure::VAULT_URI, "contoso-ekm.vault.azure.net"),
        (azure::KEY_NAME, KEY_NAME),
        (azure::SUBSCRIPTION_ID, SUBSCRIPTION),
        (azure::RESOURCE_GROUP, "rg-ekm"),
    ] {
        inputs.set(field, value);
    }
    inputs
}

/// An access token shaped like Entra ID's: a JWT whose claims name the tenant.
fn entra_token() -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(
        json!({"tid": TENANT, "appid": ADMIN_APP, "oid": "6e2f1a0b-0000-4000-8000-000000000001"})
            .to_string(),
    );
    format!("{header}.{claims}.c2lnbmF0dXJl")
}

fn vault_scope() -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ekm/providers/Microsoft.KeyVault/vaults/contoso-ekm"
    )
}

fn vault(rbac: bool, purge_protection: bool) -> Value {
    json!({
        "id": vault_scope(),
        "name": "contoso-ekm",
        "type": "Microsoft.KeyVault/vaults",
        "location": "eastus",
        "properties": {
            "tenantId": TENANT,
            "sku": {"family": "A", "name": "standard"},
            "accessPolicies": [],
            "vaultUri": "https://contoso-ekm.vault.azure.net/",
            "enableSoftDelete": true,
            "softDeleteRetentionInDays": 90,
            "enableRbacAuthorization": rbac,
            "enablePurgeProtection": if purge_protection { json!(true) } else { Value::Null },
            "provisioningState": "Succeeded",
        }
    })
}

fn key_bundle() -> Value {
    json!({
        "key": {
            "kid": format!("https://contoso-ekm.vault.azure.net/keys/{KEY_NAME}/0123456789abcdef0123456789abcdef"),
            "kty": "RSA",
            "key_ops": ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
            "n": "u1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0_IzW7yWR7QkrmBL7jTKEn5u-qKhbwKfBstIs-bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW_VDL5AaWTg0nLVkjRo9z-40RQzuVaE8AkAFmxZzow3x-VJYKdjykkJ0iT9wCS0DRTXu269V264Vf_3jvredZiKRkgwlL9xNAwxXFg0x_XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC-9aGVd-Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmw",
            "e": "AQAB",
        },
        "attributes": {"enabled": true, "created": 1764460800, "updated": 1764460800, "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90},
    })
}

/// Key Vault's data plane asks for a token first: an unauthenticated request gets the
/// challenge that names the tenant and the resource.
fn vault_data_route(
    fake: &FakeCloud,
    method: &str,
    path: &str,
    answer: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
) {
    fake.on_fn(method, path, move |seen| {
        if seen.authorization.is_empty() {
            return Reply::with(401, json!({"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer or PoP token."}}))
                .header(
                    "WWW-Authenticate",
                    &format!("Bearer authorization=\"https://login.microsoftonline.com/{TENANT}\", resource=\"https://vault.azure.net\""),
                );
        }
        answer(seen)
    });
}

fn microsoft_and_openai_stand_in() -> FakeCloud {
    let fake = FakeCloud::start();
    let login = format!("/login.microsoftonline.com/{TENANT}");
    let authority = format!("https://login.microsoftonline.com/{TENANT}");
    fake.on(
        "GET",
        &format!("{login}/v2.0/.well-known/openid-configuration"),
        Reply::ok(json!({
            "issuer": format!("{authority}/v2.0"),
            "authorization_endpoint": format!("{authority}/oauth2/v2.0/authorize"),
            "token_endpoint": format!("{authority}/oauth2/v2.0/token"),
            "device_authorization_endpoint": format!("{authority}/oauth2/v2.0/devicecode"),
            "end_session_endpoint": format!("{authority}/oauth2/v2.0/logout"),
            "jwks_uri": format!("https://login.microsoftonline.com/{TENANT}/discovery/v2.0/keys"),
            "tenant_region_scope": "NA",
        })),
    );
    fake.on_fn("POST", &format!("{login}/oauth2/v2.0/token"), |_| {
        Reply::ok(json!({
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": entra_token(),
        }))
    });
    fake.on(
        "GET",
        &format!("{ARM}/subscriptions"),
        Reply::ok(json!({"value": [{
            "id": format!("/subscriptions/{SUBSCRIPTION}"),
            "subscriptionId": SUBSCRIPTION,
            "tenantId": TENANT,
            "displayName": "Contoso",
            "state": "Enabled",
            "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off"},
            "authorizationSource": "RoleBased",
        }]})),
    );
    // Graph: OpenAI's application lives in OpenAI's tenant, so it is not listed here.
    fake.on(
        "GET",
        "/graph.microsoft.com/v1.0/applications",
        Reply::ok(json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#applications", "value": []})),
    );
    fake.on_fn(
        "POST",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        |seen| {
            let mut created = seen.json();
            created["id"] = json!("4f1a6c1e-8d8b-4c31-9a52-0c0e4b1f2a77");
            created["displayName"] = json!("EKM - OpenAI Azure");
            created["accountEnabled"] = json!(true);
            created["servicePrincipalType"] = json!("Application");
            created["servicePrincipalNames"] = json!([created["appId"].clone()]);
            Reply::with(201, created)
        },
    );
    let definitions = format!(
        "{ARM}/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/"
    );
    fake.on_prefix("PUT", &definitions, |seen| {
        let mut definition = seen.json();
        definition["id"] = json!(seen.path.trim_start_matches(ARM));
        definition["name"] = json!(seen.path.rsplit('/').next().unwrap_or_default());
        definition["type"] = json!("Microsoft.Authorization/roleDefinitions");
        definition["properties"]["type"] = json!("CustomRole");
        Reply::with(201, definition)
    });
    fake.on(
        "GET",
        &format!("{ARM}/subscriptions/{SUBSCRIPTION}/resourcegroups/rg-ekm"),
        Reply::ok(json!({
            "id": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ekm"),
            "name": "rg-ekm",
            "type": "Microsoft.Resources/resourceGroups",
            "location": "eastus",
            "properties": {"provisioningState": "Succeeded"},
        })),
    );
    // The vault: missing until created, then what the last write made it.
    let state: std::sync::Arc<std::sync::Mutex<Option<Value>>> = Default::default();
    let vault_path = format!("{ARM}{}", vault_scope());
    let read = std::sync::Arc::clone(&state);
    fake.on_fn("GET", &vault_path, move |_| match read.lock().unwrap().clone() {
        Some(vault) => Reply::ok(vault),
        None => Reply::azure(
            404,
            "ResourceNotFound",
            "The Resource 'Microsoft.KeyVault/vaults/contoso-ekm' under resource group 'rg-ekm' was not found.",
            None,
        ),
    });
    for method in ["PUT", "PATCH"] {
        let write = std::sync::Arc::clone(&state);
        fake.on_fn(method, &vault_path, move |seen| {
            let mut current = write.lock().unwrap();
            let mut vault = current.clone().unwrap_or_else(|| vault(false, false));
            let body = seen.json();
            if let Some(location) = body.get("location") {
                vault["location"] = location.clone();
            }
            for (field, value) in body["properties"].as_object().cloned().unwrap_or_default() {
                vault["properties"][field] = value;
            }
            vault["properties"]["provisioningState"] = json!("Succeeded");
            *current = Some(vault.clone());
            Reply::ok(vault)
        });
    }
    let keys = format!("{VAULT_HOST}/keys/{KEY_NAME}");
    vault_data_route(&fake, "POST", &format!("{keys}/create"), |_| {
        Reply::ok(key_bundle())
    });
    vault_data_route(&fake, "PUT", &format!("{keys}/rotationpolicy"), |seen| {
        let mut policy = seen.json();
        policy["id"] = json!(format!(
            "https://contoso-ekm.vault.azure.net/keys/{KEY_NAME}/rotationpolicy"
        ));
        Reply::ok(policy)
    });
    // The role assignment at the key: the role found by name, OpenAI's principal by app id.
    let key_scope = format!("{}/keys/{KEY_NAME}", vault_scope());
    let role_id = format!(
        "/subscriptions/{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/9f2e5b8a-1111-4c4c-8888-0123456789ab"
    );
    fake.on(
        "GET",
        &format!("{ARM}{key_scope}/providers/Microsoft.Authorization/roleDefinitions"),
        Reply::ok(json!({"value": [{
            "id": role_id,
            "name": "9f2e5b8a-1111-4c4c-8888-0123456789ab",
            "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {
                "roleName": "OpenAI EKM key user",
                "type": "CustomRole",
                "permissions": [{"actions": [], "notActions": [], "dataActions": [
                    "Microsoft.KeyVault/vaults/keys/encrypt/action",
                    "Microsoft.KeyVault/vaults/keys/decrypt/action",
                    "Microsoft.KeyVault/vaults/keys/read"], "notDataActions": []}],
                "assignableScopes": [format!("/subscriptions/{SUBSCRIPTION}")],
            }
        }]})),
    );
    fake.on(
        "GET",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::ok(json!({"value": [{
            "id": "4f1a6c1e-8d8b-4c31-9a52-0c0e4b1f2a77",
            "appId": APP,
            "displayName": "EKM - OpenAI Azure",
            "accountEnabled": true,
            "servicePrincipalType": "Application",
            "servicePrincipalNames": [APP],
        }]})),
    );
    fake.on_prefix(
        "PUT",
        &format!("{ARM}{key_scope}/providers/Microsoft.Authorization/roleAssignments/"),
        |seen| {
            let body = seen.json();
            Reply::with(
                201,
                json!({
                    "id": seen.path.trim_start_matches(ARM),
                    "name": seen.path.rsplit('/').next().unwrap_or_default(),
                    "type": "Microsoft.Authorization/roleAssignments",
                    "properties": {
                        "roleDefinitionId": body["properties"]["roleDefinitionId"],
                        "principalId": body["properties"]["principalId"],
                        "principalType": body["properties"]["principalType"],
                        "scope": seen.path.trim_start_matches(ARM).split("/providers/Microsoft.Authorization").next(),
                    }
                }),
            )
        },
    );
    // OpenAI's Management API.
    fake.on_fn(
        "POST",
        "/api.openai.com/v1/organization/external_keys",
        |seen| {
            let mut key = seen.json();
            key["id"] = json!("extkey_replay0001");
            key["object"] = json!("organization.external_key");
            key["created_at"] = json!(1764460800);
            key["api_project_ids"] = json!([]);
            Reply::ok(key)
        },
    );
    fake.on_fn("POST", "/api.openai.com/v1/organization/projects", |seen| {
        let body = seen.json();
        Reply::ok(json!({
            "object": "organization.project",
            "id": "proj_replay0001",
            "name": body["name"],
            "created_at": 1764460800,
            "archived_at": null,
            "status": "active",
            "external_key_id": body["external_key_id"],
        }))
    });
    fake
}

fn az_env(stand_in: &TlsStandIn, config: &std::path::Path) -> Vec<(String, String)> {
    let mut env = stand_in.env();
    env.extend([
        ("PATH".to_string(), path_with(&[az_dir()])),
        ("AZURE_CONFIG_DIR".into(), config.display().to_string()),
        ("AZURE_CORE_COLLECT_TELEMETRY".into(), "false".into()),
        ("AZURE_CORE_NO_COLOR".into(), "true".into()),
        ("AZURE_CORE_ONLY_SHOW_ERRORS".into(), "true".into()),
        ("OPENAI_ADMIN_KEY".into(), ADMIN_KEY.into()),
    ]);
    env
}

fn replay_azure(path: SetupPath) {
    let fake = microsoft_and_openai_stand_in();
    let stand_in = TlsStandIn::start(fake.port);
    let config = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let env = az_env(&stand_in, config.path());
    // The admin is signed in (here as an automation account; a person would `az login`).
    let login = support::replay::run_block(
        &Block {
            step: 0,
            artifact: azure::SERVICE_PRINCIPAL_AZ_COMMAND,
            text: format!(
                "az login --service-principal --username {ADMIN_APP} --password not-a-secret --tenant {TENANT} --output none"
            ),
        },
        dir.path(),
        &env,
    );
    assert_eq!(
        login.code,
        Some(0),
        "az login: {}\n{}",
        login.stdout,
        login.stderr
    );
    let mut inputs = azure_inputs();
    let blocks = command_blocks(azure::cloud(), path, &inputs);
    for block in &blocks {
        let block = if block.artifact == ArtifactId::CREATE_PROJECT_COMMAND {
            // The admin puts in the id the registration answered.
            inputs.set(FieldId::NAME, "Azure EKM key");
            Block {
                text: block.text.replace(
                    ekm_wizard::artifacts::EXTERNAL_KEY_PLACEHOLDER,
                    "extkey_replay0001",
                ),
                ..block.clone()
            }
        } else {
            block.clone()
        };
        must_run(&block, dir.path(), &env);
    }
    let seen = fake.seen();
    for request in &seen {
        assert!(
            !request.body.contains(ADMIN_KEY) && !request.query.contains(ADMIN_KEY),
            "the admin key went somewhere else than the Authorization header: {request:?}"
        );
    }
    let created = seen_one(&seen, "POST", "/graph.microsoft.com/v1.0/servicePrincipals");
    assert_eq!(created.json(), json!({"appId": APP}));
    assert!(
        created.authorization.starts_with("Bearer ey"),
        "the Graph token reached curl as a header"
    );
    let definition = seen
        .iter()
        .find(|s| s.method == "PUT" && s.path.contains("/roleDefinitions/"))
        .expect("the role definition was created")
        .json();
    assert_eq!(
        definition["properties"]["permissions"][0]["dataActions"],
        json!([
            "Microsoft.KeyVault/vaults/keys/encrypt/action",
            "Microsoft.KeyVault/vaults/keys/decrypt/action",
            "Microsoft.KeyVault/vaults/keys/read"
        ])
    );
    let vault_path = format!("{ARM}{}", vault_scope());
    let writes: Vec<Value> = seen
        .iter()
        .filter(|s| (s.method == "PUT" || s.method == "PATCH") && s.path == vault_path)
        .map(Seen::json)
        .collect();
    assert_eq!(
        writes.len(),
        3,
        "create, RBAC, purge protection: {writes:#?}"
    );
    assert_eq!(writes[0]["properties"]["enableRbacAuthorization"], true);
    assert_eq!(writes[0]["properties"]["enablePurgeProtection"], true);
    assert_eq!(writes[1]["properties"]["enableRbacAuthorization"], true);
    assert_eq!(writes[2]["properties"]["enablePurgeProtection"], true);
    let key = seen
        .iter()
        .filter(|s| s.path == format!("{VAULT_HOST}/keys/{KEY_NAME}/create"))
        .find(|s| !s.authorization.is_empty())
        .expect("the key was created after the vault's challenge")
        .json();
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["key_size"], 3072);
    let assignment = seen
        .iter()
        .find(|s| s.method == "PUT" && s.path.contains("/roleAssignments/"))
        .expect("the role was assigned");
    assert!(
        assignment
            .path
            .starts_with(&format!("{vault_path}/keys/{KEY_NAME}/providers/")),
        "at the key's scope, not the vault's: {}",
        assignment.path
    );
    let assignment = assignment.json();
    assert_eq!(
        assignment["properties"]["principalId"],
        "4f1a6c1e-8d8b-4c31-9a52-0c0e4b1f2a77"
    );
    assert!(
        assignment["properties"]["roleDefinitionId"]
            .as_str()
            .unwrap()
            .ends_with("9f2e5b8a-1111-4c4c-8888-0123456789ab")
    );
    let rotation = seen
        .iter()
        .filter(|s| s.path == format!("{VAULT_HOST}/keys/{KEY_NAME}/rotationpolicy"))
        .find(|s| !s.authorization.is_empty())
        .expect("the rotation policy was set")
        .json();
    assert_eq!(
        rotation["lifetimeActions"][0]["trigger"]["timeAfterCreate"],
        "P90D"
    );
    if path == SetupPath::Api {
        let register = seen_one(
            &seen,
            "POST",
            "/api.openai.com/v1/organization/external_keys",
        );
        assert_eq!(register.authorization, format!("Bearer {ADMIN_KEY}"));
        assert_eq!(
            register.json(),
            json!({"type": "azure", "name": "Azure EKM key", "tenant_id": TENANT,
                "vault_uri": "https://contoso-ekm.vault.azure.net/", "key_name": KEY_NAME})
        );
        let project = seen_one(&seen, "POST", "/api.openai.com/v1/organization/projects");
        assert_eq!(project.authorization, format!("Bearer {ADMIN_KEY}"));
        assert_eq!(project.json()["external_key_id"], "extkey_replay0001");
    }
}

#[test]
fn every_az_and_curl_command_of_the_api_path_runs_as_printed() {
    replay_azure(SetupPath::Api);
}

#[test]
fn every_az_command_of_the_chatgpt_path_runs_as_printed() {
    replay_azure(SetupPath::ChatGpt);
}

/// The registration calls of every cloud, as printed, reach OpenAI's API with the admin key
/// in the Authorization header only, and the body the guide means.
#[test]
fn every_clouds_curl_registration_runs_as_printed() {
    let fake = microsoft_and_openai_stand_in();
    let stand_in = TlsStandIn::start(fake.port);
    let dir = tempfile::tempdir().unwrap();
    let mut env = stand_in.env();
    env.push(("OPENAI_ADMIN_KEY".into(), ADMIN_KEY.into()));
    let mut aws = Inputs::new(aws::cloud());
    for (field, value) in [
        (FieldId::ORG_ID, ORG),
        (aws::EXTERNAL_ID, ORG),
        (
            aws::KMS_ARN,
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        ),
        (aws::ROLE_ARN, "arn:aws:iam::123456789012:role/openai-ekm"),
    ] {
        aws.set(field, value);
    }
    for (cloud, inputs) in [
        (aws::cloud(), aws),
        (gcp::cloud(), gcp_inputs()),
        (azure::cloud(), azure_inputs()),
    ] {
        let before = fake.seen().len();
        let register = one_block(
            cloud,
            SetupPath::Api,
            &inputs,
            ArtifactId::REGISTRATION_COMMANDS,
        );
        must_run(&register, dir.path(), &env);
        let mut project = one_block(
            cloud,
            SetupPath::Api,
            &inputs,
            ArtifactId::CREATE_PROJECT_COMMAND,
        );
        project.text = project.text.replace(
            ekm_wizard::artifacts::EXTERNAL_KEY_PLACEHOLDER,
            "extkey_replay0001",
        );
        must_run(&project, dir.path(), &env);
        let seen = &fake.seen()[before..];
        let body = match ekm_wizard::artifacts::generate(
            cloud,
            ArtifactId::REGISTRATION_BODY,
            &inputs,
            SetupPath::Api,
        )
        .unwrap()
        {
            ekm_wizard::artifacts::ArtifactBody::Json(body) => body,
            other => panic!("{other:?}"),
        };
        let sent = seen_one(
            seen,
            "POST",
            "/api.openai.com/v1/organization/external_keys",
        );
        assert_eq!(sent.json(), body, "{cloud:?}");
        assert_eq!(sent.authorization, format!("Bearer {ADMIN_KEY}"));
        let sent = seen_one(seen, "POST", "/api.openai.com/v1/organization/projects");
        assert_eq!(
            sent.json(),
            json!({"name": "EKM project", "external_key_id": "extkey_replay0001"})
        );
        assert!(!register.text.contains(ADMIN_KEY) && !project.text.contains(ADMIN_KEY));
    }
}
