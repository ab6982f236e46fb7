//! Live validation: with the admin's own credentials, prove each step was done before the key
//! is registered. Checks return plain results (no screen types); the TUI and `check` show them.

pub mod aws;
pub mod policy;

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
