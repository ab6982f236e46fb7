//! The AWS setup as code: a CloudFormation template (YAML) whose policies are the wizard's own
//! generated documents, with the key's ARN and the ExternalId as template references. Its
//! output `EkmWizardConfig` is the JSON `ekm-wizard check aws --config` reads as it is.

use serde_json::{Map, Value, json};

use super::artifacts::{iam_policy_on, trust_policy_for};
use super::fields::kms_arn;
use super::ids::*;
use crate::guide::{FieldId, Inputs};

/// The template as a JSON value (the YAML is its rendering).
pub fn cloudformation(inputs: &Inputs) -> Value {
    let recorded = |field: FieldId| inputs.validated(field).ok();
    let mut parameters = Map::new();
    let mut parameter = |name: &str, description: &str, pattern: &str, default: Option<String>| {
        let mut spec = json!({
            "Type": "String",
            "Description": description,
            "AllowedPattern": pattern,
        });
        if let Some(default) = default {
            spec["Default"] = json!(default);
        }
        parameters.insert(name.to_string(), spec);
    };
    parameter(
        "OrgId",
        "Your OpenAI organization id (org-...).",
        "^org-[A-Za-z0-9-]+$",
        recorded(FieldId::ORG_ID),
    );
    parameter(
        "ExternalId",
        "The id OpenAI presents as sts:ExternalId: the organization id, or an API project id (proj_...).",
        "^(org-[A-Za-z0-9-]+|proj_[A-Za-z0-9]+)$",
        recorded(EXTERNAL_ID),
    );
    // An existing key: the key itself (policies name the key, not an alias).
    let existing = inputs
        .validated(KMS_ARN)
        .ok()
        .and_then(|arn| kms_arn(&arn).ok())
        .filter(|arn| !arn.is_alias())
        .map(|arn| arn.arn());
    parameter(
        "ExistingKeyArn",
        "The ARN of an existing symmetric KMS key to use; empty to create one.",
        "^$|^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$",
        Some(existing.unwrap_or_default()),
    );
    let role_name = inputs
        .validated(ROLE_ARN)
        .ok()
        .and_then(|arn| arn.rsplit('/').next().map(str::to_string))
        .unwrap_or_else(|| "openai-ekm".to_string());
    parameter(
        "RoleName",
        "The name of the role OpenAI assumes.",
        "^[A-Za-z0-9+=,.@_-]{1,64}$",
        Some(role_name),
    );
    parameter(
        "PolicyName",
        "The name of the IAM policy that allows kms:Encrypt and kms:Decrypt on the key.",
        "^[A-Za-z0-9+=,.@_-]{1,128}$",
        recorded(POLICY_NAME),
    );

    let key_arn = json!({"Fn::If": [
        "CreateKey",
        {"Fn::GetAtt": ["EkmKey", "Arn"]},
        {"Ref": "ExistingKeyArn"},
    ]});
    let role_arn = json!({"Fn::GetAtt": ["EkmRole", "Arn"]});
    let config = json!({
        "type": "aws",
        "org_id": "${OrgId}",
        "external_id": "${ExternalId}",
        "kms_arn": "${KeyArn}",
        "role_arn": "${RoleArn}",
        "policy_name": "${PolicyName}",
    });
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "OpenAI Enterprise Key Management: a symmetric KMS key (or an existing one), an IAM policy limited to it, and the role OpenAI assumes with your ExternalId. Made by ekm-wizard.",
        "Parameters": parameters,
        "Conditions": {
            "CreateKey": {"Fn::Equals": [{"Ref": "ExistingKeyArn"}, ""]},
        },
        "Resources": {
            "EkmKey": {
                "Type": "AWS::KMS::Key",
                "Condition": "CreateKey",
                // The customer's master key outlives the stack: deleting the stack never
                // deletes the key that protects the data.
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "Description": "OpenAI EKM master key",
                    "KeySpec": "SYMMETRIC_DEFAULT",
                    "KeyUsage": "ENCRYPT_DECRYPT",
                    "EnableKeyRotation": true,
                    // The account's own default key policy: IAM policies decide (step 4's check
                    // passes on it). Written as one JSON string, which CloudFormation and its
                    // emulators read alike.
                    "KeyPolicy": {"Fn::Sub": iam_decides(json!(
                        "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
                    )).to_string()},
                },
            },
            "EkmKeyAccessPolicy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "ManagedPolicyName": {"Ref": "PolicyName"},
                    "PolicyDocument": iam_policy_on(key_arn.clone()),
                    // Attached from the policy's side, as step 3's command attaches it.
                    "Roles": [{"Ref": "EkmRole"}],
                },
            },
            "EkmRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Ref": "RoleName"},
                    "AssumeRolePolicyDocument": trust_policy_for(json!({"Ref": "ExternalId"})),
                },
            },
        },
        "Outputs": {
            "RoleArn": {"Description": "The role OpenAI assumes.", "Value": role_arn},
            "KmsKeyArn": {"Description": "The key OpenAI uses.", "Value": key_arn},
            "EkmWizardConfig": {
                "Description": "Save as ekm.json for: ekm-wizard check aws --config ekm.json",
                "Value": {"Fn::Sub": [
                    config.to_string(),
                    {"KeyArn": key_arn, "RoleArn": role_arn},
                ]},
            },
        },
    })
}

/// The template, as YAML.
/// The account's default key policy: the account's own IAM policies decide who uses the key
/// (`account_root` names the account).
fn iam_decides(account_root: Value) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "EnableIamPolicies",
            "Effect": "Allow",
            "Principal": {"AWS": account_root},
            "Action": "kms:*",
            "Resource": "*",
        }],
    })
}

pub fn cloudformation_yaml(inputs: &Inputs) -> String {
    format!(
        "# OpenAI Enterprise Key Management on AWS, made by ekm-wizard from the same values as its\n# printed policies. Deploy: aws cloudformation deploy --template-file ekm.yaml \\\n#   --stack-name openai-ekm --capabilities CAPABILITY_NAMED_IAM --parameter-overrides OrgId=org-...\n{}",
        crate::artifacts::yaml::to_yaml(&cloudformation(inputs))
    )
}

/// The Terraform module: `versions.tf`, `variables.tf` (what was recorded as defaults, the
/// guide's rules as validations), `main.tf` (the key unless an existing one is given, the IAM
/// policy and the trust policy as the wizard's own documents through `jsonencode`, the
/// attachment) and `outputs.tf` (with `ekm_wizard_config`, the JSON `check aws --config`
/// reads).
pub fn terraform(inputs: &Inputs) -> Vec<(String, String)> {
    module_files(inputs, false)
}

/// The version of OpenAI's provider the module asks for: `openai_external_key` is not in its
/// 1.1.0 release, so the first release after it is the floor, below the next major.
pub const OPENAI_PROVIDER_VERSION: &str = ">= 1.2.0, < 2.0.0";

/// The Terraform module with OpenAI's side too (`render aws --format terraform
/// --with-openai`): OpenAI's provider registers the module's key and role
/// (`openai_external_key`, made before the one it replaces) and creates the project that uses
/// it (`openai_project.external_key_id`). The provider reads the admin key from
/// OPENAI_ADMIN_KEY; the module never holds it.
pub fn terraform_with_openai(inputs: &Inputs) -> Vec<(String, String)> {
    module_files(inputs, true)
}

fn module_files(inputs: &Inputs, with_openai: bool) -> Vec<(String, String)> {
    use crate::artifacts::hcl::{
        Block, Item, config_output, expr, file, jsonencode, key_name_variable, module,
        org_id_variable, template, variable, versions,
    };
    let recorded = |field: FieldId| inputs.validated(field).ok();
    let existing = inputs
        .validated(KMS_ARN)
        .ok()
        .and_then(|arn| kms_arn(&arn).ok())
        .filter(|arn| !arn.is_alias())
        .map(|arn| arn.arn());
    let role_name = inputs
        .validated(ROLE_ARN)
        .ok()
        .and_then(|arn| arn.rsplit('/').next().map(str::to_string))
        .unwrap_or_else(|| "openai-ekm".to_string());
    let mut providers = vec![("aws", "hashicorp/aws", ">= 5.0")];
    if with_openai {
        providers.push(("openai", "openai/openai", OPENAI_PROVIDER_VERSION));
    }
    let versions = versions(&providers);
    let mut variables = vec![
        org_id_variable(recorded(FieldId::ORG_ID).map(Value::String)),
        key_name_variable(recorded(FieldId::NAME).map(Value::String)),
        variable(
            "external_id",
            "string",
            "The id OpenAI presents as sts:ExternalId: the organization id, or an API project id (proj_...).",
            recorded(EXTERNAL_ID).map(Value::String),
            Some((
                "can(regex(\"^(org-[A-Za-z0-9-]+|proj_[A-Za-z0-9]+)$\", var.external_id))",
                "The ExternalId is the organization id (org-...) or an API project id (proj_...).",
            )),
        ),
        variable(
            "existing_key_arn",
            "string",
            "The ARN of an existing symmetric KMS key to use; empty to create one.",
            Some(json!(existing.unwrap_or_default())),
            Some((
                "var.existing_key_arn == \"\" || can(regex(\"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$\", var.existing_key_arn))",
                "An existing key is given by its key ARN (not an alias).",
            )),
        ),
        variable(
            "role_name",
            "string",
            "The name of the role OpenAI assumes.",
            Some(json!(role_name)),
            Some((
                "can(regex(\"^[A-Za-z0-9+=,.@_-]{1,64}$\", var.role_name))",
                "A role name is 1 to 64 letters, digits or +=,.@_-.",
            )),
        ),
        variable(
            "policy_name",
            "string",
            "The name of the IAM policy that allows kms:Encrypt and kms:Decrypt on the key.",
            recorded(POLICY_NAME).map(Value::String),
            Some((
                "can(regex(\"^[A-Za-z0-9+=,.@_-]{1,128}$\", var.policy_name))",
                "A policy name is 1 to 128 letters, digits or +=,.@_-.",
            )),
        ),
        variable(
            "enable_rotation",
            "bool",
            "Rotate a created key automatically every year.",
            Some(json!(true)),
            None,
        ),
    ];
    if with_openai {
        variables.push(variable(
            "openai_key_name",
            "string",
            "The key's name at OpenAI.",
            Some(json!(
                recorded(FieldId::NAME).unwrap_or_else(|| "AWS EKM key".to_string())
            )),
            Some((
                "length(var.openai_key_name) > 0",
                "The key needs a name at OpenAI.",
            )),
        ));
        variables.push(variable(
            "openai_project_name",
            "string",
            "The name of the OpenAI project that uses the key.",
            recorded(FieldId::PROJECT_NAME).map(Value::String),
            Some((
                "length(var.openai_project_name) > 0",
                "The project needs a name.",
            )),
        ));
    }
    let variables = file(&variables);
    let mut main = vec![
        Item::Block(Block::new("data", &["aws_partition", "current"])),
        Item::Block(Block::new("data", &["aws_caller_identity", "current"])),
        Item::Block(
            Block::new("resource", &["aws_kms_key", "ekm"])
                .attribute("count", expr("var.existing_key_arn == \"\" ? 1 : 0"))
                .attribute("description", json!("OpenAI EKM master key"))
                .attribute("key_usage", json!("ENCRYPT_DECRYPT"))
                .attribute("customer_master_key_spec", json!("SYMMETRIC_DEFAULT"))
                .attribute("enable_key_rotation", expr("var.enable_rotation"))
                // Written out, so a review sees who may use the key: the account's IAM
                // policies, as the template's key policy says too.
                .attribute(
                    "policy",
                    jsonencode(&iam_decides(template(
                        "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root",
                    ))),
                )
                .blank()
                // The master key outlives the module: destroying it would make the data it
                // protects unreadable.
                .block(Block::new("lifecycle", &[]).attribute("prevent_destroy", json!(true))),
        ),
        Item::Block(Block::new("locals", &[]).attribute(
            "key_arn",
            expr("var.existing_key_arn != \"\" ? var.existing_key_arn : aws_kms_key.ekm[0].arn"),
        )),
        Item::Block(
            Block::new("resource", &["aws_iam_policy", "ekm"])
                .attribute("name", expr("var.policy_name"))
                .attribute("policy", jsonencode(&iam_policy_on(expr("local.key_arn")))),
        ),
        Item::Block(
            Block::new("resource", &["aws_iam_role", "ekm"])
                .attribute("name", expr("var.role_name"))
                .attribute(
                    "assume_role_policy",
                    jsonencode(&trust_policy_for(expr("var.external_id"))),
                ),
        ),
        Item::Block(
            Block::new("resource", &["aws_iam_role_policy_attachment", "ekm"])
                .attribute("role", expr("aws_iam_role.ekm.name"))
                .attribute("policy_arn", expr("aws_iam_policy.ekm.arn")),
        ),
    ];
    if with_openai {
        main.push(Item::Block(
            Block::new("resource", &["openai_external_key", "ekm"])
                .comment(
                    "OpenAI registers the key once the role may use it. A registration is never",
                )
                .comment(
                    "changed: a new one is made before the old goes, and the old can be deleted",
                )
                .comment(
                    "only once no project uses it (archive them first: ekm-wizard keys retire).",
                )
                .attribute("name", expr("var.openai_key_name"))
                .attribute("kms_arn", expr("local.key_arn"))
                .attribute("role_arn", expr("aws_iam_role.ekm.arn"))
                .attribute("external_id", expr("var.external_id"))
                .blank()
                .block(Block::new("lifecycle", &[]).attribute("create_before_destroy", json!(true)))
                .blank()
                .attribute("depends_on", expr("[aws_iam_role_policy_attachment.ekm]")),
        ));
        main.push(Item::Block(
            Block::new("resource", &["openai_project", "ekm"])
                .attribute("name", expr("var.openai_project_name"))
                .attribute(
                    "external_key_id",
                    expr("openai_external_key.ekm.external_key_id"),
                ),
        ));
    }
    let main = file(&main);
    let config = json!({
        "type": "aws",
        "org_id": expr("var.org_id"),
        "external_id": expr("var.external_id"),
        "kms_arn": expr("local.key_arn"),
        "role_arn": expr("aws_iam_role.ekm.arn"),
        "policy_name": expr("var.policy_name"),
    });
    let mut outputs = vec![
        Item::Block(
            Block::new("output", &["role_arn"])
                .attribute("description", json!("The role OpenAI assumes."))
                .attribute("value", expr("aws_iam_role.ekm.arn")),
        ),
        Item::Block(
            Block::new("output", &["kms_key_arn"])
                .attribute("description", json!("The key OpenAI uses."))
                .attribute("value", expr("local.key_arn")),
        ),
        config_output("aws", &config),
    ];
    if with_openai {
        outputs.push(Item::Block(
            Block::new("output", &["external_key_id"])
                .attribute(
                    "description",
                    json!("The key's registration at OpenAI (extkey_...)."),
                )
                .attribute("value", expr("openai_external_key.ekm.external_key_id")),
        ));
        outputs.push(Item::Block(
            Block::new("output", &["openai_project_id"])
                .attribute(
                    "description",
                    json!("The OpenAI project that uses the key."),
                )
                .attribute("value", expr("openai_project.ekm.project_id")),
        ));
    }
    let outputs = file(&outputs);
    module(versions, variables, main, outputs)
}
