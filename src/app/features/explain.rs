//! Explaining an error in the wizard: closing the pane (what was pasted is kept for the
//! support bundle) and going to the step that fixes what it found.

use crate::app::effect::Effect;
use crate::app::layout::{self};
use crate::app::model::ExplainPane;
use crate::app::model::{Layer, LayerKind, Model, Screen, StatusKind};
use crate::app::transitions::{go_to, save, status};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

/// Scrolls the explanation.
pub(crate) fn scroll(model: &mut Model, lines: i32) {
    if let Some(pane) = model.layers.explain_mut() {
        pane.scroll = (i64::from(pane.scroll) + i64::from(lines)).clamp(0, 500) as u16;
    }
}

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
    if entry.openai {
        model.status = Some(status(
            StatusKind::Info,
            format!(
                "{}: no step of the cloud's guide fixes that. {}",
                entry.title,
                entry.fixes.first().cloned().unwrap_or_default()
            ),
        ));
        return Vec::new();
    }
    if entry.local {
        model.status = Some(status(
            StatusKind::Info,
            format!(
                "A host could not be reached: no step fixes that; {}, then try again.",
                crate::net::LOCAL_NETWORK_ADVICE
            ),
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

/// The explain screen: the pasted text on top, what it means below.
pub(crate) fn draw_explain(frame: &mut Frame, model: &Model, pane: &ExplainPane, area: Rect) {
    let theme = model.theme;
    let width = usize::from(area.width);
    let editor_height = 6.min(area.height.saturating_sub(4));
    let intro = Rect::new(area.x, area.y, area.width, 2.min(area.height));
    frame.render_widget(
        Paragraph::new(vec![
            Line::styled("Explain an error", theme.title()),
            Line::styled(
                "Paste any error; secrets are masked as they arrive.",
                theme.dim(),
            ),
        ]),
        intro,
    );
    let editor_area = Rect::new(area.x, area.y + 2, area.width, editor_height);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Error text ")
        .border_style(theme.focus());
    let inner = block.inner(editor_area);
    frame.render_widget(block, editor_area);
    frame.render_widget(&pane.editor, inner);

    let result_area = Rect::new(
        area.x,
        area.y + 2 + editor_height,
        area.width,
        area.height.saturating_sub(2 + editor_height),
    );
    let text = pane.text();
    let mut lines: Vec<Line> = Vec::new();
    let mut push = |text: &str, style: Style, indent: usize| {
        for line in layout::wrap(text, width.saturating_sub(indent)) {
            lines.push(Line::styled(format!("{}{line}", " ".repeat(indent)), style));
        }
    };
    if text.trim().is_empty() {
        push(
            "What it means, what to do and the step to revisit appear here.",
            theme.dim(),
            0,
        );
    } else {
        match crate::explain::explain(&text) {
            None => push(
                "No known EKM error matched this text. Check it is the whole message; otherwise share it with your OpenAI contact (Esc, then e exports a support bundle).",
                theme.warning(),
                0,
            ),
            Some(explanation) => {
                let entry = explanation.entry;
                push(
                    &format!("{} · {}", entry.origin(), entry.title),
                    theme.error(),
                    0,
                );
                push(entry.meaning.trim(), Style::default(), 0);
                for (number, fix) in entry.fixes.iter().enumerate() {
                    push(&format!("{}. {fix}", number + 1), Style::default(), 2);
                }
                if entry.may_be_propagation {
                    push(
                        "May be propagation: if you changed this in the last few minutes, wait and retry first.",
                        theme.warning(),
                        0,
                    );
                }
                for comparison in crate::explain::compare(&explanation, &model.inputs()) {
                    let (line, style) = match &comparison.recorded {
                        Some(recorded) if comparison.differs() => (
                            format!(
                                "{}: the error names {} but you recorded {recorded}",
                                comparison.part, comparison.found
                            ),
                            theme.error(),
                        ),
                        Some(_) => (
                            format!("{}: {} (as recorded)", comparison.part, comparison.found),
                            theme.success(),
                        ),
                        None => (
                            format!("{}: {}", comparison.part, comparison.found),
                            theme.dim(),
                        ),
                    };
                    push(&line, style, 0);
                }
                if let Some((index, title)) = entry.step_position() {
                    let hint = if entry.cloud == model.cloud {
                        format!("Ctrl-G: go to step {}, {title}", index + 1)
                    } else {
                        format!(
                            "Step to revisit: {} step {}, {title}",
                            entry.cloud.display_name(),
                            index + 1
                        )
                    };
                    push(&hint, theme.focus(), 0);
                }
            }
        }
    }
    let scroll = pane
        .scroll
        .min(lines.len().saturating_sub(usize::from(result_area.height)) as u16);
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), result_area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::features::testing::on_step;

    #[test]
    fn an_admin_key_refusal_sends_to_no_step_and_says_it_is_openais() {
        let mut model = on_step(0);
        model.remember_error(
            r#"401 {"error":{"message":"Incorrect API key provided: sk-admin-****abcd.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
        );
        open_explain(&mut model);
        assert!(model.layers.explain().is_some());
        go_to_explained_step(&mut model);
        assert_eq!(
            model.screen,
            Screen::Step(0),
            "no step of the guide fixes an admin key"
        );
        let said = model.status.as_ref().unwrap().text.clone();
        assert!(said.contains("admin key"), "{said}");
        assert!(!said.contains("could not be reached"), "{said}");
    }
}
