//! "Do it for me" on Azure, with the admin's own sign-in: OpenAI's service principal
//! (Microsoft Graph), the custom role with the three data actions and the role assignment at
//! the key's scope (Azure Resource Manager), the vault's permission model switched to RBAC,
//! the vault (in its resource group's region, on the RBAC model with purge protection, or an
//! existing one switched to RBAC with consent) and the RSA key in it (Key Vault). Role
//! definitions and assignments are written with PUT under a name derived from what they are,
//! so writing one twice makes one; an equal existing assignment counts as done.

use std::time::{Duration, Instant};

use azure_security_keyvault_keys::models::{CreateKeyParameters, KeyOperation, KeyType};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::artifacts::{AZURE_DATA_ACTIONS, custom_role};
use super::checks::granted_data_actions;
use super::ids::*;
use super::session::{GRAPH, GRAPH_SCOPE, MANAGEMENT, discover, key_client};
use super::target::{AzureTarget, VaultPlace};
use super::{OPENAI_APP_DISPLAY_NAME, OPENAI_APP_ID};
use crate::checks::rest::{CloudError, Redirect, Rest, encode_segment};
use crate::guide::apply::{
    Applied, Applier, ApplySession, CallLog, Change, Planned, follow_unknowns,
};
use crate::guide::plan::{CannotCheck, CheckOptions};
use crate::guide::{FieldError, Inputs, SetupPath};

const ROLE_API: &str = "api-version=2022-04-01";
const VAULT_API: &str = "api-version=2023-07-01";

/// What applying reads: the tenant, subscription, resource group, vault, key and role name.
#[derive(Debug, Clone)]
pub struct AzureApplier {
    tenant: String,
    vault: VaultPlace,
    role_name: String,
}

impl AzureApplier {
    pub fn from_inputs(inputs: &Inputs) -> Result<AzureApplier, Vec<FieldError>> {
        let target = AzureTarget::from_inputs(inputs, SetupPath::Api);
        let role_name = inputs.validated(ROLE_NAME);
        match (target, role_name) {
            (
                Ok(AzureTarget {
                    tenant,
                    vault: Some(vault),
                }),
                Ok(role_name),
            ) => Ok(AzureApplier {
                tenant,
                vault,
                role_name,
            }),
            (target, role_name) => {
                let mut errors = target.err().unwrap_or_default();
                errors.extend(role_name.err());
                Err(errors)
            }
        }
    }

    fn subscription(&self) -> &str {
        &self.vault.place.subscription
    }
}

/// A GUID derived from `parts`: the same resource gets the same name, so a PUT made twice
/// (a retry, a second run) makes one.
fn guid_of(parts: &[&str]) -> String {
    let digest = Sha256::digest(parts.join("\n").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-4{}-8{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..32]
    )
}

#[async_trait::async_trait]
impl Applier for AzureApplier {
    async fn connect(
        &self,
        options: &CheckOptions,
        log: CallLog,
    ) -> Result<Box<dyn ApplySession + '_>, CannotCheck> {
        let rest = Rest::new(
            Redirect::from_env(super::session::API_URL_VAR)?,
            options.timeout,
            &super::rest_shape::DIALECT,
        )?;
        let credentials = discover(&self.tenant, options.timeout).await?;
        let graph = match credentials.credential.get_token(&[GRAPH_SCOPE], None).await {
            Ok(token) => Ok(Zeroizing::new(token.token.secret().to_string())),
            Err(_) => Err(format!(
                "{} gave no token for Microsoft Graph: `az login --tenant {}`",
                credentials.source, self.tenant
            )),
        };
        let keys = key_client(
            &self.vault,
            credentials.credential.clone(),
            &rest,
            options.timeout,
        )?;
        Ok(Box::new(AzureApply {
            applier: self,
            rest,
            management: credentials.management,
            graph,
            keys,
            log,
            principal: std::sync::Mutex::new(None),
            role_id: std::sync::Mutex::new(None),
            timeout: options.timeout,
        }))
    }
}

struct AzureApply<'a> {
    applier: &'a AzureApplier,
    rest: Rest,
    management: Zeroizing<String>,
    graph: Result<Zeroizing<String>, String>,
    keys: azure_security_keyvault_keys::KeyClient,
    log: CallLog,
    /// OpenAI's service principal's object id, once found or made.
    principal: std::sync::Mutex<Option<String>>,
    /// The custom role's full id, once found or made.
    role_id: std::sync::Mutex<Option<String>>,
    timeout: Duration,
}

impl AzureApply<'_> {
    async fn call(
        &self,
        method: Method,
        url: &str,
        token: &str,
        body: Option<&Value>,
        shown: &str,
    ) -> Result<Value, CloudError> {
        let started = Instant::now();
        let answer = self.rest.call(method.clone(), url, token, body).await;
        let verb = if method == Method::GET {
            "READ"
        } else {
            method.as_str()
        };
        match &answer {
            Ok(_) => self.log.record(verb, shown, "done", started),
            Err(err) => self.log.record(verb, shown, &err.message, started),
        }
        answer
    }

    fn graph_token(&self) -> Result<&str, String> {
        self.graph
            .as_deref()
            .map(|t| t.as_str())
            .map_err(Clone::clone)
    }

    async fn find_principal(&self) -> Result<Option<String>, String> {
        let token = self.graph_token()?;
        let url = format!(
            "{GRAPH}/v1.0/servicePrincipals?$filter={}",
            encode_segment(&format!("appId eq '{OPENAI_APP_ID}'"))
        );
        match self
            .call(
                Method::GET,
                &url,
                token,
                None,
                "Graph servicePrincipals (OpenAI's app)",
            )
            .await
        {
            Ok(list) => Ok(list["value"]
                .as_array()
                .and_then(|v| v.first())
                .and_then(|sp| sp["id"].as_str())
                .map(str::to_string)),
            Err(err) => {
                Err(err.refusal("Azure", "Application.Read.All (reading service principals)"))
            }
        }
    }

    fn roles_url(&self) -> String {
        format!(
            "{MANAGEMENT}/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions",
            self.applier.subscription()
        )
    }

    /// The custom role by its name: its id and definition.
    async fn find_role(&self) -> Result<Option<(String, Value)>, String> {
        let url = format!(
            "{}?{ROLE_API}&$filter={}",
            self.roles_url(),
            encode_segment(&format!("roleName eq '{}'", self.applier.role_name))
        );
        match self
            .call(
                Method::GET,
                &url,
                &self.management,
                None,
                "ARM roleDefinitions (by name)",
            )
            .await
        {
            Ok(list) => Ok(list["value"]
                .as_array()
                .and_then(|v| v.first())
                .map(|role| {
                    (
                        role["id"].as_str().unwrap_or_default().to_string(),
                        role.clone(),
                    )
                })),
            Err(err) => Err(err.refusal("Azure", "Microsoft.Authorization/roleDefinitions/read")),
        }
    }

    fn vault_url(&self) -> String {
        format!(
            "{MANAGEMENT}{}?{VAULT_API}",
            self.applier.vault.place.vault_scope()
        )
    }

    fn assignment_name(&self, principal: &str, role_id: &str) -> String {
        guid_of(&[
            &self.applier.vault.place.key_scope().to_ascii_lowercase(),
            principal,
            &role_id.to_ascii_lowercase(),
        ])
    }

    async fn assignment_exists(&self, principal: &str, role_id: &str) -> Result<bool, String> {
        let url = format!(
            "{MANAGEMENT}{}/providers/Microsoft.Authorization/roleAssignments?{ROLE_API}&$filter={}",
            self.applier.vault.place.key_scope(),
            encode_segment(&format!("principalId eq '{principal}'"))
        );
        match self
            .call(
                Method::GET,
                &url,
                &self.management,
                None,
                "ARM roleAssignments on the key",
            )
            .await
        {
            Ok(list) => Ok(list["value"].as_array().is_some_and(|all| {
                all.iter().any(|a| {
                    a["properties"]["roleDefinitionId"]
                        .as_str()
                        .is_some_and(|r| r.eq_ignore_ascii_case(role_id))
                })
            })),
            Err(err) => Err(err.refusal("Azure", "Microsoft.Authorization/roleAssignments/read")),
        }
    }

    /// A new vault in its resource group's region: the RBAC model, purge protection, 90 days
    /// of soft delete, as step 3's command makes it.
    async fn make_vault(&self) -> Result<Applied, String> {
        let place = &self.applier.vault.place;
        let group = format!(
            "{MANAGEMENT}/subscriptions/{}/resourceGroups/{}?api-version=2021-04-01",
            place.subscription, place.resource_group
        );
        let location = match self
            .call(
                Method::GET,
                &group,
                &self.management,
                None,
                &format!("ARM resource group {}", place.resource_group),
            )
            .await
        {
            Ok(found) => found["location"].as_str().unwrap_or_default().to_string(),
            Err(err) if err.status == Some(404) => {
                return Err(format!(
                    "no resource group {} in the subscription: make it first (az group create); apply does not choose a region for you",
                    place.resource_group
                ));
            }
            Err(err) => {
                return Err(err.refusal(
                    "Azure",
                    "Microsoft.Resources/subscriptions/resourceGroups/read",
                ));
            }
        };
        let body = json!({
            "location": location,
            "properties": {
                "tenantId": self.applier.tenant,
                "sku": {"family": "A", "name": "standard"},
                "enableRbacAuthorization": true,
                "enablePurgeProtection": true,
                "enableSoftDelete": true,
                "softDeleteRetentionInDays": 90,
            }
        });
        self.call(
            Method::PUT,
            &self.vault_url(),
            &self.management,
            Some(&body),
            &format!("ARM vault {} PUT", place.vault),
        )
        .await
        .map(|_| Applied::Made {
            detail: format!("{} in {location}, RBAC, purge protection", place.vault),
        })
        .map_err(|err| err.refusal("Azure", "Microsoft.KeyVault/vaults/write"))
    }
}

#[async_trait::async_trait]
impl ApplySession for AzureApply<'_> {
    async fn plan(&self) -> Vec<Planned> {
        let place = &self.applier.vault.place;
        // OpenAI's service principal.
        let principal = self.find_principal().await;
        let principal_change = match &principal {
            Ok(Some(id)) => {
                *self.principal.lock().unwrap() = Some(id.clone());
                Change::AsWanted
            }
            Ok(None) => Change::Create,
            Err(why) => Change::Unknown { why: why.clone() },
        };
        // The custom role.
        let role_change = match self.find_role().await {
            Ok(Some((id, role))) => {
                *self.role_id.lock().unwrap() = Some(id);
                let granted = granted_data_actions(&role, &AZURE_DATA_ACTIONS);
                let missing: Vec<&str> = AZURE_DATA_ACTIONS
                    .iter()
                    .copied()
                    .filter(|a| !granted.contains(*a))
                    .collect();
                if missing.is_empty() {
                    Change::AsWanted
                } else {
                    Change::Differs {
                        diff: format!("+ dataActions {} (its others stay)", missing.join(", ")),
                    }
                }
            }
            Ok(None) => Change::Create,
            Err(why) => Change::Unknown { why },
        };
        // The vault: it must exist; its permission model must be RBAC.
        let vault_change = match self
            .call(Method::GET, &self.vault_url(), &self.management, None, &format!("ARM vault {}", place.vault))
            .await
        {
            Ok(vault) if vault["properties"]["enableRbacAuthorization"] == true => Change::AsWanted,
            Ok(_) => Change::Differs {
                diff: "permission model: access policies → Azure RBAC (access policies then stop counting)".into(),
            },
            Err(err) if err.status == Some(404) => Change::Create,
            Err(err) => Change::Unknown {
                why: err.refusal("Azure", "Microsoft.KeyVault/vaults/read"),
            },
        };
        // The key.
        let key_change = if matches!(vault_change, Change::Cannot { .. } | Change::Unknown { .. }) {
            Change::Unknown {
                why: format!(
                    "it depends on the vault {}, which could not be read",
                    place.vault
                ),
            }
        } else {
            let started = Instant::now();
            let answer =
                tokio::time::timeout(self.timeout, self.keys.get_key(&place.key, None)).await;
            match answer {
                Ok(Ok(_)) => {
                    self.log.record(
                        "READ",
                        &format!("Key Vault key {}", place.key),
                        "found",
                        started,
                    );
                    Change::AsWanted
                }
                Ok(Err(err)) if err.http_status().map(u16::from) == Some(404) => {
                    self.log.record(
                        "READ",
                        &format!("Key Vault key {}", place.key),
                        "not found",
                        started,
                    );
                    Change::Create
                }
                // With the vault still on access policies the read may be refused: after the
                // switch the key is made (or found).
                Ok(Err(_)) if matches!(vault_change, Change::Differs { .. }) => Change::Create,
                Ok(Err(err)) => {
                    self.log.record(
                        "READ",
                        &format!("Key Vault key {}", place.key),
                        &err.to_string(),
                        started,
                    );
                    Change::Unknown {
                        why: format!(
                            "the key {} could not be read ({}): your sign-in needs a data-plane role on the vault, such as Key Vault Crypto Officer",
                            place.key,
                            crate::secrets::one_line(&err.to_string(), 160)
                        ),
                    }
                }
                Err(_) => Change::Unknown {
                    why: "Key Vault did not answer in time".into(),
                },
            }
        };
        // The assignment, once the principal and the role are known.
        let principal_id = self.principal.lock().unwrap().clone();
        let role_id = self.role_id.lock().unwrap().clone();
        let assignment_change = match (principal_id, role_id) {
            (Some(principal), Some(role)) => {
                match self.assignment_exists(&principal, &role).await {
                    Ok(true) => Change::AsWanted,
                    Ok(false) => Change::Create,
                    Err(why) => Change::Unknown { why },
                }
            }
            _ => Change::Create,
        };
        let mut plan = vec![
            Planned::new(
                "service-principal",
                format!("OpenAI's service principal ({OPENAI_APP_DISPLAY_NAME})"),
                STEP_SERVICE_PRINCIPAL,
                principal_change,
            ),
            Planned::new(
                "role",
                format!("the custom role {}", self.applier.role_name),
                STEP_CUSTOM_ROLE,
                role_change,
            ),
            Planned::new(
                "vault",
                format!("the vault {}", place.vault),
                STEP_CREATE_KEY,
                vault_change,
            ),
            Planned::new(
                "key",
                format!("the RSA key {}", place.key),
                STEP_CREATE_KEY,
                key_change,
            ),
            Planned::new(
                "assignment",
                format!("the role assignment on the key {}", place.key),
                STEP_ROLE_ASSIGNMENT,
                assignment_change,
            ),
        ];
        follow_unknowns(
            &mut plan,
            &[("assignment", "service-principal"), ("assignment", "role")],
        );
        plan
    }

    async fn apply(&self, planned: &Planned) -> Applied {
        let place = &self.applier.vault.place;
        let outcome: Result<Applied, String> = match planned.id {
            "service-principal" => match self.graph_token() {
                Err(why) => Err(why),
                Ok(token) => {
                    let started = Instant::now();
                    let made = self
                        .rest
                        .create(
                            &format!("{GRAPH}/v1.0/servicePrincipals"),
                            token,
                            &json!({"appId": OPENAI_APP_ID}),
                        )
                        .await;
                    match made {
                        Ok(created) => {
                            self.log
                                .record("POST", "Graph servicePrincipals", "done", started);
                            let id = created["id"].as_str().unwrap_or_default().to_string();
                            *self.principal.lock().unwrap() = Some(id.clone());
                            Ok(Applied::Made {
                                detail: format!("object id {id}"),
                            })
                        }
                        Err(err) => {
                            self.log.record(
                                "POST",
                                "Graph servicePrincipals",
                                &err.message,
                                started,
                            );
                            if err.is_status(409) {
                                match self.find_principal().await {
                                    Ok(Some(id)) => {
                                        *self.principal.lock().unwrap() = Some(id.clone());
                                        Ok(Applied::Made {
                                            detail: format!("object id {id} (already made)"),
                                        })
                                    }
                                    _ => Err(err.refusal("Azure", "creating service principals")),
                                }
                            } else {
                                Err(err.refusal("Azure", "creating service principals (Application Administrator or Cloud Application Administrator)",
                                ))
                            }
                        }
                    }
                }
            },
            "role" => {
                let existing = self.role_id.lock().unwrap().clone();
                let id = existing.clone().unwrap_or_else(|| {
                    format!(
                        "/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{}",
                        self.applier.subscription(),
                        guid_of(&[self.applier.subscription(), &self.applier.role_name])
                    )
                });
                let mut body = custom_role(&self.applier.role_name, self.applier.subscription());
                body["properties"]["type"] = json!("CustomRole");
                if existing.is_some() {
                    // Keep every data action it has, adding the guide's.
                    if let Ok(Some((_, role))) = self.find_role().await {
                        let mut actions: Vec<Value> =
                            role["properties"]["permissions"][0]["dataActions"]
                                .as_array()
                                .cloned()
                                .unwrap_or_default();
                        for wanted in AZURE_DATA_ACTIONS {
                            if !actions.iter().any(|a| a == wanted) {
                                actions.push(json!(wanted));
                            }
                        }
                        body["properties"]["permissions"] =
                            role["properties"]["permissions"].clone();
                        body["properties"]["permissions"][0]["dataActions"] = Value::Array(actions);
                        body["properties"]["assignableScopes"] =
                            role["properties"]["assignableScopes"].clone();
                    }
                }
                match self
                    .call(
                        Method::PUT,
                        &format!("{MANAGEMENT}{id}?{ROLE_API}"),
                        &self.management,
                        Some(&body),
                        "ARM roleDefinitions PUT",
                    )
                    .await
                {
                    Ok(_) => {
                        *self.role_id.lock().unwrap() = Some(id.clone());
                        Ok(if existing.is_some() {
                            Applied::Changed { detail: id }
                        } else {
                            Applied::Made { detail: id }
                        })
                    }
                    Err(err) => {
                        Err(err.refusal("Azure", "Microsoft.Authorization/roleDefinitions/write"))
                    }
                }
            }
            "vault" if planned.change == Change::Create => self.make_vault().await,
            "vault" => self
                .call(
                    Method::PATCH,
                    &self.vault_url(),
                    &self.management,
                    Some(&json!({"properties": {"enableRbacAuthorization": true}})),
                    &format!("ARM vault {} PATCH", place.vault),
                )
                .await
                .map(|_| Applied::Changed {
                    detail: "permission model: Azure RBAC".into(),
                })
                .map_err(|err| err.refusal("Azure", "Microsoft.KeyVault/vaults/write")),
            "key" => {
                let parameters = CreateKeyParameters {
                    kty: Some(KeyType::Rsa),
                    key_size: Some(3072),
                    key_ops: Some(vec![
                        KeyOperation::Encrypt,
                        KeyOperation::Decrypt,
                        KeyOperation::WrapKey,
                        KeyOperation::UnwrapKey,
                    ]),
                    ..Default::default()
                };
                let started = Instant::now();
                let made = async {
                    let content = parameters.try_into()?;
                    self.keys.create_key(&place.key, content, None).await
                };
                match tokio::time::timeout(self.timeout, made).await {
                    Ok(Ok(_)) => {
                        self.log.record(
                            "POST",
                            &format!("Key Vault key {} create", place.key),
                            "done",
                            started,
                        );
                        Ok(Applied::Made {
                            detail: format!("RSA 3072 {}", place.key),
                        })
                    }
                    Ok(Err(err)) => {
                        self.log.record(
                            "POST",
                            &format!("Key Vault key {} create", place.key),
                            &err.to_string(),
                            started,
                        );
                        Err(format!(
                            "Microsoft.KeyVault/vaults/keys/create/action is not allowed, or the vault refused ({}): a data-plane role such as Key Vault Crypto Officer lets you",
                            crate::secrets::one_line(&err.to_string(), 160)
                        ))
                    }
                    Err(_) => Err("Key Vault did not answer in time".into()),
                }
            }
            "assignment" => {
                let principal = self.principal.lock().unwrap().clone();
                let role = self.role_id.lock().unwrap().clone();
                match (principal, role) {
                    (Some(principal), Some(role)) => {
                        let url = format!(
                            "{MANAGEMENT}{}/providers/Microsoft.Authorization/roleAssignments/{}?{ROLE_API}",
                            place.key_scope(),
                            self.assignment_name(&principal, &role)
                        );
                        let body = json!({"properties": {
                            "roleDefinitionId": role,
                            "principalId": principal,
                            "principalType": "ServicePrincipal",
                        }});
                        // A principal made a moment ago may not be known to ARM yet.
                        let mut wait = Duration::from_secs(1);
                        let mut outcome = Err("not tried".to_string());
                        for attempt in 0..6 {
                            match self
                                .call(
                                    Method::PUT,
                                    &url,
                                    &self.management,
                                    Some(&body),
                                    "ARM roleAssignments PUT (the key's scope)",
                                )
                                .await
                            {
                                Ok(_) => {
                                    outcome = Ok(Applied::Made {
                                        detail: format!("{role} for {principal}"),
                                    });
                                    break;
                                }
                                Err(err)
                                    if err.is_status(409)
                                        || err.code.contains("RoleAssignmentExists") =>
                                {
                                    outcome = Ok(Applied::Made {
                                        detail: "an equal assignment was there".into(),
                                    });
                                    break;
                                }
                                Err(err)
                                    if err.code.contains("PrincipalNotFound") && attempt < 5 =>
                                {
                                    tokio::time::sleep(wait).await;
                                    wait *= 2;
                                }
                                Err(err) => {
                                    outcome = Err(err.refusal(
                                        "Azure",
                                        "Microsoft.Authorization/roleAssignments/write",
                                    ));
                                    break;
                                }
                            }
                        }
                        outcome
                    }
                    _ => Err("the service principal and the role are needed first".into()),
                }
            }
            other => Err(format!("{other} is not something the Azure apply makes")),
        };
        outcome.unwrap_or_else(|why| Applied::Refused { why })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_guids() {
        let a = guid_of(&["x", "y"]);
        assert_eq!(a, guid_of(&["x", "y"]));
        assert_ne!(a, guid_of(&["x", "z"]));
        let parts: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12]);
        assert_eq!(&a[14..15], "4");
    }
}
