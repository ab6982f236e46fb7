//! The values each headless command takes from the command line: where OpenAI is, the
//! options every cloud shares, and each cloud's recorded fields as flags. The runners in
//! `headless` read these; the dispatcher in `cli` parses them.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::guide::{Cloud, FieldId, SetupPath};

/// Where and how to reach OpenAI's Management API.
#[derive(Debug, Args, Clone, Default)]
pub struct ApiArgs {
    /// The API base (default: OPENAI_BASE_URL, else https://api.openai.com/v1); https only,
    /// except to this machine.
    #[arg(long, global = true, value_name = "URL")]
    pub api_base: Option<String>,
    /// Seconds to wait for each answer.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30)]
    pub timeout: u64,
}

/// What every cloud's headless commands share.
#[derive(Debug, Args, Clone, Default)]
pub struct CommonArgs {
    /// A JSON file with the registration body's fields plus org_id (and the cloud's extra
    /// fields); flags override it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Your OpenAI organization id (org-…).
    #[arg(long)]
    pub org_id: Option<String>,
    /// The key's name at OpenAI.
    #[arg(long)]
    pub name: Option<String>,
    /// Which path's blocks to print as text (JSON always has all).
    #[arg(long, value_enum, default_value_t = SetupPath::Api)]
    pub path: SetupPath,
    /// Print one JSON object instead of text for people.
    #[arg(long)]
    pub json: bool,
}

/// The recorded values of one cloud, as flags named after the registration fields.
#[derive(Debug, Subcommand, Clone)]
pub enum CloudValues {
    /// AWS KMS.
    Aws(AwsValues),
    /// Google Cloud KMS.
    Gcp(GcpValues),
    /// Azure Key Vault.
    Azure(AzureValues),
}

#[derive(Debug, Args, Clone)]
pub struct AwsValues {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The KMS key ARN: …:key/<uuid>, …:key/mrk-… or …:alias/<name>.
    #[arg(long)]
    pub kms_arn: Option<String>,
    /// For an alias kms_arn: the ARN of the key the alias points to (IAM policies name it).
    #[arg(long)]
    pub key_arn: Option<String>,
    /// The ARN of the role OpenAI assumes.
    #[arg(long)]
    pub role_arn: Option<String>,
    /// The id OpenAI presents as ExternalId (default: the org id).
    #[arg(long)]
    pub external_id: Option<String>,
    /// The IAM policy's name in the CLI commands.
    #[arg(long)]
    pub policy_name: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct GcpValues {
    #[command(flatten)]
    pub common: CommonArgs,
    /// The number (digits) of the project holding the workload identity pool.
    #[arg(long)]
    pub workload_identity_project_number: Option<String>,
    /// The workload identity pool's id.
    #[arg(long)]
    pub workload_identity_pool_id: Option<String>,
    /// The OIDC provider's id in that pool.
    #[arg(long)]
    pub workload_identity_provider_id: Option<String>,
    /// The audience OpenAI's token carries (default: the org id).
    #[arg(long)]
    pub audience: Option<String>,
    /// The id of the project holding the key.
    #[arg(long)]
    pub kms_project_id: Option<String>,
    /// The key ring's name.
    #[arg(long)]
    pub kms_key_ring_name: Option<String>,
    /// The key's name.
    #[arg(long)]
    pub kms_key_name: Option<String>,
    /// The key ring's location, such as us-east1.
    #[arg(long)]
    pub kms_key_location: Option<String>,
    /// The custom role's id in the commands.
    #[arg(long)]
    pub role_id: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct AzureValues {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Your Entra ID tenant id (a UUID).
    #[arg(long)]
    pub tenant_id: Option<String>,
    /// The vault's URI (or its name).
    #[arg(long)]
    pub vault_uri: Option<String>,
    /// The key's name: <org id>--<name>.
    #[arg(long)]
    pub key_name: Option<String>,
    /// The subscription of the role and the vault.
    #[arg(long)]
    pub subscription_id: Option<String>,
    /// The vault's resource group.
    #[arg(long)]
    pub resource_group: Option<String>,
    /// The custom role's name.
    #[arg(long)]
    pub role_name: Option<String>,
}

impl CloudValues {
    pub fn cloud(&self) -> Cloud {
        match self {
            CloudValues::Aws(_) => Cloud::Aws,
            CloudValues::Gcp(_) => Cloud::Gcp,
            CloudValues::Azure(_) => Cloud::Azure,
        }
    }

    pub fn common(&self) -> &CommonArgs {
        match self {
            CloudValues::Aws(v) => &v.common,
            CloudValues::Gcp(v) => &v.common,
            CloudValues::Azure(v) => &v.common,
        }
    }

    /// Every flag given, as the field it sets.
    pub fn flags(&self) -> Vec<(FieldId, Option<String>)> {
        let common = self.common();
        let mut flags = vec![
            (FieldId::OrgId, common.org_id.clone()),
            (FieldId::Name, common.name.clone()),
        ];
        match self {
            CloudValues::Aws(v) => flags.extend([
                (FieldId::KmsArn, v.kms_arn.clone()),
                (FieldId::KeyArn, v.key_arn.clone()),
                (FieldId::RoleArn, v.role_arn.clone()),
                (FieldId::ExternalId, v.external_id.clone()),
                (FieldId::PolicyName, v.policy_name.clone()),
            ]),
            CloudValues::Gcp(v) => flags.extend([
                (
                    FieldId::WorkloadIdentityProjectNumber,
                    v.workload_identity_project_number.clone(),
                ),
                (
                    FieldId::WorkloadIdentityPoolId,
                    v.workload_identity_pool_id.clone(),
                ),
                (
                    FieldId::WorkloadIdentityProviderId,
                    v.workload_identity_provider_id.clone(),
                ),
                (FieldId::Audience, v.audience.clone()),
                (FieldId::KmsProjectId, v.kms_project_id.clone()),
                (FieldId::KmsKeyRingName, v.kms_key_ring_name.clone()),
                (FieldId::KmsKeyName, v.kms_key_name.clone()),
                (FieldId::KmsKeyLocation, v.kms_key_location.clone()),
                (FieldId::RoleId, v.role_id.clone()),
            ]),
            CloudValues::Azure(v) => flags.extend([
                (FieldId::TenantId, v.tenant_id.clone()),
                (FieldId::VaultUri, v.vault_uri.clone()),
                (FieldId::KeyName, v.key_name.clone()),
                (FieldId::SubscriptionId, v.subscription_id.clone()),
                (FieldId::ResourceGroup, v.resource_group.clone()),
                (FieldId::RoleName, v.role_name.clone()),
            ]),
        }
        flags
    }
}
