//! Live validation: with the admin's own credentials, prove each step was done before the key
//! is registered. Checks return plain results (no screen types); the TUI and `check` show them.

pub mod aws;
pub mod azure;
pub mod condition;
pub mod gcp;
pub mod policy;
pub mod rest;

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Fail,
    Warn,
    Skip,
}

impl CheckStatus {
    pub fn mark(self) -> &'static str {
        match self {
            CheckStatus::Pass => "✓",
            CheckStatus::Fail => "✗",
            CheckStatus::Warn => "!",
            CheckStatus::Skip => "-",
        }
    }
}

/// One check's result: what was checked, how it came out, what to do, and the step it proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub id: &'static str,
    pub title: &'static str,
    pub status: CheckStatus,
    /// What was found, in words a person can act on.
    pub detail: String,
    /// The id of the step the check proves, in the cloud's guide.
    pub step: &'static str,
}

impl CheckResult {
    pub fn new(
        id: &'static str,
        title: &'static str,
        step: &'static str,
        status: CheckStatus,
        detail: impl Into<String>,
    ) -> Self {
        CheckResult {
            id,
            title,
            status,
            detail: detail.into(),
            step,
        }
    }
}

/// Why no check could run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannotCheck(pub String);

impl std::fmt::Display for CannotCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub(crate) async fn within<T>(timeout: Duration, work: impl Future<Output = T>) -> Option<T> {
    tokio::time::timeout(timeout, work).await.ok()
}

pub(crate) fn timed_out(
    id: &'static str,
    title: &'static str,
    step: &'static str,
    timeout: Duration,
) -> CheckResult {
    CheckResult::new(
        id,
        title,
        step,
        CheckStatus::Fail,
        format!(
            "no answer within {} s (network, or a slow endpoint: retry, or raise --timeout)",
            timeout.as_secs()
        ),
    )
}

/// A value that is different every run: the plaintext of the round trip.
pub(crate) fn probe_bytes() -> Vec<u8> {
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
        ^ u128::from(std::process::id());
    let mut state = seed as u64 | 1;
    (0..32)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// A check that did not run, and why.
pub(crate) fn skip(
    id: &'static str,
    title: &'static str,
    step: &'static str,
    why: &str,
) -> CheckResult {
    CheckResult::new(id, title, step, CheckStatus::Skip, why)
}

/// What the checks of one cloud need, read from the recorded inputs.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Aws(aws::AwsTarget),
    Gcp(gcp::GcpTarget),
    Azure(azure::AzureTarget),
}

impl Target {
    /// Reads the recorded values of `cloud`; every refused field is returned.
    pub fn from_inputs(
        cloud: crate::guide::Cloud,
        inputs: &crate::guide::Inputs,
        path: crate::guide::SetupPath,
    ) -> Result<Target, Vec<crate::guide::FieldError>> {
        use crate::guide::Cloud;
        Ok(match cloud {
            Cloud::Aws => Target::Aws(aws::AwsTarget::from_inputs(inputs, path)?),
            Cloud::Gcp => Target::Gcp(gcp::GcpTarget::from_inputs(inputs, path)?),
            Cloud::Azure => Target::Azure(azure::AzureTarget::from_inputs(inputs, path)?),
        })
    }
}

/// How the checks run: the time each request may take, and the AWS profile when one is named.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub timeout: Duration,
    pub aws_profile: Option<String>,
}

/// Runs every check of the target's cloud, handing each result to `report` as it is known.
/// Fails as a whole only when no credentials could be found.
pub async fn run(
    target: &Target,
    options: &CheckOptions,
    report: &(dyn Fn(&CheckResult) + Sync),
) -> Result<Vec<CheckResult>, CannotCheck> {
    match target {
        Target::Aws(target) => {
            let options = aws::AwsOptions {
                profile: options.aws_profile.clone(),
                timeout: options.timeout,
            };
            aws::run(target, &options, report).await
        }
        Target::Gcp(target) => {
            let options = gcp::GcpOptions {
                timeout: options.timeout,
            };
            gcp::run(target, &options, report).await
        }
        Target::Azure(target) => {
            let options = azure::AzureOptions {
                timeout: options.timeout,
            };
            azure::run(target, &options, report).await
        }
    }
}
