//! The Google Cloud key switch of a revocation drill: the key's primary version disabled and
//! enabled again (the key itself has no on and off), signed in on its own so that the checks'
//! session never holds it.

use reqwest::Method;
use serde_json::json;

use super::artifacts::KeyLocation;
use super::session::{API_URL_VAR, Google, KMS_HOST, discover};
use super::target::{GcpTarget, key_display, key_url};
use crate::checks::rest::{Redirect, Rest};
use crate::checks::{CannotCheck, CheckOptions, within};
use crate::guide::plan::{KeySwitch, SwitchError, SwitchableKey};

/// One drill's connection to Google.
pub(super) struct GcpKeySwitch<'a> {
    google: Google<'a>,
}

impl GcpKeySwitch<'_> {
    /// Finds credentials the same way the checks do.
    pub(super) async fn connect<'a>(
        target: &'a GcpTarget,
        options: &CheckOptions,
    ) -> Result<GcpKeySwitch<'a>, CannotCheck> {
        let redirect = Redirect::from_env(API_URL_VAR)?;
        let rest = Rest::new(redirect, options.timeout, &super::rest_shape::DIALECT)?;
        let credentials = discover(options.timeout).await?;
        Ok(GcpKeySwitch {
            google: Google {
                rest,
                token: credentials.token,
                target,
                timeout: options.timeout,
            },
        })
    }
}

/// Where a key version's name says it belongs: under `key`, then `/cryptoKeyVersions/` and
/// digits. A name read from an answer or a drill record is used only then.
fn version_of(key: &KeyLocation, name: &str) -> Option<String> {
    let number = name.strip_prefix(&format!("{}/cryptoKeyVersions/", key_display(key)))?;
    (!number.is_empty() && number.len() <= 10 && number.chars().all(|c| c.is_ascii_digit()))
        .then(|| number.to_string())
}

#[async_trait::async_trait]
impl KeySwitch for GcpKeySwitch<'_> {
    /// The key's primary version: a drill disables it (the key itself has no on and off).
    async fn switchable_key(&self) -> Result<SwitchableKey, SwitchError> {
        let google = &self.google;
        let key = google
            .target
            .key
            .as_ref()
            .ok_or_else(|| "the key is not recorded yet (steps 2 and 3)".to_string())?;
        let found = google
            .get(&key_url(key))
            .await
            .ok_or_else(|| {
                SwitchError::Unreachable(crate::net::Unreachable::TimedOut.sentence(KMS_HOST))
            })?
            .map_err(|e| match e.status {
                None => SwitchError::Unreachable(e.message),
                Some(_) => SwitchError::Failed(format!(
                    "could not read {}: {}",
                    key_display(key),
                    e.message
                )),
            })?;
        let primary = &found["primary"];
        let name = primary["name"].as_str().unwrap_or_default();
        let number = version_of(key, name)
            .ok_or_else(|| format!("{} has no primary version to switch off", key_display(key)))?;
        Ok(SwitchableKey {
            handle: name.to_string(),
            described: format!("version {number} (the primary) of {}", key_display(key)),
            on: primary["state"].as_str() == Some("ENABLED"),
            switch_on_command: format!(
                "gcloud kms keys versions enable {number} --key={} --keyring={} --location={} --project={}",
                key.key, key.ring, key.location, key.project
            ),
        })
    }

    /// Sets the version's state (`updateMask=state`), as `gcloud kms keys versions
    /// enable|disable` does.
    async fn set_key_on(&self, handle: &str, on: bool) -> Result<(), SwitchError> {
        let google = &self.google;
        let key = google
            .target
            .key
            .as_ref()
            .ok_or_else(|| "the key is not recorded".to_string())?;
        let number = version_of(key, handle)
            .ok_or_else(|| format!("`{handle}` is not a version of {}", key_display(key)))?;
        let url = format!(
            "{}/cryptoKeyVersions/{number}?updateMask=state",
            key_url(key)
        );
        let state = if on { "ENABLED" } else { "DISABLED" };
        let answer = within(
            google.timeout,
            google.rest.call(
                Method::PATCH,
                &url,
                &google.token,
                Some(&json!({"state": state})),
            ),
        )
        .await
        .ok_or_else(|| {
            SwitchError::Unreachable(crate::net::Unreachable::TimedOut.sentence(KMS_HOST))
        })?;
        match answer {
            Ok(version) if version["state"].as_str() == Some(state) => Ok(()),
            Ok(version) => Err(SwitchError::Failed(format!(
                "Cloud KMS answered with the version {}, not {state}",
                version["state"].as_str().unwrap_or("in an unknown state")
            ))),
            Err(err) if err.status.is_none() => Err(SwitchError::Unreachable(err.message)),
            Err(err) => Err(SwitchError::Failed(format!(
                "Cloud KMS refused to set version {number} {state}: {}",
                err.message
            ))),
        }
    }
}
