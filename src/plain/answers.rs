//! What the plain wizard sends the model for an answer typed as a line: the same messages the
//! full-screen wizard's keys send (move the focus, change a choice, put text into a field), so
//! both front ends change the model through the one `update`.

use ratatui_textarea::{Input, Key};

use crate::app::Msg;
use crate::app::model::{Choice, Focusable, Model};
use crate::guide::{Cloud, FieldId, SetupPath};

/// The messages that move the focus from where it is to `item`; `None` when the screen on
/// show has no such item.
pub fn focus(model: &Model, item: Focusable) -> Option<Vec<Msg>> {
    let items = model.focusables();
    let target = items.iter().position(|i| *i == item)?;
    let now = model.focus.min(items.len().saturating_sub(1));
    let steps = (target + items.len() - now) % items.len();
    if steps == 0 && model.focused().is_none() {
        // Hidden by scrolling: a move there and back shows it again where it was.
        return Some(vec![Msg::FocusNext, Msg::FocusPrevious]);
    }
    Some(vec![Msg::FocusNext; steps])
}

/// The messages that replace a field's text with `text`: the focus on it, its text cleared,
/// then `text` given whole, as a paste is (so a secret or a terminal escape is refused the
/// same way, and a full name fills in the fields it names).
pub fn set_field(model: &Model, field: FieldId, text: &str) -> Vec<Msg> {
    let Some(mut msgs) = focus(model, Focusable::Field(field)) else {
        return Vec::new();
    };
    if !model.field_text(field).is_empty() {
        msgs.push(Msg::EditField(key(Key::Home, false)));
        msgs.push(Msg::EditField(key(Key::Char('k'), true)));
    }
    if !text.trim().is_empty() {
        msgs.push(Msg::PasteIntoField(text.to_string()));
    }
    msgs
}

/// The messages that choose `cloud` on the start screen.
pub fn choose_cloud(model: &Model, cloud: Cloud) -> Vec<Msg> {
    let clouds: Vec<Cloud> = crate::clouds::all().collect();
    let (Some(now), Some(target)) = (
        clouds.iter().position(|c| *c == model.cloud),
        clouds.iter().position(|c| *c == cloud),
    ) else {
        return Vec::new();
    };
    let mut msgs = focus(model, Focusable::Choice(Choice::Cloud)).unwrap_or_default();
    msgs.extend(vec![
        Msg::ChooseNext;
        (target + clouds.len() - now) % clouds.len()
    ]);
    msgs
}

/// The messages that choose the setup path on the start screen.
pub fn choose_path(model: &Model, path: SetupPath) -> Vec<Msg> {
    let all = SetupPath::ALL;
    let (Some(now), Some(target)) = (
        all.iter().position(|p| *p == model.path),
        all.iter().position(|p| *p == path),
    ) else {
        return Vec::new();
    };
    let mut msgs = focus(model, Focusable::Choice(Choice::Path)).unwrap_or_default();
    msgs.extend(vec![
        Msg::ChooseNext;
        (target + all.len() - now) % all.len()
    ]);
    msgs
}

/// The messages that put the admin key into its masked input (never shown, never saved).
pub fn set_admin_key(model: &Model, key: &str) -> Vec<Msg> {
    let Some(mut msgs) = focus(model, Focusable::AdminKey) else {
        return Vec::new();
    };
    msgs.push(Msg::PasteIntoField(key.to_string()));
    msgs
}

/// The messages that copy (or write to a file) a generated block of the step on show.
pub fn block(model: &Model, artifact: crate::guide::ArtifactId, to_file: bool) -> Vec<Msg> {
    let Some(mut msgs) = focus(model, Focusable::Block(artifact)) else {
        return Vec::new();
    };
    msgs.push(if to_file {
        Msg::WriteFocusedBlockToFile
    } else {
        Msg::CopyFocusedBlock
    });
    msgs
}

fn key(key: Key, ctrl: bool) -> Input {
    Input {
        key,
        ctrl,
        alt: false,
        shift: false,
    }
}
