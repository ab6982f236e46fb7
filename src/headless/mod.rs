//! The headless commands, for scripts and support: `render`, `check`, `register`,
//! `validate`, `explain` and `export`, and the values they take from the command line (`args`,
//! which `cli` parses). What `render` prints is made in `crate::render`.

pub mod after_setup;
pub mod apply;
pub mod args;
pub mod keys;

use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use zeroize::Zeroizing;

use crate::artifacts::{self, ArtifactBody};
use crate::bundle;

use crate::exit::{EXIT_BAD_INPUT, EXIT_NOT_VERIFIED, EXIT_OK, EXIT_REFUSED};
use crate::explain::{self, describe};
use crate::guide::{ArtifactId, FieldId, SetupPath};
use crate::openai::client::ADMIN_KEY_ENV;
use crate::openai::validity::Validity;
use crate::openai::{AdminKey, ApiBase, ApiError, Client, register};
use crate::render;
use crate::session::{Loaded, SessionStore};
use args::{ApiArgs, CloudValues};

/// `ekm-wizard explain [TEXT] [--json]`: exit 0 when a known error matched, 1 when not.
pub fn explain(text: Option<&str>, as_json: bool) -> u8 {
    let text = match text {
        Some(text) => text.to_string(),
        None => {
            if std::io::stdin().is_terminal() {
                eprintln!("Paste the error, then press Ctrl-D:");
            }
            let mut buffer = String::new();
            if let Err(err) = std::io::stdin().read_to_string(&mut buffer) {
                eprintln!("error: cannot read standard input: {err}");
                return EXIT_BAD_INPUT;
            }
            buffer
        }
    };
    if text.trim().is_empty() {
        return bad_input(&[
            "nothing to explain: give the error's text as the argument, or on standard input"
                .into(),
        ]);
    }
    let explanation = explain::explain(&text);
    let mut stdout = std::io::stdout().lock();
    let written = match (&explanation, as_json) {
        (Some(found), true) => {
            let mut entry = json!(found.entry);
            if found.entry.local {
                // No cloud and no step: this machine's side, or OpenAI's admin key.
                entry["cloud"] = serde_json::Value::Null;
            }
            writeln!(
                stdout,
                "{:#}",
                json!({"matched": true, "entry": entry, "extracted": found.extracted})
            )
        }
        (None, true) => writeln!(
            stdout,
            "{:#}",
            json!({"matched": false, "entry": null, "extracted": {}})
        ),
        (Some(found), false) => write!(stdout, "{}", describe(found)),
        (None, false) => writeln!(
            stdout,
            "No known EKM error matched this text. Check it is the whole message, or share it with your OpenAI contact."
        ),
    };
    if written.is_err() {
        return EXIT_REFUSED;
    }
    if explanation.is_some() {
        EXIT_OK
    } else {
        EXIT_REFUSED
    }
}

/// The saved progress or, without it, the last headless check or registration made into
/// one; said on stderr (exit 2) when there is neither.
pub(crate) fn progress_or_last_run(
    store: &SessionStore,
) -> Result<(crate::session::Session, Option<crate::session::LastRun>), u8> {
    // The last headless check or registration, kept beside the saved progress.
    let last = store.load_last_run();
    let session = match (store.load(), &last) {
        (Loaded::Session(session), _) => session,
        (Loaded::Nothing, Some(last)) => crate::session::Session {
            format: crate::session::SESSION_FORMAT,
            cloud: last.cloud,
            path: last.path,
            step: 0,
            reached: 0,
            inputs: last.inputs.clone(),
            external_key_id: None,
            project_id: None,
        },
        (Loaded::Nothing, None) => {
            eprintln!(
                "error: no saved progress and no headless check or registration in {}; walk the wizard or run `ekm-wizard check <cloud>` first, then export",
                store.dir().display()
            );
            return Err(EXIT_BAD_INPUT);
        }
        (Loaded::SetAside { reason, moved_to }, _) => {
            let kept = moved_to
                .map(|p| format!(" (kept as {})", p.display()))
                .unwrap_or_default();
            eprintln!("error: {reason}{kept}");
            return Err(EXIT_BAD_INPUT);
        }
    };
    Ok((session, last))
}

/// `ekm-wizard export [--output FILE]`: the support bundle of the saved progress.
pub fn export(output: Option<&Path>) -> u8 {
    let Some(store) = SessionStore::default_location() else {
        eprintln!(
            "error: no home or state directory was found, so there is no saved progress to export"
        );
        return EXIT_BAD_INPUT;
    };
    let (session, last) = match progress_or_last_run(&store) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let same_cloud = last.as_ref().filter(|l| l.cloud == session.cloud);
    let checks = same_cloud.map(|l| l.checks.clone()).unwrap_or_default();
    let errors: Vec<String> = same_cloud
        .and_then(|l| l.refusal.clone())
        .into_iter()
        .collect();
    let text = bundle::support_bundle(
        &session,
        &errors,
        &checks,
        &crate::apply::last_calls(&store),
    );
    match output {
        Some(path) if path == Path::new("-") => {
            if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
                return EXIT_REFUSED;
            }
        }
        _ => {
            let path = output.unwrap_or(Path::new("ekm-wizard-support.md"));
            if let Err(err) = crate::session::write_private(path, &text) {
                eprintln!("error: cannot write {}: {err}", path.display());
                return EXIT_BAD_INPUT;
            }
            println!("Wrote the support bundle to {}", path.display());
        }
    }
    EXIT_OK
}

/// The admin key: `OPENAI_ADMIN_KEY`, else typed at a masked prompt when there is a terminal.
fn admin_key() -> Result<(AdminKey, &'static str), String> {
    if let Some(key) = AdminKey::from_env() {
        return Ok((key, "OPENAI_ADMIN_KEY"));
    }
    if !std::io::stdin().is_terminal() {
        return Err(format!(
            "no admin key: set {ADMIN_KEY_ENV} (standard input is not a terminal to type it in)"
        ));
    }
    let typed = prompt_secret("OpenAI admin key (typing is hidden): ")
        .ok_or_else(|| "no admin key was typed".to_string())?;
    AdminKey::new(typed.as_str()).map(|key| (key, "the prompt"))
}

/// Reads a line without echo, in raw mode, restoring the terminal whatever happens.
pub(crate) fn prompt_secret(prompt: &str) -> Option<Zeroizing<String>> {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    crossterm::terminal::enable_raw_mode().ok()?;
    let mut value = Zeroizing::new(String::new());
    let outcome = loop {
        match read() {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => match key.code {
                KeyCode::Enter => break true,
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => break false,
                KeyCode::Char(c) => value.push(c),
                KeyCode::Backspace => {
                    value.pop();
                }
                KeyCode::Esc => break false,
                _ => {}
            },
            Ok(Event::Paste(text)) => value.push_str(text.trim()),
            Ok(_) => {}
            Err(_) => break false,
        }
    };
    let _ = crossterm::terminal::disable_raw_mode();
    eprintln!();
    (outcome && !value.is_empty()).then_some(value)
}

fn ask_yes(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn runtime() -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => Some(runtime),
        Err(err) => {
            eprintln!("error: cannot start: {err}");
            None
        }
    }
}

fn client_for(api: &ApiArgs, key: AdminKey) -> Result<Client, String> {
    let base = ApiBase::resolve(api.api_base.as_deref())?;
    Client::new(base, key, Duration::from_secs(api.timeout.max(1))).map_err(|e| e.to_string())
}

/// The client, where its key came from, and a runtime for a Management API command; or the
/// exit code (2) of why not, said on stderr. Checked before any connection is made.
fn api_session(api: &ApiArgs) -> Result<(Client, &'static str, tokio::runtime::Runtime), u8> {
    ApiBase::resolve(api.api_base.as_deref()).map_err(|err| bad_input(&[err]))?;
    let (key, source) = admin_key().map_err(|err| bad_input(&[err]))?;
    let client = client_for(api, key).map_err(|err| bad_input(&[err]))?;
    let runtime = runtime().ok_or(EXIT_REFUSED)?;
    Ok((client, source, runtime))
}

/// An API refusal for people, with the troubleshooting entry when its message matches one.
fn explain_failure(error: &str) -> String {
    match explain::explain(error) {
        Some(found) => format!("{error}\n\n{}", describe(&found)),
        None => error.to_string(),
    }
}

fn validation_json(validation: &Result<(), ApiError>) -> serde_json::Value {
    let status = Validity::of(validation).json_status();
    match validation {
        Ok(()) => json!({"status": status}),
        Err(err @ ApiError::Refused { .. }) => {
            let entry = err
                .message()
                .and_then(explain::explain)
                .map(|found| found.entry.id.clone());
            json!({"status": status, "error": err.to_string(), "explanation": entry})
        }
        Err(err) => json!({
            "status": status,
            "error": err.to_string(),
            "explanation": explain::explain(&err.to_string()).map(|found| found.entry.id.clone()),
        }),
    }
}

/// What registering takes, read from the command line: the inputs, the request body, the
/// project's name (checked) and the warnings about valid values.
pub(crate) struct RegistrationRequest {
    pub inputs: crate::guide::Inputs,
    pub body: serde_json::Value,
    pub project_name: String,
    pub warnings: Vec<String>,
}

/// Reads and checks what `register` (and `replace`) send; exit 2 with every problem.
pub(crate) fn registration_request(
    values: &CloudValues,
    project_name: Option<&str>,
) -> Result<RegistrationRequest, u8> {
    let cloud = values.cloud();
    let as_json = values.common().json;
    let inputs = match inputs_from(values) {
        Ok(inputs) => inputs,
        Err(problems) => return Err(bad_input(&problems)),
    };
    let warnings = warn_of(cloud, &inputs, as_json);
    let body = match artifacts::generate(
        cloud,
        ArtifactId::REGISTRATION_BODY,
        &inputs,
        SetupPath::Api,
    ) {
        Ok(ArtifactBody::Json(body)) => body,
        Ok(ArtifactBody::Text(_)) => {
            return Err(bad_input(&["no registration body for this cloud".into()]));
        }
        Err(missing) => {
            let mut problems: Vec<String> = inputs
                .validated(FieldId::ORG_ID)
                .err()
                .map(|e| e.on_command_line())
                .into_iter()
                .collect();
            problems.extend(missing.iter().map(|e| e.on_command_line()));
            return Err(bad_input(&problems));
        }
    };
    let from_config = inputs.raw(FieldId::PROJECT_NAME).to_string();
    let project_name =
        project_name.or((!from_config.trim().is_empty()).then_some(from_config.as_str()));
    let project_name = match project_name {
        Some(name) if crate::secrets::looks_secret(name) => {
            return Err(bad_input(&[format!(
                "--project-name {}",
                crate::secrets::SECRET_REFUSED
            )]));
        }
        Some(name) => match crate::guide::validate::display_name(FieldId::PROJECT_NAME, name) {
            Ok(name) => name,
            Err(err) => return Err(bad_input(&[err.on_command_line()])),
        },
        None => {
            return Err(bad_input(&[format!(
                "{} (--project-name): missing; pass --project-name NAME for the project that will use the key",
                cloud.label(FieldId::PROJECT_NAME)
            )]));
        }
    };
    Ok(RegistrationRequest {
        inputs,
        body,
        project_name,
        warnings,
    })
}

/// `ekm-wizard register <cloud> … --project-name NAME [--yes] [--json]`.
pub fn register(values: &CloudValues, api: &ApiArgs, project_name: Option<&str>, yes: bool) -> u8 {
    let cloud = values.cloud();
    let as_json = values.common().json;
    let RegistrationRequest {
        inputs,
        body,
        project_name,
        warnings,
    } = match registration_request(values, project_name) {
        Ok(request) => request,
        Err(code) => return code,
    };
    if !yes && !std::io::stdin().is_terminal() {
        return bad_input(&["standard input is not a terminal, so registering needs --yes".into()]);
    }
    let (client, source, runtime) = match api_session(api) {
        Ok(session) => session,
        Err(code) => return code,
    };
    eprintln!("Admin key from {source}; API at {}.", client.base());
    let plan = match runtime.block_on(register::plan(&client, &body)) {
        Ok(plan) => plan,
        Err(err) => {
            remember_run(
                cloud,
                SetupPath::Api,
                &inputs,
                Vec::new(),
                Some(err.to_string()),
            );
            return refused(&err.to_string(), as_json);
        }
    };
    if !as_json {
        println!("Registration request body:\n{:#}\n", body);
    }
    match plan.ekm_enabled {
        Some(false) => eprintln!(
            "Note: no project of this organization shows external_key_id; EKM may not be enabled for it yet (ask your OpenAI contact)."
        ),
        Some(true) => eprintln!("EKM is enabled for this organization."),
        None => {}
    }
    // An id from OpenAI's listing is shown made safe; it is form-checked before any use.
    let existing_id = plan
        .existing
        .as_ref()
        .and_then(|k| k["id"].as_str())
        .map(|id| crate::secrets::outside_id(id, 80));
    let question = match &existing_id {
        Some(id) => format!(
            "A key with these settings is already registered ({id}). Use it for project \"{project_name}\"?"
        ),
        None => format!("Register this key with OpenAI and create project \"{project_name}\"?"),
    };
    if let Some(id) = &existing_id {
        eprintln!(
            "Found {id} with the same settings: it will be used rather than registering a duplicate."
        );
    }
    if !yes && !ask_yes(&question) {
        eprintln!("Nothing was registered.");
        return EXIT_REFUSED;
    }
    let outcome = runtime.block_on(register::register(
        &client,
        &body,
        plan.existing,
        Some(&project_name),
    ));
    let registration = match outcome {
        Ok(registration) => registration,
        Err(err) => {
            remember_run(
                cloud,
                SetupPath::Api,
                &inputs,
                Vec::new(),
                Some(err.to_string()),
            );
            return refused(&err.to_string(), as_json);
        }
    };
    if as_json {
        let mut document = json!({
            "registration_body": body,
            "ekm_enabled": plan.ekm_enabled,
            "external_key": registration.key,
            "reused_key": registration.key_reused,
            "project": registration.project,
            "project_reused": registration.project_reused,
            "validation": validation_json(&registration.validation),
        });
        if !warnings.is_empty() {
            document["warnings"] = json!(warnings);
        }
        println!(
            "{}",
            crate::secrets::json_for_terminal(&format!("{document:#}"))
        );
    } else {
        let verb = if registration.key_reused {
            "Using existing key"
        } else {
            "Registered key"
        };
        println!(
            "{verb}: {}",
            registration
                .key_id()
                .map(|id| crate::secrets::outside_id(id, 80))
                .unwrap_or_else(|| "(no id)".into())
        );
        let verb = if registration.project_reused {
            "Using existing project"
        } else {
            "Created project"
        };
        let project_id = match (registration.project_id(), &registration.project) {
            (Some(id), _) => id.to_string(),
            (None, Some(project)) if project["id"].is_string() => format!(
                "OpenAI's answer gave an id not of the form proj_… (`{}`); it is not used",
                crate::secrets::outside_id(project["id"].as_str().unwrap_or_default(), 80)
            ),
            (None, _) => "(no id in the answer)".into(),
        };
        println!("{verb} \"{project_name}\": {project_id}");
        match &registration.validation {
            Ok(()) => println!("Validation: success: OpenAI can use the key."),
            Err(err) => println!(
                "Validation failed: {}",
                crate::secrets::visible(&explain_failure(&err.to_string()))
            ),
        }
    }
    validation_exit(&registration.validation)
}

/// 0 when OpenAI validated the key, 3 when it could not be asked (no answer), else 1.
/// The exit code of a validation, by the one rule of `Validity` (shared with `keys validate`).
fn validation_exit(validation: &Result<(), ApiError>) -> u8 {
    Validity::of(validation).exit_code()
}

/// Keeps what a headless run found for `export` (best effort: a run is not failed for it).
fn remember_run(
    cloud: crate::guide::Cloud,
    path: SetupPath,
    inputs: &crate::guide::Inputs,
    checks: Vec<crate::checks::CheckResult>,
    refusal: Option<String>,
) {
    if let Some(store) = SessionStore::default_location() {
        let _ = store.save_last_run(&crate::session::LastRun {
            cloud,
            path,
            written: crate::clock::now_unix(),
            inputs: inputs.clone(),
            checks,
            refusal,
        });
    }
}

/// Says each problem once (two fields refused for one fault give one line), exit 2.
fn bad_input(problems: &[String]) -> u8 {
    let mut said: Vec<&String> = Vec::new();
    for problem in problems {
        if !said.contains(&problem) {
            eprintln!("error: {problem}");
            said.push(problem);
        }
    }
    EXIT_BAD_INPUT
}

fn refused(error: &str, as_json: bool) -> u8 {
    let explained = explain::explain(error).map(|found| found.entry.id.clone());
    if as_json {
        println!(
            "{}",
            crate::secrets::json_for_terminal(&format!(
                "{:#}",
                json!({"error": error, "explanation": explained})
            ))
        );
    }
    eprintln!(
        "error: {}",
        crate::secrets::visible(&explain_failure(error))
    );
    // No answer is no refusal: what was asked could not be verified.
    if crate::net::is_unreachable(error) {
        EXIT_NOT_VERIFIED
    } else {
        EXIT_REFUSED
    }
}

/// `ekm-wizard validate extkey_… [--json]`.
pub fn validate(id: &str, api: &ApiArgs, as_json: bool) -> u8 {
    if register::checked_id(id, "extkey_").is_err() {
        return bad_input(&[format!(
            "the external key id (EXTKEY_ID) `{}` is not one; expected extkey_ then letters and digits, as `register` printed it",
            crate::secrets::outside_id(id, 80)
        )]);
    }
    let (client, _, runtime) = match api_session(api) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let validation = runtime.block_on(register::validate(&client, id));
    if as_json {
        println!(
            "{}",
            crate::secrets::json_for_terminal(&format!("{:#}", validation_json(&validation)))
        );
    } else {
        match &validation {
            Ok(()) => println!("{id}: success: OpenAI can use the key."),
            Err(err) => println!(
                "{id}: {}",
                crate::secrets::visible(&explain_failure(&err.to_string()))
            ),
        }
    }
    validation_exit(&validation)
}

/// What `check` was asked for beyond the recorded values.
#[derive(Debug, Clone, Default)]
pub struct CheckRequest {
    /// Seconds each check may take.
    pub timeout: u64,
    pub profile: Option<String>,
    /// The kit's actions to perform first, asked for by their flags.
    pub actions: Vec<crate::guide::ActionId>,
}

/// `ekm-wizard check <cloud> … [--json] [--timeout S] [--profile P] [--create-service-principal]`.
pub fn check(values: &CloudValues, request: &CheckRequest) -> u8 {
    use crate::checks::report::{ActionReport, CheckReport};
    use crate::checks::{ActionOutcome, CheckOptions, CheckResult, CheckStatus, Verdict};
    let cloud = values.cloud();
    let as_json = values.common().json;
    let inputs = match inputs_from(values) {
        Ok(inputs) => inputs,
        Err(problems) => return bad_input(&problems),
    };
    let warnings = warn_of(cloud, &inputs, as_json);
    // What is recorded so far is checked; checks whose values are not given wait for them.
    let target = match crate::checks::target_from_recorded(cloud, &inputs, values.common().path) {
        Ok(target) => target,
        Err(errors) => {
            return bad_input(
                &errors
                    .iter()
                    .map(|e| e.on_command_line())
                    .collect::<Vec<_>>(),
            );
        }
    };
    if let Err(err) = cloud.kit().check_endpoints() {
        return bad_input(&[err.0]);
    }
    let options = CheckOptions {
        profile: request.profile.clone(),
        timeout: Duration::from_secs(request.timeout.max(1)),
    };
    let Some(runtime) = runtime() else {
        return EXIT_REFUSED;
    };
    let mut created = None;
    let actions = cloud
        .kit()
        .actions()
        .iter()
        .filter(|a| request.actions.contains(&a.id));
    for action in actions {
        match runtime.block_on(target.perform_action(action.id, &options)) {
            ActionOutcome::CouldNotTry(why) => {
                let message = crate::secrets::visible(&why);
                if as_json {
                    println!("{}", CheckReport::could_not_run(message.clone()).to_json());
                }
                eprintln!("error: {message}");
                return Verdict::NotVerified.exit_code();
            }
            outcome => {
                let message = crate::secrets::visible(outcome.message());
                if !as_json {
                    eprintln!("{message}");
                }
                let refused = matches!(outcome, ActionOutcome::Refused(_));
                let report = ActionReport {
                    outcome: outcome.key(),
                    message,
                };
                if refused && as_json {
                    println!(
                        "{}",
                        CheckReport::refused(action.json_key, report.clone()).to_json()
                    );
                }
                if refused {
                    return EXIT_REFUSED;
                }
                created = Some((action.json_key, report));
            }
        }
    }
    let results: Vec<CheckResult> = match runtime.block_on(crate::checks::run(
        cloud,
        &inputs,
        target.as_ref(),
        &options,
        &|_| {},
    )) {
        Ok(results) => results,
        Err(cannot) => {
            let message = crate::secrets::visible(&cannot.0);
            if as_json {
                println!("{}", CheckReport::could_not_run(message.clone()).to_json());
            }
            eprintln!("error: {message}");
            return Verdict::NotVerified.exit_code();
        }
    };
    let verdict = Verdict::of(&results);
    remember_run(cloud, values.common().path, &inputs, results.clone(), None);
    let results: Vec<CheckResult> = results
        .into_iter()
        .map(|mut r| {
            r.detail = crate::secrets::visible(&r.detail);
            r
        })
        .collect();
    if as_json {
        let mut report = CheckReport::of(verdict, results);
        if let Some((key, created)) = created {
            report = report.with_action(key, created);
        }
        report.warnings = warnings;
        println!("{}", report.to_json());
    } else {
        let guide = cloud.guide();
        let step_of = |result: &CheckResult| {
            guide
                .steps
                .iter()
                .position(|s| s.id == result.step)
                .map(|i| format!(" (step {})", i + 1))
                .unwrap_or_default()
        };
        for result in &results {
            // A check that could not run blames no step: the step is where it would prove.
            println!(
                "{} {}{}: {}",
                result.status.mark(),
                result.title,
                if result.status == CheckStatus::Unverified {
                    String::new()
                } else {
                    step_of(result)
                },
                result.detail
            );
        }
        println!(
            "\n{}",
            crate::checks::verdict::words(
                verdict,
                &results,
                crate::checks::verdict::Length::Closing
            )
            .text
        );
    }
    verdict.exit_code()
}

/// The config file's values, overridden by any flag given; the fields a full name names are
/// filled in, and what cleaning changed is said on standard error, one line per field.
pub fn inputs_from(values: &CloudValues) -> Result<crate::guide::Inputs, Vec<String>> {
    let mut inputs = crate::inputs::from_config_and_flags(
        values.cloud(),
        values.common().config.as_deref(),
        values.flags(),
    )?;
    if values.common().path == SetupPath::ChatGpt {
        presented_is_the_org_id(&inputs)?;
    }
    for note in crate::inputs::settle(&mut inputs) {
        eprintln!("{note}");
    }
    Ok(inputs)
}

/// On the ChatGPT path OpenAI presents the organization id: another presented id given (by
/// flag or config) would be silently unused, so it is refused, naming its flag.
fn presented_is_the_org_id(inputs: &crate::guide::Inputs) -> Result<(), Vec<String>> {
    let cloud = inputs.cloud;
    let Some(field) = cloud.presented_id_field() else {
        return Ok(());
    };
    let given = inputs.raw(field).trim();
    if given.is_empty() || given == inputs.raw(FieldId::ORG_ID).trim() {
        return Ok(());
    }
    Err(vec![format!(
        "{} (--{}): `{}` is not used on the ChatGPT path, which presents the org id (--org-id); leave --{} out, or use --path api for an API project id",
        cloud.label(field),
        field.key().replace('_', "-"),
        crate::secrets::outside_id(given, 80),
        field.key().replace('_', "-"),
    )])
}

/// `ekm-wizard render <cloud>`: prints the generated artifacts, or every problem with the
/// input (exit 2, nothing on stdout).
pub fn render(values: &CloudValues) -> u8 {
    match render_text(values) {
        Ok(text) => {
            // The documents are whole: a warning about a value goes beside them, on stderr
            // (in the document itself with --json).
            if let Ok(inputs) = inputs_from(values) {
                warn_of(values.cloud(), &inputs, values.common().json);
            }
            let mut stdout = std::io::stdout().lock();
            if stdout.write_all(text.as_bytes()).is_err() {
                return EXIT_BAD_INPUT;
            }
            EXIT_OK
        }
        Err(problems) => {
            let mut stderr = std::io::stderr().lock();
            for problem in problems {
                let _ = writeln!(stderr, "error: {problem}");
            }
            EXIT_BAD_INPUT
        }
    }
}

/// `render <cloud> --format <format>`: the whole setup as code, from what is given; every value
/// given is checked first (the same messages as `render`, exit 2, nothing printed on stdout).
pub fn render_as_code(
    values: &CloudValues,
    format: &str,
    out: Option<&Path>,
    with_openai: bool,
) -> u8 {
    let cloud = values.cloud();
    let inputs = match inputs_from(values) {
        Ok(inputs) => inputs,
        Err(problems) => return bad_input(&problems),
    };
    let problems: Vec<String> = crate::artifacts::dedup(
        inputs
            .typed()
            .filter(|(_, raw)| !raw.trim().is_empty())
            .filter_map(|(field, _)| inputs.validated(field).err())
            .collect(),
    )
    .iter()
    .map(|e| e.on_command_line())
    .collect();
    if !problems.is_empty() {
        return bad_input(&problems);
    }
    let Some(files) = cloud.kit().as_code(format, &inputs) else {
        return bad_input(&[format!(
            "--format: `{format}` is not a format of {}",
            cloud.display_name()
        )]);
    };
    // OpenAI's side in the code too, where the kit says its provider has a resource.
    let files = match with_openai {
        false => files,
        true => match cloud.kit().as_code_with_openai(format, &inputs) {
            Ok(files) => files,
            Err(why) => return bad_input(&[why]),
        },
    };
    match out {
        // A folder of files, written whole or not at all.
        Some(dir) => {
            if let Err(err) = std::fs::create_dir_all(dir) {
                return bad_input(&[format!("--out: cannot create {}: {err}", dir.display())]);
            }
            for (name, text) in &files {
                let path = dir.join(name);
                if let Err(err) = std::fs::write(&path, text) {
                    eprintln!("error: cannot write {}: {err}", path.display());
                    return EXIT_REFUSED;
                }
                println!("Wrote {}", path.display());
            }
            EXIT_OK
        }
        // One file on standard output: Terraform reads its files as one.
        None => {
            let text: String = match files.as_slice() {
                [(_, only)] => only.clone(),
                many => many
                    .iter()
                    .map(|(name, text)| format!("# {name}\n{text}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            };
            if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
                return EXIT_REFUSED;
            }
            EXIT_OK
        }
    }
}

/// The warnings about valid values given (an alias that can be moved, say): printed on stderr
/// for people, returned for a JSON report.
fn warn_of(
    cloud: crate::guide::Cloud,
    inputs: &crate::guide::Inputs,
    as_json: bool,
) -> Vec<String> {
    let warnings: Vec<String> = artifacts::field_warnings(cloud, inputs)
        .iter()
        .map(|w| crate::secrets::visible(w))
        .collect();
    if !as_json {
        for warning in &warnings {
            eprintln!("warning: {warning}");
        }
    }
    warnings
}

/// The whole output of `render`, or every problem with the input.
pub fn render_text(values: &CloudValues) -> Result<String, Vec<String>> {
    let cloud = values.cloud();
    let inputs = inputs_from(values)?;
    // Validate everything first, so text output is all or nothing, like JSON.
    let mut document = render::document(cloud, &inputs).map_err(render::to_messages)?;
    if values.common().json {
        let warnings = warn_of(cloud, &inputs, true);
        if !warnings.is_empty() {
            document["warnings"] = json!(warnings);
        }
        let mut text = serde_json::to_string_pretty(&document).map_err(|e| vec![e.to_string()])?;
        text.push('\n');
        Ok(text)
    } else {
        render::text(cloud, &inputs, values.common().path).map_err(render::to_messages)
    }
}
