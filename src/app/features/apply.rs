//! "Do it for me" in the wizard: the plan read for this step (or every step), the admin's
//! y, the writes under way, and what was made recorded and checked.

use crate::app::effect::{ApplierHandle, Effect};
use crate::app::layout::{regions_of, wrap};
use crate::app::model::{ApplyPhase, Layer, Model, Screen, StatusKind};
use crate::app::transitions::{run_checks, save, status};
use crate::guide::FieldId;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

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

/// Scrolls the plan or what was done, never past its end.
pub(crate) fn scroll(model: &mut Model, lines: i32) {
    let most = apply_scroll_limit(model) as i64;
    if let Some(pane) = model.layers.apply_mut() {
        pane.scroll = (pane.scroll as i64 + i64::from(lines)).clamp(0, most) as usize;
    }
}

/// The "do it for me" view as lines: what it is, the plan (or what was done), what to press,
/// and the calls made so far.
pub fn apply_view(model: &Model, width: u16) -> Vec<Line<'static>> {
    use crate::guide::apply::{Applied, Change};
    let theme = model.theme;
    let width = usize::from(width.max(10));
    let Some(pane) = model.layers.apply() else {
        return Vec::new();
    };
    let mut lines = Vec::new();
    let scope = match pane.step {
        Some(step) => model
            .guide()
            .steps
            .iter()
            .find(|s| s.id == step)
            .map(|s| format!("step {}", s.title))
            .unwrap_or_else(|| "this step".into()),
        None => "every step".into(),
    };
    lines.push(Line::styled(
        format!("Do it for me · {scope}"),
        theme.title(),
    ));
    let say = |lines: &mut Vec<Line<'static>>, text: &str, style: Style, indent: usize| {
        for piece in wrap(text, width.saturating_sub(indent)) {
            lines.push(Line::styled(
                format!("{}{piece}", " ".repeat(indent)),
                style,
            ));
        }
    };
    match pane.phase {
        crate::app::model::ApplyPhase::Planning => {
            say(
                &mut lines,
                "Reading what exists with your credentials; nothing is written before you press y.",
                theme.dim(),
                0,
            );
        }
        _ => {
            say(
                &mut lines,
                "Nothing is deleted; what exists and differs changes only if you allow updates (u), and then only as its diff shows.",
                theme.dim(),
                0,
            );
        }
    }
    lines.push(Line::default());
    for planned in &pane.plan {
        let done = pane.done.iter().find(|d| d.planned.id == planned.id);
        let (mark, style, word) = match (done.and_then(|d| d.applied.as_ref()), &planned.change) {
            (Some(Applied::Made { .. }), _) => ("✓", theme.success(), "made"),
            (Some(Applied::Changed { .. }), _) => ("✓", theme.success(), "changed"),
            (Some(Applied::Refused { .. }), _) => ("✗", theme.error(), "refused"),
            (None, Change::Create) if done.is_some() => ("-", theme.dim(), "skipped"),
            (None, Change::Create) => ("+", Style::default(), "will create"),
            (None, Change::AsWanted) => ("=", theme.dim(), "as wanted"),
            (None, Change::Differs { .. }) if done.is_some() => ("-", theme.dim(), "left as it is"),
            (None, Change::Differs { .. }) => ("~", theme.warning(), "differs"),
            (None, Change::Cannot { .. }) => ("!", theme.error(), "cannot"),
            (None, Change::Unknown { .. }) => ("?", theme.warning(), "unknown"),
        };
        say(
            &mut lines,
            &format!("{mark} {word}: {}", planned.title),
            style,
            0,
        );
        match (&planned.change, done.and_then(|d| d.applied.as_ref())) {
            (_, Some(Applied::Refused { why })) => say(&mut lines, why, theme.error(), 4),
            (Change::Differs { diff }, None) => say(&mut lines, diff, Style::default(), 4),
            (Change::Cannot { why }, _) => say(&mut lines, why, theme.error(), 4),
            (Change::Unknown { why }, _) => say(&mut lines, why, theme.warning(), 4),
            _ => {}
        }
    }
    lines.push(Line::default());
    match (&pane.outcome, pane.phase) {
        (Some(outcome), _) => say(&mut lines, outcome, Style::default(), 0),
        (None, crate::app::model::ApplyPhase::Planned) => say(
            &mut lines,
            &format!(
                "y applies this plan; u allows updates (now {}); Esc goes back.",
                if pane.allow_update {
                    "on: what differs is changed too"
                } else {
                    "off: what differs is left as it is"
                }
            ),
            theme.focus(),
            0,
        ),
        (None, crate::app::model::ApplyPhase::Applying) => {
            say(&mut lines, "Applying…", theme.focus(), 0)
        }
        _ => {}
    }
    if !pane.calls.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled("Calls made", theme.title()));
        for call in &pane.calls {
            let time = call.at.get(11..19).unwrap_or(&call.at).to_string();
            let text = format!(
                "{time} {} {} · {} ({} ms)",
                call.method, call.resource, call.outcome, call.millis
            );
            for piece in wrap(&text, width.saturating_sub(2)) {
                lines.push(Line::styled(format!("  {piece}"), theme.dim()));
            }
        }
    }
    lines
}

/// How far the "do it for me" view can scroll.
pub fn apply_scroll_limit(model: &Model) -> usize {
    let area = regions_of(model).content;
    apply_view(model, area.width)
        .len()
        .saturating_sub(usize::from(area.height))
}

pub(crate) fn draw_apply(frame: &mut Frame, model: &Model, area: Rect) {
    let lines = apply_view(model, area.width);
    let height = usize::from(area.height);
    let max_scroll = lines.len().saturating_sub(height);
    let scroll = model
        .layers
        .apply()
        .map(|p| p.scroll)
        .unwrap_or(0)
        .min(max_scroll);
    let visible: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible), area);
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
