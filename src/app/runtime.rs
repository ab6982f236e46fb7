//! The runtime: owns the terminal, turns terminal events and signals into messages, runs
//! `update`, performs the effects it returns and draws once per batch. With nothing happening
//! it sleeps: no timer, no redraw loop.

use std::collections::VecDeque;
use std::io::{self, IsTerminal};
use std::path::PathBuf;

use crossterm::event::Event;
use tokio::sync::mpsc;

use std::time::Duration;

use super::effect::{Effect, KeyRef};
use super::msg::Registered;
use crate::openai::{AdminKey, ApiBase, Client, register};

/// How often the spinner turns while something runs.
const SPINNER_FRAME: Duration = Duration::from_millis(120);
use super::keymap::message_for_key;
use super::model::{Model, StartOptions};
use super::msg::Msg;
use super::preset::Preset;
use super::theme::Theme;
use super::{terminal, update, view};
use crate::clipboard::{self, Clipboard, ClipboardEnv};
use crate::exit::{EXIT_BAD_INPUT, EXIT_OK, EXIT_REFUSED};
use crate::session::SessionStore;

/// Starts the wizard in this terminal and returns the exit code.
pub fn start(args: Preset) -> u8 {
    // A base OpenAI would not be reached at safely is refused before the screen is taken, as
    // the headless commands refuse it.
    let api_base = match crate::openai::ApiBase::resolve(args.api_base.as_deref()) {
        Ok(base) => Some(Ok(base)),
        Err(err) => {
            eprintln!("error: {}", crate::secrets::redact(&err));
            return EXIT_BAD_INPUT;
        }
    };
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        eprintln!(
            "error: the wizard needs a terminal; for scripts use `ekm-wizard render <cloud> …` (see --help)"
        );
        return EXIT_BAD_INPUT;
    }
    let store = SessionStore::default_location();
    let fresh = args.fresh;
    let loaded = match (&store, fresh) {
        (Some(store), false) => Some(store.load()),
        _ => None,
    };
    let saving_disabled = store
        .is_none()
        .then(|| "no home or state directory was found".to_string());
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start: {err}");
            return EXIT_REFUSED;
        }
    };
    let mut terminal = match terminal::enter() {
        Ok(terminal) => terminal,
        Err(err) => {
            terminal::leave();
            eprintln!("error: cannot take over the terminal: {err}");
            return EXIT_REFUSED;
        }
    };
    let (width, height) = terminal
        .size()
        .map(|s| (s.width, s.height))
        .unwrap_or((80, 24));
    let profile = args.profile.clone();
    let model = Model::new(StartOptions {
        api_base,
        key_from_env: crate::openai::AdminKey::from_env().is_some(),
        redactor: crate::secrets::Redactor::from_env(),
        args,
        loaded,
        saving_disabled,
        width,
        height,
        theme: Theme::from_env(),
    });
    let files_dir = store
        .as_ref()
        .map(|s| s.dir().join("exports"))
        // Never a shared temporary folder: without a state folder, blocks go where you are.
        .unwrap_or_else(|| PathBuf::from("ekm-wizard-blocks"));
    let result = runtime.block_on(run(&mut terminal, model, store, files_dir, profile));
    terminal::leave();
    match result {
        Ok(farewell) => {
            for line in farewell.lines() {
                println!("{}", crate::secrets::visible(line));
            }
            EXIT_OK
        }
        Err(err) => {
            eprintln!("error: {err}");
            EXIT_REFUSED
        }
    }
}

/// Something that arrived while the wizard waited.
enum Incoming {
    Terminal(Event),
    Message(Msg),
}

/// Performs effects; each result is another message. Network work runs as tasks whose
/// results come back through `results`.
struct Effects {
    store: Option<SessionStore>,
    clipboard: Clipboard,
    files_dir: PathBuf,
    results: mpsc::UnboundedSender<Msg>,
    /// The checks run under way, stopped when a new one starts.
    checks: Option<tokio::task::JoinHandle<()>>,
    /// `--profile`: the named credentials profile the checks use, where the cloud has them.
    profile: Option<String>,
    /// The progress file, when the last save of this run succeeded.
    saved_to: Option<PathBuf>,
    /// The drill under way: how to stop it (the key is switched on at once)…
    drill_stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// …and its task, waited for before the wizard exits.
    drill_task: Option<tokio::task::JoinHandle<()>>,
}

impl Effects {
    /// Before the wizard exits: a drill under way is stopped and waited for, so the key is
    /// switched on again before the process ends.
    async fn finish_drill(&mut self) {
        if let Some(stop) = self.drill_stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.drill_task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(90), task).await;
        }
    }
}

/// How long each live check may take.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

/// How long each request to the Management API may take.
const API_TIMEOUT: Duration = Duration::from_secs(30);

fn resolve_key(key: KeyRef) -> Result<AdminKey, String> {
    match key {
        KeyRef::Typed(key) => Ok(key),
        KeyRef::Environment => {
            AdminKey::from_env().ok_or_else(|| "OPENAI_ADMIN_KEY is no longer set".to_string())
        }
    }
}

fn client(base: ApiBase, key: KeyRef) -> Result<Client, String> {
    Client::new(base, resolve_key(key)?, API_TIMEOUT).map_err(|e| e.to_string())
}

/// Runs the API effects: each in a task of its own, its result sent back as a message.
fn spawn_api_effect(effect: Effect, results: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let msg = match effect {
            Effect::PlanRegistration {
                generation,
                base,
                key,
                body,
            } => {
                let outcome = match client(base, key) {
                    Ok(client) => register::plan(&client, &body)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(err) => Err(err),
                };
                Msg::RegistrationPlanned {
                    generation,
                    outcome,
                }
            }
            Effect::Register {
                generation,
                base,
                key,
                body,
                existing,
                project_name,
            } => {
                let outcome = match client(base, key) {
                    Ok(client) => register::register(&client, &body, existing, Some(&project_name))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|r| {
                            Ok(Registered {
                                key_id: r
                                    .key_id()
                                    .ok_or("the registered key has no id")?
                                    .to_string(),
                                key_reused: r.key_reused,
                                project_id: r.project_id().map(str::to_string),
                                project_reused: r.project_reused,
                                validation: r.validation.map_err(|e| e.to_string()),
                            })
                        }),
                    Err(err) => Err(err),
                };
                Msg::RegistrationFinished {
                    generation,
                    outcome,
                }
            }
            Effect::Validate {
                generation,
                base,
                key,
                key_id,
            } => {
                let outcome = match client(base, key) {
                    Ok(client) => register::validate(&client, &key_id)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(err) => Err(err),
                };
                Msg::ValidationFinished {
                    generation,
                    outcome,
                }
            }
            _ => return,
        };
        let _ = results.send(msg);
    });
}

impl Effects {
    /// Performs one effect; `None` for `Exit`, else the messages it produced.
    fn perform(&mut self, effect: Effect) -> Option<Vec<Msg>> {
        Some(match effect {
            Effect::Exit => return None,
            Effect::RunChecks {
                generation,
                cloud,
                inputs,
                target,
            } => {
                if let Some(previous) = self.checks.take() {
                    previous.abort();
                }
                let results = self.results.clone();
                let profile = self.profile.clone();
                self.checks = Some(tokio::spawn(async move {
                    let options = crate::checks::CheckOptions {
                        profile,
                        timeout: CHECK_TIMEOUT,
                    };
                    let report = |result: &crate::checks::CheckResult| {
                        let _ = results.send(Msg::CheckReported {
                            generation,
                            result: result.clone(),
                        });
                    };
                    let outcome =
                        crate::checks::run(cloud, &inputs, target.0.as_ref(), &options, &report)
                            .await
                            .map(|_| ());
                    let _ = results.send(Msg::ChecksFinished {
                        generation,
                        outcome,
                    });
                }));
                Vec::new()
            }
            Effect::PerformAction { action, target } => {
                let results = self.results.clone();
                let profile = self.profile.clone();
                tokio::spawn(async move {
                    let options = crate::checks::CheckOptions {
                        profile,
                        timeout: CHECK_TIMEOUT,
                    };
                    let msg = Msg::ActionFinished(target.0.perform_action(action, &options).await);
                    let _ = results.send(msg);
                });
                Vec::new()
            }
            api @ (Effect::PlanRegistration { .. }
            | Effect::Register { .. }
            | Effect::Validate { .. }) => {
                spawn_api_effect(api, self.results.clone());
                Vec::new()
            }
            Effect::CopyToClipboard {
                what,
                text,
                file_name,
            } => {
                let outcome = self.clipboard.copy(&text, &file_name, &mut io::stdout());
                vec![Msg::CopyFinished { what, outcome }]
            }
            Effect::WriteToFile {
                what,
                text,
                file_name,
            } => vec![Msg::FileWritten {
                what,
                outcome: clipboard::write_file(&self.files_dir, &file_name, &text),
            }],
            Effect::RunDrill {
                base,
                key,
                key_id,
                cloud,
                inputs,
                target,
            } => {
                let Some(store) = self.store.clone() else {
                    return Some(vec![Msg::DrillFinished(Box::new(
                        crate::after_setup::drill::DrillRecord::refused(
                            cloud,
                            &key_id,
                            &inputs,
                            "a drill keeps its record in the state folder, and there is none here",
                        ),
                    ))]);
                };
                let results = self.results.clone();
                let profile = self.profile.clone();
                let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
                let task = tokio::spawn(async move {
                    use crate::after_setup::drill;
                    let record = drill::DrillRecord::new(cloud, &key_id, &inputs, profile.clone());
                    let done = match client(base, key) {
                        Err(err) => drill::DrillRecord::refused(cloud, &key_id, &inputs, &err),
                        Ok(client) => {
                            let options = crate::checks::CheckOptions {
                                profile,
                                timeout: CHECK_TIMEOUT,
                            };
                            let progress = results.clone();
                            let say = move |line: &str| {
                                let _ = progress.send(Msg::DrillProgress(line.to_string()));
                            };
                            drill::run_on_target(
                                target.0.as_ref(),
                                &options,
                                &client,
                                &store,
                                record,
                                &say,
                                |_| true,
                                async {
                                    let _ = stopped.await;
                                },
                                drill::Pace::default(),
                            )
                            .await
                        }
                    };
                    drill::file(&store, &done);
                    let _ = results.send(Msg::DrillFinished(Box::new(done)));
                });
                self.drill_stop = Some(stop);
                self.drill_task = Some(task);
                Vec::new()
            }
            Effect::PlanApply { cloud: _, applier } => {
                let results = self.results.clone();
                let profile = self.profile.clone();
                tokio::spawn(async move {
                    let log = crate::guide::apply::CallLog::default();
                    let planned = async {
                        let options = crate::checks::CheckOptions {
                            profile,
                            timeout: CHECK_TIMEOUT,
                        };
                        let session = applier
                            .0
                            .connect(&options, log.clone())
                            .await
                            .map_err(|e| e.0)?;
                        Ok(session.plan().await)
                    }
                    .await;
                    let _ = results.send(Msg::ApplyPlanned(planned, log.calls()));
                });
                Vec::new()
            }
            Effect::RunApply {
                cloud,
                applier,
                plan,
                allow_update,
            } => {
                let results = self.results.clone();
                let profile = self.profile.clone();
                let store = self.store.clone();
                tokio::spawn(async move {
                    let log = crate::guide::apply::CallLog::default();
                    let outputs = async {
                        let options = crate::checks::CheckOptions {
                            profile,
                            timeout: CHECK_TIMEOUT,
                        };
                        let session = applier
                            .0
                            .connect(&options, log.clone())
                            .await
                            .map_err(|e| e.0)?;
                        // A fresh read primes the session (what exists now); only what the
                        // admin saw and accepted is carried out.
                        let fresh: Vec<_> = session
                            .plan()
                            .await
                            .into_iter()
                            .filter(|p| plan.iter().any(|seen| seen.id == p.id))
                            .collect();
                        let progress = results.clone();
                        let calls = log.clone();
                        let say = move |done: &crate::apply::Done| {
                            let _ = progress
                                .send(Msg::ApplyProgress(Box::new(done.clone()), calls.calls()));
                        };
                        crate::apply::carry_out(session.as_ref(), &fresh, allow_update, &say).await;
                        Ok(session.outputs())
                    }
                    .await;
                    if let Some(store) = &store {
                        crate::apply::keep_calls(store, cloud.key(), &log.calls());
                    }
                    let _ = results.send(Msg::ApplyFinished(outputs, log.calls()));
                });
                Vec::new()
            }
            Effect::StopDrill => {
                // The task switches the key on and reports; it is still waited for at exit.
                if let Some(stop) = self.drill_stop.take() {
                    let _ = stop.send(());
                }
                Vec::new()
            }
            Effect::TickAfter { id, after } => {
                let results = self.results.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(after).await;
                    let _ = results.send(Msg::RecheckTick { id });
                });
                Vec::new()
            }
            Effect::WriteFiles {
                what,
                folder,
                files,
            } => {
                let dir = self.files_dir.join(folder);
                let outcome = files
                    .iter()
                    .try_for_each(|(name, text)| {
                        clipboard::write_file(&dir, name, text).map(|_| ())
                    })
                    .map(|()| dir);
                vec![Msg::FileWritten { what, outcome }]
            }
            Effect::ExportSupportBundle {
                session,
                recent_errors,
                checks,
            } => vec![Msg::FileWritten {
                what: "the support bundle".into(),
                outcome: clipboard::write_file(
                    &self.files_dir,
                    &format!("support-bundle-{}.md", session.cloud.key()),
                    &crate::bundle::support_bundle(
                        &session,
                        &recent_errors,
                        &checks,
                        &self
                            .store
                            .as_ref()
                            .map(crate::apply::last_calls)
                            .unwrap_or_default(),
                    ),
                ),
            }],
            Effect::SaveProgress(session) => match &self.store {
                Some(store) => {
                    let outcome = store.save(&session);
                    self.saved_to = outcome.is_ok().then(|| store.file());
                    vec![Msg::ProgressSaved(outcome)]
                }
                None => Vec::new(),
            },
        })
    }
}

async fn run(
    terminal: &mut ratatui::DefaultTerminal,
    mut model: Model,
    store: Option<SessionStore>,
    files_dir: PathBuf,
    profile: Option<String>,
) -> io::Result<String> {
    let mut events = spawn_terminal_reader();
    let mut stop = crate::stop::StopSignals::listen()?;
    let (results_sender, mut results) = mpsc::unbounded_channel();
    let mut effects = Effects {
        store,
        clipboard: Clipboard::new(ClipboardEnv::from_env(), files_dir.clone()),
        files_dir,
        results: results_sender,
        checks: None,
        profile,
        saved_to: None,
        drill_stop: None,
        drill_task: None,
    };
    let mut batch: VecDeque<Incoming> = VecDeque::new();
    loop {
        terminal.draw(|frame| view::draw(frame, &model))?;
        let first = tokio::select! {
            event = events.recv() => match event {
                Some(Ok(event)) => Incoming::Terminal(event),
                Some(Err(err)) => return Err(err),
                None => Incoming::Message(Msg::Quit),
            },
            Some(msg) = results.recv() => Incoming::Message(msg),
            _ = tokio::time::sleep(SPINNER_FRAME), if model.busy() => Incoming::Message(Msg::SpinnerTick),
            _ = stop.recv() => Incoming::Message(Msg::Quit),
        };
        batch.push_back(first);
        // Take the whole backlog before drawing again.
        while let Ok(event) = events.try_recv() {
            batch.push_back(Incoming::Terminal(event?));
        }
        while let Ok(msg) = results.try_recv() {
            batch.push_back(Incoming::Message(msg));
        }
        while let Some(incoming) = batch.pop_front() {
            let msg = match incoming {
                Incoming::Message(msg) => Some(msg),
                Incoming::Terminal(Event::Key(key)) => message_for_key(&model, key),
                Incoming::Terminal(Event::Paste(text)) => Some(Msg::PasteIntoField(text)),
                Incoming::Terminal(Event::Resize(width, height)) => {
                    // In a storm of resizes an event can describe a size already gone: ask
                    // the terminal for the size it has now.
                    let (width, height) = crossterm::terminal::size().unwrap_or((width, height));
                    Some(Msg::TerminalResized { width, height })
                }
                Incoming::Terminal(_) => None,
            };
            let Some(msg) = msg else { continue };
            for effect in update(&mut model, msg) {
                match effects.perform(effect) {
                    Some(results) => batch.extend(results.into_iter().map(Incoming::Message)),
                    None => {
                        effects.finish_drill().await;
                        return Ok(super::farewell::farewell(
                            &model,
                            effects.saved_to.as_deref(),
                        ));
                    }
                }
            }
        }
    }
}

/// Reads terminal events on a thread of its own, blocked in the kernel until input arrives,
/// and hands them to the event loop. The thread ends with the process.
fn spawn_terminal_reader() -> mpsc::UnboundedReceiver<io::Result<Event>> {
    let (sender, receiver) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        loop {
            let event = crossterm::event::read();
            let failed = event.is_err();
            if sender.send(event).is_err() || failed {
                break;
            }
        }
    });
    receiver
}
