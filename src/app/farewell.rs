//! What the wizard prints when it closes, on the normal screen the admin returns to: where
//! the setup stands, where progress is kept, and the command to go on.

use std::path::Path;

use super::model::{Model, Saving, Screen, StepState};
use crate::guide::SetupPath;

/// A few lines for after the wizard: where the setup stands (the step, the steps done, the
/// registration, the last checks' verdict) and how to go on, wrapped at the terminal's width
/// and in ASCII where the terminal shows only that. `saved_to` is the progress file when this
/// run saved it.
pub fn farewell(model: &Model, saved_to: Option<&Path>) -> String {
    let mut said: Vec<String> = Vec::new();
    let steps = model.guide().steps.len();
    let setup = format!(
        "{} · {}",
        model.cloud.display_name(),
        model.path.display_name()
    );
    match model.screen {
        Screen::ResumeOffer => {
            said.push("ekm-wizard: nothing changed; the saved progress is as it was.".into());
            said.push(format!("To go on: {}", go_on_command(model)));
            return fitted(model, &said);
        }
        Screen::Start => said.push(format!("ekm-wizard: {setup}: on the start screen.")),
        Screen::Step(index) => {
            let title = &model.guide().steps[index.min(steps.saturating_sub(1))].title;
            said.push(format!(
                "ekm-wizard: {setup}: at step {} of {steps}, {title}.",
                index + 1
            ));
        }
    }
    let done = (0..steps)
        .filter(|i| model.step_state(*i) == StepState::Done)
        .count();
    said.push(format!("Steps done: {done} of {steps}."));
    match (&model.external_key_id, model.path) {
        (Some(key), _) => {
            let project = model
                .project_id
                .as_deref()
                .map(|p| format!(", project {p}"))
                .unwrap_or_default();
            said.push(format!("Registered with OpenAI: key {key}{project}."));
        }
        (None, SetupPath::Api) => {
            said.push("Not registered with OpenAI yet (the last step registers).".into())
        }
        (None, SetupPath::ChatGpt) => {}
    }
    if model.checks.results.is_empty() {
        said.push("Live checks: none ran in this run (k checks a step).".into());
    } else {
        let verdict = crate::checks::Verdict::of(&model.checks.results);
        let words = crate::checks::verdict::words(
            verdict,
            &model.checks.results,
            crate::checks::verdict::Length::StatusLine,
        );
        said.push(format!("Last checks: {}", words.text));
    }
    match (&model.saving, saved_to) {
        (_, Some(path)) => {
            said.push(format!(
                "Progress is saved in {} (never a secret).",
                crate::clipboard::shown(path)
            ));
            said.push(format!(
                "To go on: {}   (Enter resumes)",
                go_on_command(model)
            ));
        }
        (Saving::Disabled(reason), None) => {
            said.push(format!("Progress was not saved: {reason}."));
        }
        (Saving::Enabled, None) => said.push("Progress was not saved in this run.".into()),
    }
    fitted(model, &said)
}

/// The command that goes on: the wizard, with the Management API base it used when that is
/// not OpenAI's own.
fn go_on_command(model: &Model) -> String {
    match &model.registration.api_base {
        Some(Ok(base)) if base.to_string() != crate::identities::OPENAI_API_BASE => {
            format!("ekm-wizard --api-base {base}")
        }
        _ => "ekm-wizard".to_string(),
    }
}

/// The lines wrapped at the terminal's width (a path or a command is never broken: a word
/// longer than a line has a line of its own), each ending in a newline; in ASCII where the
/// terminal shows only that.
fn fitted(model: &Model, said: &[String]) -> String {
    let width = usize::from(model.width.max(20));
    let mut out = String::new();
    for sentence in said {
        let sentence = if model.theme.ascii {
            sentence
                .chars()
                .map(|c| {
                    let mut buffer = [0u8; 4];
                    let symbol = c.encode_utf8(&mut buffer);
                    super::theme::ascii_for(symbol)
                        .unwrap_or(symbol)
                        .to_string()
                })
                .collect::<String>()
        } else {
            sentence.clone()
        };
        let mut line = String::new();
        for word in sentence.split(' ') {
            let fits =
                unicode_width::UnicodeWidthStr::width(format!("{line} {word}").as_str()) <= width;
            if !line.is_empty() && !fits {
                out.push_str(line.trim_end());
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
