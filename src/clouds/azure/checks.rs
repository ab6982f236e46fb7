//! The Azure checks: who the admin is and in which tenant, OpenAI's service principal, the
//! vault (permission model, soft delete, purge protection), the key, OpenAI's role assignment
//! (role definitions resolved, wildcards honoured, `notDataActions` subtracted), and an
//! RSA-OAEP-256 round trip. Also creates OpenAI's service principal, when asked to.
//! Credentials come from azure_identity (client secret in the environment, Azure CLI / azd,
//! managed identity) or from `EKM_AZURE_ACCESS_TOKEN`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_security_keyvault_keys::models::{
    EncryptionAlgorithm, KeyAttributes, KeyClientUpdateKeyPropertiesOptions,
    KeyOperationParameters, KeyType, UpdateKeyPropertiesParameters,
};
use azure_security_keyvault_keys::{KeyClient, KeyClientOptions, ResourceExt as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::checks::rest::{
    CloudError, CloudWords, FixedElsewhere, Redirect, Refusal, Rest, encode_segment,
};
use std::sync::OnceLock;

use super::artifacts::{AZURE_DATA_ACTIONS, KeyPlace};
use super::ids::*;
use super::{OPENAI_APP_DISPLAY_NAME, OPENAI_APP_ID};
use crate::checks::{
    ActionOutcome, CannotCheck, CheckOptions, CheckSession, CheckSpec, CheckStatus, CheckTarget,
    Finding, Need, probe_bytes, within,
};
use crate::guide::plan::SwitchableKey;
use crate::guide::{ActionId, CheckId};
use crate::guide::{FieldError, Inputs, SetupPath};

/// The bearer token used instead of discovering credentials (sent to every Azure host).
pub const TOKEN_VAR: &str = "EKM_AZURE_ACCESS_TOKEN";
/// Sends every request for an Azure host (management, Graph, Key Vault) to `<value>/<host><path>`.
pub const API_URL_VAR: &str = "EKM_AZURE_API_URL";

pub(super) const MANAGEMENT: &str = "https://management.azure.com";
pub(super) const GRAPH: &str = "https://graph.microsoft.com";
const MANAGEMENT_SCOPE: &str = "https://management.azure.com/.default";
pub(super) const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// The asset tag Azure's VMs carry; only there is the instance metadata service asked.
const AZURE_ASSET_TAG: &str = "7783-7084-3265-9085-8269-3286-77";

/// What the checks need from the recorded inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct AzureTarget {
    pub tenant: String,
    /// The vault and key, once step 3 recorded them; until then their checks wait.
    pub vault: Option<VaultPlace>,
}

/// Where the key is: the vault's address and the key's place in Azure.
#[derive(Debug, Clone, PartialEq)]
pub struct VaultPlace {
    pub vault_uri: String,
    pub place: KeyPlace,
}

impl AzureTarget {
    /// Reads the recorded values; every refused field is returned.
    pub fn from_inputs(inputs: &Inputs, _path: SetupPath) -> Result<AzureTarget, Vec<FieldError>> {
        Self::read(inputs, true)
    }

    /// Reads what is recorded so far: the tenant is needed, the vault and key may come later.
    pub fn from_recorded(
        inputs: &Inputs,
        _path: SetupPath,
    ) -> Result<AzureTarget, Vec<FieldError>> {
        Self::read(inputs, false)
    }

    fn read(inputs: &Inputs, whole: bool) -> Result<AzureTarget, Vec<FieldError>> {
        let tenant = inputs.validated(TENANT_ID);
        let later = [VAULT_URI, KEY_NAME, SUBSCRIPTION_ID, RESOURCE_GROUP];
        if !whole && later.iter().any(|f| inputs.effective(*f).trim().is_empty()) {
            return tenant
                .map(|tenant| AzureTarget {
                    tenant,
                    vault: None,
                })
                .map_err(|e| vec![e]);
        }
        let vault_uri = inputs.validated(VAULT_URI);
        let place = super::artifacts::key_place(inputs);
        let mut errors = Vec::new();
        errors.extend(tenant.as_ref().err().cloned());
        errors.extend(vault_uri.as_ref().err().cloned());
        errors.extend(place.as_ref().err().cloned().unwrap_or_default());
        match (tenant, vault_uri, place) {
            (Ok(tenant), Ok(vault_uri), Ok(place)) => Ok(AzureTarget {
                tenant,
                vault: Some(VaultPlace { vault_uri, place }),
            }),
            _ => Err(crate::artifacts::dedup(errors)),
        }
    }
}

/// A credential that hands out the token from `EKM_AZURE_ACCESS_TOKEN` for every scope.
struct GivenToken(Secret);

impl std::fmt::Debug for GivenToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GivenToken(hidden)")
    }
}

#[async_trait::async_trait]
impl TokenCredential for GivenToken {
    async fn get_token(
        &self,
        _scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        Ok(AccessToken::new(
            self.0.clone(),
            azure_core::time::OffsetDateTime::now_utc() + azure_core::time::Duration::hours(1),
        ))
    }
}

/// The admin's credential, and in words where it came from (never the token).
pub(super) struct Credentials {
    pub(super) credential: Arc<dyn TokenCredential>,
    pub(super) source: String,
    /// A token for Azure Resource Manager, proven to work.
    pub(super) management: Zeroizing<String>,
}

/// Finds a credential the way the Azure CLI user expects: a token given in the environment,
/// a service principal's secret in the environment, the Azure CLI (then azd), and the managed
/// identity only where one can exist (App Service, or an Azure VM), so that a machine without
/// credentials says so at once.
pub(super) async fn discover(tenant: &str, timeout: Duration) -> Result<Credentials, CannotCheck> {
    let mut candidates: Vec<(Arc<dyn TokenCredential>, String)> = Vec::new();
    if let Ok(token) = std::env::var(TOKEN_VAR)
        && !token.trim().is_empty()
    {
        candidates.push((
            Arc::new(GivenToken(Secret::new(token.trim().to_string()))),
            format!("the token in {TOKEN_VAR}"),
        ));
    }
    if candidates.is_empty() {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let (Some(secret), Some(client), Some(secret_tenant)) = (
            env("AZURE_CLIENT_SECRET"),
            env("AZURE_CLIENT_ID"),
            env("AZURE_TENANT_ID"),
        ) && let Ok(credential) = azure_identity::ClientSecretCredential::new(
            &secret_tenant,
            client.clone(),
            Secret::new(secret),
            None,
        ) {
            candidates.push((
                credential,
                format!("the service principal {client} (AZURE_CLIENT_SECRET)"),
            ));
        }
        if let Ok(cli) = azure_identity::AzureCliCredential::new(Some(
            azure_identity::AzureCliCredentialOptions {
                tenant_id: Some(tenant.to_string()),
                ..Default::default()
            },
        )) {
            candidates.push((cli, "the Azure CLI (az login)".to_string()));
        }
        if let Ok(tools) = azure_identity::DeveloperToolsCredential::new(None) {
            candidates.push((tools, "the Azure developer tools (azd)".to_string()));
        }
        if managed_identity_possible()
            && let Ok(managed) = azure_identity::ManagedIdentityCredential::new(None)
        {
            candidates.push((managed, "this machine's managed identity".to_string()));
        }
    }
    let mut tried = Vec::new();
    for (credential, source) in candidates {
        match within(timeout, credential.get_token(&[MANAGEMENT_SCOPE], None)).await {
            Some(Ok(token)) => {
                return Ok(Credentials {
                    management: Zeroizing::new(token.token.secret().to_string()),
                    credential,
                    source,
                });
            }
            Some(Err(_)) => tried.push(format!("{source} gave no token")),
            None => tried.push(format!("{source} did not answer in time")),
        }
    }
    if tried.is_empty() {
        tried.push("no credential source is available".to_string());
    }
    Err(CannotCheck(format!(
        "Could not check: no Azure credentials were found ({}). Sign in first: `az login --tenant {tenant}`, or export AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or put a token from `az account get-access-token` in {TOKEN_VAR}.",
        tried.join("; ")
    )))
}

/// True on App Service / Functions / Arc (they name an endpoint) and on Azure VMs (DMI tag).
fn managed_identity_possible() -> bool {
    std::env::var_os("IDENTITY_ENDPOINT").is_some()
        || std::env::var_os("MSI_ENDPOINT").is_some()
        || std::fs::read_to_string("/sys/class/dmi/id/chassis_asset_tag")
            .is_ok_and(|tag| tag.trim() == AZURE_ASSET_TAG)
}

/// The claims an Azure token says about its holder: tenant and a name. Read, not verified:
/// only to tell the admin who they are signed in as.
pub fn token_claims(token: &str) -> Option<(String, String)> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    let tenant = claims["tid"].as_str()?.to_string();
    let name = [
        "upn",
        "unique_name",
        "email",
        "app_displayname",
        "appid",
        "oid",
    ]
    .iter()
    .find_map(|k| claims[*k].as_str())
    .unwrap_or("an unnamed identity")
    .to_string();
    Some((tenant, name))
}

/// Sends the Key Vault client's requests through the same override as the REST calls, keeping
/// the vault's https URL (and so its authentication) as it is.
#[derive(Debug)]
struct Forwarding {
    http: reqwest::Client,
    redirect: Redirect,
}

#[async_trait::async_trait]
impl azure_core::http::HttpClient for Forwarding {
    async fn execute_request(
        &self,
        request: &azure_core::http::Request,
    ) -> azure_core::Result<azure_core::http::AsyncRawResponse> {
        let mut forwarded = request.clone();
        let target = self.redirect.apply(request.url());
        *forwarded.url_mut() = target;
        azure_core::http::HttpClient::execute_request(&self.http, &forwarded).await
    }
}

pub(super) fn key_client(
    vault: &VaultPlace,
    credential: Arc<dyn TokenCredential>,
    rest: &Rest,
    timeout: Duration,
) -> Result<KeyClient, CannotCheck> {
    let mut client_options = ClientOptions {
        retry: RetryOptions::exponential(ExponentialRetryOptions {
            // Spaced to fit in the window, so a failure that repeats is said as itself.
            initial_delay: azure_core::time::Duration::milliseconds(
                rest.backoff.min(timeout / 10).as_millis() as i64,
            ),
            max_retries: crate::checks::rest::ATTEMPTS - 1,
            max_total_elapsed: azure_core::time::Duration::milliseconds(
                (timeout * 8 / 10).as_millis() as i64,
            ),
            max_delay: azure_core::time::Duration::seconds(3),
        }),
        ..Default::default()
    };
    if rest.redirect().is_active() {
        client_options.transport = Some(Transport::new(Arc::new(Forwarding {
            http: rest.http().clone(),
            redirect: rest.redirect().clone(),
        })));
    }
    KeyClient::new(
        &vault.vault_uri,
        credential,
        Some(KeyClientOptions {
            client_options,
            ..Default::default()
        }),
    )
    .map_err(|e| CannotCheck(format!("the Key Vault client could not start: {e}")))
}

/// One run's connection to Azure.
struct AzureSession<'a> {
    rest: Rest,
    management: Zeroizing<String>,
    graph: Result<Zeroizing<String>, String>,
    target: &'a AzureTarget,
    timeout: Duration,
}

/// The vault side of a run: its key client, and where the key is.
struct VaultSession<'a> {
    keys: KeyClient,
    vault_uri: &'a str,
    place: &'a KeyPlace,
}

impl AzureSession<'_> {
    async fn arm(&self, path: &str) -> Option<Result<Value, CloudError>> {
        within(
            self.timeout,
            self.rest.call(
                Method::GET,
                &format!("{MANAGEMENT}{path}"),
                &self.management,
                None,
            ),
        )
        .await
    }
}

/// The vault's host for the words of a failure to reach it, with where its requests really
/// go when an override (`EKM_AZURE_API_URL`) sends them elsewhere.
fn vault_host(vault_uri: &str) -> String {
    let host = reqwest::Url::parse(vault_uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "the vault".into());
    match Redirect::from_env(API_URL_VAR)
        .ok()
        .and_then(|r| r.through())
    {
        Some(through) => format!("{host} (through {through})"),
        None => host,
    }
}

/// Reads a Key Vault SDK error into the common form.
fn vault_error(err: &azure_core::Error, vault_uri: &str) -> CloudError {
    let status = err.http_status().map(u16::from);
    let body = match err.kind() {
        azure_core::error::ErrorKind::HttpResponse { raw_response, .. } => raw_response
            .as_ref()
            .and_then(|raw| serde_json::from_slice::<Value>(raw.body().as_ref()).ok()),
        _ => None,
    };
    match (status, body) {
        (Some(status), Some(body)) => {
            CloudError::from_answer(status, &body, &super::rest_shape::DIALECT)
        }
        (Some(status), None) => {
            CloudError::from_answer(status, &Value::Null, &super::rest_shape::DIALECT)
        }
        (None, _) => CloudError {
            status: None,
            code: String::new(),
            message: crate::net::could_not_reach(&vault_host(vault_uri), err),
            reasons: Vec::new(),
            unreadable: false,
        },
    }
}

const AZURE: CloudWords = CloudWords {
    name: "Azure",
    sign_in: "sign in again (`az login`)",
    fixed_elsewhere: &[FixedElsewhere {
        reason: "ForbiddenByFirewall",
        means: "the vault's firewall refused this machine",
        to_do: "allow it, or check from an allowed network; OpenAI must be allowed too",
        step: STEP_RESTRICTIONS,
    }],
};

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

/// The Azure checks, in the order they are shown.
pub static PLAN: [CheckSpec; 7] = [
    CheckSpec {
        id: CHECK_IDENTITY,
        title: "Who you are",
        proves: "the credentials work in the recorded tenant",
        fix_step: STEP_SERVICE_PRINCIPAL,
        needs_fields: &[],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_SERVICE_PRINCIPAL,
        title: "OpenAI's service principal",
        proves: "OpenAI's application has a service principal in the tenant, enabled",
        fix_step: STEP_SERVICE_PRINCIPAL,
        needs_fields: &[],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_VAULT,
        title: "Key vault",
        proves: "the vault exists at the recorded address and uses Azure RBAC",
        fix_step: STEP_CREATE_KEY,
        needs_fields: VAULT_FIELDS,
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_KEY,
        title: "Key",
        proves: "the key is an enabled RSA key that may encrypt and decrypt",
        fix_step: STEP_CREATE_KEY,
        needs_fields: KEY_FIELDS,
        needs_checks: &[],
        calls: 2,
    },
    CheckSpec {
        id: CHECK_ROLE_ASSIGNMENT,
        title: "Role assignment",
        proves: "OpenAI's service principal holds a role with the three data actions at the key or above",
        fix_step: STEP_ROLE_ASSIGNMENT,
        needs_fields: KEY_FIELDS,
        needs_checks: &[Need::after(
            CHECK_SERVICE_PRINCIPAL,
            "OpenAI's service principal",
        )],
        calls: 3,
    },
    CheckSpec {
        id: CHECK_ROUND_TRIP,
        title: "Encrypt and decrypt",
        proves: "the key encrypts and decrypts for you (not yet for OpenAI)",
        fix_step: STEP_CREATE_KEY,
        needs_fields: KEY_FIELDS,
        needs_checks: &[Need::beside(CHECK_KEY, "the key")],
        calls: 2,
    },
    CheckSpec {
        id: CHECK_VAULT_HARDENING,
        title: "Vault protection",
        proves: "soft delete, purge protection and a closed firewall keep the key safe",
        fix_step: STEP_RESTRICTIONS,
        needs_fields: VAULT_FIELDS,
        needs_checks: &[Need::after(CHECK_VAULT, "the vault")],
        calls: 1,
    },
];

/// The fields that place the vault and the key: their checks wait until all are recorded.
const VAULT_FIELDS: &[crate::guide::FieldId] =
    &[VAULT_URI, KEY_NAME, SUBSCRIPTION_ID, RESOURCE_GROUP];
const KEY_FIELDS: &[crate::guide::FieldId] =
    &[KEY_NAME, VAULT_URI, SUBSCRIPTION_ID, RESOURCE_GROUP];

pub const CHECK_IDENTITY: CheckId = CheckId::new("identity");
pub const CHECK_SERVICE_PRINCIPAL: CheckId = CheckId::new("service-principal");
pub const CHECK_VAULT: CheckId = CheckId::new("vault");
pub const CHECK_KEY: CheckId = CheckId::new("key");
pub const CHECK_ROLE_ASSIGNMENT: CheckId = CheckId::new("role-assignment");
pub const CHECK_ROUND_TRIP: CheckId = CheckId::new("round-trip");
pub const CHECK_VAULT_HARDENING: CheckId = CheckId::new("vault-hardening");

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

/// A key version as Key Vault writes it in a key id: letters and digits, no more than 64.
fn is_key_version(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric())
}

#[async_trait::async_trait]
impl CheckSession for AzureRun<'_> {
    /// The key's current version: a drill sets its `enabled` attribute.
    async fn switchable_key(&self) -> Result<SwitchableKey, String> {
        let vault = self
            .vault
            .as_ref()
            .ok_or_else(|| "the vault and key are not recorded yet".to_string())?;
        let name = &vault.place.key;
        let key = within(self.session.timeout, vault.keys.get_key(name, None))
            .await
            .ok_or_else(|| {
                crate::net::Unreachable::TimedOut.sentence(&vault_host(vault.vault_uri))
            })?
            .and_then(|r| r.into_model())
            .map_err(|e| {
                format!(
                    "could not read key `{name}`: {}",
                    vault_error(&e, vault.vault_uri).message
                )
            })?;
        let version = key
            .resource_id()
            .ok()
            .and_then(|r| r.version)
            .filter(|v| is_key_version(v))
            .ok_or_else(|| format!("Key Vault gave no version for key `{name}`"))?;
        let on = key.attributes.as_ref().and_then(|a| a.enabled) != Some(false);
        Ok(SwitchableKey {
            described: format!("version {version} of key `{name}` in {}", vault.vault_uri),
            switch_on_command: format!(
                "az keyvault key set-attributes --vault-name {} --name {name} --version {version} --enabled true",
                vault.place.vault
            ),
            handle: version,
            on,
        })
    }

    /// Updates the version's `enabled` attribute, as `az keyvault key set-attributes` does.
    async fn set_key_on(&self, handle: &str, on: bool) -> Result<(), String> {
        let vault = self
            .vault
            .as_ref()
            .ok_or_else(|| "the vault and key are not recorded".to_string())?;
        if !is_key_version(handle) {
            return Err(format!("`{handle}` is not a key version"));
        }
        let name = &vault.place.key;
        let parameters = UpdateKeyPropertiesParameters {
            key_attributes: Some(KeyAttributes {
                enabled: Some(on),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = KeyClientUpdateKeyPropertiesOptions {
            key_version: Some(handle.to_string()),
            ..Default::default()
        };
        let update = async {
            let content = parameters.try_into()?;
            vault
                .keys
                .update_key_properties(name, content, Some(options))
                .await?
                .into_model()
        };
        let updated = within(self.session.timeout, update)
            .await
            .ok_or_else(|| {
                crate::net::Unreachable::TimedOut.sentence(&vault_host(vault.vault_uri))
            })?
            .map_err(|e| {
                format!(
                    "Key Vault refused to {} key `{name}`: {}",
                    if on { "enable" } else { "disable" },
                    vault_error(&e, vault.vault_uri).message
                )
            })?;
        match updated.attributes.as_ref().and_then(|a| a.enabled) {
            Some(enabled) if enabled == on => Ok(()),
            other => Err(format!(
                "Key Vault answered with the key {}",
                match other {
                    Some(true) => "enabled",
                    Some(false) => "disabled",
                    None => "in an unknown state",
                }
            )),
        }
    }

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

    #[test]
    fn token_claims_name_tenant_and_holder() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"tid":"t-1","upn":"admin@contoso.com"}"#);
        let token = format!("xx.{payload}.sig");
        assert_eq!(
            token_claims(&token),
            Some(("t-1".to_string(), "admin@contoso.com".to_string()))
        );
        assert_eq!(token_claims("opaque"), None);
    }
}
