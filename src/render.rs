//! What `render` prints, made from recorded inputs: every generated artifact of a cloud as one
//! JSON document, or as text for people, all or nothing. The command that reads the flags and
//! prints it is `headless::render`.

use serde_json::{Map, Value};

use crate::artifacts::{self, ArtifactBody, Missing};
use crate::guide::{ArtifactId, Cloud, FieldId, Inputs, SetupPath};

pub fn to_messages(missing: Missing) -> Vec<String> {
    missing.into_iter().map(|e| e.on_command_line()).collect()
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
