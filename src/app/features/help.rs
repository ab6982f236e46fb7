//! The help screen: opened and closed with `?`, scrolled when the terminal is short, drawn
//! over everything from the one key table.

use crate::app::effect::Effect;
use crate::app::layout::wrap;
use crate::app::model::{Layer, LayerKind, Model};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// `?`: opens the help, or closes it.
pub(crate) fn toggle(model: &mut Model) -> Vec<Effect> {
    if model.layers.close(LayerKind::Help).is_none() {
        model.layers.open(Layer::Help { scroll: 0 });
    }
    Vec::new()
}

/// Scrolls the help by `lines`, never past its last row.
pub(crate) fn scroll(model: &mut Model, lines: i32) {
    let most = help_scroll_limit(model.width, model.height, &model.status_history);
    if let Some(scroll) = model.layers.help_mut() {
        *scroll = (i64::from(*scroll) + i64::from(lines)).clamp(0, i64::from(most)) as u16;
    }
}

/// The help box for a screen of `width` × `height`: where it sits, and its rows (each key's
/// words wrapped under its description column, so nothing is cut), then the last status
/// messages whole, newest first.
pub fn help_box(width: u16, height: u16, history: &[String]) -> (Rect, Vec<(String, String)>) {
    const KEY_COLUMN: usize = 18;
    let box_width = 72.min(width.saturating_sub(4));
    let words_width = usize::from(box_width.saturating_sub(2))
        .saturating_sub(KEY_COLUMN + 1)
        .max(10);
    let mut rows = vec![(String::new(), String::new())];
    for (keys, does) in crate::app::keymap::help_lines() {
        for (i, piece) in wrap(does, words_width).into_iter().enumerate() {
            let keys = if i == 0 {
                keys.to_string()
            } else {
                String::new()
            };
            rows.push((keys, piece));
        }
    }
    if !history.is_empty() {
        rows.push((String::new(), String::new()));
        rows.push((
            "Messages".to_string(),
            "the last ones, newest first".to_string(),
        ));
        for message in history.iter().rev() {
            for (i, piece) in wrap(message, words_width).into_iter().enumerate() {
                let mark = if i == 0 { "·" } else { "" };
                rows.push((mark.to_string(), piece));
            }
        }
    }
    let box_height = (rows.len() as u16 + 3).min(height.saturating_sub(2)).max(3);
    let area = Rect::new(
        width.saturating_sub(box_width) / 2,
        height.saturating_sub(box_height) / 2,
        box_width,
        box_height,
    );
    (area, rows)
}

pub fn help_scroll_limit(width: u16, height: u16, history: &[String]) -> u16 {
    let (area, rows) = help_box(width, height, history);
    help_rows_hidden(area, rows.len())
}

/// The rows of a help box `area` holding `rows` rows that do not fit in it.
pub fn help_rows_hidden(area: Rect, rows: usize) -> u16 {
    (rows as u16 + 1).saturating_sub(area.height.saturating_sub(2))
}

pub(crate) fn draw_help(frame: &mut Frame, model: &Model, area: Rect) {
    let theme = model.theme;
    let (popup, rows) = help_box(area.width, area.height, &model.status_history);
    let limit = help_rows_hidden(popup, rows.len());
    let popup = Rect::new(
        area.x + popup.x,
        area.y + popup.y,
        popup.width,
        popup.height,
    );
    let scroll = model.layers.help().unwrap_or(0).min(limit);
    let lines: Vec<Line> = rows
        .iter()
        .map(|(keys, does)| {
            Line::from(vec![
                Span::styled(format!(" {keys:<17} "), theme.focus()),
                Span::raw(does.as_str()),
            ])
        })
        .collect();
    let title = if limit > 0 {
        " Keys · ↑/↓ PgDn scroll · Esc closes "
    } else {
        " Keys · Esc closes "
    };
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title)
                .border_style(theme.focus()),
        ),
        popup,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::features::testing::on_step;

    #[test]
    fn the_help_toggles_and_scrolls_only_as_far_as_its_rows() {
        let mut model = on_step(0);
        toggle(&mut model);
        assert_eq!(model.layers.help(), Some(0));
        scroll(&mut model, -3);
        assert_eq!(model.layers.help(), Some(0), "never above its first row");
        scroll(&mut model, 10_000);
        let most = help_scroll_limit(model.width, model.height, &model.status_history);
        assert_eq!(model.layers.help(), Some(most), "never past its last row");
        toggle(&mut model);
        assert_eq!(model.layers.help(), None);
    }
}
