//! `ekm-wizard apply <cloud>`: the plan (what exists, per resource), the admin's yes, the
//! writes in order with a log of every call, then the checks, waiting while a change can
//! still be spreading. The rules are in `apply`; the reading and writing in each kit.

use std::io::IsTerminal;
use std::time::Duration;

use serde_json::json;

use super::args::CloudValues;
use super::{bad_input, inputs_from, remember_run, runtime};
use crate::apply::report;
use crate::apply::{self, Done, Readiness};
use crate::checks::{CheckOptions, CheckResult, CheckStatus, Verdict};
use crate::exit::EXIT_REFUSED;
use crate::guide::apply::{Applied, CallLog, Change, Planned};
use crate::session::SessionStore;

/// What `apply` was asked for.
#[derive(Debug, Clone)]
pub struct ApplyRequest {
    pub yes: bool,
    pub allow_update: bool,
    /// Only read and print the plan; write nothing.
    pub plan_only: bool,
    pub timeout: u64,
    pub profile: Option<String>,
}

fn plan_line(planned: &Planned) -> String {
    match &planned.change {
        Change::Create => format!("  + will create  {}", planned.title),
        Change::AsWanted => format!("  = as wanted    {}", planned.title),
        Change::Differs { diff } => format!(
            "  ~ differs      {}\n                 {diff}",
            planned.title
        ),
        Change::Cannot { why } => format!("  ! cannot       {}: {why}", planned.title),
        Change::Unknown { why } => format!("  ? unknown      {}: {why}", planned.title),
    }
}

fn done_line(done: &Done) -> String {
    match (&done.applied, &done.note) {
        (Some(Applied::Made { detail }), _) => {
            format!("  made     {} ({detail})", done.planned.title)
        }
        (Some(Applied::Changed { detail }), _) => {
            format!("  changed  {} ({detail})", done.planned.title)
        }
        (Some(Applied::Refused { why }), _) => format!("  refused  {}: {why}", done.planned.title),
        (None, Some(note)) => format!("  skipped  {}: {note}", done.planned.title),
        (None, None) => format!("  skipped  {}", done.planned.title),
    }
}

/// `ekm-wizard apply <cloud> …`.
pub fn apply(values: &CloudValues, request: &ApplyRequest) -> u8 {
    let cloud = values.cloud();
    let json_out = values.common().json;
    let mut inputs = match inputs_from(values) {
        Ok(inputs) => inputs,
        Err(problems) => return bad_input(&problems),
    };
    let applier = match cloud.kit().applier(&inputs) {
        None => {
            let key = cloud.key();
            let as_code: Vec<String> = cloud
                .kit()
                .code_formats()
                .iter()
                .map(|f| format!("{}: render {key} --format {}", f.title, f.key))
                .collect();
            let or_as_code = if as_code.is_empty() {
                String::new()
            } else {
                format!(", or use the setup as code ({})", as_code.join("; "))
            };
            return bad_input(&[format!(
                "apply does not make {}'s resources yet: follow the steps (ekm-wizard render {key}){or_as_code}",
                cloud.display_name(),
            )]);
        }
        Some(Err(errors)) => {
            return bad_input(
                &errors
                    .iter()
                    .map(|e| e.on_command_line())
                    .collect::<Vec<_>>(),
            );
        }
        Some(Ok(applier)) => applier,
    };
    if let Err(err) = cloud.kit().check_endpoints() {
        return bad_input(&[err.0]);
    }
    if !request.yes && !request.plan_only && !std::io::stdin().is_terminal() {
        return bad_input(&["standard input is not a terminal, so apply needs --yes (or --plan to only see the plan)".into()]);
    }
    let Some(runtime) = runtime() else {
        return EXIT_REFUSED;
    };
    let options = CheckOptions {
        profile: request.profile.clone(),
        timeout: Duration::from_secs(request.timeout.max(1)),
    };
    let log = CallLog::default();
    let outcome = runtime.block_on(async {
        let session = applier.connect(&options, log.clone()).await.map_err(|e| e.0)?;
        let plan = session.plan().await;
        if !json_out {
            println!("Plan for {}:", cloud.display_name());
            for planned in &plan {
                println!("{}", plan_line(planned));
            }
        }
        let ready = apply::readiness(&plan);
        if request.plan_only || !matches!(ready, Readiness::Work | Readiness::NothingToDo) {
            return Ok(Run::Planned(plan));
        }
        if ready == Readiness::NothingToDo {
            return Ok(Run::Ran { plan, done: Vec::new(), outputs: session.outputs(), stop: None });
        }
        if !request.yes {
            eprint!("Apply this plan (resources that differ change only with --allow-update)? Type yes: ");
            let mut answer = String::new();
            if std::io::stdin().read_line(&mut answer).is_err() || answer.trim() != "yes" {
                return Ok(Run::Ran { plan, done: Vec::new(), outputs: Vec::new(), stop: Some("not confirmed: nothing was written".into()) });
            }
        }
        let say = |done: &Done| {
            if !json_out {
                println!("{}", done_line(done));
            }
        };
        let done = apply::carry_out(session.as_ref(), &plan, request.allow_update, &say).await;
        let stop = apply::refusal(&done).map(|d| {
            let remaining: Vec<&str> = done
                .iter()
                .skip_while(|x| x.planned.id != d.planned.id)
                .skip(1)
                .filter(|x| !matches!(x.planned.change, Change::AsWanted))
                .map(|x| x.planned.id)
                .collect();
            let unreached = matches!(&d.applied, Some(Applied::Refused { why }) if crate::net::is_unreachable(why));
            format!(
                "stopped at {}: what was made stays; remaining: {}. {}: it continues from here",
                d.planned.title,
                if remaining.is_empty() { "nothing".to_string() } else { remaining.join(", ") },
                if unreached {
                    "Once the host named answers again, run apply again"
                } else {
                    "Grant the permission named, then run apply again"
                }
            )
        });
        Ok::<_, String>(Run::Ran { plan, done, outputs: session.outputs(), stop })
    });
    let run = match outcome {
        Ok(run) => run,
        Err(cannot) => {
            let message = crate::secrets::visible(&cannot);
            eprintln!("error: {message}");
            if json_out {
                println!(
                    "{}",
                    report::to_json(&report::CouldNotStart {
                        verdict: Verdict::NotVerified,
                        error: &message,
                    })
                );
            }
            return Verdict::NotVerified.exit_code();
        }
    };
    let calls = log.calls();
    if let Some(store) = SessionStore::default_location() {
        apply::keep_calls(&store, cloud.key(), &calls);
    }
    let (plan, done, outputs, stop) = match run {
        Run::Planned(plan) => return planned_only(&plan, &calls, json_out),
        Run::Ran {
            plan,
            done,
            outputs,
            stop,
        } => (plan, done, outputs, stop),
    };
    for (field, value) in &outputs {
        inputs.set(*field, value.clone());
    }
    let recorded: serde_json::Map<String, serde_json::Value> = outputs
        .iter()
        .map(|(f, v)| (f.key().to_string(), json!(v)))
        .collect();
    // Then the checks prove the result; when they cannot run, nothing is proved. Only a change
    // this run made is waited for while it spreads; a step where a difference was left in
    // place fails for that, which is said at once.
    let left = left_in_place(&done);
    let changed: Vec<crate::guide::StepId> = changed_steps(&done)
        .into_iter()
        .filter(|step| !left.iter().any(|p| p.step == *step))
        .collect();
    let (checks, unchecked) = if stop.is_none() {
        match runtime.block_on(check_after(
            cloud, &inputs, values, &options, json_out, &changed,
        )) {
            Ok(checks) => (checks, None),
            Err(why) => (Vec::new(), Some(crate::secrets::visible(&why))),
        }
    } else {
        (Vec::new(), None)
    };
    // A run stopped only because a host gave no answer proves nothing either way.
    let unreached = apply::unreached(&plan, &done);
    let verdict = if unreached {
        Verdict::NotVerified
    } else if stop.is_some() {
        Verdict::Failed
    } else if unchecked.is_some() {
        Verdict::NotVerified
    } else {
        Verdict::of(&checks)
    };
    if !checks.is_empty() {
        remember_run(cloud, values.common().path, &inputs, checks.clone(), None);
    }
    if json_out {
        println!(
            "{}",
            report::to_json(&report::ApplyReport {
                verdict,
                plan: &plan,
                done: &done,
                stopped: stop.as_deref(),
                recorded: recorded.clone(),
                checks: &checks,
                checks_error: unchecked.as_deref(),
                calls: &calls,
            })
        );
    } else {
        if !recorded.is_empty() {
            println!("Record these values (the next run finds them too):");
            for (field, value) in &recorded {
                println!(
                    "  --{} {}",
                    field.replace('_', "-"),
                    value.as_str().unwrap_or_default()
                );
            }
        }
        match (&stop, done.is_empty()) {
            (Some(stop), _) => println!("{stop}"),
            (None, true) => println!("{}", apply::readiness(&plan).headline().unwrap_or_default()),
            (None, false) => {}
        }
        for planned in &left {
            println!(
                "{} differs and was left as it is: run apply again with --allow-update to change it.",
                planned.title
            );
        }
        println!(
            "{} calls made ({} writes); kept in {}.",
            calls.len(),
            log.writes(),
            apply::LAST_APPLY
        );
        match (&unchecked, stop.is_some()) {
            (Some(why), _) => println!("Checks: not verified: they could not run ({why})"),
            (None, false) => {
                println!(
                    "{}",
                    crate::checks::verdict::words(
                        verdict,
                        &checks,
                        crate::checks::verdict::Length::Closing
                    )
                    .text
                );
                for failed in checks.iter().filter(|r| r.status == CheckStatus::Fail) {
                    println!(
                        "  failed  {}: {}",
                        failed.title,
                        crate::secrets::visible(&failed.detail)
                    );
                    let fix = match left.iter().find(|p| p.step == failed.step) {
                        Some(planned) => format!(
                            "{} was left as it is: run apply again with --allow-update",
                            planned.title
                        ),
                        None => {
                            format!("the step that fixes it: {}", step_title(cloud, failed.step))
                        }
                    };
                    println!("          {fix}");
                }
            }
            (None, true) => {}
        }
    }
    if !unreached && stop.is_some() {
        return EXIT_REFUSED;
    }
    verdict.exit_code()
}

/// What the run came to before the checks.
enum Run {
    /// Only the plan was read (asked for, or nothing can be written).
    Planned(Vec<Planned>),
    /// The plan was carried out (or there was nothing to do, or the admin said no).
    Ran {
        plan: Vec<Planned>,
        done: Vec<Done>,
        outputs: Vec<(crate::guide::FieldId, String)>,
        stop: Option<String>,
    },
}

/// The end of a run that wrote nothing by design: the plan's headline, its counts in JSON,
/// and the exit code of what it found.
fn planned_only(plan: &[Planned], calls: &[crate::guide::apply::Call], json_out: bool) -> u8 {
    let ready = apply::readiness(plan);
    if json_out {
        println!(
            "{}",
            report::to_json(&report::PlanReport::of(plan, calls, &ready))
        );
    } else {
        match ready.headline() {
            Some(headline) => println!("{headline}"),
            None => println!(
                "Nothing was written (--plan). Run without --plan to apply it; what differs changes only with --allow-update."
            ),
        }
    }
    ready.exit_code()
}

/// The steps of the resources this run made or changed.
fn changed_steps(done: &[Done]) -> Vec<crate::guide::StepId> {
    done.iter()
        .filter(|d| {
            matches!(
                d.applied,
                Some(Applied::Made { .. } | Applied::Changed { .. })
            )
        })
        .map(|d| d.planned.step)
        .collect()
}

/// Resources that differ and were left as they are (no --allow-update).
fn left_in_place(done: &[Done]) -> Vec<&Planned> {
    done.iter()
        .filter(|d| d.applied.is_none() && matches!(d.planned.change, Change::Differs { .. }))
        .map(|d| &d.planned)
        .collect()
}

fn step_title(cloud: crate::guide::Cloud, step: crate::guide::StepId) -> String {
    cloud
        .guide()
        .step(step)
        .map(|s| s.title.clone())
        .unwrap_or_else(|| step.to_string())
}

/// Runs the checks; while the only failures are of checks a change can take time to reach,
/// runs them again with longer waits, up to what the cloud documents.
async fn check_after(
    cloud: crate::guide::Cloud,
    inputs: &crate::guide::Inputs,
    values: &CloudValues,
    options: &CheckOptions,
    quiet: bool,
    changed: &[crate::guide::StepId],
) -> Result<Vec<CheckResult>, String> {
    let target = crate::checks::target_from_recorded(cloud, inputs, values.common().path).map_err(
        |errors| {
            errors
                .first()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "the recorded values are not enough".into())
        },
    )?;
    let propagation = cloud.kit().propagation();
    let mut waited = Duration::ZERO;
    let mut wait = Duration::from_secs(5);
    loop {
        let results = crate::checks::run(cloud, inputs, target.as_ref(), options, &|_| {})
            .await
            .map_err(|cannot| cannot.0)?;
        let failing: Vec<&CheckResult> = results
            .iter()
            .filter(|r| r.status == CheckStatus::Fail)
            .collect();
        // Only a change this run made can still be spreading: a failure at a step it did
        // not change is said at once.
        let spreading = propagation.is_some_and(|p| {
            !failing.is_empty()
                && failing
                    .iter()
                    .all(|r| p.checks.contains(&r.id) && changed.contains(&r.step))
        });
        let limit = propagation.map(|p| p.up_to).unwrap_or_default();
        if !spreading || waited + wait > limit {
            return Ok(results);
        }
        if !quiet {
            println!(
                "{} still fails; the change may still be spreading: checking again in {} s",
                failing[0].title,
                wait.as_secs()
            );
        }
        tokio::time::sleep(wait).await;
        waited += wait;
        wait = (wait * 2).min(Duration::from_secs(60));
    }
}
