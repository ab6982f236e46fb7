//! What the wizard prints when it closes, on the normal screen the admin returns to: where
//! the setup stands, where progress is kept, and the command to go on.

use std::path::Path;

use super::model::{Model, Saving, Screen};

/// A few lines for after the wizard: where the setup stands and how to go on. `saved_to` is
/// the progress file when this run saved it.
pub fn farewell(model: &Model, saved_to: Option<&Path>) -> String {
    let mut out = String::new();
    let steps = model.guide().steps.len();
    match model.screen {
        Screen::ResumeOffer => {
            out.push_str("ekm-wizard: nothing changed; the saved progress is as it was.\n");
            out.push_str("To go on: ekm-wizard\n");
            return out;
        }
        Screen::Start => out.push_str(&format!(
            "ekm-wizard: {} · {}: on the start screen.\n",
            model.cloud.display_name(),
            model.path.display_name()
        )),
        Screen::Step(index) => {
            let title = &model.guide().steps[index.min(steps.saturating_sub(1))].title;
            out.push_str(&format!(
                "ekm-wizard: {} · {}: at step {} of {steps}, {title}.\n",
                model.cloud.display_name(),
                model.path.display_name(),
                index + 1
            ));
        }
    }
    if let Some(key) = &model.external_key_id {
        let project = model
            .project_id
            .as_deref()
            .map(|p| format!(", project {p}"))
            .unwrap_or_default();
        out.push_str(&format!("Registered: key {key}{project}.\n"));
    }
    match (&model.saving, saved_to) {
        (_, Some(path)) => out.push_str(&format!(
            "Progress is saved in {} (never a secret).\nTo go on: ekm-wizard   (Enter resumes)\n",
            crate::clipboard::shown(path)
        )),
        (Saving::Disabled(reason), None) => {
            out.push_str(&format!("Progress was not saved: {reason}.\n"));
        }
        (Saving::Enabled, None) => out.push_str("Progress was not saved in this run.\n"),
    }
    out
}
