//! Registration without duplicates: look for a key with the same settings first, create only
//! when there is none, and after a create whose answer was lost, list again to learn whether
//! it happened before saying anything. The same for the project.

use std::fmt;

use reqwest::Method;
use serde_json::{Value, json};

use super::client::{ApiError, Client, Repeat};

/// At most this many pages of a listing are read (100 items each).
const MAX_PAGES: usize = 50;

/// A failure of one step of the registration, with what is known of its effect.
#[derive(Debug, Clone, PartialEq)]
pub struct StepError {
    pub error: ApiError,
    /// What the admin should know beyond the error: whether a lost create happened.
    pub note: Option<String>,
}

impl From<ApiError> for StepError {
    fn from(error: ApiError) -> Self {
        StepError { error, note: None }
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)?;
        if let Some(note) = &self.note {
            write!(f, ". {note}")?;
        }
        Ok(())
    }
}

/// Reads every page of a listing.
async fn list_all(client: &Client, path: &str) -> Result<Vec<Value>, ApiError> {
    list_all_where(client, path, &[]).await
}

/// Reads every page of a listing narrowed by `filter` (query pairs, repeated as given).
async fn list_all_where(
    client: &Client,
    path: &str,
    filter: &[(&str, String)],
) -> Result<Vec<Value>, ApiError> {
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query = vec![("limit", "100".to_string())];
        query.extend(filter.iter().cloned());
        if let Some(after) = &after {
            query.push(("after", after.clone()));
        }
        let page = client
            .request(Method::GET, path, &query, None, Repeat::Harmless)
            .await?;
        let data = page["data"].as_array().cloned().unwrap_or_default();
        let last = page["last_id"].as_str().map(str::to_string).or_else(|| {
            data.last()
                .and_then(|i| i["id"].as_str())
                .map(str::to_string)
        });
        let more = page["has_more"].as_bool().unwrap_or(false) && !data.is_empty();
        items.extend(data);
        match (more, last) {
            (true, Some(last)) if after.as_deref() != Some(&last) => after = Some(last),
            _ => break,
        }
    }
    Ok(items)
}

/// Every external key of the organization.
pub async fn list_external_keys(client: &Client) -> Result<Vec<Value>, ApiError> {
    list_all(client, "/organization/external_keys").await
}

/// The organization's audit-log events of these types (`external_key.registered`, …).
pub async fn audit_log_events(client: &Client, types: &[&str]) -> Result<Vec<Value>, ApiError> {
    let filter: Vec<(&str, String)> = types
        .iter()
        .map(|t| ("event_types[]", t.to_string()))
        .collect();
    list_all_where(client, "/organization/audit_logs", &filter).await
}

/// Every project of the organization.
pub async fn list_projects(client: &Client) -> Result<Vec<Value>, ApiError> {
    list_all(client, "/organization/projects").await
}

/// A registered key with the same type and provider fields as `body` (its name may differ).
pub fn find_same_key<'a>(keys: &'a [Value], body: &Value) -> Option<&'a Value> {
    let wanted = body.as_object()?;
    keys.iter().find(|key| {
        wanted
            .iter()
            .filter(|(field, _)| field.as_str() != "name")
            .all(|(field, value)| key.get(field) == Some(value))
    })
}

/// Whether the organization has EKM: its projects show `external_key_id`. `None` when there
/// is no project to tell by.
pub fn ekm_enabled(projects: &[Value]) -> Option<bool> {
    if projects.is_empty() {
        return None;
    }
    Some(projects.iter().any(|p| p.get("external_key_id").is_some()))
}

/// What was found before registering.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// A key already registered with the same settings.
    pub existing: Option<Value>,
    /// Whether the organization has EKM, when the projects tell.
    pub ekm_enabled: Option<bool>,
}

/// Checks an id read from anywhere (an answer, a listing, saved progress) against OpenAI's
/// form before it goes into a URL or a request: `prefix` then 1 to 64 letters, digits, `_` or
/// `-`. Anything else (`../../users/x`) is refused, never sent.
pub fn checked_id<'a>(id: &'a str, prefix: &str) -> Result<&'a str, ApiError> {
    let rest = id.strip_prefix(prefix).unwrap_or_default();
    if !rest.is_empty()
        && rest.len() <= 64
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Ok(id)
    } else {
        Err(ApiError::Unreadable(format!(
            "`{}` is not an OpenAI id of the form {prefix}…; it was not used",
            crate::secrets::one_line(id, 80)
        )))
    }
}

/// Looks for a key with the same settings and at the organization's EKM feature.
pub async fn plan(client: &Client, body: &Value) -> Result<Plan, ApiError> {
    let keys = list_external_keys(client).await?;
    let projects = list_projects(client).await?;
    Ok(Plan {
        existing: find_same_key(&keys, body).cloned(),
        ekm_enabled: ekm_enabled(&projects),
    })
}

/// Registers the key once. When the answer is lost, the listing decides what happened.
pub async fn create_key(client: &Client, body: &Value) -> Result<Value, StepError> {
    let created = client
        .request(
            Method::POST,
            "/organization/external_keys",
            &[],
            Some(body),
            Repeat::Never,
        )
        .await;
    match created {
        Ok(key) => Ok(key),
        Err(error) if error.outcome_unknown() => match list_external_keys(client).await {
            Ok(keys) => match find_same_key(&keys, body) {
                Some(key) => Ok(key.clone()),
                None => Err(StepError {
                    error,
                    note: Some("The answer was lost and the listing does not show the key yet; listings can lag a few seconds behind a create: list the keys again before registering again".into()),
                }),
            },
            Err(_) => Err(StepError {
                error,
                note: Some("Whether the key was registered is unknown (the listing failed too): list the keys before trying again".into()),
            }),
        },
        Err(error) => Err(error.into()),
    }
}

fn same_project(project: &Value, name: &str, key_id: &str) -> bool {
    project["name"].as_str() == Some(name) && project["external_key_id"].as_str() == Some(key_id)
}

/// Creates the project tied to the key, unless one by that name already is; after a lost
/// answer, the listing decides what happened.
pub async fn create_project(
    client: &Client,
    name: &str,
    key_id: &str,
) -> Result<(Value, bool), StepError> {
    let projects = list_projects(client).await?;
    if let Some(existing) = projects.iter().find(|p| same_project(p, name, key_id)) {
        return Ok((existing.clone(), true));
    }
    let body = json!({ "name": name, "external_key_id": key_id });
    let created = client
        .request(
            Method::POST,
            "/organization/projects",
            &[],
            Some(&body),
            Repeat::Never,
        )
        .await;
    match created {
        Ok(project) => Ok((project, false)),
        Err(error) if error.outcome_unknown() => match list_projects(client).await {
            Ok(projects) => match projects.iter().find(|p| same_project(p, name, key_id)) {
                Some(project) => Ok((project.clone(), false)),
                None => Err(StepError {
                    error,
                    note: Some("The answer was lost and the listing does not show the project yet; listings can lag a few seconds behind a create: look at the projects again before creating it again".into()),
                }),
            },
            Err(_) => Err(StepError {
                error,
                note: Some("Whether the project was created is unknown (the listing failed too): look at the projects before trying again".into()),
            }),
        },
        Err(error) => Err(error.into()),
    }
}

/// Asks OpenAI to use the key now; success, or the cloud's error as OpenAI reports it.
pub async fn validate(client: &Client, key_id: &str) -> Result<(), ApiError> {
    let key_id = checked_id(key_id, "extkey_")?;
    let path = format!("/organization/external_keys/{key_id}/validate");
    let answer = client
        .request(Method::POST, &path, &[], Some(&json!({})), Repeat::Harmless)
        .await?;
    if answer["status"].as_str() == Some("success") {
        return Ok(());
    }
    let message = answer["error"]["message"]
        .as_str()
        .or_else(|| answer["message"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| answer.to_string());
    Err(ApiError::Refused {
        status: 200,
        message: crate::secrets::outside_id(&message, 400),
        kind: None,
        param: None,
        code: answer["status"].as_str().map(str::to_string),
    })
}

/// Everything a full registration produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub key: Value,
    /// The key was already registered with these settings, and was used as it is.
    pub key_reused: bool,
    pub project: Option<Value>,
    pub project_reused: bool,
    pub validation: Result<(), ApiError>,
}

impl Registration {
    pub fn key_id(&self) -> Option<&str> {
        self.key["id"].as_str()
    }

    /// The project's id, when it has OpenAI's form (`proj_…`): an id of another shape is
    /// never kept, saved or sent on.
    pub fn project_id(&self) -> Option<&str> {
        self.project
            .as_ref()
            .and_then(|p| p["id"].as_str())
            .filter(|id| checked_id(id, "proj_").is_ok())
    }
}

/// Registers (or reuses) the key, creates (or finds) the project, then validates.
pub async fn register(
    client: &Client,
    body: &Value,
    existing: Option<Value>,
    project_name: Option<&str>,
) -> Result<Registration, StepError> {
    let key_reused = existing.is_some();
    let key = match existing {
        Some(key) => key,
        None => create_key(client, body).await?,
    };
    let Some(key_id) = key["id"].as_str().map(str::to_string) else {
        return Err(ApiError::Unreadable("the registered key has no id".into()).into());
    };
    checked_id(&key_id, "extkey_")?;
    let (project, project_reused) = match project_name {
        Some(name) => {
            let (project, reused) = create_project(client, name, &key_id).await?;
            (Some(project), reused)
        }
        None => (None, false),
    };
    let validation = validate(client, &key_id).await;
    Ok(Registration {
        key,
        key_reused,
        project,
        project_reused,
        validation,
    })
}
