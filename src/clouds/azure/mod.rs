//! Azure Key Vault, whole: OpenAI's Entra ID application, the guide (`guide.toml`), the
//! fields and their rules, the generated role, requests and az commands, the live checks, and
//! the one action (creating OpenAI's service principal).

pub mod apply;
pub mod artifacts;
pub mod as_code;
pub mod checks;
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
use crate::guide::{ActionId, kit::ActionSpec};
use crate::guide::{
    ArtifactBody, ArtifactId, Cloud, CloudKit, FieldError, FieldSpec, Guide, GuideNames, Handover,
    Inputs, Missing, SetupPath, StepId, kit::RenderEntry,
};

/// The Entra ID application (client) id of OpenAI's EKM service.
pub const OPENAI_APP_ID: &str = "20a14814-5ab7-4612-a671-1382b412bf93";

/// The display name of OpenAI's service principal once created in a tenant.
pub const OPENAI_APP_DISPLAY_NAME: &str = "EKM - OpenAI Azure";

/// Creating OpenAI's service principal in the tenant (the guide's first step).
pub const CREATE_SERVICE_PRINCIPAL: ActionId = ActionId::new("create-service-principal");

/// The Azure Key Vault kit.
pub struct Azure;

/// The one Azure Key Vault kit.
pub static KIT: Azure = Azure;

/// Azure Key Vault, as generic code holds it.
pub fn cloud() -> Cloud {
    Cloud::of(&KIT)
}

impl CloudKit for Azure {
    fn key(&self) -> &'static str {
        "azure"
    }

    fn display_name(&self) -> &'static str {
        "Azure Key Vault"
    }

    fn guide(&self) -> &'static Guide {
        static GUIDE: OnceLock<Guide> = OnceLock::new();
        GUIDE.get_or_init(|| {
            crate::guide::parse_guide(
                include_str!("guide.toml"),
                &GuideNames {
                    cloud: "azure",
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

    fn default_key_name(&self) -> &'static str {
        "Azure EKM key"
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
                ("service_principal_request", SERVICE_PRINCIPAL_REQUEST),
                ("custom_role", AZURE_CUSTOM_ROLE),
                ("role_assignment_scope", ROLE_ASSIGNMENT_SCOPE),
            ],
            &[
                ("service_principal", SERVICE_PRINCIPAL_COMMANDS),
                ("service_principal_az", SERVICE_PRINCIPAL_AZ_COMMAND),
                ("create_role", ROLE_DEFINITION_COMMANDS),
                ("create_vault", CREATE_VAULT_COMMAND),
                ("create_key", CREATE_VAULT_KEY_COMMANDS),
                ("assign_role", ROLE_ASSIGNMENT_COMMANDS),
                ("vault_settings", VAULT_SETTINGS_QUERY),
                ("vault_rbac", VAULT_RBAC_COMMAND),
                ("purge_protection", PURGE_PROTECTION_COMMAND),
                ("key_rotation_policy", KEY_ROTATION_POLICY_COMMAND),
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
            apply::AzureApplier::from_inputs(inputs)
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
            target::AzureTarget::from_inputs(inputs, path)?
        } else {
            target::AzureTarget::from_recorded(inputs, path)?
        };
        Ok(Arc::new(target))
    }

    fn check_endpoints(&self) -> Result<(), crate::guide::plan::CannotCheck> {
        crate::checks::rest::Redirect::from_env(session::API_URL_VAR).map(|_| ())
    }

    fn naming_fields(&self) -> &'static [crate::guide::FieldId] {
        &[ids::ROLE_NAME]
    }

    fn provider_words(&self) -> &'static [&'static str] {
        &["microsoft", "entra", "az"]
    }

    fn secret_env_vars(&self) -> &'static [&'static str] {
        &["AZURE_CLIENT_SECRET", "EKM_AZURE_ACCESS_TOKEN"]
    }

    fn actions(&self) -> &'static [ActionSpec] {
        static ACTIONS: [ActionSpec; 1] = [ActionSpec {
            id: CREATE_SERVICE_PRINCIPAL,
            step: STEP_SERVICE_PRINCIPAL,
            title: "create OpenAI's service principal",
            help: "Azure: create OpenAI's service principal in your tenant (asks first)",
            offer: "s creates OpenAI's service principal for you (asks first).",
            asking: "Create OpenAI's service principal in your tenant now? y creates it, any other key cancels.",
            running: "Creating OpenAI's service principal…",
            flag: "create-service-principal",
            json_key: "service_principal",
            needs: "Creating the service principal needs the tenant first",
            declined: "Nothing was created.",
            elsewhere: "s creates OpenAI's service principal: it is an Azure step.",
            working: "Asking Microsoft Graph to create OpenAI's service principal…",
            question: |inputs| {
                format!(
                    "Create OpenAI's service principal (app {OPENAI_APP_ID}) in tenant {}? y creates it, any other key cancels.",
                    inputs.effective(TENANT_ID)
                )
            },
            offered_after: &[plan::CHECK_SERVICE_PRINCIPAL],
        }];
        &ACTIONS
    }

    /// What the cloud documents about how long a change takes to reach everyone.
    fn propagation(&self) -> Option<crate::guide::Propagation> {
        Some(crate::guide::Propagation {
            checks: &[plan::CHECK_SERVICE_PRINCIPAL, plan::CHECK_ROLE_ASSIGNMENT],
            up_to: std::time::Duration::from_secs(600),
            what: "Azure role assignments and Entra ID changes",
        })
    }

    fn code_formats(&self) -> &'static [crate::guide::CodeFormat] {
        &[crate::guide::TERRAFORM]
    }

    fn as_code(&self, format: &str, inputs: &Inputs) -> Option<Vec<(String, String)>> {
        (format == "terraform").then(|| as_code::terraform(inputs))
    }

    fn registered_resource(&self, key: &serde_json::Value) -> Option<String> {
        let name = key["key_name"].as_str()?;
        let vault = key["vault_uri"].as_str().unwrap_or("?");
        Some(format!("vault {vault}, key {name}"))
    }

    fn troubleshooting(&self) -> &'static str {
        include_str!("troubleshooting.toml")
    }
}
