//! The GCP checks: who the admin is and the pool's project, the workload identity pool and its
//! OIDC provider, Cloud KMS enabled, the key, OpenAI's grant on the key (custom roles
//! resolved), an encrypt/decrypt round trip, and rotation. Credentials come from gcp_auth
//! (service-account file, gcloud application-default login, gcloud, the metadata server on
//! Google's VMs) or from `EKM_GCP_ACCESS_TOKEN`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::condition::{self, Truth};
use crate::checks::rest::{
    CloudError, CloudWords, FixedElsewhere, Redirect, Refusal, Rest, encode_segment,
};
use std::sync::OnceLock;

use super::artifacts::{Federation, GCP_KMS_PERMISSIONS, KeyLocation, principal};
use super::ids::*;
use super::{OPENAI_SUBJECT_ID, OPENAI_TOKEN_ISSUER};
use crate::checks::{
    CannotCheck, CheckOptions, CheckSession, CheckSpec, CheckStatus, CheckTarget, Finding, Need,
    probe_bytes, within,
};
use crate::guide::CheckId;
use crate::guide::plan::SwitchableKey;
use crate::guide::{FieldError, Inputs, SetupPath};

/// The host of Cloud KMS, for the words of a failure to reach it.
const KMS_HOST: &str = "cloudkms.googleapis.com";
/// The bearer token used instead of discovering credentials.
pub const TOKEN_VAR: &str = "EKM_GCP_ACCESS_TOKEN";
/// Sends every request for a Google host to `<value>/<host><path>`.
pub const API_URL_VAR: &str = "EKM_GCP_API_URL";

const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// The predefined role that holds both permissions.
const ENCRYPTER_DECRYPTER: &str = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

/// What the checks need from the recorded inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct GcpTarget {
    pub federation: Federation,
    /// The audience OpenAI presents: the org id, or an API project id.
    pub audience: String,
    /// The key, once steps 2 and 3 recorded it; until then its checks wait.
    pub key: Option<KeyLocation>,
}

impl GcpTarget {
    /// Reads the recorded values; every refused field is returned.
    pub fn from_inputs(inputs: &Inputs, path: SetupPath) -> Result<GcpTarget, Vec<FieldError>> {
        Self::read(inputs, path, true)
    }

    /// Reads what is recorded so far: the federation of step 1 is needed, the key may come
    /// later.
    pub fn from_recorded(inputs: &Inputs, path: SetupPath) -> Result<GcpTarget, Vec<FieldError>> {
        Self::read(inputs, path, false)
    }

    fn read(inputs: &Inputs, path: SetupPath, whole: bool) -> Result<GcpTarget, Vec<FieldError>> {
        use super::artifacts as gcp;
        let federation = gcp::federation(inputs);
        let later = [
            KMS_PROJECT_ID,
            KMS_KEY_LOCATION,
            KMS_KEY_RING_NAME,
            KMS_KEY_NAME,
        ];
        let key_recorded = whole
            || later
                .iter()
                .all(|f| !inputs.effective(*f).trim().is_empty());
        let key = if key_recorded {
            gcp::key_location(inputs).map(Some)
        } else {
            Ok(None)
        };
        let audience = gcp::audience(inputs, path);
        let mut errors = Vec::new();
        errors.extend(federation.as_ref().err().cloned().unwrap_or_default());
        errors.extend(key.as_ref().err().cloned().unwrap_or_default());
        errors.extend(audience.as_ref().err().cloned());
        match (federation, key, audience) {
            (Ok(federation), Ok(key), Ok(audience)) => Ok(GcpTarget {
                federation,
                audience,
                key,
            }),
            _ => Err(crate::artifacts::dedup(errors)),
        }
    }

    pub(super) fn pool_url(&self) -> String {
        format!(
            "https://iam.googleapis.com/v1/projects/{}/locations/global/workloadIdentityPools/{}",
            self.federation.project_number,
            encode_segment(&self.federation.pool)
        )
    }

    pub(super) fn provider_url(&self) -> String {
        format!(
            "{}/providers/{}",
            self.pool_url(),
            encode_segment(&self.federation.provider)
        )
    }
}

pub(super) fn key_url(key: &KeyLocation) -> String {
    format!(
        "https://cloudkms.googleapis.com/v1/projects/{}/locations/{}/keyRings/{}/cryptoKeys/{}",
        encode_segment(&key.project),
        encode_segment(&key.location),
        encode_segment(&key.ring),
        encode_segment(&key.key)
    )
}

pub(super) fn key_display(key: &KeyLocation) -> String {
    format!(
        "projects/{}/locations/{}/keyRings/{}/cryptoKeys/{}",
        key.project, key.location, key.ring, key.key
    )
}

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
struct Google<'a> {
    rest: Rest,
    token: Zeroizing<String>,
    target: &'a GcpTarget,
    timeout: Duration,
}

impl Google<'_> {
    async fn get(&self, url: &str) -> Option<Result<Value, CloudError>> {
        within(
            self.timeout,
            self.rest.call(Method::GET, url, &self.token, None),
        )
        .await
    }

    async fn post(&self, url: &str, body: &Value) -> Option<Result<Value, CloudError>> {
        within(
            self.timeout,
            self.rest.call(Method::POST, url, &self.token, Some(body)),
        )
        .await
    }
}

const GOOGLE: CloudWords = CloudWords {
    name: "Google",
    sign_in: "sign in again",
    fixed_elsewhere: &[FixedElsewhere {
        reason: "SERVICE_DISABLED",
        means: "an API this needs is not enabled",
        to_do: "enable it, then check again",
        step: STEP_ENABLE_KMS,
    }],
};

/// What an error on a read means for the check: a refusal is "could not look", not "broken";
/// an API switched off is fixed where Cloud KMS is enabled.
fn read_failure(err: &CloudError, what: &str, permission: &str) -> Refusal {
    Refusal::of_read(
        err,
        &GOOGLE,
        what,
        format!(
            "could not check: your credentials lack {permission} on {what} (Google also answers this way when it does not exist)"
        ),
    )
}

/// The Google Cloud checks, in the order they are shown.
pub static PLAN: [CheckSpec; 8] = [
    CheckSpec {
        id: CHECK_IDENTITY,
        title: "Who you are",
        proves: "the credentials work and the pool's project answers",
        fix_step: STEP_FEDERATED_IDENTITY,
        needs_fields: &[],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_POOL,
        title: "Workload identity pool",
        proves: "the pool exists and is active",
        fix_step: STEP_FEDERATED_IDENTITY,
        needs_fields: &[],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_PROVIDER,
        title: "OIDC provider",
        proves: "the provider trusts Google's issuer for OpenAI's audience, maps the subject, and admits OpenAI alone",
        fix_step: STEP_FEDERATED_IDENTITY,
        needs_fields: &[],
        needs_checks: &[Need::after(CHECK_POOL, "the pool")],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_KMS_ENABLED,
        title: "Cloud KMS enabled",
        proves: "the Cloud KMS API is enabled in the key's project",
        fix_step: STEP_ENABLE_KMS,
        needs_fields: KEY_FIELDS,
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_KEY,
        title: "KMS key",
        proves: "the key exists, is enabled and for encrypt and decrypt",
        fix_step: STEP_CREATE_KEY,
        needs_fields: KEY_FIELDS,
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_GRANT,
        title: "OpenAI's access to the key",
        proves: "OpenAI's principal holds a role with cloudkms.cryptoKeyVersions.useToEncrypt and useToDecrypt on the key",
        fix_step: STEP_GRANT,
        needs_fields: KEY_FIELDS,
        needs_checks: &[],
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
        id: CHECK_ROTATION,
        title: "Key rotation",
        proves: "automatic rotation is set",
        fix_step: STEP_RESTRICTIONS,
        needs_fields: KEY_FIELDS,
        needs_checks: &[Need::after(CHECK_KEY, "the key")],
        calls: 1,
    },
];

/// The fields that name the key: its checks wait until all are recorded.
const KEY_FIELDS: &[crate::guide::FieldId] = &[
    KMS_KEY_NAME,
    KMS_PROJECT_ID,
    KMS_KEY_LOCATION,
    KMS_KEY_RING_NAME,
];

pub const CHECK_IDENTITY: CheckId = CheckId::new("identity");
pub const CHECK_POOL: CheckId = CheckId::new("pool");
pub const CHECK_PROVIDER: CheckId = CheckId::new("provider");
pub const CHECK_KMS_ENABLED: CheckId = CheckId::new("kms-enabled");
pub const CHECK_KEY: CheckId = CheckId::new("key");
pub const CHECK_GRANT: CheckId = CheckId::new("grant");
pub const CHECK_ROUND_TRIP: CheckId = CheckId::new("round-trip");
pub const CHECK_ROTATION: CheckId = CheckId::new("rotation");

/// One run's connection, and what the key check learned for the rotation check.
struct GcpSession<'a> {
    google: Google<'a>,
    source: String,
    rotation: OnceLock<Finding>,
}

#[async_trait::async_trait]
impl CheckTarget for GcpTarget {
    /// Finds credentials; fails as a whole only when there are none.
    async fn connect(
        &self,
        options: &CheckOptions,
    ) -> Result<Box<dyn CheckSession + '_>, CannotCheck> {
        let redirect = Redirect::from_env(API_URL_VAR)?;
        let rest = Rest::new(redirect, options.timeout, &super::rest_shape::DIALECT)?;
        let credentials = discover(options.timeout).await?;
        Ok(Box::new(GcpSession {
            google: Google {
                rest,
                token: credentials.token,
                target: self,
                timeout: options.timeout,
            },
            source: credentials.source,
            rotation: OnceLock::new(),
        }))
    }
}

/// Where a key version's name says it belongs: under `key`, then `/cryptoKeyVersions/` and
/// digits. A name read from an answer or a drill record is used only then.
fn version_of(key: &KeyLocation, name: &str) -> Option<String> {
    let number = name.strip_prefix(&format!("{}/cryptoKeyVersions/", key_display(key)))?;
    (!number.is_empty() && number.len() <= 10 && number.chars().all(|c| c.is_ascii_digit()))
        .then(|| number.to_string())
}

#[async_trait::async_trait]
impl CheckSession for GcpSession<'_> {
    /// The key's primary version: a drill disables it (the key itself has no on and off).
    async fn switchable_key(&self) -> Result<SwitchableKey, String> {
        let google = &self.google;
        let key = google
            .target
            .key
            .as_ref()
            .ok_or_else(|| "the key is not recorded yet (steps 2 and 3)".to_string())?;
        let found = google
            .get(&key_url(key))
            .await
            .ok_or_else(|| crate::net::Unreachable::TimedOut.sentence(KMS_HOST))?
            .map_err(|e| format!("could not read {}: {}", key_display(key), e.message))?;
        let primary = &found["primary"];
        let name = primary["name"].as_str().unwrap_or_default();
        let number = version_of(key, name)
            .ok_or_else(|| format!("{} has no primary version to switch off", key_display(key)))?;
        Ok(SwitchableKey {
            handle: name.to_string(),
            described: format!("version {number} (the primary) of {}", key_display(key)),
            on: primary["state"].as_str() == Some("ENABLED"),
            switch_on_command: format!(
                "gcloud kms keys versions enable {number} --key={} --keyring={} --location={} --project={}",
                key.key, key.ring, key.location, key.project
            ),
        })
    }

    /// Sets the version's state (`updateMask=state`), as `gcloud kms keys versions
    /// enable|disable` does.
    async fn set_key_on(&self, handle: &str, on: bool) -> Result<(), String> {
        let google = &self.google;
        let key = google
            .target
            .key
            .as_ref()
            .ok_or_else(|| "the key is not recorded".to_string())?;
        let number = version_of(key, handle)
            .ok_or_else(|| format!("`{handle}` is not a version of {}", key_display(key)))?;
        let url = format!(
            "{}/cryptoKeyVersions/{number}?updateMask=state",
            key_url(key)
        );
        let state = if on { "ENABLED" } else { "DISABLED" };
        let answer = within(
            google.timeout,
            google.rest.call(
                Method::PATCH,
                &url,
                &google.token,
                Some(&json!({"state": state})),
            ),
        )
        .await
        .ok_or_else(|| crate::net::Unreachable::TimedOut.sentence(KMS_HOST))?;
        match answer {
            Ok(version) if version["state"].as_str() == Some(state) => Ok(()),
            Ok(version) => Err(format!(
                "Cloud KMS answered with the version {}, not {state}",
                version["state"].as_str().unwrap_or("in an unknown state")
            )),
            Err(err) => Err(format!(
                "Cloud KMS refused to set version {number} {state}: {}",
                err.message
            )),
        }
    }

    async fn perform(&self, check: CheckId, _timeout: Duration) -> Finding {
        let google = &self.google;
        match check {
            CHECK_IDENTITY => check_identity(google, &self.source).await,
            CHECK_POOL => check_pool(google).await,
            CHECK_PROVIDER => check_provider(google).await,
            CHECK_KMS_ENABLED => check_kms_enabled(google).await,
            CHECK_KEY => {
                let (key, rotation) = check_key(google).await;
                let _ = self.rotation.set(rotation);
                key
            }
            CHECK_GRANT => check_grant(google).await,
            CHECK_ROUND_TRIP => check_round_trip(google).await,
            CHECK_ROTATION => self
                .rotation
                .get()
                .cloned()
                .unwrap_or_else(|| Finding::unverified("could not check: the key was not read")),
            other => Finding::unverified(format!("{other} is not a Google Cloud check")),
        }
    }
}

async fn check_identity(google: &Google<'_>, source: &str) -> Finding {
    let number = &google.target.federation.project_number;
    let url = format!("https://cloudresourcemanager.googleapis.com/v3/projects/{number}");
    let Some(answer) = google.get(&url).await else {
        return Finding::timed_out(google.timeout);
    };
    match answer {
        Ok(project) => {
            let project_id = project["projectId"].as_str().unwrap_or("?");
            let mut detail =
                format!("signed in through {source}; project {number} is `{project_id}`");
            let state = project["state"].as_str().unwrap_or("ACTIVE");
            if state != "ACTIVE" {
                detail.push_str(&format!(", but it is {state}"));
                return Finding::new(CheckStatus::Fail, detail);
            }
            Finding::new(CheckStatus::Pass, detail)
        }
        Err(err) if err.is_status(404) => Finding::new(
            CheckStatus::Fail,
            format!(
                "signed in through {source}, but no project has the number {number}: copy the project number (digits) from the console's project dashboard"
            ),
        ),
        Err(err) if err.is_status(403) => Finding::new(
            CheckStatus::Unverified,
            format!(
                "could not check: signed in through {source}, but your credentials lack resourcemanager.projects.get on project {number} (Google also answers this way when it does not exist)"
            ),
        ),
        Err(err) => read_failure(&err, "the project", "resourcemanager.projects.get").finding(),
    }
}

/// A pool or provider's state: active, or why not.
fn lifecycle_problem(found: &Value, what: &str) -> Option<String> {
    let state = found["state"].as_str().unwrap_or("ACTIVE");
    if state == "DELETED" {
        return Some(format!(
            "{what} was deleted (Google keeps it 30 days): undelete it, or create it again"
        ));
    }
    if state != "ACTIVE" {
        return Some(format!("{what} is {state}, not ACTIVE"));
    }
    if found["disabled"].as_bool() == Some(true) {
        return Some(format!("{what} is disabled: enable it"));
    }
    None
}

async fn check_pool(google: &Google<'_>) -> Finding {
    let fed = &google.target.federation;
    let Some(answer) = google.get(&google.target.pool_url()).await else {
        return Finding::timed_out(google.timeout);
    };
    match answer {
        Ok(pool) => match lifecycle_problem(&pool, &format!("pool `{}`", fed.pool)) {
            Some(problem) => Finding::new(CheckStatus::Fail, problem),
            None => Finding::new(
                CheckStatus::Pass,
                format!(
                    "pool `{}` is active in project {}",
                    fed.pool, fed.project_number
                ),
            ),
        },
        Err(err) => read_failure(
            &err,
            &format!("pool `{}` in project {}", fed.pool, fed.project_number),
            "iam.workloadIdentityPools.get",
        )
        .finding(),
    }
}

async fn check_provider(google: &Google<'_>) -> Finding {
    let target = google.target;
    let name = &target.federation.provider;
    let Some(answer) = google.get(&target.provider_url()).await else {
        return Finding::timed_out(google.timeout);
    };
    let provider = match answer {
        Ok(provider) => provider,
        Err(err) => {
            return read_failure(
                &err,
                &format!("provider `{name}` in pool `{}`", target.federation.pool),
                "iam.workloadIdentityPoolProviders.get",
            )
            .finding();
        }
    };
    let (status, detail) = judge_provider(&provider, name, &target.audience);
    Finding::new(status, detail)
}

/// Compares a provider with what OpenAI's token needs.
pub fn judge_provider(provider: &Value, name: &str, audience: &str) -> (CheckStatus, String) {
    if let Some(problem) = lifecycle_problem(provider, &format!("provider `{name}`")) {
        return (CheckStatus::Fail, problem);
    }
    let Some(oidc) = provider.get("oidc") else {
        return (
            CheckStatus::Fail,
            format!("provider `{name}` is not an OIDC provider: create an OIDC provider"),
        );
    };
    let issuer = oidc["issuerUri"].as_str().unwrap_or_default();
    if issuer.trim_end_matches('/') != OPENAI_TOKEN_ISSUER {
        return (
            CheckStatus::Fail,
            format!("the issuer is `{issuer}`; it must be {OPENAI_TOKEN_ISSUER}"),
        );
    }
    let audiences: Vec<&str> = oidc["allowedAudiences"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !audiences.contains(&audience) {
        return (
            CheckStatus::Fail,
            if audiences.is_empty() {
                format!("the provider lists no allowed audience; add `{audience}`")
            } else {
                format!(
                    "the allowed audiences are {}; `{audience}` must be one of them",
                    audiences
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        );
    }
    let mapping = provider["attributeMapping"]["google.subject"]
        .as_str()
        .unwrap_or_default();
    if mapping.replace(' ', "") != "assertion.sub" {
        return (
            CheckStatus::Fail,
            format!(
                "google.subject is mapped from `{mapping}`; it must be `assertion.sub` (the principal names the subject)"
            ),
        );
    }
    let condition_text = provider["attributeCondition"].as_str().unwrap_or_default();
    let openai = condition::evaluate(
        condition_text,
        &condition::claims_of(OPENAI_SUBJECT_ID, audience),
    );
    // Every other identity at once: only a definite "no" proves the condition is OpenAI's alone.
    let stranger = condition::evaluate(
        condition_text,
        &condition::claims_of_anyone_but(OPENAI_SUBJECT_ID, audience),
    );
    let wanted = format!("assertion.sub == \"{OPENAI_SUBJECT_ID}\"");
    match (openai, stranger) {
        (Truth::False, _) => (
            CheckStatus::Fail,
            format!(
                "the attribute condition `{condition_text}` refuses OpenAI's subject; use `{wanted}`"
            ),
        ),
        (Truth::True, Truth::False) => (
            CheckStatus::Pass,
            format!(
                "issuer, audience `{audience}`, mapping and condition admit OpenAI's subject only"
            ),
        ),
        (Truth::True, _) if condition_text.trim().is_empty() => (
            CheckStatus::Warn,
            format!(
                "there is no attribute condition: every Google identity is admitted; set `{wanted}`"
            ),
        ),
        (Truth::True, _) => (
            CheckStatus::Warn,
            format!(
                "the attribute condition `{condition_text}` admits more than OpenAI's subject (or cannot be shown not to); `{wanted}` admits OpenAI only"
            ),
        ),
        (Truth::Unknown, _) => (
            CheckStatus::Warn,
            format!(
                "the attribute condition `{condition_text}` could not be evaluated here: make sure it admits subject {OPENAI_SUBJECT_ID}"
            ),
        ),
    }
}

async fn check_kms_enabled(google: &Google<'_>) -> Finding {
    let target = google.target;
    let Some(key) = &target.key else {
        return crate::checks::waiting_for(super::cloud(), KMS_KEY_NAME);
    };
    let mut projects = vec![key.project.clone()];
    if target.federation.project_number != key.project {
        projects.push(target.federation.project_number.clone());
    }
    let lookups = projects.iter().map(|project| async move {
        let url = format!(
            "https://serviceusage.googleapis.com/v1/projects/{}/services/cloudkms.googleapis.com",
            encode_segment(project)
        );
        (project, google.get(&url).await)
    });
    let answers = futures::future::join_all(lookups).await;
    let mut off = Vec::new();
    let mut unknown = Vec::new();
    let mut on = Vec::new();
    for (project, answer) in answers {
        let label = if *project == key.project {
            format!("the key's project `{project}`")
        } else {
            format!("the pool's project {project}")
        };
        match answer {
            None => return Finding::timed_out(google.timeout),
            Some(Ok(service)) if service["state"].as_str() == Some("ENABLED") => on.push(label),
            Some(Ok(_)) => off.push((label, project.clone())),
            Some(Err(err)) if err.is_status(403) || err.is_status(404) => unknown.push(label),
            Some(Err(err)) => {
                return read_failure(&err, &label, "serviceusage.services.get").finding();
            }
        }
    }
    if !off.is_empty() {
        let commands: Vec<String> = off
            .iter()
            .map(|(_, p)| format!("`gcloud services enable cloudkms.googleapis.com --project {p}`"))
            .collect();
        return Finding::new(
            CheckStatus::Fail,
            format!(
                "Cloud KMS is not enabled in {}: {}",
                off.iter()
                    .map(|(l, _)| l.as_str())
                    .collect::<Vec<_>>()
                    .join(" and "),
                commands.join(", ")
            ),
        );
    }
    if !unknown.is_empty() {
        return Finding::new(
            CheckStatus::Unverified,
            format!(
                "could not check {}: your credentials lack serviceusage.services.get",
                unknown.join(" and ")
            ),
        );
    }
    Finding::new(
        CheckStatus::Pass,
        format!("enabled in {}", on.join(" and ")),
    )
}

async fn check_key(google: &Google<'_>) -> (Finding, Finding) {
    // When the key cannot be read, the runner skips rotation: it needs the key.
    let rotation_after = |_: &Finding| Finding::unverified("could not check: needs the key");
    let target = google.target;
    let Some(key_location) = &target.key else {
        return (
            crate::checks::waiting_for(super::cloud(), KMS_KEY_NAME),
            crate::checks::waiting_for(super::cloud(), KMS_KEY_NAME),
        );
    };
    let Some(answer) = google.get(&key_url(key_location)).await else {
        let key = Finding::timed_out(google.timeout);
        let rotation = rotation_after(&key);
        return (key, rotation);
    };
    let key = match answer {
        Ok(key) => key,
        Err(err) => {
            let mut refusal = read_failure(
                &err,
                &format!("key {}", key_display(key_location)),
                "cloudkms.cryptoKeys.get",
            );
            if err.is_status(404) {
                refusal.detail = format!(
                    "no key {}: check the project, location `{}`, key ring and key name",
                    key_display(key_location),
                    key_location.location
                );
            }
            let key = refusal.finding();
            let rotation = rotation_after(&key);
            return (key, rotation);
        }
    };
    let mut problems = Vec::new();
    let purpose = key["purpose"].as_str().unwrap_or("?");
    if purpose != "ENCRYPT_DECRYPT" {
        problems.push(format!(
            "its purpose is {purpose}; OpenAI needs a symmetric key (ENCRYPT_DECRYPT)"
        ));
    }
    let primary = &key["primary"];
    match primary["state"].as_str() {
        Some("ENABLED") => {}
        Some(state) => problems.push(format!(
            "its primary version is {state}; it must be ENABLED"
        )),
        None => problems.push("it has no primary version".to_string()),
    }
    let result = if problems.is_empty() {
        let version = primary["name"]
            .as_str()
            .and_then(|n| n.rsplit('/').next())
            .unwrap_or("?");
        Finding::new(
            CheckStatus::Pass,
            format!(
                "`{}` in {}: symmetric, primary version {version} enabled",
                key_location.key, key_location.location
            ),
        )
    } else {
        Finding::new(CheckStatus::Fail, problems.join("; "))
    };
    let rotation = match key["rotationPeriod"].as_str().and_then(seconds_of) {
        Some(seconds) => Finding::new(
            CheckStatus::Pass,
            format!("a new version every {} days", seconds / 86_400),
        ),
        None => Finding::new(
            CheckStatus::Warn,
            "no automatic rotation: the guide advises a new version every 90 days (rotation does not break OpenAI's access)",
        ),
    };
    (result, rotation)
}

/// Reads a duration such as `7776000s`.
fn seconds_of(text: &str) -> Option<u64> {
    text.strip_suffix('s')?.split('.').next()?.parse().ok()
}

async fn check_grant(google: &Google<'_>) -> Finding {
    let target = google.target;
    let Some(key) = &target.key else {
        return crate::checks::waiting_for(super::cloud(), KMS_KEY_NAME);
    };
    let url = format!(
        "{}:getIamPolicy?options.requestedPolicyVersion=3",
        key_url(key)
    );
    let Some(answer) = google.get(&url).await else {
        return Finding::timed_out(google.timeout);
    };
    let policy = match answer {
        Ok(policy) => policy,
        Err(err) => {
            return read_failure(
                &err,
                &format!("key {}", key_display(key)),
                "cloudkms.cryptoKeys.getIamPolicy",
            )
            .finding();
        }
    };
    let member = principal(&target.federation);
    let bindings = openai_bindings(&policy, &target.federation);
    if bindings.is_empty() {
        return Finding::new(
            CheckStatus::Fail,
            format!("no role on the key is granted to OpenAI's principal `{member}`"),
        );
    }
    let lookups = bindings
        .iter()
        .map(|binding| async move { (binding, role_permissions(google, &binding.role).await) });
    let mut granted = BTreeSet::new();
    let mut notes = Vec::new();
    for (binding, permissions) in futures::future::join_all(lookups).await {
        match permissions {
            Ok(permissions) => granted.extend(permissions),
            Err(problem) => notes.push(problem),
        }
        if let Some(condition) = &binding.condition {
            notes.push(format!(
                "the grant of `{}` has a condition ({condition}): make sure it holds for OpenAI's requests",
                binding.role
            ));
        }
    }
    let missing: Vec<&str> = GCP_KMS_PERMISSIONS
        .iter()
        .copied()
        .filter(|p| !granted.contains(*p))
        .collect();
    let roles = bindings
        .iter()
        .map(|b| format!("`{}`", b.role))
        .collect::<Vec<_>>()
        .join(", ");
    if !missing.is_empty() {
        let verb = if bindings.len() == 1 { "lacks" } else { "lack" };
        let mut detail = format!(
            "OpenAI's principal holds {roles} on the key, which {verb} {}",
            missing.join(" and ")
        );
        for note in &notes {
            detail.push_str("; ");
            detail.push_str(note);
        }
        return Finding::new(CheckStatus::Fail, detail).at_step(STEP_CUSTOM_ROLE);
    }
    let conditional = bindings.iter().any(|b| b.condition.is_some());
    let mut detail =
        format!("OpenAI's principal holds {roles} on the key: encrypt and decrypt are granted");
    for note in &notes {
        detail.push_str("; ");
        detail.push_str(note);
    }
    Finding::new(
        if conditional {
            CheckStatus::Warn
        } else {
            CheckStatus::Pass
        },
        detail,
    )
}

/// A binding of the key's policy that reaches OpenAI's principal.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenAiBinding {
    pub role: String,
    /// The condition's title or expression, when the grant has one.
    pub condition: Option<String>,
}

/// The bindings whose members include OpenAI's principal, directly or through a
/// `principalSet` of the whole pool.
pub fn openai_bindings(policy: &Value, federation: &Federation) -> Vec<OpenAiBinding> {
    let direct = principal(federation);
    let whole_pool = format!(
        "principalSet://iam.googleapis.com/projects/{}/locations/global/workloadIdentityPools/{}/*",
        federation.project_number, federation.pool
    );
    let subject_of_pool = format!(
        "principalSet://iam.googleapis.com/projects/{}/locations/global/workloadIdentityPools/{}/attribute.google.subject/{OPENAI_SUBJECT_ID}",
        federation.project_number, federation.pool
    );
    policy["bindings"]
        .as_array()
        .map(|bindings| {
            bindings
                .iter()
                .filter(|binding| {
                    binding["members"].as_array().is_some_and(|members| {
                        members
                            .iter()
                            .filter_map(Value::as_str)
                            .any(|m| m == direct || m == whole_pool || m == subject_of_pool)
                    })
                })
                .map(|binding| OpenAiBinding {
                    role: binding["role"].as_str().unwrap_or_default().to_string(),
                    condition: binding.get("condition").map(|c| {
                        c["title"]
                            .as_str()
                            .or_else(|| c["expression"].as_str())
                            .unwrap_or("a condition")
                            .to_string()
                    }),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The permissions a role holds; a deleted or unreadable role says why.
async fn role_permissions(google: &Google<'_>, role: &str) -> Result<Vec<String>, String> {
    if role == ENCRYPTER_DECRYPTER {
        return Ok(GCP_KMS_PERMISSIONS.iter().map(|p| p.to_string()).collect());
    }
    let path: String = role
        .split('/')
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/");
    let url = format!("https://iam.googleapis.com/v1/{path}");
    match google.get(&url).await {
        None => Err(format!("the role `{role}` could not be read in time")),
        Some(Ok(found)) => {
            if found["deleted"].as_bool() == Some(true) {
                return Err(format!(
                    "the role `{role}` was deleted: undelete it or create it again"
                ));
            }
            Ok(found["includedPermissions"]
                .as_array()
                .map(|p| {
                    p.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default())
        }
        Some(Err(err)) if err.is_status(404) => Err(format!("the role `{role}` does not exist")),
        Some(Err(err)) if err.is_status(403) => Err(format!(
            "the role `{role}` could not be read (your credentials lack iam.roles.get)"
        )),
        Some(Err(err)) => Err(format!("the role `{role}` could not be read: {err}")),
    }
}

async fn check_round_trip(google: &Google<'_>) -> Finding {
    let Some(key) = &google.target.key else {
        return crate::checks::waiting_for(super::cloud(), KMS_KEY_NAME);
    };
    let url = key_url(key);
    let plaintext = probe_bytes();
    let Some(encrypted) = google
        .post(
            &format!("{url}:encrypt"),
            &json!({"plaintext": STANDARD.encode(&plaintext)}),
        )
        .await
    else {
        return Finding::timed_out(google.timeout);
    };
    let ciphertext = match encrypted {
        Ok(answer) => answer["ciphertext"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        Err(err) => return round_trip_failure(&err, "cloudkms.cryptoKeyVersions.useToEncrypt"),
    };
    let Some(decrypted) = google
        .post(
            &format!("{url}:decrypt"),
            &json!({"ciphertext": ciphertext}),
        )
        .await
    else {
        return Finding::timed_out(google.timeout);
    };
    match decrypted {
        Ok(answer) => {
            let back = answer["plaintext"]
                .as_str()
                .and_then(|p| STANDARD.decode(p).ok());
            if back.as_deref() == Some(plaintext.as_slice()) {
                Finding::new(
                    CheckStatus::Pass,
                    "the key encrypted and decrypted 32 bytes with your credentials",
                )
            } else {
                Finding::new(CheckStatus::Fail, "decrypting gave back different bytes")
            }
        }
        Err(err) => round_trip_failure(&err, "cloudkms.cryptoKeyVersions.useToDecrypt"),
    }
}

fn round_trip_failure(err: &CloudError, permission: &str) -> Finding {
    read_failure(err, "the key", permission)
        .round_trip(&format!("your credentials lack {permission}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn federation() -> Federation {
        Federation {
            project_number: "123456789012".into(),
            pool: "openai-pool".into(),
            provider: "openai-provider".into(),
        }
    }

    fn good_provider() -> Value {
        json!({
            "name": "projects/123456789012/locations/global/workloadIdentityPools/openai-pool/providers/openai-provider",
            "state": "ACTIVE",
            "disabled": false,
            "oidc": {"issuerUri": "https://accounts.google.com", "allowedAudiences": ["org-abc"]},
            "attributeMapping": {"google.subject": "assertion.sub"},
            "attributeCondition": format!("assertion.sub == \"{OPENAI_SUBJECT_ID}\""),
        })
    }

    #[test]
    fn the_guides_provider_passes() {
        let (status, detail) = judge_provider(&good_provider(), "openai-provider", "org-abc");
        assert_eq!(status, CheckStatus::Pass, "{detail}");
    }

    #[test]
    fn each_provider_mistake_is_named() {
        let cases: Vec<(&str, Value, CheckStatus, &str)> = vec![
            (
                "/oidc/issuerUri",
                json!("https://token.actions.githubusercontent.com"),
                CheckStatus::Fail,
                "issuer",
            ),
            (
                "/oidc/allowedAudiences",
                json!(["org-other"]),
                CheckStatus::Fail,
                "`org-abc` must be one of them",
            ),
            (
                "/oidc/allowedAudiences",
                json!([]),
                CheckStatus::Fail,
                "no allowed audience",
            ),
            (
                "/attributeMapping/google.subject",
                json!("assertion.email"),
                CheckStatus::Fail,
                "assertion.sub",
            ),
            (
                "/attributeCondition",
                json!("assertion.sub == '1'"),
                CheckStatus::Fail,
                "refuses OpenAI",
            ),
            (
                "/attributeCondition",
                json!(""),
                CheckStatus::Warn,
                "every Google identity",
            ),
            (
                "/attributeCondition",
                json!("true"),
                CheckStatus::Warn,
                "admits more than OpenAI",
            ),
            (
                "/attributeCondition",
                json!(format!(
                    "assertion.sub == '{OPENAI_SUBJECT_ID}' || assertion.sub == '1'"
                )),
                CheckStatus::Warn,
                "admits more than OpenAI",
            ),
            (
                "/attributeCondition",
                json!(format!("assertion.sub in ['{OPENAI_SUBJECT_ID}', '1']")),
                CheckStatus::Warn,
                "admits more than OpenAI",
            ),
            (
                "/attributeCondition",
                json!("assertion.sub.startsWith('1')"),
                CheckStatus::Warn,
                "could not be evaluated",
            ),
            ("/state", json!("DELETED"), CheckStatus::Fail, "deleted"),
            ("/disabled", json!(true), CheckStatus::Fail, "disabled"),
        ];
        for (pointer, value, expected, words) in cases {
            let mut provider = good_provider();
            *provider
                .pointer_mut(pointer)
                .unwrap_or_else(|| panic!("{pointer}")) = value;
            let (status, detail) = judge_provider(&provider, "openai-provider", "org-abc");
            assert_eq!(status, expected, "{pointer}: {detail}");
            assert!(detail.contains(words), "{pointer}: {detail}");
        }
        let saml = json!({"state": "ACTIVE", "saml": {}});
        assert_eq!(judge_provider(&saml, "p", "org-abc").0, CheckStatus::Fail);
    }

    #[test]
    fn bindings_reach_openai_directly_or_through_the_pool() {
        let fed = federation();
        let policy = json!({"bindings": [
            {"role": "roles/viewer", "members": ["user:a@example.com"]},
            {"role": "projects/p/roles/openaiEkm", "members": [principal(&fed)]},
            {"role": "roles/cloudkms.cryptoKeyEncrypterDecrypter", "members": [
                "principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-pool/*"
            ], "condition": {"title": "office hours", "expression": "request.time < x"}},
            {"role": "roles/owner", "members": [
                "principal://iam.googleapis.com/projects/999/locations/global/workloadIdentityPools/openai-pool/subject/105900137572174660365"
            ]},
        ]});
        let found = openai_bindings(&policy, &fed);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].role, "projects/p/roles/openaiEkm");
        assert_eq!(found[1].condition.as_deref(), Some("office hours"));
        assert!(openai_bindings(&json!({}), &fed).is_empty());
    }

    #[test]
    fn durations_are_read() {
        assert_eq!(seconds_of("7776000s"), Some(7_776_000));
        assert_eq!(seconds_of("86400.5s"), Some(86_400));
        assert_eq!(seconds_of("soon"), None);
    }
}
