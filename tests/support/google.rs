//! A fake Google where the GCP guide was followed to the letter, with the values the tests
//! and the bench record; tests break one piece of it at a time.
#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::fake_cloud::{FakeCloud, Reply};

pub const TOKEN: &str = "ya29.CANARY-gcp-token-never-shown";
pub const NUMBER: &str = "123456789012";
pub const POOL: &str = "/iam.googleapis.com/v1/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm";
pub const KMS_PROJECT: &str = "adjective-noun-12345";
pub const KEY: &str = "/cloudkms.googleapis.com/v1/projects/adjective-noun-12345/locations/us-east1/keyRings/openai-kms-key-ring/cryptoKeys/openai-kms-key";
pub const ROLE: &str = "projects/adjective-noun-12345/roles/openaiEkm";
pub const SUBJECT: &str = "105900137572174660365";

pub const FLAGS: [&str; 18] = [
    "--org-id",
    "org-abc123",
    "--workload-identity-project-number",
    NUMBER,
    "--workload-identity-pool-id",
    "openai-ekm",
    "--workload-identity-provider-id",
    "openai-ekm-provider",
    "--kms-project-id",
    KMS_PROJECT,
    "--kms-key-ring-name",
    "openai-kms-key-ring",
    "--kms-key-name",
    "openai-kms-key",
    "--kms-key-location",
    "us-east1",
    "--audience",
    "org-abc123",
];

pub fn provider_path() -> String {
    format!("{POOL}/providers/openai-ekm-provider")
}

pub fn principal() -> String {
    format!(
        "principal://iam.googleapis.com/projects/{NUMBER}/locations/global/workloadIdentityPools/openai-ekm/subject/{SUBJECT}"
    )
}

pub fn good_provider() -> Value {
    json!({
        "name": format!("projects/{NUMBER}/locations/global/workloadIdentityPools/openai-ekm/providers/openai-ekm-provider"),
        "state": "ACTIVE",
        "disabled": false,
        "oidc": {"issuerUri": "https://accounts.google.com", "allowedAudiences": ["org-abc123"]},
        "attributeMapping": {"google.subject": "assertion.sub"},
        "attributeCondition": format!("assertion.sub == \"{SUBJECT}\""),
    })
}

pub fn good_key() -> Value {
    json!({
        "name": "projects/adjective-noun-12345/locations/us-east1/keyRings/openai-kms-key-ring/cryptoKeys/openai-kms-key",
        "purpose": "ENCRYPT_DECRYPT",
        "primary": {"name": "projects/adjective-noun-12345/locations/us-east1/keyRings/openai-kms-key-ring/cryptoKeys/openai-kms-key/cryptoKeyVersions/1", "state": "ENABLED"},
        "rotationPeriod": "7776000s",
    })
}

/// A fake Google where the guide was followed to the letter.
pub fn good_google() -> FakeCloud {
    let fake = FakeCloud::start();
    fake.on(
        "GET",
        &format!("/cloudresourcemanager.googleapis.com/v3/projects/{NUMBER}"),
        Reply::ok(json!({"name": format!("projects/{NUMBER}"), "projectId": "pool-project", "state": "ACTIVE"})),
    );
    fake.on(
        "GET",
        POOL,
        Reply::ok(json!({"name": "pool", "state": "ACTIVE", "disabled": false})),
    );
    fake.on("GET", &provider_path(), Reply::ok(good_provider()));
    for project in [KMS_PROJECT, NUMBER] {
        fake.on(
            "GET",
            &format!("/serviceusage.googleapis.com/v1/projects/{project}/services/cloudkms.googleapis.com"),
            Reply::ok(json!({"name": "cloudkms", "state": "ENABLED"})),
        );
    }
    fake.on("GET", KEY, Reply::ok(good_key()));
    fake.on(
        "GET",
        &format!("{KEY}:getIamPolicy"),
        Reply::ok(json!({"version": 1, "bindings": [{"role": ROLE, "members": [principal()]}]})),
    );
    fake.on(
        "GET",
        &format!("/iam.googleapis.com/v1/{ROLE}"),
        Reply::ok(json!({"name": ROLE, "includedPermissions": [
            "cloudkms.cryptoKeyVersions.useToEncrypt", "cloudkms.cryptoKeyVersions.useToDecrypt"]})),
    );
    fake.on_fn("POST", &format!("{KEY}:encrypt"), |seen| {
        let plain = STANDARD
            .decode(seen.json()["plaintext"].as_str().unwrap_or_default())
            .unwrap_or_default();
        let sealed: Vec<u8> = plain.iter().rev().copied().collect();
        Reply::ok(json!({"name": "v1", "ciphertext": STANDARD.encode(sealed)}))
    });
    fake.on_fn("POST", &format!("{KEY}:decrypt"), |seen| {
        let sealed = STANDARD
            .decode(seen.json()["ciphertext"].as_str().unwrap_or_default())
            .unwrap_or_default();
        let plain: Vec<u8> = sealed.iter().rev().copied().collect();
        Reply::ok(json!({"plaintext": STANDARD.encode(plain)}))
    });
    fake
}
