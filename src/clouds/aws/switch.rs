//! The AWS key switch of a revocation drill: DisableKey and EnableKey on the recorded key,
//! signed in on its own so that the checks' session never holds it.

use std::time::Duration;

use aws_sdk_kms::types::KeyState;

use super::session::{aws_host, kms_for, service_said, signed_in, unreachable};
use super::target::AwsTarget;
use crate::checks::{CannotCheck, CheckOptions, within};
use crate::guide::plan::{KeySwitch, SwitchError, SwitchableKey};

/// The KMS client of one drill, for the recorded key.
pub(super) struct AwsKeySwitch<'a> {
    target: &'a AwsTarget,
    kms: aws_sdk_kms::Client,
    /// How long each call may take.
    timeout: Duration,
}

impl AwsKeySwitch<'_> {
    /// Signs in (the same credentials as the checks) and readies KMS in the key's region.
    pub(super) async fn connect<'a>(
        target: &'a AwsTarget,
        options: &CheckOptions,
    ) -> Result<AwsKeySwitch<'a>, CannotCheck> {
        let config = signed_in(options).await?;
        Ok(AwsKeySwitch {
            target,
            kms: kms_for(&config, &target.key),
            timeout: options.timeout,
        })
    }
}

#[async_trait::async_trait]
impl KeySwitch for AwsKeySwitch<'_> {
    /// The key the recorded ARN (or alias) names, by its id: a drill disables the key itself.
    async fn switchable_key(&self) -> Result<SwitchableKey, SwitchError> {
        let asked = self.target.key.arn();
        let host = aws_host("kms", &self.target.key.region);
        let answer = within(self.timeout, self.kms.describe_key().key_id(&asked).send())
            .await
            .ok_or_else(|| {
                SwitchError::Unreachable(crate::net::Unreachable::TimedOut.sentence(&host))
            })?
            .map_err(|e| match unreachable(&e, &host) {
                Some(sentence) => SwitchError::Unreachable(sentence),
                None => {
                    SwitchError::Failed(format!("could not read {asked}: {}", service_said(&e)))
                }
            })?;
        let meta = answer
            .key_metadata()
            .ok_or_else(|| format!("KMS described no key for {asked}"))?;
        let arn = meta.arn().unwrap_or(&asked).to_string();
        Ok(SwitchableKey {
            handle: meta.key_id().to_string(),
            described: format!("the KMS key {arn}"),
            on: meta.key_state() == Some(&KeyState::Enabled),
            switch_on_command: format!(
                "aws kms enable-key --key-id {arn} --region {}",
                self.target.key.region
            ),
        })
    }

    /// DisableKey or EnableKey, by the key's id (AWS takes the id or the ARN in the key's own
    /// account and region).
    async fn set_key_on(&self, handle: &str, on: bool) -> Result<(), SwitchError> {
        let host = aws_host("kms", &self.target.key.region);
        let outcome = if on {
            within(self.timeout, self.kms.enable_key().key_id(handle).send())
                .await
                .map(|r| {
                    r.map(|_| ())
                        .map_err(|e| (unreachable(&e, &host), service_said(&e)))
                })
        } else {
            within(self.timeout, self.kms.disable_key().key_id(handle).send())
                .await
                .map(|r| {
                    r.map(|_| ())
                        .map_err(|e| (unreachable(&e, &host), service_said(&e)))
                })
        };
        match outcome {
            None => Err(SwitchError::Unreachable(
                crate::net::Unreachable::TimedOut.sentence(&host),
            )),
            Some(Err((Some(sentence), _))) => Err(SwitchError::Unreachable(sentence)),
            Some(Err((None, said))) => Err(SwitchError::Failed(format!(
                "KMS refused to {} the key: {said}",
                if on { "enable" } else { "disable" }
            ))),
            Some(Ok(())) => Ok(()),
        }
    }
}
