//! The AWS check plan as data: each check's id, title, what a pass proves, the step that fixes
//! it, the fields it needs and the checks it waits for.

use super::ids::*;
use crate::checks::{CheckSpec, Need};
use crate::guide::CheckId;

/// The AWS checks, in the order they are shown. The runner starts each as soon as what it
/// needs is known: who you are, the key and the role at once; the rest after the key (and the
/// role).
pub static PLAN: [CheckSpec; 8] = [
    CheckSpec {
        id: CHECK_IDENTITY,
        title: "Who you are",
        proves: "the credentials in use belong to an AWS account that answers",
        fix_step: STEP_CREATE_KEY,
        needs_fields: &[],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_KEY,
        title: "KMS key",
        proves: "the key exists, is enabled, symmetric and for encrypt and decrypt",
        fix_step: STEP_CREATE_KEY,
        needs_fields: &[],
        needs_checks: &[],
        calls: 2,
    },
    CheckSpec {
        id: CHECK_KEY_POLICY,
        title: "Key policy",
        proves: "the key policy lets IAM decide, or grants the role itself, and denies it nothing",
        fix_step: STEP_RESTRICTIONS,
        needs_fields: &[],
        needs_checks: &[Need::after(CHECK_KEY, "the key")],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_ROLE,
        title: "Role exists",
        proves: "the recorded role exists",
        fix_step: STEP_ROLE,
        needs_fields: &[ROLE_ARN],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_TRUST_POLICY,
        title: "Trust policy",
        proves: "only OpenAI's principal may assume the role, and only with the agreed ExternalId",
        fix_step: STEP_ROLE,
        needs_fields: &[ROLE_ARN],
        needs_checks: &[Need::after(CHECK_ROLE, "the role")],
        calls: 1,
    },
    CheckSpec {
        id: CHECK_PERMISSIONS,
        title: "Role permissions",
        proves: "the role's policies allow kms:Encrypt and kms:Decrypt on the key",
        fix_step: STEP_IAM_POLICY,
        needs_fields: &[ROLE_ARN],
        needs_checks: &[
            Need::after(CHECK_KEY, "the key"),
            Need::after(CHECK_ROLE, "the role"),
        ],
        calls: 4,
    },
    CheckSpec {
        id: CHECK_ROUND_TRIP,
        title: "Encrypt and decrypt",
        proves: "the key encrypts and decrypts for you (not yet for OpenAI)",
        fix_step: STEP_CREATE_KEY,
        needs_fields: &[],
        needs_checks: &[Need::after(CHECK_KEY, "the key")],
        calls: 2,
    },
    CheckSpec {
        id: CHECK_ROTATION,
        title: "Key rotation",
        proves: "automatic rotation is on",
        fix_step: STEP_RESTRICTIONS,
        needs_fields: &[],
        needs_checks: &[Need::after(CHECK_KEY, "the key")],
        calls: 1,
    },
];

pub const CHECK_IDENTITY: CheckId = CheckId::new("identity");
pub const CHECK_KEY: CheckId = CheckId::new("key");
pub const CHECK_KEY_POLICY: CheckId = CheckId::new("key-policy");
pub const CHECK_ROLE: CheckId = CheckId::new("role");
pub const CHECK_TRUST_POLICY: CheckId = CheckId::new("trust-policy");
pub const CHECK_PERMISSIONS: CheckId = CheckId::new("permissions");
pub const CHECK_ROUND_TRIP: CheckId = CheckId::new("round-trip");
pub const CHECK_ROTATION: CheckId = CheckId::new("rotation");
