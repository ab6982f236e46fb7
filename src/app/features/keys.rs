//! The organization's EKM keys at OpenAI, as a view of the wizard: the list read (every page,
//! EKM keys only), the cursor, a key validated (its error explained), and the delete of a key
//! nothing uses after the admin's y (a used key is refused here, naming what uses it and the
//! command that retires it). Network work goes out as effects; answers come back as messages.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use crate::app::effect::Effect;
use crate::app::layout::wrap;
use crate::app::model::{
    KeyValidation, KeysListing, KeysPane, Layer, Model, Question, Screen, StatusKind,
};
use crate::app::transitions::{request_means, status};
use crate::openai::keys::{ExternalKey, Listing, Refusal};
use crate::openai::validity::Validity;

impl KeysPane {
    /// The keys read, or none yet.
    pub fn keys(&self) -> &[ExternalKey] {
        match &self.listing {
            KeysListing::Read { keys, .. } => keys,
            _ => &[],
        }
    }

    /// The key under the cursor.
    pub fn selected_key(&self) -> Option<&ExternalKey> {
        self.keys().get(self.selected)
    }

    /// The last validation of `id` in this view.
    pub fn validation(&self, id: &str) -> Option<&KeyValidation> {
        self.validations
            .iter()
            .find(|(key, _)| key == id)
            .map(|(_, v)| v)
    }

    /// Whether a request of this view is waiting for OpenAI's answer.
    pub fn busy(&self) -> bool {
        self.listing == KeysListing::Reading
            || self
                .validations
                .iter()
                .any(|(_, v)| *v == KeyValidation::Asking)
    }
}

/// Whether an admin key is at hand, without asking for one: the view needs it before it opens.
fn key_at_hand(model: &mut Model) -> bool {
    if model.registration.key_from_env || !model.registration.typed_key.is_empty() {
        return true;
    }
    model.status = Some(status(
        StatusKind::Error,
        "The keys view asks OpenAI with your admin key: start the wizard with OPENAI_ADMIN_KEY set, or type the key on the last step of the API path first.".into(),
    ));
    false
}

/// `l` / F5: opens the view and reads the list.
pub(crate) fn open_keys(model: &mut Model) -> Vec<Effect> {
    if model.screen == Screen::ResumeOffer || !key_at_hand(model) {
        return Vec::new();
    }
    let Some((base, key)) = request_means(model) else {
        return Vec::new();
    };
    // The revision only grows: an answer for a view closed and opened again is dropped.
    let generation = model.revision;
    model.layers.open(Layer::Keys(Box::new(KeysPane {
        listing: KeysListing::Reading,
        selected: 0,
        generation,
        validations: Vec::new(),
        deleting: None,
        note: None,
    })));
    model.status = Some(status(
        StatusKind::Info,
        "Reading the organization's EKM keys from OpenAI…".into(),
    ));
    vec![Effect::ListKeys {
        generation,
        base,
        key,
    }]
}

/// `r`: reads the list again (the validations shown stay until a key is validated again).
pub(crate) fn read_again(model: &mut Model) -> Vec<Effect> {
    let Some(pane) = model.layers.keys() else {
        return Vec::new();
    };
    if pane.busy() || pane.deleting.is_some() {
        return Vec::new();
    }
    let Some((base, key)) = request_means(model) else {
        return Vec::new();
    };
    let generation = model.revision;
    if let Some(pane) = model.layers.keys_mut() {
        pane.listing = KeysListing::Reading;
        pane.generation = generation;
        pane.note = None;
    }
    model.status = Some(status(
        StatusKind::Info,
        "Reading the organization's EKM keys again…".into(),
    ));
    vec![Effect::ListKeys {
        generation,
        base,
        key,
    }]
}

/// The list came back: shown, the cursor on the key this wizard registered when it is there.
pub(crate) fn listed(model: &mut Model, generation: u64, outcome: Result<Listing, String>) {
    let registered = model.external_key_id.clone();
    let Some(pane) = model.layers.keys_mut() else {
        return;
    };
    if pane.generation != generation {
        return;
    }
    let said = match outcome {
        Ok(listing) => {
            let count = listing.keys.len();
            let previous = pane.selected_key().map(|k| k.id.clone());
            pane.selected = previous
                .or(registered)
                .and_then(|id| listing.keys.iter().position(|k| k.id == id))
                .unwrap_or(0);
            let incomplete = listing.incomplete;
            pane.listing = KeysListing::Read {
                keys: listing.keys,
                incomplete,
            };
            if incomplete {
                status(
                    StatusKind::Error,
                    format!(
                        "OpenAI still said there was more after {} pages: the list is not the whole organization's.",
                        crate::openai::keys::MAX_PAGES
                    ),
                )
            } else {
                status(
                    StatusKind::Info,
                    match count {
                        0 => "No EKM key is registered in this organization.".to_string(),
                        1 => "1 EKM key in this organization.".to_string(),
                        n => format!("{n} EKM keys in this organization."),
                    },
                )
            }
        }
        Err(err) => {
            pane.listing = KeysListing::Failed(err.clone());
            model.remember_error(&err);
            status(
                StatusKind::Error,
                format!("The keys could not be read: {err}"),
            )
        }
    };
    model.status = Some(said);
}

/// ↑/↓ (PgUp/PgDn by five): moves the cursor, never past either end.
pub(crate) fn select(model: &mut Model, delta: i32) {
    if let Some(pane) = model.layers.keys_mut() {
        let last = pane.keys().len().saturating_sub(1) as i64;
        pane.selected = (pane.selected as i64 + i64::from(delta)).clamp(0, last.max(0)) as usize;
    }
}

/// `v`: asks OpenAI to validate the key under the cursor.
pub(crate) fn validate_selected(model: &mut Model) -> Vec<Effect> {
    let Some(pane) = model.layers.keys() else {
        return Vec::new();
    };
    let Some(id) = pane.selected_key().map(|k| k.id.clone()) else {
        return Vec::new();
    };
    if pane.validation(&id) == Some(&KeyValidation::Asking) {
        return Vec::new();
    }
    let generation = pane.generation;
    let Some((base, key)) = request_means(model) else {
        return Vec::new();
    };
    if let Some(pane) = model.layers.keys_mut() {
        pane.validations.retain(|(key, _)| *key != id);
        pane.validations.push((id.clone(), KeyValidation::Asking));
    }
    model.status = Some(status(StatusKind::Info, format!("Validating {id}…")));
    vec![Effect::ValidateListedKey {
        generation,
        base,
        key,
        key_id: id,
    }]
}

/// A validation came back: kept with its key, said on the status line, its error remembered
/// for the explain screen.
pub(crate) fn validated(
    model: &mut Model,
    generation: u64,
    id: String,
    outcome: Result<(), (Validity, String)>,
) {
    let Some(pane) = model.layers.keys_mut() else {
        return;
    };
    if pane.generation != generation {
        return;
    }
    let answered = match &outcome {
        Ok(()) => KeyValidation::Answered(Validity::Valid, None),
        Err((validity, words)) => KeyValidation::Answered(*validity, Some(words.clone())),
    };
    pane.validations.retain(|(key, _)| *key != id);
    pane.validations.push((id.clone(), answered));
    model.status = Some(match outcome {
        Ok(()) => status(
            StatusKind::Success,
            format!("{id} is valid: OpenAI can use the key now."),
        ),
        Err((validity, words)) => {
            model.remember_error(&words);
            status(
                StatusKind::Error,
                match validity {
                    Validity::NotAsked => format!(
                        "Could not ask OpenAI about {id} (why is under the key); nothing is known of the key."
                    ),
                    _ => format!(
                        "{id} is invalid: OpenAI could not use it (why is under the key; x explains it)."
                    ),
                },
            )
        }
    });
}

/// `d`: refuses a key that is in use (naming what uses it and how to retire it), else asks.
pub(crate) fn delete_selected(model: &mut Model) -> Vec<Effect> {
    let Some(pane) = model.layers.keys_mut() else {
        return Vec::new();
    };
    if pane.deleting.is_some() {
        return Vec::new();
    }
    let Some(key) = pane.selected_key().cloned() else {
        return Vec::new();
    };
    if let Some(refusal) = Refusal::of(&key) {
        let words = format!("Not deleted: {}", refusal.words(&key.id));
        pane.note = Some((false, words.clone()));
        model.status = Some(status(StatusKind::Error, words));
        return Vec::new();
    }
    pane.deleting = Some(key.id.clone());
    pane.note = None;
    model.layers.ask(Question::DeleteKey);
    model.status = Some(status(
        StatusKind::Info,
        format!(
            "Delete the registration of {}? OpenAI forgets the key; the key itself stays in your KMS. y deletes; any other key keeps it.",
            key_words(&key)
        ),
    ));
    Vec::new()
}

/// The key in one phrase: id, name, cloud and resource, made safe to print.
fn key_words(key: &ExternalKey) -> String {
    format!(
        "{} \"{}\" ({})",
        key.id,
        crate::secrets::outside_id(&key.name, 80),
        key.cloud_words(),
    )
}

/// `y` to the delete question: the delete goes out (read again first by the effect).
pub(crate) fn delete_confirmed(model: &mut Model) -> Vec<Effect> {
    let Some(pane) = model.layers.keys() else {
        return Vec::new();
    };
    let (Some(id), generation) = (pane.deleting.clone(), pane.generation) else {
        return Vec::new();
    };
    let Some((base, key)) = request_means(model) else {
        if let Some(pane) = model.layers.keys_mut() {
            pane.deleting = None;
        }
        return Vec::new();
    };
    model.status = Some(status(
        StatusKind::Info,
        format!("Deleting the registration of {id}…"),
    ));
    vec![Effect::DeleteListedKey {
        generation,
        base,
        key,
        key_id: id,
    }]
}

/// Any other key to the delete question: nothing is sent.
pub(crate) fn delete_declined(model: &mut Model) -> &'static str {
    if let Some(pane) = model.layers.keys_mut() {
        pane.deleting = None;
    }
    "Nothing was deleted."
}

/// A delete came back: the key leaves the list, or the refusal is shown.
pub(crate) fn deleted(model: &mut Model, generation: u64, id: String, outcome: Result<(), String>) {
    let Some(pane) = model.layers.keys_mut() else {
        return;
    };
    if pane.generation != generation || pane.deleting.as_deref() != Some(id.as_str()) {
        return;
    }
    pane.deleting = None;
    match outcome {
        Ok(()) => {
            if let KeysListing::Read { keys, .. } = &mut pane.listing {
                keys.retain(|k| k.id != id);
                pane.selected = pane.selected.min(keys.len().saturating_sub(1));
            }
            pane.validations.retain(|(key, _)| *key != id);
            let words = format!("Deleted the registration of {id}.");
            pane.note = Some((true, words.clone()));
            model.status = Some(status(StatusKind::Success, words));
        }
        Err(err) => {
            let words = format!("{id} was not deleted: {err}");
            pane.note = Some((false, words.clone()));
            model.remember_error(&err);
            model.status = Some(status(StatusKind::Error, words));
        }
    }
}

/// The view as lines `width` wide, and the rows of the key under the cursor.
pub fn keys_view(model: &Model, width: u16) -> (Vec<Line<'static>>, std::ops::Range<usize>) {
    let theme = model.theme;
    let width = usize::from(width.max(10));
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut cursor = 0..0;
    let Some(pane) = model.layers.keys() else {
        return (lines, cursor);
    };
    let say = |lines: &mut Vec<Line<'static>>, text: &str, style: Style, indent: usize| {
        for piece in wrap(text, width.saturating_sub(indent)) {
            lines.push(Line::styled(
                format!("{}{piece}", " ".repeat(indent)),
                style,
            ));
        }
    };
    lines.push(Line::styled(
        "The organization's EKM keys at OpenAI",
        theme.title(),
    ));
    say(
        &mut lines,
        "Read with your admin key; keys of another purpose (Private Safety Processing) are never listed. v validates the key under the cursor, d deletes it (asked first; only a key nothing uses), r reads the list again, Esc goes back.",
        theme.dim(),
        0,
    );
    lines.push(Line::default());
    match &pane.listing {
        KeysListing::Reading => say(&mut lines, "Reading…", theme.focus(), 0),
        KeysListing::Failed(err) => {
            say(
                &mut lines,
                &format!("✗ The list could not be read: {err}"),
                theme.error(),
                0,
            );
            explained(&mut lines, err, width, model);
        }
        KeysListing::Read { keys, incomplete } => {
            if keys.is_empty() {
                say(
                    &mut lines,
                    "No EKM key is registered in this organization.",
                    Style::default(),
                    0,
                );
            }
            for (index, key) in keys.iter().enumerate() {
                let start = lines.len();
                let here = index == pane.selected;
                let mut head = format!(
                    "{} \"{}\"",
                    key.id,
                    crate::secrets::outside_id(&key.name, 80)
                );
                if model.external_key_id.as_deref() == Some(key.id.as_str()) {
                    head.push_str(" · registered by this wizard");
                }
                for (row, piece) in wrap(&head, width.saturating_sub(2)).into_iter().enumerate() {
                    let mark = if here && row == 0 { "▸ " } else { "  " };
                    lines.push(Line::styled(
                        format!("{mark}{piece}"),
                        if here { theme.focus() } else { theme.title() },
                    ));
                }
                say(
                    &mut lines,
                    &format!(
                        "{}: {}",
                        key.cloud_words(),
                        key.resource
                            .as_deref()
                            .map(|r| crate::secrets::outside_id(r, 300))
                            .unwrap_or_else(|| "(no resource the wizard knows)".into())
                    ),
                    Style::default(),
                    4,
                );
                say(
                    &mut lines,
                    &format!(
                        "created {} · {}",
                        key.created.as_deref().unwrap_or("(no time given)"),
                        users(key)
                    ),
                    theme.dim(),
                    4,
                );
                match pane.validation(&key.id) {
                    Some(KeyValidation::Asking) => say(&mut lines, "validating…", theme.focus(), 4),
                    Some(KeyValidation::Answered(Validity::Valid, _)) => say(
                        &mut lines,
                        "✓ valid: OpenAI can use the key now",
                        theme.success(),
                        4,
                    ),
                    Some(KeyValidation::Answered(validity, words)) => {
                        let words = words.as_deref().unwrap_or_default();
                        say(
                            &mut lines,
                            &format!(
                                "✗ {}: {}",
                                validity.words(),
                                crate::secrets::one_line(words, 400)
                            ),
                            theme.error(),
                            4,
                        );
                        explained(&mut lines, words, width, model);
                    }
                    None => {}
                }
                if here {
                    cursor = start..lines.len();
                }
            }
            if *incomplete {
                lines.push(Line::default());
                say(
                    &mut lines,
                    &format!(
                        "OpenAI still said there was more after {} pages: this is not the whole list.",
                        crate::openai::keys::MAX_PAGES
                    ),
                    theme.warning(),
                    0,
                );
            }
        }
    }
    if let Some((done, note)) = &pane.note {
        lines.push(Line::default());
        say(
            &mut lines,
            note,
            if *done {
                theme.success()
            } else {
                theme.error()
            },
            0,
        );
    }
    (lines, cursor)
}

/// What uses a key, in words.
pub(crate) fn users(key: &ExternalKey) -> String {
    let mut users: Vec<String> = key
        .api_project_ids
        .iter()
        .map(|p| format!("project {}", crate::secrets::outside_id(p, 80)))
        .collect();
    if let Some(workspace) = &key.workspace_id {
        users.push(format!(
            "ChatGPT workspace {}",
            crate::secrets::outside_id(workspace, 80)
        ));
    }
    if users.is_empty() {
        "used by nothing".into()
    } else {
        format!("used by {}", users.join(", "))
    }
}

/// The troubleshooting entry an error matches, as the last step shows it.
fn explained(lines: &mut Vec<Line<'static>>, error: &str, width: usize, model: &Model) {
    if let Some(found) = crate::explain::explain(error) {
        let text = format!(
            "→ {}: {} (x explains it)",
            found.entry.title,
            found.entry.fixes.first().map(String::as_str).unwrap_or("")
        );
        for piece in wrap(&text, width.saturating_sub(6)) {
            lines.push(Line::styled(
                format!("      {piece}"),
                model.theme.warning(),
            ));
        }
    }
}

pub(crate) fn draw_keys(frame: &mut Frame, model: &Model, area: Rect) {
    let (lines, cursor) = keys_view(model, area.width);
    let height = usize::from(area.height);
    // The key under the cursor is always in view, its first row first.
    let mut scroll = 0;
    if cursor.end > height {
        scroll = cursor.end - height;
    }
    if cursor.start < scroll || cursor.len() > height {
        scroll = cursor.start;
    }
    let visible: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::effect::KeyRef;
    use crate::app::features::testing::on_step;
    use serde_json::json;

    fn key(id: &str, projects: &[&str]) -> ExternalKey {
        ExternalKey::from_value(&json!({
            "id": id, "name": format!("name of {id}"), "purpose": "ekm", "type": "made-up",
            "api_project_ids": projects, "created_at": 1_760_000_000,
        }))
        .unwrap()
    }

    /// A model with the admin key in the environment and the view open on `keys`.
    fn listed_with(keys: Vec<ExternalKey>) -> Model {
        let mut model = on_step(0);
        model.registration.key_from_env = true;
        let effects = open_keys(&mut model);
        let generation = match effects.as_slice() {
            [
                Effect::ListKeys {
                    generation, key, ..
                },
            ] => {
                assert_eq!(*key, KeyRef::Environment);
                *generation
            }
            other => panic!("{other:?}"),
        };
        listed(
            &mut model,
            generation,
            Ok(Listing {
                keys,
                left_out: 0,
                unreadable: 0,
                incomplete: false,
            }),
        );
        model
    }

    #[test]
    fn without_an_admin_key_the_view_does_not_open_and_says_how_to_give_one() {
        let mut model = on_step(0);
        model.registration.key_from_env = false;
        assert!(open_keys(&mut model).is_empty());
        assert!(model.layers.keys().is_none());
        let said = model.status.unwrap().text;
        assert!(said.contains("OPENAI_ADMIN_KEY"), "{said}");
    }

    #[test]
    fn the_list_arrives_the_cursor_moves_within_it_and_a_late_answer_is_dropped() {
        let mut model = listed_with(vec![key("extkey_a", &[]), key("extkey_b", &[])]);
        let pane = model.layers.keys().unwrap();
        assert_eq!(pane.keys().len(), 2);
        let generation = pane.generation;
        select(&mut model, 5);
        assert_eq!(model.layers.keys().unwrap().selected, 1);
        select(&mut model, -9);
        assert_eq!(model.layers.keys().unwrap().selected, 0);
        // An answer for another opening of the view changes nothing.
        listed(
            &mut model,
            generation + 1,
            Ok(Listing {
                keys: Vec::new(),
                left_out: 0,
                unreadable: 0,
                incomplete: false,
            }),
        );
        assert_eq!(model.layers.keys().unwrap().keys().len(), 2);
    }

    #[test]
    fn the_key_this_wizard_registered_is_chosen_and_marked() {
        let mut model = on_step(0);
        model.external_key_id = Some("extkey_b".into());
        model.registration.key_from_env = true;
        let generation = match open_keys(&mut model).as_slice() {
            [Effect::ListKeys { generation, .. }] => *generation,
            other => panic!("{other:?}"),
        };
        listed(
            &mut model,
            generation,
            Ok(Listing {
                keys: vec![key("extkey_a", &[]), key("extkey_b", &[])],
                left_out: 0,
                unreadable: 0,
                incomplete: false,
            }),
        );
        assert_eq!(model.layers.keys().unwrap().selected, 1);
        let (lines, cursor) = keys_view(&model, 80);
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert!(
            text[cursor.start].contains("extkey_b")
                && text[cursor.start].contains("registered by this wizard"),
            "{text:?}"
        );
    }

    #[test]
    fn validating_sends_once_and_keeps_the_answer_read_by_the_one_rule() {
        let mut model = listed_with(vec![key("extkey_a", &[])]);
        let effects = validate_selected(&mut model);
        let generation = match effects.as_slice() {
            [
                Effect::ValidateListedKey {
                    key_id, generation, ..
                },
            ] => {
                assert_eq!(key_id, "extkey_a");
                *generation
            }
            other => panic!("{other:?}"),
        };
        assert!(model.busy(), "waiting for OpenAI");
        assert!(validate_selected(&mut model).is_empty(), "asked once");
        validated(
            &mut model,
            generation,
            "extkey_a".into(),
            Err((Validity::Invalid, "kms:Decrypt denied".into())),
        );
        let pane = model.layers.keys().unwrap();
        assert_eq!(
            pane.validation("extkey_a"),
            Some(&KeyValidation::Answered(
                Validity::Invalid,
                Some("kms:Decrypt denied".into())
            ))
        );
        assert!(!model.busy());
        assert_eq!(model.status.as_ref().unwrap().kind, StatusKind::Error);
        assert!(
            model
                .recent_errors
                .iter()
                .any(|e| e.contains("kms:Decrypt")),
            "kept for the explain screen"
        );
    }

    #[test]
    fn a_used_key_is_refused_without_a_question_naming_its_projects_and_retire() {
        let mut model = listed_with(vec![key("extkey_a", &["proj_live"])]);
        assert!(delete_selected(&mut model).is_empty());
        assert_eq!(model.layers.question(), None, "no question for a used key");
        let said = model.status.as_ref().unwrap().text.clone();
        assert!(said.contains("proj_live"), "{said}");
        assert!(said.contains("ekm-wizard keys retire extkey_a"), "{said}");
        assert_eq!(model.layers.keys().unwrap().deleting, None);
    }

    #[test]
    fn a_free_key_is_deleted_only_after_a_yes_and_leaves_the_list() {
        let mut model = listed_with(vec![key("extkey_a", &[]), key("extkey_b", &[])]);
        assert!(delete_selected(&mut model).is_empty(), "asks first");
        assert_eq!(model.layers.question(), Some(Question::DeleteKey));
        // No: nothing sent.
        crate::app::features::question::decline(&mut model);
        assert_eq!(model.layers.keys().unwrap().deleting, None);
        assert!(
            delete_confirmed(&mut model).is_empty(),
            "the question is gone"
        );
        // Yes: one delete of the key asked about.
        delete_selected(&mut model);
        let effects = crate::app::features::question::answer_yes(&mut model);
        let generation = match effects.as_slice() {
            [
                Effect::DeleteListedKey {
                    key_id, generation, ..
                },
            ] => {
                assert_eq!(key_id, "extkey_a");
                *generation
            }
            other => panic!("{other:?}"),
        };
        deleted(&mut model, generation, "extkey_a".into(), Ok(()));
        let pane = model.layers.keys().unwrap();
        assert_eq!(pane.keys().len(), 1);
        assert_eq!(pane.keys()[0].id, "extkey_b");
        assert_eq!(model.status.as_ref().unwrap().kind, StatusKind::Success);
    }
}
