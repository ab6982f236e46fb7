//! The ids of the Google Cloud kit: its fields, steps and blocks, by the names its
//! `guide.toml` uses.

use crate::guide::{ArtifactId, FieldId, StepId};

// Fields.
pub const WORKLOAD_IDENTITY_PROJECT_NUMBER: FieldId =
    FieldId::new("workload_identity_project_number");
pub const WORKLOAD_IDENTITY_POOL_ID: FieldId = FieldId::new("workload_identity_pool_id");
pub const WORKLOAD_IDENTITY_PROVIDER_ID: FieldId = FieldId::new("workload_identity_provider_id");
pub const AUDIENCE: FieldId = FieldId::new("audience");
pub const KMS_PROJECT_ID: FieldId = FieldId::new("kms_project_id");
pub const KMS_KEY_LOCATION: FieldId = FieldId::new("kms_key_location");
pub const KMS_KEY_RING_NAME: FieldId = FieldId::new("kms_key_ring_name");
pub const KMS_KEY_NAME: FieldId = FieldId::new("kms_key_name");
pub const ROLE_ID: FieldId = FieldId::new("role_id");

// Steps, in the guide's order.
pub const STEP_FEDERATED_IDENTITY: StepId = StepId::new("federated-identity");
pub const STEP_ENABLE_KMS: StepId = StepId::new("enable-kms");
pub const STEP_CREATE_KEY: StepId = StepId::new("create-key");
pub const STEP_CUSTOM_ROLE: StepId = StepId::new("custom-role");
pub const STEP_GRANT: StepId = StepId::new("grant");
pub const STEP_RESTRICTIONS: StepId = StepId::new("restrictions");
pub const STEP_AFTER: StepId = StepId::new("after");

pub const STEPS: [StepId; 7] = [
    STEP_FEDERATED_IDENTITY,
    STEP_ENABLE_KMS,
    STEP_CREATE_KEY,
    STEP_CUSTOM_ROLE,
    STEP_GRANT,
    STEP_RESTRICTIONS,
    STEP_AFTER,
];

// Blocks of this cloud (the hand-over blocks are shared).
pub const TOKEN_CLAIMS: ArtifactId = ArtifactId::new("token_claims");
pub const PROVIDER_SETTINGS: ArtifactId = ArtifactId::new("provider_settings");
pub const WORKLOAD_IDENTITY_COMMANDS: ArtifactId = ArtifactId::new("workload_identity_commands");
pub const STS_AUDIENCE: ArtifactId = ArtifactId::new("sts_audience");
pub const ENABLE_KMS_COMMANDS: ArtifactId = ArtifactId::new("enable_kms_commands");
pub const CREATE_KEY_RING_COMMANDS: ArtifactId = ArtifactId::new("create_key_ring_commands");
pub const GCP_CUSTOM_ROLE: ArtifactId = ArtifactId::new("gcp_custom_role");
pub const CREATE_CUSTOM_ROLE_COMMANDS: ArtifactId = ArtifactId::new("create_custom_role_commands");
pub const PRINCIPAL: ArtifactId = ArtifactId::new("principal");
pub const GRANT_COMMANDS: ArtifactId = ArtifactId::new("grant_commands");
pub const ROTATION_COMMANDS: ArtifactId = ArtifactId::new("rotation_commands");

pub const ARTIFACTS: [ArtifactId; 11] = [
    TOKEN_CLAIMS,
    PROVIDER_SETTINGS,
    WORKLOAD_IDENTITY_COMMANDS,
    STS_AUDIENCE,
    ENABLE_KMS_COMMANDS,
    CREATE_KEY_RING_COMMANDS,
    GCP_CUSTOM_ROLE,
    CREATE_CUSTOM_ROLE_COMMANDS,
    PRINCIPAL,
    GRANT_COMMANDS,
    ROTATION_COMMANDS,
];
