//! The Google Cloud setup as code: a Terraform module whose provider settings, custom role and
//! principal are the wizard's own generated values, with variables in place of what is recorded.

use serde_json::{Value, json};

use super::artifacts::{Federation, custom_role, principal, provider_settings};
use super::ids::*;
use crate::artifacts::hcl::{
    Block, Item, config_output, expr, file, key_name_variable, module, org_id_variable, template,
    variable, versions,
};
use crate::guide::{FieldId, Inputs};

/// The module: `versions.tf`, `variables.tf`, `main.tf`, `outputs.tf`.
pub fn terraform(inputs: &Inputs) -> Vec<(String, String)> {
    let recorded = |field: FieldId| inputs.validated(field).ok().map(Value::String);

    let versions = versions(&[("google", "hashicorp/google", ">= 5.0")]);
    let variables = file(&[
        org_id_variable(recorded(FieldId::ORG_ID)),
        key_name_variable(recorded(FieldId::NAME)),
        variable(
            "audience",
            "string",
            "The audience OpenAI's token carries: the organization id, or an API project id (proj_...).",
            recorded(AUDIENCE),
            Some((
                "can(regex(\"^(org-[A-Za-z0-9-]+|proj_[A-Za-z0-9]+)$\", var.audience))",
                "The audience is the organization id (org-...) or an API project id (proj_...).",
            )),
        ),
        variable(
            "workload_identity_project_number",
            "string",
            "The number (digits) of the project that holds the workload identity pool.",
            recorded(WORKLOAD_IDENTITY_PROJECT_NUMBER),
            Some((
                "can(regex(\"^[0-9]+$\", var.workload_identity_project_number))",
                "A project number is digits only.",
            )),
        ),
        variable(
            "workload_identity_pool_id",
            "string",
            "The workload identity pool's id.",
            recorded(WORKLOAD_IDENTITY_POOL_ID),
            Some((
                "can(regex(\"^[a-z0-9-]{4,32}$\", var.workload_identity_pool_id)) && !startswith(var.workload_identity_pool_id, \"gcp-\")",
                "A pool id is 4 to 32 lowercase letters, digits or hyphens, not starting with gcp-.",
            )),
        ),
        variable(
            "workload_identity_provider_id",
            "string",
            "The OIDC provider's id in that pool.",
            recorded(WORKLOAD_IDENTITY_PROVIDER_ID),
            Some((
                "can(regex(\"^[a-z0-9-]{4,32}$\", var.workload_identity_provider_id))",
                "A provider id is 4 to 32 lowercase letters, digits or hyphens.",
            )),
        ),
        variable(
            "kms_project_id",
            "string",
            "The id of the project that holds the key.",
            recorded(KMS_PROJECT_ID),
            Some((
                "can(regex(\"^[a-z][a-z0-9-]{4,28}[a-z0-9]$\", var.kms_project_id))",
                "A project id is 6 to 30 lowercase letters, digits or hyphens.",
            )),
        ),
        variable(
            "kms_key_location",
            "string",
            "The key ring's location, such as us-east1.",
            recorded(KMS_KEY_LOCATION),
            Some((
                "can(regex(\"^[a-z0-9-]+$\", var.kms_key_location))",
                "A Cloud KMS location such as us-east1 or global.",
            )),
        ),
        variable(
            "kms_key_ring_name",
            "string",
            "The key ring's name.",
            recorded(KMS_KEY_RING_NAME),
            Some((
                "can(regex(\"^[A-Za-z0-9_-]{1,63}$\", var.kms_key_ring_name))",
                "1 to 63 letters, digits, _ or -.",
            )),
        ),
        variable(
            "kms_key_name",
            "string",
            "The key's name.",
            recorded(KMS_KEY_NAME),
            Some((
                "can(regex(\"^[A-Za-z0-9_-]{1,63}$\", var.kms_key_name))",
                "1 to 63 letters, digits, _ or -.",
            )),
        ),
        variable(
            "role_id",
            "string",
            "The custom role's id.",
            recorded(ROLE_ID),
            Some((
                "can(regex(\"^[A-Za-z0-9_.]{3,64}$\", var.role_id))",
                "3 to 64 letters, digits, _ or ..",
            )),
        ),
    ]);
    let settings = provider_settings("${var.audience}");
    let role = custom_role("${var.role_id}");
    let member = principal(&Federation {
        project_number: "${var.workload_identity_project_number}".into(),
        pool: "${google_iam_workload_identity_pool.ekm.workload_identity_pool_id}".into(),
        provider: String::new(),
    });
    let main = file(&[
        Item::Block(
            Block::new("resource", &["google_project_service", "cloudkms"])
                .attribute("project", expr("var.kms_project_id"))
                .attribute("service", json!("cloudkms.googleapis.com"))
                .attribute("disable_on_destroy", json!(false)),
        ),
        Item::Block(
            Block::new("resource", &["google_iam_workload_identity_pool", "ekm"])
                .attribute("project", expr("var.workload_identity_project_number"))
                .attribute(
                    "workload_identity_pool_id",
                    expr("var.workload_identity_pool_id"),
                )
                .attribute("display_name", json!("OpenAI EKM")),
        ),
        Item::Block(
            Block::new(
                "resource",
                &["google_iam_workload_identity_pool_provider", "ekm"],
            )
            .attribute("project", expr("var.workload_identity_project_number"))
            .attribute(
                "workload_identity_pool_id",
                expr("google_iam_workload_identity_pool.ekm.workload_identity_pool_id"),
            )
            .attribute(
                "workload_identity_pool_provider_id",
                expr("var.workload_identity_provider_id"),
            )
            .attribute("attribute_mapping", settings["attribute_mapping"].clone())
            .attribute(
                "attribute_condition",
                settings["attribute_condition"].clone(),
            )
            .blank()
            .block(
                Block::new("oidc", &[])
                    .attribute("issuer_uri", settings["issuer_uri"].clone())
                    .attribute("allowed_audiences", json!([expr("var.audience")])),
            ),
        ),
        Item::Block(
            Block::new("resource", &["google_kms_key_ring", "ekm"])
                .attribute("project", expr("var.kms_project_id"))
                .attribute("name", expr("var.kms_key_ring_name"))
                .attribute("location", expr("var.kms_key_location"))
                .attribute(
                    "depends_on",
                    json!([expr("google_project_service.cloudkms")]),
                ),
        ),
        Item::Block(
            Block::new("resource", &["google_kms_crypto_key", "ekm"])
                .attribute("name", expr("var.kms_key_name"))
                .attribute("key_ring", expr("google_kms_key_ring.ekm.id"))
                .attribute("purpose", json!("ENCRYPT_DECRYPT"))
                .attribute("rotation_period", json!("7776000s"))
                .blank()
                // The master key outlives the module: destroying it would make the data it
                // protects unreadable.
                .block(Block::new("lifecycle", &[]).attribute("prevent_destroy", json!(true))),
        ),
        Item::Block(
            Block::new("resource", &["google_project_iam_custom_role", "ekm"])
                .attribute("project", expr("var.kms_project_id"))
                .attribute("role_id", expr("var.role_id"))
                .attribute("title", role["role"]["title"].clone())
                .attribute("description", role["role"]["description"].clone())
                .attribute("permissions", role["role"]["includedPermissions"].clone())
                .attribute("stage", role["role"]["stage"].clone()),
        ),
        Item::Block(
            Block::new("resource", &["google_kms_crypto_key_iam_member", "openai"])
                .attribute("crypto_key_id", expr("google_kms_crypto_key.ekm.id"))
                .attribute("role", expr("google_project_iam_custom_role.ekm.id"))
                .attribute("member", template(&member)),
        ),
    ]);
    let config = json!({
        "type": "gcp",
        "org_id": expr("var.org_id"),
        "audience": expr("var.audience"),
        "workload_identity_project_number": expr("var.workload_identity_project_number"),
        "workload_identity_pool_id": expr("google_iam_workload_identity_pool.ekm.workload_identity_pool_id"),
        "workload_identity_provider_id": expr("google_iam_workload_identity_pool_provider.ekm.workload_identity_pool_provider_id"),
        "kms_project_id": expr("var.kms_project_id"),
        "kms_key_location": expr("var.kms_key_location"),
        "kms_key_ring_name": expr("google_kms_key_ring.ekm.name"),
        "kms_key_name": expr("google_kms_crypto_key.ekm.name"),
        "role_id": expr("var.role_id"),
    });

    let outputs = file(&[
        Item::Block(
            Block::new("output", &["principal"])
                .attribute(
                    "description",
                    json!("OpenAI's principal, granted the custom role on the key."),
                )
                .attribute("value", template(&member)),
        ),
        config_output("gcp", &config),
    ]);
    module(versions, variables, main, outputs)
}
