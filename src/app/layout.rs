//! Where things go: the screen's regions, and the content of the current screen laid out as
//! lines with the position of every focusable item. Pure: `update` uses it to keep the focused
//! item in view, the view uses it to draw.

use std::ops::Range;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::model::{Choice, Focusable, Model, Question, Screen, StatusKind};
use crate::artifacts::{self, ArtifactBody};
use crate::guide::{self, FieldId};

pub use super::model::{MIN_HEIGHT, MIN_WIDTH};

/// The width of the step list on the left.
pub const STEP_LIST_WIDTH: u16 = 20;
/// The step list folded to marks and numbers, below `STEP_LIST_FOLDS_BELOW` columns, so a
/// command line gets the width.
pub const FOLDED_STEP_LIST_WIDTH: u16 = 6;
pub const STEP_LIST_FOLDS_BELOW: u16 = 100;

/// The step list's width on a screen `width` wide.
pub fn step_list_width(width: u16) -> u16 {
    if width < STEP_LIST_FOLDS_BELOW {
        FOLDED_STEP_LIST_WIDTH.min(width)
    } else {
        STEP_LIST_WIDTH.min(width)
    }
}
/// Where a field's editor starts within the content.
pub const EDITOR_INDENT: u16 = 4;

/// The parts of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Regions {
    pub header: Rect,
    pub steps: Rect,
    pub content: Rect,
    pub status: Rect,
    pub footer: Rect,
}

/// The most rows the status line may take: a long message (a path, a refusal) wraps rather
/// than being cut.
pub const STATUS_MAX_LINES: u16 = 3;

/// The status text as drawn: its mark, then the words.
pub fn status_text(model: &Model) -> Option<String> {
    model.status.as_ref().map(|status| {
        let mark = match status.kind {
            StatusKind::Info => "",
            StatusKind::Success => "✓ ",
            StatusKind::Error => "✗ ",
        };
        format!("{mark}{}", crate::secrets::visible(&status.text))
    })
}

/// The status text wrapped to the screen's width, at most `STATUS_MAX_LINES` rows.
pub fn status_lines(model: &Model) -> Vec<String> {
    let width = usize::from(model.width.max(3)) - 2;
    match status_text(model) {
        Some(text) => {
            let mut lines: Vec<String> = wrap(&text, width);
            let most = usize::from(STATUS_MAX_LINES);
            if lines.len() > most {
                // Cut at a word and marked; the help lists the message whole.
                let rest = lines[most - 1..].join(" ");
                lines.truncate(most - 1);
                lines.push(shorten(&rest, width));
            }
            lines.into_iter().map(|line| format!(" {line}")).collect()
        }
        None => Vec::new(),
    }
}

/// The parts of the screen for the model's size and status.
pub fn regions_of(model: &Model) -> Regions {
    let rows = status_lines(model).len().max(1) as u16;
    regions(Rect::new(0, 0, model.width, model.height), rows)
}

pub fn regions(area: Rect, status_rows: u16) -> Regions {
    let status_rows = status_rows.clamp(1, STATUS_MAX_LINES);
    let body_height = area.height.saturating_sub(2 + status_rows);
    let steps_width = step_list_width(area.width);
    let content_x = area.x + steps_width + 1;
    Regions {
        header: Rect::new(area.x, area.y, area.width, 1.min(area.height)),
        steps: Rect::new(area.x, area.y + 1, steps_width, body_height),
        content: Rect::new(
            content_x,
            area.y + 1,
            area.width.saturating_sub(steps_width + 2),
            body_height,
        ),
        status: Rect::new(area.x, area.y + 1 + body_height, area.width, status_rows),
        footer: Rect::new(
            area.x,
            area.y + 1 + body_height + status_rows,
            area.width,
            1,
        ),
    }
}

/// Whether the terminal is big enough to draw the wizard.
pub fn fits(width: u16, height: u16) -> bool {
    width >= MIN_WIDTH && height >= MIN_HEIGHT
}

/// The content area for the model's terminal size.
pub fn content_area(model: &Model) -> Rect {
    regions_of(model).content
}

/// Where a focusable item sits in the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    pub item: Focusable,
    pub lines: Range<usize>,
    /// For a field: the line its editor is drawn on.
    pub editor_line: Option<usize>,
}

/// The current screen's content, ready to scroll.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub lines: Vec<Line<'static>>,
    pub anchors: Vec<Anchor>,
    /// Links on screen: the line, the column the link's text starts at, its text there, and
    /// where it leads (one link may run over several lines).
    pub links: Vec<LinkPiece>,
}

/// A piece of a link as laid out: on `line`, from `column`, showing `text`, leading to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPiece {
    pub line: usize,
    pub column: usize,
    pub text: String,
    pub url: String,
}

/// What heads a step's console link: the key that copies it works in a field too.
pub const CONSOLE_LABEL: &str = "Console (Alt-L copies): ";

impl Content {
    fn push(&mut self, line: Line<'static>) {
        self.lines.push(line);
    }

    fn blank(&mut self) {
        self.lines.push(Line::default());
    }

    fn text(&mut self, text: &str, width: usize, indent: usize, style: Style) {
        let pad = " ".repeat(indent);
        // Whatever the text's origin, nothing in it can act on the terminal.
        let text = crate::secrets::visible_cow(text);
        for line in wrap(&text, width.saturating_sub(indent).max(1)) {
            self.push(Line::styled(format!("{pad}{line}"), style));
        }
    }

    /// The anchor of an item, if it is on screen.
    pub fn anchor(&self, item: Focusable) -> Option<&Anchor> {
        self.anchors.iter().find(|a| a.item == item)
    }
}

/// Wraps text at word boundaries to `width` columns, splitting words longer than a line.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let word_width = word.width();
            if line_width > 0 && line_width + 1 + word_width > width {
                out.push(std::mem::take(&mut line));
                line_width = 0;
            }
            if word_width > width {
                for piece in break_at_separators(word, width) {
                    if line_width > 0 {
                        out.push(std::mem::take(&mut line));
                    }
                    line_width = piece.width();
                    line = piece;
                }
                continue;
            }
            if line_width > 0 {
                line.push(' ');
                line_width += 1;
            }
            line.push_str(word);
            line_width += word_width;
        }
        out.push(line);
    }
    out
}

/// Cuts text into pieces of at most `width` columns, keeping every character (for code).
/// Breaks an identifier too long for a line only after one of its separators (`:` `/` `.`
/// `-` `_` `=` `,`), so an ARN or a resource name splits between its parts; a run without
/// any separator is cut where it must be.
pub fn break_at_separators(word: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut rest = word;
    while rest.width() > width {
        let mut used = 0;
        let mut fits = 0; // bytes that fit
        let mut last_break = None; // bytes up to and including the last separator that fits
        let mut last_strong = None; // the same for a path's or an ARN's own `/` and `:`
        for (at, c) in rest.char_indices() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                break;
            }
            used += w;
            fits = at + c.len_utf8();
            if matches!(c, ':' | '/' | '.' | '-' | '_' | '=' | ',') {
                last_break = Some((fits, used));
                if matches!(c, ':' | '/') {
                    last_strong = Some((fits, used));
                }
            }
        }
        // Between the parts of a path or an ARN when that keeps the line at least half full.
        let cut = last_strong
            .filter(|&(_, w)| w * 2 >= width)
            .or(last_break)
            .map(|(bytes, _)| bytes)
            .filter(|&b| b > 0)
            .unwrap_or(fits.max(1));
        let (head, tail) = rest.split_at(cut);
        out.push(head.to_string());
        rest = tail;
    }
    out.push(rest.to_string());
    out
}

/// A line of a generated block, fitted to `width`: broken at spaces first, then after an
/// identifier's separators; the continuation is indented two more than the line.
pub fn wrap_code(line: &str, width: usize) -> Vec<String> {
    let width = width.max(4);
    if line.width() <= width {
        return vec![line.to_string()];
    }
    let indent = line.len() - line.trim_start().len();
    let continuation = " ".repeat((indent + 2).min(width / 2));
    let mut out: Vec<String> = Vec::new();
    let mut current = " ".repeat(indent.min(width / 2));
    let mut first_on_line = true;
    for word in line[indent..].split(' ') {
        let room = width.saturating_sub(current.width());
        let needed = word.width() + usize::from(!first_on_line);
        if needed <= room {
            if !first_on_line {
                current.push(' ');
            }
            current.push_str(word);
            first_on_line = false;
            continue;
        }
        if !first_on_line {
            out.push(std::mem::replace(&mut current, continuation.clone()));
        }
        let room = width.saturating_sub(current.width());
        let pieces = break_at_separators(word, room.max(1));
        let last = pieces.len() - 1;
        for (i, piece) in pieces.into_iter().enumerate() {
            current.push_str(&piece);
            if i < last {
                out.push(std::mem::replace(&mut current, continuation.clone()));
            }
        }
        first_on_line = false;
    }
    out.push(current);
    out
}

/// The start of `text` in at most `width` columns, `…` marking the end cut off (an
/// identifier, where words do not matter: a value is shown as it was typed).
pub fn shorten_chars(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `text` in at most `width` columns: whole when it fits, else cut after the last whole word
/// that fits and ended with `…` (a single word too long is cut where it must be).
pub fn shorten(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let head = shorten_chars(text, width);
    let head = head.trim_end_matches('…');
    match head.rfind(' ') {
        Some(at) if head[..at].trim_end().width() >= width / 3 => {
            format!("{}…", head[..at].trim_end())
        }
        _ => format!("{head}…"),
    }
}

pub fn hard_wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut piece = String::new();
    let mut piece_width = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if piece_width + w > width && !piece.is_empty() {
            out.push(std::mem::take(&mut piece));
            piece_width = 0;
        }
        piece.push(c);
        piece_width += w;
    }
    out.push(piece);
    out
}

/// The geometry of the content: how many lines, and where each focusable item sits. It is
/// what `update` needs to scroll and keep the focus in view, never the text itself.
#[derive(Debug, Clone, Default)]
pub struct Measure {
    pub lines: usize,
    pub anchors: Vec<Anchor>,
}

impl Measure {
    /// The anchor of an item, if it is on screen.
    pub fn anchor(&self, item: Focusable) -> Option<&Anchor> {
        self.anchors.iter().find(|a| a.item == item)
    }
}

/// What a measure was taken for: the content changes only with these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MeasureKey {
    revision: u64,
    /// The content area's width (its height only decides what is in view).
    width: u16,
    /// A focused block lists its values: focus moves change the geometry.
    focus: usize,
    focus_hidden: bool,
}

/// A measure kept with its key.
#[derive(Debug)]
pub(crate) struct Measured {
    key: MeasureKey,
    measure: std::rc::Rc<Measure>,
}

#[cfg(test)]
thread_local! {
    /// How many times the content was laid out to be measured (tests of the cache).
    pub(crate) static MEASURES_TAKEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The content's geometry, laid out only when something it depends on changed since the last
/// measure (a message other than a scroll, the size, the focus).
pub fn measure(model: &Model) -> std::rc::Rc<Measure> {
    let key = MeasureKey {
        revision: model.revision,
        width: content_area(model).width,
        focus: model.focus,
        focus_hidden: model.focus_hidden,
    };
    if let Some(kept) = model.measured.borrow().as_ref()
        && kept.key == key
    {
        return kept.measure.clone();
    }
    #[cfg(test)]
    MEASURES_TAKEN.with(|n| n.set(n.get() + 1));
    let laid_out = content(model, key.width);
    let measure = std::rc::Rc::new(Measure {
        lines: laid_out.lines.len(),
        anchors: laid_out.anchors,
    });
    *model.measured.borrow_mut() = Some(Measured {
        key,
        measure: measure.clone(),
    });
    measure
}

/// Lays out the current screen's content for a content area `width` columns wide.
pub fn content(model: &Model, width: u16) -> Content {
    let width = usize::from(width.max(10));
    let mut content = Content::default();
    match model.screen {
        Screen::ResumeOffer => resume_content(model, width, &mut content),
        Screen::Start => start_content(model, width, &mut content),
        Screen::Step(_) => step_content(model, width, &mut content),
    }
    content
}

fn resume_content(model: &Model, width: usize, out: &mut Content) {
    let theme = model.theme;
    out.push(Line::styled("Saved progress found", theme.title()));
    out.blank();
    if let Some(session) = &model.resume {
        let steps = session.cloud.guide().steps.len();
        let place = if session.step == 0 {
            "the start screen".to_string()
        } else {
            format!("step {} of {steps}", session.step)
        };
        let org = session.inputs.raw(FieldId::ORG_ID);
        let org = if org.is_empty() {
            "no organization yet"
        } else {
            org
        };
        out.text(
            &format!(
                "{} · {} · {place} · {org}",
                session.cloud.display_name(),
                session.path.display_name()
            ),
            width,
            0,
            Style::default(),
        );
        if let Some(left_out) = session.inputs.left_out_sentence() {
            out.text(&left_out, width, 0, theme.warning());
        }
    }
    let differences = model.held_flags_differences();
    if !differences.is_empty() {
        out.blank();
        out.text(
            &format!(
                "You started with values that differ from it: {}. Nothing is replaced unless you say so.",
                differences.join("; ")
            ),
            width,
            0,
            theme.warning(),
        );
    }
    out.blank();
    out.text(
        "Enter   resume where you left off",
        width,
        0,
        Style::default(),
    );
    out.text(
        if model.held_flags.is_some() {
            "n       start over with the values you gave (asks first: the saved progress is replaced at the next save)"
        } else {
            "n       start over (asks first: the saved progress is replaced at the next save)"
        },
        width,
        0,
        Style::default(),
    );
}

fn marker(model: &Model, item: Focusable) -> (&'static str, Style) {
    if model.focused() == Some(item) {
        ("▸ ", model.theme.focus())
    } else {
        ("  ", model.theme.title())
    }
}

fn start_content(model: &Model, width: usize, out: &mut Content) {
    let theme = model.theme;
    let text = guide::start_text();
    out.push(Line::styled(text.title.clone(), theme.title()));
    out.blank();
    out.text(text.intro.trim(), width, 0, Style::default());
    out.blank();

    let choice = |out: &mut Content,
                  item: Focusable,
                  label: &str,
                  value: &str,
                  hint: &str,
                  warn: Option<&str>| {
        let start = out.lines.len();
        let (mark, style) = marker(model, item);
        out.push(Line::from(vec![
            Span::styled(format!("{mark}{label:<18}"), style),
            Span::styled(format!("◀ {value} ▶"), theme.focus().patch(theme.input())),
        ]));
        match warn {
            Some(warning) => out.text(warning, width, 4, theme.warning()),
            None => out.text(hint, width, 4, theme.dim()),
        }
        out.anchors.push(Anchor {
            item,
            lines: start..out.lines.len(),
            editor_line: None,
        });
        out.blank();
    };
    choice(
        out,
        Focusable::Choice(Choice::Cloud),
        "Cloud",
        model.cloud.display_name(),
        &text.cloud_hint.replace("{clouds}", &cloud_list()),
        None,
    );
    choice(
        out,
        Focusable::Choice(Choice::Path),
        "Path",
        model.path.display_name(),
        &text.path_hint,
        None,
    );
    field_lines(
        model,
        FieldId::ORG_ID,
        &text.org_id.label,
        &text.org_id.hint,
        width,
        out,
    );
    if let Some(field) = model.presented_id_field() {
        let own = &model.cloud.guide().field_text(field).hint;
        let hint = if own.is_empty() {
            &text.external_id.hint
        } else {
            own
        };
        field_lines(model, field, &text.external_id.label, hint, width, out);
    }
    let start = out.lines.len();
    let steps = model.guide().steps.len();
    let label = format!("[ Begin: step 1 of {steps} ]");
    let style = if model.focused() == Some(Focusable::Begin) {
        theme.focus().patch(theme.cursor())
    } else {
        theme.title()
    };
    let (mark, _) = marker(model, Focusable::Begin);
    out.push(Line::from(vec![
        Span::raw(mark),
        Span::styled(label, style),
    ]));
    out.anchors.push(Anchor {
        item: Focusable::Begin,
        lines: start..out.lines.len(),
        editor_line: None,
    });
}

/// Label, editor line, then the error or the hint.
fn field_lines(
    model: &Model,
    field: FieldId,
    label: &str,
    hint: &str,
    width: usize,
    out: &mut Content,
) {
    let theme = model.theme;
    let start = out.lines.len();
    let (mark, style) = marker(model, Focusable::Field(field));
    out.push(Line::styled(format!("{mark}{label}"), style));
    let editor_line = out.lines.len();
    out.push(Line::raw(""));
    let inputs = model.inputs();
    let raw = inputs.raw(field);
    match inputs.validated(field) {
        Err(err) if !raw.trim().is_empty() || model.show_empty_errors => {
            // A problem that is only a predicate ("is empty") gets its field as subject.
            let said = if err.problem.starts_with("is ") {
                format!(
                    "✗ {} {}; expected {}",
                    err.label(),
                    err.problem,
                    err.expected
                )
            } else {
                format!("✗ {}; expected {}", err.problem, err.expected)
            };
            out.text(&said, width, 4, theme.error());
        }
        Ok(cleaned) if !raw.trim().is_empty() && cleaned != raw.trim() => {
            let why = crate::guide::validate::cleaning_note(raw, &cleaned)
                .map(|note| format!(" ({note})"))
                .unwrap_or_default();
            out.text(
                &format!("{hint} Recorded as {cleaned}{why}"),
                width,
                4,
                theme.dim(),
            );
        }
        _ => {
            let default = raw
                .trim()
                .is_empty()
                .then(|| inputs.default_value(field))
                .flatten()
                .filter(|d| !d.is_empty());
            let hint = match default {
                Some(default) => format!("{hint} Empty: uses {default}."),
                None => hint.to_string(),
            };
            out.text(&hint, width, 4, theme.dim());
        }
    }
    if inputs.validated(field).is_ok() {
        for (_, warning) in model
            .cloud
            .kit()
            .field_warnings(&inputs)
            .into_iter()
            .filter(|(warned, _)| *warned == field)
        {
            out.text(&format!("Warning: {warning}"), width, 4, theme.warning());
        }
    }
    out.anchors.push(Anchor {
        item: Focusable::Field(field),
        lines: start..out.lines.len(),
        editor_line: Some(editor_line),
    });
    out.blank();
}

/// Where the admin records a field: for "needs …" messages.
fn field_home(model: &Model, field: FieldId) -> String {
    if field == FieldId::ORG_ID || model.cloud.presented_id_field() == Some(field) {
        return "start screen".into();
    }
    model
        .guide()
        .steps
        .iter()
        .position(|s| s.fields.iter().any(|f| f.id == field))
        .map(|i| format!("step {}", i + 1))
        .unwrap_or_else(|| "start screen".into())
}

fn button(model: &Model, item: Focusable, label: &str, out: &mut Content) {
    let theme = model.theme;
    let start = out.lines.len();
    let (mark, _) = marker(model, item);
    let style = if model.focused() == Some(item) {
        theme.focus().patch(theme.cursor())
    } else {
        theme.title()
    };
    out.push(Line::from(vec![
        Span::raw(mark),
        Span::styled(format!("[ {label} ]"), style),
    ]));
    out.anchors.push(Anchor {
        item,
        lines: start..out.lines.len(),
        editor_line: None,
    });
}

/// The registration section of the last step on the API path.
fn registration_lines(model: &Model, width: usize, out: &mut Content) {
    use super::registration::Phase;
    let theme = model.theme;
    let pane = &model.registration;
    let title = "── Register with OpenAI ";
    out.push(Line::styled(
        format!(
            "{title}{}",
            "─".repeat(width.saturating_sub(title.chars().count()))
        ),
        theme.title(),
    ));
    out.text(
        &format!(
            "Sends the body above to {}, creates the project, then asks OpenAI to validate the key. An existing key with the same settings is reused, never duplicated.",
            pane.base_text()
        ),
        width,
        0,
        theme.dim(),
    );
    out.blank();
    if pane.key_from_env {
        out.push(Line::from(vec![
            Span::styled("  Admin key  ", theme.title()),
            Span::styled("from OPENAI_ADMIN_KEY", theme.success()),
        ]));
    } else {
        let start = out.lines.len();
        let (mark, style) = marker(model, Focusable::AdminKey);
        out.push(Line::styled(format!("{mark}Admin key"), style));
        let focused = model.focused() == Some(Focusable::AdminKey);
        let shown = if pane.typed_key.is_empty() {
            Span::styled("paste your admin key (sk-admin-…)", theme.dim())
        } else {
            Span::styled("•••••••• typed, hidden", theme.input())
        };
        let cursor = if focused { "▏" } else { " " };
        out.push(Line::from(vec![
            Span::raw("    "),
            shown,
            Span::styled(cursor, theme.focus()),
        ]));
        out.text(
            "Never saved, shown or exported; wiped once the key is registered. Ctrl-U clears it.",
            width,
            4,
            theme.dim(),
        );
        out.anchors.push(Anchor {
            item: Focusable::AdminKey,
            lines: start..out.lines.len(),
            editor_line: None,
        });
    }
    out.blank();
    let spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"][model.spinner % 10];
    let label = match &pane.phase {
        Phase::Idle | Phase::Failed(_) if model.external_key_id.is_some() => {
            "Check and register again".to_string()
        }
        Phase::Idle | Phase::Failed(_) => "Check and register".to_string(),
        Phase::Checking => format!("{spinner} Looking for existing keys…"),
        Phase::Ready {
            existing: Some(key),
            ..
        } => format!(
            "Use {} and create the project",
            key["id"].as_str().unwrap_or("the existing key")
        ),
        Phase::Ready { existing: None, .. } => {
            "Confirm: register this key and create the project".into()
        }
        Phase::Registering => format!("{spinner} Registering…"),
        Phase::Validating => format!("{spinner} Validating…"),
    };
    button(model, Focusable::Register, &label, out);
    if let Phase::Failed(err) = &pane.phase {
        out.text(&format!("✗ {err}"), width, 4, theme.error());
        if let Some(found) = crate::explain::explain(err) {
            out.text(
                &match found.entry.step_position() {
                    None => format!("{} (x explains it)", found.entry.title),
                    Some((index, title)) => format!(
                        "{} (x explains it; step {}: {title})",
                        found.entry.title,
                        index + 1
                    ),
                },
                width,
                4,
                theme.warning(),
            );
        }
    }
    if let Some(id) = &model.external_key_id {
        out.blank();
        let reused = if pane.reused_key {
            " (already registered, reused)"
        } else {
            ""
        };
        out.text(
            &format!("Registered key: {id}{reused}"),
            width,
            2,
            theme.success(),
        );
        if let Some(project) = &model.project_id {
            out.text(&format!("Project: {project}"), width, 2, theme.success());
        }
        match &pane.validation {
            Some(Ok(())) => out.text(
                "Validation: success, OpenAI can use your key.",
                width,
                2,
                theme.success(),
            ),
            Some(Err(err)) => {
                out.text(
                    &format!("Validation failed: {err}"),
                    width,
                    2,
                    theme.error(),
                );
                if let Some(found) = crate::explain::explain(err) {
                    out.text(
                        &format!("{}: {}", found.entry.title, found.entry.fixes[0]),
                        width,
                        4,
                        theme.warning(),
                    );
                }
            }
            None => {}
        }
        button(model, Focusable::Validate, "Validate again", out);
    }
    out.blank();
}

fn step_content(model: &Model, width: usize, out: &mut Content) {
    let theme = model.theme;
    let guide = model.guide();
    let Some((index, step)) = model.current_step() else {
        return;
    };
    out.push(Line::styled(
        format!("{}. {}", index + 1, step.title),
        theme.title(),
    ));
    let inputs = model.inputs();
    if let Some(url) = step.console_url(&inputs) {
        let mut column = CONSOLE_LABEL.width();
        for piece in break_at_separators(&format!("{CONSOLE_LABEL}{url}"), width.max(1)) {
            let text: String = piece.chars().skip(column).collect();
            if !text.is_empty() {
                out.links.push(LinkPiece {
                    line: out.lines.len(),
                    column,
                    text,
                    url: url.clone(),
                });
            }
            column = 0;
            out.push(Line::styled(piece, theme.dim()));
        }
    }
    out.blank();
    for paragraph in step.paragraphs_for(model.path) {
        out.text(paragraph, width, 0, Style::default());
        out.blank();
    }
    for field in step.fields_for(model.path, &inputs) {
        let text = guide.field_text(field);
        field_lines(model, field, &text.label, &text.hint, width, out);
    }
    for note in artifacts::step_notes(model.cloud, step.id, &inputs) {
        out.text(&format!("Note: {note}"), width, 0, theme.warning());
        out.blank();
    }
    for artifact in step
        .artifacts_for(model.path)
        .into_iter()
        .filter(|a| artifacts::artifact_is_relevant(model.cloud, *a, &inputs))
    {
        let item = Focusable::Block(artifact);
        let focused = model.focused() == Some(item);
        let border = if focused { theme.focus() } else { theme.dim() };
        let text = guide.artifact_text(artifact);
        let start = out.lines.len();
        let body = artifacts::generate(model.cloud, artifact, &inputs, model.path);
        // Only a focused block lists its values; the others need not walk their documents.
        let values = match (&body, focused) {
            (Ok(body), true) => artifacts::values_of(body),
            _ => Vec::new(),
        };
        let keys = match (focused, values.len()) {
            (false, _) => String::new(),
            (true, 0) => " c copy · w file ".to_string(),
            (true, n) => format!(" c copy · 1–{n} one value · w file "),
        };
        // The focused block is marked by more than a style: `▸` where others have `┌`.
        let corner = if focused { "▸" } else { "┌" };
        let room = width.saturating_sub(keys.width() + 3).max(8);
        let title = format!("{corner} {} ", shorten(&text.title, room));
        let fill = width.saturating_sub(title.width() + keys.width());
        out.push(Line::from(vec![
            Span::styled(title, border.patch(theme.title())),
            Span::styled("─".repeat(fill), border),
            Span::styled(keys, theme.focus()),
        ]));
        let gutter = if focused { "┃ " } else { "│ " };
        match body {
            Ok(body) => {
                let style = match body {
                    ArtifactBody::Json(_) => theme.code(),
                    ArtifactBody::Text(_) => Style::default(),
                };
                for line in body.to_text().lines() {
                    for piece in wrap_code(line, width.saturating_sub(2)) {
                        out.push(Line::from(vec![
                            Span::styled(gutter, border),
                            Span::styled(piece, style),
                        ]));
                    }
                }
                // Focused, each value one key away, for consoles that ask box by box.
                if focused {
                    for (number, (path, value)) in values.iter().enumerate() {
                        let line = format!("{} {path}: {value}", number + 1);
                        for (i, piece) in
                            wrap(&line, width.saturating_sub(4)).into_iter().enumerate()
                        {
                            out.push(Line::from(vec![
                                Span::styled(gutter, border),
                                Span::styled(if i == 0 { "" } else { "  " }, theme.dim()),
                                Span::styled(piece, theme.dim()),
                            ]));
                        }
                    }
                }
            }
            Err(missing) => {
                for err in missing {
                    let message = format!(
                        "Needs {} ({}): {}",
                        err.label(),
                        field_home(model, err.field),
                        err.problem
                    );
                    for piece in wrap(&message, width.saturating_sub(2)) {
                        out.push(Line::from(vec![
                            Span::styled(gutter, border),
                            Span::styled(piece, theme.warning()),
                        ]));
                    }
                }
            }
        }
        // The hint, shortened at a word when the block is not focused; whole (wrapped under
        // the corner) when it is, so it can always be read.
        let hint = if focused {
            wrap(&text.hint, width.saturating_sub(3).max(1))
        } else {
            vec![shorten(&text.hint, width.saturating_sub(3).max(1))]
        };
        let last = hint.len().saturating_sub(1);
        for (i, piece) in hint.into_iter().enumerate() {
            let foot = format!("{} {piece} ", if i == 0 { "└" } else { " " });
            let fill = if i == last {
                width.saturating_sub(foot.width())
            } else {
                0
            };
            out.push(Line::from(vec![
                Span::styled(foot, border),
                Span::styled("─".repeat(fill), border),
            ]));
        }
        out.anchors.push(Anchor {
            item,
            lines: start..out.lines.len(),
            editor_line: None,
        });
        out.blank();
    }
    // The advice after the blocks: a step opens with what it asks to copy in view.
    if !step.advice.is_empty() {
        for advice in &step.advice {
            let lines = wrap(advice, width.saturating_sub(2));
            for (i, line) in lines.into_iter().enumerate() {
                let bullet = if i == 0 { "• " } else { "  " };
                out.push(Line::raw(format!("{bullet}{line}")));
            }
        }
        out.blank();
    }
    check_lines(model, step.id, width, out);
    if model.registers_here() {
        registration_lines(model, width, out);
    }
}

/// The live checks that prove this step (every check on the last step).
fn check_lines(model: &Model, step_id: crate::guide::StepId, width: usize, out: &mut Content) {
    use super::model::ActionOffer;
    use crate::checks::CheckStatus;
    let theme = model.theme;
    let last = model.current_step().map(|(i, _)| i + 1) == Some(model.guide().steps.len());
    let title = if last {
        "── Live checks of the whole setup "
    } else {
        "── Live checks of this step "
    };
    out.push(Line::styled(
        format!(
            "{title}{}",
            "─".repeat(width.saturating_sub(title.chars().count()))
        ),
        theme.title(),
    ));
    let checks = &model.checks;
    // In the plan's order (who you are first), whatever order they arrived in.
    let plan = model.cloud.kit().check_plan();
    let mut shown: Vec<_> = checks
        .results
        .iter()
        .filter(|r| last || r.step == step_id)
        .collect();
    shown.sort_by_key(|r| {
        plan.iter()
            .position(|spec| spec.id == r.id)
            .unwrap_or(usize::MAX)
    });
    if let Some(err) = &checks.error {
        out.text(&format!("✗ {err}"), width, 0, theme.error());
    } else if shown.is_empty() && !checks.running {
        out.text(
            &format!(
                "k checks this with your own {} credentials (read-only, plus one encrypt and decrypt).",
                model.cloud.display_name()
            ),
            width,
            0,
            theme.dim(),
        );
    }
    for result in shown {
        let style = match result.status {
            CheckStatus::Pass => theme.success(),
            CheckStatus::Fail => theme.error(),
            CheckStatus::Warn | CheckStatus::Unverified => theme.warning(),
            CheckStatus::Skip | CheckStatus::Waiting | CheckStatus::DoesNotApply => theme.dim(),
        };
        out.text(
            &format!(
                "{} {}: {}",
                result.status.mark(),
                result.title,
                result.detail
            ),
            width,
            0,
            style,
        );
        if result.status == CheckStatus::Fail {
            let explained =
                crate::explain::explain(&format!("{}: {}", result.title, result.detail));
            if let Some(found) = explained {
                out.text(
                    &format!("→ {}: {}", found.entry.title, found.entry.fixes[0]),
                    width,
                    2,
                    theme.warning(),
                );
            }
            if let Some(position) = model.guide().steps.iter().position(|s| s.id == result.step) {
                out.text(
                    &format!("fix at step {} (f goes there)", position + 1),
                    width,
                    2,
                    theme.dim(),
                );
            }
        }
    }
    match (model.layers.question(), model.action) {
        (Some(Question::Action(id)), _) => {
            if let Some(action) = model.action_spec(id) {
                out.text(action.asking, width, 0, theme.warning());
            }
        }
        (_, ActionOffer::Running(id)) => {
            if let Some(action) = model.action_spec(id) {
                out.text(action.running, width, 0, theme.dim());
            }
        }
        (_, ActionOffer::Idle) => {
            let offered = model.cloud.kit().actions().iter().find(|action| {
                (last || step_id == action.step)
                    && checks.results.iter().any(|r| {
                        action.offered_after.contains(&r.id) && r.status == CheckStatus::Fail
                    })
            });
            if let Some(action) = offered {
                out.text(action.offer, width, 0, theme.dim());
            }
        }
    }
    if checks.running {
        let spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"][model.spinner % 10];
        out.text(&format!("{spinner} checking…"), width, 0, theme.dim());
    }
    out.blank();
}

/// The clouds the wizard knows, for the start screen: `A, B or C`.
fn cloud_list() -> String {
    let names: Vec<&str> = crate::clouds::all().map(|c| c.display_name()).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_and_splits_long_ones() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("a\nb", 10), ["a", "b"]);
        assert_eq!(hard_wrap("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(hard_wrap("", 4), [""]);
    }

    #[test]
    fn identifiers_break_only_after_their_separators() {
        let arn = "arn:xyz:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd";
        for piece in break_at_separators(arn, 20) {
            assert!(piece.len() <= 20, "{piece}");
        }
        assert_eq!(
            break_at_separators(
                "projects/p/locations/global/workloadIdentityPools/openai-ekm-pool",
                57
            ),
            [
                "projects/p/locations/global/workloadIdentityPools/",
                "openai-ekm-pool"
            ]
        );
        assert_eq!(break_at_separators("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(
            wrap("see arn:xyz:iam::111122223333:role/openai-ekm now", 24)[1],
            "arn:xyz:iam::"
        );
        let command = "cloudy iam workload-identity-pools providers create-oidc projects/123456789012/locations/global/workloadIdentityPools/openai-ekm-pool/providers/openai-ekm-provider \\";
        let lines = wrap_code(command, 57);
        for line in &lines {
            assert!(line.width() <= 57, "{line}");
        }
        assert!(
            lines.iter().any(|l| l.contains("/openai-ekm-pool/")),
            "the pool's id stays whole: {lines:?}"
        );
        for line in &lines[..lines.len() - 1] {
            let end = line.trim_end().chars().last().unwrap();
            assert!(
                "/:.-_=,".contains(end) || command.contains(&format!("{} ", line.trim())),
                "broken mid-word: {line:?} in {lines:?}"
            );
        }
        assert_eq!(
            lines.concat().split_whitespace().collect::<String>(),
            command.split_whitespace().collect::<String>()
        );
    }
}
