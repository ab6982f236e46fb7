//! The small moves every feature of the wizard makes: a status to show, progress to save, a
//! screen to go to, the focus brought into view, the checks started, the means of a request
//! to OpenAI. `update` and the feature modules use them; they use nothing above them.

use super::effect::{Effect, KeyRef, TargetHandle};
use super::layout;
use super::model::{Focusable, Model, Screen, Status, StatusKind};
use crate::openai::ApiBase;

pub(crate) fn status(kind: StatusKind, text: String) -> Status {
    Status::new(kind, text)
}

/// Saves progress, except on the resume offer, where nothing new exists to overwrite it with.
pub(crate) fn save(model: &Model) -> Vec<Effect> {
    if model.screen == Screen::ResumeOffer {
        return Vec::new();
    }
    vec![Effect::SaveProgress(model.session())]
}

pub(crate) fn go_to(model: &mut Model, screen: Screen) {
    model.screen = screen;
    // Another screen is other content, even within one message.
    model.revision = model.revision.wrapping_add(1);
    model.focus = 0;
    model.focus_hidden = false;
    model.scroll = 0;
    model.show_empty_errors = false;
    if let Screen::Step(index) = screen {
        model.reached = model.reached.max(index);
    }
}

pub(crate) fn run_checks(model: &mut Model) -> Vec<Effect> {
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

/// The key and base a request needs, or why it cannot be sent (said on the status line).
pub(crate) fn request_means(model: &mut Model) -> Option<(ApiBase, KeyRef)> {
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

pub(crate) fn focus_item(model: &mut Model, item: Focusable) {
    if let Some(position) = model.focusables().iter().position(|i| *i == item) {
        model.focus = position;
        keep_focus_in_view(model);
    }
}

/// Scrolls so the focused item is on screen (its top first when it is taller than the view).
pub(crate) fn keep_focus_in_view(model: &mut Model) {
    model.focus_hidden = false;
    let content = layout::measure(model);
    let height = viewport_height(model).max(1);
    let max = content.lines.saturating_sub(height);
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

pub(crate) fn viewport_height(model: &Model) -> usize {
    usize::from(layout::content_area(model).height)
}
