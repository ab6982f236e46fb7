//! What `apply --json` prints, typed: the run's report, the plan-only report and the report
//! of a run that could not start. Their keys come out in the order of the fields.

use serde::Serialize;

use crate::guide::apply::{Call, Change, Planned};
use crate::guide::plan::{CheckResult, Verdict};

use super::{Done, Readiness};

/// A run that read the plan and carried it out (or was told no, or had nothing to do).
#[derive(Debug, Serialize)]
pub struct ApplyReport<'a> {
    pub verdict: Verdict,
    pub plan: &'a [Planned],
    pub done: &'a [Done],
    /// Why the run stopped before the end of the plan.
    pub stopped: Option<&'a str>,
    /// Values the run learned (ids of what it made), under their fields' keys.
    pub recorded: serde_json::Map<String, serde_json::Value>,
    pub checks: &'a [CheckResult],
    /// Why the checks after the run could not run.
    pub checks_error: Option<&'a str>,
    pub calls: &'a [Call],
}

/// A run that only read the plan (`--plan`, or nothing could be written).
#[derive(Debug, Serialize)]
pub struct PlanReport<'a> {
    /// `planned`, or the verdict of what the plan found (`failed`, `not-verified`).
    pub verdict: &'static str,
    pub headline: Option<String>,
    pub counts: Counts,
    pub plan: &'a [Planned],
    pub calls: &'a [Call],
}

/// How many resources of a plan would change each way.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub create: usize,
    pub as_wanted: usize,
    pub differs: usize,
    pub cannot: usize,
    pub unknown: usize,
}

/// A run that could not start (no credentials, a refused sign-in).
#[derive(Debug, Serialize)]
pub struct CouldNotStart<'a> {
    pub verdict: Verdict,
    pub error: &'a str,
}

impl<'a> PlanReport<'a> {
    /// The report of `plan`, read with `calls`.
    pub fn of(plan: &'a [Planned], calls: &'a [Call], ready: &Readiness<'_>) -> PlanReport<'a> {
        let count = |f: fn(&Change) -> bool| plan.iter().filter(|p| f(&p.change)).count();
        PlanReport {
            verdict: match ready.exit_code() {
                0 => "planned",
                1 => Verdict::Failed.key(),
                _ => Verdict::NotVerified.key(),
            },
            headline: ready.headline(),
            counts: Counts {
                create: count(|c| *c == Change::Create),
                as_wanted: count(|c| *c == Change::AsWanted),
                differs: count(|c| matches!(c, Change::Differs { .. })),
                cannot: count(|c| matches!(c, Change::Cannot { .. })),
                unknown: count(Change::is_unknown),
            },
            plan,
            calls,
        }
    }
}

/// Pretty JSON of a report, as every `--json` of the command line prints it.
pub fn to_json<T: Serialize>(report: &T) -> String {
    serde_json::to_string_pretty(report)
        .unwrap_or_else(|err| format!("{{\"error\": \"the report could not be written: {err}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guide::StepId;

    #[test]
    fn a_plan_report_counts_each_change_and_keeps_its_keys_in_order() {
        let plan = vec![
            Planned::new("a", "A".into(), StepId::new("s"), Change::Create),
            Planned::new("b", "B".into(), StepId::new("s"), Change::AsWanted),
            Planned::new("c", "C".into(), StepId::new("s"), Change::Create),
        ];
        let ready = super::super::readiness(&plan);
        let report = PlanReport::of(&plan, &[], &ready);
        assert_eq!(
            report.counts,
            Counts {
                create: 2,
                as_wanted: 1,
                differs: 0,
                cannot: 0,
                unknown: 0
            }
        );
        let json = to_json(&report);
        let keys: Vec<usize> = [
            "\"verdict\"",
            "\"headline\"",
            "\"counts\"",
            "\"plan\"",
            "\"calls\"",
        ]
        .iter()
        .map(|k| json.find(k).unwrap())
        .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "{json}");
        assert!(json.starts_with("{\n  \"verdict\": \"planned\""), "{json}");
    }
}
