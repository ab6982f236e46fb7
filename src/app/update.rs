//! The pure heart of the wizard: `update` applies a message to the model and returns the
//! effects to perform. No I/O happens here, so every transition is tested without a terminal.

use ratatui_textarea::{Input, Key};

use super::effect::{Effect, TargetHandle};
use super::features::{apply, as_code, drill, explain, recheck, registration};
use super::layout;
use super::model::{
    ActionOffer, ApplyPhase, Choice, DrillOffer, ExplainPane, Focusable, Layer, LayerKind, Model,
    Question, Saving, Screen, Status, StatusKind, StepState,
};
use super::msg::Msg;
use super::registration::Phase;
use super::transitions::{focus_item, go_to, keep_focus_in_view, run_checks, save, status};
use crate::artifacts;
use crate::clipboard::CopyRoute;
use crate::guide::{Cloud, FieldId, SetupPath};

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
        Msg::ScrollContent(lines) => {
            scroll_top_layer(model, lines);
            Vec::new()
        }
        Msg::CopyFocusedBlock => block_effect(model, false),
        Msg::WriteFocusedBlockToFile => block_effect(model, true),
        Msg::OpenAsCode => as_code::open_as_code(model),
        Msg::ShowCodeFile(step) => {
            let count = model.code_files().len();
            if let Some(pane) = model.layers.as_code_mut()
                && count > 0
            {
                pane.file = (pane.file as i64 + i64::from(step)).rem_euclid(count as i64) as usize;
                pane.scroll = 0;
            }
            Vec::new()
        }
        Msg::CopyCodeFile => as_code::code_effect(model, false),
        Msg::WriteCodeFiles => as_code::code_effect(model, true),
        Msg::ToggleHelp => {
            if model.layers.close(LayerKind::Help).is_none() {
                model.layers.open(Layer::Help { scroll: 0 });
            }
            Vec::new()
        }
        Msg::CloseOverlay => close_top_layer(model),
        Msg::ResumeSavedProgress => resume(model),
        Msg::StartOver => {
            // Nothing saved is lost without a yes: ask, saying what would go.
            model.layers.ask(Question::Discard);
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
                model.layers.open(Layer::Explain(pane));
            }
            Vec::new()
        }
        Msg::GoToExplainedStep => explain::go_to_explained_step(model),
        Msg::ExportSupportBundle => vec![Effect::ExportSupportBundle {
            session: model.session(),
            recent_errors: model.recent_errors.clone(),
            checks: model.checks.results.clone(),
        }],
        Msg::StartRegistration => registration::start_registration(model),
        Msg::ValidateRegisteredKey => registration::validate_registered_key(model),
        Msg::RegistrationPlanned {
            generation,
            outcome,
        } => {
            if generation == model.registration.generation {
                registration::registration_planned(model, outcome);
            }
            Vec::new()
        }
        Msg::RegistrationFinished {
            generation,
            outcome,
        } => {
            if generation == model.registration.generation {
                return registration::registration_finished(model, outcome);
            }
            Vec::new()
        }
        Msg::ValidationFinished {
            generation,
            outcome,
        } => {
            if generation == model.registration.generation {
                registration::validation_finished(model, outcome);
            }
            Vec::new()
        }
        Msg::RunChecks => {
            // Checking by hand replaces any countdown.
            model.recheck = None;
            model.recheck_declined = false;
            run_checks(model)
        }
        Msg::RecheckTick { id } => recheck::recheck_tick(model, id),
        Msg::ReadStep(delta) => read_step(model, delta),
        Msg::CopyValue(number) => copy_value(model, number),
        Msg::OfferAction => offer_action(model),
        Msg::ConfirmAction => match model.layers.take_question() {
            Some(Question::Discard) => discard_saved_progress(model),
            Some(Question::Drill) => drill::start_drill(model),
            Some(Question::Action(id)) => perform_action(model, id),
            None => Vec::new(),
        },
        Msg::DeclineAction => {
            decline(model);
            Vec::new()
        }
        Msg::OfferDrill => drill::offer_drill(model),
        Msg::OpenApply => apply::open_apply(model),
        Msg::ApplyPlanned(planned, calls) => apply::planned(model, planned, calls),
        Msg::ToggleAllowUpdate => apply::toggle_allow_update(model),
        Msg::ConfirmApply => apply::confirm_apply(model),
        Msg::ApplyProgress(done, calls) => apply::progress(model, *done, calls),
        Msg::ApplyFinished(outputs, calls) => apply::apply_finished(model, outputs, calls),
        Msg::DrillProgress(line) => drill::progress(model, line),
        Msg::DrillFinished(record) => drill::finished(model, *record),
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
                recheck::plan_recheck(model)
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

/// Scrolls whatever is on top: a layer, or the step.
fn scroll_top_layer(model: &mut Model, lines: i32) {
    match model.layers.top_kind() {
        Some(LayerKind::Help) => {
            let most = layout::help_scroll_limit(model.width, model.height);
            if let Some(scroll) = model.layers.help_mut() {
                *scroll = (i64::from(*scroll) + i64::from(lines)).clamp(0, i64::from(most)) as u16;
            }
        }
        Some(LayerKind::Explain) => {
            if let Some(pane) = model.layers.explain_mut() {
                pane.scroll = (i64::from(pane.scroll) + i64::from(lines)).clamp(0, 500) as u16;
            }
        }
        Some(LayerKind::AsCode) => {
            let most = layout::code_scroll_limit(model) as i64;
            if let Some(pane) = model.layers.as_code_mut() {
                pane.scroll = (pane.scroll as i64 + i64::from(lines)).clamp(0, most) as usize;
            }
        }
        Some(LayerKind::Apply) => {
            let most = layout::apply_scroll_limit(model) as i64;
            if let Some(pane) = model.layers.apply_mut() {
                pane.scroll = (pane.scroll as i64 + i64::from(lines)).clamp(0, most) as usize;
            }
        }
        Some(LayerKind::Question) | None => scroll_by(model, lines),
    }
}

/// Esc: closes the layer on top; with none, stops what runs on its own (the drill, the
/// countdown to the next check).
fn close_top_layer(model: &mut Model) -> Vec<Effect> {
    match model.layers.top_kind() {
        Some(LayerKind::Explain) => explain::close_explain(model),
        Some(LayerKind::Apply)
            if model
                .layers
                .apply()
                .is_some_and(|a| a.phase == ApplyPhase::Applying) => {}
        Some(kind @ (LayerKind::Help | LayerKind::AsCode | LayerKind::Apply)) => {
            model.layers.close(kind);
        }
        Some(LayerKind::Question) => decline(model),
        None if model.drill == DrillOffer::Running => {
            model.status = Some(status(
                StatusKind::Info,
                "Stopping the drill: switching the key on again…".into(),
            ));
            return vec![Effect::StopDrill];
        }
        None => {
            if model.recheck.take().is_some() {
                model.recheck_declined = true;
                model.status = Some(status(
                    StatusKind::Info,
                    "Stopped checking again on its own; k checks when you are ready.".into(),
                ));
            }
        }
    }
    Vec::new()
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
        Some(Focusable::Register) => registration::start_registration(model),
        Some(Focusable::Validate) => registration::validate_registered_key(model),
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
    if let Some(pane) = model.layers.explain_mut() {
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
    if let Some(pane) = model.layers.explain_mut() {
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

/// `y` on the question to discard the saved progress: start over, with the start flags
/// held over it if there were any.
fn discard_saved_progress(model: &mut Model) -> Vec<Effect> {
    model.resume = None;
    go_to(model, Screen::Start);
    model.status = Some(status(
        StatusKind::Info,
        "Starting over: the saved progress is replaced at the next save.".into(),
    ));
    // Start flags held over the saved progress take effect now.
    if let Some(args) = model.held_flags.take() {
        model.apply_preset(&args);
        if let screen @ Screen::Step(_) = model.screen {
            go_to(model, screen);
            model.status = Some(status(
                StatusKind::Info,
                "Starting over with the values you gave: the saved progress is replaced at the next save.".into(),
            ));
        }
    }
    Vec::new()
}

/// Any key but `y` on a question: nothing is done, and that is said.
fn decline(model: &mut Model) {
    let said = match model.layers.take_question() {
        Some(Question::Discard) => "Kept: the saved progress is as it was.",
        Some(Question::Drill) => "No drill: nothing was changed.",
        Some(Question::Action(id)) => model
            .action_spec(id)
            .map(|a| a.declined)
            .unwrap_or("Nothing was done."),
        None => return,
    };
    model.status = Some(status(StatusKind::Info, said.into()));
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
    model.layers.ask(Question::Action(action.id));
    model.status = Some(status(StatusKind::Info, (action.question)(&model.inputs())));
    Vec::new()
}

fn perform_action(model: &mut Model, id: crate::guide::ActionId) -> Vec<Effect> {
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
            use crate::checks::verdict::{Length, Tone};
            let verdict = crate::checks::Verdict::of(&model.checks.results);
            let said =
                crate::checks::verdict::words(verdict, &model.checks.results, Length::StatusLine);
            let kind = match said.tone {
                Tone::Good => StatusKind::Success,
                Tone::Bad => StatusKind::Error,
                Tone::Neutral => StatusKind::Info,
            };
            model.status = Some(status(kind, said.text));
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

/// The step of the first failed check, else of the failed registration's explanation.
fn go_to_step_to_fix(model: &mut Model) -> Vec<Effect> {
    use crate::checks::CheckStatus;
    let from_checks = model
        .checks
        .results
        .iter()
        .find(|r| r.status == CheckStatus::Fail)
        .map(|r| (r.step, format!("{}: {}", r.title, r.detail)));
    let from_registration = match &model.registration.phase {
        Phase::Failed(err) => crate::explain::explain(err)
            .filter(|found| !found.entry.local && found.entry.cloud == model.cloud)
            .and_then(|found| Some((found.entry.step?, found.entry.title.clone()))),
        _ => None,
    };
    let Some((step_id, why)) = from_checks.or(from_registration) else {
        model.status = Some(status(
            StatusKind::Info,
            "Nothing has failed: no step to go to.".into(),
        ));
        return Vec::new();
    };
    let Some(index) = model.guide().steps.iter().position(|s| s.id == step_id) else {
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
