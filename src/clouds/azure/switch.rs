//! The Azure key switch of a revocation drill: the `enabled` attribute of the key's current
//! version, set as `az keyvault key set-attributes` does, signed in on its own so that the
//! checks' session never holds it.

use std::time::Duration;

use azure_security_keyvault_keys::ResourceExt as _;
use azure_security_keyvault_keys::models::{
    KeyAttributes, KeyClientUpdateKeyPropertiesOptions, UpdateKeyPropertiesParameters,
};

use super::session::{API_URL_VAR, VaultSession, discover, key_client, vault_error, vault_host};
use super::target::AzureTarget;
use crate::checks::rest::{Redirect, Rest};
use crate::checks::{CannotCheck, CheckOptions, within};
use crate::guide::plan::{KeySwitch, SwitchError, SwitchableKey};

/// One drill's Key Vault client, once the vault and key are recorded.
pub(super) struct AzureKeySwitch<'a> {
    vault: Option<VaultSession<'a>>,
    /// How long each call may take.
    timeout: Duration,
}

impl AzureKeySwitch<'_> {
    /// Finds credentials for the recorded tenant, the same way the checks do.
    pub(super) async fn connect<'a>(
        target: &'a AzureTarget,
        options: &CheckOptions,
    ) -> Result<AzureKeySwitch<'a>, CannotCheck> {
        let redirect = Redirect::from_env(API_URL_VAR)?;
        let rest = Rest::new(redirect, options.timeout, &super::rest_shape::DIALECT)?;
        let credentials = discover(&target.tenant, options.timeout).await?;
        let vault = match &target.vault {
            Some(vault_place) => Some(VaultSession {
                keys: key_client(vault_place, credentials.credential, &rest, options.timeout)?,
                vault_uri: &vault_place.vault_uri,
                place: &vault_place.place,
            }),
            None => None,
        };
        Ok(AzureKeySwitch {
            vault,
            timeout: options.timeout,
        })
    }
}

/// A key version as Key Vault writes it in a key id: letters and digits, no more than 64.
fn is_key_version(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric())
}

#[async_trait::async_trait]
impl KeySwitch for AzureKeySwitch<'_> {
    /// The key's current version: a drill sets its `enabled` attribute.
    async fn switchable_key(&self) -> Result<SwitchableKey, SwitchError> {
        let vault = self
            .vault
            .as_ref()
            .ok_or_else(|| "the vault and key are not recorded yet".to_string())?;
        let name = &vault.place.key;
        let key = within(self.timeout, vault.keys.get_key(name, None))
            .await
            .ok_or_else(|| {
                SwitchError::Unreachable(
                    crate::net::Unreachable::TimedOut.sentence(&vault_host(vault.vault_uri)),
                )
            })?
            .and_then(|r| r.into_model())
            .map_err(|e| {
                let said = vault_error(&e, vault.vault_uri);
                match said.status {
                    None => SwitchError::Unreachable(said.message),
                    Some(_) => SwitchError::Failed(format!(
                        "could not read key `{name}`: {}",
                        said.message
                    )),
                }
            })?;
        let version = key
            .resource_id()
            .ok()
            .and_then(|r| r.version)
            .filter(|v| is_key_version(v))
            .ok_or_else(|| format!("Key Vault gave no version for key `{name}`"))?;
        let on = key.attributes.as_ref().and_then(|a| a.enabled) != Some(false);
        Ok(SwitchableKey {
            described: format!("version {version} of key `{name}` in {}", vault.vault_uri),
            switch_on_command: format!(
                "az keyvault key set-attributes --vault-name {} --name {name} --version {version} --enabled true",
                vault.place.vault
            ),
            handle: version,
            on,
        })
    }

    /// Updates the version's `enabled` attribute, as `az keyvault key set-attributes` does.
    async fn set_key_on(&self, handle: &str, on: bool) -> Result<(), SwitchError> {
        let vault = self
            .vault
            .as_ref()
            .ok_or_else(|| "the vault and key are not recorded".to_string())?;
        if !is_key_version(handle) {
            return Err(format!("`{handle}` is not a key version").into());
        }
        let name = &vault.place.key;
        let parameters = UpdateKeyPropertiesParameters {
            key_attributes: Some(KeyAttributes {
                enabled: Some(on),
                ..Default::default()
            }),
            ..Default::default()
        };
        let options = KeyClientUpdateKeyPropertiesOptions {
            key_version: Some(handle.to_string()),
            ..Default::default()
        };
        let update = async {
            let content = parameters.try_into()?;
            vault
                .keys
                .update_key_properties(name, content, Some(options))
                .await?
                .into_model()
        };
        let updated = within(self.timeout, update)
            .await
            .ok_or_else(|| {
                SwitchError::Unreachable(
                    crate::net::Unreachable::TimedOut.sentence(&vault_host(vault.vault_uri)),
                )
            })?
            .map_err(|e| {
                let said = vault_error(&e, vault.vault_uri);
                match said.status {
                    None => SwitchError::Unreachable(said.message),
                    Some(_) => SwitchError::Failed(format!(
                        "Key Vault refused to {} key `{name}`: {}",
                        if on { "enable" } else { "disable" },
                        said.message
                    )),
                }
            })?;
        match updated.attributes.as_ref().and_then(|a| a.enabled) {
            Some(enabled) if enabled == on => Ok(()),
            other => Err(SwitchError::Failed(format!(
                "Key Vault answered with the key {}",
                match other {
                    Some(true) => "enabled",
                    Some(false) => "disabled",
                    None => "in an unknown state",
                }
            ))),
        }
    }
}
