//! The integration guides as data: clouds, paths, steps, the fields an admin records and the
//! artifacts each step generates. Wording lives in `assets/guides/*.toml`; this module gives it
//! types, and knows which validator and which default belong to each field.

pub mod validate;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use validate::FieldError;

/// The cloud whose KMS holds the customer's key.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    #[default]
    Aws,
    Gcp,
    Azure,
}

impl Cloud {
    pub const ALL: [Cloud; 3] = [Cloud::Aws, Cloud::Gcp, Cloud::Azure];

    /// The short name used in commands and files: `aws`, `gcp`, `azure`.
    pub fn key(self) -> &'static str {
        match self {
            Cloud::Aws => "aws",
            Cloud::Gcp => "gcp",
            Cloud::Azure => "azure",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            Cloud::Aws => "AWS KMS",
            Cloud::Gcp => "Google Cloud KMS",
            Cloud::Azure => "Azure Key Vault",
        }
    }

    /// The guide for this cloud, parsed once from `assets/guides/<cloud>.toml`.
    pub fn guide(self) -> &'static Guide {
        static AWS: OnceLock<Guide> = OnceLock::new();
        static GCP: OnceLock<Guide> = OnceLock::new();
        static AZURE: OnceLock<Guide> = OnceLock::new();
        match self {
            Cloud::Aws => AWS.get_or_init(|| {
                parse_guide(include_str!("../../assets/guides/aws.toml"), "aws.toml")
            }),
            Cloud::Gcp => GCP.get_or_init(|| {
                parse_guide(include_str!("../../assets/guides/gcp.toml"), "gcp.toml")
            }),
            Cloud::Azure => AZURE.get_or_init(|| {
                parse_guide(include_str!("../../assets/guides/azure.toml"), "azure.toml")
            }),
        }
    }

    /// The field holding the id OpenAI presents (AWS ExternalId, GCP audience), if the cloud has one.
    pub fn presented_id_field(self) -> Option<FieldId> {
        match self {
            Cloud::Aws => Some(FieldId::ExternalId),
            Cloud::Gcp => Some(FieldId::Audience),
            Cloud::Azure => None,
        }
    }
}

/// How the key reaches OpenAI once the cloud side is ready.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum SetupPath {
    /// The admin registers the key through OpenAI's Management API.
    #[default]
    Api,
    /// A ChatGPT Enterprise customer sends the details to their OpenAI contact.
    #[serde(rename = "chatgpt")]
    #[value(name = "chatgpt")]
    ChatGpt,
}

impl SetupPath {
    pub const ALL: [SetupPath; 2] = [SetupPath::Api, SetupPath::ChatGpt];

    pub fn key(self) -> &'static str {
        match self {
            SetupPath::Api => "api",
            SetupPath::ChatGpt => "chatgpt",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            SetupPath::Api => "API registration",
            SetupPath::ChatGpt => "ChatGPT Enterprise hand-over",
        }
    }
}

/// Every value an admin can record. The serde name is the registration body's field name
/// (or `org_id`, `key_arn`, `policy_name`, `role_id`, `subscription_id`, `resource_group`,
/// `role_name` for the values that only shape the artifacts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldId {
    OrgId,
    ExternalId,
    KmsArn,
    KeyArn,
    PolicyName,
    RoleArn,
    Name,
    WorkloadIdentityProjectNumber,
    WorkloadIdentityPoolId,
    WorkloadIdentityProviderId,
    Audience,
    KmsProjectId,
    KmsKeyLocation,
    KmsKeyRingName,
    KmsKeyName,
    RoleId,
    TenantId,
    SubscriptionId,
    RoleName,
    ResourceGroup,
    VaultUri,
    KeyName,
    ProjectName,
}

impl FieldId {
    pub const ALL: [FieldId; 23] = [
        FieldId::OrgId,
        FieldId::ExternalId,
        FieldId::KmsArn,
        FieldId::KeyArn,
        FieldId::PolicyName,
        FieldId::RoleArn,
        FieldId::Name,
        FieldId::WorkloadIdentityProjectNumber,
        FieldId::WorkloadIdentityPoolId,
        FieldId::WorkloadIdentityProviderId,
        FieldId::Audience,
        FieldId::KmsProjectId,
        FieldId::KmsKeyLocation,
        FieldId::KmsKeyRingName,
        FieldId::KmsKeyName,
        FieldId::RoleId,
        FieldId::TenantId,
        FieldId::SubscriptionId,
        FieldId::RoleName,
        FieldId::ResourceGroup,
        FieldId::VaultUri,
        FieldId::KeyName,
        FieldId::ProjectName,
    ];

    /// The name in config files, session files and error messages: `kms_arn`.
    pub fn key(self) -> &'static str {
        match self {
            FieldId::OrgId => "org_id",
            FieldId::ExternalId => "external_id",
            FieldId::KmsArn => "kms_arn",
            FieldId::KeyArn => "key_arn",
            FieldId::PolicyName => "policy_name",
            FieldId::RoleArn => "role_arn",
            FieldId::Name => "name",
            FieldId::WorkloadIdentityProjectNumber => "workload_identity_project_number",
            FieldId::WorkloadIdentityPoolId => "workload_identity_pool_id",
            FieldId::WorkloadIdentityProviderId => "workload_identity_provider_id",
            FieldId::Audience => "audience",
            FieldId::KmsProjectId => "kms_project_id",
            FieldId::KmsKeyLocation => "kms_key_location",
            FieldId::KmsKeyRingName => "kms_key_ring_name",
            FieldId::KmsKeyName => "kms_key_name",
            FieldId::RoleId => "role_id",
            FieldId::TenantId => "tenant_id",
            FieldId::SubscriptionId => "subscription_id",
            FieldId::RoleName => "role_name",
            FieldId::ResourceGroup => "resource_group",
            FieldId::VaultUri => "vault_uri",
            FieldId::KeyName => "key_name",
            FieldId::ProjectName => "project_name",
        }
    }

    pub fn from_key(key: &str) -> Option<FieldId> {
        FieldId::ALL.into_iter().find(|f| f.key() == key)
    }

    /// The form the field expects, with an example, for error messages.
    pub fn expected_form(self) -> &'static str {
        match self {
            FieldId::OrgId => "`org-` then letters, digits and hyphens, e.g. org-2fGxYz8kLm",
            FieldId::ExternalId | FieldId::Audience => {
                "the organization id (org-…) or an API project id (proj_ then letters and digits)"
            }
            FieldId::KmsArn => {
                "arn:aws:kms:<region>:<12-digit account>:key/<uuid>, …:key/mrk-<32 hex> or …:alias/<name>"
            }
            FieldId::KeyArn => {
                "arn:aws:kms:<region>:<12-digit account>:key/<uuid> or …:key/mrk-<32 hex>"
            }
            FieldId::PolicyName => "1 to 128 letters, digits or +=,.@_-",
            FieldId::RoleArn => "arn:aws:iam::<12-digit account>:role/<name>",
            FieldId::Name => "1 to 100 printable characters, e.g. EKM key",
            FieldId::ProjectName => "1 to 100 printable characters, e.g. EKM project",
            FieldId::WorkloadIdentityProjectNumber => {
                "the project number, digits only, e.g. 123456789012"
            }
            FieldId::WorkloadIdentityPoolId => {
                "4 to 32 lowercase letters, digits or hyphens, not starting with gcp-, e.g. openai-ekm"
            }
            FieldId::WorkloadIdentityProviderId => {
                "4 to 32 lowercase letters, digits or hyphens, e.g. openai-ekm-provider"
            }
            FieldId::KmsProjectId => {
                "a project id: 6 to 30 lowercase letters, digits or hyphens, e.g. adjective-noun-12345"
            }
            FieldId::KmsKeyLocation => {
                "a Cloud KMS location such as us-east1, europe-west4 or global"
            }
            FieldId::KmsKeyRingName | FieldId::KmsKeyName => {
                "1 to 63 letters, digits, _ or -, e.g. openai-ekm"
            }
            FieldId::RoleId => "3 to 64 letters, digits, _ or ., e.g. openaiEkmEncryptDecrypt",
            FieldId::TenantId | FieldId::SubscriptionId => {
                "a UUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47"
            }
            FieldId::RoleName => "1 to 100 printable characters",
            FieldId::ResourceGroup => "1 to 90 letters, digits or _-.(), not ending with a period",
            FieldId::VaultUri => "https://<vault name>.vault.azure.net/ (or just the vault name)",
            FieldId::KeyName => {
                "<your org id>--<name>, letters, digits and hyphens, e.g. org-2fGxYz8kLm--openai-ekm"
            }
        }
    }

    /// The value used when the admin leaves the field empty, if the field has one.
    pub fn default_value(self, inputs: &Inputs) -> Option<String> {
        match self {
            FieldId::ExternalId | FieldId::Audience => {
                Some(inputs.raw(FieldId::OrgId).trim().to_string())
            }
            FieldId::PolicyName => Some("openai-ekm-kms-access".to_string()),
            FieldId::Name => Some(match inputs.cloud {
                Cloud::Aws => "AWS EKM key".to_string(),
                Cloud::Gcp => "GCP EKM key".to_string(),
                Cloud::Azure => "Azure EKM key".to_string(),
            }),
            FieldId::RoleId => Some("openaiEkmEncryptDecrypt".to_string()),
            FieldId::ProjectName => Some("EKM project".to_string()),
            FieldId::RoleName => Some("OpenAI EKM key user".to_string()),
            _ => None,
        }
    }

    /// The field's label, as the screen shows it.
    pub fn label(self) -> String {
        match self {
            FieldId::OrgId => return start_text().org_id.label.clone(),
            FieldId::ExternalId | FieldId::Audience => {
                return start_text().external_id.label.clone();
            }
            _ => {}
        }
        Cloud::ALL
            .iter()
            .map(|cloud| cloud.guide().field_text(self).label.clone())
            .find(|label| !label.is_empty())
            .unwrap_or_else(|| self.key().replace('_', " "))
    }

    /// Checks a raw value, returning the cleaned value on success. Some fields are checked
    /// against others (a Key Vault key name against the organization id).
    pub fn validate(self, raw: &str, inputs: &Inputs) -> Result<String, FieldError> {
        let length = raw.chars().count();
        if length > MAX_FIELD_LENGTH {
            return Err(FieldError::new(
                self,
                format!(
                    "is {length} characters long; no value of this field is longer than {MAX_FIELD_LENGTH}"
                ),
            ));
        }
        if crate::secrets::looks_secret(raw) {
            return Err(FieldError::new(
                self,
                "looks like a secret (a key or a token); it is never recorded or saved: type the value this field asks for, and keep the secret where it was",
            ));
        }
        let cleaned = validate::clean(self, raw);
        let raw = cleaned.as_str();
        validate::mix_up(self, raw, inputs)?;
        match self {
            FieldId::OrgId => validate::org_id(raw),
            FieldId::ExternalId => validate::external_id(raw),
            FieldId::Audience => validate::external_id(raw).map_err(|e| FieldError {
                field: FieldId::Audience,
                ..e
            }),
            FieldId::KmsArn => validate::kms_arn(raw).map(|a| a.arn()),
            FieldId::KeyArn => validate::key_arn(raw).map(|a| a.arn()),
            FieldId::PolicyName => validate::policy_name(raw),
            FieldId::RoleArn => validate::role_arn(raw).map(|a| a.arn()),
            FieldId::Name => validate::key_display_name(raw),
            FieldId::ProjectName => validate::key_display_name(raw).map_err(|e| FieldError {
                field: FieldId::ProjectName,
                ..e
            }),
            FieldId::WorkloadIdentityProjectNumber => validate::project_number(raw),
            FieldId::WorkloadIdentityPoolId | FieldId::WorkloadIdentityProviderId => {
                validate::workload_identity_id(self, raw)
            }
            FieldId::KmsProjectId => validate::gcp_project_id(raw),
            FieldId::KmsKeyLocation => validate::kms_location(raw),
            FieldId::KmsKeyRingName | FieldId::KmsKeyName => validate::kms_resource_name(self, raw),
            FieldId::RoleId => validate::gcp_role_id(raw),
            FieldId::TenantId | FieldId::SubscriptionId => validate::azure_uuid(self, raw),
            FieldId::RoleName => validate::azure_role_name(raw),
            FieldId::ResourceGroup => validate::resource_group(raw),
            FieldId::VaultUri => validate::vault_uri(raw),
            FieldId::KeyName => {
                let org = validate::org_id(inputs.raw(FieldId::OrgId)).ok();
                validate::azure_key_name(raw, org.as_deref())
            }
        }
    }
}

/// The longest value any field takes (an IAM role ARN with its longest path is under 600
/// characters): anything longer is a paste gone wrong, refused without being echoed.
pub const MAX_FIELD_LENGTH: usize = 2048;

/// What the admin typed for one cloud, as typed. Cleaned, defaulted values are derived from
/// it on demand, never stored beside it. Only the values are saved; the cloud is saved beside.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    #[serde(skip)]
    pub cloud: Cloud,
    #[serde(flatten)]
    values: BTreeMap<FieldId, String>,
}

impl Inputs {
    pub fn new(cloud: Cloud) -> Self {
        Inputs {
            cloud,
            values: BTreeMap::new(),
        }
    }

    pub fn raw(&self, field: FieldId) -> &str {
        self.values.get(&field).map(String::as_str).unwrap_or("")
    }

    pub fn set(&mut self, field: FieldId, value: impl Into<String>) {
        self.values.insert(field, value.into());
    }

    /// The value to validate: what was typed, or the field's default when nothing was.
    pub fn effective(&self, field: FieldId) -> String {
        let raw = self.raw(field);
        if raw.trim().is_empty()
            && let Some(default) = field.default_value(self)
        {
            return default;
        }
        raw.to_string()
    }

    /// Drops every value that looks like a secret (an OpenAI key, a token pasted into the
    /// wrong field): such a value is refused on screen and never saved.
    pub fn forget_secrets(&mut self) {
        self.values
            .retain(|_, value| !crate::secrets::looks_secret(value));
    }

    /// The cleaned value, or why it is refused.
    pub fn validated(&self, field: FieldId) -> Result<String, FieldError> {
        field.validate(&self.effective(field), self)
    }
}

/// Where an item of a step applies: both paths, or only one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Applies {
    #[default]
    Both,
    Api,
    #[serde(rename = "chatgpt")]
    ChatGpt,
}

impl Applies {
    pub fn includes(self, path: SetupPath) -> bool {
        match self {
            Applies::Both => true,
            Applies::Api => path == SetupPath::Api,
            Applies::ChatGpt => path == SetupPath::ChatGpt,
        }
    }
}

/// Every block the wizard can generate, across the three clouds. The four hand-over blocks
/// (`enterprise_*`, `registration_*`) exist for every cloud; the others belong to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArtifactId {
    // AWS
    CreateKeyCommands,
    AliasTargetCommand,
    IamPolicy,
    CreatePolicyCommands,
    TrustPolicy,
    CreateRoleCommands,
    KeyPolicyStatement,
    KeyRotationCommand,
    ReadKeyPolicyCommand,
    PutKeyPolicyCommand,
    // Google Cloud
    TokenClaims,
    ProviderSettings,
    WorkloadIdentityCommands,
    StsAudience,
    EnableKmsCommands,
    CreateKeyRingCommands,
    GcpCustomRole,
    CreateCustomRoleCommands,
    Principal,
    GrantCommands,
    RotationCommands,
    // Azure
    ServicePrincipalRequest,
    ServicePrincipalCommands,
    ServicePrincipalAzCommand,
    AzureCustomRole,
    RoleDefinitionCommands,
    CreateVaultCommand,
    CreateVaultKeyCommands,
    RoleAssignmentScope,
    RoleAssignmentCommands,
    VaultSettingsQuery,
    VaultRbacCommand,
    PurgeProtectionCommand,
    KeyRotationPolicyCommand,
    // Every cloud
    EnterpriseDetails,
    EnterpriseMessage,
    RegistrationBody,
    RegistrationCommands,
    CreateProjectCommand,
}

impl ArtifactId {
    /// The id in kebab-case, for file names: `iam-policy`.
    pub fn file_stem(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', "-")))
            .unwrap_or_else(|| "block".into())
    }
}

/// A field as a step shows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepField {
    pub id: FieldId,
    #[serde(default)]
    pub only: Applies,
}

/// A generated block as a step shows it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepArtifact {
    pub id: ArtifactId,
    #[serde(default)]
    pub only: Applies,
}

/// A paragraph of a step's instructions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paragraph {
    pub text: String,
    #[serde(default)]
    pub only: Applies,
}

/// One step of a guide, mirroring one numbered section of OpenAI's instructions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub title: String,
    /// The name in the step list, at most 16 characters.
    pub short: String,
    #[serde(default)]
    pub paragraphs: Vec<Paragraph>,
    #[serde(default)]
    pub fields: Vec<StepField>,
    #[serde(default)]
    pub artifacts: Vec<StepArtifact>,
    /// Advice shown as a bulleted list.
    #[serde(default)]
    pub advice: Vec<String>,
}

impl Step {
    pub fn paragraphs_for(&self, path: SetupPath) -> impl Iterator<Item = &str> {
        self.paragraphs
            .iter()
            .filter(move |p| p.only.includes(path))
            .map(|p| p.text.trim())
    }

    /// The fields shown on this path, given what has been typed so far.
    pub fn fields_for(&self, path: SetupPath, inputs: &Inputs) -> Vec<FieldId> {
        self.fields
            .iter()
            .filter(|f| f.only.includes(path) && field_is_relevant(f.id, inputs))
            .map(|f| f.id)
            .collect()
    }

    pub fn artifacts_for(&self, path: SetupPath) -> Vec<ArtifactId> {
        self.artifacts
            .iter()
            .filter(|a| a.only.includes(path))
            .map(|a| a.id)
            .collect()
    }
}

/// Whether a field matters given the others: the key behind an alias only for an alias ARN.
pub fn field_is_relevant(field: FieldId, inputs: &Inputs) -> bool {
    match field {
        FieldId::KeyArn => validate::kms_arn(&validate::clean(
            FieldId::KmsArn,
            inputs.raw(FieldId::KmsArn),
        ))
        .is_ok_and(|a| a.is_alias()),
        _ => true,
    }
}

/// Labels and hints for a field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldText {
    pub label: String,
    pub hint: String,
    #[serde(default)]
    pub placeholder: String,
}

/// Title and where-to-paste hint for a generated block.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactText {
    pub title: String,
    pub hint: String,
}

/// A whole guide for one cloud.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guide {
    pub cloud: Cloud,
    pub title: String,
    pub steps: Vec<Step>,
    pub fields: BTreeMap<FieldId, FieldText>,
    pub artifacts: BTreeMap<ArtifactId, ArtifactText>,
}

impl Guide {
    pub fn field_text(&self, field: FieldId) -> &FieldText {
        static FALLBACK: OnceLock<FieldText> = OnceLock::new();
        self.fields.get(&field).unwrap_or_else(|| {
            FALLBACK.get_or_init(|| FieldText {
                label: String::new(),
                hint: String::new(),
                placeholder: String::new(),
            })
        })
    }

    pub fn artifact_text(&self, artifact: ArtifactId) -> &ArtifactText {
        static FALLBACK: OnceLock<ArtifactText> = OnceLock::new();
        self.artifacts.get(&artifact).unwrap_or_else(|| {
            FALLBACK.get_or_init(|| ArtifactText {
                title: String::new(),
                hint: String::new(),
            })
        })
    }

    /// Every field recorded for this cloud: the organization id, the id OpenAI presents (if
    /// any), then the steps' fields in the order they ask for them.
    pub fn recorded_fields(&self) -> Vec<FieldId> {
        let mut fields = vec![FieldId::OrgId];
        fields.extend(self.cloud.presented_id_field());
        for field in self
            .steps
            .iter()
            .flat_map(|s| s.fields.iter().map(|f| f.id))
        {
            if !fields.contains(&field) {
                fields.push(field);
            }
        }
        fields
    }
}

/// Parses a guide shipped in `assets/`. The assets are part of the binary and tested, so a
/// failure here is a build defect, reported with the parser's own message.
pub(crate) fn parse_guide(source: &str, name: &str) -> Guide {
    match toml::from_str(source) {
        Ok(guide) => guide,
        Err(err) => panic!("the built-in guide {name} is malformed: {err}"),
    }
}

/// The start screen's own text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartText {
    pub title: String,
    pub intro: String,
    pub cloud_hint: String,
    pub path_hint: String,
    pub org_id: FieldText,
    pub external_id: FieldText,
    /// The hint for the same field on the Google Cloud path, where it is the audience.
    pub audience_hint: String,
}

/// The wizard's shared text: the start screen.
pub fn start_text() -> &'static StartText {
    static TEXT: OnceLock<StartText> = OnceLock::new();
    TEXT.get_or_init(
        || match toml::from_str(include_str!("../../assets/start.toml")) {
            Ok(text) => text,
            Err(err) => panic!("the built-in start.toml is malformed: {err}"),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_text_parses_and_names_every_item() {
        for cloud in Cloud::ALL {
            let guide = cloud.guide();
            assert_eq!(guide.cloud, cloud);
            for step in &guide.steps {
                assert!(step.short.chars().count() <= 16, "{}", step.short);
                for field in &step.fields {
                    assert!(
                        guide.fields.contains_key(&field.id),
                        "{:?} has no text",
                        field.id
                    );
                }
                for artifact in &step.artifacts {
                    assert!(
                        guide.artifacts.contains_key(&artifact.id),
                        "{:?} has no text",
                        artifact.id
                    );
                }
            }
        }
        let start = start_text();
        assert!(!start.title.is_empty());
    }

    #[test]
    fn every_field_and_block_with_text_is_shown_on_some_step() {
        for cloud in Cloud::ALL {
            let guide = cloud.guide();
            for field in guide.fields.keys() {
                assert!(
                    guide
                        .steps
                        .iter()
                        .any(|s| s.fields.iter().any(|f| f.id == *field)),
                    "{cloud:?}: {field:?} has text but no step asks for it"
                );
            }
            for artifact in guide.artifacts.keys() {
                assert!(
                    guide
                        .steps
                        .iter()
                        .any(|s| s.artifacts.iter().any(|a| a.id == *artifact)),
                    "{cloud:?}: {artifact:?} has text but no step shows it"
                );
            }
            let mut ids: Vec<&str> = guide.steps.iter().map(|s| s.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(
                ids.len(),
                guide.steps.len(),
                "{cloud:?}: step ids are unique"
            );
        }
    }

    #[test]
    fn external_id_defaults_to_the_org_id() {
        let mut inputs = Inputs::default();
        inputs.set(FieldId::OrgId, "org-abc");
        assert_eq!(inputs.validated(FieldId::ExternalId).unwrap(), "org-abc");
        inputs.set(FieldId::ExternalId, "proj_123");
        assert_eq!(inputs.validated(FieldId::ExternalId).unwrap(), "proj_123");
    }

    #[test]
    fn the_key_behind_an_alias_is_asked_only_for_an_alias() {
        let step = &Cloud::Aws.guide().steps[0];
        let mut inputs = Inputs::default();
        inputs.set(
            FieldId::KmsArn,
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        );
        assert_eq!(
            step.fields_for(SetupPath::Api, &inputs),
            vec![FieldId::KmsArn]
        );
        inputs.set(
            FieldId::KmsArn,
            "arn:aws:kms:us-east-1:123456789012:alias/ekm",
        );
        assert_eq!(
            step.fields_for(SetupPath::Api, &inputs),
            vec![FieldId::KmsArn, FieldId::KeyArn]
        );
    }
}
