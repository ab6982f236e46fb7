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
    /// Proved: the cloud showed what the guide asks for.
    Pass,
    /// Proved broken: the cloud showed something the guide does not allow.
    Fail,
    /// Works, but something deserves a look (wider than needed, a recommendation missed).
    Warn,
    /// Could not check: refused to read (403), no answer, an answer that could not be read,
    /// or it needed something that could not be checked. Proves nothing either way.
    Unverified,
    /// Not run: it needs a check that failed.
    Skip,
    /// Not run yet: it needs a value recorded on a later step.
    Waiting,
}

impl CheckStatus {
    pub fn mark(self) -> &'static str {
        match self {
            CheckStatus::Pass => "✓",
            CheckStatus::Fail => "✗",
            CheckStatus::Warn => "!",
            CheckStatus::Unverified => "?",
            CheckStatus::Skip => "-",
            CheckStatus::Waiting => "…",
        }
    }
}

/// What a whole check run proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every check ran and passed (warnings allowed).
    Verified,
    /// At least one check failed.
    Failed,
    /// Nothing failed, but at least one check could not run or could not read what it needs.
    NotVerified,
}

impl Verdict {
    /// The verdict of a run: failed if anything failed; verified only if every check ran and
    /// passed (or warned); otherwise not verified. An empty run proves nothing.
    pub fn of(results: &[CheckResult]) -> Verdict {
        if results.iter().any(|r| r.status == CheckStatus::Fail) {
            Verdict::Failed
        } else if results.is_empty()
            || results.iter().any(|r| {
                matches!(
                    r.status,
                    CheckStatus::Unverified | CheckStatus::Skip | CheckStatus::Waiting
                )
            })
        {
            Verdict::NotVerified
        } else {
            Verdict::Verified
        }
    }

    /// The exit code of `check`: 0 verified, 1 failed, 3 not verified.
    pub fn exit_code(self) -> u8 {
        use crate::exit::{EXIT_NOT_VERIFIED, EXIT_OK, EXIT_REFUSED};
        match self {
            Verdict::Verified => EXIT_OK,
            Verdict::Failed => EXIT_REFUSED,
            Verdict::NotVerified => EXIT_NOT_VERIFIED,
        }
    }

    /// The verdict as `check --json` writes it: `verified`, `failed`, `not-verified`.
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Verified => "verified",
            Verdict::Failed => "failed",
            Verdict::NotVerified => "not-verified",
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
        CheckStatus::Unverified,
        format!(
            "could not check: no answer within {} s (network, or a slow endpoint: retry, or raise --timeout)",
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

/// A check that could not run because what it needs could not be checked.
pub(crate) fn unverified(
    id: &'static str,
    title: &'static str,
    step: &'static str,
    why: &str,
) -> CheckResult {
    CheckResult::new(id, title, step, CheckStatus::Unverified, why)
}

/// A check that needs `prerequisite` (described as `what`), which did not pass: skipped when it
/// failed (the failure says what to fix), not verified when it could not be checked.
pub(crate) fn after(
    prerequisite: &CheckResult,
    id: &'static str,
    title: &'static str,
    step: &'static str,
    what: &str,
) -> CheckResult {
    if prerequisite.status == CheckStatus::Fail {
        skip(id, title, step, &format!("needs {what}, which failed"))
    } else if matches!(
        prerequisite.status,
        CheckStatus::Skip | CheckStatus::Waiting
    ) {
        CheckResult::new(
            id,
            title,
            step,
            prerequisite.status,
            prerequisite.detail.clone(),
        )
    } else {
        unverified(
            id,
            title,
            step,
            &format!("could not check: needs {what}, which could not be checked"),
        )
    }
}

/// A check whose input is recorded on a later step: it waits for that step.
pub(crate) fn waiting(
    id: &'static str,
    title: &'static str,
    step: &'static str,
    cloud: crate::guide::Cloud,
    field: crate::guide::FieldId,
) -> CheckResult {
    let guide = cloud.guide();
    let label = field.label();
    let when = guide
        .steps
        .iter()
        .position(|s| s.fields.iter().any(|f| f.id == field))
        .map(|i| format!("step {}", i + 1))
        .unwrap_or_else(|| "the start screen".into());
    CheckResult::new(
        id,
        title,
        step,
        CheckStatus::Waiting,
        format!("waits for {when}: {label} is not recorded yet"),
    )
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
    /// Reads what is recorded so far: a value not yet recorded leaves the checks that need it
    /// waiting for its step; a value recorded wrong is refused, with every such field named.
    pub fn from_recorded(
        cloud: crate::guide::Cloud,
        inputs: &crate::guide::Inputs,
        path: crate::guide::SetupPath,
    ) -> Result<Target, Vec<crate::guide::FieldError>> {
        use crate::guide::Cloud;
        Ok(match cloud {
            Cloud::Aws => Target::Aws(aws::AwsTarget::from_recorded(inputs, path)?),
            Cloud::Gcp => Target::Gcp(gcp::GcpTarget::from_recorded(inputs, path)?),
            Cloud::Azure => Target::Azure(azure::AzureTarget::from_recorded(inputs, path)?),
        })
    }

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
