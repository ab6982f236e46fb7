//! Drawing: borrows the model and paints one frame. Never changes the model.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState, Wrap,
};

use super::features::{apply, as_code, explain, help, keys};
use super::keymap::footer_keys;
use super::layout::{self, EDITOR_INDENT};
use super::model::{Layer, LayerKind, Model, Saving, Screen, StatusKind, StepState};
use unicode_width::UnicodeWidthStr;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, model: &Model) {
    draw_everything(frame, model);
    if model.theme.ascii {
        to_ascii(frame);
    }
}

/// Redraws what a terminal that shows only ASCII cannot: each other character becomes its
/// one-cell stand-in (a wide one, its stand-in and a space).
fn to_ascii(frame: &mut Frame) {
    let area = frame.area();
    let buffer = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        let mut widened = false;
        for x in area.left()..area.right() {
            let cell = &mut buffer[(x, y)];
            let symbol = cell.symbol();
            if widened && symbol.is_empty() {
                cell.set_symbol(" ");
                widened = false;
                continue;
            }
            widened = false;
            if let Some(stand_in) = super::theme::ascii_for(symbol) {
                widened = unicode_width::UnicodeWidthStr::width(symbol) > 1;
                cell.set_symbol(stand_in);
            }
        }
    }
}

fn draw_everything(frame: &mut Frame, model: &Model) {
    let area = frame.area();
    if !layout::fits(area.width, area.height) {
        draw_too_small(frame, model, area);
        return;
    }
    // Wrapped once a frame: its rows size the regions, its text fills the status line.
    let status = layout::status_lines(model);
    let regions = layout::regions(area, status.len().max(1) as u16);
    draw_header(frame, model, regions.header);
    draw_step_list(frame, model, regions.steps);
    match model.layers.content() {
        Some(Layer::Explain(pane)) => explain::draw_explain(frame, model, pane, regions.content),
        Some(Layer::AsCode(pane)) => as_code::draw_as_code(frame, model, *pane, regions.content),
        Some(Layer::Apply(_)) => apply::draw_apply(frame, model, regions.content),
        Some(Layer::Keys(_)) => keys::draw_keys(frame, model, regions.content),
        _ => draw_content(frame, model, regions.content),
    }
    draw_status(frame, model, &status, regions.status);
    draw_footer(frame, model, regions.footer);
    if model.layers.has(LayerKind::Help) {
        help::draw_help(frame, model, area);
    }
}

fn draw_too_small(frame: &mut Frame, model: &Model, area: Rect) {
    let text = format!(
        "ekm-wizard needs a terminal of at least {}×{}; this one is {}×{}. Enlarge the window, or press Ctrl-Q to quit (progress is saved).",
        layout::MIN_WIDTH,
        layout::MIN_HEIGHT,
        area.width,
        area.height
    );
    frame.render_widget(
        Paragraph::new(text)
            .style(model.theme.warning())
            .wrap(Wrap { trim: true }),
        area,
    );
}

fn step_of(model: &Model) -> String {
    let steps = model.guide().steps.len();
    match model.layers.content().map(Layer::kind) {
        Some(LayerKind::Explain) => return "Explain an error".into(),
        Some(LayerKind::AsCode) => return "As code".into(),
        Some(LayerKind::Apply) => return "Do it for me".into(),
        Some(LayerKind::Keys) => return "Keys at OpenAI".into(),
        _ => {}
    }
    match model.screen {
        Screen::ResumeOffer => "Resume?".into(),
        Screen::Start => "Start".into(),
        Screen::Step(index) => format!("Step {} of {steps}", index + 1),
    }
}

fn draw_header(frame: &mut Frame, model: &Model, area: Rect) {
    let theme = model.theme;
    let left = Line::from(vec![
        Span::styled(" ekm-wizard ", theme.bar().patch(theme.title())),
        Span::styled(
            format!(
                "│ {} · {}",
                model.cloud.display_name(),
                model.path.display_name()
            ),
            theme.bar(),
        ),
    ]);
    frame.render_widget(Paragraph::new(left).style(theme.bar()), area);
    frame.render_widget(
        Paragraph::new(format!("{} ", step_of(model)))
            .style(theme.bar().patch(theme.title()))
            .alignment(Alignment::Right),
        area,
    );
}

fn draw_step_list(frame: &mut Frame, model: &Model, area: Rect) {
    let theme = model.theme;
    // Folded on a narrow screen: marks and numbers only (the step's title heads the content).
    let folded = area.width < layout::STEP_LIST_WIDTH;
    let mut lines = vec![
        Line::styled(if folded { "" } else { " Steps" }, theme.title()),
        Line::default(),
    ];
    let start_mark = match model.screen {
        Screen::Start => ("▸", theme.focus()),
        _ if model.start_problem().is_none() => ("✓", theme.success()),
        _ => (" ", Style::default()),
    };
    lines.push(Line::from(vec![
        Span::styled(format!(" {} ", start_mark.0), start_mark.1),
        Span::styled(
            if folded { "S" } else { "Start" },
            if model.screen == Screen::Start {
                theme.focus()
            } else {
                Style::default()
            },
        ),
    ]));
    {
        for (index, step) in model.guide().steps.iter().enumerate() {
            let current = model.screen == Screen::Step(index);
            let (mark, style) = match (current, model.step_state(index)) {
                (true, _) => ("▸", theme.focus()),
                (false, StepState::Done) => ("✓", theme.success()),
                (false, StepState::Invalid) => ("!", theme.error()),
                (false, StepState::Pending) => ("·", theme.dim()),
            };
            let label_style = if current {
                theme.focus()
            } else {
                Style::default()
            };
            lines.push(Line::from(vec![
                Span::styled(format!(" {mark} "), style),
                Span::styled(
                    if folded {
                        format!("{}", index + 1)
                    } else {
                        format!("{} {}", index + 1, step.short)
                    },
                    label_style,
                ),
            ]));
        }
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::RIGHT)
                .border_style(theme.dim()),
        ),
        area,
    );
}

fn draw_content(frame: &mut Frame, model: &Model, area: Rect) {
    let content = layout::content(model, area.width);
    let height = usize::from(area.height);
    let max_scroll = content.lines.len().saturating_sub(height);
    let scroll = model.scroll.min(max_scroll);
    let visible: Vec<Line> = content
        .lines
        .iter()
        .skip(scroll)
        .take(height)
        .cloned()
        .collect();
    frame.render_widget(Paragraph::new(visible), area);
    for anchor in &content.anchors {
        let (Some(line), super::model::Focusable::Field(field)) = (anchor.editor_line, anchor.item)
        else {
            continue;
        };
        if line < scroll || line >= scroll + height {
            continue;
        }
        let Some(editor) = model.editors.get(&field) else {
            continue;
        };
        let rect = Rect::new(
            area.x + EDITOR_INDENT,
            area.y + (line - scroll) as u16,
            area.width.saturating_sub(EDITOR_INDENT),
            1,
        );
        let value = editor.lines().first().map(String::as_str).unwrap_or("");
        let focused = !model.focus_hidden && model.focused_field() == Some(field);
        if !focused && value.width() > usize::from(rect.width) {
            // Away from the focus a long value shows its start, as it was typed, and `…`
            // where the rest is hidden: never an ARN without its `arn:`.
            let shown = layout::shorten_chars(value, usize::from(rect.width));
            frame.render_widget(Paragraph::new(shown), rect);
            continue;
        }
        frame.render_widget(editor, rect);
        if editor.scroll_offset().1 > 0 && rect.width > 1 {
            // Scrolled while typing: `…` where the value's start is out of sight.
            frame.buffer_mut()[(rect.x, rect.y)]
                .set_symbol("…")
                .set_style(model.theme.dim());
        }
    }
    if max_scroll > 0 {
        let mut state = ScrollbarState::new(max_scroll).position(scroll);
        let bar_area = Rect::new(area.x + area.width, area.y, 1, area.height);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(Some("↑"))
                .end_symbol(Some("↓"))
                .style(model.theme.dim()),
            bar_area,
            &mut state,
        );
    }
}

fn draw_status(frame: &mut Frame, model: &Model, lines: &[String], area: Rect) {
    let theme = model.theme;
    let (text, style) = match (&model.status, &model.saving) {
        (Some(status), _) => {
            let style = match status.kind {
                StatusKind::Info => Style::default(),
                StatusKind::Success => theme.success(),
                StatusKind::Error => theme.error(),
            };
            (lines.join("\n"), style)
        }
        (None, Saving::Disabled(reason)) => (
            format!(" Progress will not be saved: {reason}"),
            theme.warning(),
        ),
        (None, Saving::Enabled) => (
            " Progress is saved as you go; secrets never are.".to_string(),
            theme.dim(),
        ),
    };
    frame.render_widget(Paragraph::new(text).style(style), area);
}

fn draw_footer(frame: &mut Frame, model: &Model, area: Rect) {
    let theme = model.theme;
    let mut spans = vec![Span::styled(" ", theme.bar())];
    for (key, does) in footer_that_fits(footer_keys(model), usize::from(area.width)) {
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::styled(format!(" {does}  "), theme.bar()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)).style(theme.bar()), area);
}

/// The footer's keys that fit in `width` columns: the first ones and the last (quitting) are
/// kept, and the ones just before the last go first, so no key is ever cut in half. The help
/// lists them all.
fn footer_that_fits(
    mut keys: Vec<(&'static str, &'static str)>,
    width: usize,
) -> Vec<(&'static str, &'static str)> {
    // A space, then each key as drawn: `key does  ` (the last two spaces may fall off).
    let used = |keys: &[(&str, &str)]| -> usize {
        keys.iter()
            .map(|(key, does)| key.chars().count() + does.chars().count() + 3)
            .sum::<usize>()
            .saturating_sub(1)
    };
    while keys.len() > 2 && used(&keys) > width {
        keys.remove(keys.len() - 2);
    }
    keys
}

/// A link on screen, to be written as a terminal hyperlink over the frame just drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hyperlink {
    pub x: u16,
    pub y: u16,
    /// The text the frame shows there (the same characters are written again, as a link).
    pub text: String,
    pub url: String,
}

/// The links of the step on screen, where the frame drew them: none while a layer covers the
/// content or the help is open, where the theme has no hyperlinks, or for a link holding
/// anything but printable ASCII (it could act on the terminal).
pub fn hyperlinks(model: &Model) -> Vec<Hyperlink> {
    let area = Rect::new(0, 0, model.width, model.height);
    if !model.theme.hyperlinks()
        || !layout::fits(area.width, area.height)
        || model.layers.content().is_some()
        || model.layers.has(LayerKind::Help)
        || !matches!(model.screen, Screen::Step(_))
    {
        return Vec::new();
    }
    let status = layout::status_lines(model);
    let content_area = layout::regions(area, status.len().max(1) as u16).content;
    let content = layout::content(model, content_area.width);
    let height = usize::from(content_area.height);
    let scroll = model.scroll.min(content.lines.len().saturating_sub(height));
    content
        .links
        .into_iter()
        .filter(|piece| piece.line >= scroll && piece.line < scroll + height)
        .filter(|piece| piece.url.chars().all(|c| c.is_ascii_graphic()))
        .map(|piece| Hyperlink {
            x: content_area.x + piece.column as u16,
            y: content_area.y + (piece.line - scroll) as u16,
            text: piece.text,
            url: piece.url,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_footer_too_long_drops_whole_keys_before_the_last_and_keeps_quitting() {
        let keys = vec![
            ("Tab", "next"),
            ("F1", "help"),
            ("Alt-]", "read ahead"),
            ("^Q", "quit"),
        ];
        assert_eq!(footer_that_fits(keys.clone(), 80), keys);
        let fitted = footer_that_fits(keys, 24);
        assert_eq!(fitted.last(), Some(&("^Q", "quit")));
        assert_eq!(fitted.first(), Some(&("Tab", "next")));
        assert!(fitted.len() < 4);
    }
}
