//! The AWS fields: their rules, defaults, flags and the mix-ups they catch, and the ARNs
//! taken apart for the artifacts and checks.

use crate::guide::validate::{
    first_bad_char, is_dashed_region, is_lower_hex, is_uuid, non_empty, presented_id,
    presented_id_mix_up,
};
use crate::guide::{FieldError, FieldId, FieldSpec, Inputs, fields::org_id_as_default};

use super::OPENAI_PRINCIPAL_ARN;
use super::ids::*;

/// The AWS kit's own fields.
pub static FIELDS: [FieldSpec; 5] = [
    FieldSpec {
        id: KMS_ARN,
        expected: "arn:aws:kms:<region>:<12-digit account>:key/<uuid>, …:key/mrk-<32 hex> or …:alias/<name>",
        flag_help: "The KMS key ARN: …:key/<uuid>, …:key/mrk-… or …:alias/<name>.",
        keeps_spaces: false,
        clean: None,
        default: None,
        default_follows: None,
        validate: |raw, _| kms_arn(raw).map(|a| a.arn()),
        relevant: None,
        implies: None,
    },
    FieldSpec {
        id: KEY_ARN,
        expected: "arn:aws:kms:<region>:<12-digit account>:key/<uuid> or …:key/mrk-<32 hex>",
        flag_help: "For an alias kms_arn: the ARN of the key the alias points to (IAM policies name it).",
        keeps_spaces: false,
        clean: None,
        default: None,
        default_follows: None,
        validate: |raw, inputs| {
            key_in_alias_place(raw, inputs)?;
            key_arn(raw).map(|a| a.arn())
        },
        relevant: Some(|inputs| recorded_alias(inputs).is_some()),
        implies: None,
    },
    FieldSpec {
        id: ROLE_ARN,
        expected: "arn:aws:iam::<12-digit account>:role/<name>",
        flag_help: "The ARN of the role OpenAI assumes.",
        keeps_spaces: false,
        clean: None,
        default: None,
        default_follows: None,
        validate: |raw, _| {
            if raw.trim() == OPENAI_PRINCIPAL_ARN {
                return Err(FieldError::new(
                    ROLE_ARN,
                    "is OpenAI's own role, which calls yours; record the role you created in your account (step 3)",
                ));
            }
            role_arn(raw).map(|a| a.arn())
        },
        relevant: None,
        implies: None,
    },
    FieldSpec {
        id: EXTERNAL_ID,
        expected: "the organization id (org-…) or an API project id (proj_ then letters and digits)",
        flag_help: "The id OpenAI presents as ExternalId (default: the org id).",
        keeps_spaces: false,
        clean: None,
        default: Some(org_id_as_default),
        default_follows: Some(FieldId::ORG_ID),
        validate: |raw, inputs| {
            presented_id_mix_up(EXTERNAL_ID, raw, inputs)?;
            presented_id(EXTERNAL_ID, raw)
        },
        relevant: None,
        implies: None,
    },
    FieldSpec {
        id: POLICY_NAME,
        expected: "1 to 128 letters, digits or +=,.@_-",
        flag_help: "The IAM policy's name in the CLI commands.",
        keeps_spaces: false,
        clean: None,
        default: Some(|_| "openai-ekm-kms-access".to_string()),
        default_follows: None,
        validate: |raw, _| policy_name(raw),
        relevant: None,
        implies: None,
    },
];

/// Warnings about valid values: a key recorded by its alias can be revoked by moving the alias.
pub fn warnings(inputs: &Inputs) -> Vec<(FieldId, String)> {
    let Some(alias) = inputs
        .validated(KMS_ARN)
        .ok()
        .and_then(|v| kms_arn(&v).ok())
        .filter(KmsArn::is_alias)
    else {
        return Vec::new();
    };
    let key = inputs
        .validated(KEY_ARN)
        .ok()
        .filter(|_| !inputs.raw(KEY_ARN).trim().is_empty())
        .and_then(|v| key_arn(&v).ok())
        .map(|k| k.arn())
        .unwrap_or_else(|| {
            format!(
                "arn:aws:kms:{}:{}:key/<id>; `aws kms describe-key --key-id {} --region {}` shows it",
                alias.region,
                alias.account,
                alias.resource_part(),
                alias.region
            )
        });
    vec![(
        KMS_ARN,
        format!(
            "{} is an alias: OpenAI follows it to whichever key it points at, so pointing the alias at another key revokes OpenAI's access to everything encrypted under the old one (a revocation, not a rotation: rotation keeps the same key). Register the key ARN instead: {key}",
            alias.resource_part()
        ),
    )]
}

/// The recorded key ARN when it is an alias.
pub fn recorded_alias(inputs: &Inputs) -> Option<KmsArn> {
    kms_arn(&inputs.clean(KMS_ARN, inputs.raw(KMS_ARN)))
        .ok()
        .filter(KmsArn::is_alias)
}

/// The key behind an alias lives in the alias's own account and region.
fn key_in_alias_place(value: &str, inputs: &Inputs) -> Result<(), FieldError> {
    let (Some(alias), Ok(key)) = (recorded_alias(inputs), key_arn(value.trim())) else {
        return Ok(());
    };
    if alias.region != key.region || alias.account != key.account {
        return Err(FieldError::new(
            KEY_ARN,
            format!(
                "is in {} {}, but the alias is in {} {}: an alias names a key of its own account and region",
                key.account, key.region, alias.account, alias.region
            ),
        ));
    }
    Ok(())
}

/// A KMS key ARN taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsArn {
    pub region: String,
    pub account: String,
    pub resource: KmsResource,
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

fn is_account(value: &str) -> bool {
    value.len() == 12 && value.chars().all(|c| c.is_ascii_digit())
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
    parse_kms_arn(KMS_ARN, raw)
}

/// The key ARN behind an alias: a `key/…` form only.
pub fn key_arn(raw: &str) -> Result<KmsArn, FieldError> {
    let field = KEY_ARN;
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
    if !is_dashed_region(&region) {
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
    let field = ROLE_ARN;
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
    let field = POLICY_NAME;
    let value = non_empty(field, raw)?;
    if value.len() > 128 {
        return Err(FieldError::new(field, "is longer than 128 characters"));
    }
    if let Some(c) = first_bad_char(value, is_iam_name_char) {
        return Err(FieldError::new(field, format!("contains {c:?}")));
    }
    Ok(value.to_string())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_warns_that_moving_it_revokes_and_recommends_the_key_arn() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let mut inputs = Inputs::new(crate::clouds::aws::cloud());
        inputs.set(FieldId::ORG_ID, "org-abc123");
        inputs.set(KMS_ARN, key);
        assert!(warnings(&inputs).is_empty(), "a key ARN is not an alias");
        inputs.set(
            KMS_ARN,
            "arn:aws:kms:us-east-1:123456789012:alias/openai-ekm",
        );
        let found = warnings(&inputs);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, KMS_ARN);
        assert!(
            found[0]
                .1
                .contains("pointing the alias at another key revokes OpenAI's access")
                && found[0]
                    .1
                    .contains("describe-key --key-id alias/openai-ekm --region us-east-1"),
            "{}",
            found[0].1
        );
        inputs.set(KEY_ARN, key);
        assert!(
            warnings(&inputs)[0]
                .1
                .ends_with(&format!("Register the key ARN instead: {key}")),
            "{:?}",
            warnings(&inputs)
        );
        inputs.set(KMS_ARN, "not an arn");
        assert!(
            warnings(&inputs).is_empty(),
            "a refused value is an error, not a warning"
        );
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
        let inputs = Inputs::new(crate::clouds::aws::cloud());
        for (input, fragment) in cases {
            let err = inputs.complete(kms_arn(input).unwrap_err());
            assert_eq!(err.field, KMS_ARN);
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
    fn policy_names() {
        assert!(policy_name("openai-ekm-kms-access").is_ok());
        assert!(policy_name("bad name").is_err());
        assert!(policy_name(&"a".repeat(129)).is_err());
    }
}
