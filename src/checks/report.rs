//! What `check --json` prints, as one typed report: the verdict, whether it is ok, why the
//! checks could not run (when they could not), each result, what an action asked for did, and
//! the warnings about the values given. Every way `check` ends writes this one shape.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{CheckResult, Verdict};

/// One `check --json` report. Its keys come out in this order; the ones that are empty or
/// absent are left out.
#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub verdict: Verdict,
    /// True only for a verified run.
    pub ok: bool,
    /// Why the run stopped before any check could run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Each check's result, in the plan's order (empty when none ran).
    pub checks: Vec<CheckResult>,
    /// What an action asked for came to, under the action's own key.
    #[serde(flatten)]
    pub actions: BTreeMap<&'static str, ActionReport>,
    /// What looked wrong in the values given, though it did not stop the checks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What one action came to: its outcome's key and its message, sanitized.
#[derive(Debug, Clone, Serialize)]
pub struct ActionReport {
    pub outcome: &'static str,
    pub message: String,
}

impl CheckReport {
    /// The report of a run that produced `checks` with `verdict`.
    pub fn of(verdict: Verdict, checks: Vec<CheckResult>) -> CheckReport {
        CheckReport {
            verdict,
            ok: verdict == Verdict::Verified,
            error: None,
            checks,
            actions: BTreeMap::new(),
            warnings: Vec::new(),
        }
    }

    /// The report of a run that could not start its checks: nothing is verified.
    pub fn could_not_run(error: String) -> CheckReport {
        CheckReport {
            error: Some(error),
            ..CheckReport::of(Verdict::NotVerified, Vec::new())
        }
    }

    /// The report of a run stopped by an action that was refused: it failed, no check ran.
    pub fn refused(json_key: &'static str, action: ActionReport) -> CheckReport {
        CheckReport::of(Verdict::Failed, Vec::new()).with_action(json_key, action)
    }

    /// The same report, with what an action came to under `json_key`.
    pub fn with_action(mut self, json_key: &'static str, action: ActionReport) -> CheckReport {
        self.actions.insert(json_key, action);
        self
    }

    /// The report as printed: pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    //! The typed report prints byte for byte what `check --json` printed when it was built by
    //! hand, for each way a run ends.

    use serde_json::json;

    use super::*;
    use crate::checks::CheckStatus;
    use crate::guide::{CheckId, StepId};

    fn results() -> Vec<CheckResult> {
        vec![
            CheckResult::new(
                CheckId::new("key-exists"),
                "Key exists",
                StepId::new("create-key"),
                CheckStatus::Pass,
                "found",
            ),
            CheckResult::new(
                CheckId::new("key-policy"),
                "Key policy",
                StepId::new("key-policy"),
                CheckStatus::Warn,
                "wider than needed",
            ),
        ]
    }

    #[test]
    fn a_finished_run_keeps_its_keys_in_order() {
        let report = CheckReport::of(Verdict::Verified, results());
        let by_hand = json!({"verdict": "verified", "ok": true, "checks": results()});
        assert_eq!(report.to_json(), format!("{by_hand:#}"));
    }

    #[test]
    fn an_action_and_warnings_follow_the_checks() {
        let action = ActionReport {
            outcome: "created",
            message: "made it".into(),
        };
        let mut report =
            CheckReport::of(Verdict::Failed, results()).with_action("service_principal", action);
        report.warnings = vec!["looks odd".into()];
        let mut by_hand = json!({"verdict": "failed", "ok": false, "checks": results()});
        by_hand["service_principal"] = json!({"outcome": "created", "message": "made it"});
        by_hand["warnings"] = json!(["looks odd"]);
        assert_eq!(report.to_json(), format!("{by_hand:#}"));
    }

    #[test]
    fn a_run_that_could_not_start_says_why_before_its_empty_checks() {
        let report = CheckReport::could_not_run("no credentials".into());
        let by_hand = json!({"verdict": "not-verified", "ok": false, "error": "no credentials", "checks": []});
        assert_eq!(report.to_json(), format!("{by_hand:#}"));
    }

    #[test]
    fn a_refused_action_fails_with_no_checks() {
        let action = ActionReport {
            outcome: "refused",
            message: "no permission".into(),
        };
        let report = CheckReport::refused("service_principal", action);
        let mut by_hand = json!({"verdict": "failed", "ok": false, "checks": []});
        by_hand["service_principal"] = json!({"outcome": "refused", "message": "no permission"});
        assert_eq!(report.to_json(), format!("{by_hand:#}"));
    }
}
