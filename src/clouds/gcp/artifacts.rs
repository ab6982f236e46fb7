//! Google Cloud artifacts: the identity token OpenAI presents, the workload identity provider's
//! settings, the custom role, OpenAI's federated principal, the registration body, the
//! ChatGPT Enterprise details, and the `gcloud` equivalents.

use serde_json::{Value, json};

use super::ids::*;
use super::{OPENAI_SUBJECT_ID, OPENAI_TOKEN_ISSUER};
use crate::artifacts::shell::{continued, quote};
use crate::artifacts::{
    ArtifactBody, Handover, Missing, both, dedup, not_in_this_guide, presented_id, three,
};
use crate::guide::{ArtifactId, FieldError, FieldId, Inputs, SetupPath};

/// The two permissions OpenAI needs on the key's versions.
pub const GCP_KMS_PERMISSIONS: [&str; 2] = [
    "cloudkms.cryptoKeyVersions.useToEncrypt",
    "cloudkms.cryptoKeyVersions.useToDecrypt",
];

const ROLE_TITLE: &str = "OpenAI EKM encrypt and decrypt";
const ROLE_DESCRIPTION: &str =
    "Lets the OpenAI EKM service encrypt and decrypt with a Cloud KMS key.";

/// Where the federated identity lives: the pool's project number, pool and provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Federation {
    pub project_number: String,
    pub pool: String,
    pub provider: String,
}

/// Where the key lives.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyLocation {
    pub project: String,
    pub location: String,
    pub ring: String,
    pub key: String,
}

pub(crate) fn federation(inputs: &Inputs) -> Result<Federation, Missing> {
    let (project_number, pool, provider) = three(
        inputs.validated(WORKLOAD_IDENTITY_PROJECT_NUMBER),
        inputs.validated(WORKLOAD_IDENTITY_POOL_ID),
        inputs.validated(WORKLOAD_IDENTITY_PROVIDER_ID),
    )?;
    Ok(Federation {
        project_number,
        pool,
        provider,
    })
}

pub(crate) fn key_location(inputs: &Inputs) -> Result<KeyLocation, Missing> {
    let errors: Vec<FieldError> = [
        KMS_PROJECT_ID,
        KMS_KEY_LOCATION,
        KMS_KEY_RING_NAME,
        KMS_KEY_NAME,
    ]
    .into_iter()
    .filter_map(|f| inputs.validated(f).err())
    .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let value = |f| inputs.validated(f).unwrap_or_default();
    Ok(KeyLocation {
        project: value(KMS_PROJECT_ID),
        location: value(KMS_KEY_LOCATION),
        ring: value(KMS_KEY_RING_NAME),
        key: value(KMS_KEY_NAME),
    })
}

pub(crate) fn audience(inputs: &Inputs, path: SetupPath) -> Result<String, FieldError> {
    presented_id(inputs, AUDIENCE, path)
}

/// The claims of the identity token OpenAI presents to the customer's STS.
pub fn token_claims(audience: &str) -> Value {
    json!({
        "iss": OPENAI_TOKEN_ISSUER,
        "aud": audience,
        "azp": OPENAI_SUBJECT_ID,
        "sub": OPENAI_SUBJECT_ID,
    })
}

/// The attribute condition that admits OpenAI's service account and nothing else.
pub fn attribute_condition() -> String {
    format!("assertion.sub == \"{OPENAI_SUBJECT_ID}\"")
}

/// The OIDC provider's settings, as the console asks for them.
pub fn provider_settings(audience: &str) -> Value {
    json!({
        "issuer_uri": OPENAI_TOKEN_ISSUER,
        "allowed_audiences": [audience],
        "attribute_mapping": { "google.subject": "assertion.sub" },
        "attribute_condition": attribute_condition(),
    })
}

/// The audience OpenAI asks the customer's STS for.
pub fn sts_audience(federation: &Federation) -> String {
    format!(
        "//iam.googleapis.com/projects/{}/locations/global/workloadIdentityPools/{}/providers/{}",
        federation.project_number, federation.pool, federation.provider
    )
}

/// OpenAI's federated principal, to be granted on the key.
pub fn principal(federation: &Federation) -> String {
    format!(
        "principal://iam.googleapis.com/projects/{}/locations/global/workloadIdentityPools/{}/subject/{OPENAI_SUBJECT_ID}",
        federation.project_number, federation.pool
    )
}

/// The body of `projects.roles.create`: the custom role with exactly the two permissions.
pub fn custom_role(role_id: &str) -> Value {
    json!({
        "roleId": role_id,
        "role": {
            "title": ROLE_TITLE,
            "description": ROLE_DESCRIPTION,
            "includedPermissions": GCP_KMS_PERMISSIONS,
            "stage": "GA",
        }
    })
}

/// The body of `POST /v1/organization/external_keys` for a Google Cloud key.
pub fn registration_body(
    name: &str,
    federation: &Federation,
    audience: &str,
    key: &KeyLocation,
) -> Value {
    json!({
        "type": "gcp",
        "name": name,
        "workload_identity_project_number": federation.project_number,
        "workload_identity_pool_id": federation.pool,
        "workload_identity_provider_id": federation.provider,
        "audience": audience,
        "kms_project_id": key.project,
        "kms_key_ring_name": key.ring,
        "kms_key_name": key.key,
        "kms_key_location": key.location,
    })
}

/// The seven fields a ChatGPT Enterprise customer sends to their OpenAI contact.
pub fn enterprise_details(federation: &Federation, key: &KeyLocation) -> Value {
    json!({
        "workload_identity_project_number": federation.project_number,
        "workload_identity_pool_id": federation.pool,
        "workload_identity_provider_id": federation.provider,
        "kms_project_id": key.project,
        "kms_key_name": key.key,
        "kms_key_ring_name": key.ring,
        "kms_key_location": key.location,
    })
}

fn flag(name: &str, value: &str) -> String {
    format!("--{name}={}", quote(value))
}

/// The pool's full resource name. gcloud's `--project` wants a project id and refuses the
/// number the guide records, so pools and providers are named in full instead.
fn pool_resource(federation: &Federation) -> String {
    format!(
        "projects/{}/locations/global/workloadIdentityPools/{}",
        federation.project_number, federation.pool
    )
}

fn workload_identity_commands(federation: &Federation, audience: &str) -> String {
    let pool = continued(&[
        format!(
            "gcloud iam workload-identity-pools create {}",
            quote(&pool_resource(federation))
        ),
        flag("display-name", "OpenAI EKM"),
    ]);
    let provider = continued(&[
        format!(
            "gcloud iam workload-identity-pools providers create-oidc {}",
            quote(&format!(
                "{}/providers/{}",
                pool_resource(federation),
                federation.provider
            ))
        ),
        flag("issuer-uri", OPENAI_TOKEN_ISSUER),
        flag("allowed-audiences", audience),
        "--attribute-mapping=google.subject=assertion.sub".into(),
        flag("attribute-condition", &attribute_condition()),
    ]);
    format!("{pool}\n\n{provider}")
}

fn enable_kms_commands(kms_project: &str, pool_project_number: Option<&str>) -> String {
    let mut text = format!(
        "gcloud services enable cloudkms.googleapis.com {}",
        flag("project", kms_project)
    );
    // The pool's project too, named by its number (serviceusage takes either).
    if let Some(number) = pool_project_number
        && number != kms_project
    {
        text.push_str(&format!(
            "\n\ngcloud services enable cloudkms.googleapis.com {}",
            flag("project", number)
        ));
    }
    text
}

fn key_flags(key: &KeyLocation) -> Vec<String> {
    vec![
        flag("project", &key.project),
        flag("location", &key.location),
        flag("keyring", &key.ring),
    ]
}

fn create_key_ring_commands(key: &KeyLocation) -> String {
    let ring = continued(&[
        format!("gcloud kms keyrings create {}", quote(&key.ring)),
        flag("project", &key.project),
        flag("location", &key.location),
    ]);
    let mut create = vec![format!("gcloud kms keys create {}", quote(&key.key))];
    create.extend(key_flags(key));
    create.push("--purpose=encryption".into());
    format!("{ring}\n\n{}", continued(&create))
}

fn create_custom_role_commands(project: &str, role_id: &str) -> String {
    continued(&[
        format!("gcloud iam roles create {}", quote(role_id)),
        flag("project", project),
        flag("title", ROLE_TITLE),
        flag("description", ROLE_DESCRIPTION),
        flag("permissions", &GCP_KMS_PERMISSIONS.join(",")),
        "--stage=GA".into(),
    ])
}

fn grant_commands(key: &KeyLocation, member: &str, role_id: &str) -> String {
    let mut lines = vec![format!(
        "gcloud kms keys add-iam-policy-binding {}",
        quote(&key.key)
    )];
    lines.extend(key_flags(key));
    lines.push(flag("member", member));
    lines.push(flag(
        "role",
        &format!("projects/{}/roles/{role_id}", key.project),
    ));
    continued(&lines)
}

fn rotation_commands(key: &KeyLocation) -> String {
    let mut lines = vec![format!("gcloud kms keys update {}", quote(&key.key))];
    lines.extend(key_flags(key));
    lines.push("--rotation-period=90d".into());
    // gcloud reads `+P90D` as 90 days from now, on every platform.
    lines.push("--next-rotation-time=+P90D".into());
    continued(&lines)
}

/// Every value a registration needs, checked together so every problem is named.
struct Registration {
    name: String,
    federation: Federation,
    audience: String,
    key: KeyLocation,
}

fn registration(inputs: &Inputs, path: SetupPath) -> Result<Registration, Missing> {
    let name = inputs.validated(FieldId::NAME);
    let audience = audience(inputs, path);
    let federation = federation(inputs);
    let key = key_location(inputs);
    match (name, federation, audience, key) {
        (Ok(name), Ok(federation), Ok(audience), Ok(key)) => Ok(Registration {
            name,
            federation,
            audience,
            key,
        }),
        (name, federation, audience, key) => {
            let mut errors: Vec<FieldError> = Vec::new();
            errors.extend(name.err());
            errors.extend(federation.err().unwrap_or_default());
            errors.extend(audience.err());
            errors.extend(key.err().unwrap_or_default());
            Err(dedup(errors))
        }
    }
}

/// The hand-over documents: what a ChatGPT Enterprise customer sends, and the registration body.
pub fn handover(inputs: &Inputs, path: SetupPath) -> Result<Handover, Missing> {
    let r = registration(inputs, path)?;
    Ok(Handover {
        details: enterprise_details(&r.federation, &r.key),
        body: registration_body(&r.name, &r.federation, &r.audience, &r.key),
    })
}

/// Generates one Google Cloud block.
pub fn generate(
    artifact: ArtifactId,
    inputs: &Inputs,
    path: SetupPath,
) -> Result<ArtifactBody, Missing> {
    use ArtifactBody::{Json, Text};
    let one = |err: FieldError| vec![err];
    Ok(match artifact {
        TOKEN_CLAIMS => Json(token_claims(&audience(inputs, path).map_err(one)?)),
        PROVIDER_SETTINGS => Json(provider_settings(&audience(inputs, path).map_err(one)?)),
        WORKLOAD_IDENTITY_COMMANDS => {
            let (federation, audience) = match (federation(inputs), audience(inputs, path)) {
                (Ok(f), Ok(a)) => (f, a),
                (f, a) => {
                    let mut errors = f.err().unwrap_or_default();
                    errors.extend(a.err());
                    return Err(errors);
                }
            };
            Text(workload_identity_commands(&federation, &audience))
        }
        STS_AUDIENCE => Text(sts_audience(&federation(inputs)?)),
        ENABLE_KMS_COMMANDS => {
            let project = inputs.validated(KMS_PROJECT_ID).map_err(one)?;
            let number = inputs.validated(WORKLOAD_IDENTITY_PROJECT_NUMBER).ok();
            Text(enable_kms_commands(&project, number.as_deref()))
        }
        CREATE_KEY_RING_COMMANDS => Text(create_key_ring_commands(&key_location(inputs)?)),
        GCP_CUSTOM_ROLE => Json(custom_role(&inputs.validated(ROLE_ID).map_err(one)?)),
        CREATE_CUSTOM_ROLE_COMMANDS => {
            let (project, role_id) =
                both(inputs.validated(KMS_PROJECT_ID), inputs.validated(ROLE_ID))?;
            Text(create_custom_role_commands(&project, &role_id))
        }
        PRINCIPAL => Text(principal(&federation(inputs)?)),
        GRANT_COMMANDS => {
            let (federation, key) = match (federation(inputs), key_location(inputs)) {
                (Ok(f), Ok(k)) => (f, k),
                (f, k) => {
                    let mut errors = f.err().unwrap_or_default();
                    errors.extend(k.err().unwrap_or_default());
                    return Err(errors);
                }
            };
            let role_id = inputs.validated(ROLE_ID).map_err(one)?;
            Text(grant_commands(&key, &principal(&federation), &role_id))
        }
        ROTATION_COMMANDS => Text(rotation_commands(&key_location(inputs)?)),
        other => not_in_this_guide(crate::clouds::gcp::cloud(), other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every block as the wizard generates it, hand-over blocks included.
    fn generate(
        artifact: ArtifactId,
        inputs: &Inputs,
        path: SetupPath,
    ) -> Result<ArtifactBody, Missing> {
        crate::artifacts::generate(crate::clouds::gcp::cloud(), artifact, inputs, path)
    }

    fn inputs() -> Inputs {
        let mut inputs = Inputs::new(crate::clouds::gcp::cloud());
        for (field, value) in [
            (FieldId::ORG_ID, "org-abc123"),
            (WORKLOAD_IDENTITY_PROJECT_NUMBER, "123456789012"),
            (WORKLOAD_IDENTITY_POOL_ID, "openai-ekm"),
            (WORKLOAD_IDENTITY_PROVIDER_ID, "openai-ekm-service-role"),
            (KMS_PROJECT_ID, "adjective-noun-12345"),
            (KMS_KEY_LOCATION, "us-east1"),
            (KMS_KEY_RING_NAME, "openai-kms-key-ring"),
            (KMS_KEY_NAME, "openai-kms-key"),
        ] {
            inputs.set(field, value);
        }
        inputs
    }

    fn json_of(artifact: ArtifactId, inputs: &Inputs, path: SetupPath) -> Value {
        match generate(artifact, inputs, path).unwrap() {
            ArtifactBody::Json(v) => v,
            other => panic!("{other:?}"),
        }
    }

    fn text_of(artifact: ArtifactId, inputs: &Inputs) -> String {
        match generate(artifact, inputs, SetupPath::Api).unwrap() {
            ArtifactBody::Text(t) => t,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_provider_trusts_exactly_openais_token() {
        let expected: Value = serde_json::from_str(
            r#"{"issuer_uri":"https://accounts.google.com","allowed_audiences":["org-abc123"],
                "attribute_mapping":{"google.subject":"assertion.sub"},
                "attribute_condition":"assertion.sub == \"105900137572174660365\""}"#,
        )
        .unwrap();
        assert_eq!(
            json_of(PROVIDER_SETTINGS, &inputs(), SetupPath::Api),
            expected
        );
        let claims = json_of(TOKEN_CLAIMS, &inputs(), SetupPath::Api);
        assert_eq!(claims["sub"], "105900137572174660365");
        assert_eq!(claims["azp"], "105900137572174660365");
        assert_eq!(claims["aud"], "org-abc123");
        assert_eq!(claims["iss"], "https://accounts.google.com");
    }

    #[test]
    fn an_api_project_audience_is_used_on_the_api_path_only() {
        let mut inputs = inputs();
        inputs.set(AUDIENCE, "proj_Abc1");
        assert_eq!(
            json_of(PROVIDER_SETTINGS, &inputs, SetupPath::Api)["allowed_audiences"][0],
            "proj_Abc1"
        );
        assert_eq!(
            json_of(PROVIDER_SETTINGS, &inputs, SetupPath::ChatGpt)["allowed_audiences"][0],
            "org-abc123"
        );
    }

    #[test]
    fn principal_and_sts_audience_match_the_guide() {
        assert_eq!(
            text_of(PRINCIPAL, &inputs()),
            "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/subject/105900137572174660365"
        );
        assert_eq!(
            text_of(STS_AUDIENCE, &inputs()),
            "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/providers/openai-ekm-service-role"
        );
    }

    #[test]
    fn the_custom_role_has_exactly_the_two_permissions() {
        let role = json_of(GCP_CUSTOM_ROLE, &inputs(), SetupPath::Api);
        assert_eq!(role["roleId"], "openaiEkmEncryptDecrypt");
        assert_eq!(
            role["role"]["includedPermissions"],
            json!([
                "cloudkms.cryptoKeyVersions.useToEncrypt",
                "cloudkms.cryptoKeyVersions.useToDecrypt"
            ])
        );
        let command = text_of(CREATE_CUSTOM_ROLE_COMMANDS, &inputs());
        assert!(command.contains("--permissions=cloudkms.cryptoKeyVersions.useToEncrypt,cloudkms.cryptoKeyVersions.useToDecrypt"));
        assert!(command.contains("--project=adjective-noun-12345"));
    }

    #[test]
    fn registration_and_enterprise_details_carry_the_guides_fields() {
        let body = json_of(ArtifactId::REGISTRATION_BODY, &inputs(), SetupPath::Api);
        assert_eq!(
            body,
            json!({"type":"gcp","name":"GCP EKM key","workload_identity_project_number":"123456789012",
                "workload_identity_pool_id":"openai-ekm","workload_identity_provider_id":"openai-ekm-service-role",
                "audience":"org-abc123","kms_project_id":"adjective-noun-12345",
                "kms_key_ring_name":"openai-kms-key-ring","kms_key_name":"openai-kms-key","kms_key_location":"us-east1"})
        );
        let details = json_of(
            ArtifactId::ENTERPRISE_DETAILS,
            &inputs(),
            SetupPath::ChatGpt,
        );
        assert_eq!(details.as_object().unwrap().len(), 7);
        assert!(details.get("audience").is_none());
        assert_eq!(details["kms_key_location"], "us-east1");
    }

    #[test]
    fn commands_quote_the_condition_and_name_the_role() {
        let text = text_of(WORKLOAD_IDENTITY_COMMANDS, &inputs());
        assert!(
            text.contains(r#"--attribute-condition='assertion.sub == "105900137572174660365"'"#),
            "{text}"
        );
        assert!(text.contains("--issuer-uri=https://accounts.google.com"));
        assert!(text.contains("--allowed-audiences=org-abc123"));
        let grant = text_of(GRANT_COMMANDS, &inputs());
        assert!(
            grant.contains("--role=projects/adjective-noun-12345/roles/openaiEkmEncryptDecrypt")
        );
        assert!(grant.contains("--member=principal://iam.googleapis.com/projects/123456789012/"));
        let enable = text_of(ENABLE_KMS_COMMANDS, &inputs());
        assert!(
            enable.contains("--project=adjective-noun-12345")
                && enable.contains("--project=123456789012")
        );
    }

    #[test]
    fn missing_fields_are_all_named() {
        let mut inputs = Inputs::new(crate::clouds::gcp::cloud());
        inputs.set(FieldId::ORG_ID, "org-abc");
        let missing = generate(ArtifactId::REGISTRATION_BODY, &inputs, SetupPath::Api).unwrap_err();
        assert_eq!(missing.len(), 7, "{missing:?}");
    }
}
