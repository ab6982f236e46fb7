//! The key's life at OpenAI from the command line: `keys` (list, show, validate, delete,
//! retire) and `replace`. The work is done by `crate::openai::keys` and
//! `crate::openai::lifecycle`; this file asks, prints and keeps the progress records.

use std::io::IsTerminal;

use clap::Subcommand;
use serde::Serialize;
use serde_json::json;

use crate::exit::{EXIT_BAD_INPUT, EXIT_NOT_VERIFIED, EXIT_OK, EXIT_REFUSED};
use crate::openai::keys::{self, ExternalKey, Listing, Refusal};
use crate::openai::lifecycle::{
    self, ReplaceProgress, RetirePlan, RetireProgress, retire_record_name,
};
use crate::openai::validity::Validity;
use crate::openai::{ApiError, Client, register};
use crate::session::SessionStore;

use super::args::{ApiArgs, ReadValues};
use super::{api_session, bad_input, explain_failure, refused, validation_json};

/// The version of the JSON of `keys`, `keys show` and `keys validate`; raised when a field
/// changes meaning or goes.
pub const SCHEMA_VERSION: u32 = 1;

/// `keys --json`: every EKM key, and whether the listing was whole.
#[derive(Debug, Serialize)]
pub struct KeysReport<'a> {
    pub schema_version: u32,
    pub keys: &'a [ExternalKey],
    /// False when OpenAI still said there was more after the page cap.
    pub complete: bool,
    pub left_out: LeftOut,
}

/// What the listing held that is not shown.
#[derive(Debug, Serialize)]
pub struct LeftOut {
    /// Keys of another purpose (`psp_decryption`).
    pub other_purpose: usize,
    /// Entries whose id is not of OpenAI's form.
    pub unreadable_id: usize,
}

/// `keys show --json`: the key, and the name of each project that uses it.
#[derive(Debug, Serialize)]
pub struct ShowReport<'a> {
    pub schema_version: u32,
    pub key: &'a ExternalKey,
    pub projects: Vec<ProjectName>,
}

/// A project that uses a key, with its name when it could be read.
#[derive(Debug, Serialize)]
pub struct ProjectName {
    pub id: String,
    pub name: Option<String>,
}

/// `keys validate --json`: one result per key.
#[derive(Debug, Serialize)]
pub struct ValidateReport {
    pub schema_version: u32,
    pub results: Vec<Validated>,
}

/// `keys delete --json`: what came of one delete.
#[derive(Debug, Serialize)]
pub struct DeleteReport<'a> {
    pub schema_version: u32,
    pub id: &'a str,
    /// `deleted`, `refused` (before any request: the key is in use or not an EKM key),
    /// `not-found`, `declined` (the admin said no), `failed` (OpenAI refused the request) or
    /// `not-verified` (no answer).
    pub outcome: &'static str,
    /// Whether the registration is gone now.
    pub deleted: bool,
    /// The key as read before the delete, when it was.
    pub key: Option<&'a ExternalKey>,
    /// Why it was not deleted, in words.
    pub error: Option<String>,
    /// The troubleshooting entry that matches the error, if one does.
    pub explanation: Option<String>,
}

/// `keys retire --json`: what a retirement run came to.
#[derive(Debug, Serialize)]
pub struct RetireReport<'a> {
    pub schema_version: u32,
    pub id: &'a str,
    /// `retired`, `already-retired`, `refused` (before any change), `not-found`, `declined`,
    /// `stopped` (a step failed; the same command resumes) or `not-verified` (no answer).
    pub outcome: &'static str,
    /// The projects archived, by this run or an earlier one of the same retirement.
    pub archived_projects: Vec<String>,
    /// Whether the registration is deleted now.
    pub deleted: bool,
    pub error: Option<String>,
    pub explanation: Option<String>,
}

/// A line for people: on standard output, or on standard error when standard output carries
/// the JSON report.
fn say(as_json: bool, line: &str) {
    if as_json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

/// The troubleshooting entry an error text matches.
fn explanation_of(error: &str) -> Option<String> {
    crate::explain::explain(error).map(|found| found.entry.id.clone())
}

/// What `keys` does besides listing.
#[derive(Debug, Clone, Subcommand)]
pub enum KeysAction {
    /// One key: its cloud, resource, creation time, and the projects (with their names) and
    /// workspace that use it.
    Show {
        /// The external key id (extkey_…).
        id: String,
    },
    /// Ask OpenAI to use keys now: one line per key. Exit 0 all valid, 1 any invalid, 3
    /// OpenAI could not be asked.
    Validate {
        /// The external key ids (extkey_…).
        ids: Vec<String>,
        /// Every EKM key of the organization.
        #[arg(long, conflicts_with = "ids")]
        all: bool,
    },
    /// Delete a key's registration, only when no project and no workspace uses it (otherwise
    /// refused before any request, naming the projects to archive first).
    Delete {
        /// The external key id (extkey_…).
        id: String,
        /// Delete without asking (needed when standard input is not a terminal).
        #[arg(long)]
        yes: bool,
    },
    /// Retire a replaced key: archive every project that uses it (which cannot be undone),
    /// then delete its registration. One question names each project; the progress is saved
    /// after every step, and the same command resumes a run that stopped.
    Retire {
        /// The external key id (extkey_…).
        id: String,
        /// Archive and delete without asking (needed when standard input is not a terminal).
        #[arg(long)]
        yes: bool,
    },
}

/// `ekm-wizard keys [ACTION] [--json]`.
pub fn keys(action: Option<&KeysAction>, api: &ApiArgs, as_json: bool) -> u8 {
    match action {
        None => list(api, as_json),
        Some(KeysAction::Show { id }) => show(id, api, as_json),
        Some(KeysAction::Validate { ids, all }) => validate(ids, *all, api, as_json),
        Some(KeysAction::Delete { id, yes }) => delete(id, *yes, api, as_json),
        Some(KeysAction::Retire { id, yes }) => retire(id, *yes, api, as_json),
    }
}

/// An id given on the command line, checked before anything is asked.
fn checked_arg(id: &str) -> Result<(), u8> {
    if register::checked_id(id, "extkey_").is_ok() {
        return Ok(());
    }
    Err(bad_input(&[format!(
        "`{}` is not an external key id; expected extkey_ then letters and digits",
        crate::secrets::outside_id(id, 80)
    )]))
}

/// A session with OpenAI, said on stderr.
fn session(api: &ApiArgs) -> Result<(Client, tokio::runtime::Runtime), u8> {
    let (client, source, runtime) = api_session(api)?;
    eprintln!("Admin key from {source}; API at {}.", client.base());
    Ok((client, runtime))
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        crate::secrets::json_for_terminal(&format!("{value:#}"))
    );
}

/// The key in words, over lines: id and name, cloud and resource, created, used by.
fn key_lines(key: &ExternalKey, project_names: &[(String, Option<String>)]) -> Vec<String> {
    let mut lines = vec![format!(
        "{}  \"{}\"",
        key.id,
        crate::secrets::outside_id(&key.name, 80)
    )];
    lines.push(format!(
        "  {}: {}",
        key.cloud_words(),
        key.resource
            .as_deref()
            .map(|r| crate::secrets::outside_id(r, 300))
            .unwrap_or_else(|| "(the key object names no resource the wizard knows)".into())
    ));
    lines.push(format!(
        "  created {}",
        key.created.as_deref().unwrap_or("(no time given)")
    ));
    let mut users: Vec<String> = key
        .api_project_ids
        .iter()
        .map(|id| {
            let name = project_names
                .iter()
                .find(|(p, _)| p == id)
                .and_then(|(_, n)| n.as_deref());
            match name {
                Some(name) => format!(
                    "project \"{}\" ({})",
                    crate::secrets::outside_id(name, 80),
                    crate::secrets::outside_id(id, 80)
                ),
                None => format!("project {}", crate::secrets::outside_id(id, 80)),
            }
        })
        .collect();
    if let Some(workspace) = &key.workspace_id {
        users.push(format!(
            "ChatGPT workspace {}",
            crate::secrets::outside_id(workspace, 80)
        ));
    }
    lines.push(if users.is_empty() {
        "  used by nothing (it can be deleted)".into()
    } else {
        format!("  used by {}", users.join(", "))
    });
    lines
}

/// `ekm-wizard keys [--json]`.
fn list(api: &ApiArgs, as_json: bool) -> u8 {
    let (client, runtime) = match session(api) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let listing: Listing = match runtime.block_on(keys::list_ekm(&client)) {
        Ok(listing) => listing,
        Err(err) => return refused(&err.to_string(), as_json),
    };
    if as_json {
        print_json(&json!(KeysReport {
            schema_version: SCHEMA_VERSION,
            keys: &listing.keys,
            complete: !listing.incomplete,
            left_out: LeftOut {
                other_purpose: listing.left_out,
                unreadable_id: listing.unreadable,
            },
        }));
    } else {
        if listing.keys.is_empty() {
            println!("No EKM key is registered in this organization.");
        }
        for key in &listing.keys {
            for line in key_lines(key, &[]) {
                println!("{line}");
            }
        }
        if listing.unreadable > 0 {
            eprintln!(
                "note: {} entr{} of OpenAI's listing had an id not of the form extkey_… and {} left out",
                listing.unreadable,
                if listing.unreadable == 1 { "y" } else { "ies" },
                if listing.unreadable == 1 { "is" } else { "are" }
            );
        }
    }
    if listing.incomplete {
        eprintln!(
            "error: OpenAI still said there was more after {} pages; the list above is not the whole organization's",
            keys::MAX_PAGES
        );
        return EXIT_NOT_VERIFIED;
    }
    EXIT_OK
}

/// Reads one key for `show` and `delete`: exit 1 with OpenAI's 404 in words.
fn read_key(
    client: &Client,
    runtime: &tokio::runtime::Runtime,
    id: &str,
    as_json: bool,
) -> Result<ExternalKey, u8> {
    match runtime.block_on(keys::retrieve(client, id)) {
        Ok(Some(key)) => Ok(key),
        Ok(None) => {
            let said = lifecycle::no_such_key(id);
            if as_json {
                print_json(&json!({"error": said}));
            }
            eprintln!("error: {said}");
            Err(EXIT_REFUSED)
        }
        Err(err) => Err(refused(&err.to_string(), as_json)),
    }
}

/// `ekm-wizard keys show ID [--json]`.
fn show(id: &str, api: &ApiArgs, as_json: bool) -> u8 {
    if let Err(code) = checked_arg(id) {
        return code;
    }
    let (client, runtime) = match session(api) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let key = match read_key(&client, &runtime, id, as_json) {
        Ok(key) => key,
        Err(code) => return code,
    };
    if !key.is_ekm() {
        let said = Refusal::NotEkm {
            purpose: key.purpose.clone().unwrap_or_default(),
        }
        .words(id);
        eprintln!("error: {said}");
        return EXIT_REFUSED;
    }
    // The projects' names; a project that cannot be read is shown by its id.
    let mut names = Vec::new();
    for project in &key.api_project_ids {
        let name = runtime
            .block_on(keys::project(&client, project))
            .ok()
            .flatten()
            .and_then(|p| p.name);
        names.push((project.clone(), name));
    }
    if as_json {
        print_json(&json!(ShowReport {
            schema_version: SCHEMA_VERSION,
            key: &key,
            projects: names
                .iter()
                .map(|(id, name)| ProjectName {
                    id: id.clone(),
                    name: name.clone(),
                })
                .collect(),
        }));
    } else {
        for line in key_lines(&key, &names) {
            println!("{line}");
        }
    }
    EXIT_OK
}

/// One key's validation in a `keys validate` run: `status` (`success`, `failed`,
/// `not-verified`), `error` and `explanation`, as `validate --json` gives them.
#[derive(Debug, Serialize)]
pub struct Validated {
    pub id: String,
    #[serde(flatten)]
    pub result: serde_json::Value,
}

/// `ekm-wizard keys validate [ID…|--all] [--json]`.
fn validate(ids: &[String], all: bool, api: &ApiArgs, as_json: bool) -> u8 {
    if ids.is_empty() && !all {
        return bad_input(&["name the keys to validate (extkey_…), or give --all".into()]);
    }
    for id in ids {
        if let Err(code) = checked_arg(id) {
            return code;
        }
    }
    let (client, runtime) = match session(api) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let ids: Vec<String> = if all {
        match runtime.block_on(keys::list_ekm(&client)) {
            Ok(listing) if listing.incomplete => {
                eprintln!(
                    "error: OpenAI still said there was more after {} pages; not every key could be listed",
                    keys::MAX_PAGES
                );
                return EXIT_NOT_VERIFIED;
            }
            Ok(listing) => listing.keys.into_iter().map(|k| k.id).collect(),
            Err(err) => return refused(&err.to_string(), as_json),
        }
    } else {
        ids.to_vec()
    };
    if ids.is_empty() && !as_json {
        println!("No EKM key is registered in this organization: nothing to validate.");
    }
    let mut code = EXIT_OK;
    let mut results = Vec::new();
    let mut explained = Vec::new();
    for id in &ids {
        let validation = runtime.block_on(register::validate(&client, id));
        let validity = Validity::of(&validation);
        let this = validity.exit_code();
        code = match (code, this) {
            (EXIT_REFUSED, _) | (_, EXIT_REFUSED) => EXIT_REFUSED,
            (EXIT_NOT_VERIFIED, _) | (_, EXIT_NOT_VERIFIED) => EXIT_NOT_VERIFIED,
            _ => EXIT_OK,
        };
        if !as_json {
            let line = match &validation {
                Ok(()) => "valid: OpenAI can use the key now".to_string(),
                Err(err) if this == EXIT_REFUSED => {
                    explained.push((id.clone(), err.to_string()));
                    format!(
                        "invalid: {}",
                        crate::secrets::one_line(&err.to_string(), 300)
                    )
                }
                Err(err) => format!(
                    "could not ask: {}",
                    crate::secrets::one_line(&err.to_string(), 300)
                ),
            };
            println!("{id}: {line}");
        }
        results.push(Validated {
            id: id.clone(),
            result: validation_json(&validation),
        });
    }
    if as_json {
        print_json(&json!(ValidateReport {
            schema_version: SCHEMA_VERSION,
            results,
        }));
    } else {
        for (id, error) in explained {
            if crate::explain::explain(&error).is_some() {
                println!(
                    "\n{id}:\n{}",
                    crate::secrets::visible(&explain_failure(&error))
                );
            }
        }
    }
    code
}

/// Asks a question in the terminal; only the word `yes` (in any case) is a yes.
fn ask_word_yes(question: &str) -> bool {
    use std::io::Write;
    eprint!("{question}\nType yes to go on: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    answer.trim().eq_ignore_ascii_case("yes")
}

/// `ekm-wizard keys delete ID [--yes] [--json]`.
fn delete(id: &str, yes: bool, api: &ApiArgs, as_json: bool) -> u8 {
    if let Err(code) = checked_arg(id) {
        return code;
    }
    let (client, runtime) = match session(api) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let report = |outcome: &'static str, key: Option<&ExternalKey>, error: Option<String>| {
        if as_json {
            print_json(&json!(DeleteReport {
                schema_version: SCHEMA_VERSION,
                id,
                outcome,
                deleted: outcome == "deleted",
                key,
                explanation: error.as_deref().and_then(explanation_of),
                error,
            }));
        }
    };
    let key = match runtime.block_on(keys::retrieve(&client, id)) {
        Ok(Some(key)) => key,
        Ok(None) => {
            let said = lifecycle::no_such_key(id);
            eprintln!("error: {said}");
            report("not-found", None, Some(said));
            return EXIT_REFUSED;
        }
        Err(err) => {
            let code = refused(&err.to_string(), false);
            let outcome = if code == EXIT_NOT_VERIFIED {
                "not-verified"
            } else {
                "failed"
            };
            report(outcome, None, Some(err.to_string()));
            return code;
        }
    };
    if let Some(refusal) = Refusal::of(&key) {
        let said = refusal.words(id);
        eprintln!("error: {said}");
        eprintln!("Nothing was deleted.");
        report("refused", Some(&key), Some(said));
        return EXIT_REFUSED;
    }
    let what = format!(
        "{id} \"{}\" ({}: {})",
        crate::secrets::outside_id(&key.name, 80),
        key.cloud_words(),
        key.resource
            .as_deref()
            .map(|r| crate::secrets::outside_id(r, 300))
            .unwrap_or_else(|| "no resource named".into())
    );
    if !yes {
        if !std::io::stdin().is_terminal() {
            return bad_input(&[format!(
                "standard input is not a terminal, so deleting {id} needs --yes"
            )]);
        }
        if !ask_word_yes(&format!(
            "Delete the registration of {what}? OpenAI forgets the key; the key itself stays in your KMS."
        )) {
            eprintln!("Nothing was deleted.");
            report("declined", Some(&key), Some("not confirmed".into()));
            return EXIT_REFUSED;
        }
    }
    match runtime.block_on(keys::delete(&client, &key)) {
        Ok(_) => {
            say(as_json, &format!("Deleted the registration of {what}."));
            report("deleted", Some(&key), None);
            EXIT_OK
        }
        Err(err) => {
            let code = refused(&err.to_string(), false);
            let outcome = if code == EXIT_NOT_VERIFIED {
                "not-verified"
            } else {
                "failed"
            };
            report(outcome, Some(&key), Some(err.to_string()));
            code
        }
    }
}

/// The state folder, or why progress cannot be kept (exit 1).
fn store() -> Result<SessionStore, u8> {
    SessionStore::default_location().ok_or_else(|| {
        eprintln!(
            "error: no folder to keep the progress in; set {}",
            crate::session::STATE_DIR_ENV
        );
        EXIT_REFUSED
    })
}

fn save(store: &SessionStore, name: &str, text: &str) {
    if let Err(err) = store.save_record(name, text) {
        eprintln!("warning: the progress could not be kept: {err}");
    }
}

/// The code of a failed step: 3 when OpenAI could not be reached, else 1.
fn step_failed(err: &ApiError, resume: &str) -> u8 {
    eprintln!(
        "error: {}",
        crate::secrets::visible(&explain_failure(&err.to_string()))
    );
    eprintln!("The steps done are kept; run `{resume}` again to go on from here.");
    if err.outcome_unknown() {
        EXIT_NOT_VERIFIED
    } else {
        EXIT_REFUSED
    }
}

/// `ekm-wizard keys retire ID [--yes] [--json]`.
fn retire(id: &str, yes: bool, api: &ApiArgs, as_json: bool) -> u8 {
    if let Err(code) = checked_arg(id) {
        return code;
    }
    let store = match store() {
        Ok(store) => store,
        Err(code) => return code,
    };
    let record = retire_record_name(id);
    let saved = store
        .load_record(&record)
        .and_then(|text| RetireProgress::parse(&text, id));
    if !yes && !std::io::stdin().is_terminal() {
        return bad_input(&[format!(
            "standard input is not a terminal, so retiring {id} needs --yes"
        )]);
    }
    let (client, runtime) = match session(api) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let report = |outcome: &'static str,
                  progress: Option<&RetireProgress>,
                  deleted: bool,
                  error: Option<String>| {
        if as_json {
            print_json(&json!(RetireReport {
                schema_version: SCHEMA_VERSION,
                id,
                outcome,
                archived_projects: progress
                    .map(|p| {
                        p.projects
                            .iter()
                            .filter(|p| p.archived)
                            .map(|p| p.id.clone())
                            .collect()
                    })
                    .unwrap_or_default(),
                deleted,
                explanation: error.as_deref().and_then(explanation_of),
                error,
            }));
        }
    };
    if saved.is_some() {
        eprintln!(
            "Resuming the retirement of {id} kept in {}.",
            store.record_file(&record).display()
        );
    }
    let plan = match runtime.block_on(lifecycle::plan_retire(&client, id, saved)) {
        Ok(plan) => plan,
        Err(err) => {
            let code = refused(&err.to_string(), false);
            let outcome = if code == EXIT_NOT_VERIFIED {
                "not-verified"
            } else {
                "stopped"
            };
            report(outcome, None, false, Some(err.to_string()));
            return code;
        }
    };
    let (key, mut progress) = match &plan {
        RetirePlan::AlreadyRetired { key_id } => {
            say(
                as_json,
                &format!("{key_id} is already retired: its registration is deleted."),
            );
            report("already-retired", None, true, None);
            return EXIT_OK;
        }
        RetirePlan::NoSuchKey { key_id } => {
            let said = lifecycle::no_such_key(key_id);
            eprintln!("error: {said}");
            report("not-found", None, false, Some(said));
            return EXIT_REFUSED;
        }
        RetirePlan::Refused { why, .. } => {
            eprintln!("error: {why}");
            eprintln!("Nothing was archived or deleted.");
            report("refused", None, false, Some(why.clone()));
            return EXIT_REFUSED;
        }
        RetirePlan::Steps { key, progress } => (key.as_ref().clone(), progress.clone()),
    };
    for project in progress.projects.iter().filter(|p| p.archived) {
        say(
            as_json,
            &format!(
                "Project {} is already archived.",
                lifecycle::RetireStep::Archive {
                    id: project.id.clone(),
                    name: project.name.clone()
                }
                .words(id)
                .trim_start_matches("archive project ")
            ),
        );
    }
    let steps = plan.steps();
    if !yes {
        let question = plan.question().unwrap_or_default();
        if !ask_word_yes(&question) {
            eprintln!("Nothing was archived or deleted.");
            report(
                "declined",
                Some(&progress),
                false,
                Some("not confirmed".into()),
            );
            return EXIT_REFUSED;
        }
    }
    progress.confirmed = true;
    save(&store, &record, &progress.to_json());
    for step in &steps {
        eprintln!("{} …", capitalized(&step.words(id)));
        let done = runtime.block_on(lifecycle::perform_retire_step(
            &client,
            &key,
            &mut progress,
            step,
        ));
        save(&store, &record, &progress.to_json());
        if let Err(err) = done {
            let code = step_failed(&err, &format!("ekm-wizard keys retire {id}"));
            let outcome = if code == EXIT_NOT_VERIFIED {
                "not-verified"
            } else {
                "stopped"
            };
            report(
                outcome,
                Some(&progress),
                progress.deleted,
                Some(err.to_string()),
            );
            return code;
        }
        say(as_json, &format!("Done: {}.", step.words(id)));
    }
    let archived = progress.projects.len();
    say(
        as_json,
        &format!(
            "Retired {id}: {archived} project{} archived, and its registration deleted.",
            if archived == 1 { "" } else { "s" }
        ),
    );
    report("retired", Some(&progress), true, None);
    EXIT_OK
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `ekm-wizard replace <cloud> --config NEW.json --from extkey_OLD [--project-name NAME] [--yes]`:
/// the old key read, the new setup checked, the new key registered and its project created,
/// then what the admin does by hand and the command that retires the old key.
pub fn replace(
    values: &ReadValues,
    api: &ApiArgs,
    from: Option<&str>,
    project_name: Option<&str>,
    yes: bool,
) -> u8 {
    let Some(from) = from else {
        return bad_input(&["--from: name the key being replaced (extkey_…)".into()]);
    };
    if let Err(code) = checked_arg(from) {
        return code;
    }
    let cloud = values.values.cloud();
    let store = match store() {
        Ok(store) => store,
        Err(code) => return code,
    };
    let record = lifecycle::replace_record_name(from);
    let mut progress = store
        .load_record(&record)
        .and_then(|text| ReplaceProgress::parse(&text, from, cloud.key()))
        .unwrap_or_else(|| ReplaceProgress::new(from, cloud.key()));
    let request = match super::registration_request(&values.values, project_name) {
        Ok(request) => request,
        Err(code) => return code,
    };
    if !yes && !std::io::stdin().is_terminal() {
        return bad_input(&["standard input is not a terminal, so replacing needs --yes".into()]);
    }
    let (client, runtime) = match session(api) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // 1. The old key: it must be there, and an EKM key.
    let old = match runtime.block_on(lifecycle::old_key(&client, from)) {
        Ok(old) => old,
        Err(why) => {
            eprintln!("error: {}", crate::secrets::visible(&why));
            return if crate::net::is_unreachable(&why) {
                EXIT_NOT_VERIFIED
            } else {
                EXIT_REFUSED
            };
        }
    };
    println!("Replacing:");
    for line in key_lines(&old, &[]) {
        println!("  {line}");
    }
    // 2. The new setup, checked as `check` does.
    if !(progress.checked && progress.checked_body.as_ref() == Some(&request.body)) {
        let code = super::check(
            &values.values,
            &super::CheckRequest {
                timeout: api.timeout.max(1),
                profile: values.profile.clone(),
                actions: Vec::new(),
            },
        );
        if code != EXIT_OK {
            eprintln!(
                "The new key's setup is not verified, so nothing was registered; fix it (`ekm-wizard check {}` shows the same checks), then run replace again.",
                cloud.key()
            );
            return code;
        }
        progress.checked = true;
        progress.checked_body = Some(request.body.clone());
        progress.updated_at = crate::clock::now_unix();
        save(&store, &record, &progress.to_json());
    } else {
        println!("The new setup's checks passed in an earlier run.");
    }
    // 3. The new key and its project, as `register` makes them.
    let plan = match runtime.block_on(register::plan(&client, &request.body)) {
        Ok(plan) => plan,
        Err(err) => return refused(&err.to_string(), false),
    };
    let existing = plan.existing.clone();
    if existing.as_ref().and_then(|k| k["id"].as_str()) == Some(from) {
        eprintln!(
            "error: the new config describes the key being replaced ({from}); a replacement is a new key"
        );
        return EXIT_BAD_INPUT;
    }
    let project_name = request.project_name.clone();
    let question = match existing.as_ref().and_then(|k| k["id"].as_str()) {
        Some(id) => format!(
            "A key with the new settings is already registered ({}). Use it for the new project \"{project_name}\"?",
            crate::secrets::outside_id(id, 80)
        ),
        None => format!(
            "Register the new key with OpenAI and create project \"{project_name}\" for it?"
        ),
    };
    if !yes && !super::ask_yes(&question) {
        eprintln!("Nothing was registered.");
        return EXIT_REFUSED;
    }
    let registration = match runtime.block_on(register::register(
        &client,
        &request.body,
        existing,
        Some(&project_name),
    )) {
        Ok(registration) => registration,
        Err(err) => {
            save(&store, &record, &progress.to_json());
            return refused(&err.to_string(), false);
        }
    };
    progress.new_key_id = registration.key_id().map(str::to_string);
    progress.project_name = Some(project_name.clone());
    progress.new_project_id = registration.project_id().map(str::to_string);
    progress.updated_at = crate::clock::now_unix();
    save(&store, &record, &progress.to_json());
    println!(
        "New key: {}",
        progress
            .new_key_id
            .as_deref()
            .unwrap_or("(no id in the answer)")
    );
    println!(
        "New project \"{}\": {}",
        crate::secrets::outside_id(&project_name, 80),
        progress
            .new_project_id
            .as_deref()
            .unwrap_or("(no id of the form proj_… in the answer)")
    );
    match &registration.validation {
        Ok(()) => println!("Validation: success: OpenAI can use the new key."),
        Err(err) => {
            println!(
                "Validation failed: {}",
                crate::secrets::visible(&explain_failure(&err.to_string()))
            );
            return super::validation_exit(&registration.validation);
        }
    }
    println!("\n{}", progress.handover());
    EXIT_OK
}
