//! The Azure checks, performed one at a time: who the admin is and in which tenant, OpenAI's
//! service principal, the vault (permission model, soft delete, purge protection), the key,
//! OpenAI's role assignment (role definitions resolved, wildcards honoured, `notDataActions`
//! subtracted), and an RSA-OAEP-256 round trip. Also creates OpenAI's service principal, when
//! asked to. The plan is in `plan.rs`, the sign-in in `session.rs`.

use std::collections::BTreeSet;
use std::time::Duration;

use azure_security_keyvault_keys::ResourceExt as _;
use azure_security_keyvault_keys::models::{EncryptionAlgorithm, KeyOperationParameters, KeyType};
use reqwest::Method;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::checks::rest::{CloudError, Redirect, Refusal, Rest, encode_segment};
use std::sync::OnceLock;

use super::artifacts::AZURE_DATA_ACTIONS;
use super::ids::*;
use super::plan::*;
use super::session::{
    API_URL_VAR, AZURE, AzureSession, GRAPH, GRAPH_SCOPE, VaultSession, discover, key_client,
    token_claims, vault_error,
};
use super::switch::AzureKeySwitch;
use super::target::AzureTarget;
use super::{OPENAI_APP_DISPLAY_NAME, OPENAI_APP_ID};
use crate::checks::{
    ActionOutcome, CannotCheck, CheckOptions, CheckSession, CheckStatus, CheckTarget, Finding,
    probe_bytes, within,
};
use crate::guide::plan::KeySwitch;
use crate::guide::{ActionId, CheckId};

/// What an error on a read means: a refusal of the admin is "could not look", not "broken";
/// a vault firewall that keeps this machine out is fixed where the guide restricts access.
fn read_failure(err: &CloudError, what: &str, permission: &str) -> Refusal {
    Refusal::of_read(
        err,
        &AZURE,
        what,
        format!("could not look at {what}: your credentials lack {permission}"),
    )
}

/// One run's connection, and what earlier checks learned for later ones.
struct AzureRun<'a> {
    session: AzureSession<'a>,
    vault: Option<VaultSession<'a>>,
    source: String,
    /// OpenAI's service principal's object id, once found.
    principal: OnceLock<String>,
    /// The vault's hardening finding, once the vault was read.
    hardening: OnceLock<Finding>,
}

#[async_trait::async_trait]
impl CheckTarget for AzureTarget {
    /// Finds credentials for the recorded tenant; fails as a whole only when there are none.
    async fn connect(
        &self,
        options: &CheckOptions,
    ) -> Result<Box<dyn CheckSession + '_>, CannotCheck> {
        let redirect = Redirect::from_env(API_URL_VAR)?;
        let rest = Rest::new(redirect, options.timeout, &super::rest_shape::DIALECT)?;
        let credentials = discover(&self.tenant, options.timeout).await?;
        let graph = match within(
            options.timeout,
            credentials.credential.get_token(&[GRAPH_SCOPE], None),
        )
        .await
        {
            Some(Ok(token)) => Ok(Zeroizing::new(token.token.secret().to_string())),
            Some(Err(_)) => Err(format!(
                "{} gave no token for Microsoft Graph",
                credentials.source
            )),
            None => Err("no Microsoft Graph token in time".to_string()),
        };
        let vault = match &self.vault {
            Some(vault_place) => Some(VaultSession {
                keys: key_client(
                    vault_place,
                    credentials.credential.clone(),
                    &rest,
                    options.timeout,
                )?,
                vault_uri: &vault_place.vault_uri,
                place: &vault_place.place,
            }),
            None => None,
        };
        Ok(Box::new(AzureRun {
            session: AzureSession {
                rest,
                management: credentials.management,
                graph,
                target: self,
                timeout: options.timeout,
            },
            vault,
            source: credentials.source,
            principal: OnceLock::new(),
            hardening: OnceLock::new(),
        }))
    }

    async fn key_switch(
        &self,
        options: &CheckOptions,
    ) -> Result<Box<dyn KeySwitch + '_>, CannotCheck> {
        Ok(Box::new(AzureKeySwitch::connect(self, options).await?))
    }

    async fn perform_action(&self, action: ActionId, options: &CheckOptions) -> ActionOutcome {
        if action != super::CREATE_SERVICE_PRINCIPAL {
            return ActionOutcome::CouldNotTry(format!("{action} is not an Azure action"));
        }
        match create_service_principal(self, options.timeout).await {
            Ok(ServicePrincipalCreation::Refused(why)) => ActionOutcome::Refused(why),
            Ok(done @ ServicePrincipalCreation::Created { .. }) => ActionOutcome::Done {
                outcome: "created",
                message: done.to_string(),
            },
            Ok(done @ ServicePrincipalCreation::AlreadyThere) => ActionOutcome::Done {
                outcome: "already-there",
                message: done.to_string(),
            },
            Err(cannot) => ActionOutcome::CouldNotTry(cannot.0),
        }
    }
}

#[async_trait::async_trait]
impl CheckSession for AzureRun<'_> {
    async fn perform(&self, check: CheckId, _timeout: Duration) -> Finding {
        let session = &self.session;
        let vault = || {
            self.vault
                .as_ref()
                .ok_or_else(|| crate::checks::waiting_for(super::cloud(), VAULT_URI))
        };
        let outcome =
            match check {
                CHECK_IDENTITY => Ok(check_identity(session, &self.source)),
                CHECK_SERVICE_PRINCIPAL => {
                    let (finding, object_id) = check_service_principal(session).await;
                    if let Some(object_id) = object_id {
                        let _ = self.principal.set(object_id);
                    }
                    Ok(finding)
                }
                CHECK_VAULT => match vault() {
                    Ok(vault_session) => {
                        let (vault, hardening) = check_vault(session, vault_session).await;
                        let _ = self.hardening.set(hardening);
                        Ok(vault)
                    }
                    Err(f) => Err(f),
                },
                CHECK_KEY => match vault() {
                    Ok(vault_session) => Ok(check_key(session, vault_session).await),
                    Err(f) => Err(f),
                },
                CHECK_ROLE_ASSIGNMENT => match (vault(), self.principal.get()) {
                    (Ok(vault_session), Some(object_id)) => {
                        Ok(check_assignment(session, vault_session, object_id).await)
                    }
                    (Err(f), _) => Err(f),
                    (_, None) => Err(Finding::unverified(
                        "could not check: OpenAI's service principal was not found",
                    )),
                },
                CHECK_ROUND_TRIP => match vault() {
                    Ok(vault_session) => Ok(check_round_trip(session, vault_session).await),
                    Err(f) => Err(f),
                },
                CHECK_VAULT_HARDENING => Ok(self.hardening.get().cloned().unwrap_or_else(|| {
                    Finding::unverified("could not check: the vault was not read")
                })),
                other => Err(Finding::unverified(format!(
                    "{other} is not an Azure check"
                ))),
            };
        outcome.unwrap_or_else(|finding| finding)
    }
}

fn check_identity(session: &AzureSession<'_>, source: &str) -> Finding {
    let wanted = &session.target.tenant;
    match token_claims(&session.management) {
        Some((tenant, name)) if tenant.eq_ignore_ascii_case(wanted) => Finding::new(
            CheckStatus::Pass,
            format!("{name} through {source}, in tenant {tenant}"),
        ),
        Some((tenant, name)) => Finding::new(
            CheckStatus::Fail,
            format!(
                "{name} through {source} is signed in to tenant {tenant}, not the recorded {wanted}: `az login --tenant {wanted}`, or correct the tenant id"
            ),
        ),
        None => Finding::new(
            CheckStatus::Warn,
            format!(
                "signed in through {source}; the token does not say its tenant, so it could not be compared with {wanted}"
            ),
        ),
    }
}

fn service_principal_filter() -> String {
    format!(
        "{GRAPH}/v1.0/servicePrincipals?$filter={}",
        encode_segment(&format!("appId eq '{OPENAI_APP_ID}'"))
    )
}

async fn check_service_principal(session: &AzureSession<'_>) -> (Finding, Option<String>) {
    let token = match &session.graph {
        Ok(token) => token,
        Err(why) => {
            return (
                Finding::new(CheckStatus::Unverified, format!("could not check: {why}")),
                None,
            );
        }
    };
    let Some(answer) = within(
        session.timeout,
        session
            .rest
            .call(Method::GET, &service_principal_filter(), token, None),
    )
    .await
    else {
        return (Finding::timed_out(session.timeout), None);
    };
    match answer {
        Ok(found) => match found["value"].as_array().and_then(|v| v.first()) {
            Some(principal) => {
                let object_id = principal["id"].as_str().unwrap_or_default().to_string();
                let name = crate::secrets::one_line(
                    principal["displayName"]
                        .as_str()
                        .unwrap_or(OPENAI_APP_DISPLAY_NAME),
                    80,
                );
                if principal["accountEnabled"].as_bool() == Some(false) {
                    return (
                        Finding::new(
                            CheckStatus::Fail,
                            format!(
                                "\"{name}\" (object id {object_id}) is in tenant {} but disabled, so OpenAI cannot sign in: enable it (Entra ID > Enterprise applications > {name} > Properties > Enabled for users to sign in: Yes, or `az ad sp update --id {OPENAI_APP_ID} --set accountEnabled=true`)",
                                session.target.tenant
                            ),
                        ),
                        None,
                    );
                }
                (
                    Finding::new(
                        CheckStatus::Pass,
                        format!(
                            "\"{name}\" (object id {object_id}) is in tenant {}",
                            session.target.tenant
                        ),
                    ),
                    (!object_id.is_empty()).then_some(object_id),
                )
            }
            None => (
                Finding::new(
                    CheckStatus::Fail,
                    format!(
                        "OpenAI's application ({OPENAI_APP_ID}) has no service principal in tenant {}: create it (step 1; the wizard can, with s)",
                        session.target.tenant
                    ),
                ),
                None,
            ),
        },
        Err(err) => {
            let refusal = read_failure(
                &err,
                "service principals",
                "Application.Read.All in Microsoft Graph",
            );
            (refusal.finding(), None)
        }
    }
}

/// What asking Graph to create OpenAI's service principal came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServicePrincipalCreation {
    Created {
        object_id: String,
    },
    AlreadyThere,
    /// Graph refused; the words say why and what to do.
    Refused(String),
}

impl std::fmt::Display for ServicePrincipalCreation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServicePrincipalCreation::Created { object_id } => write!(
                f,
                "Created OpenAI's service principal (object id {object_id}). Check again in a minute."
            ),
            ServicePrincipalCreation::AlreadyThere => {
                f.write_str("OpenAI's service principal is already in the tenant.")
            }
            ServicePrincipalCreation::Refused(why) => f.write_str(why),
        }
    }
}

/// Creates OpenAI's service principal in the tenant (the guide's first step). Call only after
/// the admin confirmed.
pub async fn create_service_principal(
    target: &AzureTarget,
    timeout: Duration,
) -> Result<ServicePrincipalCreation, CannotCheck> {
    let rest = Rest::new(
        Redirect::from_env(API_URL_VAR)?,
        timeout,
        &super::rest_shape::DIALECT,
    )?;
    let credentials = discover(&target.tenant, timeout).await?;
    let token = match within(
        timeout,
        credentials.credential.get_token(&[GRAPH_SCOPE], None),
    )
    .await
    {
        Some(Ok(token)) => Zeroizing::new(token.token.secret().to_string()),
        _ => {
            return Ok(ServicePrincipalCreation::Refused(format!(
                "{} gave no token for Microsoft Graph: `az login --tenant {}` and try again",
                credentials.source, target.tenant
            )));
        }
    };
    let body = json!({ "appId": OPENAI_APP_ID });
    let answer = within(
        timeout,
        rest.create(&format!("{GRAPH}/v1.0/servicePrincipals"), &token, &body),
    )
    .await;
    Ok(match answer {
        None => ServicePrincipalCreation::Refused(
            "Microsoft Graph did not answer in time: it may have created the service principal anyway, so check (k) before asking again".into(),
        ),
        Some(Ok(created)) => ServicePrincipalCreation::Created {
            object_id: created["id"].as_str().unwrap_or("?").to_string(),
        },
        Some(Err(err))
            if err.is_status(409) || err.has_reason("Request_MultipleObjectsWithSameKeyValue") =>
        {
            ServicePrincipalCreation::AlreadyThere
        }
        Some(Err(err)) if err.is_status(403) => ServicePrincipalCreation::Refused(format!(
            "Graph refused ({}): creating a service principal needs the Application Administrator or Cloud Application Administrator role; ask one to run step 1",
            err.message
        )),
        Some(Err(err)) if err.status.is_none_or(|s| s >= 500) => {
            ServicePrincipalCreation::Refused(format!(
                "Graph answered {err}; it may have created the service principal anyway, so check (k) before asking again (a create is never repeated blindly)"
            ))
        }
        Some(Err(err)) => ServicePrincipalCreation::Refused(format!("Graph answered {err}")),
    })
}

async fn check_vault(
    session: &AzureSession<'_>,
    vault_session: &VaultSession<'_>,
) -> (Finding, Finding) {
    // When the vault cannot be read, the runner skips its hardening: it needs the vault.
    let hardening_after = |_: &Finding| Finding::unverified("could not check: needs the vault");
    let place = &vault_session.place;
    let path = format!("{}?api-version=2023-07-01", place.vault_scope());
    let Some(answer) = session.arm(&path).await else {
        let vault = Finding::timed_out(session.timeout);
        let hardening = hardening_after(&vault);
        return (vault, hardening);
    };
    let vault = match answer {
        Ok(vault) => vault,
        Err(err) => {
            let what = format!(
                "vault `{}` in resource group `{}` of subscription {}",
                place.vault, place.resource_group, place.subscription
            );
            let vault = read_failure(&err, &what, "Microsoft.KeyVault/vaults/read").finding();
            let hardening = hardening_after(&vault);
            return (vault, hardening);
        }
    };
    let (vault_result, hardening) = judge_vault(&vault, vault_session.vault_uri);
    let only_the_model = vault_result.0 == CheckStatus::Fail
        && vault_result.1.starts_with("it uses access policies")
        && !vault_result.1.contains("; ");
    let vault = Finding::new(vault_result.0, vault_result.1);
    (
        // The permission model is the assignment's prerequisite: it is fixed at that step.
        if only_the_model {
            vault.at_step(STEP_ROLE_ASSIGNMENT)
        } else {
            vault
        },
        Finding::new(hardening.0, hardening.1),
    )
}

/// Judges a vault's properties: the permission model (and address), then its protection.
pub fn judge_vault(
    vault: &Value,
    vault_uri: &str,
) -> ((CheckStatus, String), (CheckStatus, String)) {
    let properties = &vault["properties"];
    let mut problems = Vec::new();
    if properties["enableRbacAuthorization"].as_bool() != Some(true) {
        problems.push(
            "it uses access policies, so role assignments on it are ignored: switch its permission model to Azure role-based access control"
                .to_string(),
        );
    }
    if let Some(uri) = properties["vaultUri"].as_str()
        && !uri
            .trim_end_matches('/')
            .eq_ignore_ascii_case(vault_uri.trim_end_matches('/'))
    {
        problems.push(format!(
            "its address is {uri}, not the recorded {vault_uri}"
        ));
    }
    let vault_result = if problems.is_empty() {
        (
            CheckStatus::Pass,
            "found, and it uses Azure role-based access control".to_string(),
        )
    } else {
        (CheckStatus::Fail, problems.join("; "))
    };
    let mut advice = Vec::new();
    if properties["enableSoftDelete"].as_bool() == Some(false) {
        advice.push("soft delete is off");
    }
    if properties["enablePurgeProtection"].as_bool() != Some(true) {
        advice.push("purge protection is off (a deleted key could be purged, and every record under it lost)");
    }
    if properties["networkAcls"]["defaultAction"].as_str() == Some("Deny") {
        advice.push("the firewall denies by default: make sure OpenAI's requests are allowed");
    }
    let hardening = if advice.is_empty() {
        (
            CheckStatus::Pass,
            "soft delete and purge protection are on".to_string(),
        )
    } else {
        (CheckStatus::Warn, advice.join("; "))
    };
    (vault_result, hardening)
}

async fn check_key(session: &AzureSession<'_>, vault_session: &VaultSession<'_>) -> Finding {
    let name = &vault_session.place.key;
    let Some(answer) = within(session.timeout, vault_session.keys.get_key(name, None)).await else {
        return Finding::timed_out(session.timeout);
    };
    let key = match answer.and_then(|r| r.into_model()) {
        Ok(key) => key,
        Err(err) => {
            let err = vault_error(&err, vault_session.vault_uri);
            let refusal = if err.is_status(404) || err.has_reason("KeyNotFound") {
                Refusal::new(
                    CheckStatus::Fail,
                    format!(
                        "no key `{name}` in {}: create it, or correct the key name",
                        vault_session.vault_uri
                    ),
                )
            } else {
                read_failure(
                    &err,
                    &format!("key `{name}`"),
                    "Microsoft.KeyVault/vaults/keys/read (for example the Key Vault Reader role)",
                )
            };
            return refusal.finding();
        }
    };
    let mut problems = Vec::new();
    let web_key = key.key.as_ref();
    match web_key.and_then(|k| k.kty.as_ref()) {
        Some(KeyType::Rsa | KeyType::RsaHsm) => {}
        Some(other) => {
            let kind = other.to_string();
            let article = if kind.starts_with(['A', 'E', 'I', 'O', 'U']) {
                "an"
            } else {
                "a"
            };
            problems.push(format!(
                "it is {article} {kind} key; OpenAI needs an RSA key"
            ))
        }
        None => problems.push("its type is not given; OpenAI needs an RSA key".to_string()),
    }
    if let Some(ops) = web_key.and_then(|k| k.key_ops.as_ref()) {
        let missing: Vec<&str> = ["encrypt", "decrypt"]
            .into_iter()
            .filter(|op| !ops.iter().any(|o| o == op))
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "its permitted operations lack {}",
                missing.join(" and ")
            ));
        }
    }
    let attributes = key.attributes.as_ref();
    if attributes.and_then(|a| a.enabled) == Some(false) {
        problems.push("it is disabled".to_string());
    }
    if let Some(expires) = attributes.and_then(|a| a.expires)
        && expires < azure_core::time::OffsetDateTime::now_utc()
    {
        problems.push("it has expired".to_string());
    }
    if problems.is_empty() {
        Finding::new(
            CheckStatus::Pass,
            format!("`{name}`: RSA, enabled, may encrypt and decrypt; its name carries the org id"),
        )
    } else {
        Finding::new(CheckStatus::Fail, problems.join("; "))
    }
}

/// True when an action pattern (with `*` wildcards, any case) covers `action`.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let pattern = pattern.to_ascii_lowercase();
    let action = action.to_ascii_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == action;
    }
    let mut rest = action.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(after) = rest.strip_prefix(part) else {
                return false;
            };
            rest = after;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

/// The data actions of `wanted` that a role definition grants (each permission block's
/// `dataActions` minus its `notDataActions`).
pub fn granted_data_actions(definition: &Value, wanted: &[&str]) -> BTreeSet<String> {
    let list = |block: &Value, key: &str| -> Vec<String> {
        block[key]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut granted = BTreeSet::new();
    for block in definition["properties"]["permissions"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let allowed = list(block, "dataActions");
        let denied = list(block, "notDataActions");
        for action in wanted {
            if allowed.iter().any(|p| action_matches(p, action))
                && !denied.iter().any(|p| action_matches(p, action))
            {
                granted.insert(action.to_string());
            }
        }
    }
    granted
}

/// True when `scope` is the key's scope or one above it (any case).
fn covers(scope: &str, key_scope: &str) -> bool {
    let scope = scope.trim_end_matches('/').to_ascii_lowercase();
    let key_scope = key_scope.to_ascii_lowercase();
    scope.is_empty() || key_scope == scope || key_scope.starts_with(&format!("{scope}/"))
}

async fn check_assignment(
    session: &AzureSession<'_>,
    vault_session: &VaultSession<'_>,
    object_id: &str,
) -> Finding {
    let key_scope = vault_session.place.key_scope();
    let path = format!(
        "{key_scope}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01&$filter={}",
        encode_segment(&format!("principalId eq '{object_id}'"))
    );
    let Some(answer) = session.arm(&path).await else {
        return Finding::timed_out(session.timeout);
    };
    let assignments = match answer {
        Ok(list) => list["value"].as_array().cloned().unwrap_or_default(),
        Err(err) => {
            return read_failure(
                &err,
                "role assignments on the key",
                "Microsoft.Authorization/roleAssignments/read",
            )
            .finding();
        }
    };
    let relevant: Vec<(String, String)> = assignments
        .iter()
        .filter(|a| {
            a["properties"]["principalId"]
                .as_str()
                .is_none_or(|p| p.eq_ignore_ascii_case(object_id))
        })
        .filter_map(|a| {
            let scope = a["properties"]["scope"].as_str()?;
            let role = a["properties"]["roleDefinitionId"].as_str()?;
            covers(scope, &key_scope).then(|| (scope.to_string(), role.to_string()))
        })
        .collect();
    if relevant.is_empty() {
        return Finding::new(
            CheckStatus::Fail,
            format!(
                "OpenAI's service principal has no role on key `{}` or above it: assign the custom role at the key's scope",
                vault_session.place.key
            ),
        );
    }
    let lookups = relevant.iter().map(|(_, role)| async move {
        (
            role.clone(),
            session.arm(&format!("{role}?api-version=2022-04-01")).await,
        )
    });
    let mut granted = BTreeSet::new();
    let mut names = Vec::new();
    let mut notes = Vec::new();
    for (role, answer) in futures::future::join_all(lookups).await {
        match answer {
            Some(Ok(definition)) => {
                names.push(
                    definition["properties"]["roleName"]
                        .as_str()
                        .unwrap_or(&role)
                        .to_string(),
                );
                granted.extend(granted_data_actions(&definition, &AZURE_DATA_ACTIONS));
            }
            Some(Err(err)) if err.is_status(404) => {
                notes.push(format!("role definition {role} no longer exists"))
            }
            Some(Err(err)) => {
                notes.push(format!("role definition {role} could not be read ({err})"))
            }
            None => notes.push(format!("role definition {role} could not be read in time")),
        }
    }
    let missing: Vec<&str> = AZURE_DATA_ACTIONS
        .iter()
        .copied()
        .filter(|a| !granted.contains(*a))
        .collect();
    let at_key = relevant
        .iter()
        .any(|(scope, _)| scope.eq_ignore_ascii_case(&key_scope));
    let names = names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ");
    if !missing.is_empty() {
        let mut detail = if names.is_empty() {
            "the assigned roles could not be read".to_string()
        } else {
            let verb = if names.contains(", ") {
                "lack"
            } else {
                "lacks"
            };
            format!(
                "OpenAI's service principal holds {names}, which {verb} {}",
                missing.join(", ")
            )
        };
        for note in &notes {
            detail.push_str("; ");
            detail.push_str(note);
        }
        return Finding::new(CheckStatus::Fail, detail).at_step(STEP_CUSTOM_ROLE);
    }
    let mut detail =
        format!("OpenAI's service principal holds {names}, granting encrypt, decrypt and read");
    if !at_key {
        detail.push_str(
            ", assigned above the key (the guide assigns at the key, which limits it to this key)",
        );
    }
    Finding::new(CheckStatus::Pass, detail)
}

async fn check_round_trip(session: &AzureSession<'_>, vault_session: &VaultSession<'_>) -> Finding {
    let name = &vault_session.place.key;
    let plaintext = probe_bytes();
    let parameters = KeyOperationParameters {
        algorithm: Some(EncryptionAlgorithm::RsaOaep256),
        value: Some(plaintext.clone()),
        ..Default::default()
    };
    let encrypted = async {
        let content = parameters.clone().try_into()?;
        vault_session
            .keys
            .encrypt(name, content, None)
            .await?
            .into_model()
    };
    let Some(encrypted) = within(session.timeout, encrypted).await else {
        return Finding::timed_out(session.timeout);
    };
    let encrypted = match encrypted {
        Ok(result) => result,
        Err(err) => {
            return round_trip_failure(&vault_error(&err, vault_session.vault_uri), "encrypt");
        }
    };
    let version = encrypted
        .resource_id()
        .ok()
        .and_then(|r| r.version)
        .unwrap_or_default();
    let back = KeyOperationParameters {
        algorithm: Some(EncryptionAlgorithm::RsaOaep256),
        value: encrypted.result.clone(),
        ..Default::default()
    };
    let decrypted = async {
        let content = back.try_into()?;
        vault_session
            .keys
            .decrypt(name, &version, content, None)
            .await?
            .into_model()
    };
    let Some(decrypted) = within(session.timeout, decrypted).await else {
        return Finding::timed_out(session.timeout);
    };
    match decrypted {
        Ok(result) if result.result.as_deref() == Some(plaintext.as_slice()) => Finding::new(
            CheckStatus::Pass,
            "the key encrypted and decrypted 32 bytes (RSA-OAEP-256) with your credentials",
        ),
        Ok(_) => Finding::new(CheckStatus::Fail, "decrypting gave back different bytes"),
        Err(err) => round_trip_failure(&vault_error(&err, vault_session.vault_uri), "decrypt"),
    }
}

fn round_trip_failure(err: &CloudError, operation: &str) -> Finding {
    read_failure(err, "the key", operation).round_trip(&format!(
        "your credentials may not {operation} with the key"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_actions_in_any_case() {
        let encrypt = "Microsoft.KeyVault/vaults/keys/encrypt/action";
        assert!(action_matches("Microsoft.KeyVault/vaults/keys/*", encrypt));
        assert!(action_matches(
            "microsoft.keyvault/vaults/keys/encrypt/action",
            encrypt
        ));
        assert!(action_matches("*", encrypt));
        assert!(action_matches("Microsoft.KeyVault/*/action", encrypt));
        assert!(!action_matches(
            "Microsoft.KeyVault/vaults/secrets/*",
            encrypt
        ));
        assert!(!action_matches(
            "Microsoft.KeyVault/vaults/keys/read",
            encrypt
        ));
    }

    #[test]
    fn not_data_actions_are_subtracted() {
        let crypto_user = json!({"properties": {"permissions": [{
            "dataActions": ["Microsoft.KeyVault/vaults/keys/*"],
            "notDataActions": ["Microsoft.KeyVault/vaults/keys/decrypt/action"]
        }]}});
        let granted = granted_data_actions(&crypto_user, &AZURE_DATA_ACTIONS);
        assert_eq!(granted.len(), 2, "{granted:?}");
        assert!(!granted.contains("Microsoft.KeyVault/vaults/keys/decrypt/action"));
        let exact = json!({"properties": {"permissions": [{"dataActions": AZURE_DATA_ACTIONS}]}});
        assert_eq!(granted_data_actions(&exact, &AZURE_DATA_ACTIONS).len(), 3);
        assert!(granted_data_actions(&json!({}), &AZURE_DATA_ACTIONS).is_empty());
    }

    #[test]
    fn scopes_above_the_key_cover_it() {
        let key = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/v/keys/k";
        assert!(covers(key, key));
        assert!(covers("/subscriptions/s/resourceGroups/RG", key));
        assert!(covers("/", key));
        assert!(!covers("/subscriptions/s/resourceGroups/rg2", key));
        assert!(!covers(&format!("{key}2"), key));
    }

    #[test]
    fn vault_permission_model_and_protection_are_judged() {
        let uri = "https://v.vault.azure.net/";
        let good = json!({"properties": {"enableRbacAuthorization": true, "enableSoftDelete": true,
            "enablePurgeProtection": true, "vaultUri": uri}});
        let (vault, hardening) = judge_vault(&good, uri);
        assert_eq!(
            (vault.0, hardening.0),
            (CheckStatus::Pass, CheckStatus::Pass)
        );
        let policies = json!({"properties": {"enableRbacAuthorization": false, "vaultUri": uri}});
        let (vault, hardening) = judge_vault(&policies, uri);
        assert_eq!(vault.0, CheckStatus::Fail);
        assert!(vault.1.contains("access policies"), "{}", vault.1);
        assert_eq!(hardening.0, CheckStatus::Warn);
        assert!(hardening.1.contains("purge protection"), "{}", hardening.1);
    }
}
