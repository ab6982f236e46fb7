//! The AWS target: the recorded inputs (the key or its alias, the role, the ExternalId) read
//! into what the checks and apply use.

use super::fields::{KmsArn, RoleArn};
use super::ids::*;
use crate::guide::{FieldError, FieldId, Inputs, SetupPath};

/// What the checks need from the recorded inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsTarget {
    pub key: KmsArn,
    /// The key ARN behind an alias, as recorded.
    pub key_behind_alias: Option<KmsArn>,
    /// The role, once step 3 recorded it; until then its checks wait.
    pub role: Option<RoleArn>,
    pub external_id: String,
}

impl AwsTarget {
    /// Reads the recorded values; every refused field is returned.
    pub fn from_inputs(inputs: &Inputs, path: SetupPath) -> Result<AwsTarget, Vec<FieldError>> {
        Self::read(inputs, path, true)
    }

    /// Reads what is recorded so far: the key is needed, the role may come later.
    pub fn from_recorded(inputs: &Inputs, path: SetupPath) -> Result<AwsTarget, Vec<FieldError>> {
        Self::read(inputs, path, false)
    }

    fn read(inputs: &Inputs, path: SetupPath, whole: bool) -> Result<AwsTarget, Vec<FieldError>> {
        let key = inputs
            .validated(KMS_ARN)
            .and_then(|v| super::fields::kms_arn(&v));
        let role = if whole || !inputs.effective(ROLE_ARN).trim().is_empty() {
            Some(
                inputs
                    .validated(ROLE_ARN)
                    .and_then(|v| super::fields::role_arn(&v)),
            )
        } else {
            None
        };
        let external_id = match path {
            SetupPath::Api => inputs.validated(EXTERNAL_ID),
            SetupPath::ChatGpt => inputs.validated(FieldId::ORG_ID),
        };
        let org = inputs.validated(FieldId::ORG_ID);
        let behind = match &key {
            Ok(k) if k.is_alias() && !inputs.raw(KEY_ARN).trim().is_empty() => Some(
                inputs
                    .validated(KEY_ARN)
                    .and_then(|v| super::fields::key_arn(&v)),
            ),
            _ => None,
        };
        let mut errors = Vec::new();
        errors.extend(org.err());
        errors.extend(key.as_ref().err().cloned());
        if let Some(Err(err)) = &role {
            errors.push(err.clone());
        }
        errors.extend(external_id.as_ref().err().cloned());
        if let Some(Err(err)) = &behind {
            errors.push(err.clone());
        }
        if !errors.is_empty() {
            return Err(crate::artifacts::dedup(errors));
        }
        Ok(AwsTarget {
            key: key.map_err(|e| vec![e])?,
            key_behind_alias: behind.and_then(Result::ok),
            role: role.transpose().map_err(|e| vec![e])?,
            external_id: external_id.map_err(|e| vec![e])?,
        })
    }
}
