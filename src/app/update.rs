//! The pure heart of the wizard: `update` applies a message to the model and returns the
//! effects to perform. No I/O happens here, so every transition is tested without a terminal.

use ratatui_textarea::{Input, Key};

use super::effect::KeyRef;
use super::effect::{Effect, TargetHandle};
use super::layout;
use super::model::{
    ActionOffer, ApplyPhase, AsCodePane, Choice, DrillOffer, ExplainPane, Focusable, Model, Saving,
    Screen, Status, StatusKind, StepState,
};
use super::msg::{Msg, Registered};
use super::registration::Phase;
use crate::artifacts;
use crate::clipboard::CopyRoute;
use crate::guide::{Cloud, FieldId, SetupPath};
use crate::openai::ApiBase;

/// Applies one message; returns what the runtime should do next.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let msg = hide_secrets(msg, &model.redactor);
    let effects = match msg {
        Msg::NextStep => next_step(model),
        Msg::PreviousStep => previous_step(model),
        Msg::FocusNext => move_focus(model, 1),
        Msg::FocusPrevious => move_focus(model, -1),
        Msg::Confirm => confirm(model),
        Msg::EditField(input) => edit_field(model, input),
        Msg::PasteIntoField(text) => paste(model, &text),
        Msg::ChoosePrevious => choose(model, -1),
        Msg::ChooseNext => choose(model, 1),
        Msg::ScrollContent(lines) if model.help_open => {
            let most = layout::help_scroll_limit(model.width, model.height);
            model.help_scroll =
                (i64::from(model.help_scroll) + i64::from(lines)).clamp(0, i64::from(most)) as u16;
            Vec::new()
        }
        Msg::ScrollContent(lines) => {
            if let Some(pane) = model.explain.as_mut() {
                pane.scroll = (i64::from(pane.scroll) + i64::from(lines)).clamp(0, 500) as u16;
            } else if model.as_code.is_some() {
                let most = layout::code_scroll_limit(model) as i64;
                if let Some(pane) = model.as_code.as_mut() {
                    pane.scroll = (pane.scroll as i64 + i64::from(lines)).clamp(0, most) as usize;
                }
            } else if model.apply.is_some() {
                let most = layout::apply_scroll_limit(model) as i64;
                if let Some(pane) = model.apply.as_mut() {
                    pane.scroll = (pane.scroll as i64 + i64::from(lines)).clamp(0, most) as usize;
                }
            } else {
                scroll_by(model, lines);
            }
            Vec::new()
        }
        Msg::CopyFocusedBlock => block_effect(model, false),
        Msg::WriteFocusedBlockToFile => block_effect(model, true),
        Msg::OpenAsCode => open_as_code(model),
        Msg::ShowCodeFile(step) => {
            let count = model.code_files().len();
            if let Some(pane) = model.as_code.as_mut()
                && count > 0
            {
                pane.file = (pane.file as i64 + i64::from(step)).rem_euclid(count as i64) as usize;
                pane.scroll = 0;
            }
            Vec::new()
        }
        Msg::CopyCodeFile => code_effect(model, false),
        Msg::WriteCodeFiles => code_effect(model, true),
        Msg::ToggleHelp => {
            model.help_open = !model.help_open;
            model.help_scroll = 0;
            Vec::new()
        }
        Msg::CloseOverlay => {
            if model.help_open {
                model.help_open = false;
            } else if model.explain.is_some() {
                close_explain(model);
            } else if model.as_code.is_some() {
                model.as_code = None;
            } else if model
                .apply
                .as_ref()
                .is_some_and(|a| a.phase != ApplyPhase::Applying)
            {
                model.apply = None;
            } else if model.drill == DrillOffer::Running {
                model.status = Some(status(
                    StatusKind::Info,
                    "Stopping the drill: switching the key on again…".into(),
                ));
                return vec![Effect::StopDrill];
            } else if model.recheck.take().is_some() {
                model.recheck_declined = true;
                model.status = Some(status(
                    StatusKind::Info,
                    "Stopped checking again on its own; k checks when you are ready.".into(),
                ));
            }
            Vec::new()
        }
        Msg::ResumeSavedProgress => resume(model),
        Msg::StartOver => {
            // Nothing saved is lost without a yes: ask, saying what would go.
            model.discard_asked = true;
            model.status = Some(status(
                StatusKind::Info,
                format!(
                    "Start over and discard the saved progress ({}) at the next save? y discards it, any other key keeps it.",
                    model.what_discarding_loses()
                ),
            ));
            Vec::new()
        }
        Msg::TerminalResized { width, height } => {
            model.width = width;
            model.height = height;
            keep_focus_in_view(model);
            Vec::new()
        }
        Msg::CopyFinished { what, outcome } => {
            model.status = Some(match outcome {
                Ok(route @ CopyRoute::File(_)) => {
                    status(StatusKind::Info, format!("Wrote {what} {route}"))
                }
                // No terminal confirms an OSC 52 copy, and a multiplexer may drop it: say so.
                Ok(CopyRoute::Terminal { through }) => status(
                    StatusKind::Info,
                    format!(
                        "Sent {what} to your terminal's clipboard (OSC 52{}); it cannot confirm it arrived: if pasting gives nothing, press w to write it to a file.",
                        through
                            .map(|t| format!(", through {t}, which passes it on only if set up to"))
                            .unwrap_or_default()
                    ),
                ),
                Ok(route) => status(StatusKind::Success, format!("Copied {what} {route}")),
                Err(err) => status(StatusKind::Error, format!("Could not copy {what}: {err}")),
            });
            remember_status_error(model);
            Vec::new()
        }
        Msg::FileWritten { what, outcome } => {
            model.status = Some(match outcome {
                Ok(path) => status(
                    StatusKind::Success,
                    format!("Wrote {what} to {}", crate::clipboard::shown(&path)),
                ),
                Err(err) => status(StatusKind::Error, format!("Could not write {what}: {err}")),
            });
            remember_status_error(model);
            Vec::new()
        }
        Msg::ProgressSaved(result) => {
            match result {
                Ok(()) => {}
                Err(err) => {
                    if model.saving == Saving::Enabled {
                        model.status = Some(status(
                            StatusKind::Error,
                            format!("Progress will not be saved: {err}"),
                        ));
                    }
                    model.saving = Saving::Disabled(err);
                }
            }
            Vec::new()
        }
        Msg::OpenExplainScreen => {
            if model.screen != Screen::ResumeOffer {
                // It opens on the last thing that went wrong, if anything did.
                let mut pane = match model.recent_errors.last() {
                    Some(last) => ExplainPane::holding(last),
                    None => ExplainPane::new(),
                };
                pane.editor.set_placeholder_style(model.theme.dim());
                model.explain = Some(pane);
                model.help_open = false;
            }
            Vec::new()
        }
        Msg::GoToExplainedStep => go_to_explained_step(model),
        Msg::ExportSupportBundle => vec![Effect::ExportSupportBundle {
            session: model.session(),
            recent_errors: model.recent_errors.clone(),
            checks: model.checks.results.clone(),
        }],
        Msg::StartRegistration => start_registration(model),
        Msg::ValidateRegisteredKey => validate_registered_key(model),
        Msg::RegistrationPlanned {
            generation,
            outcome,
        } => {
            if generation == model.registration.generation {
                registration_planned(model, outcome);
            }
            Vec::new()
        }
        Msg::RegistrationFinished {
            generation,
            outcome,
        } => {
            if generation == model.registration.generation {
                return registration_finished(model, outcome);
            }
            Vec::new()
        }
        Msg::ValidationFinished {
            generation,
            outcome,
        } => {
            if generation == model.registration.generation {
                validation_finished(model, outcome);
            }
            Vec::new()
        }
        Msg::RunChecks => {
            // Checking by hand replaces any countdown.
            model.recheck = None;
            model.recheck_declined = false;
            run_checks(model)
        }
        Msg::RecheckTick { id } => recheck_tick(model, id),
        Msg::ReadStep(delta) => read_step(model, delta),
        Msg::CopyValue(number) => copy_value(model, number),
        Msg::OfferAction => offer_action(model),
        Msg::ConfirmAction if model.discard_asked => {
            model.discard_asked = false;
            model.resume = None;
            go_to(model, Screen::Start);
            model.status = Some(status(
                StatusKind::Info,
                "Starting over: the saved progress is replaced at the next save.".into(),
            ));
            // Start flags held over the saved progress take effect now.
            if let Some(args) = model.held_flags.take() {
                model.apply_preset(&args);
                if let Screen::Step(index) = model.screen {
                    model.screen = Screen::Start;
                    go_to(model, Screen::Step(index));
                    model.status = Some(status(
                        StatusKind::Info,
                        "Starting over with the values you gave: the saved progress is replaced at the next save.".into(),
                    ));
                }
            }
            Vec::new()
        }
        Msg::DeclineAction if model.discard_asked => {
            model.discard_asked = false;
            model.status = Some(status(
                StatusKind::Info,
                "Kept: the saved progress is as it was.".into(),
            ));
            Vec::new()
        }
        Msg::ConfirmAction if model.drill == DrillOffer::Asking => start_drill(model),
        Msg::DeclineAction if model.drill == DrillOffer::Asking => {
            model.drill = DrillOffer::Idle;
            model.status = Some(status(
                StatusKind::Info,
                "No drill: nothing was changed.".into(),
            ));
            Vec::new()
        }
        Msg::OfferDrill => offer_drill(model),
        Msg::OpenApply => open_apply(model),
        Msg::ApplyPlanned(planned, calls) => {
            if let Some(pane) = model.apply.as_mut()
                && pane.phase == ApplyPhase::Planning
            {
                pane.calls = calls;
                match planned {
                    Ok(plan) => {
                        let plan: Vec<_> = plan
                            .into_iter()
                            .filter(|p| pane.step.is_none_or(|step| p.step == step))
                            .collect();
                        pane.outcome = crate::apply::readiness(&plan).headline();
                        pane.plan = plan;
                        pane.phase = ApplyPhase::Planned;
                    }
                    Err(why) => {
                        pane.outcome = Some(format!("The plan could not be read: {why}"));
                        pane.phase = ApplyPhase::Finished;
                    }
                }
            }
            Vec::new()
        }
        Msg::ToggleAllowUpdate => {
            if let Some(pane) = model.apply.as_mut()
                && pane.phase == ApplyPhase::Planned
            {
                pane.allow_update = !pane.allow_update;
            }
            Vec::new()
        }
        Msg::ConfirmApply => confirm_apply(model),
        Msg::ApplyProgress(done, calls) => {
            if let Some(pane) = model.apply.as_mut() {
                pane.done.push(*done);
                pane.calls = calls;
            }
            Vec::new()
        }
        Msg::ApplyFinished(outputs, calls) => apply_finished(model, outputs, calls),
        Msg::DrillProgress(line) => {
            if model.drill == DrillOffer::Running {
                model.status = Some(status(StatusKind::Info, format!("Drill: {line}")));
            }
            Vec::new()
        }
        Msg::DrillFinished(record) => {
            use crate::after_setup::drill::DrillEnd;
            model.drill = DrillOffer::Idle;
            let message = record.message.clone().unwrap_or_default();
            let proved = record.end == Some(DrillEnd::Proved);
            model.status = Some(status(
                if proved {
                    StatusKind::Success
                } else {
                    StatusKind::Error
                },
                format!("Drill: {message}"),
            ));
            if !proved {
                model.remember_error(&message);
            }
            Vec::new()
        }
        Msg::ConfirmAction => perform_action(model),
        Msg::DeclineAction => {
            let declined = match model.action {
                ActionOffer::Asking(id) => model.action_spec(id).map(|a| a.declined),
                _ => None,
            };
            model.action = ActionOffer::Idle;
            model.status = Some(status(
                StatusKind::Info,
                declined.unwrap_or("Nothing was done.").into(),
            ));
            Vec::new()
        }
        Msg::ActionFinished(outcome) => {
            use crate::checks::ActionOutcome;
            model.action = ActionOffer::Idle;
            model.status = Some(match outcome {
                ActionOutcome::Done { message, .. } => status(
                    StatusKind::Success,
                    format!("{message} Press k to check again."),
                ),
                ActionOutcome::Refused(why) | ActionOutcome::CouldNotTry(why) => {
                    model.remember_error(&why);
                    status(StatusKind::Error, why)
                }
            });
            Vec::new()
        }
        Msg::GoToStepToFix => go_to_step_to_fix(model),
        Msg::CheckReported { generation, result } => {
            if generation == model.checks.generation {
                let results = &mut model.checks.results;
                match results.iter_mut().find(|r| r.id == result.id) {
                    Some(slot) => *slot = result,
                    None => results.push(result),
                }
            }
            Vec::new()
        }
        Msg::ChecksFinished {
            generation,
            outcome,
        } => {
            if generation == model.checks.generation {
                checks_finished(model, outcome);
                plan_recheck(model)
            } else {
                Vec::new()
            }
        }
        Msg::SpinnerTick => {
            model.spinner = model.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::Quit => {
            model.quitting = true;
            let mut effects = save(model);
            effects.push(Effect::Exit);
            effects
        }
    };
    model.focus = model.focus.min(model.focusables().len().saturating_sub(1));
    model.refresh_editor_styles();
    effects
}

fn status(kind: StatusKind, text: String) -> Status {
    Status { kind, text }
}

/// Saves progress, except on the resume offer, where nothing new exists to overwrite it with.
fn save(model: &Model) -> Vec<Effect> {
    if model.screen == Screen::ResumeOffer {
        return Vec::new();
    }
    vec![Effect::SaveProgress(model.session())]
}

fn go_to(model: &mut Model, screen: Screen) {
    model.screen = screen;
    model.focus = 0;
    model.focus_hidden = false;
    model.scroll = 0;
    model.show_empty_errors = false;
    if let Screen::Step(index) = screen {
        model.reached = model.reached.max(index);
    }
}

fn next_step(model: &mut Model) -> Vec<Effect> {
    match model.screen {
        Screen::ResumeOffer => Vec::new(),
        Screen::Start => {
            if let Some(err) = model.start_error() {
                let problem = format!("Before you begin, fix {}: {}", err.label(), err.problem);
                return refuse(model, problem, Some(err.field));
            }
            model.status = None;
            go_to(model, Screen::Step(0));
            save(model)
        }
        Screen::Step(index) => {
            let steps = model.guide().steps.len();
            if let Some(err) = model.step_problem(index) {
                let field = err.field;
                let problem = format!("Before moving on, fix {}: {}", err.label(), err.problem);
                return refuse(model, problem, Some(field));
            }
            if index + 1 >= steps {
                model.reached = steps;
                model.status = Some(status(
                    StatusKind::Info,
                    "This is the last step: copy what you need, or Ctrl-Q to save and quit.".into(),
                ));
                return save(model);
            }
            model.status = None;
            go_to(model, Screen::Step(index + 1));
            save(model)
        }
    }
}

/// Refuses to move on: says why, shows empty-field errors and focuses the field to fix.
fn refuse(model: &mut Model, problem: String, field: Option<FieldId>) -> Vec<Effect> {
    model.status = Some(status(StatusKind::Error, problem));
    model.show_empty_errors = true;
    if let Some(field) = field {
        focus_item(model, Focusable::Field(field));
    }
    Vec::new()
}

fn previous_step(model: &mut Model) -> Vec<Effect> {
    let target = match model.screen {
        Screen::ResumeOffer | Screen::Start => return Vec::new(),
        Screen::Step(0) => Screen::Start,
        Screen::Step(index) => Screen::Step(index - 1),
    };
    model.status = None;
    go_to(model, target);
    save(model)
}

/// `]` / `[`: any step of the path can be read at any time; going on (PgDn) still needs
/// the step's fields, and reading ahead moves nothing on.
fn read_step(model: &mut Model, delta: i8) -> Vec<Effect> {
    let steps = model.guide().steps.len();
    let now = match model.screen {
        Screen::Step(index) => index as isize + 1,
        _ => 0,
    };
    let target = (now + isize::from(delta)).clamp(0, steps as isize) as usize;
    let reached = model.reached;
    match target {
        0 => go_to(model, Screen::Start),
        n => go_to(model, Screen::Step(n - 1)),
    }
    model.reached = reached;
    // Reading, not typing: the focus goes to the first block in view, or nowhere (keys are
    // commands, Tab brings it back), so ] and [ keep reading.
    let area = layout::content_area(model);
    let content = layout::content(model, area.width);
    let height = usize::from(area.height);
    match model.focusables().iter().position(|item| {
        !matches!(item, Focusable::Field(_))
            && content
                .anchor(*item)
                .is_some_and(|anchor| anchor.lines.start < height)
    }) {
        Some(index) => {
            model.focus = index;
            model.focus_hidden = false;
        }
        None => model.focus_hidden = true,
    }
    let first_unfinished = (0..steps).find(|i| model.step_state(*i) != StepState::Done);
    model.status = match (target, first_unfinished) {
        (n, Some(open)) if n > open + 1 => Some(status(
            StatusKind::Info,
            format!(
                "Reading ahead: step {} is not finished yet (PgUp goes back; PgDn goes on only from a finished step).",
                open + 1
            ),
        )),
        _ => None,
    };
    Vec::new()
}

fn focus_item(model: &mut Model, item: Focusable) {
    if let Some(position) = model.focusables().iter().position(|i| *i == item) {
        model.focus = position;
        keep_focus_in_view(model);
    }
}

fn move_focus(model: &mut Model, delta: isize) -> Vec<Effect> {
    let count = model.focusables().len();
    if count == 0 {
        return Vec::new();
    }
    let current = model.focus.min(count - 1) as isize;
    model.focus = (current + delta).rem_euclid(count as isize) as usize;
    keep_focus_in_view(model);
    Vec::new()
}

fn confirm(model: &mut Model) -> Vec<Effect> {
    match model.focused() {
        Some(Focusable::Begin) => next_step(model),
        Some(Focusable::Block(_)) => block_effect(model, false),
        Some(Focusable::Register) => start_registration(model),
        Some(Focusable::Validate) => validate_registered_key(model),
        Some(_) => {
            // The last item of a step moves on; any other moves to the next item.
            let last = model.focus + 1 >= model.focusables().len();
            if last && matches!(model.screen, Screen::Step(_)) {
                next_step(model)
            } else {
                move_focus(model, 1)
            }
        }
        None => match model.screen {
            Screen::ResumeOffer => resume(model),
            _ => next_step(model),
        },
    }
}

/// Keeps a field to one line: Enter never reaches it, and a stray newline is folded away.
fn edit_field(model: &mut Model, input: Input) -> Vec<Effect> {
    if let Some(pane) = model.explain.as_mut() {
        pane.holds_last_error = false;
        pane.editor.input(input);
        return Vec::new();
    }
    if model.focused() == Some(Focusable::AdminKey) {
        let secret = &mut model.registration.typed_key;
        match input.key {
            Key::Char('u') if input.ctrl => secret.clear(),
            Key::Char(c) if !input.ctrl && !input.alt => secret.push(c),
            Key::Backspace => secret.pop(),
            _ => {}
        }
        return Vec::new();
    }
    let Some(field) = model.focused_field() else {
        return Vec::new();
    };
    if matches!(input.key, Key::Enter) || (input.ctrl && matches!(input.key, Key::Char('m' | 'j')))
    {
        return Vec::new();
    }
    let field_width = usize::from(
        layout::content_area(model)
            .width
            .saturating_sub(layout::EDITOR_INDENT),
    );
    if let Some(editor) = model.editors.get_mut(&field) {
        editor.input(input);
        if editor.lines().len() > 1 {
            let joined = editor.lines().join(" ");
            model.set_field(field, &joined);
        } else if editor.scroll_offset().1 > 0
            && editor.lines().first().is_some_and(|line| {
                unicode_width::UnicodeWidthStr::width(line.as_str()) < field_width
            })
        {
            // The whole value fits again (after a long backspace, say): show it from its
            // start, never a blank field that still holds text to its left. The cursor
            // stays where it was.
            let ratatui_textarea::DataCursor(row, col) = editor.cursor();
            editor.scroll((0, -30_000));
            editor.move_cursor(ratatui_textarea::CursorMove::Jump(
                u16::try_from(row).unwrap_or(0),
                u16::try_from(col).unwrap_or(u16::MAX),
            ));
        }
    }
    if model.redactor.looks_secret(model.field_text(field)) {
        // A key typed out by hand: gone from the screen (and the editor's undo) at once.
        model.set_field(field, "");
        model.status = Some(status(
            StatusKind::Error,
            format!(
                "{}: what was typed looks like a secret (a key or a token), so the field was cleared; it is never shown or saved. Type the value this field asks for.",
                model.cloud.label(field)
            ),
        ));
        return Vec::new();
    }
    say_cleaning(model, field, false);
    Vec::new()
}

/// Why a paste into a field is not taken, if it is not: a secret, a paste longer than any
/// value, or characters that would act on the terminal. The paste is never echoed.
fn refused_paste(redactor: &crate::secrets::Redactor, text: &str) -> Option<String> {
    let length = text.chars().count();
    if length > crate::guide::MAX_FIELD_LENGTH {
        return Some(format!(
            "is {length} characters long; no value of this field is longer than {}",
            crate::guide::MAX_FIELD_LENGTH
        ));
    }
    if redactor.looks_secret(text) {
        return Some("looks like a secret (a key or a token)".into());
    }
    if text.chars().any(char::is_control) {
        return Some("holds control characters (terminal escapes)".into());
    }
    None
}

/// After a field changed, the status line says how its value is cleaned (spaces removed, the
/// id taken from a full name) or why a full name is refused (it names another field
/// differently); nothing when the value is kept as typed. After a paste that is accepted, the
/// empty fields its full name names are filled in, and said; typing fills nothing (an empty
/// field still takes what the full name gives, as its hint shows), so a name half typed never
/// fills a field.
fn say_cleaning(model: &mut Model, field: FieldId, fill: bool) {
    let mut inputs = model.inputs();
    let filled: Vec<(FieldId, String)> = if fill && inputs.validated(field).is_ok() {
        inputs
            .fill_implied()
            .into_iter()
            .filter(|(_, _, source)| *source == field)
            .map(|(other, value, _)| (other, value))
            .collect()
    } else {
        Vec::new()
    };
    for (other, value) in &filled {
        model.set_field(*other, value);
    }
    let raw = inputs.raw(field).to_string();
    let label = model.cloud.label(field);
    model.status = match inputs.validated(field) {
        Err(refused) if refused.conflict.is_some() => {
            Some(status(StatusKind::Error, refused.to_string()))
        }
        Err(_) => None,
        Ok(recorded) => {
            let mut said: Vec<String> = crate::guide::validate::what_cleaning_did(&raw, &recorded)
                .map(|did| format!("{label}: {did}"))
                .into_iter()
                .collect();
            if !filled.is_empty() {
                let names: Vec<String> = filled
                    .iter()
                    .map(|(other, value)| format!("{} ({value})", model.cloud.label(*other)))
                    .collect();
                said.push(format!("filled in from it: {}", names.join(", ")));
            }
            (!said.is_empty()).then(|| status(StatusKind::Info, said.join("; ")))
        }
    };
}

/// Every text a task brings back from outside passes the run's redactor before the model
/// keeps it: a server echoing a key typed into the wizard shows `[redacted]`.
fn hide_secrets(msg: Msg, redactor: &crate::secrets::Redactor) -> Msg {
    let hide = |text: String| redactor.redact(&text);
    match msg {
        Msg::RegistrationPlanned {
            generation,
            outcome,
        } => Msg::RegistrationPlanned {
            generation,
            outcome: outcome.map_err(hide),
        },
        Msg::RegistrationFinished {
            generation,
            outcome,
        } => Msg::RegistrationFinished {
            generation,
            outcome: outcome
                .map(|mut registered| {
                    registered.validation = registered.validation.map_err(hide);
                    registered
                })
                .map_err(hide),
        },
        Msg::ValidationFinished {
            generation,
            outcome,
        } => Msg::ValidationFinished {
            generation,
            outcome: outcome.map_err(hide),
        },
        Msg::CheckReported {
            generation,
            mut result,
        } => {
            result.detail = hide(result.detail);
            Msg::CheckReported { generation, result }
        }
        Msg::ChecksFinished {
            generation,
            outcome,
        } => Msg::ChecksFinished {
            generation,
            outcome: outcome.map_err(|cannot| crate::checks::CannotCheck(hide(cannot.0))),
        },
        Msg::ActionFinished(outcome) => {
            use crate::checks::ActionOutcome;
            Msg::ActionFinished(match outcome {
                ActionOutcome::Done { outcome, message } => ActionOutcome::Done {
                    outcome,
                    message: hide(message),
                },
                ActionOutcome::Refused(why) => ActionOutcome::Refused(hide(why)),
                ActionOutcome::CouldNotTry(why) => ActionOutcome::CouldNotTry(hide(why)),
            })
        }
        other => other,
    }
}

fn paste(model: &mut Model, text: &str) -> Vec<Effect> {
    if let Some(pane) = model.explain.as_mut() {
        // What is pasted here may carry tokens: they never reach the screen.
        let clean = model
            .redactor
            .redact(&text.replace("\r\n", "\n").replace('\r', "\n"));
        if pane.holds_last_error {
            *pane = ExplainPane::new();
        }
        pane.editor.insert_str(clean);
        return Vec::new();
    }
    if model.focus_hidden {
        model.status = Some(status(
            StatusKind::Info,
            "Nothing on screen has focus, so the paste went nowhere: Tab to a field, then paste."
                .into(),
        ));
        return Vec::new();
    }
    if model.focused() == Some(Focusable::AdminKey) {
        model.registration.typed_key.set(text);
        return Vec::new();
    }
    let Some(field) = model.focused_field() else {
        model.status = Some(status(
            StatusKind::Info,
            "Paste goes into a text field: Tab to one first.".into(),
        ));
        return Vec::new();
    };
    let single_line: String = text
        .trim()
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let before = model.field_text(field).to_string();
    // The paste alone, then the field with it (a key pasted in two halves).
    let mut refused = refused_paste(&model.redactor, &single_line);
    if refused.is_none() {
        if let Some(editor) = model.editors.get_mut(&field) {
            editor.insert_str(single_line.as_str());
        }
        refused = refused_paste(&model.redactor, model.field_text(field));
    }
    if let Some(problem) = refused {
        // What was there before stays; the paste is not on screen, in the editor's undo, or
        // in anything saved.
        model.set_field(field, &before);
        model.status = Some(status(
            StatusKind::Error,
            format!(
                "The paste into {} {problem}, so it was not kept: it is never shown or saved. Paste the value this field asks for.",
                model.cloud.label(field)
            ),
        ));
        return Vec::new();
    }
    say_cleaning(model, field, true);
    Vec::new()
}

fn cycle<T: Copy + PartialEq>(options: &[T], current: T, delta: isize) -> T {
    let position = options.iter().position(|o| *o == current).unwrap_or(0) as isize;
    options[(position + delta).rem_euclid(options.len() as isize) as usize]
}

fn choose(model: &mut Model, delta: isize) -> Vec<Effect> {
    match model.focused() {
        Some(Focusable::Choice(Choice::Cloud)) => {
            let clouds: Vec<Cloud> = crate::clouds::all().collect();
            model.cloud = cycle(&clouds, model.cloud, delta);
            model.ensure_editors(model.cloud);
            model.refresh_placeholders();
        }
        Some(Focusable::Choice(Choice::Path)) => {
            model.path = cycle(&SetupPath::ALL, model.path, delta);
        }
        _ => {}
    }
    model.status = None;
    Vec::new()
}

fn viewport_height(model: &Model) -> usize {
    usize::from(layout::content_area(model).height)
}

fn scroll_by(model: &mut Model, lines: i32) {
    let area = layout::content_area(model);
    let content = layout::content(model, area.width);
    let height = usize::from(area.height).max(1);
    let max = content.lines.len().saturating_sub(height);
    let target = model.scroll as i64 + i64::from(lines);
    model.scroll = (target.max(0) as usize).min(max);
    // The focus never stays off screen: it moves to the first item in view, or, when none
    // is, it is hidden, and keys are commands rather than text until Tab brings one back.
    let view = model.scroll..model.scroll + height;
    let in_view =
        |anchor: &layout::Anchor| anchor.lines.start < view.end && anchor.lines.end > view.start;
    let focused_in_view = model
        .focused()
        .and_then(|item| content.anchor(item))
        .is_some_and(in_view);
    if focused_in_view {
        return;
    }
    // Never the masked admin key: a command letter typed next would become part of it.
    let focusables = model.focusables();
    let visible = focusables.iter().position(|item| {
        *item != Focusable::AdminKey && content.anchor(*item).is_some_and(in_view)
    });
    match visible {
        Some(index) => {
            model.focus = index;
            model.focus_hidden = false;
        }
        None => model.focus_hidden = true,
    }
}

/// Scrolls so the focused item is on screen (its top first when it is taller than the view).
fn keep_focus_in_view(model: &mut Model) {
    model.focus_hidden = false;
    let area = layout::content_area(model);
    let content = layout::content(model, area.width);
    let height = viewport_height(model).max(1);
    let max = content.lines.len().saturating_sub(height);
    if let Some(anchor) = model
        .focused()
        .and_then(|item| content.anchor(item).cloned())
    {
        if anchor.lines.end > model.scroll + height {
            model.scroll = anchor.lines.end.saturating_sub(height);
        }
        if anchor.lines.start < model.scroll || anchor.lines.len() > height {
            model.scroll = anchor.lines.start;
        }
        // The first item brings back the step's instructions when they fit with it.
        if model.focus == 0 && anchor.lines.end <= height {
            model.scroll = 0;
        }
    }
    model.scroll = model.scroll.min(max);
}

/// 1–9 on a block: one of its values alone, for a console that asks box by box.
fn copy_value(model: &mut Model, number: u8) -> Vec<Effect> {
    let Some(Focusable::Block(artifact)) = model.focused() else {
        return Vec::new();
    };
    let Ok(body) = artifacts::generate(model.cloud, artifact, &model.inputs(), model.path) else {
        return block_effect(model, false);
    };
    let values = artifacts::values_of(&body);
    let Some((path, value)) = values.get(usize::from(number).wrapping_sub(1)) else {
        model.status = Some(status(
            StatusKind::Info,
            if values.is_empty() {
                "This block is one value: c copies it.".into()
            } else {
                format!(
                    "This block has {} values: press 1 to {}.",
                    values.len(),
                    values.len()
                )
            },
        ));
        return Vec::new();
    };
    let title = &model.guide().artifact_text(artifact).title;
    vec![Effect::CopyToClipboard {
        what: format!("{path} of {title}"),
        text: value.clone(),
        file_name: format!(
            "{}-{}-{}.txt",
            model.cloud.key(),
            artifact.file_stem(),
            path.replace(['.', '[', ']'], "-").trim_end_matches('-')
        ),
    }]
}

fn block_effect(model: &mut Model, to_file: bool) -> Vec<Effect> {
    let Some(Focusable::Block(artifact)) = model.focused() else {
        model.status = Some(status(
            StatusKind::Info,
            "Nothing to copy here: Tab to a generated block first.".into(),
        ));
        return Vec::new();
    };
    let what = model.guide().artifact_text(artifact).title.clone();
    match artifacts::generate(model.cloud, artifact, &model.inputs(), model.path) {
        Ok(body) => {
            let file_name = format!(
                "{}-{}.{}",
                model.cloud.key(),
                artifact.file_stem(),
                body.extension()
            );
            let text = body.to_text();
            if to_file {
                vec![Effect::WriteToFile {
                    what,
                    text,
                    file_name,
                }]
            } else {
                vec![Effect::CopyToClipboard {
                    what,
                    text,
                    file_name,
                }]
            }
        }
        Err(missing) => {
            let first = missing.first().map(|e| e.to_string()).unwrap_or_default();
            model.status = Some(status(
                StatusKind::Error,
                format!("{what} is not ready: {first}"),
            ));
            Vec::new()
        }
    }
}

/// Opens the "as code" view, on the first file of the cloud's first code format.
fn open_as_code(model: &mut Model) -> Vec<Effect> {
    if model.screen == Screen::ResumeOffer {
        return Vec::new();
    }
    if model.cloud.kit().code_formats().is_empty() {
        model.status = Some(status(
            StatusKind::Info,
            format!(
                "{} has no as-code view: its steps are done in the console or with the commands shown.",
                model.cloud.display_name()
            ),
        ));
        return Vec::new();
    }
    model.as_code = Some(AsCodePane::default());
    model.help_open = false;
    Vec::new()
}

/// Copies the file on show, or writes every file of its format into one folder.
fn code_effect(model: &mut Model, write_all: bool) -> Vec<Effect> {
    let Some(pane) = model.as_code else {
        return Vec::new();
    };
    let files = model.code_files();
    let Some(shown) = files.get(pane.file.min(files.len().saturating_sub(1))) else {
        return Vec::new();
    };
    let folder = format!("{}-{}", model.cloud.key(), shown.format.key);
    if write_all {
        let format = shown.format;
        let mut module: Vec<(String, String)> = files
            .into_iter()
            .filter(|file| file.format == format)
            .map(|file| (file.name, file.text))
            .collect();
        module.sort_by(|a, b| a.0.cmp(&b.0));
        let what = match module.len() {
            1 => format!("the {} file", format.title),
            n => format!("the {} files ({n})", format.title),
        };
        vec![Effect::WriteFiles {
            what,
            folder,
            files: module,
        }]
    } else {
        vec![Effect::CopyToClipboard {
            what: format!("{} ({})", shown.name, shown.format.title),
            file_name: format!("{folder}-{}", shown.name),
            text: shown.text.clone(),
        }]
    }
}

fn resume(model: &mut Model) -> Vec<Effect> {
    let Some(session) = model.resume.take() else {
        return Vec::new();
    };
    model.cloud = session.cloud;
    model.path = session.path;
    model.ensure_editors(model.cloud);
    model.load_inputs(&session.inputs);
    model.refresh_placeholders();
    model.external_key_id = session.external_key_id.clone();
    model.project_id = session.project_id.clone();
    let steps = model.guide().steps.len();
    model.reached = session.reached.min(steps);
    let screen = match session.step {
        n if (1..=steps).contains(&n) => Screen::Step(n - 1),
        _ => Screen::Start,
    };
    go_to(model, screen);
    let flags = if model.held_flags.take().is_some() {
        "; your start flags were not used"
    } else {
        ""
    };
    model.status = Some(match session.inputs.left_out_sentence() {
        // A saved value that broke a rule was not loaded: which one, and why.
        Some(left_out) => status(
            StatusKind::Error,
            format!("Resumed your saved progress{flags}. {left_out}"),
        ),
        None => status(
            StatusKind::Info,
            format!("Resumed your saved progress{flags}."),
        ),
    });
    Vec::new()
}

fn remember_status_error(model: &mut Model) {
    if let Some(Status {
        kind: StatusKind::Error,
        text,
    }) = model.status.clone()
    {
        model.remember_error(&text);
    }
}

/// Closes the explain screen, keeping what was pasted for the support bundle.
fn close_explain(model: &mut Model) {
    if let Some(pane) = model.explain.take() {
        model.remember_error(&pane.text());
    }
}

fn go_to_explained_step(model: &mut Model) -> Vec<Effect> {
    let Some(pane) = model.explain.as_ref() else {
        return Vec::new();
    };
    let Some(explanation) = crate::explain::explain(&pane.text()) else {
        model.status = Some(status(
            StatusKind::Info,
            "No known error matched, so there is no step to go to.".into(),
        ));
        return Vec::new();
    };
    let entry = explanation.entry;
    if entry.local {
        model.status = Some(status(
            StatusKind::Info,
            "A host could not be reached: no step fixes that; check this machine's network, proxy, DNS and firewall, then try again.".into(),
        ));
        return Vec::new();
    }
    if entry.cloud != model.cloud {
        model.status = Some(status(
            StatusKind::Info,
            format!(
                "This error is about {}; the wizard is on {}. Choose {} on the start screen to fix it there.",
                entry.cloud.display_name(),
                model.cloud.display_name(),
                entry.cloud.display_name()
            ),
        ));
        return Vec::new();
    }
    let Some((index, title)) = entry.step_position() else {
        return Vec::new();
    };
    close_explain(model);
    go_to(model, Screen::Step(index));
    model.status = Some(status(
        StatusKind::Info,
        format!("Step {}: {title}. {}", index + 1, entry.title),
    ));
    save(model)
}

/// The key and base a request needs, or why it cannot be sent (said on the status line).
fn request_means(model: &mut Model) -> Option<(ApiBase, KeyRef)> {
    let base = match model.registration.api_base.clone() {
        Some(Ok(base)) => base,
        Some(Err(err)) => {
            model.status = Some(status(StatusKind::Error, err));
            return None;
        }
        None => match ApiBase::parse(crate::identities::OPENAI_API_BASE) {
            Ok(base) => base,
            Err(err) => {
                model.status = Some(status(StatusKind::Error, err));
                return None;
            }
        },
    };
    let key = if model.registration.key_from_env {
        KeyRef::Environment
    } else {
        match model.registration.typed_key.key() {
            Some(key) => {
                model.registration.typed_key.teach(&mut model.redactor);
                KeyRef::Typed(key)
            }
            None => {
                model.status = Some(status(
                    StatusKind::Error,
                    "Type or paste your admin key first (or start the wizard with OPENAI_ADMIN_KEY set).".into(),
                ));
                focus_item(model, Focusable::AdminKey);
                return None;
            }
        }
    };
    Some((base, key))
}

fn start_registration(model: &mut Model) -> Vec<Effect> {
    if model.busy() {
        model.status = Some(status(
            StatusKind::Info,
            "Still working on the last request…".into(),
        ));
        return Vec::new();
    }
    let body = match artifacts::generate(
        model.cloud,
        crate::guide::ArtifactId::REGISTRATION_BODY,
        &model.inputs(),
        SetupPath::Api,
    ) {
        Ok(artifacts::ArtifactBody::Json(body)) => body,
        Ok(_) => return Vec::new(),
        Err(missing) => {
            let first = missing.first().map(|e| e.to_string()).unwrap_or_default();
            model.status = Some(status(
                StatusKind::Error,
                format!("The registration body is not ready: {first}"),
            ));
            return Vec::new();
        }
    };
    let Some((base, key)) = request_means(model) else {
        return Vec::new();
    };
    let phase = std::mem::take(&mut model.registration.phase);
    model.registration.generation += 1;
    let generation = model.registration.generation;
    match phase {
        Phase::Ready { existing, .. } => {
            let project_name = model
                .inputs()
                .validated(FieldId::PROJECT_NAME)
                .unwrap_or_else(|_| "EKM project".into());
            model.registration.phase = Phase::Registering;
            model.status = Some(status(
                StatusKind::Info,
                match &existing {
                    Some(_) => {
                        "Using the registered key; creating the project and validating…".into()
                    }
                    None => "Registering the key, creating the project and validating…".into(),
                },
            ));
            vec![Effect::Register {
                generation,
                base,
                key,
                body,
                existing,
                project_name,
            }]
        }
        _ => {
            model.registration.phase = Phase::Checking;
            model.status = Some(status(
                StatusKind::Info,
                "Looking for a key with the same settings…".into(),
            ));
            vec![Effect::PlanRegistration {
                generation,
                base,
                key,
                body,
            }]
        }
    }
}

fn registration_planned(model: &mut Model, outcome: Result<crate::openai::register::Plan, String>) {
    match outcome {
        Ok(plan) => {
            let mut text = match plan.existing.as_ref().and_then(|k| k["id"].as_str()) {
                // An id from OpenAI's listing: shown made safe, form-checked before any use.
                Some(id) => format!(
                    "{} is already registered with these settings: Enter uses it (no duplicate).",
                    crate::secrets::outside_id(id, 80)
                ),
                None => {
                    "No key with these settings yet: Enter registers the body above.".to_string()
                }
            };
            if plan.ekm_enabled == Some(false) {
                text.push_str(" Note: no project shows external_key_id, so EKM may not be enabled for this organization yet.");
            }
            model.status = Some(status(StatusKind::Info, text));
            model.registration.phase = Phase::Ready {
                existing: plan.existing,
                ekm_enabled: plan.ekm_enabled,
            };
        }
        Err(err) => failed(model, err),
    }
}

fn failed(model: &mut Model, err: String) {
    model.status = Some(status(StatusKind::Error, err.clone()));
    model.remember_error(&err);
    model.registration.phase = Phase::Failed(err);
}

fn registration_finished(model: &mut Model, outcome: Result<Registered, String>) -> Vec<Effect> {
    match outcome {
        Ok(registered) => {
            // The typed key is no longer needed: wipe it.
            model.registration.typed_key.clear();
            model.registration.reused_key = registered.key_reused;
            model.external_key_id = Some(registered.key_id.clone());
            model.project_id = registered.project_id.clone();
            model.registration.phase = Phase::Idle;
            validation_finished(model, registered.validation);
            focus_item(model, Focusable::Validate);
            save(model)
        }
        Err(err) => {
            failed(model, err);
            Vec::new()
        }
    }
}

fn validate_registered_key(model: &mut Model) -> Vec<Effect> {
    let Some(key_id) = model.external_key_id.clone() else {
        return Vec::new();
    };
    if model.busy() {
        return Vec::new();
    }
    let Some((base, key)) = request_means(model) else {
        return Vec::new();
    };
    model.registration.generation += 1;
    model.registration.phase = Phase::Validating;
    model.status = Some(status(StatusKind::Info, format!("Validating {key_id}…")));
    vec![Effect::Validate {
        generation: model.registration.generation,
        base,
        key,
        key_id,
    }]
}

fn validation_finished(model: &mut Model, outcome: Result<(), String>) {
    model.registration.phase = Phase::Idle;
    let id = model.external_key_id.clone().unwrap_or_default();
    match &outcome {
        Ok(()) => {
            model.status = Some(status(
                StatusKind::Success,
                format!("{id} is valid: OpenAI can use your key."),
            ));
        }
        Err(err) => {
            model.status = Some(status(
                StatusKind::Error,
                format!("Validation of {id} failed: {err}"),
            ));
            model.remember_error(err);
        }
    }
    model.registration.validation = Some(outcome);
}

fn run_checks(model: &mut Model) -> Vec<Effect> {
    // What is recorded so far is checked; checks whose values come on later steps wait.
    let inputs = model.inputs();
    let target = match crate::checks::target_from_recorded(model.cloud, &inputs, model.path) {
        Ok(target) => target,
        Err(errors) => {
            let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
            model.status = Some(status(
                StatusKind::Error,
                format!("The checks cannot start yet: {first}"),
            ));
            return Vec::new();
        }
    };
    // A new run replaces any run still going: its late answers are dropped.
    model.checks.generation += 1;
    model.checks.running = true;
    model.checks.previous = std::mem::take(&mut model.checks.results);
    model.checks.error = None;
    model.status = Some(status(
        StatusKind::Info,
        format!(
            "Checking your {} setup with your credentials…",
            model.cloud.display_name()
        ),
    ));
    vec![Effect::RunChecks {
        generation: model.checks.generation,
        cloud: model.cloud,
        inputs,
        target: TargetHandle(target),
    }]
}

/// The action `s` offers: the current step's, else the one a failed check calls for.
fn offered_action(model: &Model) -> Option<&'static crate::guide::kit::ActionSpec> {
    let actions = model.cloud.kit().actions();
    let step = model.current_step().map(|(_, step)| step.id);
    actions
        .iter()
        .find(|a| Some(a.step) == step)
        .or_else(|| {
            actions.iter().find(|a| {
                model.checks.results.iter().any(|r| {
                    a.offered_after.contains(&r.id) && r.status == crate::checks::CheckStatus::Fail
                })
            })
        })
        .or_else(|| actions.first())
}

/// `s`: ask before doing the cloud's action (creating OpenAI's service principal, say).
fn offer_action(model: &mut Model) -> Vec<Effect> {
    let Some(action) = offered_action(model) else {
        let elsewhere = crate::clouds::all()
            .flat_map(|c| c.kit().actions().iter())
            .map(|a| a.elsewhere)
            .next()
            .unwrap_or("s does nothing here: this cloud has no action to take for you.");
        model.status = Some(status(StatusKind::Info, elsewhere.into()));
        return Vec::new();
    };
    if model.action != ActionOffer::Idle {
        return Vec::new();
    }
    if let Err(errors) =
        crate::checks::target_from_recorded(model.cloud, &model.inputs(), model.path)
    {
        let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
        model.status = Some(status(
            StatusKind::Error,
            format!("{}: {first}", action.needs),
        ));
        return Vec::new();
    }
    model.action = ActionOffer::Asking(action.id);
    model.status = Some(status(StatusKind::Info, (action.question)(&model.inputs())));
    Vec::new()
}

fn perform_action(model: &mut Model) -> Vec<Effect> {
    let ActionOffer::Asking(id) = model.action else {
        return Vec::new();
    };
    let (Some(action), Ok(target)) = (
        model.action_spec(id),
        crate::checks::target_from_recorded(model.cloud, &model.inputs(), model.path),
    ) else {
        model.action = ActionOffer::Idle;
        return Vec::new();
    };
    model.action = ActionOffer::Running(id);
    model.status = Some(status(StatusKind::Info, action.working.into()));
    vec![Effect::PerformAction {
        action: id,
        target: TargetHandle(target),
    }]
}

fn checks_finished(model: &mut Model, outcome: Result<(), crate::checks::CannotCheck>) {
    use crate::checks::CheckStatus;
    model.checks.running = false;
    match outcome {
        Ok(()) => {
            let count = |s: CheckStatus| {
                model
                    .checks
                    .results
                    .iter()
                    .filter(|r| r.status == s)
                    .count()
            };
            let (failed, warned, passed, unverified, skipped, waiting) = (
                count(CheckStatus::Fail),
                count(CheckStatus::Warn),
                count(CheckStatus::Pass),
                count(CheckStatus::Unverified),
                count(CheckStatus::Skip),
                count(CheckStatus::Waiting),
            );
            let not_run_note = match (skipped, waiting) {
                (0, 0) => String::new(),
                (s, 0) => format!(" {s} not run (marked -)."),
                (0, w) => format!(" {w} wait for later steps (marked …)."),
                (s, w) => format!(" {s} not run (marked -), {w} wait for later steps (marked …)."),
            };
            model.status = Some(match crate::checks::Verdict::of(&model.checks.results) {
                crate::checks::Verdict::Verified => status(
                    StatusKind::Success,
                    format!(
                        "Verified: all {} checks ran and passed ({warned} to look at).",
                        passed + warned
                    ),
                ),
                crate::checks::Verdict::Failed => status(
                    StatusKind::Error,
                    format!(
                        "Checks: {failed} failed, {passed} passed: the failed ones name the step to fix."
                    ),
                ),
                crate::checks::Verdict::NotVerified
                    if unverified == 0 && skipped == 0 && passed + warned > 0 =>
                {
                    status(
                        StatusKind::Success,
                        format!(
                            "What is recorded so far checks out: {} passed; {}.",
                            passed + warned,
                            if waiting == 1 {
                                "1 check waits for a later step".to_string()
                            } else {
                                format!("{waiting} checks wait for later steps")
                            }
                        ),
                    )
                }
                crate::checks::Verdict::NotVerified => status(
                    StatusKind::Info,
                    crate::checks::none_could_run(&model.checks.results).unwrap_or_else(|| {
                        format!(
                            "Not verified: {passed} passed, {unverified} could not be checked (marked ?).{not_run_note}"
                        )
                    }),
                ),
            });
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

/// `m`: plans "do it for me" for this step (or, on the start screen, every step).
fn open_apply(model: &mut Model) -> Vec<Effect> {
    if model.busy() || model.screen == Screen::ResumeOffer {
        return Vec::new();
    }
    let inputs = model.inputs();
    match model.cloud.kit().applier(&inputs) {
        None => {
            let titles: Vec<&str> = model
                .cloud
                .kit()
                .code_formats()
                .iter()
                .map(|f| f.title)
                .collect();
            let instead = if titles.is_empty() {
                "follow the steps".to_string()
            } else {
                format!(
                    "follow the steps, or use the setup as code (a: {})",
                    titles.join(", ")
                )
            };
            model.status = Some(status(
                StatusKind::Info,
                format!(
                    "The wizard does not make {}'s resources itself yet: {instead}.",
                    model.cloud.display_name()
                ),
            ));
            Vec::new()
        }
        Some(Err(errors)) => {
            let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
            model.status = Some(status(
                StatusKind::Error,
                format!("To make the resources, the wizard needs {first}"),
            ));
            Vec::new()
        }
        Some(Ok(_)) => {
            model.apply = Some(crate::app::model::ApplyPane {
                step: model.current_step().map(|(_, step)| step.id),
                phase: ApplyPhase::Planning,
                plan: Vec::new(),
                done: Vec::new(),
                calls: Vec::new(),
                allow_update: false,
                outcome: None,
                scroll: 0,
            });
            model.help_open = false;
            vec![Effect::PlanApply {
                cloud: model.cloud,
                inputs,
            }]
        }
    }
}

fn confirm_apply(model: &mut Model) -> Vec<Effect> {
    let inputs = model.inputs();
    let cloud = model.cloud;
    let Some(pane) = model.apply.as_mut() else {
        return Vec::new();
    };
    if pane.phase != ApplyPhase::Planned || !crate::apply::readiness(&pane.plan).may_write() {
        return Vec::new();
    }
    pane.phase = ApplyPhase::Applying;
    vec![Effect::RunApply {
        cloud,
        inputs,
        plan: pane.plan.clone(),
        allow_update: pane.allow_update,
    }]
}

/// After a run: the values it made are recorded, what happened is said, and the checks run.
fn apply_finished(
    model: &mut Model,
    outputs: Result<Vec<(FieldId, String)>, String>,
    calls: Vec<crate::guide::apply::Call>,
) -> Vec<Effect> {
    let outputs = match outputs {
        Ok(outputs) => outputs,
        Err(why) => {
            if let Some(pane) = model.apply.as_mut() {
                pane.calls = calls;
                pane.phase = ApplyPhase::Finished;
                pane.outcome = Some(format!("Nothing was written: {why}"));
            }
            return Vec::new();
        }
    };
    if !outputs.is_empty() {
        let mut inputs = model.inputs();
        for (field, value) in &outputs {
            inputs.set(*field, value.clone());
        }
        model.load_inputs(&inputs);
    }
    let Some(pane) = model.apply.as_mut() else {
        return Vec::new();
    };
    pane.calls = calls;
    pane.phase = ApplyPhase::Finished;
    let refused = crate::apply::refusal(&pane.done).map(|d| d.planned.title.clone());
    let made = pane
        .done
        .iter()
        .filter(|d| matches!(d.applied, Some(crate::guide::apply::Applied::Made { .. })))
        .count();
    let changed = pane
        .done
        .iter()
        .filter(|d| {
            matches!(
                d.applied,
                Some(crate::guide::apply::Applied::Changed { .. })
            )
        })
        .count();
    pane.outcome = Some(match &refused {
        Some(title) => format!(
            "Stopped at {title}: what was made stays; grant what its line names, then m again continues from there."
        ),
        None => format!("Done: {made} made, {changed} changed. Checking the result…"),
    });
    let mut effects = save(model);
    if refused.is_none() {
        effects.extend(run_checks(model));
    }
    effects
}

/// `d`: the revocation drill needs the registered key and the admin key; it asks first,
/// saying what it does to production.
fn offer_drill(model: &mut Model) -> Vec<Effect> {
    if model.busy() || model.drill != DrillOffer::Idle {
        return Vec::new();
    }
    let last_step = model.guide().steps.len().saturating_sub(1);
    let Some(key_id) = model
        .external_key_id
        .clone()
        .filter(|_| model.path == SetupPath::Api && model.screen == Screen::Step(last_step))
    else {
        model.status = Some(status(
            StatusKind::Info,
            "The drill runs on the last step once a key is registered there (or headless: ekm-wizard drill <cloud> --key-id …).".into(),
        ));
        return Vec::new();
    };
    model.drill = DrillOffer::Asking;
    model.status = Some(status(
        StatusKind::Info,
        format!(
            "Revocation drill on {key_id}: your key is switched off, so every request OpenAI makes with it fails until it is switched on again (a minute or two; Esc switches it on at once). y starts, any other key cancels."
        ),
    ));
    Vec::new()
}

fn start_drill(model: &mut Model) -> Vec<Effect> {
    model.drill = DrillOffer::Idle;
    let Some(key_id) = model.external_key_id.clone() else {
        return Vec::new();
    };
    let inputs = model.inputs();
    let target = match crate::checks::target_from_recorded(model.cloud, &inputs, model.path) {
        Ok(target) => target,
        Err(errors) => {
            let first = errors.first().map(|e| e.to_string()).unwrap_or_default();
            model.status = Some(status(
                StatusKind::Error,
                format!("The drill cannot start: {first}"),
            ));
            return Vec::new();
        }
    };
    let Some((base, key)) = request_means(model) else {
        return Vec::new();
    };
    model.drill = DrillOffer::Running;
    model.status = Some(status(
        StatusKind::Info,
        format!("Drill: reading the key and asking OpenAI to validate {key_id}…"),
    ));
    vec![Effect::RunDrill {
        base,
        key,
        key_id,
        cloud: model.cloud,
        inputs,
        target: TargetHandle(target),
    }]
}

/// The waits between automatic re-checks: longer each time.
fn recheck_wait(attempt: u32) -> u32 {
    match attempt {
        0 => 15,
        1 => 30,
        2 => 60,
        _ => 120,
    }
}

fn minutes(seconds: u32) -> String {
    match seconds {
        0..=89 => format!("{seconds} s"),
        _ => format!("{} min", seconds.div_ceil(60)),
    }
}

/// After a run: when the only failures are of checks a fix can take minutes to reach, and
/// the admin just fixed something (the same check failed before) or the wizard is already
/// waiting, count down to checking again, each wait longer, up to what the cloud documents.
fn plan_recheck(model: &mut Model) -> Vec<Effect> {
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

fn show_countdown(model: &mut Model, failing: &str) {
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

fn recheck_tick(model: &mut Model, id: u64) -> Vec<Effect> {
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

/// The step of the first failed check, else of the failed registration's explanation.
fn go_to_step_to_fix(model: &mut Model) -> Vec<Effect> {
    use crate::checks::CheckStatus;
    let from_checks = model
        .checks
        .results
        .iter()
        .find(|r| r.status == CheckStatus::Fail)
        .map(|r| (r.step.to_string(), format!("{}: {}", r.title, r.detail)));
    let from_registration = match &model.registration.phase {
        Phase::Failed(err) => crate::explain::explain(err)
            .filter(|found| !found.entry.local && found.entry.cloud == model.cloud)
            .map(|found| (found.entry.step.clone(), found.entry.title.clone())),
        _ => None,
    };
    let Some((step_id, why)) = from_checks.or(from_registration) else {
        model.status = Some(status(
            StatusKind::Info,
            "Nothing has failed: no step to go to.".into(),
        ));
        return Vec::new();
    };
    let Some(index) = model
        .guide()
        .steps
        .iter()
        .position(|s| s.id.key() == step_id)
    else {
        return Vec::new();
    };
    go_to(model, Screen::Step(index));
    let title = &model.guide().steps[index].title;
    model.status = Some(status(
        StatusKind::Info,
        format!("Step {}: {title}. To fix: {why}", index + 1),
    ));
    save(model)
}
