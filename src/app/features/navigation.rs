//! Moving through the wizard: the next and previous step, reading ahead, focus, Enter, scrolling
//! the step, and going to the step that fixes a failed check.

use crate::app::effect::Effect;
use crate::app::features::blocks::block_effect;
use crate::app::features::registration;
use crate::app::features::resume::resume;
use crate::app::layout;
use crate::app::model::{Focusable, Model, Screen, StatusKind, StepState};
use crate::app::registration::Phase;
use crate::app::transitions::{focus_item, go_to, keep_focus_in_view, save, status};
use crate::guide::FieldId;

pub(crate) fn next_step(model: &mut Model) -> Vec<Effect> {
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
pub(crate) fn refuse(model: &mut Model, problem: String, field: Option<FieldId>) -> Vec<Effect> {
    model.status = Some(status(StatusKind::Error, problem));
    model.show_empty_errors = true;
    if let Some(field) = field {
        focus_item(model, Focusable::Field(field));
    }
    Vec::new()
}

pub(crate) fn previous_step(model: &mut Model) -> Vec<Effect> {
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
pub(crate) fn read_step(model: &mut Model, delta: i8) -> Vec<Effect> {
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
    let content = layout::measure(model);
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

pub(crate) fn move_focus(model: &mut Model, delta: isize) -> Vec<Effect> {
    let count = model.focusables().len();
    if count == 0 {
        return Vec::new();
    }
    let current = model.focus.min(count - 1) as isize;
    model.focus = (current + delta).rem_euclid(count as isize) as usize;
    keep_focus_in_view(model);
    Vec::new()
}

pub(crate) fn confirm(model: &mut Model) -> Vec<Effect> {
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

pub(crate) fn scroll_by(model: &mut Model, lines: i32) {
    let area = layout::content_area(model);
    let content = layout::measure(model);
    let height = usize::from(area.height).max(1);
    let max = content.lines.saturating_sub(height);
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

/// The step of the first failed check, else of the failed registration's explanation.
pub(crate) fn go_to_step_to_fix(model: &mut Model) -> Vec<Effect> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::features::testing::on_step;
    use crate::app::layout::MEASURES_TAKEN;

    #[test]
    fn scrolling_measures_the_content_once_until_it_changes() {
        let mut model = on_step(0);
        model.revision += 1;
        let before = MEASURES_TAKEN.with(|n| n.get());
        model.focus_hidden = true;
        scroll_by(&mut model, 1);
        scroll_by(&mut model, 1);
        scroll_by(&mut model, -1);
        let after_scrolls = MEASURES_TAKEN.with(|n| n.get());
        assert!(
            after_scrolls - before <= 2,
            "three scrolls laid the content out {} times",
            after_scrolls - before
        );
        // Anything but a scroll may change the content: the next scroll measures again.
        model.revision += 1;
        scroll_by(&mut model, 1);
        assert!(MEASURES_TAKEN.with(|n| n.get()) > after_scrolls);
    }

    #[test]
    fn going_back_is_always_allowed_and_onward_is_refused_with_the_reason() {
        let probe = on_step(0);
        let steps = probe.guide().steps.len();
        let index = (1..steps)
            .find(|i| probe.step_problem(*i).is_some())
            .expect("a step asks for something not yet recorded");
        let mut model = on_step(index);
        next_step(&mut model);
        assert_eq!(
            model.screen,
            Screen::Step(index),
            "an unfinished step is not left forwards"
        );
        assert_eq!(
            model.status.as_ref().map(|s| s.kind),
            Some(StatusKind::Error),
            "the refusal is said"
        );
        previous_step(&mut model);
        assert_eq!(model.screen, Screen::Step(index - 1));
    }
}
