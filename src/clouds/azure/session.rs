//! Signing in to Azure: credentials from azure_identity (a client secret in the environment,
//! the Azure CLI or azd, a managed identity on Azure's VMs) or a token in
//! `EKM_AZURE_ACCESS_TOKEN`, the hosts and scopes asked, the redirect of Azure's hosts to a
//! stand-in (the Key Vault client's requests included), and one run's connection with its
//! words for Azure's errors. The checks and apply both sign in here.

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{AccessToken, Secret, TokenCredential, TokenRequestOptions};
use azure_core::http::{ClientOptions, ExponentialRetryOptions, RetryOptions, Transport};
use azure_security_keyvault_keys::{KeyClient, KeyClientOptions};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::Value;
use zeroize::Zeroizing;

use super::artifacts::KeyPlace;
use super::ids::*;
use super::target::{AzureTarget, VaultPlace};
use crate::checks::rest::{CloudError, CloudWords, FixedElsewhere, Redirect, Rest};
use crate::checks::{CannotCheck, within};

/// The bearer token used instead of discovering credentials (sent to every Azure host).
pub const TOKEN_VAR: &str = "EKM_AZURE_ACCESS_TOKEN";
/// Sends every request for an Azure host (management, Graph, Key Vault) to `<value>/<host><path>`.
pub const API_URL_VAR: &str = "EKM_AZURE_API_URL";

pub(super) const MANAGEMENT: &str = "https://management.azure.com";
pub(super) const GRAPH: &str = "https://graph.microsoft.com";
pub(super) const MANAGEMENT_SCOPE: &str = "https://management.azure.com/.default";
pub(super) const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// The asset tag Azure's VMs carry; only there is the instance metadata service asked.
const AZURE_ASSET_TAG: &str = "7783-7084-3265-9085-8269-3286-77";

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
pub(super) struct AzureSession<'a> {
    pub(super) rest: Rest,
    pub(super) management: Zeroizing<String>,
    pub(super) graph: Result<Zeroizing<String>, String>,
    pub(super) target: &'a AzureTarget,
    pub(super) timeout: Duration,
}

/// The vault side of a run: its key client, and where the key is.
pub(super) struct VaultSession<'a> {
    pub(super) keys: KeyClient,
    pub(super) vault_uri: &'a str,
    pub(super) place: &'a KeyPlace,
}

impl AzureSession<'_> {
    pub(super) async fn arm(&self, path: &str) -> Option<Result<Value, CloudError>> {
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
pub(super) fn vault_host(vault_uri: &str) -> String {
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
pub(super) fn vault_error(err: &azure_core::Error, vault_uri: &str) -> CloudError {
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
            retry_after: None,
        },
    }
}

pub(super) const AZURE: CloudWords = CloudWords {
    name: "Azure",
    sign_in: "sign in again (`az login`)",
    fixed_elsewhere: &[FixedElsewhere {
        reason: "ForbiddenByFirewall",
        means: "the vault's firewall refused this machine",
        to_do: "allow it, or check from an allowed network; OpenAI must be allowed too",
        step: STEP_RESTRICTIONS,
    }],
};

#[cfg(test)]
mod tests {
    use super::*;

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
