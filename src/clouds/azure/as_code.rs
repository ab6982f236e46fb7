//! The Azure setup as code: a Terraform module (hashicorp/azurerm with hashicorp/azuread) whose
//! custom role, key place and OpenAI's application are the wizard's own values, with variables
//! in place of what is recorded.

use serde_json::{Value, json};

use super::OPENAI_APP_ID;
use super::artifacts::{KeyPlace, custom_role};
use super::ids::*;
use crate::artifacts::hcl::{
    Block, Item, config_output, expr, file, key_name_variable, module, org_id_variable, template,
    variable, versions,
};
use crate::guide::{FieldId, Inputs};

/// The module: `versions.tf`, `variables.tf`, `main.tf`, `outputs.tf`.
pub fn terraform(inputs: &Inputs) -> Vec<(String, String)> {
    let recorded = |field: FieldId| inputs.validated(field).ok().map(Value::String);
    let vault_name = inputs
        .validated(VAULT_URI)
        .ok()
        .and_then(|uri| super::fields::vault_name(&uri).ok())
        .map(Value::String);
    let uuid = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
    let versions = versions(&[
        ("azurerm", "hashicorp/azurerm", "~> 3.100"),
        ("azuread", "hashicorp/azuread", ">= 2.47"),
    ]);
    let variables = file(&[
        org_id_variable(recorded(FieldId::ORG_ID)),
        key_name_variable(recorded(FieldId::NAME)),
        variable(
            "tenant_id",
            "string",
            "Your Entra ID tenant id.",
            recorded(TENANT_ID),
            Some((
                &format!("can(regex(\"{uuid}\", var.tenant_id))"),
                "A tenant id is a UUID.",
            )),
        ),
        variable(
            "subscription_id",
            "string",
            "The subscription of the role and the vault.",
            recorded(SUBSCRIPTION_ID),
            Some((
                &format!("can(regex(\"{uuid}\", var.subscription_id))"),
                "A subscription id is a UUID.",
            )),
        ),
        variable(
            "resource_group",
            "string",
            "The vault's resource group (it must exist).",
            recorded(RESOURCE_GROUP),
            None,
        ),
        variable(
            "location",
            "string",
            "The vault's Azure region, such as westeurope.",
            None,
            None,
        ),
        variable(
            "vault_name",
            "string",
            "The key vault's name.",
            vault_name,
            Some((
                "can(regex(\"^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$\", var.vault_name))",
                "A vault name is 3 to 24 letters, digits and hyphens, starting with a letter.",
            )),
        ),
        variable(
            "key_name",
            "string",
            "The key's name: your organization id, two hyphens, then any name.",
            recorded(KEY_NAME),
            Some((
                "can(regex(\"^org-[A-Za-z0-9-]+--[A-Za-z0-9-]+$\", var.key_name))",
                "The key's name is <org id>--<name>.",
            )),
        ),
        variable(
            "role_name",
            "string",
            "The custom role's name.",
            recorded(ROLE_NAME),
            None,
        ),
    ]);
    let role = custom_role("${var.role_name}", "${var.subscription_id}");
    let properties = &role["properties"];
    let subscription_scope = properties["assignableScopes"][0]
        .as_str()
        .unwrap_or_default();
    let place = KeyPlace {
        subscription: "${var.subscription_id}".into(),
        resource_group: "${var.resource_group}".into(),
        vault: "${azurerm_key_vault.ekm.name}".into(),
        key: "${azurerm_key_vault_key.ekm.name}".into(),
    };
    let main = file(&[
        Item::Block(
            Block::new("resource", &["azuread_service_principal", "openai"])
                .attribute("client_id", json!(OPENAI_APP_ID))
                .attribute("use_existing", json!(true)),
        ),
        Item::Block(
            Block::new("resource", &["azurerm_role_definition", "ekm"])
                .attribute("name", expr("var.role_name"))
                .attribute("scope", template(subscription_scope))
                .attribute("description", properties["description"].clone())
                .attribute("assignable_scopes", json!([template(subscription_scope)]))
                .blank()
                .block(
                    Block::new("permissions", &[])
                        .attribute("actions", properties["permissions"][0]["actions"].clone())
                        .attribute("data_actions", properties["permissions"][0]["dataActions"].clone()),
                ),
        ),
        Item::Block(
            Block::new("resource", &["azurerm_key_vault", "ekm"])
                .comment("checkov:skip=CKV_AZURE_109:OpenAI reaches the vault from the internet, from addresses it does not publish; a firewall that denies by default cuts it off")
                .comment("checkov:skip=CKV_AZURE_189:OpenAI reaches the vault over its public endpoint")
                .comment("checkov:skip=CKV2_AZURE_32:OpenAI cannot reach a private endpoint")
                .attribute("name", expr("var.vault_name"))
                .attribute("location", expr("var.location"))
                .attribute("resource_group_name", expr("var.resource_group"))
                .attribute("tenant_id", expr("var.tenant_id"))
                .attribute("sku_name", json!("standard"))
                .attribute("enable_rbac_authorization", json!(true))
                .attribute("purge_protection_enabled", json!(true))
                .attribute("soft_delete_retention_days", json!(90)),
        ),
        Item::Block(
            Block::new("resource", &["azurerm_key_vault_key", "ekm"])
                .comment("checkov:skip=CKV_AZURE_112:The guide's key is software-protected RSA in a standard vault; RSA-HSM needs a premium vault")
                .comment("checkov:skip=CKV_AZURE_40:A key that expires cuts OpenAI off on that day; the rotation policy renews it instead")
                .attribute("name", expr("var.key_name"))
                .attribute("key_vault_id", expr("azurerm_key_vault.ekm.id"))
                .attribute("key_type", json!("RSA"))
                .attribute("key_size", json!(3072))
                .attribute("key_opts", json!(["encrypt", "decrypt", "wrapKey", "unwrapKey"]))
                .blank()
                .block(
                    Block::new("rotation_policy", &[]).block(
                        Block::new("automatic", &[]).attribute("time_after_creation", json!("P90D")),
                    ),
                )
                .blank()
                .block(Block::new("lifecycle", &[]).block(
                    Block::new("precondition", &[])
                        .attribute("condition", expr("startswith(var.key_name, \"${var.org_id}--\")"))
                        .attribute("error_message", json!("The key's name starts with your organization id and two hyphens.")),
                )),
        ),
        Item::Block(
            Block::new("resource", &["azurerm_role_assignment", "openai"])
                .attribute("scope", template(&place.key_scope()))
                .attribute("role_definition_id", expr("azurerm_role_definition.ekm.role_definition_resource_id"))
                .attribute("principal_id", expr("azuread_service_principal.openai.object_id")),
        ),
    ]);
    let config = json!({
        "type": "azure",
        "org_id": expr("var.org_id"),
        "tenant_id": expr("var.tenant_id"),
        "subscription_id": expr("var.subscription_id"),
        "resource_group": expr("var.resource_group"),
        "vault_uri": expr("azurerm_key_vault.ekm.vault_uri"),
        "key_name": expr("azurerm_key_vault_key.ekm.name"),
        "role_name": expr("var.role_name"),
    });
    let outputs = file(&[config_output("azure", &config)]);
    module(versions, variables, main, outputs)
}
