//! Validators for every value the admin records: each names the field, what is wrong, and the
//! form it expects, so the message can be shown inline as the admin types and on stderr headless.

use std::fmt;

use super::FieldId;

/// Why a recorded value was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: FieldId,
    /// What is wrong with the value as typed.
    pub problem: String,
    /// The form the field expects, with an example.
    pub expected: &'static str,
}

impl FieldError {
    pub(crate) fn new(field: FieldId, problem: impl Into<String>) -> Self {
        FieldError {
            field,
            problem: problem.into(),
            expected: field.expected_form(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}; expected {}",
            self.field.label(),
            self.problem,
            self.expected
        )
    }
}

impl FieldError {
    /// The error as a headless command says it: the field's label and the flag that sets it.
    pub fn on_command_line(&self) -> String {
        format!(
            "{} (--{}): {}; expected {}",
            self.field.label(),
            self.field.key().replace('_', "-"),
            self.problem,
            self.expected
        )
    }
}

impl std::error::Error for FieldError {}

/// A KMS key ARN taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsArn {
    pub region: String,
    pub account: String,
    pub resource: KmsResource,
}

/// What a KMS ARN points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KmsResource {
    /// `key/<uuid>`
    Key(String),
    /// `key/mrk-<32 hex>`: a multi-Region key.
    MultiRegionKey(String),
    /// `alias/<name>` (the name without the `alias/` prefix).
    Alias(String),
}

impl KmsArn {
    /// The ARN as AWS writes it.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:kms:{}:{}:{}",
            self.region,
            self.account,
            self.resource_part()
        )
    }

    /// The part after the account: `key/…` or `alias/…`.
    pub fn resource_part(&self) -> String {
        match &self.resource {
            KmsResource::Key(id) | KmsResource::MultiRegionKey(id) => format!("key/{id}"),
            KmsResource::Alias(name) => format!("alias/{name}"),
        }
    }

    pub fn is_alias(&self) -> bool {
        matches!(self.resource, KmsResource::Alias(_))
    }
}

/// An IAM role ARN taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleArn {
    pub account: String,
    /// The IAM path, `/` when the role has none, else `/a/b/`.
    pub path: String,
    pub name: String,
}

impl RoleArn {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }
}

/// Fields whose values never hold a space: ARNs, ids, numbers, addresses. Whitespace inside
/// one (a line the terminal broke, a space from a paste) is removed.
fn holds_no_spaces(field: FieldId) -> bool {
    !matches!(
        field,
        FieldId::Name | FieldId::ProjectName | FieldId::RoleName
    )
}

/// The segment of a Google Cloud resource name that names `collection`'s member:
/// `keyRings` in `projects/p/locations/l/keyRings/r/cryptoKeys/k` gives `r`.
fn segment_after<'a>(name: &'a str, collection: &str) -> Option<&'a str> {
    let parts: Vec<&str> = name.split('/').collect();
    parts
        .windows(2)
        .find(|pair| pair[0] == collection)
        .map(|pair| pair[1])
        .filter(|id| !id.is_empty())
}

/// What the admin typed, cleaned of the usual accidents before it is judged: whitespace inside
/// an ARN or id is removed, and where an id is asked for, a full resource name gives its id.
pub fn clean(field: FieldId, raw: &str) -> String {
    let mut value: String = if holds_no_spaces(field) {
        raw.chars().filter(|c| !c.is_whitespace()).collect()
    } else {
        raw.to_string()
    };
    let collection = match field {
        FieldId::WorkloadIdentityPoolId => Some("workloadIdentityPools"),
        FieldId::WorkloadIdentityProviderId => Some("providers"),
        FieldId::KmsKeyRingName => Some("keyRings"),
        FieldId::KmsKeyName => Some("cryptoKeys"),
        FieldId::KmsKeyLocation => Some("locations"),
        FieldId::RoleId => Some("roles"),
        _ => None,
    };
    if let Some(collection) = collection
        && value.contains('/')
    {
        let name = value.trim_start_matches("//").to_string();
        if let Some(id) = segment_after(&name, collection) {
            value = id.to_string();
        }
    }
    if field == FieldId::KmsProjectId
        && value.starts_with("projects/")
        && let Some(id) = segment_after(&value, "projects")
    {
        value = id.to_string();
    }
    value
}

/// Why a recorded value differs from what was typed, in a few words; `None` when it does not.
pub fn cleaning_note(raw: &str, recorded: &str) -> Option<&'static str> {
    let typed = raw.trim();
    if typed == recorded {
        return None;
    }
    let squeezed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if squeezed == recorded {
        Some("spaces and line breaks removed")
    } else if typed.contains('/') && typed.ends_with(recorded) {
        Some("the id taken from the full name")
    } else {
        None
    }
}

/// The mix-ups admins make, named as such: OpenAI's own identities typed where the admin's
/// are asked for, another organization's id, an AWS region as a Cloud KMS location.
pub fn mix_up(
    field: FieldId,
    value: &str,
    inputs: &crate::guide::Inputs,
) -> Result<(), FieldError> {
    use crate::identities::{AWS_PRINCIPAL_ARN, AZURE_APP_ID, GCP_SUBJECT_ID};
    let value = value.trim();
    let refuse = |problem: String| Err(FieldError::new(field, problem));
    match field {
        FieldId::RoleArn if value == AWS_PRINCIPAL_ARN => refuse(
            "is OpenAI's own role, which calls yours; record the role you created in your account (step 3)".into(),
        ),
        FieldId::TenantId | FieldId::SubscriptionId if value.eq_ignore_ascii_case(AZURE_APP_ID) => {
            refuse(format!(
                "is OpenAI's application id, not your {}; find yours in Entra ID › Overview",
                if field == FieldId::TenantId { "tenant id" } else { "subscription id" }
            ))
        }
        FieldId::WorkloadIdentityProjectNumber if value == GCP_SUBJECT_ID => refuse(
            "is OpenAI's service account id, not your project number; copy the number from the project dashboard".into(),
        ),
        FieldId::ExternalId | FieldId::Audience if value.starts_with("org-") => {
            let org = inputs.raw(FieldId::OrgId).trim();
            if !org.is_empty() && org_id(org).is_ok() && value != org {
                refuse(format!(
                    "is another organization's id; OpenAI presents your own ({org}), or one of its API project ids"
                ))
            } else {
                Ok(())
            }
        }
        FieldId::KmsKeyLocation if is_region(value) => refuse(format!(
            "`{value}` is an AWS region; Cloud KMS locations have no hyphen before the number (us-east1, europe-west4) or are global, us, eu"
        )),
        FieldId::KeyArn => {
            let alias = kms_arn(&clean(FieldId::KmsArn, inputs.raw(FieldId::KmsArn)));
            let (Ok(alias), Ok(key)) = (alias, key_arn(value)) else {
                return Ok(());
            };
            if alias.is_alias() && (alias.region != key.region || alias.account != key.account) {
                refuse(format!(
                    "is in {} {}, but the alias is in {} {}: an alias names a key of its own account and region",
                    key.account, key.region, alias.account, alias.region
                ))
            } else {
                Ok(())
            }
        }
        _ => Ok(()),
    }
}

/// Trims the surrounding whitespace a paste often brings, and refuses an empty value.
fn non_empty(field: FieldId, raw: &str) -> Result<&str, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "is empty"));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(FieldError::new(
            field,
            format!("contains the control character {:?}", c),
        ));
    }
    Ok(value)
}

fn first_bad_char(value: &str, allowed: impl Fn(char) -> bool) -> Option<char> {
    value.chars().find(|c| !allowed(*c))
}

fn is_alnum_hyphen(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// `org-` then letters, digits and hyphens.
pub fn org_id(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::OrgId;
    let value = non_empty(field, raw)?;
    let Some(rest) = value.strip_prefix("org-") else {
        return Err(FieldError::new(
            field,
            format!("`{value}` does not start with `org-`"),
        ));
    };
    if rest.is_empty() {
        return Err(FieldError::new(field, "has nothing after `org-`"));
    }
    if let Some(c) = first_bad_char(rest, is_alnum_hyphen) {
        return Err(FieldError::new(
            field,
            format!("contains {c:?}, which is not a letter, digit or hyphen"),
        ));
    }
    Ok(value.to_string())
}

/// The id OpenAI presents: the organization id, or an API project id (`proj_` then letters and digits).
pub fn external_id(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::ExternalId;
    let value = non_empty(field, raw)?;
    if let Some(rest) = value.strip_prefix("proj_") {
        if rest.is_empty() {
            return Err(FieldError::new(field, "has nothing after `proj_`"));
        }
        if let Some(c) = first_bad_char(rest, |c| c.is_ascii_alphanumeric()) {
            return Err(FieldError::new(
                field,
                format!("contains {c:?}; a project id has only letters and digits after `proj_`"),
            ));
        }
        return Ok(value.to_string());
    }
    if value.starts_with("org-") {
        return org_id(value).map_err(|e| FieldError::new(field, e.problem));
    }
    Err(FieldError::new(
        field,
        format!("`{value}` is neither an organization id nor a project id"),
    ))
}

fn is_region(value: &str) -> bool {
    // e.g. us-east-1, eu-central-2, us-gov-west-1, ap-southeast-4, il-central-1
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| (1..=2).contains(&n.len()) && n.chars().all(|c| c.is_ascii_digit()))
}

fn is_account(value: &str) -> bool {
    value.len() == 12 && value.chars().all(|c| c.is_ascii_digit())
}

fn is_lower_hex(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && is_lower_hex(g))
}

/// Splits an ARN into its six parts, naming what is missing.
fn arn_parts(field: FieldId, value: &str) -> Result<[String; 6], FieldError> {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return Err(FieldError::new(field, format!("`{value}` is not an ARN")));
    }
    if parts[1] != "aws" {
        return Err(FieldError::new(
            field,
            format!(
                "the partition is `{}`; OpenAI EKM supports only `aws`",
                parts[1]
            ),
        ));
    }
    Ok(std::array::from_fn(|i| parts[i].to_string()))
}

/// A KMS key ARN in any of the three forms OpenAI accepts.
pub fn kms_arn(raw: &str) -> Result<KmsArn, FieldError> {
    parse_kms_arn(FieldId::KmsArn, raw)
}

/// The key ARN behind an alias: a `key/…` form only.
pub fn key_arn(raw: &str) -> Result<KmsArn, FieldError> {
    let field = FieldId::KeyArn;
    let parsed = parse_kms_arn(field, raw)?;
    if parsed.is_alias() {
        return Err(FieldError::new(
            field,
            "is an alias ARN; give the ARN of the key the alias points to",
        ));
    }
    Ok(parsed)
}

fn parse_kms_arn(field: FieldId, raw: &str) -> Result<KmsArn, FieldError> {
    let value = non_empty(field, raw)?;
    let [_, _, service, region, account, resource] = arn_parts(field, value)?;
    if service != "kms" {
        return Err(FieldError::new(
            field,
            format!("is an ARN of the `{service}` service, not of a KMS key"),
        ));
    }
    if !is_region(&region) {
        return Err(FieldError::new(
            field,
            format!("`{region}` is not an AWS region such as us-east-1"),
        ));
    }
    if !is_account(&account) {
        return Err(FieldError::new(
            field,
            format!("the account `{account}` is not 12 digits"),
        ));
    }
    let resource = if let Some(id) = resource.strip_prefix("key/mrk-") {
        if id.len() != 32 || !is_lower_hex(id) {
            return Err(FieldError::new(
                field,
                "a multi-Region key id is `mrk-` then 32 lowercase hex digits",
            ));
        }
        KmsResource::MultiRegionKey(format!("mrk-{id}"))
    } else if let Some(id) = resource.strip_prefix("key/") {
        if !is_uuid(id) {
            return Err(FieldError::new(
                field,
                format!("the key id `{id}` is not a UUID (8-4-4-4-12 lowercase hex)"),
            ));
        }
        KmsResource::Key(id.to_string())
    } else if let Some(name) = resource.strip_prefix("alias/") {
        if name.is_empty() || name.len() > 250 {
            return Err(FieldError::new(
                field,
                "an alias name has 1 to 250 characters",
            ));
        }
        if name.starts_with("aws/") {
            return Err(FieldError::new(
                field,
                "`alias/aws/…` names a key AWS manages; OpenAI needs a customer managed key",
            ));
        }
        if let Some(c) = first_bad_char(name, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-')
        }) {
            return Err(FieldError::new(
                field,
                format!("the alias contains {c:?}; aliases use letters, digits, / _ and -"),
            ));
        }
        KmsResource::Alias(name.to_string())
    } else {
        return Err(FieldError::new(
            field,
            format!("`{resource}` is neither `key/…` nor `alias/…`"),
        ));
    };
    Ok(KmsArn {
        region,
        account,
        resource,
    })
}

fn is_iam_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '=' | ',' | '.' | '@' | '_' | '-')
}

/// `arn:aws:iam::<12 digits>:role/<optional path/><name>`.
pub fn role_arn(raw: &str) -> Result<RoleArn, FieldError> {
    let field = FieldId::RoleArn;
    let value = non_empty(field, raw)?;
    let [_, _, service, region, account, resource] = arn_parts(field, value)?;
    if service != "iam" {
        return Err(FieldError::new(
            field,
            format!("is an ARN of the `{service}` service, not an IAM role"),
        ));
    }
    if !region.is_empty() {
        return Err(FieldError::new(
            field,
            "IAM ARNs have no region: the part between `iam:` and the account is empty",
        ));
    }
    if !is_account(&account) {
        return Err(FieldError::new(
            field,
            format!("the account `{account}` is not 12 digits"),
        ));
    }
    let Some(path_and_name) = resource.strip_prefix("role/") else {
        return Err(FieldError::new(
            field,
            format!("`{resource}` is not `role/<name>`"),
        ));
    };
    let (path, name) = match path_and_name.rsplit_once('/') {
        Some((path, name)) => (format!("/{path}/"), name),
        None => ("/".to_string(), path_and_name),
    };
    if name.is_empty() || name.len() > 64 {
        return Err(FieldError::new(field, "a role name has 1 to 64 characters"));
    }
    if let Some(c) = first_bad_char(name, is_iam_name_char) {
        return Err(FieldError::new(
            field,
            format!("the role name contains {c:?}; role names use letters, digits and +=,.@_-"),
        ));
    }
    if path.contains("//") || first_bad_char(&path, |c| c == '/' || is_iam_name_char(c)).is_some() {
        return Err(FieldError::new(
            field,
            format!("the role path `{path}` is not valid"),
        ));
    }
    Ok(RoleArn {
        account,
        path,
        name: name.to_string(),
    })
}

/// An IAM policy name: 1 to 128 of letters, digits and `+=,.@_-`.
pub fn policy_name(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::PolicyName;
    let value = non_empty(field, raw)?;
    if value.len() > 128 {
        return Err(FieldError::new(field, "is longer than 128 characters"));
    }
    if let Some(c) = first_bad_char(value, is_iam_name_char) {
        return Err(FieldError::new(field, format!("contains {c:?}")));
    }
    Ok(value.to_string())
}

/// The display name of the registered key: 1 to 100 printable characters.
pub fn key_display_name(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::Name;
    let value = non_empty(field, raw)?;
    if value.chars().count() > 100 {
        return Err(FieldError::new(field, "is longer than 100 characters"));
    }
    Ok(value.to_string())
}

/// A Google Cloud project number: digits only (OpenAI accepts 1 to 19; most have 12).
pub fn project_number(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::WorkloadIdentityProjectNumber;
    let value = non_empty(field, raw)?;
    if let Some(c) = first_bad_char(value, |c| c.is_ascii_digit()) {
        let hint = if value.chars().any(|c| c.is_ascii_lowercase()) {
            " (that looks like a project id; the number is on the project's dashboard)"
        } else {
            ""
        };
        return Err(FieldError::new(
            field,
            format!("contains {c:?}; a project number is digits only{hint}"),
        ));
    }
    if value.len() > 19 {
        return Err(FieldError::new(field, "has more than 19 digits"));
    }
    Ok(value.to_string())
}

/// A workload identity pool or provider id: 4 to 32 lowercase letters, digits and hyphens;
/// a pool id may not start with `gcp-`, which Google reserves.
pub fn workload_identity_id(field: FieldId, raw: &str) -> Result<String, FieldError> {
    let value = non_empty(field, raw)?;
    let length = value.chars().count();
    if !(4..=32).contains(&length) {
        return Err(FieldError::new(
            field,
            format!("has {length} characters; ids have 4 to 32"),
        ));
    }
    if let Some(c) = first_bad_char(value, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    }) {
        return Err(FieldError::new(
            field,
            format!("contains {c:?}; ids use lowercase letters, digits and hyphens"),
        ));
    }
    if field == FieldId::WorkloadIdentityPoolId && value.starts_with("gcp-") {
        return Err(FieldError::new(
            field,
            "starts with `gcp-`, which Google reserves",
        ));
    }
    Ok(value.to_string())
}

/// A Google Cloud project id: 6 to 30 lowercase letters, digits and hyphens, starting with a
/// letter and not ending with a hyphen.
pub fn gcp_project_id(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::KmsProjectId;
    let value = non_empty(field, raw)?;
    let length = value.chars().count();
    if !(6..=30).contains(&length) {
        return Err(FieldError::new(
            field,
            format!("has {length} characters; project ids have 6 to 30"),
        ));
    }
    if let Some(c) = first_bad_char(value, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    }) {
        return Err(FieldError::new(
            field,
            format!("contains {c:?}; project ids use lowercase letters, digits and hyphens"),
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(FieldError::new(field, "does not start with a letter"));
    }
    if value.ends_with('-') {
        return Err(FieldError::new(field, "ends with a hyphen"));
    }
    Ok(value.to_string())
}

/// A Cloud KMS location: `global`, a region such as `us-east1`, or a multi-region such as `us`.
pub fn kms_location(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::KmsKeyLocation;
    let value = non_empty(field, raw)?;
    if value.len() > 40 {
        return Err(FieldError::new(field, "is too long for a location"));
    }
    if let Some(c) = first_bad_char(value, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    }) {
        return Err(FieldError::new(
            field,
            format!("contains {c:?}; locations are lowercase, like us-east1"),
        ));
    }
    if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(FieldError::new(field, "does not start with a letter"));
    }
    Ok(value.to_string())
}

/// A key ring or key name in Cloud KMS: 1 to 63 letters, digits, `_` and `-`.
pub fn kms_resource_name(field: FieldId, raw: &str) -> Result<String, FieldError> {
    let value = non_empty(field, raw)?;
    if value.len() > 63 {
        return Err(FieldError::new(field, "is longer than 63 characters"));
    }
    if let Some(c) = first_bad_char(value, |c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(FieldError::new(
            field,
            format!("contains {c:?}; names use letters, digits, _ and -"),
        ));
    }
    Ok(value.to_string())
}

/// A custom role id in Google Cloud IAM: 3 to 64 letters, digits, `_` and `.`.
pub fn gcp_role_id(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::RoleId;
    let value = non_empty(field, raw)?;
    let length = value.chars().count();
    if !(3..=64).contains(&length) {
        return Err(FieldError::new(
            field,
            format!("has {length} characters; role ids have 3 to 64"),
        ));
    }
    if let Some(c) = first_bad_char(value, |c| c.is_ascii_alphanumeric() || c == '_' || c == '.') {
        return Err(FieldError::new(
            field,
            format!("contains {c:?}; role ids use letters, digits, _ and ."),
        ));
    }
    Ok(value.to_string())
}

/// A UUID as Azure writes ids: 8-4-4-4-12 hex digits, either case.
pub fn azure_uuid(field: FieldId, raw: &str) -> Result<String, FieldError> {
    let value = non_empty(field, raw)?;
    let groups: Vec<&str> = value.split('-').collect();
    let well_formed = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()));
    if !well_formed {
        return Err(FieldError::new(
            field,
            format!("`{value}` is not a UUID (8-4-4-4-12 hex digits)"),
        ));
    }
    Ok(value.to_string())
}

/// An Azure resource group name: 1 to 90 letters, digits, `_ - . ( )`, not ending with `.`.
pub fn resource_group(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::ResourceGroup;
    let value = non_empty(field, raw)?;
    if value.chars().count() > 90 {
        return Err(FieldError::new(field, "is longer than 90 characters"));
    }
    if let Some(c) = first_bad_char(value, |c| {
        c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')')
    }) {
        return Err(FieldError::new(
            field,
            format!("contains {c:?}; resource groups use letters, digits and _-.()"),
        ));
    }
    if value.ends_with('.') {
        return Err(FieldError::new(field, "ends with a period"));
    }
    Ok(value.to_string())
}

/// The vault's name from its URI or the bare name: 3 to 24 letters, digits and hyphens,
/// starting with a letter, ending with a letter or digit, no two hyphens in a row.
pub fn vault_name(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::VaultUri;
    let value = non_empty(field, raw)?;
    let without_scheme = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .unwrap_or(value);
    if value.starts_with("http://") {
        return Err(FieldError::new(
            field,
            "uses http://; Key Vault is reached over https",
        ));
    }
    let host = without_scheme.trim_end_matches('/');
    if host.contains('/') {
        return Err(FieldError::new(
            field,
            "has a path; give the vault's address only, without /keys/…",
        ));
    }
    let name = match host.split_once('.') {
        Some((name, domain)) => {
            if !domain.eq_ignore_ascii_case("vault.azure.net") {
                return Err(FieldError::new(
                    field,
                    format!("is on `{domain}`; OpenAI EKM uses vaults on vault.azure.net"),
                ));
            }
            name
        }
        None => host,
    };
    let length = name.chars().count();
    if !(3..=24).contains(&length) {
        return Err(FieldError::new(
            field,
            format!("the vault name `{name}` has {length} characters; vault names have 3 to 24"),
        ));
    }
    if let Some(c) = first_bad_char(name, is_alnum_hyphen) {
        return Err(FieldError::new(
            field,
            format!("the vault name contains {c:?}; vault names use letters, digits and hyphens"),
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(FieldError::new(
            field,
            "the vault name does not start with a letter",
        ));
    }
    if name.ends_with('-') || name.contains("--") {
        return Err(FieldError::new(
            field,
            "the vault name ends with a hyphen or has two in a row",
        ));
    }
    Ok(name.to_ascii_lowercase())
}

/// The vault URI in the form OpenAI expects: `https://<vault>.vault.azure.net/`.
pub fn vault_uri(raw: &str) -> Result<String, FieldError> {
    vault_name(raw).map(|name| format!("https://{name}.vault.azure.net/"))
}

/// The Key Vault key name OpenAI accepts: `<org id>--<name>`, matching
/// `^org-[0-9a-zA-Z-]*--[0-9a-zA-Z-]*$`, with the prefix equal to the organization id.
pub fn azure_key_name(raw: &str, org_id: Option<&str>) -> Result<String, FieldError> {
    let field = FieldId::KeyName;
    let value = non_empty(field, raw)?;
    if value.len() > 127 {
        return Err(FieldError::new(field, "is longer than 127 characters"));
    }
    if let Some(c) = first_bad_char(value, is_alnum_hyphen) {
        return Err(FieldError::new(
            field,
            format!("contains {c:?}; Key Vault names use letters, digits and hyphens"),
        ));
    }
    if !value.starts_with("org-") {
        return Err(FieldError::new(
            field,
            "does not start with your organization id (org-…)",
        ));
    }
    let Some((prefix, name)) = value[4..]
        .split_once("--")
        .map(|(p, n)| (&value[..4 + p.len()], n))
    else {
        return Err(FieldError::new(
            field,
            "has no `--` between the organization id and the name",
        ));
    };
    if name.is_empty() {
        return Err(FieldError::new(field, "has nothing after `--`"));
    }
    if let Some(org) = org_id
        && !value.starts_with(&format!("{org}--"))
    {
        return Err(FieldError::new(
            field,
            format!("starts with `{prefix}`, not with your organization id `{org}`"),
        ));
    }
    Ok(value.to_string())
}

/// A custom role's display name in Azure: 1 to 100 printable characters.
pub fn azure_role_name(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::RoleName;
    let value = non_empty(field, raw)?;
    if value.chars().count() > 100 {
        return Err(FieldError::new(field, "is longer than 100 characters"));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_ids() {
        assert_eq!(org_id(" org-AbC123-x ").unwrap(), "org-AbC123-x");
        for bad in ["", "org-", "AbC", "org_abc", "org-ab c", "org-a.b"] {
            let err = org_id(bad).unwrap_err();
            assert_eq!(err.field, FieldId::OrgId, "{bad}");
        }
        assert!(
            org_id("org_abc")
                .unwrap_err()
                .to_string()
                .starts_with("OpenAI organization id: ")
        );
    }

    #[test]
    fn external_ids_accept_org_and_project_ids() {
        assert_eq!(external_id("org-abc").unwrap(), "org-abc");
        assert_eq!(external_id("proj_Abc123").unwrap(), "proj_Abc123");
        for bad in ["proj_", "proj_a-b", "project", "", "org-a b"] {
            assert_eq!(
                external_id(bad).unwrap_err().field,
                FieldId::ExternalId,
                "{bad}"
            );
        }
    }

    #[test]
    fn kms_arns_in_the_three_forms() {
        let key =
            kms_arn("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
                .unwrap();
        assert_eq!(key.region, "us-east-1");
        assert_eq!(key.account, "123456789012");
        assert_eq!(
            key.resource,
            KmsResource::Key("1234abcd-12ab-34cd-56ef-1234567890ab".into())
        );
        let mrk =
            kms_arn("arn:aws:kms:eu-west-2:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab")
                .unwrap();
        assert!(matches!(mrk.resource, KmsResource::MultiRegionKey(_)));
        let alias = kms_arn("arn:aws:kms:us-gov-west-1:123456789012:alias/openai/ekm").unwrap();
        assert_eq!(alias.resource, KmsResource::Alias("openai/ekm".into()));
        assert!(alias.is_alias());
        assert_eq!(
            alias.arn(),
            "arn:aws:kms:us-gov-west-1:123456789012:alias/openai/ekm"
        );
    }

    #[test]
    fn kms_arns_refused_with_the_reason() {
        let cases = [
            ("", "is empty"),
            ("key/1234", "not an ARN"),
            (
                "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "partition",
            ),
            (
                "arn:aws:s3:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "`s3`",
            ),
            (
                "arn:aws:kms:useast1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "region",
            ),
            (
                "arn:aws:kms:us-east-1:12345678901:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "12 digits",
            ),
            ("arn:aws:kms:us-east-1:123456789012:key/not-a-uuid", "UUID"),
            (
                "arn:aws:kms:us-east-1:123456789012:key/1234ABCD-12ab-34cd-56ef-1234567890ab",
                "UUID",
            ),
            ("arn:aws:kms:us-east-1:123456789012:key/mrk-12", "mrk-"),
            (
                "arn:aws:kms:us-east-1:123456789012:alias/aws/s3",
                "AWS manages",
            ),
            ("arn:aws:kms:us-east-1:123456789012:alias/", "1 to 250"),
            (
                "arn:aws:kms:us-east-1:123456789012:alias/a b",
                "alias contains",
            ),
            ("arn:aws:kms:us-east-1:123456789012:grant/x", "neither"),
        ];
        for (input, fragment) in cases {
            let err = kms_arn(input).unwrap_err();
            assert_eq!(err.field, FieldId::KmsArn);
            assert!(err.to_string().contains(fragment), "{input}: {err}");
            assert!(err.to_string().contains("expected arn:aws:kms:"), "{err}");
        }
    }

    #[test]
    fn key_arn_refuses_an_alias() {
        assert!(key_arn("arn:aws:kms:us-east-1:123456789012:alias/x").is_err());
        assert!(
            key_arn("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
                .is_ok()
        );
    }

    #[test]
    fn role_arns() {
        let role = role_arn("arn:aws:iam::123456789012:role/openai-ekm").unwrap();
        assert_eq!(
            (
                role.account.as_str(),
                role.path.as_str(),
                role.name.as_str()
            ),
            ("123456789012", "/", "openai-ekm")
        );
        let nested = role_arn("arn:aws:iam::123456789012:role/service/ekm/openai+ekm").unwrap();
        assert_eq!(nested.path, "/service/ekm/");
        assert_eq!(nested.name, "openai+ekm");
        assert_eq!(
            nested.arn(),
            "arn:aws:iam::123456789012:role/service/ekm/openai+ekm"
        );
        for (bad, fragment) in [
            ("arn:aws:iam::123456789012:user/bob", "role/<name>"),
            ("arn:aws:iam:us-east-1:123456789012:role/x", "no region"),
            ("arn:aws:iam::1234:role/x", "12 digits"),
            ("arn:aws:iam::123456789012:role/", "1 to 64"),
            ("arn:aws:iam::123456789012:role/a b", "role name contains"),
            ("arn:aws:sts::123456789012:assumed-role/x/y", "`sts`"),
        ] {
            let err = role_arn(bad).unwrap_err();
            assert!(err.to_string().contains(fragment), "{bad}: {err}");
        }
    }

    #[test]
    fn policy_and_display_names() {
        assert!(policy_name("openai-ekm-kms-access").is_ok());
        assert!(policy_name("bad name").is_err());
        assert!(policy_name(&"a".repeat(129)).is_err());
        assert_eq!(key_display_name("  AWS EKM key ").unwrap(), "AWS EKM key");
        assert!(key_display_name("   ").is_err());
        assert!(key_display_name(&"x".repeat(101)).is_err());
    }

    #[test]
    fn gcp_project_numbers() {
        assert_eq!(project_number(" 123456789012 ").unwrap(), "123456789012");
        assert!(
            project_number("my-project")
                .unwrap_err()
                .problem
                .contains("project id")
        );
        assert!(project_number(&"1".repeat(20)).is_err());
        assert!(project_number("").is_err());
    }

    #[test]
    fn workload_identity_ids() {
        let pool = FieldId::WorkloadIdentityPoolId;
        let provider = FieldId::WorkloadIdentityProviderId;
        assert!(workload_identity_id(pool, "openai-ekm").is_ok());
        assert!(
            workload_identity_id(provider, "gcp-provider").is_ok(),
            "only pools are barred"
        );
        for (bad, fragment) in [
            ("abc", "4 to 32"),
            (&"a".repeat(33)[..], "4 to 32"),
            ("OpenAI", "lowercase"),
            ("open_ai", "lowercase"),
            ("gcp-pool", "gcp-"),
        ] {
            let err = workload_identity_id(pool, bad).unwrap_err();
            assert!(err.to_string().contains(fragment), "{bad}: {err}");
        }
    }

    #[test]
    fn gcp_project_ids_locations_and_names() {
        assert!(gcp_project_id("adjective-noun-12345").is_ok());
        for bad in ["short", "1project", "Project-id", "project-", "a_b_c_d_e"] {
            assert!(gcp_project_id(bad).is_err(), "{bad}");
        }
        for good in ["us-east1", "global", "us", "nam-eur-asia1"] {
            assert!(kms_location(good).is_ok(), "{good}");
        }
        for bad in ["US-EAST1", "us east1", "1us"] {
            assert!(kms_location(bad).is_err(), "{bad}");
        }
        assert!(kms_resource_name(FieldId::KmsKeyName, "openai-kms-key").is_ok());
        assert!(kms_resource_name(FieldId::KmsKeyRingName, "ring/1").is_err());
        assert!(kms_resource_name(FieldId::KmsKeyName, &"k".repeat(64)).is_err());
        assert!(gcp_role_id("openaiEkm.encryptDecrypt_1").is_ok());
        assert!(gcp_role_id("ab").is_err());
        assert!(gcp_role_id("openai-ekm").is_err());
    }

    #[test]
    fn azure_ids() {
        let tenant = FieldId::TenantId;
        assert!(azure_uuid(tenant, "72F988BF-86f1-41af-91ab-2d7cd011db47").is_ok());
        assert!(azure_uuid(tenant, "72f988bf-86f1-41af-91ab").is_err());
        assert!(
            azure_uuid(tenant, "contoso.onmicrosoft.com")
                .unwrap_err()
                .problem
                .contains("UUID")
        );
        assert!(resource_group("rg-ekm_prod(1)").is_ok());
        assert!(resource_group("rg.").is_err());
        assert!(resource_group("rg/x").is_err());
    }

    #[test]
    fn vault_uris_are_normalised() {
        for input in [
            "https://contoso-ekm.vault.azure.net/",
            "https://contoso-ekm.vault.azure.net",
            "contoso-ekm.vault.azure.net",
            "contoso-ekm",
            "https://Contoso-EKM.vault.azure.net/",
        ] {
            assert_eq!(
                vault_uri(input).unwrap(),
                "https://contoso-ekm.vault.azure.net/",
                "{input}"
            );
        }
        for (bad, fragment) in [
            ("http://contoso.vault.azure.net/", "https"),
            ("https://contoso.vault.azure.cn/", "vault.azure.cn"),
            ("https://contoso.vault.azure.net/keys/k", "path"),
            ("ab", "3 to 24"),
            ("1vault", "start with a letter"),
            ("vault--x", "two in a row"),
            ("va_ult", "contains '_'"),
        ] {
            let err = vault_uri(bad).unwrap_err();
            assert!(err.to_string().contains(fragment), "{bad}: {err}");
        }
    }

    #[test]
    fn azure_key_names_follow_the_org_prefix_rule() {
        assert_eq!(
            azure_key_name("org-abc--ekm-key", Some("org-abc")).unwrap(),
            "org-abc--ekm-key"
        );
        assert!(azure_key_name("org-a-b-c--k1", Some("org-a-b-c")).is_ok());
        assert!(azure_key_name("org-abc--ekm", None).is_ok());
        for (bad, fragment) in [
            ("ekm-key", "organization id"),
            ("org-abc-ekm", "no `--`"),
            ("org-abc--", "nothing after"),
            ("org-abc--ekm_key", "contains '_'"),
            ("org-xyz--ekm", "not with your organization id `org-abc`"),
        ] {
            let err = azure_key_name(bad, Some("org-abc")).unwrap_err();
            assert!(err.to_string().contains(fragment), "{bad}: {err}");
        }
    }

    fn inputs_with(values: &[(FieldId, &str)]) -> crate::guide::Inputs {
        let mut inputs = crate::guide::Inputs::new(crate::guide::Cloud::Aws);
        for (field, value) in values {
            inputs.set(*field, *value);
        }
        inputs
    }

    fn refused(field: FieldId, value: &str, inputs: &crate::guide::Inputs) -> String {
        field.validate(value, inputs).expect_err(value).to_string()
    }

    #[test]
    fn classic_mix_ups_are_named() {
        let org = inputs_with(&[(FieldId::OrgId, "org-abc123")]);
        let said = refused(
            FieldId::RoleArn,
            "arn:aws:iam::790389265272:role/EnterpriseKeyManagement",
            &org,
        );
        assert!(said.contains("OpenAI's own role"), "{said}");
        let said = refused(
            FieldId::TenantId,
            "20a14814-5ab7-4612-a671-1382b412bf93",
            &org,
        );
        assert!(said.contains("OpenAI's application id"), "{said}");
        let said = refused(FieldId::ExternalId, "org-someoneelse", &org);
        assert!(said.contains("another organization's id"), "{said}");
        assert!(FieldId::ExternalId.validate("org-abc123", &org).is_ok());
        assert!(FieldId::ExternalId.validate("proj_Abc1", &org).is_ok());
        let said = refused(FieldId::KmsKeyLocation, "us-east-1", &org);
        assert!(said.contains("AWS region"), "{said}");
        assert!(FieldId::KmsKeyLocation.validate("us-east1", &org).is_ok());
        let alias = inputs_with(&[(
            FieldId::KmsArn,
            "arn:aws:kms:us-east-1:111122223333:alias/openai-ekm",
        )]);
        let said = refused(
            FieldId::KeyArn,
            "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            &alias,
        );
        assert!(said.contains("the alias is in"), "{said}");
    }

    #[test]
    fn full_names_give_their_id_and_broken_lines_are_joined() {
        let none = inputs_with(&[]);
        let name = "projects/p-1/locations/us-east1/keyRings/ring-1/cryptoKeys/key-1";
        assert_eq!(FieldId::KmsKeyName.validate(name, &none).unwrap(), "key-1");
        assert_eq!(
            FieldId::KmsKeyRingName.validate(name, &none).unwrap(),
            "ring-1"
        );
        assert_eq!(
            FieldId::KmsKeyLocation.validate(name, &none).unwrap(),
            "us-east1"
        );
        assert_eq!(
            FieldId::KmsProjectId
                .validate("projects/adjective-noun-12345", &none)
                .unwrap(),
            "adjective-noun-12345"
        );
        let provider = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/pool-1/providers/prov-1";
        assert_eq!(
            FieldId::WorkloadIdentityPoolId
                .validate(provider, &none)
                .unwrap(),
            "pool-1"
        );
        assert_eq!(
            FieldId::WorkloadIdentityProviderId
                .validate(provider, &none)
                .unwrap(),
            "prov-1"
        );
        let broken =
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-\n34cd-56ef-1234567890ab";
        let recorded = FieldId::KmsArn.validate(broken, &none).unwrap();
        assert_eq!(
            recorded,
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        );
        assert_eq!(
            cleaning_note(broken, &recorded),
            Some("spaces and line breaks removed")
        );
        assert_eq!(
            cleaning_note(name, "key-1"),
            Some("the id taken from the full name")
        );
    }
}
