//! Explaining an error in the wizard: closing the pane (what was pasted is kept for the
//! support bundle) and going to the step that fixes what it found.

use crate::app::effect::Effect;
use crate::app::model::ExplainPane;
use crate::app::model::{Layer, LayerKind, Model, Screen, StatusKind};
use crate::app::transitions::{go_to, save, status};

/// Closes the explain screen, keeping what was pasted for the support bundle.
pub(crate) fn close_explain(model: &mut Model) {
    if let Some(Layer::Explain(pane)) = model.layers.close(LayerKind::Explain) {
        model.remember_error(&pane.text());
    }
}

pub(crate) fn go_to_explained_step(model: &mut Model) -> Vec<Effect> {
    let Some(pane) = model.layers.explain() else {
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

/// Opens the explain screen, holding the last thing that went wrong, if anything did.
pub(crate) fn open_explain(model: &mut Model) -> Vec<Effect> {
    if model.screen != Screen::ResumeOffer {
        // It opens on the last thing that went wrong, if anything did.
        let mut pane = match model.recent_errors.last() {
            Some(last) => ExplainPane::holding(last),
            None => ExplainPane::new(),
        };
        pane.editor.set_placeholder_style(model.theme.dim());
        model.layers.open(Layer::Explain(Box::new(pane)));
    }
    Vec::new()
}
