//! AWS artifacts: the IAM policy, the role's trust policy, the optional key-policy statement,
//! the registration body, the ChatGPT Enterprise details, and the `aws` CLI equivalents.

use serde_json::{Value, json};

use super::fields::{KmsArn, RoleArn};
use super::ids::*;
use super::{KMS_ACTIONS, OPENAI_PRINCIPAL_ARN};
use crate::artifacts::shell::{continued, quote};
use crate::artifacts::{
    ArtifactBody, Handover, Missing, both, dedup, not_in_this_guide, presented_id, three,
};
use crate::guide::FieldError;
use crate::guide::{ArtifactId, FieldId, Inputs, SetupPath};

const POLICY_VERSION: &str = "2012-10-17";

/// The key as recorded (any of the three forms).
fn recorded_key(inputs: &Inputs) -> Result<KmsArn, FieldError> {
    inputs
        .validated(KMS_ARN)
        .and_then(|v| super::fields::kms_arn(&v))
}

/// The key ARN policies must name: the recorded key, or for an alias the key behind it.
pub fn policy_key(inputs: &Inputs) -> Result<KmsArn, FieldError> {
    let recorded = recorded_key(inputs)?;
    if !recorded.is_alias() {
        return Ok(recorded);
    }
    let target = inputs
        .validated(KEY_ARN)
        .and_then(|v| super::fields::key_arn(&v))?;
    if target.region != recorded.region || target.account != recorded.account {
        return Err(inputs.refuse(
            KEY_ARN,
            format!(
                "is in {} / {}, but the alias is in {} / {}",
                target.region, target.account, recorded.region, recorded.account
            ),
        ));
    }
    Ok(target)
}

fn role(inputs: &Inputs) -> Result<RoleArn, FieldError> {
    inputs
        .validated(ROLE_ARN)
        .and_then(|v| super::fields::role_arn(&v))
}

/// The ExternalId OpenAI passes: on the ChatGPT path always the organization id.
fn external_id(inputs: &Inputs, path: SetupPath) -> Result<String, FieldError> {
    presented_id(inputs, EXTERNAL_ID, path)
}

/// The identity policy that lets the role encrypt and decrypt with the key, and nothing else.
pub fn iam_policy(key: &KmsArn) -> Value {
    iam_policy_on(json!(key.arn()))
}

/// The same policy on a key given as any JSON value (a CloudFormation reference, say).
pub fn iam_policy_on(key: Value) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Sid": "OpenAIEKMEncryptDecrypt",
            "Effect": "Allow",
            "Action": KMS_ACTIONS,
            "Resource": key,
        }]
    })
}

/// The role's trust policy: OpenAI's principal may assume it when it presents the ExternalId.
pub fn trust_policy(external_id: &str) -> Value {
    trust_policy_for(json!(external_id))
}

/// The same trust policy with the ExternalId given as any JSON value (a template reference).
pub fn trust_policy_for(external_id: Value) -> Value {
    json!({
        "Version": POLICY_VERSION,
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "AWS": OPENAI_PRINCIPAL_ARN },
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": { "sts:ExternalId": [external_id] }
            }
        }]
    })
}

/// A key-policy statement granting the role the two operations directly.
pub fn key_policy_statement(role: &RoleArn) -> Value {
    json!({
        "Sid": "AllowOpenAIEKMRole",
        "Effect": "Allow",
        "Principal": { "AWS": role.arn() },
        "Action": KMS_ACTIONS,
        "Resource": "*",
    })
}

/// The body of `POST /v1/organization/external_keys`.
pub fn registration_body(name: &str, role: &RoleArn, key: &KmsArn, external_id: &str) -> Value {
    json!({
        "type": "aws",
        "name": name,
        "role_arn": role.arn(),
        "kms_arn": key.arn(),
        "external_id": external_id,
    })
}

/// What a ChatGPT Enterprise customer sends to their OpenAI contact.
pub fn enterprise_details(role: &RoleArn, key: &KmsArn) -> Value {
    json!({ "role_arn": role.arn(), "kms_arn": key.arn() })
}

fn compact(value: &Value) -> String {
    value.to_string()
}

fn region_flag(key: &KmsArn) -> String {
    format!("--region {}", quote(&key.region))
}

fn create_key_commands() -> String {
    continued(&[
        "aws kms create-key".into(),
        "--key-spec SYMMETRIC_DEFAULT".into(),
        "--key-usage ENCRYPT_DECRYPT".into(),
        format!("--description {}", quote("OpenAI EKM master key")),
        "--query KeyMetadata.Arn --output text".into(),
    ])
}

fn alias_target_command(alias: &KmsArn) -> String {
    continued(&[
        "aws kms describe-key".into(),
        region_flag(alias),
        format!("--key-id {}", quote(&alias.arn())),
        "--query KeyMetadata.Arn --output text".into(),
    ])
}

fn create_policy_commands(key: &KmsArn, policy_name: &str) -> String {
    continued(&[
        "aws iam create-policy".into(),
        format!("--policy-name {}", quote(policy_name)),
        format!("--policy-document {}", quote(&compact(&iam_policy(key)))),
    ])
}

fn create_role_commands(role: &RoleArn, external_id: &str, policy_name: &str) -> String {
    let mut create = vec![
        "aws iam create-role".into(),
        format!("--role-name {}", quote(&role.name)),
    ];
    if role.path != "/" {
        create.push(format!("--path {}", quote(&role.path)));
    }
    create.push(format!(
        "--assume-role-policy-document {}",
        quote(&compact(&trust_policy(external_id)))
    ));
    let policy_arn = format!("arn:aws:iam::{}:policy/{}", role.account, policy_name);
    let attach = continued(&[
        "aws iam attach-role-policy".into(),
        format!("--role-name {}", quote(&role.name)),
        format!("--policy-arn {}", quote(&policy_arn)),
    ]);
    format!("{}\n\n{}", continued(&create), attach)
}

fn key_id_flag(key: &KmsArn) -> String {
    format!("--key-id {}", quote(&key.arn()))
}

/// Turns on yearly automatic rotation (a change).
fn key_rotation_command(key: &KmsArn) -> String {
    continued(&[
        "aws kms enable-key-rotation".into(),
        region_flag(key),
        key_id_flag(key),
    ])
}

/// Saves the key policy to `key-policy.json` (a read).
fn read_key_policy_command(key: &KmsArn) -> String {
    continued(&[
        "aws kms get-key-policy".into(),
        region_flag(key),
        key_id_flag(key),
        "--policy-name default --query Policy --output text > key-policy.json".into(),
    ])
}

/// Replaces the key policy with the edited file (a change that can lock the key).
fn put_key_policy_command(key: &KmsArn) -> String {
    continued(&[
        "aws kms put-key-policy".into(),
        region_flag(key),
        key_id_flag(key),
        "--policy-name default --policy file://key-policy.json".into(),
    ])
}

/// The fields every registration needs, validated together so every problem is reported.
struct Registration {
    name: String,
    role: RoleArn,
    key: KmsArn,
    external_id: String,
}

fn registration(inputs: &Inputs, path: SetupPath) -> Result<Registration, Missing> {
    let (name, role, key) = match three(
        inputs.validated(FieldId::NAME),
        role(inputs),
        recorded_key(inputs),
    ) {
        Ok(values) => values,
        Err(mut errors) => {
            errors.extend(policy_key(inputs).err());
            errors.extend(external_id(inputs, path).err());
            return Err(dedup(errors));
        }
    };
    let (_, external_id) = both(policy_key(inputs), external_id(inputs, path))?;
    Ok(Registration {
        name,
        role,
        key,
        external_id,
    })
}

/// The hand-over documents: what a ChatGPT Enterprise customer sends, and the registration body.
pub fn handover(inputs: &Inputs, path: SetupPath) -> Result<Handover, Missing> {
    let r = registration(inputs, path)?;
    Ok(Handover {
        details: enterprise_details(&r.role, &r.key),
        body: registration_body(&r.name, &r.role, &r.key, &r.external_id),
    })
}

/// Generates one AWS block.
pub fn generate(
    artifact: ArtifactId,
    inputs: &Inputs,
    path: SetupPath,
) -> Result<ArtifactBody, Missing> {
    use ArtifactBody::{Json, Text};
    let one = |err: FieldError| vec![err];
    Ok(match artifact {
        CREATE_KEY_COMMANDS => Text(create_key_commands()),
        ALIAS_TARGET_COMMAND => Text(alias_target_command(&recorded_key(inputs).map_err(one)?)),
        IAM_POLICY => Json(iam_policy(&policy_key(inputs).map_err(one)?)),
        CREATE_POLICY_COMMANDS => {
            let (key, name) = both(policy_key(inputs), inputs.validated(POLICY_NAME))?;
            Text(create_policy_commands(&key, &name))
        }
        TRUST_POLICY => Json(trust_policy(&external_id(inputs, path).map_err(one)?)),
        CREATE_ROLE_COMMANDS => {
            let (role, external_id, policy_name) = three(
                role(inputs),
                external_id(inputs, path),
                inputs.validated(POLICY_NAME),
            )?;
            Text(create_role_commands(&role, &external_id, &policy_name))
        }
        KEY_POLICY_STATEMENT => Json(key_policy_statement(&role(inputs).map_err(one)?)),
        KEY_ROTATION_COMMAND => Text(key_rotation_command(&policy_key(inputs).map_err(one)?)),
        READ_KEY_POLICY_COMMAND => Text(read_key_policy_command(&policy_key(inputs).map_err(one)?)),
        PUT_KEY_POLICY_COMMAND => Text(put_key_policy_command(&policy_key(inputs).map_err(one)?)),
        other => not_in_this_guide(crate::clouds::aws::cloud(), other),
    })
}

/// Whether a block matters given what was recorded: the alias look-up only for an alias.
pub fn artifact_is_relevant(artifact: ArtifactId, inputs: &Inputs) -> bool {
    match artifact {
        ALIAS_TARGET_COMMAND => recorded_key(inputs).is_ok_and(|k| k.is_alias()),
        _ => true,
    }
}

/// Remarks a step shows about what was recorded: things that are valid but deserve attention.
pub fn step_notes(step_id: crate::guide::StepId, inputs: &Inputs) -> Vec<String> {
    let mut notes = Vec::new();
    let key = recorded_key(inputs).ok();
    if (step_id == STEP_CREATE_KEY || step_id == STEP_IAM_POLICY)
        && let Some(key) = key.as_ref().filter(|k| k.is_alias())
    {
        notes.push(format!(
            "{} is an alias. IAM policies are checked against the key itself, so they must name \
                 the key ARN the alias points to; registration may use the alias.",
            key.resource_part()
        ));
    }
    if step_id == STEP_ROLE
        && let (Some(key), Ok(role)) = (key.as_ref(), role(inputs))
        && key.account != role.account
    {
        notes.push(format!(
            "The role is in account {} but the key is in account {}: the key policy must \
                     then grant the role (step 4), since an IAM policy alone cannot reach another \
                     account's key.",
            role.account, key.account
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every block as the wizard generates it, hand-over blocks included.
    fn generate(
        artifact: ArtifactId,
        inputs: &Inputs,
        path: SetupPath,
    ) -> Result<ArtifactBody, Missing> {
        crate::artifacts::generate(crate::clouds::aws::cloud(), artifact, inputs, path)
    }

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

    fn inputs() -> Inputs {
        let mut inputs = Inputs::new(crate::clouds::aws::cloud());
        inputs.set(FieldId::ORG_ID, "org-abc123");
        inputs.set(KMS_ARN, KEY);
        inputs.set(ROLE_ARN, ROLE);
        inputs
    }

    fn json_of(artifact: ArtifactId, inputs: &Inputs, path: SetupPath) -> Value {
        match generate(artifact, inputs, path).unwrap() {
            ArtifactBody::Json(v) => v,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn iam_policy_matches_the_guide() {
        let expected: Value = serde_json::from_str(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"OpenAIEKMEncryptDecrypt","Effect":"Allow",
                "Action":["kms:Encrypt","kms:Decrypt"],"Resource":"{KEY}"}}]}}"#
        ))
        .unwrap();
        assert_eq!(json_of(IAM_POLICY, &inputs(), SetupPath::Api), expected);
    }

    #[test]
    fn trust_policy_matches_the_guide_with_valid_json() {
        let expected: Value = serde_json::from_str(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
                "Principal":{"AWS":"arn:aws:iam::790389265272:role/EnterpriseKeyManagement"},
                "Action":"sts:AssumeRole",
                "Condition":{"StringEquals":{"sts:ExternalId":["org-abc123"]}}}]}"#,
        )
        .unwrap();
        assert_eq!(json_of(TRUST_POLICY, &inputs(), SetupPath::Api), expected);
        let mut with_project = inputs();
        with_project.set(EXTERNAL_ID, "proj_X1");
        let policy = json_of(TRUST_POLICY, &with_project, SetupPath::Api);
        assert_eq!(
            policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"][0],
            "proj_X1"
        );
        // The ChatGPT Enterprise path always presents the organization id.
        let policy = json_of(TRUST_POLICY, &with_project, SetupPath::ChatGpt);
        assert_eq!(
            policy["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"][0],
            "org-abc123"
        );
    }

    #[test]
    fn registration_body_and_enterprise_details() {
        let body = json_of(ArtifactId::REGISTRATION_BODY, &inputs(), SetupPath::Api);
        assert_eq!(
            body,
            json!({"type":"aws","name":"AWS EKM key","role_arn":ROLE,"kms_arn":KEY,"external_id":"org-abc123"})
        );
        let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["type", "name", "role_arn", "kms_arn", "external_id"]);
        let details = json_of(
            ArtifactId::ENTERPRISE_DETAILS,
            &inputs(),
            SetupPath::ChatGpt,
        );
        assert_eq!(details, json!({"role_arn": ROLE, "kms_arn": KEY}));
    }

    #[test]
    fn an_alias_needs_the_key_behind_it_for_policies_but_not_for_registration() {
        let mut inputs = inputs();
        inputs.set(
            KMS_ARN,
            "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm",
        );
        let missing = generate(IAM_POLICY, &inputs, SetupPath::Api).unwrap_err();
        assert_eq!(missing[0].field, KEY_ARN);
        inputs.set(KEY_ARN, KEY);
        assert_eq!(
            json_of(IAM_POLICY, &inputs, SetupPath::Api)["Statement"][0]["Resource"],
            KEY
        );
        let body = json_of(ArtifactId::REGISTRATION_BODY, &inputs, SetupPath::Api);
        assert_eq!(
            body["kms_arn"],
            "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm"
        );
        assert!(!step_notes(STEP_CREATE_KEY, &inputs).is_empty());
        inputs.set(
            KEY_ARN,
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        );
        let missing = generate(IAM_POLICY, &inputs, SetupPath::Api).unwrap_err();
        assert!(missing[0].problem.contains("eu-west-1"), "{}", missing[0]);
    }

    #[test]
    fn missing_inputs_are_named() {
        let mut inputs = Inputs::new(crate::clouds::aws::cloud());
        inputs.set(FieldId::ORG_ID, "org-abc");
        let missing = generate(ArtifactId::REGISTRATION_BODY, &inputs, SetupPath::Api).unwrap_err();
        let fields: Vec<FieldId> = missing.iter().map(|e| e.field).collect();
        assert_eq!(fields, [ROLE_ARN, KMS_ARN]);
    }

    #[test]
    fn commands_embed_the_same_documents() {
        let text = match generate(CREATE_ROLE_COMMANDS, &inputs(), SetupPath::Api).unwrap() {
            ArtifactBody::Text(t) => t,
            other => panic!("{other:?}"),
        };
        assert!(text.contains("--role-name openai-ekm"));
        assert!(
            text.contains("--policy-arn arn:aws:iam::111122223333:policy/openai-ekm-kms-access")
        );
        let quoted = text
            .split("--assume-role-policy-document '")
            .nth(1)
            .unwrap();
        let document: Value = serde_json::from_str(quoted.split('\'').next().unwrap()).unwrap();
        assert_eq!(document, trust_policy("org-abc123"));
        let register =
            generate(ArtifactId::REGISTRATION_COMMANDS, &inputs(), SetupPath::Api).unwrap();
        let register = register.to_text();
        assert!(register.contains("\"$OPENAI_ADMIN_KEY\""), "{register}");
        assert!(
            register.contains("-H @-") && !register.contains("Bearer $OPENAI_ADMIN_KEY\""),
            "the key reaches curl through standard input, not its command line: {register}"
        );
    }

    #[test]
    fn cross_account_role_gets_a_note() {
        let mut inputs = inputs();
        inputs.set(ROLE_ARN, "arn:aws:iam::444455556666:role/openai-ekm");
        assert!(step_notes(STEP_ROLE, &inputs)[0].contains("444455556666"));
    }
}
