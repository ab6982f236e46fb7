//! The doctor: the cloud's live checks and, when an admin key is at hand, OpenAI's side (the
//! registered key found, validated now, and the projects using it), judged as one health.
//! Its report has a versioned schema for cron, CI and monitoring (`SCHEMA_VERSION`).

use serde::Serialize;
use serde_json::Value;

use crate::artifacts::{self, ArtifactBody};
use crate::checks::{CheckOptions, CheckResult, CheckTarget, Verdict};
use crate::guide::{ArtifactId, Cloud, Inputs, SetupPath};
use crate::openai::{ApiError, Client, register};

/// The version of the report's JSON shape; raised when a field changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

/// The one word of a doctor run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    /// Every check ran and passed, and OpenAI (when asked) validated the key.
    Healthy,
    /// Something is proved wrong: a failed check, a failed validation, no registered key.
    Unhealthy,
    /// Nothing is proved wrong, but not everything could be read.
    NotVerified,
}

impl Health {
    pub fn key(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
            Health::NotVerified => "not-verified",
        }
    }

    /// 0 healthy, 1 unhealthy, 3 not verified.
    pub fn exit_code(self) -> u8 {
        match self {
            Health::Healthy => Verdict::Verified.exit_code(),
            Health::Unhealthy => Verdict::Failed.exit_code(),
            Health::NotVerified => Verdict::NotVerified.exit_code(),
        }
    }
}

/// How the registered key was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FoundBy {
    /// The id given.
    Id,
    /// A key in the listing with the recorded values.
    MatchingValues,
}

/// A project that uses the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectRef {
    pub id: String,
    pub name: Option<String>,
}

/// What OpenAI said about the key.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum OpenAiSide {
    /// No admin key was at hand: only the cloud was checked.
    NotAsked { why: String },
    /// OpenAI could not be asked, or its answer not read (a network failure, a 401 or 403).
    CouldNotAsk { error: String },
    /// No registered key has that id, or the recorded values.
    KeyNotFound { looked_for: String },
    /// The key was found and validated.
    Answered {
        key_id: String,
        found_by: FoundBy,
        /// Validation passed: OpenAI can use the key now.
        valid: bool,
        /// OpenAI's error, when validation failed.
        error: Option<String>,
        /// The troubleshooting entry that error matches.
        explanation: Option<String>,
        projects: Vec<ProjectRef>,
    },
}

/// One doctor run.
#[derive(Debug, Clone, Serialize)]
pub struct DoctorReport {
    pub schema_version: u32,
    pub cloud: &'static str,
    #[serde(rename = "verdict")]
    pub health: Health,
    /// ISO 8601, UTC.
    pub started_at: String,
    pub finished_at: String,
    /// The cloud checks' own verdict (verified, failed, not-verified).
    pub cloud_verdict: &'static str,
    pub checks: Vec<CheckResult>,
    /// Why the cloud checks could not run at all, when they could not.
    pub cloud_error: Option<String>,
    pub openai: OpenAiSide,
}

impl DoctorReport {
    /// The checks that did not pass, first the failed ones.
    pub fn problems(&self) -> Vec<&CheckResult> {
        use crate::checks::CheckStatus;
        let mut found: Vec<&CheckResult> = self
            .checks
            .iter()
            .filter(|r| !matches!(r.status, CheckStatus::Pass | CheckStatus::Warn))
            .collect();
        found.sort_by_key(|r| r.status != CheckStatus::Fail);
        found
    }
}

/// One health from the cloud's verdict and OpenAI's answer: anything proved wrong is
/// unhealthy; otherwise anything unread is not verified.
pub fn health_of(cloud: Verdict, openai: &OpenAiSide) -> Health {
    let openai_wrong = matches!(
        openai,
        OpenAiSide::KeyNotFound { .. } | OpenAiSide::Answered { valid: false, .. }
    );
    if cloud == Verdict::Failed || openai_wrong {
        Health::Unhealthy
    } else if cloud == Verdict::NotVerified || matches!(openai, OpenAiSide::CouldNotAsk { .. }) {
        Health::NotVerified
    } else {
        Health::Healthy
    }
}

/// Runs the cloud's checks and asks OpenAI (when `openai` is given), then judges.
pub async fn examine(
    cloud: Cloud,
    inputs: &Inputs,
    target: &dyn CheckTarget,
    options: &CheckOptions,
    openai: Option<(&Client, Option<&str>)>,
) -> DoctorReport {
    let started_at = crate::clock::iso_8601_utc(crate::clock::now_unix());
    let checks = crate::checks::run(cloud, inputs, target, options, &|_| {});
    let asking = async {
        match openai {
            Some((client, key_id)) => ask_openai(client, cloud, inputs, key_id).await,
            None => OpenAiSide::NotAsked {
                why: "OPENAI_ADMIN_KEY is not set".into(),
            },
        }
    };
    let (checks, openai) = futures::join!(checks, asking);
    let (checks, cloud_error) = match checks {
        Ok(results) => (results, None),
        Err(cannot) => (Vec::new(), Some(crate::secrets::visible(&cannot.0))),
    };
    let cloud_verdict = Verdict::of(&checks);
    let checks = checks
        .into_iter()
        .map(|mut r| {
            r.detail = crate::secrets::visible(&r.detail);
            r
        })
        .collect();
    DoctorReport {
        schema_version: SCHEMA_VERSION,
        cloud: cloud.key(),
        health: health_of(cloud_verdict, &openai),
        started_at,
        finished_at: crate::clock::iso_8601_utc(crate::clock::now_unix()),
        cloud_verdict: cloud_verdict.key(),
        checks,
        cloud_error,
        openai,
    }
}

/// Whether an error means OpenAI could not be asked, rather than that it answered "no".
fn could_not_ask(error: &ApiError) -> bool {
    !matches!(error, ApiError::Refused { .. })
}

/// Finds the key (by id, or by the recorded values), validates it, and lists its projects.
pub async fn ask_openai(
    client: &Client,
    cloud: Cloud,
    inputs: &Inputs,
    key_id: Option<&str>,
) -> OpenAiSide {
    let cannot = |error: ApiError| OpenAiSide::CouldNotAsk {
        error: crate::secrets::visible(&error.to_string()),
    };
    let keys = match register::list_external_keys(client).await {
        Ok(keys) => keys,
        Err(error) => return cannot(error),
    };
    let (found, found_by, looked_for) = match key_id {
        Some(id) => (
            keys.iter().find(|k| k["id"].as_str() == Some(id)).cloned(),
            FoundBy::Id,
            format!("the key {id}"),
        ),
        None => {
            let body =
                artifacts::generate(cloud, ArtifactId::REGISTRATION_BODY, inputs, SetupPath::Api);
            match body {
                Ok(ArtifactBody::Json(body)) => (
                    register::find_same_key(&keys, &body).cloned(),
                    FoundBy::MatchingValues,
                    "a key registered with the recorded values (give --key-id to name one)".into(),
                ),
                _ => {
                    return OpenAiSide::KeyNotFound {
                        looked_for: "a key, but the recorded values do not make a registration body: give --key-id".into(),
                    };
                }
            }
        }
    };
    let Some(key) = found else {
        return OpenAiSide::KeyNotFound { looked_for };
    };
    let Some(id) = key["id"].as_str().map(str::to_string) else {
        return OpenAiSide::CouldNotAsk {
            error: "OpenAI listed a key without an id".into(),
        };
    };
    let (valid, error) = match register::validate(client, &id).await {
        Ok(()) => (true, None),
        Err(error) if could_not_ask(&error) => return cannot(error),
        Err(error) => (false, Some(crate::secrets::visible(&error.to_string()))),
    };
    let explanation = error
        .as_deref()
        .and_then(crate::explain::explain)
        .map(|found| found.entry.id.clone());
    let projects = match register::list_projects(client).await {
        Ok(projects) => projects_using(&key, &projects),
        Err(error) => return cannot(error),
    };
    OpenAiSide::Answered {
        key_id: id,
        found_by,
        valid,
        error,
        explanation,
        projects,
    }
}

/// The projects that use `key`: those listing it, and those the key lists.
fn projects_using(key: &Value, projects: &[Value]) -> Vec<ProjectRef> {
    let id = key["id"].as_str().unwrap_or_default();
    let named_by_key: Vec<&str> = key["api_project_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut found: Vec<ProjectRef> = projects
        .iter()
        .filter(|p| {
            p["external_key_id"].as_str() == Some(id)
                || p["id"]
                    .as_str()
                    .is_some_and(|pid| named_by_key.contains(&pid))
        })
        .filter_map(|p| {
            Some(ProjectRef {
                id: crate::secrets::one_line(p["id"].as_str()?, 80),
                name: p["name"]
                    .as_str()
                    .or_else(|| p["title"].as_str())
                    .map(|n| crate::secrets::one_line(n, 80)),
            })
        })
        .collect();
    for pid in named_by_key {
        if !found.iter().any(|p| p.id == pid) {
            found.push(ProjectRef {
                id: crate::secrets::one_line(pid, 80),
                name: None,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(valid: bool) -> OpenAiSide {
        OpenAiSide::Answered {
            key_id: "extkey_1".into(),
            found_by: FoundBy::Id,
            valid,
            error: None,
            explanation: None,
            projects: Vec::new(),
        }
    }

    #[test]
    fn anything_proved_wrong_is_unhealthy_and_anything_unread_is_not_verified() {
        let not_asked = OpenAiSide::NotAsked {
            why: "no key".into(),
        };
        let could_not = OpenAiSide::CouldNotAsk {
            error: "403".into(),
        };
        let missing = OpenAiSide::KeyNotFound {
            looked_for: "x".into(),
        };
        assert_eq!(
            health_of(Verdict::Verified, &answered(true)),
            Health::Healthy
        );
        assert_eq!(health_of(Verdict::Verified, &not_asked), Health::Healthy);
        assert_eq!(
            health_of(Verdict::Verified, &answered(false)),
            Health::Unhealthy
        );
        assert_eq!(health_of(Verdict::Verified, &missing), Health::Unhealthy);
        assert_eq!(health_of(Verdict::Failed, &could_not), Health::Unhealthy);
        assert_eq!(
            health_of(Verdict::NotVerified, &answered(true)),
            Health::NotVerified
        );
        assert_eq!(
            health_of(Verdict::Verified, &could_not),
            Health::NotVerified
        );
    }

    #[test]
    fn projects_are_found_from_either_side() {
        let key = serde_json::json!({"id": "extkey_1", "api_project_ids": ["proj_b"]});
        let projects = vec![
            serde_json::json!({"id": "proj_a", "name": "A", "external_key_id": "extkey_1"}),
            serde_json::json!({"id": "proj_b", "title": "B"}),
            serde_json::json!({"id": "proj_c", "name": "C", "external_key_id": "extkey_2"}),
        ];
        let found = projects_using(&key, &projects);
        let ids: Vec<&str> = found.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["proj_a", "proj_b"]);
        assert_eq!(found[1].name.as_deref(), Some("B"));
    }
}
