//! The revocation drill in the wizard: offered on the last step once a key is registered,
//! asked first, then under way with its lines in the status, and its end said.

use crate::app::effect::{Effect, TargetHandle};
use crate::app::model::{DrillOffer, LayerKind, Model, Question, Screen, StatusKind};
use crate::app::transitions::{request_means, status};
use crate::guide::SetupPath;

/// `d`: the revocation drill needs the registered key and the admin key; it asks first,
/// saying what it does to production.
pub(crate) fn offer_drill(model: &mut Model) -> Vec<Effect> {
    if model.busy() || model.drill != DrillOffer::Idle || model.layers.has(LayerKind::Question) {
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
            if model.path == SetupPath::ChatGpt {
                "No drill on the ChatGPT path: OpenAI registers the key there, so the wizard holds no key id to drill with. Switching the key off in your cloud is the revocation; your OpenAI contact can confirm it.".into()
            } else {
                "The drill runs on the last step once a key is registered there (or headless: ekm-wizard drill <cloud> --key-id …).".into()
            },
        ));
        return Vec::new();
    };
    model.layers.ask(Question::Drill);
    model.status = Some(status(
        StatusKind::Info,
        format!(
            "Revocation drill on {key_id}: the key goes off for a minute or two; validation fails at once, live traffic once OpenAI's cached data keys (up to an hour) run out. Esc switches it on. y starts, any other key cancels."
        ),
    ));
    Vec::new()
}

pub(crate) fn start_drill(model: &mut Model) -> Vec<Effect> {
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

/// A line of the drill under way, in the status.
pub(crate) fn progress(model: &mut Model, line: String) -> Vec<Effect> {
    if model.drill == DrillOffer::Running {
        model.status = Some(status(StatusKind::Info, format!("Drill: {line}")));
    }
    Vec::new()
}

/// The drill's end: proved, or why not (remembered for explain and the bundle).
pub(crate) fn finished(
    model: &mut Model,
    record: crate::after_setup::drill::DrillRecord,
) -> Vec<Effect> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::model::StartOptions;

    fn on_last_step(registered: bool) -> Model {
        let mut model = Model::new(StartOptions {
            args: crate::app::Preset {
                cloud: Some(crate::clouds::first()),
                org_id: Some("org-abc123".into()),
                ..Default::default()
            },
            width: 80,
            height: 24,
            ..Default::default()
        });
        model.screen = Screen::Step(model.guide().steps.len() - 1);
        if registered {
            model.external_key_id = Some("extkey_123".into());
        }
        model
    }

    #[test]
    fn the_drill_is_asked_first_and_only_with_a_registered_key() {
        let mut model = on_last_step(false);
        assert!(offer_drill(&mut model).is_empty());
        assert_eq!(
            model.layers.question(),
            None,
            "nothing to drill without a key"
        );
        let mut model = on_last_step(true);
        offer_drill(&mut model);
        assert_eq!(model.layers.question(), Some(Question::Drill));
        assert_eq!(model.drill, DrillOffer::Idle, "nothing starts before a yes");
        // Asked once: a second d does not ask again over the question.
        model.status = None;
        offer_drill(&mut model);
        assert!(model.status.is_none());
    }

    #[test]
    fn a_drill_line_shows_only_while_one_runs() {
        let mut model = on_last_step(true);
        progress(&mut model, "key switched off".into());
        assert!(model.status.is_none());
        model.drill = DrillOffer::Running;
        progress(&mut model, "key switched off".into());
        assert!(model.status.unwrap().text.contains("key switched off"));
    }
}
