//! Generators: the policies, request bodies and commands the admin pastes, built as
//! `serde_json::Value`s (never by filling string templates) from validated inputs.

pub mod aws;
pub mod azure;
pub mod gcp;
pub mod shell;

use serde_json::{Value, json};

use crate::identities::OPENAI_API_BASE;
use shell::{continued, quote};

use crate::guide::{ArtifactId, Cloud, FieldError, Inputs, SetupPath};

/// A generated block: a JSON document or a piece of text (commands, a message).
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactBody {
    Json(Value),
    Text(String),
}

impl ArtifactBody {
    /// What is copied or written: pretty-printed JSON, or the text itself, ending in a newline.
    pub fn to_text(&self) -> String {
        match self {
            ArtifactBody::Json(value) => {
                let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
                text.push('\n');
                text
            }
            ArtifactBody::Text(text) => {
                let mut text = text.clone();
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                text
            }
        }
    }

    /// The file extension for this kind of block.
    pub fn extension(&self) -> &'static str {
        match self {
            ArtifactBody::Json(_) => "json",
            ArtifactBody::Text(_) => "txt",
        }
    }
}

/// Why a block cannot be generated yet: the fields it needs that are missing or invalid.
pub type Missing = Vec<FieldError>;

/// Generates one block for a cloud and path from what the admin recorded.
pub fn generate(
    cloud: Cloud,
    artifact: ArtifactId,
    inputs: &Inputs,
    path: SetupPath,
) -> Result<ArtifactBody, Missing> {
    use ArtifactId::{
        CreateProjectCommand, EnterpriseDetails, EnterpriseMessage, RegistrationBody,
        RegistrationCommands,
    };
    if artifact == CreateProjectCommand {
        return Ok(ArtifactBody::Text(create_project_command(inputs)));
    }
    if matches!(
        artifact,
        EnterpriseDetails | EnterpriseMessage | RegistrationBody | RegistrationCommands
    ) {
        let handover = match cloud {
            Cloud::Aws => aws::handover(inputs, path),
            Cloud::Gcp => gcp::handover(inputs, path),
            Cloud::Azure => azure::handover(inputs, path),
        }?;
        return Ok(match artifact {
            EnterpriseDetails => ArtifactBody::Json(handover.details),
            RegistrationBody => ArtifactBody::Json(handover.body),
            RegistrationCommands => ArtifactBody::Text(registration_commands(&handover.body)),
            _ => {
                let org = inputs
                    .validated(crate::guide::FieldId::OrgId)
                    .map_err(|e| vec![e])?;
                ArtifactBody::Text(enterprise_message(&org, cloud, &handover.details))
            }
        });
    }
    match cloud {
        Cloud::Aws => aws::generate(artifact, inputs, path),
        Cloud::Gcp => gcp::generate(artifact, inputs, path),
        Cloud::Azure => azure::generate(artifact, inputs, path),
    }
}

/// What every cloud hands over: the details for the OpenAI contact and the registration body.
pub struct Handover {
    pub details: Value,
    pub body: Value,
}

/// Whether a block matters given what was recorded (the AWS alias look-up only for an alias).
pub fn artifact_is_relevant(cloud: Cloud, artifact: ArtifactId, inputs: &Inputs) -> bool {
    match cloud {
        Cloud::Aws => aws::artifact_is_relevant(artifact, inputs),
        Cloud::Gcp | Cloud::Azure => true,
    }
}

/// Remarks a step shows about what was recorded: valid, but worth a second look.
pub fn step_notes(cloud: Cloud, step_id: &str, inputs: &Inputs) -> Vec<String> {
    match cloud {
        Cloud::Aws => aws::step_notes(step_id, inputs),
        Cloud::Gcp | Cloud::Azure => Vec::new(),
    }
}

/// The id OpenAI presents: on the ChatGPT path always the organization id, on the API path
/// the recorded field (ExternalId, audience), which defaults to it.
pub(crate) fn presented_id(
    inputs: &Inputs,
    field: crate::guide::FieldId,
    path: SetupPath,
) -> Result<String, FieldError> {
    match path {
        SetupPath::Api => inputs.validated(field),
        SetupPath::ChatGpt => inputs.validated(crate::guide::FieldId::OrgId),
    }
}

/// The placeholder the admin replaces with the key id the registration answered.
pub const EXTERNAL_KEY_PLACEHOLDER: &str = "extkey_REPLACE_ME";

/// A POST to OpenAI's Management API. The admin key goes in as a header read from standard
/// input (`-H @-`, fed by the shell's own `printf`), so it is in no process's command line.
fn curl_post(url: &str, body: &Value) -> String {
    continued(&[
        "printf 'Authorization: Bearer %s\\n' \"$OPENAI_ADMIN_KEY\"".into(),
        format!("| curl --fail-with-body {}", quote(url)),
        "-H @-".into(),
        "-H \"Content-Type: application/json\"".into(),
        format!("-d {}", quote(&body.to_string())),
    ])
}

/// The first call of the API path: register the key. The admin key is read from
/// `$OPENAI_ADMIN_KEY` by the shell, never written here.
pub(crate) fn registration_commands(body: &Value) -> String {
    curl_post(
        &format!("{OPENAI_API_BASE}/organization/external_keys"),
        body,
    )
}

/// The second call: a project that uses the registered key (its id replaces the placeholder).
pub(crate) fn create_project_command(inputs: &Inputs) -> String {
    let project_name = inputs
        .validated(crate::guide::FieldId::ProjectName)
        .unwrap_or_else(|_| "EKM project".into());
    let project = json!({
        "name": project_name,
        "external_key_id": EXTERNAL_KEY_PLACEHOLDER,
    });
    curl_post(
        &format!("{OPENAI_API_BASE}/organization/projects"),
        &project,
    )
}

/// The text version of the hand-over details, ready for an e-mail.
pub(crate) fn enterprise_message(org: &str, cloud: Cloud, details: &Value) -> String {
    let mut text = format!(
        "Details to turn on Enterprise Key Management for OpenAI organization {org} ({}):",
        cloud.display_name()
    );
    if let Some(map) = details.as_object() {
        for (key, value) in map {
            let value = value
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| value.to_string());
            text.push_str(&format!("\n{key}: {value}"));
        }
    }
    text
}

/// A block that belongs to another cloud's guide: never listed, so never shown.
pub(crate) fn not_in_this_guide(cloud: Cloud, artifact: ArtifactId) -> ArtifactBody {
    ArtifactBody::Text(format!(
        "{artifact:?} is not part of the {} guide.",
        cloud.display_name()
    ))
}

/// Combines two field look-ups, keeping both errors when both fail.
pub(crate) fn both<A, B>(
    a: Result<A, FieldError>,
    b: Result<B, FieldError>,
) -> Result<(A, B), Missing> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(dedup([a.err(), b.err()].into_iter().flatten().collect())),
    }
}

/// Combines three field look-ups, keeping every error.
pub(crate) fn three<A, B, C>(
    a: Result<A, FieldError>,
    b: Result<B, FieldError>,
    c: Result<C, FieldError>,
) -> Result<(A, B, C), Missing> {
    match (both(a, b), c) {
        (Ok((a, b)), Ok(c)) => Ok((a, b, c)),
        (ab, c) => {
            let mut errors = ab.err().unwrap_or_default();
            errors.extend(c.err());
            Err(dedup(errors))
        }
    }
}

/// Drops repeated errors (one field can be needed twice), keeping the first order.
pub(crate) fn dedup(errors: Vec<FieldError>) -> Missing {
    let mut out: Missing = Vec::new();
    for err in errors {
        if !out.contains(&err) {
            out.push(err);
        }
    }
    out
}
