//! A key's end of life at OpenAI, as plans and steps any view can drive: retiring a key
//! (archive every project that uses it, then delete the registration) and replacing one
//! (register the new key, create its project, then retire the old). Each run keeps its
//! progress in a record the caller saves after every step, so a run stopped midway resumes
//! where it stopped; the record holds ids, names and times, never a credential.

use serde::{Deserialize, Serialize};

use super::client::{ApiError, Client};
use super::keys::{self, Deleted, ExternalKey, Project, Refusal};
use super::register::checked_id;

/// The version of the progress records below.
pub const PROGRESS_FORMAT: u32 = 1;

/// The words said wherever rotation and revocation meet the admin (doctor, the drill, the
/// guides' restriction steps): one sentence, the same everywhere.
pub const ROTATION_VS_REVOCATION: &str = "Rotation (new key material, on a schedule or by hand) keeps OpenAI's access; revocation (disabling the key, removing the role or its permissions, pointing an alias at another key) cuts it: live traffic loses access within about an hour, when OpenAI's cached data keys expire, while `ekm-wizard validate` shows it at once.";

/// The name of the record of a retirement of `key_id` in the state folder.
pub fn retire_record_name(key_id: &str) -> String {
    format!("retire-{key_id}.json")
}

/// The name of the record of a replacement of `old_key_id` in the state folder.
pub fn replace_record_name(old_key_id: &str) -> String {
    format!("replace-{old_key_id}.json")
}

/// One project of a retirement and whether it is archived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectProgress {
    pub id: String,
    pub name: Option<String>,
    pub archived: bool,
}

/// A retirement's saved progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetireProgress {
    pub format: u32,
    pub key_id: String,
    /// The key's name and resource, for the words of a resumed run.
    pub key_name: String,
    pub resource: Option<String>,
    pub projects: Vec<ProjectProgress>,
    /// The admin said yes to archiving these projects and deleting the key.
    pub confirmed: bool,
    pub deleted: bool,
    pub started_at: u64,
    pub updated_at: u64,
}

impl RetireProgress {
    /// Reads a saved record; one of another format or for another key is not used.
    pub fn parse(text: &str, key_id: &str) -> Option<RetireProgress> {
        let progress: RetireProgress = serde_json::from_str(text).ok()?;
        (progress.format == PROGRESS_FORMAT
            && progress.key_id == key_id
            && progress
                .projects
                .iter()
                .all(|p| checked_id(&p.id, "proj_").is_ok()))
        .then_some(progress)
    }

    pub fn to_json(&self) -> String {
        format!(
            "{}\n",
            serde_json::to_string_pretty(self).unwrap_or_default()
        )
    }
}

/// One step of a retirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetireStep {
    /// Archive this project (it cannot be undone).
    Archive { id: String, name: Option<String> },
    /// Delete the key's registration.
    Delete,
}

impl RetireStep {
    /// The step in words, names made safe to print.
    pub fn words(&self, key_id: &str) -> String {
        match self {
            RetireStep::Archive { id, name } => format!(
                "archive project {}",
                Project {
                    id: id.clone(),
                    name: name.clone(),
                    status: None,
                    external_key_id: None
                }
                .words()
            ),
            RetireStep::Delete => format!("delete the registration of {key_id}"),
        }
    }
}

/// What a retirement will do, read from OpenAI and from any saved progress.
#[derive(Debug, Clone, PartialEq)]
pub enum RetirePlan {
    /// The key is gone and the record says this run deleted it, or it is gone with no
    /// project left to archive: nothing to do.
    AlreadyRetired { key_id: String },
    /// The key may not be retired by the wizard (not an EKM key, or a workspace uses it).
    Refused { key_id: String, why: String },
    /// OpenAI has no such key, and no record of this run: the id is wrong.
    NoSuchKey { key_id: String },
    /// The steps left, in order.
    Steps {
        key: Box<ExternalKey>,
        progress: RetireProgress,
    },
}

impl RetirePlan {
    /// The steps left to do.
    pub fn steps(&self) -> Vec<RetireStep> {
        let RetirePlan::Steps { progress, .. } = self else {
            return Vec::new();
        };
        let mut steps: Vec<RetireStep> = progress
            .projects
            .iter()
            .filter(|p| !p.archived)
            .map(|p| RetireStep::Archive {
                id: p.id.clone(),
                name: p.name.clone(),
            })
            .collect();
        if !progress.deleted {
            steps.push(RetireStep::Delete);
        }
        steps
    }

    /// The one question asked before anything is changed: each project named, archiving said
    /// to be final, the key named with its resource.
    pub fn question(&self) -> Option<String> {
        let RetirePlan::Steps { key, progress } = self else {
            return None;
        };
        let left: Vec<&ProjectProgress> =
            progress.projects.iter().filter(|p| !p.archived).collect();
        let key_words = format!(
            "{} \"{}\"{}",
            key.id,
            crate::secrets::outside_id(&key.name, 80),
            key.resource
                .as_deref()
                .map(|r| format!(" ({})", crate::secrets::outside_id(r, 200)))
                .unwrap_or_default()
        );
        let mut question = String::new();
        if !left.is_empty() {
            question.push_str(&format!(
                "Archive {} project{} that use{} {}: {}? Archiving cannot be undone: an archived project and its API keys stop working for good. ",
                left.len(),
                if left.len() == 1 { "" } else { "s" },
                if left.len() == 1 { "s" } else { "" },
                key.id,
                left.iter()
                    .map(|p| RetireStep::Archive { id: p.id.clone(), name: p.name.clone() }.words(&key.id).trim_start_matches("archive project ").to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            question.push_str(&format!("Then delete the registration of {key_words}?"));
        } else {
            question.push_str(&format!("Delete the registration of {key_words}?"));
        }
        Some(question)
    }
}

/// Reads what a retirement of `key_id` has left to do: the key, every project that uses it
/// (each read again, so a project already archived at OpenAI is not archived twice), and the
/// saved progress of an earlier run.
pub async fn plan_retire(
    client: &Client,
    key_id: &str,
    saved: Option<RetireProgress>,
) -> Result<RetirePlan, ApiError> {
    checked_id(key_id, "extkey_")?;
    let Some(key) = keys::retrieve(client, key_id).await? else {
        return Ok(match saved {
            Some(_) => RetirePlan::AlreadyRetired {
                key_id: key_id.to_string(),
            },
            None => RetirePlan::NoSuchKey {
                key_id: key_id.to_string(),
            },
        });
    };
    if !key.is_ekm() {
        return Ok(RetirePlan::Refused {
            key_id: key.id.clone(),
            why: Refusal::NotEkm {
                purpose: key.purpose.clone().unwrap_or_default(),
            }
            .words(&key.id),
        });
    }
    if let Some(workspace) = &key.workspace_id {
        return Ok(RetirePlan::Refused {
            key_id: key.id.clone(),
            why: format!(
                "{} is used by ChatGPT workspace {}: a workspace is not archived through the API; ask your OpenAI contact to move it to its new key first",
                key.id,
                crate::secrets::outside_id(workspace, 80)
            ),
        });
    }
    let now = crate::clock::now_unix();
    let mut progress = saved.unwrap_or(RetireProgress {
        format: PROGRESS_FORMAT,
        key_id: key.id.clone(),
        key_name: key.name.clone(),
        resource: key.resource.clone(),
        projects: Vec::new(),
        confirmed: false,
        deleted: false,
        started_at: now,
        updated_at: now,
    });
    // Every project the key names now, and those of the record (an archived project may no
    // longer be named by the key).
    let mut ids: Vec<String> = progress.projects.iter().map(|p| p.id.clone()).collect();
    for id in &key.api_project_ids {
        checked_id(id, "proj_")?;
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    let mut projects = Vec::new();
    for id in ids {
        let was = progress.projects.iter().find(|p| p.id == id).cloned();
        let read = keys::project(client, &id).await?;
        let (name, archived) = match &read {
            Some(project) => (
                project
                    .name
                    .clone()
                    .or(was.as_ref().and_then(|p| p.name.clone())),
                project.is_archived(),
            ),
            // A project OpenAI no longer knows uses nothing.
            None => (was.as_ref().and_then(|p| p.name.clone()), true),
        };
        projects.push(ProjectProgress { id, name, archived });
    }
    progress.projects = projects;
    progress.deleted = false;
    Ok(RetirePlan::Steps {
        key: Box::new(key),
        progress,
    })
}

/// Performs one step of a retirement and marks it done in `progress`.
pub async fn perform_retire_step(
    client: &Client,
    key: &ExternalKey,
    progress: &mut RetireProgress,
    step: &RetireStep,
) -> Result<(), ApiError> {
    match step {
        RetireStep::Archive { id, .. } => {
            keys::archive_project(client, id).await?;
            if let Some(p) = progress.projects.iter_mut().find(|p| &p.id == id) {
                p.archived = true;
            }
        }
        RetireStep::Delete => {
            // The key is read again: OpenAI's own list of what uses it decides, not ours.
            let Some(now) = keys::retrieve(client, &key.id).await? else {
                progress.deleted = true;
                progress.updated_at = crate::clock::now_unix();
                return Ok(());
            };
            let mut fresh = now;
            // Projects this run archived may still be named for a moment; OpenAI refuses
            // the delete then, and the run can be resumed.
            if fresh.is_ekm() && fresh.workspace_id.is_none() {
                let archived: Vec<&str> = progress
                    .projects
                    .iter()
                    .filter(|p| p.archived)
                    .map(|p| p.id.as_str())
                    .collect();
                fresh
                    .api_project_ids
                    .retain(|p| !archived.contains(&p.as_str()));
            }
            if let Some(refusal) = Refusal::of(&fresh) {
                return Err(ApiError::Refused {
                    status: 0,
                    message: refusal.words(&key.id),
                    kind: None,
                    param: None,
                    code: Some("refused_before_sending".into()),
                });
            }
            match keys::delete(client, &fresh).await? {
                Deleted::Done | Deleted::GoneAfterLostAnswer => progress.deleted = true,
            }
        }
    }
    progress.updated_at = crate::clock::now_unix();
    Ok(())
}

/// A replacement's saved progress: the old key, and what was made for the new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaceProgress {
    pub format: u32,
    pub old_key_id: String,
    /// The registry's key of the new key's cloud.
    pub cloud: String,
    /// The cloud checks of the new setup passed, for this registration body (a changed
    /// config is checked again).
    pub checked: bool,
    pub checked_body: Option<serde_json::Value>,
    pub new_key_id: Option<String>,
    pub project_name: Option<String>,
    pub new_project_id: Option<String>,
    pub started_at: u64,
    pub updated_at: u64,
}

impl ReplaceProgress {
    pub fn new(old_key_id: &str, cloud: &str) -> ReplaceProgress {
        let now = crate::clock::now_unix();
        ReplaceProgress {
            format: PROGRESS_FORMAT,
            old_key_id: old_key_id.to_string(),
            cloud: cloud.to_string(),
            checked: false,
            checked_body: None,
            new_key_id: None,
            project_name: None,
            new_project_id: None,
            started_at: now,
            updated_at: now,
        }
    }

    /// Reads a saved record; one of another format, key or cloud is not used, and ids not of
    /// OpenAI's form are dropped.
    pub fn parse(text: &str, old_key_id: &str, cloud: &str) -> Option<ReplaceProgress> {
        let mut progress: ReplaceProgress = serde_json::from_str(text).ok()?;
        if progress.format != PROGRESS_FORMAT
            || progress.old_key_id != old_key_id
            || progress.cloud != cloud
        {
            return None;
        }
        progress.new_key_id = progress
            .new_key_id
            .filter(|id| checked_id(id, "extkey_").is_ok());
        progress.new_project_id = progress
            .new_project_id
            .filter(|id| checked_id(id, "proj_").is_ok());
        Some(progress)
    }

    pub fn to_json(&self) -> String {
        format!(
            "{}\n",
            serde_json::to_string_pretty(self).unwrap_or_default()
        )
    }

    /// What the admin does that no API call can, then the command that finishes.
    pub fn handover(&self) -> String {
        let project = self.new_project_id.as_deref().unwrap_or("the new project");
        format!(
            "What no API call can do for you: create API keys in {project} (the new project), move every application and service from the projects of {old} to them, and check that traffic runs. Data written under {old} stays readable only while its key is: keep that key in your KMS for as long as you keep that data.\nThen run `ekm-wizard keys retire {old}`: it archives the projects that use {old} (which cannot be undone) and deletes its registration.",
            old = self.old_key_id
        )
    }
}

/// Reads the key a replacement starts from: it must exist and be an EKM key.
pub async fn old_key(client: &Client, id: &str) -> Result<ExternalKey, String> {
    match keys::retrieve(client, id).await {
        Ok(Some(key)) if key.is_ekm() => Ok(key),
        Ok(Some(key)) => Err(Refusal::NotEkm {
            purpose: key.purpose.unwrap_or_default(),
        }
        .words(id)),
        Ok(None) => Err(no_such_key(id)),
        Err(err) => Err(err.to_string()),
    }
}

/// The words of a 404 on a key.
pub fn no_such_key(id: &str) -> String {
    format!("no key {id} in this organization (OpenAI answered 404)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_guide_says_when_a_revocation_reaches_live_traffic_and_validate() {
        for cloud in crate::clouds::all() {
            let said = cloud
                .guide()
                .steps
                .iter()
                .flat_map(|step| step.advice.iter())
                .any(|advice| {
                    advice.contains("is a revocation")
                        && advice.contains("`ekm-wizard validate` shows it at once")
                        && advice.contains("live traffic loses access within about an hour")
                });
            assert!(said, "{} does not say it", cloud.key());
        }
        for words in ["Rotation", "revocation", "within about an hour", "at once"] {
            assert!(ROTATION_VS_REVOCATION.contains(words), "{words}");
        }
    }

    #[test]
    fn saved_progress_of_another_key_or_with_bad_ids_is_not_used() {
        let progress = RetireProgress {
            format: PROGRESS_FORMAT,
            key_id: "extkey_a".into(),
            key_name: "k".into(),
            resource: None,
            projects: vec![ProjectProgress {
                id: "proj_1".into(),
                name: None,
                archived: true,
            }],
            confirmed: true,
            deleted: false,
            started_at: 1,
            updated_at: 2,
        };
        let text = progress.to_json();
        assert_eq!(RetireProgress::parse(&text, "extkey_a"), Some(progress));
        assert_eq!(RetireProgress::parse(&text, "extkey_b"), None);
        let bad = text.replace("proj_1", "../x");
        assert_eq!(RetireProgress::parse(&bad, "extkey_a"), None);
    }

    #[test]
    fn steps_left_skip_what_is_done() {
        let key =
            ExternalKey::from_value(&serde_json::json!({"id": "extkey_a", "name": "old"})).unwrap();
        let mut progress = RetireProgress {
            format: PROGRESS_FORMAT,
            key_id: "extkey_a".into(),
            key_name: "old".into(),
            resource: None,
            projects: vec![
                ProjectProgress {
                    id: "proj_1".into(),
                    name: Some("one".into()),
                    archived: true,
                },
                ProjectProgress {
                    id: "proj_2".into(),
                    name: Some("two".into()),
                    archived: false,
                },
            ],
            confirmed: false,
            deleted: false,
            started_at: 1,
            updated_at: 1,
        };
        let plan = RetirePlan::Steps {
            key: Box::new(key.clone()),
            progress: progress.clone(),
        };
        assert_eq!(
            plan.steps(),
            vec![
                RetireStep::Archive {
                    id: "proj_2".into(),
                    name: Some("two".into())
                },
                RetireStep::Delete
            ]
        );
        let question = plan.question().unwrap();
        assert!(
            question.contains("\"two\" (proj_2)") && !question.contains("proj_1"),
            "{question}"
        );
        assert!(question.contains("cannot be undone"), "{question}");
        progress.projects[1].archived = true;
        let plan = RetirePlan::Steps {
            key: Box::new(key),
            progress,
        };
        assert_eq!(plan.steps(), vec![RetireStep::Delete]);
    }
}
