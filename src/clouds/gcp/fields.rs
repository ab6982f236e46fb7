//! The Google Cloud fields: their rules, defaults, flags and the mix-ups they catch. Where an
//! id is asked, a full resource name pasted in gives its id, and the other ids it holds (a
//! key's project, location and ring) fill their fields or are refused when they differ.

use crate::guide::validate::{
    first_bad_char, is_dashed_region, non_empty, presented_id, presented_id_mix_up,
};
use crate::guide::{FieldError, FieldId, FieldSpec, Implied, fields::org_id_as_default};

use super::OPENAI_SUBJECT_ID;
use super::ids::*;

/// The Google Cloud kit's own fields.
pub static FIELDS: [FieldSpec; 9] = [
    FieldSpec {
        id: WORKLOAD_IDENTITY_PROJECT_NUMBER,
        expected: "the project number, digits only, e.g. 123456789012",
        flag_help: "The number (digits) of the project holding the workload identity pool.",
        keeps_spaces: false,
        clean: Some(|v| id_in(v, "projects")),
        default: None,
        default_follows: None,
        validate: |raw, _| {
            if raw.trim() == OPENAI_SUBJECT_ID {
                return Err(FieldError::new(
                    WORKLOAD_IDENTITY_PROJECT_NUMBER,
                    "is OpenAI's service account id, not your project number; copy the number from the project dashboard",
                ));
            }
            project_number(raw)
        },
        relevant: None,
        implies: Some(|v| named_fields(v, WORKLOAD_IDENTITY_PROJECT_NUMBER)),
    },
    FieldSpec {
        id: WORKLOAD_IDENTITY_POOL_ID,
        expected: "4 to 32 lowercase letters, digits or hyphens, not starting with gcp-, e.g. openai-ekm",
        flag_help: "The workload identity pool's id.",
        keeps_spaces: false,
        clean: Some(|v| id_in(v, "workloadIdentityPools")),
        default: None,
        default_follows: None,
        validate: |raw, _| workload_identity_id(WORKLOAD_IDENTITY_POOL_ID, raw),
        relevant: None,
        implies: Some(|v| named_fields(v, WORKLOAD_IDENTITY_POOL_ID)),
    },
    FieldSpec {
        id: WORKLOAD_IDENTITY_PROVIDER_ID,
        expected: "4 to 32 lowercase letters, digits or hyphens, e.g. openai-ekm-provider",
        flag_help: "The OIDC provider's id in that pool.",
        keeps_spaces: false,
        clean: Some(|v| id_in(v, "providers")),
        default: None,
        default_follows: None,
        validate: |raw, _| workload_identity_id(WORKLOAD_IDENTITY_PROVIDER_ID, raw),
        relevant: None,
        implies: Some(|v| named_fields(v, WORKLOAD_IDENTITY_PROVIDER_ID)),
    },
    FieldSpec {
        id: AUDIENCE,
        expected: "the organization id (org-…) or an API project id (proj_ then letters and digits)",
        flag_help: "The audience OpenAI's token carries (default: the org id).",
        keeps_spaces: false,
        clean: None,
        default: Some(org_id_as_default),
        default_follows: Some(FieldId::ORG_ID),
        validate: |raw, inputs| {
            presented_id_mix_up(AUDIENCE, raw, inputs)?;
            presented_id(AUDIENCE, raw)
        },
        relevant: None,
        implies: None,
    },
    FieldSpec {
        id: KMS_PROJECT_ID,
        expected: "a project id: 6 to 30 lowercase letters, digits or hyphens, e.g. adjective-noun-12345",
        flag_help: "The id of the project holding the key.",
        keeps_spaces: false,
        clean: Some(|v| id_in(v, "projects")),
        default: None,
        default_follows: None,
        validate: |raw, _| gcp_project_id(raw),
        relevant: None,
        implies: Some(|v| named_fields(v, KMS_PROJECT_ID)),
    },
    FieldSpec {
        id: KMS_KEY_RING_NAME,
        expected: "1 to 63 letters, digits, _ or -, e.g. openai-kms-key-ring",
        flag_help: "The key ring's name.",
        keeps_spaces: false,
        clean: Some(|v| id_in(v, "keyRings")),
        default: None,
        default_follows: None,
        validate: |raw, _| kms_resource_name(KMS_KEY_RING_NAME, raw),
        relevant: None,
        implies: Some(|v| named_fields(v, KMS_KEY_RING_NAME)),
    },
    FieldSpec {
        id: KMS_KEY_NAME,
        expected: "1 to 63 letters, digits, _ or -, e.g. openai-kms-key",
        flag_help: "The key's name.",
        keeps_spaces: false,
        clean: Some(|v| id_in(v, "cryptoKeys")),
        default: None,
        default_follows: None,
        validate: |raw, _| kms_resource_name(KMS_KEY_NAME, raw),
        relevant: None,
        implies: Some(|v| named_fields(v, KMS_KEY_NAME)),
    },
    FieldSpec {
        id: KMS_KEY_LOCATION,
        expected: "a Cloud KMS location such as us-east1, europe-west4 or global",
        flag_help: "The key ring's location, such as us-east1.",
        keeps_spaces: false,
        clean: Some(|v| id_in(v, "locations")),
        default: None,
        default_follows: None,
        validate: |raw, _| {
            let value = raw.trim();
            if is_dashed_region(value) {
                return Err(FieldError::new(
                    KMS_KEY_LOCATION,
                    format!(
                        "`{value}` is an AWS region; Cloud KMS locations have no hyphen before the number (us-east1, europe-west4) or are global, us, eu"
                    ),
                ));
            }
            kms_location(raw)
        },
        relevant: None,
        implies: Some(|v| named_fields(v, KMS_KEY_LOCATION)),
    },
    FieldSpec {
        id: ROLE_ID,
        expected: "3 to 64 letters, digits, _ or ., e.g. openaiEkmEncryptDecrypt",
        flag_help: "The custom role's id in the commands.",
        keeps_spaces: false,
        clean: Some(|v| id_in(v, "roles")),
        default: Some(|_| "openaiEkmEncryptDecrypt".to_string()),
        default_follows: None,
        validate: |raw, _| gcp_role_id(raw),
        relevant: None,
        implies: None,
    },
];

/// Where a full resource name was pasted (`projects/p/locations/l/keyRings/r`), the id of
/// `collection`'s member; anything else as it is.
fn id_in(value: &str, collection: &str) -> String {
    if !value.contains('/') {
        return value.to_string();
    }
    let name = value.trim_start_matches("//");
    segment_after(name, collection)
        .map(str::to_string)
        .unwrap_or_else(|| value.to_string())
}

/// The fields a Google Cloud resource name holds besides the one it was pasted in. A Cloud KMS
/// name (`projects/P/locations/L/keyRings/R/cryptoKeys/K`, perhaps with a version or behind
/// `//cloudkms.googleapis.com/`) gives the key's project id, location, ring and key; a
/// workload identity name (`projects/NUMBER/locations/global/workloadIdentityPools/POOL/
/// providers/PROVIDER`, perhaps behind `//iam.googleapis.com/`) gives the pool's project
/// number, pool and provider. A name that is neither (`projects/P/locations/L`) belongs to the
/// family of the field it was pasted in. A project given by its number where the key's
/// project id is asked gives nothing for it (the two cannot be compared here).
pub fn named_fields(value: &str, pasted_in: FieldId) -> Vec<Implied> {
    let Some(start) = value.find("projects/") else {
        return Vec::new();
    };
    if start > 0 && !value[..start].ends_with('/') {
        return Vec::new();
    }
    let segments: Vec<&str> = value[start..].trim_end_matches('/').split('/').collect();
    let pairs: Vec<(&str, &str)> = segments
        .chunks(2)
        .take_while(|pair| pair.len() == 2 && !pair[0].is_empty() && !pair[1].is_empty())
        .map(|pair| (pair[0], pair[1]))
        .collect();
    let has = |collection: &str| pairs.iter().any(|(c, _)| *c == collection);
    let kms = [
        KMS_PROJECT_ID,
        KMS_KEY_LOCATION,
        KMS_KEY_RING_NAME,
        KMS_KEY_NAME,
    ];
    let pool = [
        WORKLOAD_IDENTITY_PROJECT_NUMBER,
        WORKLOAD_IDENTITY_POOL_ID,
        WORKLOAD_IDENTITY_PROVIDER_ID,
    ];
    let workload_identity = if has("workloadIdentityPools") {
        true
    } else if has("keyRings") || has("cryptoKeys") {
        false
    } else if pool.contains(&pasted_in) {
        true
    } else if kms.contains(&pasted_in) {
        false
    } else {
        return Vec::new();
    };
    let is_number = |id: &str| id.chars().all(|c| c.is_ascii_digit());
    pairs
        .iter()
        .filter_map(|(collection, id)| {
            let field = match (workload_identity, *collection) {
                (true, "projects") if is_number(id) => WORKLOAD_IDENTITY_PROJECT_NUMBER,
                (true, "workloadIdentityPools") => WORKLOAD_IDENTITY_POOL_ID,
                (true, "providers") => WORKLOAD_IDENTITY_PROVIDER_ID,
                (false, "projects") if !is_number(id) => KMS_PROJECT_ID,
                (false, "locations") => KMS_KEY_LOCATION,
                (false, "keyRings") => KMS_KEY_RING_NAME,
                (false, "cryptoKeys") => KMS_KEY_NAME,
                _ => return None,
            };
            (field != pasted_in).then(|| Implied::new(field, id))
        })
        .collect()
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

/// A Google Cloud project number: digits only (OpenAI accepts 1 to 19; most have 12).
pub fn project_number(raw: &str) -> Result<String, FieldError> {
    let field = WORKLOAD_IDENTITY_PROJECT_NUMBER;
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
    if field == WORKLOAD_IDENTITY_POOL_ID && value.starts_with("gcp-") {
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
    let field = KMS_PROJECT_ID;
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
    let field = KMS_KEY_LOCATION;
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
    let field = ROLE_ID;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(value: &str, pasted_in: FieldId) -> Vec<(FieldId, String)> {
        named_fields(value, pasted_in)
            .into_iter()
            .map(|part| (part.field, part.value))
            .collect()
    }

    #[test]
    fn a_kms_name_names_its_project_location_ring_and_key() {
        let key = "projects/p-123456/locations/us-east1/keyRings/ring-1/cryptoKeys/key-1";
        let owned = |f: FieldId, v: &str| (f, v.to_string());
        assert_eq!(
            parts(key, KMS_KEY_NAME),
            [
                owned(KMS_PROJECT_ID, "p-123456"),
                owned(KMS_KEY_LOCATION, "us-east1"),
                owned(KMS_KEY_RING_NAME, "ring-1"),
            ]
        );
        // Behind the service's name, with a version, pasted in the ring's field.
        let version = format!("//cloudkms.googleapis.com/{key}/cryptoKeyVersions/3");
        assert_eq!(
            parts(&version, KMS_KEY_RING_NAME),
            [
                owned(KMS_PROJECT_ID, "p-123456"),
                owned(KMS_KEY_LOCATION, "us-east1"),
                owned(KMS_KEY_NAME, "key-1"),
            ]
        );
        // A project given by number is not the project id asked for.
        assert_eq!(
            parts(
                "projects/123456789012/locations/us/keyRings/r/cryptoKeys/k",
                KMS_KEY_NAME
            ),
            [owned(KMS_KEY_LOCATION, "us"), owned(KMS_KEY_RING_NAME, "r")]
        );
        // A short name belongs to the family of the field it was pasted in.
        assert_eq!(
            parts("projects/p-123456/locations/europe-west4", KMS_KEY_LOCATION),
            [owned(KMS_PROJECT_ID, "p-123456")]
        );
        // Not a resource name: nothing.
        assert!(parts("ring-1", KMS_KEY_RING_NAME).is_empty());
        assert!(parts("myprojects/p/keyRings/r", KMS_KEY_RING_NAME).is_empty());
    }

    #[test]
    fn a_workload_identity_name_names_its_project_number_pool_and_provider() {
        let owned = |f: FieldId, v: &str| (f, v.to_string());
        let provider = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/pool-1/providers/prov-1";
        assert_eq!(
            parts(provider, WORKLOAD_IDENTITY_PROJECT_NUMBER),
            [
                owned(WORKLOAD_IDENTITY_POOL_ID, "pool-1"),
                owned(WORKLOAD_IDENTITY_PROVIDER_ID, "prov-1"),
            ]
        );
        assert_eq!(
            parts(provider, WORKLOAD_IDENTITY_PROVIDER_ID),
            [
                owned(WORKLOAD_IDENTITY_PROJECT_NUMBER, "123456789012"),
                owned(WORKLOAD_IDENTITY_POOL_ID, "pool-1"),
            ]
        );
        // The principal OpenAI is given names the same pool.
        let principal = "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/pool-1/subject/105900137572174660365";
        assert!(
            parts(principal, WORKLOAD_IDENTITY_PROJECT_NUMBER)
                .contains(&owned(WORKLOAD_IDENTITY_POOL_ID, "pool-1"))
        );
        // `projects/NUMBER` alone, in the number's field, names nothing else.
        assert!(parts("projects/123456789012", WORKLOAD_IDENTITY_PROJECT_NUMBER).is_empty());
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
        let pool = WORKLOAD_IDENTITY_POOL_ID;
        let provider = WORKLOAD_IDENTITY_PROVIDER_ID;
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
        assert!(kms_resource_name(KMS_KEY_NAME, "openai-kms-key").is_ok());
        assert!(kms_resource_name(KMS_KEY_RING_NAME, "ring/1").is_err());
        assert!(kms_resource_name(KMS_KEY_NAME, &"k".repeat(64)).is_err());
        assert!(gcp_role_id("openaiEkm.encryptDecrypt_1").is_ok());
        assert!(gcp_role_id("ab").is_err());
        assert!(gcp_role_id("openai-ekm").is_err());
    }
}
