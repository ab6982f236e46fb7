//! "Do it for me" in the wizard: the plan read for this step (or every step), the admin's
//! y, the writes under way, and what was made recorded and checked.

use crate::app::effect::{ApplierHandle, Effect};
use crate::app::model::{ApplyPhase, Layer, Model, Screen, StatusKind};
use crate::app::transitions::{run_checks, save, status};
use crate::guide::FieldId;

/// `m`: plans "do it for me" for this step (or, on the start screen, every step).
pub(crate) fn open_apply(model: &mut Model) -> Vec<Effect> {
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
        Some(Ok(applier)) => {
            let applier = ApplierHandle(std::sync::Arc::from(applier));
            model
                .layers
                .open(Layer::Apply(crate::app::model::ApplyPane {
                    step: model.current_step().map(|(_, step)| step.id),
                    applier: Some(applier.clone()),
                    phase: ApplyPhase::Planning,
                    plan: Vec::new(),
                    done: Vec::new(),
                    calls: Vec::new(),
                    allow_update: false,
                    outcome: None,
                    scroll: 0,
                }));
            vec![Effect::PlanApply {
                cloud: model.cloud,
                applier,
            }]
        }
    }
}

pub(crate) fn confirm_apply(model: &mut Model) -> Vec<Effect> {
    let cloud = model.cloud;
    let Some(pane) = model.layers.apply_mut() else {
        return Vec::new();
    };
    if pane.phase != ApplyPhase::Planned || !crate::apply::readiness(&pane.plan).may_write() {
        return Vec::new();
    }
    let Some(applier) = pane.applier.clone() else {
        return Vec::new();
    };
    pane.phase = ApplyPhase::Applying;
    vec![Effect::RunApply {
        cloud,
        applier,
        plan: pane.plan.clone(),
        allow_update: pane.allow_update,
    }]
}

/// After a run: the values it made are recorded, what happened is said, and the checks run.
pub(crate) fn apply_finished(
    model: &mut Model,
    outputs: Result<Vec<(FieldId, String)>, String>,
    calls: Vec<crate::guide::apply::Call>,
) -> Vec<Effect> {
    let outputs = match outputs {
        Ok(outputs) => outputs,
        Err(why) => {
            if let Some(pane) = model.layers.apply_mut() {
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
    let Some(pane) = model.layers.apply_mut() else {
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

/// The plan read: this step's part of it, and what it allows.
pub(crate) fn planned(
    model: &mut Model,
    planned: Result<Vec<crate::guide::apply::Planned>, String>,
    calls: Vec<crate::guide::apply::Call>,
) -> Vec<Effect> {
    if let Some(pane) = model.layers.apply_mut()
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

/// `u`: allow (or no longer allow) changing what differs.
pub(crate) fn toggle_allow_update(model: &mut Model) -> Vec<Effect> {
    if let Some(pane) = model.layers.apply_mut()
        && pane.phase == ApplyPhase::Planned
    {
        pane.allow_update = !pane.allow_update;
    }
    Vec::new()
}

/// One resource done (or skipped), with the calls so far.
pub(crate) fn progress(
    model: &mut Model,
    done: crate::apply::Done,
    calls: Vec<crate::guide::apply::Call>,
) -> Vec<Effect> {
    if let Some(pane) = model.layers.apply_mut() {
        pane.done.push(done);
        pane.calls = calls;
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::model::{ApplyPane, StartOptions};
    use crate::guide::StepId;
    use crate::guide::apply::{Change, Planned};

    /// An applier the pure update only hands on; nothing here connects it.
    struct HandedOn;

    #[async_trait::async_trait]
    impl crate::guide::apply::Applier for HandedOn {
        async fn connect(
            &self,
            _options: &crate::guide::plan::CheckOptions,
            _log: crate::guide::apply::CallLog,
        ) -> Result<Box<dyn crate::guide::apply::ApplySession + '_>, crate::guide::plan::CannotCheck>
        {
            Err(crate::guide::plan::CannotCheck(
                "not connected in a pure test".into(),
            ))
        }
    }

    fn planning() -> Model {
        let mut model = Model::new(StartOptions {
            width: 80,
            height: 24,
            ..Default::default()
        });
        model
            .layers
            .open(crate::app::model::Layer::Apply(ApplyPane {
                step: None,
                applier: Some(ApplierHandle(std::sync::Arc::new(HandedOn))),
                phase: ApplyPhase::Planning,
                plan: Vec::new(),
                done: Vec::new(),
                calls: Vec::new(),
                allow_update: false,
                outcome: None,
                scroll: 0,
            }));
        model
    }

    fn resource(id: &'static str, change: Change) -> Planned {
        Planned::new(id, id.into(), StepId::new("s"), change)
    }

    #[test]
    fn only_a_plan_that_is_all_known_and_has_work_can_be_confirmed() {
        let mut model = planning();
        planned(
            &mut model,
            Ok(vec![
                resource("key", Change::Create),
                resource(
                    "role",
                    Change::Unknown {
                        why: "refused".into(),
                    },
                ),
            ]),
            Vec::new(),
        );
        assert!(
            model.layers.apply().unwrap().outcome.is_some(),
            "the headline says why"
        );
        assert!(confirm_apply(&mut model).is_empty(), "nothing written");

        let mut model = planning();
        planned(
            &mut model,
            Ok(vec![resource("key", Change::Create)]),
            Vec::new(),
        );
        let planned_with = model.layers.apply().unwrap().applier.clone();
        match confirm_apply(&mut model).as_slice() {
            [Effect::RunApply { applier, .. }] => {
                assert_eq!(Some(applier), planned_with.as_ref(), "the same applier")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(model.layers.apply().unwrap().phase, ApplyPhase::Applying);
        // Asked twice, written once.
        assert!(confirm_apply(&mut model).is_empty());
    }

    #[test]
    fn a_plan_that_could_not_be_read_ends_the_pane_saying_so() {
        let mut model = planning();
        planned(&mut model, Err("no credentials".into()), Vec::new());
        let pane = model.layers.apply().unwrap();
        assert_eq!(pane.phase, ApplyPhase::Finished);
        assert!(pane.outcome.as_deref().unwrap().contains("no credentials"));
    }
}
