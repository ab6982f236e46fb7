//! The after-setup commands for scripts and people: `doctor` (one health, a five-second
//! summary or a versioned JSON report) and `watch` (doctor again and again, a line when the
//! health changes). The work is in `after_setup`; this reads flags and prints.

use std::time::{Duration, Instant};

use super::args::CloudValues;
use super::{bad_input, inputs_from, runtime};
use crate::after_setup::doctor::{self, DoctorReport, Health, OpenAiSide};
use crate::after_setup::drill;
use crate::checks::{CheckOptions, CheckStatus, CheckTarget};
use crate::exit::EXIT_REFUSED;
use crate::guide::{Cloud, Inputs};
use crate::openai::{AdminKey, ApiBase, Client};
use crate::session::SessionStore;

/// Where the last doctor report is kept, for the evidence folder.
pub const LAST_DOCTOR: &str = "last-doctor.json";

/// What `doctor` and `watch` were asked for beyond the recorded values.
#[derive(Debug, Clone, Default)]
pub struct DoctorRequest {
    /// The registered key to look at (otherwise found by the recorded values).
    pub key_id: Option<String>,
    pub api_base: Option<String>,
    /// Seconds each call may take.
    pub timeout: u64,
    pub profile: Option<String>,
    pub json: bool,
}

/// Everything a doctor run needs, made once (a watch reuses it).
struct Doctor {
    cloud: Cloud,
    inputs: Inputs,
    target: std::sync::Arc<dyn CheckTarget>,
    options: CheckOptions,
    client: Option<Client>,
    key_id: Option<String>,
}

impl Doctor {
    /// Reads the flags; bad input is said on stderr and its exit code returned.
    fn prepare(values: &CloudValues, request: &DoctorRequest) -> Result<Doctor, u8> {
        Self::read(values, request).map_err(|problems| bad_input(&problems))
    }

    /// Reads the flags, or says every problem with them (not only the first).
    fn read(values: &CloudValues, request: &DoctorRequest) -> Result<Doctor, Vec<String>> {
        let cloud = values.cloud();
        let mut problems = Vec::new();
        let read = inputs_from(values).and_then(|inputs| {
            crate::checks::target_from_recorded(cloud, &inputs, values.common().path)
                .map(|target| (inputs, target))
                .map_err(|errors| errors.iter().map(|e| e.on_command_line()).collect())
        });
        if let Err(said) = &read {
            problems.extend(said.iter().cloned());
        }
        if let Err(err) = cloud.kit().check_endpoints() {
            problems.push(err.0);
        }
        if let Some(id) = &request.key_id
            && crate::openai::register::checked_id(id, "extkey_").is_err()
        {
            problems.push(format!(
                "--key-id: `{}` is not an external key id; expected extkey_ then letters and digits",
                crate::secrets::one_line(id, 80)
            ));
        }
        let timeout = Duration::from_secs(request.timeout.max(1));
        // The admin key comes from the environment only: a doctor runs unattended.
        let client = match AdminKey::from_env() {
            Some(key) => match ApiBase::resolve(request.api_base.as_deref())
                .and_then(|base| Client::new(base, key, timeout).map_err(|e| e.to_string()))
            {
                Ok(client) => Some(client),
                Err(err) => {
                    problems.push(err);
                    None
                }
            },
            None => None,
        };
        match read {
            Ok((inputs, target)) if problems.is_empty() => Ok(Doctor {
                cloud,
                inputs,
                target,
                options: CheckOptions {
                    profile: request.profile.clone(),
                    timeout,
                },
                client,
                key_id: request.key_id.clone(),
            }),
            _ => Err(problems),
        }
    }

    async fn examine(&self) -> DoctorReport {
        doctor::examine(
            self.cloud,
            &self.inputs,
            self.target.as_ref(),
            &self.options,
            self.client.as_ref().map(|c| (c, self.key_id.as_deref())),
        )
        .await
    }
}

/// Keeps the report for the evidence folder (it holds no secret), and its checks as the last
/// run (what `export` reads).
fn keep(doctor: &Doctor, path: crate::guide::SetupPath, report: &DoctorReport) {
    super::remember_run(
        doctor.cloud,
        path,
        &doctor.inputs,
        report.checks.clone(),
        None,
    );
    if let (Some(store), Ok(text)) = (
        SessionStore::default_location(),
        serde_json::to_string_pretty(report),
    ) {
        let _ = store.save_record(LAST_DOCTOR, &format!("{text}\n"));
    }
}

/// `ekm-wizard doctor <cloud> …`.
pub fn doctor(values: &CloudValues, request: &DoctorRequest) -> u8 {
    let doctor = match Doctor::prepare(values, request) {
        Ok(doctor) => doctor,
        Err(code) => return code,
    };
    let Some(runtime) = runtime() else {
        return EXIT_REFUSED;
    };
    let report = runtime.block_on(doctor.examine());
    keep(&doctor, values.common().path, &report);
    if request.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        print!("{}", summary(&report));
    }
    report.health.exit_code()
}

/// What a person reads in five seconds: the health, then only what is wrong or unread.
pub fn summary(report: &DoctorReport) -> String {
    let cloud = crate::clouds::by_key(report.cloud);
    let name = cloud.map(|c| c.display_name()).unwrap_or(report.cloud);
    let mut out = format!("{name}: {} ({})\n", report.health.key(), report.finished_at);
    let passed = report
        .checks
        .iter()
        .filter(|r| matches!(r.status, CheckStatus::Pass | CheckStatus::Warn))
        .count();
    match &report.cloud_error {
        Some(error) => out.push_str(&format!("  ? cloud: could not check: {error}\n")),
        None => out.push_str(&format!(
            "  cloud: {} ({passed} of {} checks passed)\n",
            report.cloud_verdict,
            report.checks.len()
        )),
    }
    let skipped = report
        .problems()
        .iter()
        .filter(|p| p.status == CheckStatus::Skip)
        .count();
    for problem in report
        .problems()
        .into_iter()
        .filter(|p| p.status != CheckStatus::Skip)
    {
        let step = cloud
            .and_then(|c| c.guide().steps.iter().position(|s| s.id == problem.step))
            .filter(|_| problem.status == CheckStatus::Fail)
            .map(|i| format!(" (fix: step {})", i + 1))
            .unwrap_or_default();
        out.push_str(&format!(
            "  {} {}{step}: {}\n",
            problem.status.mark(),
            problem.title,
            crate::secrets::one_line(&problem.detail, 200)
        ));
    }
    if skipped > 0 {
        out.push_str(&format!(
            "  - {skipped} more {} not run: {} on what failed\n",
            if skipped == 1 { "check" } else { "checks" },
            if skipped == 1 {
                "it depends"
            } else {
                "they depend"
            }
        ));
    }
    out.push_str(&format!("  openai: {}\n", openai_line(&report.openai)));
    if matches!(report.openai, OpenAiSide::Answered { .. }) {
        // Why OpenAI's validation is the first to see a revocation.
        out.push_str(&format!(
            "  note: {}\n",
            crate::openai::lifecycle::ROTATION_VS_REVOCATION
        ));
    }
    out
}

fn openai_line(side: &OpenAiSide) -> String {
    match side {
        OpenAiSide::NotAsked { why } => format!("not asked ({why})"),
        OpenAiSide::CouldNotAsk { error } => format!("? could not ask: {error}"),
        OpenAiSide::KeyNotFound { looked_for } => {
            format!("✗ no registered key: looked for {looked_for}")
        }
        OpenAiSide::Answered {
            key_id,
            valid,
            error,
            projects,
            ..
        } => {
            let used = match projects.len() {
                0 => "no project uses it".to_string(),
                1 => "1 project uses it".to_string(),
                n => format!("{n} projects use it"),
            };
            if *valid {
                format!("{key_id} validated; {used}")
            } else {
                format!(
                    "✗ {key_id} failed validation: {}; {used}",
                    error.as_deref().unwrap_or("no reason given")
                )
            }
        }
    }
}

/// What `watch` was asked for.
#[derive(Debug, Clone)]
pub struct WatchRequest {
    pub doctor: DoctorRequest,
    pub every: Duration,
    pub until_healthy: bool,
    /// When to give up (with `--until-healthy`) or stop.
    pub timeout: Option<Duration>,
}

/// One line of `watch`: when, the health, and the first thing wrong. For a terminal its
/// details are cut to fit (`…`); `whole` keeps them whole, for a log file or a pipe.
pub fn watch_line(report: &DoctorReport, whole: bool) -> String {
    let cut = |text: &str, max: usize| {
        crate::secrets::one_line(text, if whole { usize::MAX } else { max })
    };
    let first = report
        .problems()
        .first()
        .map(|p| format!(": {} {}: {}", p.status.mark(), p.title, cut(&p.detail, 160)))
        .or_else(|| {
            report
                .cloud_error
                .as_ref()
                .map(|e| format!(": {}", cut(e, 120)))
        })
        .or_else(|| match &report.openai {
            OpenAiSide::Answered { valid: true, .. } | OpenAiSide::NotAsked { .. } => None,
            other => Some(format!(": openai {}", openai_line(other))),
        })
        .unwrap_or_default();
    format!("{} {}{first}", report.finished_at, report.health.key())
}

/// `ekm-wizard watch <cloud> …`.
pub fn watch(values: &CloudValues, request: &WatchRequest) -> u8 {
    let doctor = match Doctor::prepare(values, &request.doctor) {
        Ok(doctor) => doctor,
        Err(code) => return code,
    };
    let Some(runtime) = runtime() else {
        return EXIT_REFUSED;
    };
    let to_terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let started = Instant::now();
    let deadline = request.timeout.map(|t| started + t);
    let mut last: Option<Health> = None;
    loop {
        let report = runtime.block_on(doctor.examine());
        keep(&doctor, values.common().path, &report);
        if last != Some(report.health) {
            if request.doctor.json {
                println!("{}", serde_json::to_string(&report).unwrap_or_default());
            } else {
                println!("{}", watch_line(&report, !to_terminal));
            }
            last = Some(report.health);
        }
        if request.until_healthy && report.health == Health::Healthy {
            return report.health.exit_code();
        }
        let now = Instant::now();
        let wait = match deadline {
            Some(deadline) if now >= deadline => {
                if request.until_healthy && !request.doctor.json {
                    eprintln!(
                        "Still {} after {}s; giving up.",
                        report.health.key(),
                        started.elapsed().as_secs()
                    );
                }
                return report.health.exit_code();
            }
            Some(deadline) => request.every.min(deadline - now),
            None => request.every,
        };
        std::thread::sleep(wait);
    }
}

/// What `drill` was asked for.
#[derive(Debug, Clone)]
pub struct DrillRequest {
    pub doctor: DoctorRequest,
    pub dry_run: bool,
    pub yes: bool,
    /// How long to wait for OpenAI to see each change.
    pub wait: Duration,
}

/// Completes when the process is asked to stop (Ctrl-C, SIGTERM, SIGHUP).
async fn stop_asked() {
    match crate::stop::StopSignals::listen() {
        Ok(mut stop) => stop.recv().await,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// A drill a crash or a kill left: the key it switched off is switched on again. Said on
/// stderr; `None` when there was none.
pub fn finish_left_over_drill() -> Option<u8> {
    let store = SessionStore::default_location()?;
    let text = store.load_record(drill::DRILL_IN_PROGRESS)?;
    let record: drill::DrillRecord = match serde_json::from_str(&text) {
        Ok(record) => record,
        Err(err) => {
            eprintln!(
                "A drill record at {} cannot be read ({err}); check the key it named is on.",
                store.record_file(drill::DRILL_IN_PROGRESS).display()
            );
            return Some(EXIT_REFUSED);
        }
    };
    let runtime = runtime()?;
    let finished = runtime.block_on(async {
        let cloud = crate::clouds::by_key(&record.cloud).ok_or("an unknown cloud")?;
        let inputs = Inputs::from_saved(cloud, record.inputs.clone())?;
        let target =
            crate::checks::target_from_recorded(cloud, &inputs, crate::guide::SetupPath::Api)
                .map_err(|_| "the recorded values no longer read".to_string())?;
        let options = CheckOptions {
            profile: record.profile.clone(),
            timeout: Duration::from_secs(20),
        };
        let session = target.key_switch(&options).await.map_err(|e| e.0)?;
        let not_asked = || -> futures::future::BoxFuture<'_, drill::Validation> {
            Box::pin(async { drill::Validation::CouldNotAsk("not asked".into()) })
        };
        let keep = |r: &drill::DrillRecord| drill::keep_in(&store, r);
        let say = |line: &str| eprintln!("drill: {line}");
        let runner = drill::Drill {
            session: session.as_ref(),
            validate: &not_asked,
            keep: &keep,
            say: &say,
            pace: drill::Pace::default(),
        };
        Ok::<_, String>(drill::finish_left_over(&runner, record.clone()).await)
    });
    match finished {
        Ok(done) => {
            eprintln!("{}", done.message.clone().unwrap_or_default());
            drill::file(&store, &done);
            Some(if done.end == Some(drill::DrillEnd::LeftOff) {
                EXIT_REFUSED
            } else {
                crate::exit::EXIT_OK
            })
        }
        Err(err) => {
            let key = record.key.as_ref();
            eprintln!(
                "A drill stopped midway and its key could not be switched on yet ({}): {}. Switch it on: {}",
                crate::secrets::visible(&err),
                key.map(|k| k.described.as_str()).unwrap_or("the key"),
                key.map(|k| k.switch_on_command.as_str())
                    .unwrap_or("see the record")
            );
            Some(EXIT_REFUSED)
        }
    }
}

/// The plan of a drill: the key read and OpenAI asked, nothing changed.
async fn dry_run(
    doctor: &Doctor,
    client: &Client,
    mut record: drill::DrillRecord,
    say: &(dyn Fn(&str) + Sync),
    pace: drill::Pace,
) -> drill::DrillRecord {
    let session = match doctor.target.key_switch(&doctor.options).await {
        Ok(session) => session,
        Err(cannot) => {
            record.end = Some(drill::DrillEnd::CouldNotAsk);
            record.message = Some(crate::secrets::visible(&format!(
                "could not sign in to the cloud: {}",
                cannot.0
            )));
            return record;
        }
    };
    let key_id = record.key_id.clone();
    let validate = || -> futures::future::BoxFuture<'_, drill::Validation> {
        Box::pin(drill::validation(client, &key_id))
    };
    let runner = drill::Drill {
        session: session.as_ref(),
        validate: &validate,
        keep: &|_| {},
        say,
        pace,
    };
    let (end, message) = match runner.check_before(&mut record).await {
        Ok(key) => {
            say(&format!(
                "plan: switch off {}; wait (up to {} s) for OpenAI's validation of {key_id} to fail; switch it on; wait for validation to pass. Every request OpenAI makes with this key fails while it is off. If the wizard cannot switch it on: {}",
                key.described,
                pace.limit.as_secs(),
                key.switch_on_command
            ));
            (
                drill::DrillEnd::DryRun,
                "dry run: nothing was changed".to_string(),
            )
        }
        Err(ended) => ended,
    };
    record.end = Some(end);
    record.message = Some(crate::secrets::visible(&message));
    record
}

/// `ekm-wizard drill <cloud> --key-id extkey_… [--dry-run] [--yes]`.
pub fn drill(values: &CloudValues, request: &DrillRequest) -> u8 {
    use std::io::IsTerminal;
    // Every problem with what was given is said at once, not one per run.
    let mut problems = Vec::new();
    if request.doctor.key_id.is_none() {
        problems.push("--key-id: missing; name the registered key to drill (extkey_…)".into());
    }
    let doctor = Doctor::read(values, &request.doctor);
    if let Err(said) = &doctor {
        problems.extend(said.iter().cloned());
    }
    if !request.yes && !request.dry_run && !std::io::stdin().is_terminal() {
        problems.push(
            "standard input is not a terminal, so a drill needs --yes (or --dry-run to see the plan)".into(),
        );
    }
    // Without the admin key in the environment (and no terminal to type it in), no drill can
    // ask OpenAI: said beside the rest, as is an API base that cannot be used.
    if AdminKey::from_env().is_none() && !std::io::stdin().is_terminal() {
        problems.push(format!(
            "a drill asks OpenAI to validate the key: no admin key: set {} (standard input is not a terminal to type it in)",
            crate::openai::client::ADMIN_KEY_ENV
        ));
    }
    if let Err(err) = ApiBase::resolve(request.doctor.api_base.as_deref())
        && !problems.contains(&err)
    {
        problems.push(err);
    }
    let (Ok(mut doctor), Some(key_id), true) =
        (doctor, request.doctor.key_id.clone(), problems.is_empty())
    else {
        return bad_input(&problems);
    };
    let client = match doctor.client.take() {
        Some(client) => client,
        None => match super::admin_key() {
            Ok((key, _)) => {
                let base = match ApiBase::resolve(request.doctor.api_base.as_deref()) {
                    Ok(base) => base,
                    Err(err) => return bad_input(&[err]),
                };
                match Client::new(base, key, doctor.options.timeout) {
                    Ok(client) => client,
                    Err(err) => return bad_input(&[err.to_string()]),
                }
            }
            Err(err) => {
                return bad_input(&[format!("a drill asks OpenAI to validate the key: {err}")]);
            }
        },
    };
    let Some(store) = SessionStore::default_location() else {
        eprintln!(
            "error: a drill keeps its record in the wizard's state folder, and there is none here: set EKM_WIZARD_STATE_DIR"
        );
        return EXIT_REFUSED;
    };
    let Some(runtime) = runtime() else {
        return EXIT_REFUSED;
    };
    let json = request.doctor.json;
    let record = drill::DrillRecord::new(
        doctor.cloud,
        &key_id,
        &doctor.inputs,
        doctor.options.profile.clone(),
    );
    let say = |line: &str| {
        if json {
            eprintln!("drill: {line}");
        } else {
            println!("{line}");
        }
    };
    let pace = drill::Pace {
        limit: request.wait,
        ..Default::default()
    };
    let done = runtime.block_on(async {
        if request.dry_run {
            return dry_run(&doctor, &client, record, &say, pace).await;
        }
        let yes = request.yes;
        let confirm = |key: &crate::guide::plan::SwitchableKey| {
            if yes {
                return true;
            }
            eprint!(
                "This switches off {}. OpenAI's validation of {key_id} fails at once, and any request OpenAI cannot serve from its data-key cache (kept up to an hour) fails until the key is on again; a drill usually takes a minute or two. Type yes to go on: ",
                key.described
            );
            let mut answer = String::new();
            std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == "yes"
        };
        drill::run_on_target(
            doctor.target.as_ref(),
            &doctor.options,
            &client,
            &store,
            record,
            &say,
            confirm,
            stop_asked(),
            pace,
        )
        .await
    });
    if !request.dry_run {
        drill::file(&store, &done);
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&done).unwrap_or_default()
        );
    } else if let Some(message) = &done.message {
        println!("{message}");
        println!("{}", crate::openai::lifecycle::ROTATION_VS_REVOCATION);
    }
    done.end
        .map(drill::DrillEnd::exit_code)
        .unwrap_or(EXIT_REFUSED)
}

/// `ekm-wizard export --evidence DIR`: the folder for an auditor.
pub fn evidence(dir: &std::path::Path, api_base: Option<&str>) -> u8 {
    use crate::after_setup::evidence::{self, AuditLog, Evidence};
    let Some(store) = SessionStore::default_location() else {
        return bad_input(&[
            "no home or state directory was found, so there is nothing to gather".into(),
        ]);
    };
    let (session, _) = match super::progress_or_last_run(&store) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let audit_log = match AdminKey::from_env() {
        None => AuditLog::NotRead("OPENAI_ADMIN_KEY is not set".into()),
        Some(key) => {
            let base = match ApiBase::resolve(api_base) {
                Ok(base) => base,
                Err(err) => return bad_input(&[err]),
            };
            let client = match Client::new(base, key, Duration::from_secs(30)) {
                Ok(client) => client,
                Err(err) => return bad_input(&[err.to_string()]),
            };
            let Some(runtime) = runtime() else {
                return EXIT_REFUSED;
            };
            match runtime.block_on(crate::openai::register::audit_log_events(
                &client,
                &["external_key.registered", "external_key.removed"],
            )) {
                Ok(events) => AuditLog::Events(events),
                Err(err) => AuditLog::NotRead(crate::secrets::visible(&err.to_string())),
            }
        }
    };
    let gathered = Evidence {
        cloud: session.cloud,
        path: session.path,
        inputs: session.inputs,
        last_check: store.load_record(crate::session::LAST_RUN),
        last_doctor: store.load_record(LAST_DOCTOR),
        last_drill: store.load_record(drill::LAST_DRILL),
        audit_log,
        made_at: crate::clock::iso_8601_utc(crate::clock::now_unix()),
    };
    match evidence::write(dir, &gathered) {
        Ok(files) => {
            println!(
                "Wrote {} files to {}; check them with: (cd {} && sha256sum -c {})",
                files.len(),
                dir.display(),
                dir.display(),
                evidence::MANIFEST
            );
            crate::exit::EXIT_OK
        }
        Err(err) => bad_input(&[format!("--evidence: {err}")]),
    }
}
