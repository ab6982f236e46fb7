//! Signing in to Google Cloud: credentials found the way Google's tools find them (or a token
//! in `EKM_GCP_ACCESS_TOKEN`), the redirect of Google's hosts to a stand-in, and one run's
//! connection with its words for Google's errors. The checks and apply both sign in here.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use zeroize::Zeroizing;

use super::ids::*;
use super::target::GcpTarget;
use crate::checks::rest::{CloudError, CloudWords, FixedElsewhere, Rest};
use crate::checks::{CannotCheck, within};

/// The host of Cloud KMS, for the words of a failure to reach it.
pub(super) const KMS_HOST: &str = "cloudkms.googleapis.com";
/// The bearer token used instead of discovering credentials.
pub const TOKEN_VAR: &str = "EKM_GCP_ACCESS_TOKEN";
/// Sends every request for a Google host to `<value>/<host><path>`.
pub const API_URL_VAR: &str = "EKM_GCP_API_URL";

const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// The admin's credentials, held only for this run.
pub(super) struct Credentials {
    pub(super) token: Zeroizing<String>,
    /// Where they came from, in words (never the token).
    pub(super) source: String,
}

/// Finds credentials the way Google's tools do, without waiting on a metadata server that is
/// not there: the metadata server is asked only on a Google Compute Engine machine.
pub(super) async fn discover(timeout: Duration) -> Result<Credentials, CannotCheck> {
    if let Ok(token) = std::env::var(TOKEN_VAR)
        && !token.trim().is_empty()
    {
        return Ok(Credentials {
            token: Zeroizing::new(token.trim().to_string()),
            source: format!("the token in {TOKEN_VAR}"),
        });
    }
    let mut tried = Vec::new();
    let mut found: Option<(Arc<dyn gcp_auth::TokenProvider>, String)> = None;
    match gcp_auth::CustomServiceAccount::from_env() {
        Ok(Some(account)) => {
            let path = std::env::var("GOOGLE_APPLICATION_CREDENTIALS").unwrap_or_default();
            found = Some((
                Arc::new(account),
                format!("the service-account file {path}"),
            ));
        }
        Ok(None) => tried.push("GOOGLE_APPLICATION_CREDENTIALS is not set".to_string()),
        Err(err) => tried.push(format!("GOOGLE_APPLICATION_CREDENTIALS: {err}")),
    }
    if found.is_none() {
        match within(timeout, gcp_auth::ConfigDefaultCredentials::new()).await {
            Some(Ok(adc)) => {
                found = Some((
                    Arc::new(adc),
                    "gcloud application-default credentials".to_string(),
                ))
            }
            Some(Err(_)) => tried.push("no application-default credentials".to_string()),
            None => tried.push("application-default credentials did not answer".to_string()),
        }
    }
    if found.is_none() {
        match within(timeout, gcp_auth::GCloudAuthorizedUser::new()).await {
            Some(Ok(user)) => found = Some((Arc::new(user), "the gcloud CLI".to_string())),
            Some(Err(_)) => tried.push("gcloud is not installed or not signed in".to_string()),
            None => tried.push("gcloud did not answer".to_string()),
        }
    }
    if found.is_none() && on_google_compute_engine() {
        match within(
            timeout.min(Duration::from_secs(3)),
            gcp_auth::MetadataServiceAccount::new(),
        )
        .await
        {
            Some(Ok(metadata)) => {
                found = Some((
                    Arc::new(metadata),
                    "this VM's service account (metadata server)".to_string(),
                ))
            }
            _ => tried.push("the metadata server did not give a token".to_string()),
        }
    }
    let Some((provider, source)) = found else {
        return Err(no_credentials(&tried.join("; ")));
    };
    match within(timeout, provider.token(&[SCOPE])).await {
        Some(Ok(token)) => Ok(Credentials {
            token: Zeroizing::new(token.as_str().to_string()),
            source,
        }),
        Some(Err(err)) => Err(no_credentials(&format!("{source} gave no token: {err}"))),
        None => Err(no_credentials(&format!("{source} did not answer in time"))),
    }
}

/// Google's own libraries decide the same way: a GCE machine says so in its DMI product name.
fn on_google_compute_engine() -> bool {
    std::fs::read_to_string("/sys/class/dmi/id/product_name")
        .is_ok_and(|name| name.trim_start().starts_with("Google"))
}

fn no_credentials(reason: &str) -> CannotCheck {
    CannotCheck(format!(
        "Could not check: no Google Cloud credentials were found ({reason}). Sign in first: `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or put a token from `gcloud auth print-access-token` in {TOKEN_VAR}."
    ))
}

/// One run's connection to Google.
pub(super) struct Google<'a> {
    pub(super) rest: Rest,
    pub(super) token: Zeroizing<String>,
    pub(super) target: &'a GcpTarget,
    pub(super) timeout: Duration,
}

impl Google<'_> {
    pub(super) async fn get(&self, url: &str) -> Option<Result<Value, CloudError>> {
        within(
            self.timeout,
            self.rest.call(Method::GET, url, &self.token, None),
        )
        .await
    }

    pub(super) async fn post(&self, url: &str, body: &Value) -> Option<Result<Value, CloudError>> {
        within(
            self.timeout,
            self.rest.call(Method::POST, url, &self.token, Some(body)),
        )
        .await
    }
}

pub(super) const GOOGLE: CloudWords = CloudWords {
    name: "Google",
    sign_in: "sign in again",
    fixed_elsewhere: &[FixedElsewhere {
        reason: "SERVICE_DISABLED",
        means: "an API this needs is not enabled",
        to_do: "enable it, then check again",
        step: STEP_ENABLE_KMS,
    }],
};
