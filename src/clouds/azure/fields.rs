//! The Azure fields: their rules, defaults, flags and the mix-ups they catch. Where an id is
//! asked, a Resource Manager id or a Key Vault key identifier pasted in gives it, and the other
//! ids it holds (the key's vault, the vault's group and subscription) fill their fields or are
//! refused when they differ.

use crate::guide::validate::{first_bad_char, is_alnum_hyphen, non_empty, org_id};
use crate::guide::{FieldError, FieldId, FieldSpec, Implied};

use super::OPENAI_APP_ID;
use super::ids::*;

/// The Azure kit's own fields.
pub static FIELDS: [FieldSpec; 6] = [
    FieldSpec {
        id: TENANT_ID,
        expected: "a UUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47",
        flag_help: "Your Entra ID tenant id (a UUID).",
        keeps_spaces: false,
        clean: None,
        default: None,
        default_follows: None,
        validate: |raw, _| {
            not_openai_app(TENANT_ID, raw, "tenant id")?;
            azure_uuid(TENANT_ID, raw)
        },
        relevant: None,
        implies: None,
    },
    FieldSpec {
        id: VAULT_URI,
        expected: "https://<vault name>.vault.azure.net/ (or just the vault name)",
        flag_help: "The vault's URI (or its name).",
        keeps_spaces: false,
        clean: Some(|v| vault_part(v).unwrap_or_else(|| v.to_string())),
        default: None,
        default_follows: None,
        validate: |raw, _| vault_uri(raw),
        relevant: None,
        implies: Some(|v| named_fields(v, VAULT_URI)),
    },
    FieldSpec {
        id: KEY_NAME,
        expected: "<your org id>--<name>, letters, digits and hyphens, e.g. org-2fGxYz8kLm--openai-ekm",
        flag_help: "The key's name: <org id>--<name>.",
        keeps_spaces: false,
        clean: Some(|v| key_part(v).unwrap_or_else(|| v.to_string())),
        default: None,
        default_follows: None,
        validate: |raw, inputs| {
            let org = org_id(inputs.raw(FieldId::ORG_ID)).ok();
            azure_key_name(raw, org.as_deref())
        },
        relevant: None,
        implies: Some(|v| named_fields(v, KEY_NAME)),
    },
    FieldSpec {
        id: SUBSCRIPTION_ID,
        expected: "a UUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47",
        flag_help: "The subscription of the role and the vault.",
        keeps_spaces: false,
        clean: Some(|v| arm_segment(v, "subscriptions").unwrap_or_else(|| v.to_string())),
        default: None,
        default_follows: None,
        validate: |raw, _| {
            not_openai_app(SUBSCRIPTION_ID, raw, "subscription id")?;
            azure_uuid(SUBSCRIPTION_ID, raw)
        },
        relevant: None,
        implies: Some(|v| named_fields(v, SUBSCRIPTION_ID)),
    },
    FieldSpec {
        id: RESOURCE_GROUP,
        expected: "1 to 90 letters, digits or _-.(), not ending with a period",
        flag_help: "The vault's resource group.",
        keeps_spaces: false,
        clean: Some(|v| arm_segment(v, "resourceGroups").unwrap_or_else(|| v.to_string())),
        default: None,
        default_follows: None,
        validate: |raw, _| resource_group(raw),
        relevant: None,
        implies: Some(|v| named_fields(v, RESOURCE_GROUP)),
    },
    FieldSpec {
        id: ROLE_NAME,
        expected: "1 to 100 printable characters",
        flag_help: "The custom role's name.",
        keeps_spaces: true,
        clean: None,
        default: Some(|_| "OpenAI EKM key user".to_string()),
        default_follows: None,
        validate: |raw, _| azure_role_name(raw),
        relevant: None,
        implies: None,
    },
];

/// The (collection, name) pairs of a Resource Manager id
/// (`/subscriptions/S/resourceGroups/G/providers/Microsoft.KeyVault/vaults/V/keys/K`), read
/// from its `subscriptions` segment on (a `https://management.azure.com` before it is
/// allowed); `None` when the value is no such id.
fn arm_pairs(value: &str) -> Option<Vec<(&str, &str)>> {
    let lower = value.to_ascii_lowercase();
    let start = lower.find("subscriptions/")?;
    if start > 0 && !value[..start].ends_with('/') {
        return None;
    }
    let segments: Vec<&str> = value[start..].trim_end_matches('/').split('/').collect();
    Some(
        segments
            .chunks(2)
            .take_while(|pair| pair.len() == 2 && !pair[0].is_empty() && !pair[1].is_empty())
            .map(|pair| (pair[0], pair[1]))
            .collect(),
    )
}

/// The name `collection` has in a Resource Manager id (collections compared without regard to
/// case, as Resource Manager does); a vault or key only under `providers/Microsoft.KeyVault`.
fn arm_segment(value: &str, collection: &str) -> Option<String> {
    let mut key_vault = false;
    for (c, name) in arm_pairs(value)? {
        if c.eq_ignore_ascii_case("providers") {
            key_vault = name.eq_ignore_ascii_case("Microsoft.KeyVault");
            continue;
        }
        let needs_key_vault = ["vaults", "keys"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(collection));
        if c.eq_ignore_ascii_case(collection) && (key_vault || !needs_key_vault) {
            return Some(name.to_string());
        }
    }
    None
}

/// The vault and key of a Key Vault key identifier,
/// `https://<vault>.vault.azure.net/keys/<name>[/<version>]`.
fn key_identifier(value: &str) -> Option<(String, String)> {
    let rest = value.strip_prefix("https://")?;
    let (host, path) = rest.split_once('/')?;
    let (vault, domain) = host.split_once('.')?;
    if !domain.eq_ignore_ascii_case("vault.azure.net") {
        return None;
    }
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    match segments.as_slice() {
        ["keys", name] | ["keys", name, _] if !name.is_empty() => {
            Some((vault.to_string(), name.to_string()))
        }
        _ => None,
    }
}

/// The vault a pasted id names: its URI from a key identifier, its name from a Resource
/// Manager id.
fn vault_part(value: &str) -> Option<String> {
    if let Some((vault, _)) = key_identifier(value) {
        return Some(format!("https://{vault}.vault.azure.net/"));
    }
    arm_segment(value, "vaults")
}

/// The key a pasted key identifier or Resource Manager id names.
fn key_part(value: &str) -> Option<String> {
    key_identifier(value)
        .map(|(_, key)| key)
        .or_else(|| arm_segment(value, "keys"))
}

/// The fields an Azure id holds besides the one it was pasted in: a Resource Manager id gives
/// the subscription, resource group and (under Microsoft.KeyVault) the vault and key; a key
/// identifier gives the vault and key. Subscriptions, groups and vaults compare without
/// regard to case, as Azure does.
pub fn named_fields(value: &str, pasted_in: FieldId) -> Vec<Implied> {
    let mut parts = Vec::new();
    if let Some((vault, key)) = key_identifier(value) {
        parts.push(Implied::any_case(VAULT_URI, &vault));
        parts.push(Implied::new(KEY_NAME, &key));
    } else if arm_pairs(value).is_some() {
        for (field, collection, any_case) in [
            (SUBSCRIPTION_ID, "subscriptions", true),
            (RESOURCE_GROUP, "resourceGroups", true),
            (VAULT_URI, "vaults", true),
            (KEY_NAME, "keys", false),
        ] {
            if let Some(name) = arm_segment(value, collection) {
                parts.push(if any_case {
                    Implied::any_case(field, &name)
                } else {
                    Implied::new(field, &name)
                });
            }
        }
    }
    parts.retain(|part| part.field != pasted_in);
    parts
}

/// OpenAI's application id is not one of the admin's own ids.
fn not_openai_app(field: FieldId, value: &str, what: &str) -> Result<(), FieldError> {
    if value.trim().eq_ignore_ascii_case(OPENAI_APP_ID) {
        return Err(FieldError::new(
            field,
            format!(
                "is OpenAI's application id, not your {what}; find yours in Entra ID › Overview"
            ),
        ));
    }
    Ok(())
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
    let field = RESOURCE_GROUP;
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
    let field = VAULT_URI;
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
    let field = KEY_NAME;
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
    let field = ROLE_NAME;
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
    fn azure_ids() {
        let tenant = TENANT_ID;
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

    const SUBSCRIPTION: &str = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";

    fn parts(value: &str, pasted_in: FieldId) -> Vec<(FieldId, String, bool)> {
        named_fields(value, pasted_in)
            .into_iter()
            .map(|part| (part.field, part.value, part.any_case))
            .collect()
    }

    #[test]
    fn a_resource_id_names_its_subscription_group_vault_and_key() {
        let key = format!(
            "/subscriptions/{SUBSCRIPTION}/resourcegroups/rg-ekm/providers/Microsoft.KeyVault/vaults/contoso-ekm/keys/org-abc--k/versions/01ab"
        );
        assert_eq!(
            parts(&key, KEY_NAME),
            [
                (SUBSCRIPTION_ID, SUBSCRIPTION.to_string(), true),
                (RESOURCE_GROUP, "rg-ekm".to_string(), true),
                (VAULT_URI, "contoso-ekm".to_string(), true),
            ]
        );
        assert_eq!(key_part(&key).as_deref(), Some("org-abc--k"));
        assert_eq!(vault_part(&key).as_deref(), Some("contoso-ekm"));
        assert_eq!(
            arm_segment(&key, "subscriptions").as_deref(),
            Some(SUBSCRIPTION)
        );
        // Another provider's vaults are not Key Vault's.
        let other = format!(
            "https://management.azure.com/subscriptions/{SUBSCRIPTION}/resourceGroups/rg/providers/Microsoft.Other/vaults/v"
        );
        assert_eq!(arm_segment(&other, "vaults"), None);
        assert_eq!(arm_segment(&other, "resourceGroups").as_deref(), Some("rg"));
        assert_eq!(
            parts(&format!("/subscriptions/{SUBSCRIPTION}"), SUBSCRIPTION_ID),
            []
        );
        assert!(parts("rg-ekm", RESOURCE_GROUP).is_empty());
        assert_eq!(arm_segment("/notsubscriptions/x", "subscriptions"), None);
    }

    #[test]
    fn a_key_identifier_names_its_vault_and_key() {
        let id = "https://Contoso-EKM.vault.azure.net/keys/org-abc--k/0123456789abcdef";
        assert_eq!(
            parts(id, VAULT_URI),
            [(KEY_NAME, "org-abc--k".to_string(), false)]
        );
        assert_eq!(
            parts(id, KEY_NAME),
            [(VAULT_URI, "Contoso-EKM".to_string(), true)]
        );
        assert_eq!(
            vault_part("https://contoso.vault.azure.net/keys/k").as_deref(),
            Some("https://contoso.vault.azure.net/")
        );
        for not_a_key in [
            "https://contoso.vault.azure.net/secrets/s",
            "https://contoso.vault.azure.net/keys/",
            "https://contoso.vault.azure.cn/keys/k",
            "http://contoso.vault.azure.net/keys/k",
        ] {
            assert_eq!(key_identifier(not_a_key), None, "{not_a_key}");
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
}
