//! The after-setup commands for scripts and people: `doctor` (one health, a five-second
//! summary or a versioned JSON report) and `watch` (doctor again and again, a line when the
//! health changes). The work is in `after_setup`; this reads flags and prints.

use std::time::{Duration, Instant};

use super::args::CloudValues;
use super::{bad_input, inputs_from, runtime};
use crate::after_setup::doctor::{self, DoctorReport, Health, OpenAiSide};
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
        let cloud = values.cloud();
        let inputs = inputs_from(values).map_err(|problems| bad_input(&problems))?;
        let target = crate::checks::target_from_recorded(cloud, &inputs, values.common().path)
            .map_err(|errors| {
                bad_input(
                    &errors
                        .iter()
                        .map(|e| e.on_command_line())
                        .collect::<Vec<_>>(),
                )
            })?;
        cloud
            .kit()
            .check_endpoints()
            .map_err(|err| bad_input(&[err.0]))?;
        if let Some(id) = &request.key_id
            && crate::openai::register::checked_id(id, "extkey_").is_err()
        {
            return Err(bad_input(&[format!(
                "--key-id: `{}` is not an external key id; expected extkey_ then letters and digits",
                crate::secrets::one_line(id, 80)
            )]));
        }
        let timeout = Duration::from_secs(request.timeout.max(1));
        // The admin key comes from the environment only: a doctor runs unattended.
        let client = match AdminKey::from_env() {
            Some(key) => {
                let base = ApiBase::resolve(request.api_base.as_deref())
                    .map_err(|err| bad_input(&[err]))?;
                Some(Client::new(base, key, timeout).map_err(|err| bad_input(&[err.to_string()]))?)
            }
            None => None,
        };
        Ok(Doctor {
            cloud,
            inputs,
            target,
            options: CheckOptions {
                profile: request.profile.clone(),
                timeout,
            },
            client,
            key_id: request.key_id.clone(),
        })
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

/// Keeps the report for the evidence folder (it holds no secret).
fn keep(report: &DoctorReport) {
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
    keep(&report);
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

/// One line of `watch`: when, the health, and the first thing wrong.
fn watch_line(report: &DoctorReport) -> String {
    let first = report
        .problems()
        .first()
        .map(|p| format!(": {} {}", p.status.mark(), p.title))
        .or_else(|| {
            report
                .cloud_error
                .as_ref()
                .map(|e| format!(": {}", crate::secrets::one_line(e, 120)))
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
    let started = Instant::now();
    let deadline = request.timeout.map(|t| started + t);
    let mut last: Option<Health> = None;
    loop {
        let report = runtime.block_on(doctor.examine());
        keep(&report);
        if last != Some(report.health) {
            if request.doctor.json {
                println!("{}", serde_json::to_string(&report).unwrap_or_default());
            } else {
                println!("{}", watch_line(&report));
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
