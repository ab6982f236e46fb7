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
                    "KeyPolicy": {"Fn::Sub": json!({
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "EnableIamPolicies",
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        }],
                    }).to_string()},
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
pub fn cloudformation_yaml(inputs: &Inputs) -> String {
    format!(
        "# OpenAI Enterprise Key Management on AWS, made by ekm-wizard from the same values as its\n# printed policies. Deploy: aws cloudformation deploy --template-file ekm.yaml \\\n#   --stack-name openai-ekm --capabilities CAPABILITY_NAMED_IAM --parameter-overrides OrgId=org-...\n{}",
        crate::artifacts::yaml::to_yaml(&cloudformation(inputs))
    )
}
