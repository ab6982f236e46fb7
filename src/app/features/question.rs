//! The one question that waits for a yes: asking before the kit's action, answering y (the
//! action, the drill or discarding saved progress) or anything else, and the action's end.

use crate::app::effect::{Effect, TargetHandle};
use crate::app::features::drill;
use crate::app::features::resume::discard_saved_progress;
use crate::app::model::{ActionOffer, Model, Question, StatusKind};
use crate::app::transitions::status;

/// Any key but `y` on a question: nothing is done, and that is said.
pub(crate) fn decline(model: &mut Model) {
    let said = match model.layers.take_question() {
        Some(Question::Discard) => "Kept: the saved progress is as it was.",
        Some(Question::Drill) => "No drill: nothing was changed.",
        Some(Question::DeleteKey) => super::keys::delete_declined(model),
        Some(Question::Action(id)) => model
            .action_spec(id)
            .map(|a| a.declined)
            .unwrap_or("Nothing was done."),
        None => return,
    };
    model.status = Some(status(StatusKind::Info, said.into()));
}

/// The action `s` offers: the current step's, else the one a failed check calls for.
pub(crate) fn offered_action(model: &Model) -> Option<&'static crate::guide::kit::ActionSpec> {
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
pub(crate) fn offer_action(model: &mut Model) -> Vec<Effect> {
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

pub(crate) fn perform_action(model: &mut Model, id: crate::guide::ActionId) -> Vec<Effect> {
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

/// `y`: does what the question asked.
pub(crate) fn answer_yes(model: &mut Model) -> Vec<Effect> {
    match model.layers.take_question() {
        Some(Question::Discard) => discard_saved_progress(model),
        Some(Question::Drill) => drill::start_drill(model),
        Some(Question::DeleteKey) => super::keys::delete_confirmed(model),
        Some(Question::Action(id)) => perform_action(model, id),
        None => Vec::new(),
    }
}

/// The kit's action ended: say how.
pub(crate) fn action_finished(
    model: &mut Model,
    outcome: crate::checks::ActionOutcome,
) -> Vec<Effect> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::features::testing::on_step;

    #[test]
    fn yes_without_a_question_does_nothing_and_no_says_nothing_was_done() {
        let mut model = on_step(0);
        assert!(answer_yes(&mut model).is_empty());
        model.layers.ask(Question::Discard);
        decline(&mut model);
        assert_eq!(model.layers.question(), None);
        assert!(model.status.is_some(), "declining is said");
        assert!(
            answer_yes(&mut model).is_empty(),
            "the answered question is gone"
        );
    }
}
