//! Saved progress offered at start: resuming it, or starting over after a yes that discards it.

use crate::app::effect::Effect;
use crate::app::model::Question;
use crate::app::model::{Model, Screen, StatusKind};
use crate::app::transitions::{go_to, status};

pub(crate) fn resume(model: &mut Model) -> Vec<Effect> {
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
pub(crate) fn discard_saved_progress(model: &mut Model) -> Vec<Effect> {
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

/// `n` on the resume screen: nothing saved is lost without a yes, so ask, saying what would go.
pub(crate) fn ask_start_over(model: &mut Model) -> Vec<Effect> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::features::testing::on_step;

    #[test]
    fn starting_over_asks_first_and_resuming_nothing_changes_nothing() {
        let mut model = on_step(0);
        model.screen = Screen::ResumeOffer;
        ask_start_over(&mut model);
        assert_eq!(model.layers.question(), Some(Question::Discard));
        let text = model
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default();
        assert!(text.contains("y discards"), "{text}");
        assert!(resume(&mut model).is_empty(), "no saved progress to resume");
        assert_eq!(model.screen, Screen::ResumeOffer);
    }
}
