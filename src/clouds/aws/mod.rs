//! AWS KMS, whole: OpenAI's AWS identities, the guide (`guide.toml`), the fields and their
//! rules, the generated policies and commands, and the live checks.

pub mod apply;
pub mod artifacts;
pub mod as_code;
pub mod checks;
pub mod fields;
pub mod ids;
pub mod plan;
pub mod policy;
pub mod session;
pub mod switch;
pub mod target;

use std::sync::{Arc, OnceLock};

pub use ids::*;

use crate::guide::plan::{CheckSpec, CheckTarget};
use crate::guide::{
    ArtifactBody, ArtifactId, Cloud, CloudKit, FieldError, FieldId, FieldSpec, Guide, GuideNames,
    Handover, Inputs, Missing, SetupPath, StepId, kit::RenderEntry,
};

/// The AWS role in OpenAI's account that calls `sts:AssumeRole` on the customer's role.
pub const OPENAI_PRINCIPAL_ARN: &str = "arn:aws:iam::790389265272:role/EnterpriseKeyManagement";

/// The session name OpenAI's AWS principal uses; it shows up in AWS error messages.
pub const OPENAI_SESSION_NAME: &str = "OpenAI-EKM-Service";

/// The two KMS operations OpenAI needs on an AWS key, in the order policies list them.
pub const KMS_ACTIONS: [&str; 2] = ["kms:Encrypt", "kms:Decrypt"];

/// The AWS kit.
pub struct Aws;

/// The one AWS kit.
pub static KIT: Aws = Aws;

/// The AWS cloud, as generic code holds it.
pub fn cloud() -> Cloud {
    Cloud::of(&KIT)
}

impl CloudKit for Aws {
    fn key(&self) -> &'static str {
        "aws"
    }

    fn display_name(&self) -> &'static str {
        "AWS KMS"
    }

    fn guide(&self) -> &'static Guide {
        static GUIDE: OnceLock<Guide> = OnceLock::new();
        GUIDE.get_or_init(|| {
            crate::guide::parse_guide(
                include_str!("guide.toml"),
                &GuideNames {
                    cloud: "aws",
                    fields: &fields::FIELDS.each_ref().map(|f| f.id),
                    artifacts: &ARTIFACTS,
                    steps: &STEPS,
                },
            )
        })
    }

    fn fields(&self) -> &'static [FieldSpec] {
        &fields::FIELDS
    }

    fn presented_id_field(&self) -> Option<FieldId> {
        Some(EXTERNAL_ID)
    }

    fn default_key_name(&self) -> &'static str {
        "AWS EKM key"
    }

    fn steps(&self) -> &'static [StepId] {
        &STEPS
    }

    fn artifacts(&self) -> &'static [ArtifactId] {
        &ARTIFACTS
    }

    fn generate(
        &self,
        artifact: ArtifactId,
        inputs: &Inputs,
        path: SetupPath,
    ) -> Result<ArtifactBody, Missing> {
        artifacts::generate(artifact, inputs, path)
    }

    fn handover(&self, inputs: &Inputs, path: SetupPath) -> Result<Handover, Missing> {
        artifacts::handover(inputs, path)
    }

    fn artifact_is_relevant(&self, artifact: ArtifactId, inputs: &Inputs) -> bool {
        artifacts::artifact_is_relevant(artifact, inputs)
    }

    fn step_notes(&self, step: StepId, inputs: &Inputs) -> Vec<String> {
        artifacts::step_notes(step, inputs)
    }

    fn field_warnings(&self, inputs: &Inputs) -> Vec<(FieldId, String)> {
        fields::warnings(inputs)
    }

    fn render_layout(&self) -> (&'static [RenderEntry], &'static [RenderEntry]) {
        (
            &[
                ("iam_policy", IAM_POLICY),
                ("trust_policy", TRUST_POLICY),
                ("key_policy_statement", KEY_POLICY_STATEMENT),
            ],
            &[
                ("create_key", CREATE_KEY_COMMANDS),
                ("find_alias_target", ALIAS_TARGET_COMMAND),
                ("create_policy", CREATE_POLICY_COMMANDS),
                ("create_role", CREATE_ROLE_COMMANDS),
                ("enable_rotation", KEY_ROTATION_COMMAND),
                ("read_key_policy", READ_KEY_POLICY_COMMAND),
                ("put_key_policy", PUT_KEY_POLICY_COMMAND),
            ],
        )
    }

    fn check_plan(&self) -> &'static [CheckSpec] {
        &plan::PLAN
    }

    fn applier(
        &self,
        inputs: &Inputs,
    ) -> Option<Result<Box<dyn crate::guide::apply::Applier>, Vec<crate::guide::FieldError>>> {
        Some(
            apply::AwsApplier::from_inputs(inputs)
                .map(|a| Box::new(a) as Box<dyn crate::guide::apply::Applier>),
        )
    }

    fn check_target(
        &self,
        inputs: &Inputs,
        path: SetupPath,
        whole: bool,
    ) -> Result<Arc<dyn CheckTarget>, Vec<FieldError>> {
        let target = if whole {
            target::AwsTarget::from_inputs(inputs, path)?
        } else {
            target::AwsTarget::from_recorded(inputs, path)?
        };
        Ok(Arc::new(target))
    }

    fn check_endpoints(&self) -> Result<(), crate::guide::plan::CannotCheck> {
        session::refuse_plain_http_endpoints()
    }

    fn naming_fields(&self) -> &'static [crate::guide::FieldId] {
        &[ids::POLICY_NAME]
    }

    fn profile_help(&self) -> Option<&'static str> {
        Some("The AWS profile to use (otherwise AWS_PROFILE or the default chain).")
    }

    fn provider_words(&self) -> &'static [&'static str] {
        &["amazon"]
    }

    fn secret_env_vars(&self) -> &'static [&'static str] {
        &["AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]
    }

    fn secret_patterns(&self) -> &'static [crate::secrets::SecretPattern] {
        // Access key ids: long-term (AKIA) and temporary (ASIA).
        &[crate::secrets::SecretPattern {
            regex: r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
            marks: &["akia", "asia"],
            example: "AKIAIOSFODNN7EXAMPLE",
        }]
    }

    /// What the cloud documents about how long a change takes to reach everyone.
    fn propagation(&self) -> Option<crate::guide::Propagation> {
        Some(crate::guide::Propagation {
            checks: &[
                plan::CHECK_ROLE,
                plan::CHECK_TRUST_POLICY,
                plan::CHECK_PERMISSIONS,
            ],
            up_to: std::time::Duration::from_secs(120),
            what: "IAM changes",
        })
    }

    fn code_formats(&self) -> &'static [crate::guide::CodeFormat] {
        &[
            crate::guide::TERRAFORM,
            crate::guide::CodeFormat {
                key: "cloudformation",
                title: "CloudFormation",
            },
        ]
    }

    fn as_code(&self, format: &str, inputs: &Inputs) -> Option<Vec<(String, String)>> {
        match format {
            "terraform" => Some(as_code::terraform(inputs)),
            "cloudformation" => Some(vec![(
                "ekm.yaml".to_string(),
                as_code::cloudformation_yaml(inputs),
            )]),
            _ => None,
        }
    }

    fn as_code_with_openai(
        &self,
        format: &str,
        inputs: &Inputs,
    ) -> Result<Vec<(String, String)>, String> {
        match format {
            "terraform" => Ok(as_code::terraform_with_openai(inputs)),
            other => Err(format!(
                "--with-openai: only the Terraform module can register the key with OpenAI (OpenAI's Terraform provider); `{other}` has no OpenAI resource: register its output with `ekm-wizard register aws --config FILE`"
            )),
        }
    }

    fn registered_resource(&self, key: &serde_json::Value) -> Option<String> {
        key["kms_arn"].as_str().map(|arn| format!("key {arn}"))
    }

    fn troubleshooting(&self) -> &'static str {
        include_str!("troubleshooting.toml")
    }
}
