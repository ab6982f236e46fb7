//! Editing a field: keys and pastes into the focused field (or the explain screen's text), what
//! is refused or cleaned and said so, and the start screen's choices.

use ratatui_textarea::{Input, Key};

use crate::app::effect::Effect;
use crate::app::layout;
use crate::app::model::{Choice, ExplainPane, Focusable, Model, StatusKind};
use crate::app::msg::TextEdit;
use crate::app::transitions::status;
use crate::guide::{Cloud, FieldId, SetupPath};

/// Keeps a field to one line: Enter never reaches it, and a stray newline is folded away.
pub(crate) fn edit_field(model: &mut Model, input: Input) -> Vec<Effect> {
    if let Some(pane) = model.layers.explain_mut() {
        pane.holds_last_error = false;
        pane.editor.input(input);
        return Vec::new();
    }
    if model.focused() == Some(Focusable::AdminKey) {
        let secret = &mut model.registration.typed_key;
        match input.key {
            Key::Char(c) if !input.ctrl && !input.alt => secret.push(c),
            Key::Backspace => secret.pop(),
            _ => {}
        }
        return Vec::new();
    }
    let Some(field) = model.focused_field() else {
        return Vec::new();
    };
    if matches!(input.key, Key::Enter) || (input.ctrl && matches!(input.key, Key::Char('m' | 'j')))
    {
        return Vec::new();
    }
    let field_width = usize::from(
        layout::content_area(model)
            .width
            .saturating_sub(layout::EDITOR_INDENT),
    );
    if let Some(editor) = model.editors.get_mut(&field) {
        editor.input(input);
        if editor.lines().len() > 1 {
            let joined = editor.lines().join(" ");
            model.set_field(field, &joined);
        } else if editor.scroll_offset().1 > 0
            && editor.lines().first().is_some_and(|line| {
                unicode_width::UnicodeWidthStr::width(line.as_str()) < field_width
            })
        {
            // The whole value fits again (after a long backspace, say): show it from its
            // start, never a blank field that still holds text to its left. The cursor
            // stays where it was.
            let ratatui_textarea::DataCursor(row, col) = editor.cursor();
            editor.scroll((0, -30_000));
            editor.move_cursor(ratatui_textarea::CursorMove::Jump(
                u16::try_from(row).unwrap_or(0),
                u16::try_from(col).unwrap_or(u16::MAX),
            ));
        }
    }
    if model.redactor.looks_secret(model.field_text(field)) {
        // A key typed out by hand: gone from the screen (and the editor's undo) at once.
        model.set_field(field, "");
        model.status = Some(status(
            StatusKind::Error,
            format!(
                "{}: what was typed looks like a secret (a key or a token), so the field was cleared; it is never shown or saved. Type the value this field asks for.",
                model.cloud.label(field)
            ),
        ));
        return Vec::new();
    }
    say_cleaning(model, field, false);
    Vec::new()
}

/// An editing key: the same meaning in every field and in the explain screen's text. The
/// admin key, never shown, only clears (Ctrl-U, or Ctrl-W: it is one word) and keeps no undo.
pub(crate) fn edit_text(model: &mut Model, edit: TextEdit) -> Vec<Effect> {
    use ratatui_textarea::CursorMove;
    if model.layers.explain().is_none() && model.focused() == Some(Focusable::AdminKey) {
        if matches!(edit, TextEdit::Clear | TextEdit::DeleteWord) {
            model.registration.typed_key.clear();
        }
        return Vec::new();
    }
    let apply = |editor: &mut ratatui_textarea::TextArea<'static>| match edit {
        TextEdit::Clear => {
            editor.select_all();
            editor.cut();
        }
        TextEdit::DeleteWord => {
            editor.delete_word();
        }
        TextEdit::ToStart => {
            editor.move_cursor(CursorMove::Head);
            editor.scroll((0, -30_000));
        }
        TextEdit::ToEnd => editor.move_cursor(CursorMove::End),
        TextEdit::Undo => {
            editor.undo();
        }
        TextEdit::Redo => {
            editor.redo();
        }
    };
    if let Some(pane) = model.layers.explain_mut() {
        pane.holds_last_error = false;
        apply(&mut pane.editor);
        return Vec::new();
    }
    let Some(field) = model.focused_field() else {
        return Vec::new();
    };
    if let Some(editor) = model.editors.get_mut(&field) {
        apply(editor);
    }
    if edit != TextEdit::ToStart && edit != TextEdit::ToEnd {
        say_cleaning(model, field, false);
    }
    Vec::new()
}

/// Why a paste into a field is not taken, if it is not: a secret, a paste longer than any
/// value, or characters that would act on the terminal. The paste is never echoed.
pub(crate) fn refused_paste(redactor: &crate::secrets::Redactor, text: &str) -> Option<String> {
    let length = text.chars().count();
    if length > crate::guide::MAX_FIELD_LENGTH {
        return Some(format!(
            "is {length} characters long; no value of this field is longer than {}",
            crate::guide::MAX_FIELD_LENGTH
        ));
    }
    if redactor.looks_secret(text) {
        return Some("looks like a secret (a key or a token)".into());
    }
    if text.chars().any(char::is_control) {
        return Some("holds control characters (terminal escapes)".into());
    }
    None
}

/// After a field changed, the status line says how its value is cleaned (spaces removed, the
/// id taken from a full name) or why a full name is refused (it names another field
/// differently); nothing when the value is kept as typed. After a paste that is accepted, the
/// empty fields its full name names are filled in, and said; typing fills nothing (an empty
/// field still takes what the full name gives, as its hint shows), so a name half typed never
/// fills a field.
pub(crate) fn say_cleaning(model: &mut Model, field: FieldId, fill: bool) {
    let mut inputs = model.inputs();
    let filled: Vec<(FieldId, String)> = if fill && inputs.validated(field).is_ok() {
        inputs
            .fill_implied()
            .into_iter()
            .filter(|(_, _, source)| *source == field)
            .map(|(other, value, _)| (other, value))
            .collect()
    } else {
        Vec::new()
    };
    for (other, value) in &filled {
        model.set_field(*other, value);
    }
    let raw = inputs.raw(field).to_string();
    let label = model.cloud.label(field);
    model.status = match inputs.validated(field) {
        Err(refused) if refused.conflict.is_some() => {
            Some(status(StatusKind::Error, refused.to_string()))
        }
        Err(_) => None,
        Ok(recorded) => {
            let mut said: Vec<String> = crate::guide::validate::what_cleaning_did(&raw, &recorded)
                .map(|did| format!("{label}: {did}"))
                .into_iter()
                .collect();
            if !filled.is_empty() {
                let names: Vec<String> = filled
                    .iter()
                    .map(|(other, value)| format!("{} ({value})", model.cloud.label(*other)))
                    .collect();
                said.push(format!("filled in from it: {}", names.join(", ")));
            }
            (!said.is_empty()).then(|| status(StatusKind::Info, said.join("; ")))
        }
    };
}

pub(crate) fn paste(model: &mut Model, text: &str) -> Vec<Effect> {
    if let Some(pane) = model.layers.explain_mut() {
        // What is pasted here may carry tokens: they never reach the screen.
        let clean = model
            .redactor
            .redact(&text.replace("\r\n", "\n").replace('\r', "\n"));
        if pane.holds_last_error {
            *pane = ExplainPane::new();
        }
        pane.editor.insert_str(clean);
        return Vec::new();
    }
    if model.focus_hidden {
        model.status = Some(status(
            StatusKind::Info,
            "Nothing on screen has focus, so the paste went nowhere: Tab to a field, then paste."
                .into(),
        ));
        return Vec::new();
    }
    if model.focused() == Some(Focusable::AdminKey) {
        model.registration.typed_key.set(text);
        return Vec::new();
    }
    let Some(field) = model.focused_field() else {
        model.status = Some(status(
            StatusKind::Info,
            "Paste goes into a text field: Tab to one first.".into(),
        ));
        return Vec::new();
    };
    let single_line: String = text
        .trim()
        .chars()
        .map(|c| {
            if c == '\n' || c == '\r' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .collect();
    let before = model.field_text(field).to_string();
    // The paste alone, then the field with it (a key pasted in two halves).
    let mut refused = refused_paste(&model.redactor, &single_line);
    if refused.is_none() {
        if let Some(editor) = model.editors.get_mut(&field) {
            editor.insert_str(single_line.as_str());
        }
        refused = refused_paste(&model.redactor, model.field_text(field));
    }
    if let Some(problem) = refused {
        // What was there before stays; the paste is not on screen, in the editor's undo, or
        // in anything saved.
        model.set_field(field, &before);
        model.status = Some(status(
            StatusKind::Error,
            format!(
                "The paste into {} {problem}, so it was not kept: it is never shown or saved. Paste the value this field asks for.",
                model.cloud.label(field)
            ),
        ));
        return Vec::new();
    }
    say_cleaning(model, field, true);
    Vec::new()
}

pub(crate) fn cycle<T: Copy + PartialEq>(options: &[T], current: T, delta: isize) -> T {
    let position = options.iter().position(|o| *o == current).unwrap_or(0) as isize;
    options[(position + delta).rem_euclid(options.len() as isize) as usize]
}

pub(crate) fn choose(model: &mut Model, delta: isize) -> Vec<Effect> {
    match model.focused() {
        Some(Focusable::Choice(Choice::Cloud)) => {
            let clouds: Vec<Cloud> = crate::clouds::all().collect();
            model.cloud = cycle(&clouds, model.cloud, delta);
            model.ensure_editors(model.cloud);
            model.refresh_placeholders();
        }
        Some(Focusable::Choice(Choice::Path)) => {
            model.path = cycle(&SetupPath::ALL, model.path, delta);
        }
        _ => {}
    }
    model.status = None;
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_wrap_around_both_ways() {
        assert_eq!(cycle(&[1, 2, 3], 3, 1), 1);
        assert_eq!(cycle(&[1, 2, 3], 1, -1), 3);
        assert_eq!(cycle(&[1, 2, 3], 2, 1), 3);
    }

    #[test]
    fn a_paste_holding_a_secret_is_refused_before_it_reaches_a_field() {
        let redactor = crate::secrets::Redactor::default();
        let admin_key = format!("sk-admin-{}", "a".repeat(40));
        assert!(refused_paste(&redactor, &admin_key).is_some());
        assert!(refused_paste(&redactor, "keys/1234abcd-12ab-34cd").is_none());
    }
}
