//! `ekm-wizard apply azure` against a stateful stand-in of Graph, Resource Manager and Key
//! Vault (written from Microsoft's references): OpenAI's service principal, the custom role,
//! the vault switched to RBAC with consent, the key, and the assignment through a principal
//! not yet replicated; a second run writes nothing; a refused assignment stops the run naming
//! the permission, and the next run continues.

mod support;

use std::process::Command;

use serde_json::Value;
use support::azure::{FLAGS, KEY_NAME, SP_OBJECT, TENANT, token_for};
use support::azure_world::AzureWorld;

fn apply(world: &AzureWorld, extra: &[&str]) -> (Option<i32>, Value) {
    let home = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args(["apply", "azure"])
        .args(FLAGS)
        .args(["--yes", "--json", "--timeout", "10"])
        .args(extra)
        .env("EKM_AZURE_API_URL", world.fake.base())
        .env("EKM_AZURE_ACCESS_TOKEN", token_for(TENANT))
        .env("AZURE_CONFIG_DIR", home.path())
        .env("EKM_WIZARD_STATE_DIR", home.path())
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("AZURE_CLIENT_ID")
        .output()
        .unwrap();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code(), report)
}

fn change_of<'a>(report: &'a Value, id: &str) -> &'a str {
    report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == id)
        .and_then(|p| p["change"].as_str())
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

fn writes(world: &AzureWorld) -> usize {
    world
        .fake
        .seen()
        .iter()
        .filter(|s| s.method != "GET" && !s.path.ends_with("crypt"))
        .count()
}

#[test]
fn from_nothing_but_a_vault_to_verified_with_consent_for_the_vault_then_nothing_to_do() {
    let world = AzureWorld::with_vault(false);
    let (code, report) = apply(&world, &[]);
    assert_eq!(
        change_of(&report, "service-principal"),
        "create",
        "{report:#}"
    );
    assert_eq!(change_of(&report, "role"), "create");
    assert_eq!(change_of(&report, "vault"), "differs");
    assert_ne!(
        code,
        Some(0),
        "without --allow-update the vault stays on access policies"
    );
    assert_eq!(
        world.world.lock().unwrap().vault["properties"]["enableRbacAuthorization"],
        false
    );

    let (code, report) = apply(&world, &["--allow-update"]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "verified");
    let state = world.world.lock().unwrap();
    assert_eq!(state.vault["properties"]["enableRbacAuthorization"], true);
    assert_eq!(
        state.principals[0]["appId"],
        "20a14814-5ab7-4612-a671-1382b412bf93"
    );
    let role = &state.roles[0]["properties"];
    assert_eq!(role["type"], "CustomRole");
    assert_eq!(
        role["permissions"][0]["dataActions"],
        serde_json::json!([
            "Microsoft.KeyVault/vaults/keys/encrypt/action",
            "Microsoft.KeyVault/vaults/keys/decrypt/action",
            "Microsoft.KeyVault/vaults/keys/read"
        ])
    );
    assert_eq!(state.assignments.len(), 1);
    assert_eq!(state.assignments[0]["properties"]["principalId"], SP_OBJECT);
    assert!(
        state.assignments[0]["id"]
            .as_str()
            .unwrap()
            .contains(&format!(
                "/keys/{KEY_NAME}/providers/Microsoft.Authorization/roleAssignments/"
            ))
    );
    assert!(state.key.is_some());
    drop(state);
    let puts = world
        .fake
        .seen()
        .iter()
        .filter(|s| s.method == "PUT" && s.path.contains("roleAssignments"))
        .count();
    assert_eq!(
        puts, 2,
        "the new principal was not replicated at first: asked again"
    );

    let before = writes(&world);
    let (code, again) = apply(&world, &[]);
    assert_eq!(code, Some(0), "{again:#}");
    assert_eq!(writes(&world), before, "a second run writes nothing");
    for planned in again["plan"].as_array().unwrap() {
        assert_eq!(planned["change"], "as-wanted", "{planned}");
    }
}

#[test]
fn a_refused_assignment_stops_the_run_and_the_next_run_continues() {
    let world = AzureWorld::with_vault(true);
    world.world.lock().unwrap().refuse_assignments = true;
    let (code, report) = apply(&world, &[]);
    assert_eq!(code, Some(1), "{report:#}");
    assert!(
        report["stopped"]
            .as_str()
            .unwrap()
            .contains("stopped at the role assignment")
    );
    let refused = report["done"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["applied"]["outcome"] == "refused")
        .unwrap();
    assert!(
        refused["applied"]["why"]
            .as_str()
            .unwrap()
            .contains("Microsoft.Authorization/roleAssignments/write is not allowed")
    );
    world.world.lock().unwrap().refuse_assignments = false;
    let (code, report) = apply(&world, &[]);
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(change_of(&report, "service-principal"), "as-wanted");
    assert_eq!(change_of(&report, "role"), "as-wanted");
    assert_eq!(change_of(&report, "assignment"), "create");
}

#[test]
fn from_an_empty_resource_group_the_vault_is_made_in_its_region_on_rbac() {
    let world = AzureWorld::empty();
    let (code, report) = apply(&world, &[]);
    assert_eq!(change_of(&report, "vault"), "create", "{report:#}");
    assert_eq!(change_of(&report, "key"), "create");
    assert_eq!(code, Some(0), "{report:#}");
    assert_eq!(report["verdict"], "verified");
    let state = world.world.lock().unwrap();
    assert_eq!(state.vault["location"], "westeurope");
    assert_eq!(state.vault["properties"]["enableRbacAuthorization"], true);
    assert_eq!(state.vault["properties"]["enablePurgeProtection"], true);
    assert_eq!(state.vault["properties"]["tenantId"], TENANT);
}

#[test]
fn a_service_principal_that_could_not_be_read_leaves_the_assignment_unknown() {
    use support::fake_cloud::Reply;
    let world = AzureWorld::with_vault(true);
    world.fake.on(
        "GET",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::with(
            403,
            serde_json::json!({"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}}),
        ),
    );
    let (code, report) = apply(&world, &[]);
    assert_eq!(code, Some(3), "{report:#}");
    assert_eq!(change_of(&report, "service-principal"), "unknown");
    assert_eq!(change_of(&report, "assignment"), "unknown", "{report:#}");
    assert_eq!(
        writes(&world),
        0,
        "nothing written while something is unknown"
    );
}
