//! The Azure check plan as data: each check's id, title, what a pass proves, the step that
//! fixes it, the fields it needs and the checks it waits for.

use super::ids::*;
use crate::checks::{CheckSpec, Need};
use crate::guide::CheckId;

/// The Azure checks, in the order they are shown.
pub static PLAN: [CheckSpec; 7] = [
    CheckSpec {
        id: CHECK_IDENTITY,
        title: "Who you are",
        proves: "the credentials work in the recorded tenant",
        fix_step: STEP_SERVICE_PRINCIPAL,
        needs_fields: &[],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_SERVICE_PRINCIPAL,
        title: "OpenAI's service principal",
        proves: "OpenAI's application has a service principal in the tenant, enabled",
        fix_step: STEP_SERVICE_PRINCIPAL,
        needs_fields: &[],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_VAULT,
        title: "Key vault",
        proves: "the vault exists at the recorded address and uses Azure RBAC",
        fix_step: STEP_CREATE_KEY,
        needs_fields: VAULT_FIELDS,
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_KEY,
        title: "Key",
        proves: "the key is an enabled RSA key that may encrypt and decrypt",
        fix_step: STEP_CREATE_KEY,
        needs_fields: KEY_FIELDS,
        needs_checks: &[],
        calls: 2,
    },
    CheckSpec {
        id: CHECK_ROLE_ASSIGNMENT,
        title: "Role assignment",
        proves: "OpenAI's service principal holds a role with the three data actions at the key or above",
        fix_step: STEP_ROLE_ASSIGNMENT,
        needs_fields: KEY_FIELDS,
        needs_checks: &[Need::after(
            CHECK_SERVICE_PRINCIPAL,
            "OpenAI's service principal",
        )],
        calls: 3,
    },
    CheckSpec {
        id: CHECK_ROUND_TRIP,
        title: "Encrypt and decrypt",
        proves: "the key encrypts and decrypts for you (not yet for OpenAI)",
        fix_step: STEP_CREATE_KEY,
        needs_fields: KEY_FIELDS,
        needs_checks: &[Need::beside(CHECK_KEY, "the key")],
        calls: 2,
    },
    CheckSpec {
        id: CHECK_VAULT_HARDENING,
        title: "Vault protection",
        proves: "soft delete, purge protection and a closed firewall keep the key safe",
        fix_step: STEP_RESTRICTIONS,
        needs_fields: VAULT_FIELDS,
        needs_checks: &[Need::after(CHECK_VAULT, "the vault")],
        calls: 1,
    },
];

/// The fields that place the vault and the key: their checks wait until all are recorded.
const VAULT_FIELDS: &[crate::guide::FieldId] =
    &[VAULT_URI, KEY_NAME, SUBSCRIPTION_ID, RESOURCE_GROUP];
const KEY_FIELDS: &[crate::guide::FieldId] =
    &[KEY_NAME, VAULT_URI, SUBSCRIPTION_ID, RESOURCE_GROUP];

pub const CHECK_IDENTITY: CheckId = CheckId::new("identity");
pub const CHECK_SERVICE_PRINCIPAL: CheckId = CheckId::new("service-principal");
pub const CHECK_VAULT: CheckId = CheckId::new("vault");
pub const CHECK_KEY: CheckId = CheckId::new("key");
pub const CHECK_ROLE_ASSIGNMENT: CheckId = CheckId::new("role-assignment");
pub const CHECK_ROUND_TRIP: CheckId = CheckId::new("round-trip");
pub const CHECK_VAULT_HARDENING: CheckId = CheckId::new("vault-hardening");
