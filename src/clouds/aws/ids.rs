//! The ids of the AWS kit: its fields, steps and blocks, by the names its
//! `guide.toml` uses.

use crate::guide::{ArtifactId, FieldId, StepId};

// Fields.
pub const EXTERNAL_ID: FieldId = FieldId::new("external_id");
pub const KMS_ARN: FieldId = FieldId::new("kms_arn");
pub const KEY_ARN: FieldId = FieldId::new("key_arn");
pub const POLICY_NAME: FieldId = FieldId::new("policy_name");
pub const ROLE_ARN: FieldId = FieldId::new("role_arn");

// Steps, in the guide's order.
pub const STEP_CREATE_KEY: StepId = StepId::new("create-key");
pub const STEP_IAM_POLICY: StepId = StepId::new("iam-policy");
pub const STEP_ROLE: StepId = StepId::new("role");
pub const STEP_RESTRICTIONS: StepId = StepId::new("restrictions");
pub const STEP_AFTER: StepId = StepId::new("after");

pub const STEPS: [StepId; 5] = [
    STEP_CREATE_KEY,
    STEP_IAM_POLICY,
    STEP_ROLE,
    STEP_RESTRICTIONS,
    STEP_AFTER,
];

// Blocks of this cloud (the hand-over blocks are shared).
pub const CREATE_KEY_COMMANDS: ArtifactId = ArtifactId::new("create_key_commands");
pub const ALIAS_TARGET_COMMAND: ArtifactId = ArtifactId::new("alias_target_command");
pub const IAM_POLICY: ArtifactId = ArtifactId::new("iam_policy");
pub const CREATE_POLICY_COMMANDS: ArtifactId = ArtifactId::new("create_policy_commands");
pub const TRUST_POLICY: ArtifactId = ArtifactId::new("trust_policy");
pub const CREATE_ROLE_COMMANDS: ArtifactId = ArtifactId::new("create_role_commands");
pub const KEY_POLICY_STATEMENT: ArtifactId = ArtifactId::new("key_policy_statement");
pub const KEY_ROTATION_COMMAND: ArtifactId = ArtifactId::new("key_rotation_command");
pub const READ_KEY_POLICY_COMMAND: ArtifactId = ArtifactId::new("read_key_policy_command");
pub const PUT_KEY_POLICY_COMMAND: ArtifactId = ArtifactId::new("put_key_policy_command");

pub const ARTIFACTS: [ArtifactId; 10] = [
    CREATE_KEY_COMMANDS,
    ALIAS_TARGET_COMMAND,
    IAM_POLICY,
    CREATE_POLICY_COMMANDS,
    TRUST_POLICY,
    CREATE_ROLE_COMMANDS,
    KEY_POLICY_STATEMENT,
    KEY_ROTATION_COMMAND,
    READ_KEY_POLICY_COMMAND,
    PUT_KEY_POLICY_COMMAND,
];
