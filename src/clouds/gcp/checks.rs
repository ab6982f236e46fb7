//! The Google Cloud checks, performed one at a time: who the admin is and the pool's project,
//! the workload identity pool and its OIDC provider, Cloud KMS enabled, the key, OpenAI's grant
//! on the key (custom roles resolved), an encrypt/decrypt round trip, and rotation. The plan
//! is in `plan.rs`, the sign-in in `session.rs`.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::condition::{self, Truth};
use crate::checks::rest::{CloudError, Redirect, Refusal, Rest, encode_segment};
use std::sync::OnceLock;

use super::artifacts::{Federation, GCP_KMS_PERMISSIONS, principal};
use super::ids::*;
use super::plan::*;
use super::session::{API_URL_VAR, GOOGLE, Google, discover};
use super::switch::GcpKeySwitch;
use super::target::{GcpTarget, key_display, key_url};
use super::{OPENAI_SUBJECT_ID, OPENAI_TOKEN_ISSUER};
use crate::checks::{
    CannotCheck, CheckOptions, CheckSession, CheckStatus, CheckTarget, Finding, probe_bytes,
};
use crate::guide::CheckId;
use crate::guide::plan::KeySwitch;

/// The predefined role that holds both permissions.
const ENCRYPTER_DECRYPTER: &str = "roles/cloudkms.cryptoKeyEncrypterDecrypter";

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

    async fn key_switch(
        &self,
        options: &CheckOptions,
    ) -> Result<Box<dyn KeySwitch + '_>, CannotCheck> {
        Ok(Box::new(GcpKeySwitch::connect(self, options).await?))
    }
}

#[async_trait::async_trait]
impl CheckSession for GcpSession<'_> {
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
