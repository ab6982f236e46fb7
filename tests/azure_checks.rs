//! `ekm-wizard check azure` against a local fake of Azure's hosts (management, Graph and the
//! vault, the vault reached by the Key Vault SDK through its transport): the guide's setup
//! passes, each way of breaking it is named with the step to fix, and the service principal
//! can be created on request.

mod support;

use ekm_wizard::clouds::azure;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::check_run::{Case, Outcome, run_check};
use support::fake_cloud::{FakeCloud, Reply};

use support::azure::*;

fn check_with(fake: &FakeCloud, extra: &[&str], token: Option<&str>) -> Outcome {
    let home = tempfile::tempdir().unwrap();
    let mut set = vec![
        ("EKM_AZURE_API_URL", fake.base()),
        ("AZURE_CONFIG_DIR", home.path().display().to_string()),
    ];
    set.extend(token.map(|t| ("EKM_AZURE_ACCESS_TOKEN", t.to_string())));
    let unset = [
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_ID",
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
        "EKM_AZURE_ACCESS_TOKEN",
    ];
    run_check("azure", &FLAGS, extra, &set, &unset)
}

fn check(fake: &FakeCloud) -> Outcome {
    check_with(fake, &[], Some(&token_for(TENANT)))
}

#[test]
fn the_guides_setup_passes_every_check() {
    let fake = good_azure();
    let outcome = check(&fake);
    assert_eq!(
        outcome.code,
        Some(0),
        "{:#}\n{}\n{:#?}",
        outcome.report,
        outcome.stderr,
        fake.seen()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path))
            .collect::<Vec<_>>()
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
            "service-principal",
            "vault",
            "key",
            "role-assignment",
            "round-trip",
            "vault-hardening"
        ]
    );
    for id in ids {
        assert_eq!(outcome.status(id), "pass", "{id}: {}", outcome.detail(id));
    }
    assert!(outcome.detail("identity").contains("admin@contoso.com"));
    assert!(outcome.detail("service-principal").contains(SP_OBJECT));
    // The vault was reached over its own https name, through the SDK's transport.
    assert!(
        fake.count(
            "POST",
            &format!("{VAULT_HOST}/keys/{KEY_NAME}/0123456789abcdef/decrypt")
        ) == 1
    );
    let graph = fake
        .seen()
        .into_iter()
        .find(|s| s.path == "/graph.microsoft.com/v1.0/servicePrincipals")
        .unwrap();
    assert!(
        graph.query.contains(&format!("appId eq '{APP}'")),
        "{}",
        graph.query
    );
}

fn vault_with(pointer: &str, value: Value) -> Value {
    let mut vault = good_vault();
    *vault.pointer_mut(pointer).unwrap() = value;
    vault
}

fn key_with(pointer: &str, value: Value) -> Value {
    let mut key = good_key();
    *key.pointer_mut(pointer).unwrap() = value;
    key
}

fn management(path: &str) -> String {
    format!("/management.azure.com{path}")
}

#[test]
fn each_broken_step_is_named_by_its_check() {
    let cases = [
        Case {
            name: "service principal missing",
            breaks: |f| {
                f.on(
                    "GET",
                    "/graph.microsoft.com/v1.0/servicePrincipals",
                    Reply::ok(json!({"value": []})),
                )
            },
            check: "service-principal",
            status: "fail",
            step: "service-principal",
            words: "has no service principal in tenant",
        },
        Case {
            name: "vault on access policies",
            breaks: |f| {
                f.on(
                    "GET",
                    &management(&vault_scope()),
                    Reply::ok(vault_with(
                        "/properties/enableRbacAuthorization",
                        json!(false),
                    )),
                )
            },
            check: "vault",
            status: "fail",
            // The permission model is the assignment's prerequisite: fixed at that step.
            step: "role-assignment",
            words: "role assignments on it are ignored",
        },
        Case {
            name: "vault missing",
            breaks: |f| {
                f.on(
                    "GET",
                    &management(&vault_scope()),
                    Reply::azure(
                        404,
                        "ResourceNotFound",
                        "The Resource 'Microsoft.KeyVault/vaults/contoso-ekm' was not found.",
                        None,
                    ),
                )
            },
            check: "vault",
            status: "fail",
            step: "create-key",
            words: "was not found",
        },
        Case {
            name: "purge protection off",
            breaks: |f| {
                f.on(
                    "GET",
                    &management(&vault_scope()),
                    Reply::ok(vault_with(
                        "/properties/enablePurgeProtection",
                        json!(false),
                    )),
                )
            },
            check: "vault-hardening",
            status: "warn",
            step: "restrictions",
            words: "purge protection is off",
        },
        Case {
            name: "key missing",
            breaks: |f| {
                key_refused(
                    f,
                    Reply::azure(
                        404,
                        "KeyNotFound",
                        "A key with (name/id) org-abc123--openai-ekm was not found in this key vault.",
                        None,
                    ),
                )
            },
            check: "key",
            status: "fail",
            step: "create-key",
            words: "no key `org-abc123--openai-ekm`",
        },
        Case {
            name: "EC key",
            breaks: |f| set_key(f, key_with("/key/kty", json!("EC"))),
            check: "key",
            status: "fail",
            step: "create-key",
            words: "OpenAI needs an RSA key",
        },
        Case {
            name: "key disabled",
            breaks: |f| set_key(f, key_with("/attributes/enabled", json!(false))),
            check: "key",
            status: "fail",
            step: "create-key",
            words: "disabled",
        },
        Case {
            name: "key may not decrypt",
            breaks: |f| set_key(f, key_with("/key/key_ops", json!(["encrypt", "wrapKey"]))),
            check: "key",
            status: "fail",
            step: "create-key",
            words: "lack decrypt",
        },
        Case {
            name: "the admin may not read the key",
            breaks: |f| {
                key_refused(
                    f,
                    Reply::azure(
                        403,
                        "Forbidden",
                        "Caller is not authorized to perform action on resource.",
                        Some("ForbiddenByRbac"),
                    ),
                )
            },
            check: "key",
            status: "unverified",
            step: "create-key",
            words: "your credentials lack Microsoft.KeyVault/vaults/keys/read",
        },
        Case {
            name: "the vault's firewall",
            breaks: |f| {
                key_refused(
                    f,
                    Reply::azure(
                        403,
                        "Forbidden",
                        "Client address is not authorized and caller is not a trusted service.",
                        Some("ForbiddenByFirewall"),
                    ),
                )
            },
            check: "key",
            status: "fail",
            step: "restrictions",
            words: "firewall",
        },
        Case {
            name: "no role assignment",
            breaks: |f| {
                f.on(
                    "GET",
                    &management(&format!(
                        "{}/providers/Microsoft.Authorization/roleAssignments",
                        key_scope()
                    )),
                    Reply::ok(json!({"value": []})),
                )
            },
            check: "role-assignment",
            status: "fail",
            step: "role-assignment",
            words: "has no role on key",
        },
        Case {
            name: "assignment on another vault's key only",
            breaks: |f| {
                f.on(
                "GET",
                &management(&format!("{}/providers/Microsoft.Authorization/roleAssignments", key_scope())),
                Reply::ok(assignment_at(&format!("/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ekm/providers/Microsoft.KeyVault/vaults/other/keys/{KEY_NAME}"))),
            )
            },
            check: "role-assignment",
            status: "fail",
            step: "role-assignment",
            words: "has no role on key",
        },
        Case {
            name: "assignment at the vault",
            breaks: |f| {
                f.on(
                    "GET",
                    &management(&format!(
                        "{}/providers/Microsoft.Authorization/roleAssignments",
                        key_scope()
                    )),
                    Reply::ok(assignment_at(&vault_scope())),
                )
            },
            check: "role-assignment",
            status: "pass",
            step: "role-assignment",
            words: "assigned above the key",
        },
        Case {
            name: "role lacks decrypt",
            breaks: |f| {
                f.on(
                    "GET",
                    &management(ROLE_DEFINITION),
                    Reply::ok(role_definition(
                        json!([
                            "Microsoft.KeyVault/vaults/keys/encrypt/action",
                            "Microsoft.KeyVault/vaults/keys/read"
                        ]),
                        json!([]),
                    )),
                )
            },
            check: "role-assignment",
            status: "fail",
            step: "custom-role",
            words: "lacks Microsoft.KeyVault/vaults/keys/decrypt/action",
        },
        Case {
            name: "wildcard minus decrypt",
            breaks: |f| {
                f.on(
                    "GET",
                    &management(ROLE_DEFINITION),
                    Reply::ok(role_definition(
                        json!(["Microsoft.KeyVault/vaults/keys/*"]),
                        json!(["Microsoft.KeyVault/vaults/keys/decrypt/action"]),
                    )),
                )
            },
            check: "role-assignment",
            status: "fail",
            step: "custom-role",
            words: "decrypt/action",
        },
        Case {
            name: "wildcard role",
            breaks: |f| {
                f.on(
                    "GET",
                    &management(ROLE_DEFINITION),
                    Reply::ok(role_definition(
                        json!(["Microsoft.KeyVault/vaults/keys/*"]),
                        json!([]),
                    )),
                )
            },
            check: "role-assignment",
            status: "pass",
            step: "role-assignment",
            words: "granting encrypt, decrypt and read",
        },
    ];
    for case in cases {
        let fake = good_azure();
        (case.breaks)(&fake);
        let outcome = check(&fake);
        case.judge(&outcome, azure::cloud());
    }
}

#[test]
fn a_missing_service_principal_skips_the_assignment_and_a_missing_key_the_round_trip() {
    let fake = good_azure();
    fake.on(
        "GET",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::ok(json!({"value": []})),
    );
    key_refused(&fake, Reply::azure(404, "KeyNotFound", "not found", None));
    let outcome = check(&fake);
    assert_eq!(outcome.status("role-assignment"), "skip");
    assert!(
        outcome
            .detail("role-assignment")
            .contains("service principal")
    );
    assert_eq!(outcome.status("round-trip"), "skip");
}

#[test]
fn a_token_of_another_tenant_is_named() {
    let fake = good_azure();
    let outcome = check_with(
        &fake,
        &[],
        Some(&token_for("11111111-2222-3333-4444-555555555555")),
    );
    assert_eq!(outcome.code, Some(1));
    assert_eq!(outcome.status("identity"), "fail");
    assert!(
        outcome
            .detail("identity")
            .contains(&format!("az login --tenant {TENANT}"))
    );
}

#[test]
fn the_service_principal_is_created_on_request() {
    let fake = good_azure();
    fake.on(
        "GET",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::ok(json!({"value": []})),
    );
    fake.on(
        "POST",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::with(
            201,
            json!({"id": SP_OBJECT, "appId": APP, "displayName": "EKM - OpenAI Azure"}),
        ),
    );
    let outcome = check_with(
        &fake,
        &["--create-service-principal"],
        Some(&token_for(TENANT)),
    );
    assert_eq!(
        outcome.report["service_principal"]["outcome"], "created",
        "{:#}",
        outcome.report
    );
    let posted = fake
        .seen()
        .into_iter()
        .find(|s| s.method == "POST")
        .expect("Graph was asked");
    assert_eq!(posted.json(), json!({"appId": APP}));
    // Without the flag nothing is ever created.
    let fake = good_azure();
    check(&fake);
    assert_eq!(
        fake.count("POST", "/graph.microsoft.com/v1.0/servicePrincipals"),
        0
    );
}

#[test]
fn graph_refusing_the_creation_is_explained() {
    let fake = good_azure();
    fake.on(
        "POST",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::azure(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            None,
        ),
    );
    let outcome = check_with(
        &fake,
        &["--create-service-principal"],
        Some(&token_for(TENANT)),
    );
    assert_eq!(outcome.code, Some(1));
    assert_eq!(outcome.report["service_principal"]["outcome"], "refused");
    assert!(
        outcome.report["service_principal"]["message"]
            .as_str()
            .unwrap()
            .contains("Application Administrator")
    );
    let fake = good_azure();
    fake.on(
        "POST",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::azure(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "Another object with the same value for property servicePrincipalNames already exists.",
            None,
        ),
    );
    let outcome = check_with(
        &fake,
        &["--create-service-principal"],
        Some(&token_for(TENANT)),
    );
    assert_eq!(
        outcome.report["service_principal"]["outcome"],
        "already-there"
    );
    assert_eq!(outcome.code, Some(0));
}

#[test]
fn throttling_is_retried_then_passes() {
    let fake = good_azure();
    let vault = management(&vault_scope());
    fake.queue(
        "GET",
        &vault,
        vec![
            Reply::azure(429, "TooManyRequests", "slow down", None).header("Retry-After", "0"),
            Reply::azure(503, "ServiceUnavailable", "try again", None),
        ],
    );
    let outcome = check(&fake);
    assert_eq!(outcome.code, Some(0), "{:#}", outcome.report);
    assert_eq!(fake.count("GET", &vault), 3);
}

#[test]
fn a_slow_vault_times_out_with_the_check_named() {
    let fake = good_azure();
    let slow = good_key();
    for path in [
        format!("{VAULT_HOST}/keys/{KEY_NAME}"),
        format!("{VAULT_HOST}/keys/{KEY_NAME}/"),
    ] {
        let slow = slow.clone();
        vault_route(&fake, "GET", &path, move |_| {
            Reply::ok(slow.clone()).after(Duration::from_secs(4))
        });
    }
    let outcome = check_with(&fake, &["--timeout", "1"], Some(&token_for(TENANT)));
    assert_eq!(outcome.code, Some(3), "{:#}", outcome.report);
    assert_eq!(outcome.status("key"), "unverified");
    assert!(
        outcome.detail("key").contains("no answer within 1 s"),
        "{}",
        outcome.detail("key")
    );
}

#[test]
fn without_credentials_it_says_so_at_once() {
    let fake = good_azure();
    let started = Instant::now();
    let outcome = check_with(&fake, &[], None);
    assert_eq!(outcome.code, Some(3), "{}", outcome.stdout);
    assert!(
        outcome
            .stderr
            .contains("Could not check: no Azure credentials were found"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains(&format!("az login --tenant {TENANT}"))
    );
    assert!(
        fake.seen().is_empty(),
        "nothing is sent without credentials"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_run_where_every_read_is_refused_is_not_verified() {
    let fake = FakeCloud::start();
    for method in ["GET", "POST"] {
        fake.on_prefix(method, "/", |_| {
            Reply::azure(
                403,
                "AuthorizationFailed",
                "The client does not have authorization to perform action.",
                None,
            )
        });
    }
    let outcome = check(&fake);
    assert_eq!(outcome.code, Some(3), "{:#}", outcome.report);
    assert_eq!(outcome.report["verdict"], "not-verified");
    for check in outcome.report["checks"].as_array().unwrap() {
        if check["id"] == "identity" {
            continue; // read from the token itself, not from a request
        }
        assert!(
            check["status"] == "unverified" || check["status"] == "skip",
            "nothing passes or fails on a refusal: {check:#}"
        );
    }
}

#[test]
fn a_disabled_service_principal_fails_with_the_fix() {
    let fake = good_azure();
    fake.on(
        "GET",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::ok(json!({"value": [{
            "id": SP_OBJECT,
            "appId": APP,
            "displayName": "EKM - OpenAI Azure",
            "accountEnabled": false,
        }]})),
    );
    let outcome = check(&fake);
    assert_eq!(outcome.code, Some(1), "{:#}", outcome.report);
    assert_eq!(outcome.status("service-principal"), "fail");
    assert!(
        outcome.detail("service-principal").contains("disabled")
            && outcome
                .detail("service-principal")
                .contains("accountEnabled=true"),
        "{}",
        outcome.detail("service-principal")
    );
}

#[test]
fn a_create_answered_503_is_never_sent_again() {
    let fake = good_azure();
    fake.on(
        "GET",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::ok(json!({"value": []})),
    );
    fake.on(
        "POST",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        Reply::azure(503, "ServiceUnavailable", "try again", None),
    );
    let outcome = check_with(
        &fake,
        &["--create-service-principal"],
        Some(&token_for(TENANT)),
    );
    assert_eq!(
        fake.count("POST", "/graph.microsoft.com/v1.0/servicePrincipals"),
        1,
        "a create is never repeated blindly"
    );
    assert_eq!(outcome.report["service_principal"]["outcome"], "refused");
    assert!(
        outcome.report["service_principal"]["message"]
            .as_str()
            .unwrap()
            .contains("check (k) before asking again")
    );
}
