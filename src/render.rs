//! `ekm-wizard render`: the generated artifacts for scripts and support, from flags or a
//! config file. Bad input exits 2 with every problem on stderr and nothing on stdout.

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::artifacts::{self, ArtifactBody};
use crate::cli::{EXIT_BAD_INPUT, EXIT_OK, RenderArgs};
use crate::guide::{ArtifactId, Cloud, FieldId, Inputs, SetupPath};

/// Runs `render` and returns the exit code.
pub fn run(args: &RenderArgs) -> u8 {
    match render(args) {
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
pub fn render(args: &RenderArgs) -> Result<String, Vec<String>> {
    if args.cloud != Cloud::Aws {
        return Err(vec![format!(
            "render {}: the {} path is not in this version of ekm-wizard; `render aws` is",
            args.cloud.key(),
            args.cloud.display_name()
        )]);
    }
    let inputs = inputs_from(args)?;
    if args.json {
        let value = aws_document(&inputs).map_err(to_messages)?;
        let mut text = serde_json::to_string_pretty(&value).map_err(|e| vec![e.to_string()])?;
        text.push('\n');
        Ok(text)
    } else {
        // Validate everything first, so text output is all or nothing like JSON.
        aws_document(&inputs).map_err(to_messages)?;
        aws_text(&inputs, args.path).map_err(to_messages)
    }
}

fn to_messages(missing: artifacts::Missing) -> Vec<String> {
    missing.into_iter().map(|e| e.to_string()).collect()
}

/// The config file's keys: the registration body's plus `org_id` and the two that shape artifacts.
const CONFIG_KEYS: [&str; 8] = [
    "type",
    "name",
    "role_arn",
    "kms_arn",
    "external_id",
    "org_id",
    "key_arn",
    "policy_name",
];

/// Reads a config file into inputs: a JSON object of strings, no unknown keys.
pub fn read_config(path: &Path, cloud: Cloud) -> Result<Inputs, Vec<String>> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("config {shown}: cannot read it: {e}")])?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        vec![format!(
            "config {shown}: not valid JSON ({e}); expected an object such as {{\"org_id\": \"org-…\", \"kms_arn\": \"…\", \"role_arn\": \"…\"}}"
        )]
    })?;
    let Value::Object(map) = value else {
        return Err(vec![format!(
            "config {shown}: expected a JSON object of field names to strings"
        )]);
    };
    let mut problems = Vec::new();
    let mut inputs = Inputs::default();
    for (key, value) in map {
        if !CONFIG_KEYS.contains(&key.as_str()) {
            problems.push(format!(
                "config {shown}: unknown key `{key}`; expected one of {}",
                CONFIG_KEYS.join(", ")
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
pub fn inputs_from(args: &RenderArgs) -> Result<Inputs, Vec<String>> {
    let mut inputs = match &args.config {
        Some(path) => read_config(path, args.cloud)?,
        None => Inputs::default(),
    };
    let flags = [
        (FieldId::OrgId, &args.org_id),
        (FieldId::KmsArn, &args.kms_arn),
        (FieldId::KeyArn, &args.key_arn),
        (FieldId::RoleArn, &args.role_arn),
        (FieldId::ExternalId, &args.external_id),
        (FieldId::Name, &args.name),
        (FieldId::PolicyName, &args.policy_name),
    ];
    for (field, value) in flags {
        if let Some(value) = value {
            inputs.set(field, value.clone());
        }
    }
    Ok(inputs)
}

fn generate(
    artifact: ArtifactId,
    inputs: &Inputs,
    path: SetupPath,
) -> Result<Value, artifacts::Missing> {
    Ok(
        match artifacts::generate(Cloud::Aws, artifact, inputs, path)? {
            ArtifactBody::Json(value) => value,
            ArtifactBody::Text(text) => Value::String(text),
        },
    )
}

/// Everything `render aws --json` prints.
pub fn aws_document(inputs: &Inputs) -> Result<Value, artifacts::Missing> {
    let mut problems = Vec::new();
    // The org id is needed whatever the path; check it first so it is reported first.
    if let Err(err) = inputs.validated(FieldId::OrgId) {
        problems.push(err);
    }
    let mut take = |artifact: ArtifactId, path: SetupPath| match generate(artifact, inputs, path) {
        Ok(value) => value,
        Err(missing) => {
            problems.extend(missing);
            Value::Null
        }
    };
    let api = SetupPath::Api;
    let iam_policy = take(ArtifactId::IamPolicy, api);
    let trust_policy = take(ArtifactId::TrustPolicy, api);
    let key_policy_statement = take(ArtifactId::KeyPolicyStatement, api);
    let registration = take(ArtifactId::RegistrationBody, api);
    let enterprise_details = take(ArtifactId::EnterpriseDetails, SetupPath::ChatGpt);
    let mut commands = Map::new();
    commands.insert(
        "create_key".into(),
        take(ArtifactId::CreateKeyCommands, api),
    );
    if artifacts::aws::artifact_is_relevant(ArtifactId::AliasTargetCommand, inputs) {
        commands.insert(
            "find_alias_target".into(),
            take(ArtifactId::AliasTargetCommand, api),
        );
    }
    commands.insert(
        "create_policy".into(),
        take(ArtifactId::CreatePolicyCommands, api),
    );
    commands.insert(
        "create_role".into(),
        take(ArtifactId::CreateRoleCommands, api),
    );
    commands.insert(
        "key_restrictions".into(),
        take(ArtifactId::KeyRestrictionCommands, api),
    );
    commands.insert(
        "register".into(),
        take(ArtifactId::RegistrationCommands, api),
    );
    let problems = artifacts::dedup(problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(json!({
        "iam_policy": iam_policy,
        "trust_policy": trust_policy,
        "key_policy_statement": key_policy_statement,
        "registration": registration,
        "enterprise_details": enterprise_details,
        "commands": Value::Object(commands),
    }))
}

/// The same blocks for people: each under a heading, in the guide's order, for one path.
pub fn aws_text(inputs: &Inputs, path: SetupPath) -> Result<String, artifacts::Missing> {
    let guide = crate::guide::aws::guide();
    let mut out = String::new();
    for (number, step) in guide.steps.iter().enumerate() {
        let blocks: Vec<ArtifactId> = step
            .artifacts_for(path)
            .into_iter()
            .filter(|a| artifacts::aws::artifact_is_relevant(*a, inputs))
            .collect();
        if blocks.is_empty() {
            continue;
        }
        out.push_str(&format!("== Step {}: {} ==\n\n", number + 1, step.title));
        for note in artifacts::aws::step_notes(&step.id, inputs) {
            out.push_str(&format!("Note: {note}\n\n"));
        }
        for artifact in blocks {
            let text = guide.artifact_text(artifact);
            let body = artifacts::generate(Cloud::Aws, artifact, inputs, path)?;
            out.push_str(&format!("-- {} ({})\n", text.title, text.hint));
            out.push_str(&body.to_text());
            out.push('\n');
        }
    }
    Ok(out)
}
