//! A stateful stand-in of what the Azure setup makes, written from Microsoft's references:
//! Microsoft Graph `servicePrincipals` (list with `$filter=appId eq`, create), Azure Resource
//! Manager role definitions (list with `$filter=roleName eq`, PUT by GUID, GET by id), role
//! assignments at the key's scope (list with `$filter=principalId eq`, PUT by GUID: 409
//! RoleAssignmentExists for an equal one, 400 PrincipalNotFound while a new principal has not
//! replicated, 403 AuthorizationFailed when refused), the vault (GET, PATCH of
//! `enableRbacAuthorization`) and Key Vault keys (GET, `create`). Everything else answers as
//! the guide's finished setup (`good_azure`), so the checks run after an apply.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::azure::*;
use super::fake_cloud::{FakeCloud, Reply, Seen};

#[derive(Default)]
pub struct World {
    pub principals: Vec<Value>,
    pub roles: Vec<Value>,
    pub assignments: Vec<Value>,
    pub vault: Value,
    pub key: Option<Value>,
    /// A principal made a moment ago: ARM does not know it for the next assignment.
    pub principal_settling: bool,
    /// Role assignments are refused (403).
    pub refuse_assignments: bool,
}

pub struct AzureWorld {
    pub fake: FakeCloud,
    pub world: Arc<Mutex<World>>,
}

fn decoded(query: &str) -> String {
    let mut out = Vec::new();
    let bytes = query.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&query[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The quoted value of `field eq '…'` in a `$filter`.
fn filtered(query: &str, field: &str) -> Option<String> {
    let query = decoded(query);
    let at = query.find(&format!("{field} eq '"))? + field.len() + 5;
    let rest = &query[at..];
    Some(rest[..rest.find('\'')?].to_string())
}

const ROLES: &str = "/management.azure.com/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/providers/Microsoft.Authorization/roleDefinitions";

impl AzureWorld {
    /// Nothing made yet but the resource group (in westeurope).
    pub fn empty() -> AzureWorld {
        let world = AzureWorld::with_vault(true);
        world.world.lock().unwrap().vault = Value::Null;
        world
    }

    /// Nothing made yet but the vault (on access policies when `rbac` is false).
    pub fn with_vault(rbac: bool) -> AzureWorld {
        let fake = good_azure();
        fake.on(
            "GET",
            &format!("/management.azure.com/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ekm"),
            Reply::ok(json!({"id": format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ekm"), "name": "rg-ekm", "location": "westeurope"})),
        );
        let mut vault = good_vault();
        vault["properties"]["enableRbacAuthorization"] = json!(rbac);
        let world = Arc::new(Mutex::new(World {
            vault,
            ..Default::default()
        }));
        let w = Arc::clone(&world);
        fake.on_fn(
            "GET",
            "/graph.microsoft.com/v1.0/servicePrincipals",
            move |seen| {
                let app = filtered(&seen.query, "appId").unwrap_or_default();
                let world = w.lock().unwrap();
                let found: Vec<Value> = world
                    .principals
                    .iter()
                    .filter(|p| p["appId"] == app.as_str())
                    .cloned()
                    .collect();
                Reply::ok(json!({"value": found}))
            },
        );
        let w = Arc::clone(&world);
        fake.on_fn("POST", "/graph.microsoft.com/v1.0/servicePrincipals", move |seen| {
            let mut world = w.lock().unwrap();
            let app = seen.json()["appId"].as_str().unwrap_or_default().to_string();
            if world.principals.iter().any(|p| p["appId"] == app.as_str()) {
                return Reply::azure(409, "Request_MultipleObjectsWithSameKeyValue", "Another object with the same value for property servicePrincipalNames already exists.", None);
            }
            let principal = json!({"id": SP_OBJECT, "appId": app, "displayName": "EKM - OpenAI Azure"});
            world.principals.push(principal.clone());
            world.principal_settling = true;
            Reply::with(201, principal)
        });
        let w = Arc::clone(&world);
        fake.on_fn("GET", ROLES, move |seen| {
            let name = filtered(&seen.query, "roleName").unwrap_or_default();
            let world = w.lock().unwrap();
            let found: Vec<Value> = world
                .roles
                .iter()
                .filter(|r| r["properties"]["roleName"] == name.as_str())
                .cloned()
                .collect();
            Reply::ok(json!({"value": found}))
        });
        fake.remove("GET", &format!("/management.azure.com{ROLE_DEFINITION}"));
        let w = Arc::clone(&world);
        fake.on_prefix("GET", &format!("{ROLES}/"), move |seen| {
            let id = seen.path.trim_start_matches("/management.azure.com");
            let world = w.lock().unwrap();
            match world
                .roles
                .iter()
                .find(|r| r["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
            {
                Some(role) => Reply::ok(role.clone()),
                None => Reply::azure(
                    404,
                    "RoleDefinitionDoesNotExist",
                    "The specified role definition does not exist.",
                    None,
                ),
            }
        });
        let w = Arc::clone(&world);
        fake.on_prefix("PUT", &format!("{ROLES}/"), move |seen| {
            let id = seen
                .path
                .trim_start_matches("/management.azure.com")
                .to_string();
            let guid = id.rsplit('/').next().unwrap_or_default().to_string();
            let mut world = w.lock().unwrap();
            let mut role = seen.json();
            role["id"] = json!(id);
            role["name"] = json!(guid);
            role["type"] = json!("Microsoft.Authorization/roleDefinitions");
            world.roles.retain(|r| r["id"] != role["id"]);
            world.roles.push(role.clone());
            Reply::with(201, role)
        });
        let scope = key_scope();
        let w = Arc::clone(&world);
        let listed = format!(
            "/management.azure.com{scope}/providers/Microsoft.Authorization/roleAssignments"
        );
        fake.on_fn("GET", &listed, move |seen| {
            let principal = filtered(&seen.query, "principalId").unwrap_or_default();
            let world = w.lock().unwrap();
            let found: Vec<Value> = world
                .assignments
                .iter()
                .filter(|a| a["properties"]["principalId"] == principal.as_str())
                .cloned()
                .collect();
            Reply::ok(json!({"value": found}))
        });
        let w = Arc::clone(&world);
        fake.on_prefix("PUT", &format!("{listed}/"), move |seen: &Seen| {
            let mut world = w.lock().unwrap();
            if world.refuse_assignments {
                return Reply::azure(403, "AuthorizationFailed", "The client 'admin@contoso.com' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope.", None);
            }
            let body = seen.json();
            let principal = body["properties"]["principalId"].clone();
            if world.principal_settling {
                world.principal_settling = false;
                return Reply::azure(400, "PrincipalNotFound", &format!("Principal {} does not exist in the directory {TENANT}. Check that you have the correct principal ID.", principal.as_str().unwrap_or_default()), None);
            }
            let role = body["properties"]["roleDefinitionId"].clone();
            if world
                .assignments
                .iter()
                .any(|a| a["properties"]["principalId"] == principal && a["properties"]["roleDefinitionId"] == role)
            {
                return Reply::azure(409, "RoleAssignmentExists", "The role assignment already exists.", None);
            }
            let id = seen.path.trim_start_matches("/management.azure.com").to_string();
            let assignment = json!({
                "id": id,
                "properties": {"roleDefinitionId": role, "principalId": principal, "scope": key_scope()},
            });
            world.assignments.push(assignment.clone());
            Reply::with(201, assignment)
        });
        let vault_path = format!("/management.azure.com{}", vault_scope());
        let w = Arc::clone(&world);
        fake.on_fn("GET", &vault_path, move |_| {
            let vault = w.lock().unwrap().vault.clone();
            if vault.is_null() {
                return Reply::azure(
                    404,
                    "ResourceNotFound",
                    "The Resource 'Microsoft.KeyVault/vaults/contoso-ekm' under resource group 'rg-ekm' was not found.",
                    None,
                );
            }
            Reply::ok(vault)
        });
        let w = Arc::clone(&world);
        fake.on_fn("PUT", &vault_path, move |seen| {
            let body = seen.json();
            let mut world = w.lock().unwrap();
            let mut vault = good_vault();
            vault["location"] = body["location"].clone();
            if let Some(fields) = body["properties"].as_object() {
                for (name, value) in fields {
                    vault["properties"][name] = value.clone();
                }
            }
            world.vault = vault.clone();
            Reply::ok(vault)
        });
        let w = Arc::clone(&world);
        fake.on_fn("PATCH", &vault_path, move |seen| {
            let mut world = w.lock().unwrap();
            if let Some(fields) = seen.json()["properties"].as_object() {
                for (name, value) in fields {
                    world.vault["properties"][name] = value.clone();
                }
            }
            Reply::ok(world.vault.clone())
        });
        for path in [
            format!("{VAULT_HOST}/keys/{KEY_NAME}"),
            format!("{VAULT_HOST}/keys/{KEY_NAME}/"),
        ] {
            let w = Arc::clone(&world);
            vault_route(&fake, "GET", &path, move |_| match &w.lock().unwrap().key {
                Some(key) => Reply::ok(key.clone()),
                None => Reply::azure(
                    404,
                    "KeyNotFound",
                    &format!("A key with (name/id) {KEY_NAME} was not found in this key vault."),
                    None,
                ),
            });
        }
        let w = Arc::clone(&world);
        vault_route(
            &fake,
            "POST",
            &format!("{VAULT_HOST}/keys/{KEY_NAME}/create"),
            move |seen| {
                let body = seen.json();
                assert_eq!(body["kty"], "RSA");
                assert_eq!(body["key_size"], 3072);
                let key = good_key();
                w.lock().unwrap().key = Some(key.clone());
                Reply::ok(key)
            },
        );
        AzureWorld { fake, world }
    }
}
