//! The ids of the Azure kit: its fields, steps and blocks, by the names its
//! `guide.toml` uses.

use crate::guide::{ArtifactId, FieldId, StepId};

// Fields.
pub const TENANT_ID: FieldId = FieldId::new("tenant_id");
pub const SUBSCRIPTION_ID: FieldId = FieldId::new("subscription_id");
pub const ROLE_NAME: FieldId = FieldId::new("role_name");
pub const RESOURCE_GROUP: FieldId = FieldId::new("resource_group");
pub const VAULT_URI: FieldId = FieldId::new("vault_uri");
pub const KEY_NAME: FieldId = FieldId::new("key_name");

// Steps, in the guide's order.
pub const STEP_SERVICE_PRINCIPAL: StepId = StepId::new("service-principal");
pub const STEP_CUSTOM_ROLE: StepId = StepId::new("custom-role");
pub const STEP_CREATE_KEY: StepId = StepId::new("create-key");
pub const STEP_ROLE_ASSIGNMENT: StepId = StepId::new("role-assignment");
pub const STEP_RESTRICTIONS: StepId = StepId::new("restrictions");
pub const STEP_AFTER: StepId = StepId::new("after");

pub const STEPS: [StepId; 6] = [
    STEP_SERVICE_PRINCIPAL,
    STEP_CUSTOM_ROLE,
    STEP_CREATE_KEY,
    STEP_ROLE_ASSIGNMENT,
    STEP_RESTRICTIONS,
    STEP_AFTER,
];

// Blocks of this cloud (the hand-over blocks are shared).
pub const SERVICE_PRINCIPAL_REQUEST: ArtifactId = ArtifactId::new("service_principal_request");
pub const SERVICE_PRINCIPAL_COMMANDS: ArtifactId = ArtifactId::new("service_principal_commands");
pub const SERVICE_PRINCIPAL_AZ_COMMAND: ArtifactId =
    ArtifactId::new("service_principal_az_command");
pub const AZURE_CUSTOM_ROLE: ArtifactId = ArtifactId::new("azure_custom_role");
pub const ROLE_DEFINITION_COMMANDS: ArtifactId = ArtifactId::new("role_definition_commands");
pub const CREATE_VAULT_COMMAND: ArtifactId = ArtifactId::new("create_vault_command");
pub const CREATE_VAULT_KEY_COMMANDS: ArtifactId = ArtifactId::new("create_vault_key_commands");
pub const ROLE_ASSIGNMENT_SCOPE: ArtifactId = ArtifactId::new("role_assignment_scope");
pub const ROLE_ASSIGNMENT_COMMANDS: ArtifactId = ArtifactId::new("role_assignment_commands");
pub const VAULT_SETTINGS_QUERY: ArtifactId = ArtifactId::new("vault_settings_query");
pub const VAULT_RBAC_COMMAND: ArtifactId = ArtifactId::new("vault_rbac_command");
pub const PURGE_PROTECTION_COMMAND: ArtifactId = ArtifactId::new("purge_protection_command");
pub const KEY_ROTATION_POLICY_COMMAND: ArtifactId = ArtifactId::new("key_rotation_policy_command");

pub const ARTIFACTS: [ArtifactId; 13] = [
    SERVICE_PRINCIPAL_REQUEST,
    SERVICE_PRINCIPAL_COMMANDS,
    SERVICE_PRINCIPAL_AZ_COMMAND,
    AZURE_CUSTOM_ROLE,
    ROLE_DEFINITION_COMMANDS,
    CREATE_VAULT_COMMAND,
    CREATE_VAULT_KEY_COMMANDS,
    ROLE_ASSIGNMENT_SCOPE,
    ROLE_ASSIGNMENT_COMMANDS,
    VAULT_SETTINGS_QUERY,
    VAULT_RBAC_COMMAND,
    PURGE_PROTECTION_COMMAND,
    KEY_ROTATION_POLICY_COMMAND,
];
