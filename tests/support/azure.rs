//! A fake Azure (management, Graph, the vault) where the Azure guide was followed to the
//! letter; tests break one piece of it at a time.
#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::fake_cloud::{FakeCloud, Reply, Seen};

pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const SUBSCRIPTION: &str = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";
pub const KEY_NAME: &str = "org-abc123--openai-ekm";
pub const SP_OBJECT: &str = "4f1a6c1e-8d8b-4c31-9a52-0c0e4b1f2a77";
pub const APP: &str = "20a14814-5ab7-4612-a671-1382b412bf93";

pub const FLAGS: [&str; 12] = [
    "--org-id",
    "org-abc123",
    "--tenant-id",
    TENANT,
    "--vault-uri",
    "contoso-ekm.vault.azure.net",
    "--key-name",
    KEY_NAME,
    "--subscription-id",
    SUBSCRIPTION,
    "--resource-group",
    "rg-ekm",
];

pub fn vault_scope() -> String {
    format!(
        "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ekm/providers/Microsoft.KeyVault/vaults/contoso-ekm"
    )
}

pub fn key_scope() -> String {
    format!("{}/keys/{KEY_NAME}", vault_scope())
}

pub const VAULT_HOST: &str = "/contoso-ekm.vault.azure.net";
pub const ROLE_DEFINITION: &str = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/providers/Microsoft.Authorization/roleDefinitions/9f2e5b8a-1111-4c4c-8888-0123456789ab";

/// A token shaped like Entra ID's (claims readable), whose signature part is the canary.
pub fn token_for(tenant: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD
        .encode(json!({"tid": tenant, "upn": "admin@contoso.com", "oid": "x"}).to_string());
    format!("{header}.{claims}.CANARY-azure-signature")
}

pub fn good_vault() -> Value {
    json!({
        "id": vault_scope(),
        "name": "contoso-ekm",
        "properties": {
            "vaultUri": "https://contoso-ekm.vault.azure.net/",
            "tenantId": TENANT,
            "enableRbacAuthorization": true,
            "enableSoftDelete": true,
            "enablePurgeProtection": true,
        }
    })
}

pub fn good_key() -> Value {
    json!({
        "key": {
            "kid": format!("https://contoso-ekm.vault.azure.net/keys/{KEY_NAME}/0123456789abcdef"),
            "kty": "RSA",
            "key_ops": ["encrypt", "decrypt", "wrapKey", "unwrapKey"],
            "n": "AQAB", "e": "AQAB"
        },
        "attributes": {"enabled": true, "recoveryLevel": "Recoverable+Purgeable"}
    })
}

pub fn role_definition(data_actions: Value, not_data_actions: Value) -> Value {
    json!({
        "id": ROLE_DEFINITION,
        "properties": {
            "roleName": "OpenAI EKM key user",
            "type": "CustomRole",
            "permissions": [{"actions": [], "notActions": [], "dataActions": data_actions, "notDataActions": not_data_actions}]
        }
    })
}

pub fn assignment_at(scope: &str) -> Value {
    json!({"value": [{
        "id": format!("{scope}/providers/Microsoft.Authorization/roleAssignments/a1"),
        "properties": {"roleDefinitionId": ROLE_DEFINITION, "principalId": SP_OBJECT, "scope": scope}
    }]})
}

/// Key Vault answers a request without a token with a challenge that names its resource.
pub fn vault_route(
    fake: &FakeCloud,
    method: &str,
    path: &str,
    reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
) {
    fake.on_fn(method, path, move |seen| {
        if seen.authorization.is_empty() {
            return Reply::azure(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", None)
                .header(
                    "WWW-Authenticate",
                    &format!("Bearer authorization=\"https://login.microsoftonline.com/{TENANT}\", resource=\"https://vault.azure.net\""),
                );
        }
        reply(seen)
    });
}

pub fn reversed(value: &str) -> String {
    let bytes = URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .unwrap_or_default();
    URL_SAFE_NO_PAD.encode(bytes.iter().rev().copied().collect::<Vec<u8>>())
}

/// A fake Azure where the guide was followed to the letter.
pub fn good_azure() -> FakeCloud {
    let fake = FakeCloud::start();
    fake.on(
        "GET",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::ok(json!({"value": [{"id": SP_OBJECT, "appId": APP, "displayName": "EKM - OpenAI Azure"}]})),
    );
    fake.on(
        "GET",
        &format!("/management.azure.com{}", vault_scope()),
        Reply::ok(good_vault()),
    );
    fake.on(
        "GET",
        &format!(
            "/management.azure.com{}/providers/Microsoft.Authorization/roleAssignments",
            key_scope()
        ),
        Reply::ok(assignment_at(&key_scope())),
    );
    fake.on(
        "GET",
        &format!("/management.azure.com{ROLE_DEFINITION}"),
        Reply::ok(role_definition(
            json!([
                "Microsoft.KeyVault/vaults/keys/encrypt/action",
                "Microsoft.KeyVault/vaults/keys/decrypt/action",
                "Microsoft.KeyVault/vaults/keys/read"
            ]),
            json!([]),
        )),
    );
    set_key(&fake, good_key());
    // The SDK leaves the version segment empty when none is named: `/keys/<name>//encrypt`.
    vault_route(
        &fake,
        "POST",
        &format!("{VAULT_HOST}/keys/{KEY_NAME}//encrypt"),
        |seen| {
            let body = seen.json();
            assert_eq!(body["alg"], "RSA-OAEP-256");
            Reply::ok(json!({
                "kid": format!("https://contoso-ekm.vault.azure.net/keys/{KEY_NAME}/0123456789abcdef"),
                "value": reversed(body["value"].as_str().unwrap_or_default()),
            }))
        },
    );
    vault_route(
        &fake,
        "POST",
        &format!("{VAULT_HOST}/keys/{KEY_NAME}/0123456789abcdef/decrypt"),
        |seen| {
            let body = seen.json();
            Reply::ok(json!({
                "kid": format!("https://contoso-ekm.vault.azure.net/keys/{KEY_NAME}/0123456789abcdef"),
                "value": reversed(body["value"].as_str().unwrap_or_default()),
            }))
        },
    );
    fake
}

pub fn set_key(fake: &FakeCloud, key: Value) {
    for path in [
        format!("{VAULT_HOST}/keys/{KEY_NAME}"),
        format!("{VAULT_HOST}/keys/{KEY_NAME}/"),
    ] {
        let key = key.clone();
        vault_route(fake, "GET", &path, move |_| Reply::ok(key.clone()));
    }
}

pub fn key_refused(fake: &FakeCloud, reply: Reply) {
    for path in [
        format!("{VAULT_HOST}/keys/{KEY_NAME}"),
        format!("{VAULT_HOST}/keys/{KEY_NAME}/"),
    ] {
        let reply = reply.clone();
        vault_route(fake, "GET", &path, move |_| reply.clone());
    }
}
