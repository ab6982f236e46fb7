//! What `render` prints, made from recorded inputs: every generated artifact of a cloud as one
//! JSON document, or as text for people, all or nothing. The command that reads the flags and
//! prints it is `headless::render`.

use serde_json::{Map, Value};

use crate::artifacts::{self, ArtifactBody, Missing};
use crate::guide::{ArtifactId, Cloud, FieldId, Inputs, SetupPath};

pub fn to_messages(missing: Missing) -> Vec<String> {
    missing.into_iter().map(|e| e.on_command_line()).collect()
}

/// The documents of `render <cloud> --json`, then its `commands`: the kit's, then the
/// hand-over and registration every cloud shares.
fn layout(cloud: Cloud) -> (Vec<Entry>, Vec<Entry>) {
    let (documents, commands) = cloud.kit().render_layout();
    let api = |&(key, artifact): &(&'static str, ArtifactId)| Entry {
        key,
        artifact,
        path: SetupPath::Api,
    };
    let mut documents: Vec<Entry> = documents.iter().map(api).collect();
    let mut commands: Vec<Entry> = commands.iter().map(api).collect();
    documents.extend([
        api(&("registration", ArtifactId::REGISTRATION_BODY)),
        Entry {
            key: "enterprise_details",
            artifact: ArtifactId::ENTERPRISE_DETAILS,
            path: SetupPath::ChatGpt,
        },
    ]);
    commands.extend([
        api(&("register", ArtifactId::REGISTRATION_COMMANDS)),
        api(&("create_project", ArtifactId::CREATE_PROJECT_COMMAND)),
    ]);
    (documents, commands)
}

/// Where a piece of the JSON document comes from.
struct Entry {
    key: &'static str,
    artifact: ArtifactId,
    path: SetupPath,
}

/// Everything `render <cloud> --json` prints: every problem, or one object.
pub fn document(cloud: Cloud, inputs: &Inputs) -> Result<Value, Missing> {
    let mut problems = Vec::new();
    // The org id is needed whatever the path; check it first so it is reported first.
    problems.extend(inputs.validated(FieldId::ORG_ID).err());
    let mut take = |entry: &Entry| {
        if !artifacts::artifact_is_relevant(cloud, entry.artifact, inputs) {
            return None;
        }
        match artifacts::generate(cloud, entry.artifact, inputs, entry.path) {
            Ok(ArtifactBody::Json(value)) => Some(value),
            Ok(ArtifactBody::Text(text)) => Some(Value::String(text)),
            Err(missing) => {
                problems.extend(missing);
                None
            }
        }
    };
    let (documents, commands) = layout(cloud);
    let mut out = Map::new();
    for entry in &documents {
        if let Some(value) = take(entry) {
            out.insert(entry.key.into(), value);
        }
    }
    let mut command_map = Map::new();
    for entry in &commands {
        if let Some(value) = take(entry) {
            command_map.insert(entry.key.into(), value);
        }
    }
    out.insert("commands".into(), Value::Object(command_map));
    let problems = artifacts::dedup(problems);
    if problems.is_empty() {
        Ok(Value::Object(out))
    } else {
        Err(problems)
    }
}

/// The same blocks for people: each under a heading, in the guide's order, for one path.
pub fn text(cloud: Cloud, inputs: &Inputs, path: SetupPath) -> Result<String, Missing> {
    let guide = cloud.guide();
    let mut out = String::new();
    for (number, step) in guide.steps.iter().enumerate() {
        let blocks: Vec<ArtifactId> = step
            .artifacts_for(path)
            .into_iter()
            .filter(|a| artifacts::artifact_is_relevant(cloud, *a, inputs))
            .collect();
        if blocks.is_empty() {
            continue;
        }
        out.push_str(&format!("== Step {}: {} ==\n\n", number + 1, step.title));
        for note in artifacts::step_notes(cloud, step.id, inputs) {
            out.push_str(&format!("Note: {note}\n\n"));
        }
        for artifact in blocks {
            let text = guide.artifact_text(artifact);
            let body = artifacts::generate(cloud, artifact, inputs, path)?;
            out.push_str(&format!("-- {} ({})\n", text.title, text.hint));
            out.push_str(&body.to_text());
            out.push('\n');
        }
    }
    Ok(out)
}
