//! The generated blocks: copying one (or one of its values), writing it to a file, and saying
//! where it went.

use crate::app::effect::Effect;
use crate::app::model::{Focusable, Model, Status, StatusKind};
use crate::app::transitions::status;
use crate::artifacts;
use crate::clipboard::CopyRoute;

/// 1–9 on a block: one of its values alone, for a console that asks box by box.
pub(crate) fn copy_value(model: &mut Model, number: u8) -> Vec<Effect> {
    let Some(Focusable::Block(artifact)) = model.focused() else {
        return Vec::new();
    };
    let Ok(body) = artifacts::generate(model.cloud, artifact, &model.inputs(), model.path) else {
        return block_effect(model, false);
    };
    let values = artifacts::values_of(&body);
    let Some((path, value)) = values.get(usize::from(number).wrapping_sub(1)) else {
        model.status = Some(status(
            StatusKind::Info,
            if values.is_empty() {
                "This block is one value: c copies it.".into()
            } else {
                format!(
                    "This block has {} values: press 1 to {}.",
                    values.len(),
                    values.len()
                )
            },
        ));
        return Vec::new();
    };
    let title = &model.guide().artifact_text(artifact).title;
    vec![Effect::CopyToClipboard {
        what: format!("{path} of {title}"),
        text: value.clone(),
        file_name: format!(
            "{}-{}-{}.txt",
            model.cloud.key(),
            artifact.file_stem(),
            path.replace(['.', '[', ']'], "-").trim_end_matches('-')
        ),
    }]
}

/// v on a block: its exact text, unframed and unfolded, on the terminal's own screen.
pub(crate) fn show_exact_text(model: &mut Model) -> Vec<Effect> {
    let Some(Focusable::Block(artifact)) = model.focused() else {
        model.status = Some(status(
            StatusKind::Info,
            "v shows a generated block's exact text: Tab to a block first.".into(),
        ));
        return Vec::new();
    };
    let title = model.guide().artifact_text(artifact).title.clone();
    match artifacts::generate(model.cloud, artifact, &model.inputs(), model.path) {
        Ok(body) => vec![Effect::ShowExactText {
            title,
            text: body.to_text(),
        }],
        Err(_) => block_effect(model, false),
    }
}

/// Alt-L (or l): the step's console link, whole, however the screen wraps it.
pub(crate) fn copy_console_link(model: &mut Model) -> Vec<Effect> {
    let inputs = model.inputs();
    let Some(url) = model
        .current_step()
        .and_then(|(_, step)| step.console_url(&inputs))
    else {
        model.status = Some(status(
            StatusKind::Info,
            "No console link here: the steps that have one show it under their title.".into(),
        ));
        return Vec::new();
    };
    let step = model.current_step().map(|(i, _)| i + 1).unwrap_or(0);
    vec![Effect::CopyToClipboard {
        what: format!("{CONSOLE_LINK} of step {step}"),
        text: url,
        file_name: format!("{}-step-{step}-console-link.txt", model.cloud.key()),
    }]
}

pub(crate) fn block_effect(model: &mut Model, to_file: bool) -> Vec<Effect> {
    let Some(Focusable::Block(artifact)) = model.focused() else {
        model.status = Some(status(
            StatusKind::Info,
            "Nothing to copy here: Tab to a generated block first.".into(),
        ));
        return Vec::new();
    };
    let what = model.guide().artifact_text(artifact).title.clone();
    match artifacts::generate(model.cloud, artifact, &model.inputs(), model.path) {
        Ok(body) => {
            let file_name = format!(
                "{}-{}.{}",
                model.cloud.key(),
                artifact.file_stem(),
                body.extension()
            );
            let text = body.to_text();
            if to_file {
                vec![Effect::WriteToFile {
                    what,
                    text,
                    file_name,
                }]
            } else {
                vec![Effect::CopyToClipboard {
                    what,
                    text,
                    file_name,
                }]
            }
        }
        Err(missing) => {
            let first = missing.first().map(|e| e.to_string()).unwrap_or_default();
            model.status = Some(status(
                StatusKind::Error,
                format!("{what} is not ready: {first}"),
            ));
            Vec::new()
        }
    }
}

pub(crate) fn remember_status_error(model: &mut Model) {
    if let Some(Status {
        kind: StatusKind::Error,
        text,
        ..
    }) = model.status.clone()
    {
        model.remember_error(&text);
    }
}

/// What a copied console link is called.
const CONSOLE_LINK: &str = "the console link";

/// A copy ended: say where the text went, or why it did not.
pub(crate) fn copy_finished(
    model: &mut Model,
    what: &str,
    outcome: Result<CopyRoute, String>,
) -> Vec<Effect> {
    model.status = Some(match outcome {
        Ok(route @ CopyRoute::File(_)) => status(StatusKind::Info, format!("Wrote {what} {route}")),
        // No terminal confirms an OSC 52 copy, and a multiplexer may drop it: say so.
        Ok(CopyRoute::Terminal { through }) => status(
            StatusKind::Info,
            format!(
                "Sent {what} to your terminal's clipboard (OSC 52{}); it cannot confirm it arrived: if pasting gives nothing, {}.",
                through
                    .map(|t| format!(", through {t}, which passes it on only if set up to"))
                    .unwrap_or_default(),
                // w writes the focused block, not a link.
                if what.starts_with(CONSOLE_LINK) {
                    "select the link on the step with the mouse, or start the wizard with EKM_WIZARD_CLIPBOARD=file"
                } else {
                    "press w to write it to a file"
                }
            ),
        ),
        Ok(route) => status(StatusKind::Success, format!("Copied {what} {route}")),
        Err(err) => status(StatusKind::Error, format!("Could not copy {what}: {err}")),
    });
    remember_status_error(model);
    Vec::new()
}

/// A file was written, or not: say where, or why.
pub(crate) fn file_written(
    model: &mut Model,
    what: &str,
    outcome: Result<std::path::PathBuf, String>,
) -> Vec<Effect> {
    model.status = Some(match outcome {
        Ok(path) => status(
            StatusKind::Success,
            format!("Wrote {what} to {}", crate::clipboard::shown(&path)),
        ),
        Err(err) => status(StatusKind::Error, format!("Could not write {what}: {err}")),
    });
    remember_status_error(model);
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::features::testing::on_step;

    #[test]
    fn an_unconfirmed_copy_of_a_link_does_not_send_to_w() {
        let mut model = on_step(0);
        let through = CopyRoute::Terminal {
            through: Some("tmux"),
        };
        copy_finished(
            &mut model,
            "the console link of step 1",
            Ok(through.clone()),
        );
        let said = model.status.as_ref().unwrap().text.clone();
        assert!(!said.contains("press w"), "{said}");
        copy_finished(&mut model, "Key policy", Ok(through));
        assert!(model.status.as_ref().unwrap().text.contains("press w"));
    }

    #[test]
    fn copying_needs_a_block_and_a_copy_that_failed_is_remembered() {
        let mut model = on_step(0);
        model.focus_hidden = true;
        assert!(block_effect(&mut model, false).is_empty());
        assert!(
            model
                .status
                .as_ref()
                .unwrap()
                .text
                .contains("Tab to a generated block"),
            "it says how to get to one"
        );
        copy_finished(&mut model, "the policy", Err("no clipboard".into()));
        assert_eq!(model.status.as_ref().unwrap().kind, StatusKind::Error);
        assert!(
            model
                .recent_errors
                .iter()
                .any(|e| e.contains("no clipboard"))
        );
    }
}
