//! The contract of live checks: what a kit declares (a plan of `CheckSpec`s) and performs (one
//! call at a time, through `CheckSession`), and what a run produces (results and a verdict).
//! The one runner that schedules any plan is `checks::run`.

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::{ActionId, CheckId, FieldId, StepId};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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
    /// Not part of this setup: what was recorded (or the path taken) leaves it out. It proves
    /// nothing and is owed nothing, so it leaves the verdict as the other checks make it.
    #[serde(rename = "does-not-apply")]
    DoesNotApply,
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
            CheckStatus::DoesNotApply => "○",
        }
    }

    /// The status in a word or two, as a person says it.
    pub fn words(self) -> &'static str {
        match self {
            CheckStatus::Pass => "passed",
            CheckStatus::Fail => "failed",
            CheckStatus::Warn => "passed, with something to look at",
            CheckStatus::Unverified => "could not be checked",
            CheckStatus::Skip => "not run",
            CheckStatus::Waiting => "waits for a later step",
            CheckStatus::DoesNotApply => "does not apply here",
        }
    }

    /// Whether a check that needs this one may run.
    pub fn lets_others_run(self) -> bool {
        matches!(self, CheckStatus::Pass | CheckStatus::Warn)
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
        // A check that does not apply weighs nothing, either way.
        let results: Vec<&CheckResult> = results
            .iter()
            .filter(|r| r.status != CheckStatus::DoesNotApply)
            .collect();
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
    pub id: CheckId,
    pub title: &'static str,
    pub status: CheckStatus,
    /// What was found, in words a person can act on.
    pub detail: String,
    /// The step that fixes it, in the cloud's guide.
    pub step: StepId,
}

impl CheckResult {
    pub fn new(
        id: CheckId,
        title: &'static str,
        step: StepId,
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

    /// The result of a planned check.
    pub fn of(spec: &CheckSpec, status: CheckStatus, detail: impl Into<String>) -> Self {
        CheckResult {
            id: spec.id,
            title: spec.title,
            status,
            detail: detail.into(),
            step: spec.fix_step,
        }
    }
}

/// What one performed check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub status: CheckStatus,
    pub detail: String,
    /// The step that fixes this finding, when it is not the plan's (a role assignment that
    /// fails because the role lacks an action is fixed where the role is defined).
    pub fix_step: Option<StepId>,
}

impl Finding {
    pub fn new(status: CheckStatus, detail: impl Into<String>) -> Finding {
        Finding {
            status,
            detail: detail.into(),
            fix_step: None,
        }
    }

    /// The same finding, fixed at another step than the plan's.
    pub fn at_step(self, step: StepId) -> Finding {
        Finding {
            fix_step: Some(step),
            ..self
        }
    }

    /// The finding as a result of `spec`.
    pub fn into_result(self, spec: &CheckSpec) -> CheckResult {
        CheckResult {
            id: spec.id,
            title: spec.title,
            status: self.status,
            detail: self.detail,
            step: self.fix_step.unwrap_or(spec.fix_step),
        }
    }

    pub fn pass(detail: impl Into<String>) -> Finding {
        Finding::new(CheckStatus::Pass, detail)
    }

    pub fn fail(detail: impl Into<String>) -> Finding {
        Finding::new(CheckStatus::Fail, detail)
    }

    pub fn warn(detail: impl Into<String>) -> Finding {
        Finding::new(CheckStatus::Warn, detail)
    }

    pub fn unverified(detail: impl Into<String>) -> Finding {
        Finding::new(CheckStatus::Unverified, detail)
    }

    /// A check that needs what could not be read.
    pub fn timed_out(timeout: Duration) -> Finding {
        Finding::unverified(format!(
            "could not check: no answer within {} s (network, or a slow endpoint: retry, or raise --timeout)",
            timeout.as_secs()
        ))
    }
}

/// A check another check needs, and how the skip message names it: `the key`.
#[derive(Debug, Clone, Copy)]
pub struct Need {
    pub check: CheckId,
    pub what: &'static str,
    /// The check may start at once, beside the one it needs, when it is harmless to try
    /// (a round trip): its finding is dropped if the need does not pass. Otherwise it starts
    /// only after.
    pub overlap: bool,
}

impl Need {
    /// A check that must pass (or warn) before this one starts.
    pub const fn after(check: CheckId, what: &'static str) -> Need {
        Need {
            check,
            what,
            overlap: false,
        }
    }

    /// A check that must pass (or warn) for this one's finding to count; both start at once.
    pub const fn beside(check: CheckId, what: &'static str) -> Need {
        Need {
            check,
            what,
            overlap: true,
        }
    }
}

/// One check of a plan: what it proves, the step that fixes it, and what it needs.
#[derive(Debug, Clone, Copy)]
pub struct CheckSpec {
    pub id: CheckId,
    pub title: &'static str,
    /// What a pass proves, in one sentence.
    pub proves: &'static str,
    pub fix_step: StepId,
    /// Values that must be recorded for it to run; until then it waits for their step.
    pub needs_fields: &'static [FieldId],
    /// Checks that must pass (or warn) first.
    pub needs_checks: &'static [Need],
    /// The most calls it makes one after another: its time limit is that many timeouts.
    pub calls: u32,
}

/// Why no check could run at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannotCheck(pub String);

impl fmt::Display for CannotCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the checks run: the time each call may take, and the named credentials profile when
/// the admin gave one (`--profile`).
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub timeout: Duration,
    pub profile: Option<String>,
}

/// What came of an action a kit performed for the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionOutcome {
    /// Done now, or found already done: a one-word outcome for `--json` (`created`,
    /// `already-there`) and what to tell the admin.
    Done {
        outcome: &'static str,
        message: String,
    },
    /// The cloud refused, or the outcome is unknown: why, and what the admin can do.
    Refused(String),
    /// It could not be tried (no credentials, a bad endpoint override).
    CouldNotTry(String),
}

impl ActionOutcome {
    /// The outcome as `--json` writes it.
    pub fn key(&self) -> &'static str {
        match self {
            ActionOutcome::Done { outcome, .. } => outcome,
            ActionOutcome::Refused(_) => "refused",
            ActionOutcome::CouldNotTry(_) => "not-tried",
        }
    }

    /// What to tell the admin.
    pub fn message(&self) -> &str {
        match self {
            ActionOutcome::Done { message, .. }
            | ActionOutcome::Refused(message)
            | ActionOutcome::CouldNotTry(message) => message,
        }
    }
}

/// What the checks of one cloud read from the recorded inputs: the kit's own type.
#[async_trait::async_trait]
pub trait CheckTarget: Send + Sync + fmt::Debug {
    /// Finds the admin's credentials and readies the clients; fails as a whole when there
    /// are none.
    async fn connect(
        &self,
        options: &CheckOptions,
    ) -> Result<Box<dyn CheckSession + '_>, CannotCheck>;

    /// Why what was recorded (or the path taken) leaves this check out of the setup, if it
    /// does: the runner reports it as not applying instead of performing it.
    fn leaves_out(&self, _check: CheckId) -> Option<String> {
        None
    }

    /// Performs one of the kit's actions.
    async fn perform_action(&self, action: ActionId, _options: &CheckOptions) -> ActionOutcome {
        ActionOutcome::CouldNotTry(format!("{action} is not something this cloud can do"))
    }

    /// Signs in for a revocation drill alone and hands over the one thing that can switch the
    /// key OpenAI uses off and on. Only the drill asks for it; the checks' session cannot.
    async fn key_switch(
        &self,
        _options: &CheckOptions,
    ) -> Result<Box<dyn KeySwitch + '_>, CannotCheck> {
        Ok(Box::new(NoKeySwitch))
    }
}

/// The key a revocation drill switches off and on again, as its cloud names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SwitchableKey {
    /// What `set_key_on` takes: a key id, a key version's name.
    pub handle: String,
    /// In words, for the admin: which key (or version of it).
    pub described: String,
    /// Whether it is on (enabled) now.
    pub on: bool,
    /// The one command that switches it on again, for a person to run.
    pub switch_on_command: String,
}

/// What a session says when its cloud's key cannot be switched by the wizard.
pub const CANNOT_SWITCH: &str = "the wizard cannot switch this cloud's key";

/// A connected session: performs one check at a time when the runner asks. A check may keep
/// what it learned (the key's facts) for the checks that need it; the runner runs those after.
/// It only reads: switching a key is `KeySwitch`, which a session has no way to reach.
#[async_trait::async_trait]
pub trait CheckSession: Send + Sync {
    async fn perform(&self, check: CheckId, timeout: Duration) -> Finding;
}

/// The key switch of a revocation drill, signed in by `CheckTarget::key_switch`: switches the
/// key OpenAI uses off and on.
#[async_trait::async_trait]
pub trait KeySwitch: Send + Sync {
    /// Reads the key a drill would switch: which, and whether it is on.
    async fn switchable_key(&self) -> Result<SwitchableKey, SwitchError>;

    /// Switches the key (by the handle `switchable_key` gave) on or off.
    async fn set_key_on(&self, handle: &str, on: bool) -> Result<(), SwitchError>;
}

/// Why a key switch did not read or switch the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwitchError {
    /// This cloud's kit has no key switch: the wizard cannot switch its key.
    NotSwitchable,
    /// No answer came from the host named (the network's sentence, `net::Unreachable`).
    Unreachable(String),
    /// The cloud refused, did not answer, or answered something unreadable: said in words.
    Failed(String),
}

impl fmt::Display for SwitchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SwitchError::NotSwitchable => f.write_str(CANNOT_SWITCH),
            SwitchError::Unreachable(why) | SwitchError::Failed(why) => f.write_str(why),
        }
    }
}

impl From<String> for SwitchError {
    fn from(why: String) -> Self {
        SwitchError::Failed(why)
    }
}

/// The key switch of a cloud whose key the wizard cannot switch: it says so.
struct NoKeySwitch;

#[async_trait::async_trait]
impl KeySwitch for NoKeySwitch {
    async fn switchable_key(&self) -> Result<SwitchableKey, SwitchError> {
        Err(SwitchError::NotSwitchable)
    }

    async fn set_key_on(&self, _handle: &str, _on: bool) -> Result<(), SwitchError> {
        Err(SwitchError::NotSwitchable)
    }
}
