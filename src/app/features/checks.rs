//! The live checks in the wizard: each result as it arrives and the end of a run.

use crate::app::effect::Effect;
use crate::app::features::recheck;
use crate::app::model::{Model, StatusKind};
use crate::app::transitions::run_checks;
use crate::app::transitions::status;

pub(crate) fn checks_finished(model: &mut Model, outcome: Result<(), crate::checks::CannotCheck>) {
    use crate::checks::CheckStatus;
    model.checks.running = false;
    match outcome {
        Ok(()) => {
            use crate::checks::verdict::{Length, Tone};
            let verdict = crate::checks::Verdict::of(&model.checks.results);
            let said =
                crate::checks::verdict::words(verdict, &model.checks.results, Length::StatusLine);
            let kind = match said.tone {
                Tone::Good => StatusKind::Success,
                Tone::Bad => StatusKind::Error,
                Tone::Neutral => StatusKind::Info,
            };
            model.status = Some(status(kind, said.text));
            let failures: Vec<String> = model
                .checks
                .results
                .iter()
                .filter(|r| r.status == CheckStatus::Fail)
                .map(|r| format!("{}: {}", r.title, r.detail))
                .collect();
            for failure in failures {
                model.remember_error(&failure);
            }
        }
        Err(crate::checks::CannotCheck(err)) => {
            model.status = Some(status(StatusKind::Error, err.clone()));
            model.checks.error = Some(err);
        }
    }
}

/// `k`: checking by hand replaces any countdown.
pub(crate) fn check_by_hand(model: &mut Model) -> Vec<Effect> {
    // Checking by hand replaces any countdown.
    model.recheck = None;
    model.recheck_declined = false;
    run_checks(model)
}

/// One result arrived: it replaces the same check's earlier one (of this run only).
pub(crate) fn reported(model: &mut Model, generation: u64, result: crate::checks::CheckResult) {
    if generation == model.checks.generation {
        let results = &mut model.checks.results;
        match results.iter_mut().find(|r| r.id == result.id) {
            Some(slot) => *slot = result,
            None => results.push(result),
        }
    }
}

/// The run ended: its verdict, then perhaps a countdown to the next.
pub(crate) fn run_ended(
    model: &mut Model,
    generation: u64,
    outcome: Result<(), crate::checks::CannotCheck>,
) -> Vec<Effect> {
    if generation == model.checks.generation {
        checks_finished(model, outcome);
        recheck::plan_recheck(model)
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::features::testing::on_step;
    use crate::guide::plan::CheckStatus;
    use crate::guide::{CheckId, StepId};

    fn result(status: CheckStatus) -> crate::checks::CheckResult {
        crate::checks::CheckResult::new(
            CheckId::new("key-found"),
            "The key",
            StepId::new("key"),
            status,
            "said",
        )
    }

    #[test]
    fn a_result_replaces_its_earlier_one_and_an_old_run_is_dropped() {
        let mut model = on_step(0);
        model.checks.generation = 2;
        reported(&mut model, 2, result(CheckStatus::Waiting));
        reported(&mut model, 2, result(CheckStatus::Pass));
        assert_eq!(model.checks.results.len(), 1);
        assert_eq!(model.checks.results[0].status, CheckStatus::Pass);
        reported(&mut model, 1, result(CheckStatus::Fail));
        assert_eq!(
            model.checks.results[0].status,
            CheckStatus::Pass,
            "an old run's result"
        );
    }
}
