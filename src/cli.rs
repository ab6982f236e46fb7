//! The command line: no subcommand starts the wizard; `render` prints artifacts headless.
//! Exit codes: 0 done, 1 a check or an API refused, 2 bad input.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::guide::{Cloud, FieldId, SetupPath};

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when a check or an API refused.
pub const EXIT_REFUSED: u8 = 1;
/// Exit code for bad input (flags, config file, field values).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when nothing failed but something could not be verified (no permission to read,
/// no credentials, no answer).
pub const EXIT_NOT_VERIFIED: u8 = 3;

#[derive(Debug, Parser)]
#[command(
    name = "ekm-wizard",
    version,
    about = "Set up OpenAI Enterprise Key Management in your cloud KMS, step by step",
    after_help = "Without a subcommand, the wizard starts in the terminal."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub start: StartArgs,
}

/// Flags that start the wizard somewhere other than the start screen.
#[derive(Debug, Args, Clone, Default)]
pub struct StartArgs {
    /// The cloud whose KMS holds the key; with --org-id, starts straight at its first step.
    #[arg(long, value_enum)]
    pub cloud: Option<Cloud>,
    /// Your OpenAI organization id (org-…).
    #[arg(long)]
    pub org_id: Option<String>,
    /// API registration, or ChatGPT Enterprise hand-over.
    #[arg(long, value_enum)]
    pub path: Option<SetupPath>,
    /// The id OpenAI presents (API path): the org id by default, or an API project id (proj_…).
    #[arg(long)]
    pub external_id: Option<String>,
    /// Ignore saved progress and start over (the saved file is left as it is until the next save).
    #[arg(long)]
    pub fresh: bool,
    /// The Management API base for registering (default: OPENAI_BASE_URL, else
    /// https://api.openai.com/v1); https only, except to this machine.
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// The AWS profile the live checks use (otherwise AWS_PROFILE or the default chain).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the generated policies, request bodies and commands for a cloud.
    Render {
        #[command(subcommand)]
        values: Box<CloudValues>,
    },
    /// Check the setup live with your own cloud credentials. Exit 0 verified (every check ran
    /// and passed; warnings allowed), 1 a check failed, 2 bad input, 3 not verified (nothing
    /// failed, but a check could not run: a missing permission, a sign-in, the network).
    Check {
        #[command(subcommand)]
        values: Box<CloudValues>,
        /// Seconds each check may take.
        #[arg(long, global = true, value_name = "SECONDS", default_value_t = 10)]
        timeout: u64,
        /// The AWS profile to use (otherwise AWS_PROFILE or the default chain).
        #[arg(long, global = true)]
        profile: Option<String>,
        /// Azure: create OpenAI's service principal in the tenant first, when it is missing
        /// (the guide's step 1). Giving the flag is the confirmation.
        #[arg(long, global = true)]
        create_service_principal: bool,
    },
    /// Register the key with OpenAI's Management API (API path), create the EKM project and
    /// validate. The admin key comes from OPENAI_ADMIN_KEY or a masked prompt, and only ever
    /// travels in the Authorization header. To do the same by hand, `render` prints curl
    /// commands that read the header from standard input
    /// (`printf 'Authorization: Bearer %s\n' "$OPENAI_ADMIN_KEY" | curl -H @- …`), so the key is
    /// in no command line and no shell history.
    Register {
        #[command(subcommand)]
        values: Box<CloudValues>,
        #[command(flatten)]
        api: ApiArgs,
        /// The name of the project to create with the key.
        #[arg(long, global = true)]
        project_name: Option<String>,
        /// Register without asking (needed when standard input is not a terminal).
        #[arg(long, global = true)]
        yes: bool,
    },
    /// Ask OpenAI to use a registered key now: success, or the cloud's error explained.
    Validate {
        /// The external key id (extkey_…).
        id: String,
        #[command(flatten)]
        api: ApiArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Explain an EKM error: what it means, what to do, and the step to revisit.
    Explain {
        /// The error text; read from standard input when absent.
        text: Option<String>,
        /// Print {"matched", "entry", "extracted"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a support bundle (Markdown) of the saved progress: inputs, generated blocks,
    /// recent errors explained. It never contains a secret.
    Export {
        /// Where to write it; `-` for standard output. Default: ./ekm-wizard-support.md
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

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

/// Parses the command line and runs what it asks for.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                EXIT_BAD_INPUT
            } else {
                EXIT_OK
            });
        }
    };
    match cli.command {
        Some(Command::Render { values }) => ExitCode::from(crate::render::run(&values)),
        Some(Command::Check {
            values,
            timeout,
            profile,
            create_service_principal,
        }) => ExitCode::from(crate::headless::check(
            &values,
            &crate::headless::CheckRequest {
                timeout,
                profile,
                create_service_principal,
            },
        )),
        Some(Command::Register {
            values,
            api,
            project_name,
            yes,
        }) => ExitCode::from(crate::headless::register(
            &values,
            &api,
            project_name.as_deref(),
            yes,
        )),
        Some(Command::Validate { id, api, json }) => {
            ExitCode::from(crate::headless::validate(&id, &api, json))
        }
        Some(Command::Explain { text, json }) => {
            ExitCode::from(crate::headless::explain(text.as_deref(), json))
        }
        Some(Command::Export { output }) => {
            ExitCode::from(crate::headless::export(output.as_deref()))
        }
        None => ExitCode::from(crate::app::runtime::start(cli.start)),
    }
}
