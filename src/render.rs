//! `ekm-wizard render <cloud>`: the generated artifacts for scripts and support, from flags or
//! a config file. Bad input exits 2 with every problem on stderr and nothing on stdout.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value};

use crate::artifacts::{self, ArtifactBody, Missing};
use crate::cli::{CloudValues, EXIT_BAD_INPUT, EXIT_OK};
use crate::guide::{ArtifactId, Cloud, FieldId, Inputs, SetupPath};

/// Runs `render` and returns the exit code.
pub fn run(values: &CloudValues) -> u8 {
    match render(values) {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(text.as_bytes()).is_err() {
                return EXIT_BAD_INPUT;
            }
            EXIT_OK
        }
        Err(problems) => {
            let mut stderr = std::io::stderr().lock();
            for problem in problems {
                let _ = writeln!(stderr, "error: {problem}");
            }
            EXIT_BAD_INPUT
        }
    }
}

/// The whole output of `render`, or every problem with the input.
pub fn render(values: &CloudValues) -> Result<String, Vec<String>> {
    let cloud = values.cloud();
    let inputs = inputs_from(values)?;
    // Validate everything first, so text output is all or nothing, like JSON.
    let document = document(cloud, &inputs).map_err(to_messages)?;
    if values.common().json {
        let mut text = serde_json::to_string_pretty(&document).map_err(|e| vec![e.to_string()])?;
        text.push('\n');
        Ok(text)
    } else {
        text(cloud, &inputs, values.common().path).map_err(to_messages)
    }
}

fn to_messages(missing: Missing) -> Vec<String> {
    missing.into_iter().map(|e| e.on_command_line()).collect()
}

/// The keys a config file may hold for a cloud: `type` plus every recorded field.
pub fn config_keys(cloud: Cloud) -> Vec<&'static str> {
    let mut keys = vec!["type"];
    keys.extend(
        cloud
            .guide()
            .recorded_fields()
            .into_iter()
            .map(FieldId::key),
    );
    if !keys.contains(&"name") {
        keys.push("name");
    }
    keys
}

/// The largest config file read: a real one is well under 2 KiB.
pub const CONFIG_LIMIT: u64 = 1024 * 1024;

/// Reads a config file into inputs: a JSON object of strings, no unknown keys.
pub fn read_config(path: &Path, cloud: Cloud) -> Result<Inputs, Vec<String>> {
    let shown = path.display();
    let metadata = std::fs::metadata(path)
        .map_err(|e| vec![format!("config {shown}: cannot read it: {e}")])?;
    if !metadata.is_file() {
        return Err(vec![format!(
            "config {shown}: not a regular file; expected a JSON file such as ekm.json"
        )]);
    }
    if metadata.len() > CONFIG_LIMIT {
        return Err(vec![format!(
            "config {shown}: {} bytes, more than any config (at most {CONFIG_LIMIT}); expected a small JSON object",
            metadata.len()
        )]);
    }
    let mut text = String::new();
    {
        use std::io::Read;
        std::fs::File::open(path)
            .and_then(|file| file.take(CONFIG_LIMIT + 1).read_to_string(&mut text))
            .map_err(|e| vec![format!("config {shown}: cannot read it: {e}")])?;
    }
    if text.len() as u64 > CONFIG_LIMIT {
        return Err(vec![format!(
            "config {shown}: more than {CONFIG_LIMIT} bytes; expected a small JSON object"
        )]);
    }
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        vec![format!(
            "config {shown}: not valid JSON ({e}); expected an object such as {{\"org_id\": \"org-…\", …}}"
        )]
    })?;
    let Value::Object(map) = value else {
        return Err(vec![format!(
            "config {shown}: expected a JSON object of field names to strings"
        )]);
    };
    let allowed = config_keys(cloud);
    let mut problems = Vec::new();
    let mut inputs = Inputs::new(cloud);
    for (key, value) in map {
        if !allowed.contains(&key.as_str()) {
            problems.push(format!(
                "config {shown}: unknown key `{key}`; expected one of {}",
                allowed.join(", ")
            ));
            continue;
        }
        let Value::String(text) = value else {
            problems.push(format!("config {shown}: `{key}` must be a string"));
            continue;
        };
        if key == "type" {
            if text != cloud.key() {
                problems.push(format!(
                    "config {shown}: `type` is `{text}` but the command renders `{}`",
                    cloud.key()
                ));
            }
            continue;
        }
        if let Some(field) = FieldId::from_key(&key) {
            inputs.set(field, text);
        }
    }
    if problems.is_empty() {
        Ok(inputs)
    } else {
        Err(problems)
    }
}

/// The config file's values, overridden by any flag given.
pub fn inputs_from(values: &CloudValues) -> Result<Inputs, Vec<String>> {
    let cloud = values.cloud();
    let mut inputs = match &values.common().config {
        Some(path) => read_config(path, cloud)?,
        None => Inputs::new(cloud),
    };
    for (field, value) in values.flags() {
        if let Some(value) = value {
            inputs.set(field, value);
        }
    }
    Ok(inputs)
}

/// Where a piece of the JSON document comes from.
struct Entry {
    key: &'static str,
    artifact: ArtifactId,
    path: SetupPath,
}

const fn api(key: &'static str, artifact: ArtifactId) -> Entry {
    Entry {
        key,
        artifact,
        path: SetupPath::Api,
    }
}

const fn chatgpt(key: &'static str, artifact: ArtifactId) -> Entry {
    Entry {
        key,
        artifact,
        path: SetupPath::ChatGpt,
    }
}

/// The documents of `render <cloud> --json`, then its `commands`.
fn layout(cloud: Cloud) -> (Vec<Entry>, Vec<Entry>) {
    use ArtifactId as A;
    let handover = [
        api("registration", A::RegistrationBody),
        chatgpt("enterprise_details", A::EnterpriseDetails),
    ];
    let register = [
        api("register", A::RegistrationCommands),
        api("create_project", A::CreateProjectCommand),
    ];
    let (mut documents, mut commands) = match cloud {
        Cloud::Aws => (
            vec![
                api("iam_policy", A::IamPolicy),
                api("trust_policy", A::TrustPolicy),
                api("key_policy_statement", A::KeyPolicyStatement),
            ],
            vec![
                api("create_key", A::CreateKeyCommands),
                api("find_alias_target", A::AliasTargetCommand),
                api("create_policy", A::CreatePolicyCommands),
                api("create_role", A::CreateRoleCommands),
                api("enable_rotation", A::KeyRotationCommand),
                api("read_key_policy", A::ReadKeyPolicyCommand),
                api("put_key_policy", A::PutKeyPolicyCommand),
            ],
        ),
        Cloud::Gcp => (
            vec![
                api("provider", A::ProviderSettings),
                api("custom_role", A::GcpCustomRole),
                api("principal", A::Principal),
                api("sts_audience", A::StsAudience),
            ],
            vec![
                api("workload_identity", A::WorkloadIdentityCommands),
                api("enable_kms", A::EnableKmsCommands),
                api("create_key", A::CreateKeyRingCommands),
                api("create_role", A::CreateCustomRoleCommands),
                api("grant", A::GrantCommands),
                api("rotation", A::RotationCommands),
            ],
        ),
        Cloud::Azure => (
            vec![
                api("service_principal_request", A::ServicePrincipalRequest),
                api("custom_role", A::AzureCustomRole),
                api("role_assignment_scope", A::RoleAssignmentScope),
            ],
            vec![
                api("service_principal", A::ServicePrincipalCommands),
                api("service_principal_az", A::ServicePrincipalAzCommand),
                api("create_role", A::RoleDefinitionCommands),
                api("create_vault", A::CreateVaultCommand),
                api("create_key", A::CreateVaultKeyCommands),
                api("assign_role", A::RoleAssignmentCommands),
                api("vault_settings", A::VaultSettingsQuery),
                api("vault_rbac", A::VaultRbacCommand),
                api("purge_protection", A::PurgeProtectionCommand),
                api("key_rotation_policy", A::KeyRotationPolicyCommand),
            ],
        ),
    };
    documents.extend(handover);
    commands.extend(register);
    (documents, commands)
}

/// Everything `render <cloud> --json` prints: every problem, or one object.
pub fn document(cloud: Cloud, inputs: &Inputs) -> Result<Value, Missing> {
    let mut problems = Vec::new();
    // The org id is needed whatever the path; check it first so it is reported first.
    problems.extend(inputs.validated(FieldId::OrgId).err());
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
        for note in artifacts::step_notes(cloud, &step.id, inputs) {
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
