//! The organization's EKM keys as OpenAI holds them, typed for any view: every page of the
//! listing (only keys whose purpose is EKM), one key by its id, what uses it, and its deletion
//! (refused here, before any request, while a project or a workspace uses it).

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use super::client::{ApiError, Client, Repeat};
use super::register::checked_id;

/// The listing's path.
const KEYS_PATH: &str = "/organization/external_keys";
/// Keys asked for per page (OpenAI's most).
const PAGE_LIMIT: u32 = 100;
/// At most this many pages are read: a server that says `has_more` for ever is stopped.
pub const MAX_PAGES: usize = 50;
/// The purpose of a key used for Enterprise Key Management.
pub const EKM_PURPOSE: &str = "ekm";

/// One registered key, as OpenAI lists it. Every text in it came from outside: show it with
/// `crate::secrets::outside_id`, print JSON of it with `crate::secrets::json_for_terminal`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExternalKey {
    /// `extkey_…`, checked.
    pub id: String,
    pub name: String,
    /// OpenAI's `type` of the key (which cloud's KMS holds it).
    #[serde(rename = "type")]
    pub key_type: String,
    /// The registry's key of the cloud of that type, when the wizard knows it.
    pub cloud: Option<&'static str>,
    /// The KMS resource in words (the cloud's own description of it).
    pub resource: Option<String>,
    /// `ekm`, `psp_decryption`, or absent (older keys).
    pub purpose: Option<String>,
    pub created_at: Option<u64>,
    /// `created_at` as ISO 8601 UTC.
    pub created: Option<String>,
    /// The API projects that use the key.
    pub api_project_ids: Vec<String>,
    /// The ChatGPT workspace that uses it.
    pub workspace_id: Option<String>,
}

impl ExternalKey {
    /// Reads a key object; only its id must be there, and of OpenAI's form.
    pub fn from_value(value: &Value) -> Result<ExternalKey, ApiError> {
        let id = value["id"].as_str().unwrap_or_default();
        let id = checked_id(id, "extkey_")?.to_string();
        let text = |name: &str| {
            value[name]
                .as_str()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        let key_type = text("type").unwrap_or_default();
        let cloud = crate::clouds::by_openai_type(&key_type);
        let created_at = value["created_at"].as_u64();
        Ok(ExternalKey {
            id,
            name: text("name").unwrap_or_default(),
            resource: cloud.and_then(|c| c.kit().registered_resource(value)),
            cloud: cloud.map(crate::guide::Cloud::key),
            key_type,
            purpose: text("purpose"),
            created_at,
            created: created_at.map(crate::clock::iso_8601_utc),
            api_project_ids: value["api_project_ids"]
                .as_array()
                .map(|ids| {
                    ids.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            workspace_id: text("workspace_id"),
        })
    }

    /// Whether the key is for EKM: `ekm`, or no purpose at all (keys made before purposes).
    /// A Private Safety Processing key (`psp_decryption`) is never one of ours.
    pub fn is_ekm(&self) -> bool {
        self.purpose.as_deref().is_none_or(|p| p == EKM_PURPOSE)
    }

    /// Whether a project or a workspace uses the key.
    pub fn in_use(&self) -> bool {
        !self.api_project_ids.is_empty() || self.workspace_id.is_some()
    }

    /// The cloud's name for people (its display name), or OpenAI's type as sent.
    pub fn cloud_words(&self) -> String {
        match self.cloud.and_then(crate::clouds::by_key) {
            Some(cloud) => cloud.display_name().to_string(),
            None if self.key_type.is_empty() => "unknown type".into(),
            None => format!("type `{}`", crate::secrets::outside_id(&self.key_type, 40)),
        }
    }
}

/// Every EKM key of the organization.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listing {
    pub keys: Vec<ExternalKey>,
    /// Keys the answer held that are not EKM keys (left out, never shown).
    pub left_out: usize,
    /// Entries whose id is not of OpenAI's form (left out, never used).
    pub unreadable: usize,
    /// The page cap was reached while OpenAI still said there was more.
    pub incomplete: bool,
}

/// Reads every page of the EKM keys: `purpose=ekm` asked of OpenAI, and each key's purpose
/// looked at again here, so a key of another purpose is never listed whatever the server sends.
pub async fn list_ekm(client: &Client) -> Result<Listing, ApiError> {
    let mut listing = Listing {
        keys: Vec::new(),
        left_out: 0,
        unreadable: 0,
        incomplete: false,
    };
    let mut after: Option<String> = None;
    for page_number in 0..MAX_PAGES {
        let mut query = vec![
            ("limit", PAGE_LIMIT.to_string()),
            ("purpose", EKM_PURPOSE.to_string()),
        ];
        if let Some(after) = &after {
            query.push(("after", after.clone()));
        }
        let page = client
            .request(Method::GET, KEYS_PATH, &query, None, Repeat::Harmless)
            .await?;
        let data = page["data"].as_array().cloned().unwrap_or_default();
        for item in &data {
            match ExternalKey::from_value(item) {
                Ok(key) if key.is_ekm() => {
                    if !listing.keys.iter().any(|k| k.id == key.id) {
                        listing.keys.push(key);
                    }
                }
                Ok(_) => listing.left_out += 1,
                Err(_) => listing.unreadable += 1,
            }
        }
        let last = page["last_id"].as_str().map(str::to_string).or_else(|| {
            data.last()
                .and_then(|i| i["id"].as_str())
                .map(str::to_string)
        });
        let more = page["has_more"].as_bool().unwrap_or(false) && !data.is_empty();
        match (more, last) {
            (true, Some(last)) if after.as_deref() != Some(&last) => {
                checked_id(&last, "extkey_")?;
                after = Some(last);
                if page_number + 1 == MAX_PAGES {
                    listing.incomplete = true;
                }
            }
            _ => break,
        }
    }
    Ok(listing)
}

/// One key by its id; `Ok(None)` when OpenAI has no such key (404).
pub async fn retrieve(client: &Client, id: &str) -> Result<Option<ExternalKey>, ApiError> {
    let id = checked_id(id, "extkey_")?;
    let answer = client
        .request(
            Method::GET,
            &format!("{KEYS_PATH}/{id}"),
            &[],
            None,
            Repeat::Harmless,
        )
        .await;
    match answer {
        Ok(value) => {
            let key = ExternalKey::from_value(&value)?;
            if key.id != id {
                return Err(ApiError::Unreadable(format!(
                    "asked for {id}, OpenAI answered with another key"
                )));
            }
            Ok(Some(key))
        }
        Err(ApiError::Refused { status: 404, .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Why a key may not be deleted, found before any request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The key is not an EKM key (a Private Safety Processing key): never ours to delete.
    NotEkm { purpose: String },
    /// Projects or a workspace use it: they are archived first (`keys retire`).
    InUse {
        projects: Vec<String>,
        workspace: Option<String>,
    },
}

impl Refusal {
    /// Whether `key` may be deleted now, and if not, why.
    pub fn of(key: &ExternalKey) -> Option<Refusal> {
        if !key.is_ekm() {
            return Some(Refusal::NotEkm {
                purpose: key.purpose.clone().unwrap_or_default(),
            });
        }
        if key.in_use() {
            return Some(Refusal::InUse {
                projects: key.api_project_ids.clone(),
                workspace: key.workspace_id.clone(),
            });
        }
        None
    }

    /// The refusal in words, naming what uses the key and the command that frees it.
    pub fn words(&self, key_id: &str) -> String {
        match self {
            Refusal::NotEkm { purpose } => format!(
                "{key_id} is a `{}` key, not an EKM key: the wizard never deletes it",
                crate::secrets::outside_id(purpose, 40)
            ),
            Refusal::InUse {
                projects,
                workspace,
            } => {
                let mut users: Vec<String> = projects
                    .iter()
                    .map(|p| format!("project {}", crate::secrets::outside_id(p, 80)))
                    .collect();
                if let Some(workspace) = workspace {
                    users.push(format!(
                        "ChatGPT workspace {}",
                        crate::secrets::outside_id(workspace, 80)
                    ));
                }
                let mut words = format!(
                    "{key_id} is in use by {}; OpenAI refuses to delete a key while a project or a workspace uses it.",
                    users.join(", ")
                );
                if !projects.is_empty() {
                    words.push_str(&format!(
                        " Archive those projects first (archiving cannot be undone): `ekm-wizard keys retire {key_id}` archives them and then deletes the key."
                    ));
                }
                if workspace.is_some() {
                    words.push_str(
                        " A workspace is released through your OpenAI contact, not through the API.",
                    );
                }
                words
            }
        }
    }
}

/// What a delete came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Deleted {
    /// OpenAI answered that the key is deleted.
    Done,
    /// The answer was lost, and the key is gone when asked again.
    GoneAfterLostAnswer,
}

/// Deletes `key`, after its refusal (if any) was looked at: a key with a refusal is never sent.
/// After a lost answer, OpenAI is asked again whether the key is still there.
pub async fn delete(client: &Client, key: &ExternalKey) -> Result<Deleted, ApiError> {
    if let Some(refusal) = Refusal::of(key) {
        return Err(ApiError::Refused {
            status: 0,
            message: refusal.words(&key.id),
            kind: None,
            param: None,
            code: Some("refused_before_sending".into()),
        });
    }
    let id = checked_id(&key.id, "extkey_")?;
    let answer = client
        .request(
            Method::DELETE,
            &format!("{KEYS_PATH}/{id}"),
            &[],
            None,
            Repeat::Never,
        )
        .await;
    match answer {
        Ok(_) => Ok(Deleted::Done),
        Err(err) if err.outcome_unknown() => match retrieve(client, id).await {
            Ok(None) => Ok(Deleted::GoneAfterLostAnswer),
            _ => Err(err),
        },
        Err(ApiError::Refused { status: 404, .. }) => Ok(Deleted::GoneAfterLostAnswer),
        Err(err) => Err(err),
    }
}

/// One OpenAI project, as read for a retirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    /// `proj_…`, checked.
    pub id: String,
    pub name: Option<String>,
    /// `active` or `archived` (as OpenAI says it).
    pub status: Option<String>,
    pub external_key_id: Option<String>,
}

impl Project {
    pub fn from_value(value: &Value) -> Result<Project, ApiError> {
        let id = checked_id(value["id"].as_str().unwrap_or_default(), "proj_")?.to_string();
        let text = |name: &str| value[name].as_str().map(str::to_string);
        Ok(Project {
            id,
            name: text("name").or_else(|| text("title")),
            status: text("status"),
            external_key_id: text("external_key_id"),
        })
    }

    /// Archived, by its status (or the time it was archived, where the status is absent).
    pub fn is_archived(&self) -> bool {
        self.status.as_deref() == Some("archived")
    }

    /// `"name" (proj_…)`, made safe to print.
    pub fn words(&self) -> String {
        match &self.name {
            Some(name) => format!("\"{}\" ({})", crate::secrets::outside_id(name, 80), self.id),
            None => self.id.clone(),
        }
    }
}

/// One project by its id; `Ok(None)` when OpenAI has none by that id.
pub async fn project(client: &Client, id: &str) -> Result<Option<Project>, ApiError> {
    let id = checked_id(id, "proj_")?;
    let answer = client
        .request(
            Method::GET,
            &format!("/organization/projects/{id}"),
            &[],
            None,
            Repeat::Harmless,
        )
        .await;
    match answer {
        Ok(value) => {
            let mut project = Project::from_value(&value)?;
            if project.status.is_none() && !value["archived_at"].is_null() {
                project.status = Some("archived".into());
            }
            Ok(Some(project))
        }
        Err(ApiError::Refused { status: 404, .. }) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Archives a project (it cannot be undone). Archiving an archived project changes nothing,
/// so a lost answer is settled by reading the project again.
pub async fn archive_project(client: &Client, id: &str) -> Result<(), ApiError> {
    let id = checked_id(id, "proj_")?;
    let answer = client
        .request(
            Method::POST,
            &format!("/organization/projects/{id}/archive"),
            &[],
            None,
            Repeat::Never,
        )
        .await;
    match answer {
        Ok(_) => Ok(()),
        Err(err) if err.outcome_unknown() => match project(client, id).await {
            Ok(Some(project)) if project.is_archived() => Ok(()),
            _ => Err(err),
        },
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_read_defensively() {
        let key = ExternalKey::from_value(&json!({
            "id": "extkey_1", "created_at": 0, "name": "k", "type": "made-up",
            "api_project_ids": ["proj_a"], "workspace_id": "", "purpose": "ekm", "extra": 1
        }))
        .unwrap();
        assert_eq!(key.created.as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(key.workspace_id, None, "an empty workspace is none");
        assert!(key.is_ekm() && key.in_use());
        assert_eq!(key.cloud, None);
        assert!(ExternalKey::from_value(&json!({"id": "../x"})).is_err());
        let psp = ExternalKey::from_value(&json!({"id": "extkey_2", "purpose": "psp_decryption"}))
            .unwrap();
        assert!(!psp.is_ekm());
        assert!(matches!(Refusal::of(&psp), Some(Refusal::NotEkm { .. })));
    }

    #[test]
    fn a_used_key_is_refused_naming_its_projects_and_the_command() {
        let key = ExternalKey::from_value(
            &json!({"id": "extkey_1", "api_project_ids": ["proj_a", "proj_b"]}),
        )
        .unwrap();
        let words = Refusal::of(&key).unwrap().words(&key.id);
        assert!(
            words.contains("proj_a") && words.contains("proj_b"),
            "{words}"
        );
        assert!(words.contains("ekm-wizard keys retire extkey_1"), "{words}");
        let free =
            ExternalKey::from_value(&json!({"id": "extkey_3", "api_project_ids": []})).unwrap();
        assert_eq!(Refusal::of(&free), None);
    }
}
