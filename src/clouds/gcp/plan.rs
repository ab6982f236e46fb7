//! The Google Cloud check plan as data: each check's id, title, what a pass proves, the step
//! that fixes it, the fields it needs and the checks it waits for.

use super::ids::*;
use crate::checks::{CheckSpec, Need};
use crate::guide::CheckId;

/// The Google Cloud checks, in the order they are shown.
pub static PLAN: [CheckSpec; 8] = [
    CheckSpec {
        id: CHECK_IDENTITY,
        title: "Who you are",
        proves: "the credentials work and the pool's project answers",
        fix_step: STEP_FEDERATED_IDENTITY,
        needs_fields: &[],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_POOL,
        title: "Workload identity pool",
        proves: "the pool exists and is active",
        fix_step: STEP_FEDERATED_IDENTITY,
        needs_fields: &[],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_PROVIDER,
        title: "OIDC provider",
        proves: "the provider trusts Google's issuer for OpenAI's audience, maps the subject, and admits OpenAI alone",
        fix_step: STEP_FEDERATED_IDENTITY,
        needs_fields: &[],
        needs_checks: &[Need::after(CHECK_POOL, "the pool")],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_KMS_ENABLED,
        title: "Cloud KMS enabled",
        proves: "the Cloud KMS API is enabled in the key's project",
        fix_step: STEP_ENABLE_KMS,
        needs_fields: KEY_FIELDS,
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_KEY,
        title: "KMS key",
        proves: "the key exists, is enabled and for encrypt and decrypt",
        fix_step: STEP_CREATE_KEY,
        needs_fields: KEY_FIELDS,
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_GRANT,
        title: "OpenAI's access to the key",
        proves: "OpenAI's principal holds a role with cloudkms.cryptoKeyVersions.useToEncrypt and useToDecrypt on the key",
        fix_step: STEP_GRANT,
        needs_fields: KEY_FIELDS,
        needs_checks: &[],
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
        id: CHECK_ROTATION,
        title: "Key rotation",
        proves: "automatic rotation is set",
        fix_step: STEP_RESTRICTIONS,
        needs_fields: KEY_FIELDS,
        needs_checks: &[Need::after(CHECK_KEY, "the key")],
        calls: 1,
    },
];

/// The fields that name the key: its checks wait until all are recorded.
const KEY_FIELDS: &[crate::guide::FieldId] = &[
    KMS_KEY_NAME,
    KMS_PROJECT_ID,
    KMS_KEY_LOCATION,
    KMS_KEY_RING_NAME,
];

pub const CHECK_IDENTITY: CheckId = CheckId::new("identity");
pub const CHECK_POOL: CheckId = CheckId::new("pool");
pub const CHECK_PROVIDER: CheckId = CheckId::new("provider");
pub const CHECK_KMS_ENABLED: CheckId = CheckId::new("kms-enabled");
pub const CHECK_KEY: CheckId = CheckId::new("key");
pub const CHECK_GRANT: CheckId = CheckId::new("grant");
pub const CHECK_ROUND_TRIP: CheckId = CheckId::new("round-trip");
pub const CHECK_ROTATION: CheckId = CheckId::new("rotation");
