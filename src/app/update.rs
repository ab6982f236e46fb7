//! The pure heart of the wizard: `update` applies a message to the model and returns the
//! effects to perform. No I/O happens here, so every transition is tested without a terminal.

use super::effect::Effect;
use super::features::{
    apply, as_code, blocks, checks, drill, explain, help, keys, question, recheck, registration,
    resume,
};
use super::model::{ApplyPhase, DrillOffer, LayerKind, Model, Saving, StatusKind};
use super::msg::Msg;
use super::transitions::{keep_focus_in_view, save, status};
use crate::app::features::blocks::{block_effect, copy_value};
use crate::app::features::editing::{choose, edit_field, edit_text, paste};
use crate::app::features::navigation::{
    confirm, go_to_step_to_fix, move_focus, next_step, previous_step, read_step, scroll_by,
};
use crate::app::features::question::{decline, offer_action};
use crate::app::features::resume::resume;

/// Applies one message; returns what the runtime should do next.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let msg = hide_secrets(msg, &model.redactor);
    // Scrolling and the spinner's turns change nothing the content holds: its measure stays.
    if !matches!(
        msg,
        Msg::ScrollContent(_) | Msg::ScrollPage(_) | Msg::SpinnerTick
    ) {
        model.revision = model.revision.wrapping_add(1);
    }
    let view_before = view_on_show(model);
    let status_before = model.status.clone();
    let resized = matches!(msg, Msg::TerminalResized { .. });
    let effects = match msg {
        Msg::NextStep => next_step(model),
        Msg::PreviousStep => previous_step(model),
        Msg::FocusNext => move_focus(model, 1),
        Msg::FocusPrevious => move_focus(model, -1),
        Msg::Confirm => confirm(model),
        Msg::EditField(input) => edit_field(model, input),
        Msg::EditText(edit) => edit_text(model, edit),
        Msg::PasteIntoField(text) => paste(model, &text),
        Msg::ChoosePrevious => choose(model, -1),
        Msg::ChooseNext => choose(model, 1),
        Msg::ScrollContent(lines) => {
            scroll_top_layer(model, lines);
            Vec::new()
        }
        Msg::ScrollPage(pages) => {
            scroll_top_layer(model, pages.saturating_mul(page_height(model)));
            Vec::new()
        }
        Msg::CopyFocusedBlock => block_effect(model, false),
        Msg::CopyConsoleLink => blocks::copy_console_link(model),
        Msg::ShowExactText => blocks::show_exact_text(model),
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
        Msg::ToggleHelp => help::toggle(model),
        Msg::CloseOverlay => close_top_layer(model),
        Msg::ResumeSavedProgress => resume(model),
        Msg::StartOver => resume::ask_start_over(model),
        Msg::TerminalResized { width, height } => {
            model.width = width;
            model.height = height;
            keep_focus_in_view(model);
            Vec::new()
        }
        Msg::CopyFinished { what, outcome } => blocks::copy_finished(model, &what, outcome),
        Msg::FileWritten { what, outcome } => blocks::file_written(model, &what, outcome),
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
        Msg::OpenExplainScreen => explain::open_explain(model),
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
        Msg::RunChecks => checks::check_by_hand(model),
        Msg::RecheckTick { id } => recheck::recheck_tick(model, id),
        Msg::ReadStep(delta) => read_step(model, delta),
        Msg::CopyValue(number) => copy_value(model, number),
        Msg::OfferAction => offer_action(model),
        Msg::ConfirmAction => question::answer_yes(model),
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
        Msg::ActionFinished(outcome) => question::action_finished(model, outcome),
        Msg::GoToStepToFix => go_to_step_to_fix(model),
        Msg::CheckReported { generation, result } => {
            checks::reported(model, generation, result);
            Vec::new()
        }
        Msg::ChecksFinished {
            generation,
            outcome,
        } => checks::run_ended(model, generation, outcome),
        Msg::SpinnerTick => {
            model.spinner = model.spinner.wrapping_add(1);
            Vec::new()
        }
        Msg::OpenKeys => keys::open_keys(model),
        Msg::ReadKeysAgain => keys::read_again(model),
        Msg::SelectKey(delta) => {
            keys::select(model, delta);
            Vec::new()
        }
        Msg::ValidateSelectedKey => keys::validate_selected(model),
        Msg::DeleteSelectedKey => keys::delete_selected(model),
        Msg::KeysListed {
            generation,
            outcome,
        } => {
            keys::listed(model, generation, outcome);
            Vec::new()
        }
        Msg::KeyValidated {
            generation,
            id,
            outcome,
        } => {
            keys::validated(model, generation, id, outcome);
            Vec::new()
        }
        Msg::KeyDeleted {
            generation,
            id,
            outcome,
        } => {
            keys::deleted(model, generation, id, outcome);
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
    keep_status_current(model, view_before, status_before, resized);
    effects
}

/// What the admin looks at, for telling when it changed: the screen, the view over it, and a
/// question asked. Not the help: it is opened to read what the status says.
type View = (super::model::Screen, Option<LayerKind>, bool);

fn view_on_show(model: &Model) -> View {
    (
        model.screen,
        model.layers.content().map(super::model::Layer::kind),
        model.layers.question().is_some(),
    )
}

/// The most status messages the help lists.
const STATUS_HISTORY_KEPT: usize = 8;

/// A status is about the view it was said in: when the view changes and the message did not
/// say anything new, it goes. Every new message is kept, whole, for the help.
fn keep_status_current(
    model: &mut Model,
    view_before: View,
    status_before: Option<super::model::Status>,
    resized: bool,
) {
    if view_on_show(model) != view_before && !resized && model.status == status_before {
        model.status = None;
    }
    if model.status != status_before
        && let Some(text) = crate::app::layout::status_text(model)
        && model.status_history.last() != Some(&text)
    {
        model.status_history.push(text);
        if model.status_history.len() > STATUS_HISTORY_KEPT {
            model.status_history.remove(0);
        }
    }
}

/// The rows one page of what is on top shows, less one kept in view across the turn.
fn page_height(model: &Model) -> i32 {
    let rows = match model.layers.top_kind() {
        Some(LayerKind::Help) => help::help_box(model.width, model.height, &model.status_history)
            .0
            .height
            .saturating_sub(2),
        _ => crate::app::layout::content_area(model).height,
    };
    i32::from(rows.saturating_sub(1).max(1))
}

/// Scrolls whatever is on top: a layer, or the step.
fn scroll_top_layer(model: &mut Model, lines: i32) {
    match model.layers.top_kind() {
        Some(LayerKind::Help) => help::scroll(model, lines),
        Some(LayerKind::Explain) => explain::scroll(model, lines),
        Some(LayerKind::AsCode) => as_code::scroll(model, lines),
        Some(LayerKind::Apply) => apply::scroll(model, lines),
        Some(LayerKind::Keys) => keys::select(model, lines.clamp(-1000, 1000)),
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
        Some(kind @ (LayerKind::Help | LayerKind::AsCode | LayerKind::Apply | LayerKind::Keys)) => {
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
        Msg::KeysListed {
            generation,
            outcome,
        } => Msg::KeysListed {
            generation,
            outcome: outcome
                .map(|mut listing| {
                    for key in &mut listing.keys {
                        key.name = hide(std::mem::take(&mut key.name));
                        key.resource = key.resource.take().map(hide);
                    }
                    listing
                })
                .map_err(hide),
        },
        Msg::KeyValidated {
            generation,
            id,
            outcome,
        } => Msg::KeyValidated {
            generation,
            id,
            outcome: outcome.map_err(|(validity, words)| (validity, hide(words))),
        },
        Msg::KeyDeleted {
            generation,
            id,
            outcome,
        } => Msg::KeyDeleted {
            generation,
            id,
            outcome: outcome.map_err(hide),
        },
        other => other,
    }
}
