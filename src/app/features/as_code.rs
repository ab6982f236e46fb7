//! The setup as code in the wizard: opening the view of the kit's files and copying or
//! writing the one on show.

use crate::app::effect::Effect;
use crate::app::layout::{regions_of, wrap, wrap_code};
use crate::app::model::{AsCodePane, Layer, Model, Screen, StatusKind};
use crate::app::transitions::status;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Scrollbar, ScrollbarOrientation, ScrollbarState};
use unicode_width::UnicodeWidthStr;

/// Opens the "as code" view, on the first file of the cloud's first code format.
pub(crate) fn open_as_code(model: &mut Model) -> Vec<Effect> {
    if model.screen == Screen::ResumeOffer {
        return Vec::new();
    }
    if model.cloud.kit().code_formats().is_empty() {
        model.status = Some(status(
            StatusKind::Info,
            format!(
                "{} has no as-code view: its steps are done in the console or with the commands shown.",
                model.cloud.display_name()
            ),
        ));
        return Vec::new();
    }
    model.layers.open(Layer::AsCode(AsCodePane::default()));
    Vec::new()
}

/// Scrolls the file on show, never past its end.
pub(crate) fn scroll(model: &mut Model, lines: i32) {
    let most = code_scroll_limit(model) as i64;
    if let Some(pane) = model.layers.as_code_mut() {
        pane.scroll = (pane.scroll as i64 + i64::from(lines)).clamp(0, most) as usize;
    }
}

/// Copies the file on show, or writes every file of its format into one folder.
pub(crate) fn code_effect(model: &mut Model, write_all: bool) -> Vec<Effect> {
    let Some(&pane) = model.layers.as_code() else {
        return Vec::new();
    };
    let files = model.code_files();
    let Some(shown) = files.get(pane.file.min(files.len().saturating_sub(1))) else {
        return Vec::new();
    };
    let folder = format!("{}-{}", model.cloud.key(), shown.format.key);
    if write_all {
        let format = shown.format;
        let mut module: Vec<(String, String)> = files
            .into_iter()
            .filter(|file| file.format == format)
            .map(|file| (file.name, file.text))
            .collect();
        module.sort_by(|a, b| a.0.cmp(&b.0));
        let what = match module.len() {
            1 => format!("the {} file", format.title),
            n => format!("the {} files ({n})", format.title),
        };
        vec![Effect::WriteFiles {
            what,
            folder,
            files: module,
        }]
    } else {
        vec![Effect::CopyToClipboard {
            what: format!("{} ({})", shown.name, shown.format.title),
            file_name: format!("{folder}-{}", shown.name),
            text: shown.text.clone(),
        }]
    }
}

/// How far the help can scroll: the rows that do not fit.
/// The "as code" view as drawn: a head that stays (title, the files, what is left open) and
/// the lines of the file on show, which scroll.
pub struct CodeView {
    pub head: Vec<Line<'static>>,
    pub body: Vec<Line<'static>>,
}

/// Lays out the "as code" view `width` columns wide.
pub fn code_view(model: &Model, width: u16) -> CodeView {
    let theme = model.theme;
    let width = usize::from(width.max(10));
    let files = model.code_files();
    let shown = model
        .layers
        .as_code()
        .map(|pane| pane.file.min(files.len().saturating_sub(1)))
        .unwrap_or(0);
    let mut head = Vec::new();
    let Some(current) = files.get(shown) else {
        head.push(Line::styled("Nothing to show as code.", theme.dim()));
        return CodeView {
            head,
            body: Vec::new(),
        };
    };
    head.push(Line::styled(
        format!("The setup as code · {}", current.format.title),
        theme.title(),
    ));
    // One row per format: its files, the one on show marked.
    let mut formats: Vec<crate::guide::CodeFormat> = Vec::new();
    for file in &files {
        if !formats.contains(&file.format) {
            formats.push(file.format);
        }
    }
    let title_width = formats.iter().map(|f| f.title.width()).max().unwrap_or(0);
    for format in formats {
        let mut spans = vec![Span::styled(
            format!("{:<title_width$}  ", format.title),
            theme.dim(),
        )];
        for (index, file) in files.iter().enumerate() {
            if file.format != format {
                continue;
            }
            spans.push(if index == shown {
                Span::styled(format!("▸{}", file.name), theme.focus())
            } else {
                Span::raw(format!(" {}", file.name))
            });
            spans.push(Span::raw(" "));
        }
        head.push(Line::from(spans));
    }
    let note = format!(
        "Made from the values recorded so far; what is not recorded is left without a default, to give when you apply. w writes the {} files into one folder.",
        current.format.title
    );
    for line in wrap(&note, width) {
        head.push(Line::styled(line, theme.dim()));
    }
    head.push(Line::default());
    let mut body = Vec::new();
    for line in current.text.lines() {
        for piece in wrap_code(line, width) {
            body.push(Line::styled(piece, theme.code()));
        }
    }
    CodeView { head, body }
}

/// How far the file on show in the "as code" view can scroll.
pub fn code_scroll_limit(model: &Model) -> usize {
    let area = regions_of(model).content;
    let view = code_view(model, area.width);
    let rows = usize::from(area.height).saturating_sub(view.head.len());
    view.body.len().saturating_sub(rows)
}

pub(crate) fn draw_as_code(frame: &mut Frame, model: &Model, pane: AsCodePane, area: Rect) {
    let view = code_view(model, area.width);
    let head_rows = (view.head.len() as u16).min(area.height);
    frame.render_widget(
        Paragraph::new(view.head),
        Rect::new(area.x, area.y, area.width, head_rows),
    );
    let body_area = Rect::new(
        area.x,
        area.y + head_rows,
        area.width,
        area.height - head_rows,
    );
    let height = usize::from(body_area.height);
    let max_scroll = view.body.len().saturating_sub(height);
    let scroll = pane.scroll.min(max_scroll);
    let visible: Vec<Line> = view.body.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible), body_area);
    if max_scroll > 0 {
        let mut state = ScrollbarState::new(max_scroll).position(scroll);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(Some("↑"))
                .end_symbol(Some("↓"))
                .style(model.theme.dim()),
            Rect::new(
                body_area.x + body_area.width,
                body_area.y,
                1,
                body_area.height,
            ),
            &mut state,
        );
    }
}
