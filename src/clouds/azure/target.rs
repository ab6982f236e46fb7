//! The Azure target: the recorded inputs (the tenant, the vault and the key's place) read into
//! what the checks and apply use.

use super::artifacts::KeyPlace;
use super::ids::*;
use crate::guide::{FieldError, Inputs, SetupPath};

/// What the checks need from the recorded inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct AzureTarget {
    pub tenant: String,
    /// The vault and key, once step 3 recorded them; until then their checks wait.
    pub vault: Option<VaultPlace>,
}

/// Where the key is: the vault's address and the key's place in Azure.
#[derive(Debug, Clone, PartialEq)]
pub struct VaultPlace {
    pub vault_uri: String,
    pub place: KeyPlace,
}

impl AzureTarget {
    /// Reads the recorded values; every refused field is returned.
    pub fn from_inputs(inputs: &Inputs, _path: SetupPath) -> Result<AzureTarget, Vec<FieldError>> {
        Self::read(inputs, true)
    }

    /// Reads what is recorded so far: the tenant is needed, the vault and key may come later.
    pub fn from_recorded(
        inputs: &Inputs,
        _path: SetupPath,
    ) -> Result<AzureTarget, Vec<FieldError>> {
        Self::read(inputs, false)
    }

    fn read(inputs: &Inputs, whole: bool) -> Result<AzureTarget, Vec<FieldError>> {
        let tenant = inputs.validated(TENANT_ID);
        let later = [VAULT_URI, KEY_NAME, SUBSCRIPTION_ID, RESOURCE_GROUP];
        if !whole && later.iter().any(|f| inputs.effective(*f).trim().is_empty()) {
            return tenant
                .map(|tenant| AzureTarget {
                    tenant,
                    vault: None,
                })
                .map_err(|e| vec![e]);
        }
        let vault_uri = inputs.validated(VAULT_URI);
        let place = super::artifacts::key_place(inputs);
        let mut errors = Vec::new();
        errors.extend(tenant.as_ref().err().cloned());
        errors.extend(vault_uri.as_ref().err().cloned());
        errors.extend(place.as_ref().err().cloned().unwrap_or_default());
        match (tenant, vault_uri, place) {
            (Ok(tenant), Ok(vault_uri), Ok(place)) => Ok(AzureTarget {
                tenant,
                vault: Some(VaultPlace { vault_uri, place }),
            }),
            _ => Err(crate::artifacts::dedup(errors)),
        }
    }
}
