//! Performing the wizard's effects: each `Effect` that `update` returns is carried out here
//! (a file written, a clipboard filled, a task started for the network), and what comes of it
//! returns as `Msg`s, at once or later through the results channel. Every front end of the
//! wizard (the full-screen runtime, the plain line-by-line one) performs effects through this.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;

use super::effect::{Effect, KeyRef};
use super::msg::{Msg, Registered};
use crate::clipboard::{self, Clipboard};
use crate::openai::{AdminKey, ApiBase, Client, register};
use crate::session::SessionStore;

/// Performs effects; each result is another message. Network work runs as tasks whose
/// results come back through `results`.
pub(crate) struct Effects {
    pub(crate) store: Option<SessionStore>,
    pub(crate) clipboard: Clipboard,
    pub(crate) files_dir: PathBuf,
    pub(crate) results: mpsc::UnboundedSender<Msg>,
    /// The checks run under way, stopped when a new one starts.
    pub(crate) checks: Option<tokio::task::JoinHandle<()>>,
    /// `--profile`: the named credentials profile the checks use, where the cloud has them.
    pub(crate) profile: Option<String>,
    /// The progress file, when the last save of this run succeeded.
    pub(crate) saved_to: Option<PathBuf>,
    /// The drill under way: how to stop it (the key is switched on at once)…
    pub(crate) drill_stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// …and its task, waited for before the wizard exits.
    pub(crate) drill_task: Option<tokio::task::JoinHandle<()>>,
}

impl Effects {
    /// Before the wizard exits: a drill under way is stopped and waited for, so the key is
    /// switched on again before the process ends.
    pub(crate) async fn finish_drill(&mut self) {
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
            Effect::ListKeys {
                generation,
                base,
                key,
            } => {
                let outcome = match client(base, key) {
                    Ok(client) => crate::openai::keys::list_ekm(&client)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(err) => Err(err),
                };
                Msg::KeysListed {
                    generation,
                    outcome,
                }
            }
            Effect::ValidateListedKey {
                generation,
                base,
                key,
                key_id,
            } => {
                use crate::openai::validity::Validity;
                let outcome = match client(base, key) {
                    Ok(client) => {
                        let validation = register::validate(&client, &key_id).await;
                        let validity = Validity::of(&validation);
                        validation.map_err(|e| (validity, e.to_string()))
                    }
                    Err(err) => Err((Validity::NotAsked, err)),
                };
                Msg::KeyValidated {
                    generation,
                    id: key_id,
                    outcome,
                }
            }
            Effect::DeleteListedKey {
                generation,
                base,
                key,
                key_id,
            } => {
                let outcome = match client(base, key) {
                    Ok(client) => delete_listed_key(&client, &key_id).await,
                    Err(err) => Err(err),
                };
                Msg::KeyDeleted {
                    generation,
                    id: key_id,
                    outcome,
                }
            }
            _ => return,
        };
        let _ = results.send(msg);
    });
}

/// Deletes a key of the keys view: read again first, so a key a project took up since the
/// list was read is refused here (naming it) without a delete being sent.
async fn delete_listed_key(client: &Client, key_id: &str) -> Result<(), String> {
    use crate::openai::keys;
    match keys::retrieve(client, key_id).await {
        Ok(None) => Err(crate::openai::lifecycle::no_such_key(key_id)),
        Ok(Some(key)) => match keys::Refusal::of(&key) {
            Some(refusal) => Err(refusal.words(key_id)),
            None => keys::delete(client, &key)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        },
        Err(err) => Err(err.to_string()),
    }
}

impl Effects {
    /// Performs one effect; `None` for `Exit`, else the messages it produced.
    pub(crate) fn perform(&mut self, effect: Effect) -> Option<Vec<Msg>> {
        Some(match effect {
            Effect::Exit => return None,
            // Only the full-screen runtime asks for it, and it shows the text before effects
            // reach here; a front end without a screen of its own prints blocks whole anyway.
            Effect::ShowExactText { .. } => Vec::new(),
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
            | Effect::Validate { .. }
            | Effect::ListKeys { .. }
            | Effect::ValidateListedKey { .. }
            | Effect::DeleteListedKey { .. }) => {
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
