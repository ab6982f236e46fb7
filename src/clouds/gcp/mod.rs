//! Google Cloud KMS, whole: OpenAI's Google identity, the guide (`guide.toml`), the fields
//! and their rules, the generated settings and gcloud commands, and the live checks (with the
//! reader of the provider's attribute condition).

pub mod apply;
pub mod artifacts;
pub mod as_code;
pub mod checks;
pub mod condition;
pub mod fields;
pub mod ids;
pub mod plan;
pub mod rest_shape;
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

/// The Google service account id that OpenAI's identity tokens carry as `sub` and `azp`.
pub const OPENAI_SUBJECT_ID: &str = "105900137572174660365";

/// The issuer of OpenAI's Google identity tokens.
pub const OPENAI_TOKEN_ISSUER: &str = "https://accounts.google.com";

/// The Google Cloud KMS kit.
pub struct Gcp;

/// The one Google Cloud KMS kit.
pub static KIT: Gcp = Gcp;

/// Google Cloud KMS, as generic code holds it.
pub fn cloud() -> Cloud {
    Cloud::of(&KIT)
}

impl CloudKit for Gcp {
    fn key(&self) -> &'static str {
        "gcp"
    }

    fn display_name(&self) -> &'static str {
        "Google Cloud KMS"
    }

    fn guide(&self) -> &'static Guide {
        static GUIDE: OnceLock<Guide> = OnceLock::new();
        GUIDE.get_or_init(|| {
            crate::guide::parse_guide(
                include_str!("guide.toml"),
                &GuideNames {
                    cloud: "gcp",
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
        Some(AUDIENCE)
    }

    fn default_key_name(&self) -> &'static str {
        "GCP EKM key"
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

    fn render_layout(&self) -> (&'static [RenderEntry], &'static [RenderEntry]) {
        (
            &[
                ("provider", PROVIDER_SETTINGS),
                ("custom_role", GCP_CUSTOM_ROLE),
                ("principal", PRINCIPAL),
                ("sts_audience", STS_AUDIENCE),
            ],
            &[
                ("workload_identity", WORKLOAD_IDENTITY_COMMANDS),
                ("enable_kms", ENABLE_KMS_COMMANDS),
                ("create_key", CREATE_KEY_RING_COMMANDS),
                ("create_role", CREATE_CUSTOM_ROLE_COMMANDS),
                ("grant", GRANT_COMMANDS),
                ("rotation", ROTATION_COMMANDS),
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
            apply::GcpApplier::from_inputs(inputs)
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
            target::GcpTarget::from_inputs(inputs, path)?
        } else {
            target::GcpTarget::from_recorded(inputs, path)?
        };
        Ok(Arc::new(target))
    }

    fn check_endpoints(&self) -> Result<(), crate::guide::plan::CannotCheck> {
        crate::checks::rest::Redirect::from_env(session::API_URL_VAR).map(|_| ())
    }

    fn naming_fields(&self) -> &'static [crate::guide::FieldId] {
        &[ids::ROLE_ID]
    }

    fn provider_words(&self) -> &'static [&'static str] {
        &["google", "gcloud"]
    }

    fn secret_env_vars(&self) -> &'static [&'static str] {
        &["GOOGLE_OAUTH_ACCESS_TOKEN", "EKM_GCP_ACCESS_TOKEN"]
    }

    fn secret_patterns(&self) -> &'static [crate::secrets::SecretPattern] {
        // OAuth access tokens.
        &[crate::secrets::SecretPattern {
            regex: r"ya29\.[A-Za-z0-9._-]{10,}",
            marks: &["ya29."],
            example: "ya29.a0AfH6SMBxyz1234",
        }]
    }

    /// What the cloud documents about how long a change takes to reach everyone.
    fn propagation(&self) -> Option<crate::guide::Propagation> {
        Some(crate::guide::Propagation {
            checks: &[plan::CHECK_PROVIDER, plan::CHECK_GRANT],
            up_to: std::time::Duration::from_secs(420),
            what: "Google IAM changes",
        })
    }

    fn code_formats(&self) -> &'static [crate::guide::CodeFormat] {
        &[crate::guide::TERRAFORM]
    }

    fn as_code(&self, format: &str, inputs: &Inputs) -> Option<Vec<(String, String)>> {
        (format == "terraform").then(|| as_code::terraform(inputs))
    }

    fn registered_resource(&self, key: &serde_json::Value) -> Option<String> {
        let part = |name: &str| key[name].as_str().unwrap_or("?");
        key["kms_key_name"].as_str()?;
        Some(format!(
            "key projects/{}/locations/{}/keyRings/{}/cryptoKeys/{}",
            part("kms_project_id"),
            part("kms_key_location"),
            part("kms_key_ring_name"),
            part("kms_key_name")
        ))
    }

    fn troubleshooting(&self) -> &'static str {
        include_str!("troubleshooting.toml")
    }
}
