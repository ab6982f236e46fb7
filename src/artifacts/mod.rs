//! Generators: the policies, request bodies and commands the admin pastes, built as
//! `serde_json::Value`s (never by filling string templates) from validated inputs.

pub mod hcl;
pub mod shell;
pub mod yaml;

use serde_json::{Value, json};

use crate::identities::OPENAI_API_BASE;
use shell::{continued, quote};

pub use crate::guide::{ArtifactBody, Handover, Missing};
use crate::guide::{ArtifactId, Cloud, FieldError, FieldId, Inputs, SetupPath};

/// Generates one block from the recorded inputs: the shared hand-over and registration
/// blocks here, every other block by the cloud's kit.
pub fn generate(
    cloud: Cloud,
    artifact: ArtifactId,
    inputs: &Inputs,
    path: SetupPath,
) -> Result<ArtifactBody, Missing> {
    if artifact == ArtifactId::CREATE_PROJECT_COMMAND {
        return Ok(ArtifactBody::Text(create_project_command(inputs)));
    }
    if ArtifactId::SHARED.contains(&artifact) {
        let handover = cloud.kit().handover(inputs, path)?;
        return Ok(if artifact == ArtifactId::ENTERPRISE_DETAILS {
            ArtifactBody::Json(handover.details)
        } else if artifact == ArtifactId::REGISTRATION_BODY {
            ArtifactBody::Json(handover.body)
        } else if artifact == ArtifactId::REGISTRATION_COMMANDS {
            ArtifactBody::Text(registration_commands(&handover.body))
        } else {
            let org = inputs.validated(FieldId::ORG_ID).map_err(|e| vec![e])?;
            ArtifactBody::Text(enterprise_message(&org, cloud, &handover.details))
        });
    }
    if !cloud.kit().artifacts().contains(&artifact) {
        return Ok(not_in_this_guide(cloud, artifact));
    }
    cloud.kit().generate(artifact, inputs, path)
}

/// The values of a JSON block one by one, as a console asks for them box by box: each leaf
/// with its path (`attribute_mapping.google.subject`), a one-item list as its item; strings
/// bare. At most nine (keys 1–9 pick them). Text blocks have none.
pub fn values_of(body: &ArtifactBody) -> Vec<(String, String)> {
    fn walk(path: String, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    let path = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(path, inner, out);
                }
            }
            Value::Array(items) if items.len() == 1 => walk(path, &items[0], out),
            Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
                out.push((path, items.iter().map(plain).collect::<Vec<_>>().join(", ")));
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(format!("{path}[{}]", i + 1), item, out);
                }
            }
            other => out.push((path, plain(other))),
        }
    }
    fn plain(value: &Value) -> String {
        value
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string())
    }
    let ArtifactBody::Json(value) = body else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(String::new(), value, &mut out);
    // A block of one value is copied whole with c; picking makes sense for several.
    if out.len() < 2 || out.len() > 9 {
        return Vec::new();
    }
    out
}

/// Whether a block applies, given what is recorded (the key behind an alias, say).
pub fn artifact_is_relevant(cloud: Cloud, artifact: ArtifactId, inputs: &Inputs) -> bool {
    cloud.kit().artifact_is_relevant(artifact, inputs)
}

/// Notes shown above a step's blocks.
pub fn step_notes(cloud: Cloud, step: crate::guide::StepId, inputs: &Inputs) -> Vec<String> {
    cloud.kit().step_notes(step, inputs)
}

/// The warnings about valid recorded values, each as a headless command says it: the field's
/// label and flag, then the words.
pub fn field_warnings(cloud: Cloud, inputs: &Inputs) -> Vec<String> {
    cloud
        .kit()
        .field_warnings(inputs)
        .into_iter()
        .map(|(field, words)| {
            format!(
                "{} (--{}): {words}",
                crate::guide::label_of(cloud, field),
                field.key().replace('_', "-")
            )
        })
        .collect()
}

/// The id OpenAI presents: on the ChatGPT path always the organization id, on the API path
/// the recorded field (ExternalId, audience), which defaults to it.
pub fn presented_id(
    inputs: &Inputs,
    field: crate::guide::FieldId,
    path: SetupPath,
) -> Result<String, FieldError> {
    match path {
        SetupPath::Api => inputs.validated(field),
        SetupPath::ChatGpt => inputs.validated(FieldId::ORG_ID),
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
pub fn registration_commands(body: &Value) -> String {
    curl_post(
        &format!("{OPENAI_API_BASE}/organization/external_keys"),
        body,
    )
}

/// The second call: a project that uses the registered key (its id replaces the placeholder).
pub fn create_project_command(inputs: &Inputs) -> String {
    let project_name = inputs
        .validated(FieldId::PROJECT_NAME)
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
pub fn enterprise_message(org: &str, cloud: Cloud, details: &Value) -> String {
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
pub fn not_in_this_guide(cloud: Cloud, artifact: ArtifactId) -> ArtifactBody {
    ArtifactBody::Text(format!(
        "{artifact} is not part of the {} guide.",
        cloud.display_name()
    ))
}

/// Combines two field look-ups, keeping both errors when both fail.
pub fn both<A, B>(a: Result<A, FieldError>, b: Result<B, FieldError>) -> Result<(A, B), Missing> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(dedup([a.err(), b.err()].into_iter().flatten().collect())),
    }
}

/// Combines three field look-ups, keeping every error.
pub fn three<A, B, C>(
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
pub fn dedup(errors: Vec<FieldError>) -> Missing {
    let mut out: Missing = Vec::new();
    for err in errors {
        if !out.contains(&err) {
            out.push(err);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocks_values_come_one_by_one_as_a_console_asks_them() {
        let provider = ArtifactBody::Json(json!({
            "issuer_uri": "https://accounts.made.example",
            "allowed_audiences": ["org-abc123"],
            "attribute_mapping": {"made.subject": "assertion.sub"},
            "attribute_condition": "assertion.sub == \"1\"",
        }));
        let values = values_of(&provider);
        assert!(values.contains(&("allowed_audiences".into(), "org-abc123".into())));
        assert!(values.contains(&(
            "attribute_mapping.made.subject".into(),
            "assertion.sub".into()
        )));
        assert!(values.contains(&(
            "attribute_condition".into(),
            "assertion.sub == \"1\"".into()
        )));
        assert!(values_of(&ArtifactBody::Text("cloudy kms create-key".into())).is_empty());
        assert!(values_of(&ArtifactBody::Json(json!({"only": "one"}))).is_empty());
    }
}
