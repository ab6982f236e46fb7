//! Azure artifacts: the Graph request that creates OpenAI's service principal, the custom
//! role for the portal's JSON tab, the key-scope role assignment, the registration body, the
//! ChatGPT Enterprise details, and the `az` equivalents.

use serde_json::{Value, json};

use crate::artifacts::shell::{continued, quote};
use crate::artifacts::{ArtifactBody, Handover, Missing, both, dedup, not_in_this_guide, three};

use super::OPENAI_APP_ID;
use super::ids::*;
use crate::guide::{ArtifactId, FieldError, FieldId, Inputs, SetupPath};

/// The three data actions OpenAI needs on the key.
pub const AZURE_DATA_ACTIONS: [&str; 3] = [
    "Microsoft.KeyVault/vaults/keys/encrypt/action",
    "Microsoft.KeyVault/vaults/keys/decrypt/action",
    "Microsoft.KeyVault/vaults/keys/read",
];

const ROLE_DESCRIPTION: &str =
    "Lets the OpenAI EKM service read one Key Vault key and encrypt and decrypt with it.";

/// The body of `POST https://graph.microsoft.com/v1.0/servicePrincipals`.
pub fn service_principal_request() -> Value {
    json!({ "appId": OPENAI_APP_ID })
}

/// The custom role as the portal's JSON tab shows it.
pub fn custom_role(role_name: &str, subscription: &str) -> Value {
    json!({
        "properties": {
            "roleName": role_name,
            "description": ROLE_DESCRIPTION,
            "assignableScopes": [format!("/subscriptions/{subscription}")],
            "permissions": [{
                "actions": [],
                "notActions": [],
                "dataActions": AZURE_DATA_ACTIONS,
                "notDataActions": [],
            }]
        }
    })
}

/// The same role in the form `az role definition create` reads.
fn cli_role_definition(role_name: &str, subscription: &str) -> Value {
    json!({
        "Name": role_name,
        "IsCustom": true,
        "Description": ROLE_DESCRIPTION,
        "Actions": [],
        "NotActions": [],
        "DataActions": AZURE_DATA_ACTIONS,
        "NotDataActions": [],
        "AssignableScopes": [format!("/subscriptions/{subscription}")],
    })
}

/// Where the key lives, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPlace {
    pub subscription: String,
    pub resource_group: String,
    pub vault: String,
    pub key: String,
}

impl KeyPlace {
    /// The vault's resource id.
    pub fn vault_scope(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.KeyVault/vaults/{}",
            self.subscription, self.resource_group, self.vault
        )
    }

    /// The key's resource id: the scope of the role assignment (the key, not the vault).
    pub fn key_scope(&self) -> String {
        format!("{}/keys/{}", self.vault_scope(), self.key)
    }
}

fn vault_and_key(inputs: &Inputs) -> Result<(String, String), Missing> {
    let vault = inputs
        .validated(VAULT_URI)
        .and_then(|uri| super::fields::vault_name(&uri));
    both(vault, inputs.validated(KEY_NAME))
}

pub(crate) fn key_place(inputs: &Inputs) -> Result<KeyPlace, Missing> {
    let ((subscription, resource_group), vault_and_key) = match (
        both(
            inputs.validated(SUBSCRIPTION_ID),
            inputs.validated(RESOURCE_GROUP),
        ),
        vault_and_key(inputs),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            let mut errors = a.err().unwrap_or_default();
            errors.extend(b.err().unwrap_or_default());
            return Err(dedup(errors));
        }
    };
    Ok(KeyPlace {
        subscription,
        resource_group,
        vault: vault_and_key.0,
        key: vault_and_key.1,
    })
}

/// The body of `POST /v1/organization/external_keys` for an Azure key.
pub fn registration_body(name: &str, tenant: &str, vault_uri: &str, key_name: &str) -> Value {
    json!({
        "type": "azure",
        "name": name,
        "tenant_id": tenant,
        "vault_uri": vault_uri,
        "key_name": key_name,
    })
}

/// What a ChatGPT Enterprise customer sends to their OpenAI contact.
pub fn enterprise_details(tenant: &str, vault_uri: &str, key_name: &str) -> Value {
    json!({ "tenant_id": tenant, "vault_uri": vault_uri, "key_name": key_name })
}

/// The guide's way: a Graph token from the Azure CLI, piped into curl as a header read from
/// standard input, so the token is in no command line, no variable and no shell history.
fn service_principal_commands(tenant: &str) -> String {
    continued(&[
        format!(
            "az account get-access-token --resource https://graph.microsoft.com --tenant {} --query accessToken --output tsv",
            quote(tenant)
        ),
        "| sed 's/^/Authorization: Bearer /'".into(),
        "| curl --fail-with-body -X POST https://graph.microsoft.com/v1.0/servicePrincipals".into(),
        "-H @-".into(),
        "-H \"Content-Type: application/json\"".into(),
        format!("-d {}", quote(&service_principal_request().to_string())),
    ])
}

/// The same creation in one Azure CLI command.
fn service_principal_az_command() -> String {
    format!("az ad sp create --id {OPENAI_APP_ID}")
}

fn role_definition_commands(role_name: &str, subscription: &str) -> String {
    continued(&[
        "az role definition create".into(),
        format!(
            "--role-definition {}",
            quote(&cli_role_definition(role_name, subscription).to_string())
        ),
    ])
}

/// A new vault in the RBAC permission model, with purge protection (which cannot be undone).
fn create_vault_command(place: &KeyPlace) -> String {
    continued(&[
        format!("az keyvault create --name {}", quote(&place.vault)),
        format!("--resource-group {}", quote(&place.resource_group)),
        format!("--subscription {}", quote(&place.subscription)),
        "--enable-rbac-authorization true --enable-purge-protection true".into(),
    ])
}

fn create_vault_key_commands(place: &KeyPlace) -> String {
    continued(&[
        format!(
            "az keyvault key create --vault-name {}",
            quote(&place.vault)
        ),
        format!("--name {}", quote(&place.key)),
        "--kty RSA --size 3072".into(),
    ])
}

fn role_assignment_commands(role_name: &str, place: &KeyPlace) -> String {
    continued(&[
        "az role assignment create".into(),
        format!("--role {}", quote(role_name)),
        format!("--assignee {OPENAI_APP_ID}"),
        format!("--scope {}", quote(&place.key_scope())),
    ])
}

/// A rotation policy: a new key version every 90 days.
fn rotation_policy() -> Value {
    json!({
        "lifetimeActions": [{
            "trigger": { "timeAfterCreate": "P90D" },
            "action": { "type": "Rotate" }
        }]
    })
}

fn vault_flags(place: &KeyPlace) -> String {
    format!(
        "--name {} --resource-group {} --subscription {}",
        quote(&place.vault),
        quote(&place.resource_group),
        quote(&place.subscription)
    )
}

/// Shows the vault's permission model and protection (a read).
fn vault_settings_query(place: &KeyPlace) -> String {
    format!(
        "az keyvault show {} --query '{{rbac: properties.enableRbacAuthorization, softDelete: properties.enableSoftDelete, purgeProtection: properties.enablePurgeProtection, network: properties.networkAcls.defaultAction}}'",
        vault_flags(place)
    )
}

/// Switches the vault to the Azure RBAC permission model (its access policies stop counting).
fn vault_rbac_command(place: &KeyPlace) -> String {
    format!(
        "az keyvault update {} --enable-rbac-authorization true",
        vault_flags(place)
    )
}

/// Turns on purge protection, which can never be turned off.
fn purge_protection_command(place: &KeyPlace) -> String {
    format!(
        "az keyvault update {} --enable-purge-protection true",
        vault_flags(place)
    )
}

/// A new key version every 90 days.
fn key_rotation_policy_command(place: &KeyPlace) -> String {
    continued(&[
        format!(
            "az keyvault key rotation-policy update --vault-name {}",
            quote(&place.vault)
        ),
        format!("--name {}", quote(&place.key)),
        format!("--value {}", quote(&rotation_policy().to_string())),
    ])
}

struct Registration {
    name: String,
    tenant: String,
    vault_uri: String,
    key_name: String,
}

fn registration(inputs: &Inputs) -> Result<Registration, Missing> {
    let (name, tenant, vault_uri) = match three(
        inputs.validated(FieldId::NAME),
        inputs.validated(TENANT_ID),
        inputs.validated(VAULT_URI),
    ) {
        Ok(values) => values,
        Err(mut errors) => {
            errors.extend(inputs.validated(KEY_NAME).err());
            return Err(dedup(errors));
        }
    };
    let key_name = inputs.validated(KEY_NAME).map_err(|e| vec![e])?;
    Ok(Registration {
        name,
        tenant,
        vault_uri,
        key_name,
    })
}

/// The hand-over documents: what a ChatGPT Enterprise customer sends, and the registration body.
pub fn handover(inputs: &Inputs, _path: SetupPath) -> Result<Handover, Missing> {
    let r = registration(inputs)?;
    Ok(Handover {
        details: enterprise_details(&r.tenant, &r.vault_uri, &r.key_name),
        body: registration_body(&r.name, &r.tenant, &r.vault_uri, &r.key_name),
    })
}

/// Generates one Azure block. Azure has no id to present: the path changes only the hand-over.
pub fn generate(
    artifact: ArtifactId,
    inputs: &Inputs,
    _path: SetupPath,
) -> Result<ArtifactBody, Missing> {
    use ArtifactBody::{Json, Text};
    let one = |err: FieldError| vec![err];
    Ok(match artifact {
        SERVICE_PRINCIPAL_REQUEST => Json(service_principal_request()),
        SERVICE_PRINCIPAL_COMMANDS => Text(service_principal_commands(
            &inputs.validated(TENANT_ID).map_err(one)?,
        )),
        SERVICE_PRINCIPAL_AZ_COMMAND => Text(service_principal_az_command()),
        AZURE_CUSTOM_ROLE | ROLE_DEFINITION_COMMANDS => {
            let (role_name, subscription) = both(
                inputs.validated(ROLE_NAME),
                inputs.validated(SUBSCRIPTION_ID),
            )?;
            if artifact == AZURE_CUSTOM_ROLE {
                Json(custom_role(&role_name, &subscription))
            } else {
                Text(role_definition_commands(&role_name, &subscription))
            }
        }
        CREATE_VAULT_COMMAND => Text(create_vault_command(&key_place(inputs)?)),
        CREATE_VAULT_KEY_COMMANDS => Text(create_vault_key_commands(&key_place(inputs)?)),
        ROLE_ASSIGNMENT_SCOPE => Text(key_place(inputs)?.key_scope()),
        ROLE_ASSIGNMENT_COMMANDS => {
            let place = key_place(inputs);
            let role_name = inputs.validated(ROLE_NAME);
            match (place, role_name) {
                (Ok(place), Ok(role_name)) => Text(role_assignment_commands(&role_name, &place)),
                (place, role_name) => {
                    let mut errors = place.err().unwrap_or_default();
                    errors.extend(role_name.err());
                    return Err(errors);
                }
            }
        }
        VAULT_SETTINGS_QUERY => Text(vault_settings_query(&key_place(inputs)?)),
        VAULT_RBAC_COMMAND => Text(vault_rbac_command(&key_place(inputs)?)),
        PURGE_PROTECTION_COMMAND => Text(purge_protection_command(&key_place(inputs)?)),
        KEY_ROTATION_POLICY_COMMAND => Text(key_rotation_policy_command(&key_place(inputs)?)),
        other => not_in_this_guide(crate::clouds::azure::cloud(), other),
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
        crate::artifacts::generate(crate::clouds::azure::cloud(), artifact, inputs, path)
    }

    const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const SUBSCRIPTION: &str = "0b1f6471-1bf0-4dda-aec3-cb9272f09590";

    fn inputs() -> Inputs {
        let mut inputs = Inputs::new(crate::clouds::azure::cloud());
        for (field, value) in [
            (FieldId::ORG_ID, "org-abc123"),
            (TENANT_ID, TENANT),
            (SUBSCRIPTION_ID, SUBSCRIPTION),
            (RESOURCE_GROUP, "rg-ekm"),
            (VAULT_URI, "contoso-ekm"),
            (KEY_NAME, "org-abc123--openai-ekm"),
        ] {
            inputs.set(field, value);
        }
        inputs
    }

    fn json_of(artifact: ArtifactId, inputs: &Inputs) -> Value {
        match generate(artifact, inputs, SetupPath::Api).unwrap() {
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
    fn the_service_principal_request_names_openais_app_with_an_ascii_dash() {
        assert_eq!(
            json_of(SERVICE_PRINCIPAL_REQUEST, &inputs()),
            json!({"appId": "20a14814-5ab7-4612-a671-1382b412bf93"})
        );
        let commands = text_of(SERVICE_PRINCIPAL_COMMANDS, &inputs());
        assert!(commands.contains(&format!("--tenant {TENANT}")));
        assert!(
            commands.contains(r#"-d '{"appId":"20a14814-5ab7-4612-a671-1382b412bf93"}'"#),
            "{commands}"
        );
        assert!(!commands.contains('–'), "no en dash");
        assert!(commands.contains("-H @-"), "the token comes through a pipe");
        assert!(
            !commands.contains("$TOKEN"),
            "no token in a variable or an argument"
        );
        assert_eq!(
            text_of(SERVICE_PRINCIPAL_AZ_COMMAND, &inputs()),
            "az ad sp create --id 20a14814-5ab7-4612-a671-1382b412bf93"
        );
    }

    #[test]
    fn the_custom_role_is_the_portal_json() {
        let expected: Value = serde_json::from_str(&format!(
            r#"{{"properties":{{"roleName":"OpenAI EKM key user","description":"{ROLE_DESCRIPTION}",
            "assignableScopes":["/subscriptions/{SUBSCRIPTION}"],
            "permissions":[{{"actions":[],"notActions":[],"dataActions":[
                "Microsoft.KeyVault/vaults/keys/encrypt/action",
                "Microsoft.KeyVault/vaults/keys/decrypt/action",
                "Microsoft.KeyVault/vaults/keys/read"],"notDataActions":[]}}]}}}}"#
        ))
        .unwrap();
        assert_eq!(json_of(AZURE_CUSTOM_ROLE, &inputs()), expected);
        let command = text_of(ROLE_DEFINITION_COMMANDS, &inputs());
        let json_part = command
            .split("--role-definition '")
            .nth(1)
            .unwrap()
            .trim_end_matches('\'');
        let definition: Value = serde_json::from_str(json_part).unwrap();
        assert_eq!(definition["DataActions"], json!(AZURE_DATA_ACTIONS));
    }

    #[test]
    fn the_role_is_assigned_at_the_key_not_the_vault() {
        let scope = text_of(ROLE_ASSIGNMENT_SCOPE, &inputs());
        assert_eq!(
            scope,
            format!(
                "/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ekm/providers/Microsoft.KeyVault/vaults/contoso-ekm/keys/org-abc123--openai-ekm"
            )
        );
        let command = text_of(ROLE_ASSIGNMENT_COMMANDS, &inputs());
        assert!(command.contains(&format!("--scope {scope}")), "{command}");
        assert!(command.contains("--assignee 20a14814-5ab7-4612-a671-1382b412bf93"));
        assert!(command.contains("--role 'OpenAI EKM key user'"));
    }

    #[test]
    fn registration_normalises_the_vault_uri() {
        assert_eq!(
            json_of(ArtifactId::REGISTRATION_BODY, &inputs()),
            json!({"type":"azure","name":"Azure EKM key","tenant_id":TENANT,
                "vault_uri":"https://contoso-ekm.vault.azure.net/","key_name":"org-abc123--openai-ekm"})
        );
        assert_eq!(
            json_of(ArtifactId::ENTERPRISE_DETAILS, &inputs()),
            json!({"tenant_id":TENANT,"vault_uri":"https://contoso-ekm.vault.azure.net/","key_name":"org-abc123--openai-ekm"})
        );
    }

    #[test]
    fn a_key_name_for_another_org_blocks_the_registration() {
        let mut inputs = inputs();
        inputs.set(KEY_NAME, "org-other--openai-ekm");
        let missing = generate(ArtifactId::REGISTRATION_BODY, &inputs, SetupPath::Api).unwrap_err();
        assert_eq!(missing[0].field, KEY_NAME);
        assert!(missing[0].problem.contains("org-abc123"));
    }

    #[test]
    fn hardening_turns_on_rbac_purge_protection_and_rotation_each_on_its_own() {
        let show = text_of(VAULT_SETTINGS_QUERY, &inputs());
        assert!(show.starts_with("az keyvault show") && !show.contains("update"));
        let rbac = text_of(VAULT_RBAC_COMMAND, &inputs());
        assert!(rbac.contains("--enable-rbac-authorization true"));
        assert!(!rbac.contains("purge"));
        let purge = text_of(PURGE_PROTECTION_COMMAND, &inputs());
        assert!(purge.contains("--enable-purge-protection true"));
        assert!(!purge.contains("rbac"));
        let rotation = text_of(KEY_ROTATION_POLICY_COMMAND, &inputs());
        assert!(rotation.contains(r#""timeAfterCreate":"P90D""#));
    }
}
