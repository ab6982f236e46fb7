//! Checking again while a fix spreads: after a run whose only failures are of checks a
//! change can take minutes to reach, a countdown to the next run, each wait longer, up to
//! what the cloud documents.

use crate::app::effect::Effect;
use crate::app::model::{Model, StatusKind};
use crate::app::transitions::{run_checks, status};

/// The waits between automatic re-checks: longer each time.
pub(crate) fn recheck_wait(attempt: u32) -> u32 {
    match attempt {
        0 => 15,
        1 => 30,
        2 => 60,
        _ => 120,
    }
}

/// A wait in words: seconds up to a minute and a half, then whole minutes, rounded up.
pub(crate) fn minutes(seconds: u32) -> String {
    match seconds {
        0..=89 => format!("{seconds} s"),
        _ => format!("{} min", seconds.div_ceil(60)),
    }
}

/// After a run: when the only failures are of checks a fix can take minutes to reach, and
/// the admin just fixed something (the same check failed before) or the wizard is already
/// waiting, count down to checking again, each wait longer, up to what the cloud documents.
pub(crate) fn plan_recheck(model: &mut Model) -> Vec<Effect> {
    use crate::checks::CheckStatus;
    let Some(propagation) = model.cloud.kit().propagation() else {
        model.recheck = None;
        return Vec::new();
    };
    let results = &model.checks.results;
    let failed = |r: &&crate::checks::CheckResult| r.status == CheckStatus::Fail;
    let spreading: Vec<&crate::checks::CheckResult> = results
        .iter()
        .filter(failed)
        .filter(|r| propagation.checks.contains(&r.id))
        .collect();
    let other_failures = results
        .iter()
        .filter(failed)
        .any(|r| !propagation.checks.contains(&r.id));
    let waiting = model.recheck.take();
    if model.recheck_declined {
        return Vec::new();
    }
    if spreading.is_empty() || other_failures {
        let now_passing = results
            .iter()
            .any(|r| r.status == CheckStatus::Pass && propagation.checks.contains(&r.id));
        if let (Some(recheck), Some(shown)) = (waiting, model.status.as_mut())
            && !other_failures
            && now_passing
        {
            shown.text.push_str(&format!(
                " (after {} of waiting: the change needed time to reach everyone)",
                minutes(recheck.waited)
            ));
        }
        return Vec::new();
    }
    let after_fix = model
        .checks
        .previous
        .iter()
        .any(|r| r.status == CheckStatus::Fail && spreading.iter().any(|s| s.id == r.id));
    if waiting.is_none() && !after_fix {
        return Vec::new();
    }
    let attempt = waiting.map(|r| r.attempt).unwrap_or(0);
    let waited = waiting.map(|r| r.waited).unwrap_or(0);
    let next = recheck_wait(attempt);
    let limit = propagation.up_to.as_secs() as u32;
    if waited >= limit {
        model.status = Some(status(
            StatusKind::Error,
            format!(
                "{} still fails after {} of checking again: this is not the change still spreading. f goes to the step that fixes it.",
                spreading[0].title,
                minutes(waited)
            ),
        ));
        return Vec::new();
    }
    model.recheck_serial += 1;
    let recheck = crate::app::model::Recheck {
        id: model.recheck_serial,
        attempt: attempt + 1,
        seconds_left: next,
        waited: waited + next,
        propagation,
    };
    model.recheck = Some(recheck);
    show_countdown(model, spreading[0].title);
    vec![Effect::TickAfter {
        id: recheck.id,
        after: std::time::Duration::from_secs(1),
    }]
}

pub(crate) fn show_countdown(model: &mut Model, failing: &str) {
    let Some(recheck) = model.recheck else {
        return;
    };
    model.status = Some(status(
        StatusKind::Info,
        format!(
            "{failing} still fails, but {} can take up to {} to reach everyone: checking again in {} s (try {}); Esc stops.",
            recheck.propagation.what,
            minutes(recheck.propagation.up_to.as_secs() as u32),
            recheck.seconds_left,
            recheck.attempt
        ),
    ));
}

pub(crate) fn recheck_tick(model: &mut Model, id: u64) -> Vec<Effect> {
    let Some(recheck) = model.recheck.as_mut().filter(|r| r.id == id) else {
        return Vec::new();
    };
    recheck.seconds_left = recheck.seconds_left.saturating_sub(1);
    if recheck.seconds_left == 0 {
        return run_checks(model);
    }
    let failing = model
        .checks
        .results
        .iter()
        .find(|r| r.status == crate::checks::CheckStatus::Fail)
        .map(|r| r.title)
        .unwrap_or("A check");
    show_countdown(model, failing);
    vec![Effect::TickAfter {
        id,
        after: std::time::Duration::from_secs(1),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_wait_is_longer_and_minutes_read_as_people_say_them() {
        let waits: Vec<u32> = (0..6).map(recheck_wait).collect();
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
        assert!(waits[0] > 0);
        assert_eq!(minutes(60), "60 s");
        assert_eq!(minutes(120), "2 min");
        assert_eq!(minutes(91), "2 min", "a part of a minute counts as one");
    }
}
