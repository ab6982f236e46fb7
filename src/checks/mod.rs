//! Live validation: the one runner that performs any kit's check plan with the admin's own
//! credentials, and what the kits share to perform single calls (`rest`). Checks return plain
//! results (no screen types); the TUI and `check` show them.

pub mod report;
pub mod rest;
pub mod verdict;

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

pub use crate::guide::plan::{
    ActionOutcome, CannotCheck, CheckOptions, CheckResult, CheckSession, CheckSpec, CheckStatus,
    CheckTarget, Finding, Need, Verdict,
};
use crate::guide::{CheckId, Cloud, FieldId, Inputs, SetupPath};

/// What the checks need, read from what is recorded so far: a value not yet recorded leaves
/// the checks that need it waiting for its step; a value recorded wrong is refused, with every
/// such field named.
pub fn target_from_recorded(
    cloud: Cloud,
    inputs: &Inputs,
    path: SetupPath,
) -> Result<std::sync::Arc<dyn CheckTarget>, Vec<crate::guide::FieldError>> {
    cloud.kit().check_target(inputs, path, false)
}

/// The same, but every value must be recorded.
pub fn target_from_inputs(
    cloud: Cloud,
    inputs: &Inputs,
    path: SetupPath,
) -> Result<std::sync::Arc<dyn CheckTarget>, Vec<crate::guide::FieldError>> {
    cloud.kit().check_target(inputs, path, true)
}

/// Runs the cloud's check plan: each check as soon as the checks it needs are done (all the
/// rest at once), each within its time limit, handing every result to `report` as it is known.
/// The results come back in the plan's order; `Verdict::of` weighs them. Dropping the returned
/// future cancels every check still running. Fails as a whole only when no credentials could
/// be found.
pub async fn run(
    cloud: Cloud,
    inputs: &Inputs,
    target: &dyn CheckTarget,
    options: &CheckOptions,
    report: &(dyn Fn(&CheckResult) + Sync),
) -> Result<Vec<CheckResult>, CannotCheck> {
    let session = target.connect(options).await?;
    let plan = Plan {
        cloud,
        inputs,
        checks: cloud.kit().check_plan(),
        leaves_out: &|check| target.leaves_out(check),
    };
    Ok(run_plan(&plan, session.as_ref(), options, report).await)
}

/// A plan to run: the kit's checks, what they read, and which of them this setup leaves out.
pub struct Plan<'a> {
    pub cloud: Cloud,
    pub inputs: &'a Inputs,
    pub checks: &'a [CheckSpec],
    /// Why a check does not apply here, if it does not (`CheckTarget::leaves_out`).
    pub leaves_out: &'a (dyn Fn(CheckId) -> Option<String> + Sync),
}

/// Runs a plan on a connected session (see `run`).
pub async fn run_plan(
    plan: &Plan<'_>,
    session: &dyn CheckSession,
    options: &CheckOptions,
    report: &(dyn Fn(&CheckResult) + Sync),
) -> Vec<CheckResult> {
    let Plan {
        cloud,
        inputs,
        checks: plan,
        leaves_out,
    } = *plan;
    let channels: Vec<Channel> = plan
        .iter()
        .map(|_| watch::channel(None::<CheckResult>))
        .collect();
    let channels = &channels;
    let each = plan.iter().enumerate().map(|(index, spec)| async move {
        let result = match leaves_out(spec.id) {
            Some(why) => CheckResult::of(spec, CheckStatus::DoesNotApply, why),
            None => decide(cloud, inputs, plan, channels, spec, session, options).await,
        };
        report(&result);
        channels[index].0.send_replace(Some(result.clone()));
        result
    });
    futures::future::join_all(each).await
}

type Channel = (
    watch::Sender<Option<CheckResult>>,
    watch::Receiver<Option<CheckResult>>,
);

async fn decide(
    cloud: Cloud,
    inputs: &Inputs,
    plan: &[CheckSpec],
    channels: &[Channel],
    spec: &CheckSpec,
    session: &dyn CheckSession,
    options: &CheckOptions,
) -> CheckResult {
    if let Some(field) = spec
        .needs_fields
        .iter()
        .find(|field| inputs.effective(**field).trim().is_empty())
    {
        return waiting(cloud, spec, *field);
    }
    let needs = async {
        let mut blocked = None;
        for need in spec.needs_checks {
            let Some(index) = plan.iter().position(|s| s.id == need.check) else {
                return Some(Err(format!(
                    "could not check: needs {}, which is not checked",
                    need.what
                )));
            };
            let mut receiver = channels[index].1.clone();
            let earlier = match receiver.wait_for(Option::is_some).await {
                Ok(value) => value.clone(),
                Err(_) => None,
            };
            let Some(earlier) = earlier else {
                return Some(Err(format!(
                    "could not check: needs {}, which did not finish",
                    need.what
                )));
            };
            if blocked.is_none() && !earlier.status.lets_others_run() {
                blocked = Some(Ok((earlier, need.what)));
            }
        }
        blocked
    };
    let limit = options.timeout * spec.calls.max(1);
    let perform = async { within(limit, session.perform(spec.id, options.timeout)).await };
    let overlap =
        !spec.needs_checks.is_empty() && spec.needs_checks.iter().all(|need| need.overlap);
    let (blocked, performed) = if overlap {
        let (blocked, performed) = futures::join!(needs, perform);
        (blocked, Some(performed))
    } else {
        (needs.await, None)
    };
    match blocked {
        Some(Ok((earlier, what))) => return after(&earlier, spec, what),
        Some(Err(why)) => return CheckResult::of(spec, CheckStatus::Unverified, why),
        None => {}
    }
    let performed = match performed {
        Some(performed) => performed,
        None => within(limit, session.perform(spec.id, options.timeout)).await,
    };
    match performed {
        Some(finding) => finding.into_result(spec),
        None => CheckResult::of(
            spec,
            CheckStatus::Unverified,
            Finding::timed_out(limit).detail,
        ),
    }
}

/// A check that needs `prerequisite` (described as `what`), which did not pass: skipped when it
/// failed (the failure says what to fix), waiting or skipped as it is, not verified when it
/// could not be checked.
fn after(prerequisite: &CheckResult, spec: &CheckSpec, what: &str) -> CheckResult {
    match prerequisite.status {
        CheckStatus::Fail => CheckResult::of(
            spec,
            CheckStatus::Skip,
            format!("needs {what}, which failed"),
        ),
        CheckStatus::Skip | CheckStatus::Waiting => {
            CheckResult::of(spec, prerequisite.status, prerequisite.detail.clone())
        }
        // What builds on a check this setup leaves out is left out with it.
        CheckStatus::DoesNotApply => CheckResult::of(
            spec,
            CheckStatus::DoesNotApply,
            format!("needs {what}, which does not apply here"),
        ),
        _ => CheckResult::of(
            spec,
            CheckStatus::Unverified,
            format!("could not check: needs {what}, which could not be checked"),
        ),
    }
}

/// A check whose input is recorded on a later step: it waits for that step.
fn waiting(cloud: Cloud, spec: &CheckSpec, field: FieldId) -> CheckResult {
    waiting_for(cloud, field).into_result(spec)
}

/// What a check finds when `field` is not recorded yet: it waits for the step that asks it.
pub fn waiting_for(cloud: Cloud, field: FieldId) -> Finding {
    let guide = cloud.guide();
    let label = cloud.label(field);
    let when = guide
        .steps
        .iter()
        .position(|s| s.fields.iter().any(|f| f.id == field))
        .map(|i| format!("step {}", i + 1))
        .unwrap_or_else(|| "the start screen".into());
    Finding::new(
        CheckStatus::Waiting,
        format!("waits for {when}: {label} is not recorded yet"),
    )
}

/// `work`, or `None` when it takes longer than `timeout`.
pub async fn within<T>(timeout: Duration, work: impl Future<Output = T>) -> Option<T> {
    tokio::time::timeout(timeout, work).await.ok()
}

/// A value that is different every run: the plaintext of a round trip.
pub fn probe_bytes() -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    //! The runner on a made-up plan: concurrency as the needs allow, time limits, skips.

    use std::sync::Mutex;

    use super::*;
    use crate::guide::{CheckId, StepId};

    const A: CheckId = CheckId::new("a");
    const B: CheckId = CheckId::new("b");
    const C: CheckId = CheckId::new("c");
    const D: CheckId = CheckId::new("d");
    /// A check the plan's setup leaves out.
    const LEFT_OUT: CheckId = CheckId::new("left-out");
    const STEP: StepId = StepId::new("step");

    fn spec(id: CheckId, needs: &'static [Need]) -> CheckSpec {
        CheckSpec {
            id,
            title: "t",
            proves: "p",
            fix_step: STEP,
            needs_fields: &[],
            needs_checks: needs,
            calls: 1,
        }
    }

    /// A and B each wait for the other to have started, and A for D too: they finish only if
    /// run at once. C needs A (after it); D needs A but may overlap it. `slow` makes B never
    /// answer.
    struct Session {
        started: Mutex<Vec<CheckId>>,
        a_fails: bool,
        slow: bool,
    }

    #[async_trait::async_trait]
    impl CheckSession for Session {
        async fn perform(&self, check: CheckId, _timeout: Duration) -> Finding {
            self.started.lock().unwrap().push(check);
            if check == B && self.slow {
                std::future::pending::<()>().await;
            }
            if check == A || check == B {
                let others: &[CheckId] = if check == A { &[B, D] } else { &[A] };
                let all_started = || {
                    let started = self.started.lock().unwrap();
                    others.iter().all(|other| started.contains(other))
                };
                for _ in 0..100 {
                    if all_started() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                if !all_started() {
                    return Finding::fail("ran alone");
                }
            }
            if check == A && self.a_fails {
                return Finding::fail("broken");
            }
            Finding::pass("fine")
        }
    }

    fn run_with(session: &Session) -> Vec<CheckResult> {
        static AFTER_A: [Need; 1] = [Need::after(A, "a")];
        static BESIDE_A: [Need; 1] = [Need::beside(A, "a")];
        run_plan_with(
            session,
            &[
                spec(A, &[]),
                spec(B, &[]),
                spec(C, &AFTER_A),
                spec(D, &BESIDE_A),
            ],
        )
    }

    fn run_plan_with(session: &Session, plan: &[CheckSpec]) -> Vec<CheckResult> {
        let options = CheckOptions {
            timeout: Duration::from_millis(300),
            profile: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let reported = Mutex::new(0);
        let inputs = Inputs::new(crate::clouds::first());
        let run = Plan {
            cloud: crate::clouds::first(),
            inputs: &inputs,
            checks: plan,
            leaves_out: &|check| (check == LEFT_OUT).then(|| "not in this setup".to_string()),
        };
        let results = runtime.block_on(run_plan(&run, session, &options, &|_| {
            *reported.lock().unwrap() += 1
        }));
        assert_eq!(*reported.lock().unwrap(), plan.len(), "each reported once");
        results
    }

    #[test]
    fn a_check_the_setup_leaves_out_does_not_apply_nor_what_needs_it_and_weighs_nothing() {
        static AFTER_LEFT_OUT: [Need; 1] = [Need::after(LEFT_OUT, "the left-out check")];
        let session = Session {
            started: Mutex::new(Vec::new()),
            a_fails: false,
            slow: false,
        };
        let results = run_plan_with(
            &session,
            &[spec(D, &[]), spec(LEFT_OUT, &[]), spec(C, &AFTER_LEFT_OUT)],
        );
        assert_eq!(results[0].status, CheckStatus::Pass);
        assert_eq!(results[1].status, CheckStatus::DoesNotApply);
        assert_eq!(results[1].detail, "not in this setup");
        assert_eq!(results[2].status, CheckStatus::DoesNotApply);
        assert!(
            !session.started.lock().unwrap().contains(&LEFT_OUT),
            "a check that does not apply is never performed"
        );
        assert_eq!(Verdict::of(&results), Verdict::Verified);
        let only_left_out = [results[1].clone()];
        assert_eq!(
            Verdict::of(&only_left_out),
            Verdict::NotVerified,
            "a run of nothing that applies proves nothing"
        );
    }

    #[test]
    fn independent_checks_run_at_once_and_a_need_runs_after() {
        let session = Session {
            started: Mutex::new(Vec::new()),
            a_fails: false,
            slow: false,
        };
        let results = run_with(&session);
        let statuses: Vec<_> = results.iter().map(|r| (r.id, r.status)).collect();
        assert_eq!(
            statuses,
            [
                (A, CheckStatus::Pass),
                (B, CheckStatus::Pass),
                (C, CheckStatus::Pass),
                (D, CheckStatus::Pass)
            ]
        );
        let started = session.started.lock().unwrap();
        let position = |id| started.iter().position(|c| *c == id).unwrap();
        assert!(position(C) > position(A), "{started:?}");
        assert_eq!(Verdict::of(&results), Verdict::Verified);
    }

    #[test]
    fn a_failed_need_skips_and_a_silent_check_times_out_unverified() {
        let session = Session {
            started: Mutex::new(Vec::new()),
            a_fails: true,
            slow: true,
        };
        let results = run_with(&session);
        assert_eq!(results[0].status, CheckStatus::Fail);
        assert_eq!(results[1].status, CheckStatus::Unverified);
        assert!(
            results[1].detail.contains("no answer within"),
            "{}",
            results[1].detail
        );
        assert_eq!(results[2].status, CheckStatus::Skip);
        assert_eq!(results[2].detail, "needs a, which failed");
        assert!(
            !session.started.lock().unwrap().contains(&C),
            "a check after a failed one is never performed"
        );
        assert_eq!(
            results[3].status,
            CheckStatus::Skip,
            "an overlapping finding is dropped"
        );
        assert_eq!(results[3].detail, "needs a, which failed");
        assert_eq!(Verdict::of(&results), Verdict::Failed);
    }
}
