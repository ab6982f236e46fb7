//! The keys at OpenAI in the plain wizard: `keys` prints the organization's EKM keys, numbered,
//! and `validate N` asks OpenAI to validate key N of that list. Both open the same view the
//! full-screen wizard has (through its messages), wait for OpenAI, print, and close it again,
//! so no view stays open under the plain wizard's other commands.

use super::Plain;
use super::print::Tone;
use crate::app::Msg;
use crate::app::features::keys::users;
use crate::app::model::{KeyValidation, KeysListing};
use crate::openai::validity::Validity;

impl Plain<'_> {
    /// The admin key at hand, asked for on the last step as `register` does; `false` (said)
    /// when there is none.
    fn admin_key_at_hand(&mut self) -> bool {
        let registration = &self.model.registration;
        if registration.key_from_env || !registration.typed_key.is_empty() {
            return true;
        }
        if !self.model.registers_here() {
            self.out.line(
                "The keys at OpenAI are read with your admin key: start the wizard with OPENAI_ADMIN_KEY set, or type keys on the last step of the API path, where the key is asked for.",
            );
            return false;
        }
        let Some(key) = self.reader.secret(
            &self.out,
            "OpenAI admin key (typing is hidden; OPENAI_ADMIN_KEY works too):",
        ) else {
            self.out.line("No key was typed: nothing was sent.");
            return false;
        };
        let msgs = super::answers::set_admin_key(&self.model, key.as_str());
        self.send_all(msgs);
        true
    }

    /// Opens the keys view and waits for the list; `false` when it could not be read (said).
    fn read_keys(&mut self) -> bool {
        if !self.admin_key_at_hand() {
            return false;
        }
        self.send(Msg::OpenKeys);
        if self.model.keys_view().is_none() {
            self.show_status();
            return false;
        }
        self.status_said();
        self.out
            .line("Reading the organization's EKM keys from OpenAI…");
        self.settle();
        match self.model.keys_view().map(|pane| &pane.listing) {
            Some(KeysListing::Read { .. }) => true,
            _ => {
                self.send(Msg::CloseOverlay);
                false
            }
        }
    }

    /// `keys`: every EKM key, numbered for `validate N`.
    pub(super) fn keys(&mut self) {
        if !self.read_keys() {
            return;
        }
        let registered = self.model.external_key_id.clone();
        if let Some(pane) = self.model.keys_view() {
            let keys = pane.keys();
            if keys.is_empty() {
                self.out
                    .line("No EKM key is registered in this organization.");
            }
            for (index, key) in keys.iter().enumerate() {
                let mine = if registered.as_deref() == Some(key.id.as_str()) {
                    " (registered by this wizard)"
                } else {
                    ""
                };
                self.out.line(&format!(
                    "{}. {} \"{}\"{mine}",
                    index + 1,
                    key.id,
                    crate::secrets::outside_id(&key.name, 80)
                ));
                self.out.line(&format!(
                    "   {}: {}",
                    key.cloud_words(),
                    key.resource
                        .as_deref()
                        .map(|r| crate::secrets::outside_id(r, 300))
                        .unwrap_or_else(|| "(no resource the wizard knows)".into())
                ));
                self.out.line(&format!(
                    "   created {}; {}",
                    key.created.as_deref().unwrap_or("(no time given)"),
                    users(key)
                ));
            }
            if !keys.is_empty() {
                self.out.line(
                    "Type validate N to ask OpenAI to use key N now. Deleting or retiring a key: ekm-wizard keys delete ID, ekm-wizard keys retire ID.",
                );
            }
        }
        self.send(Msg::CloseOverlay);
        self.status_said();
    }

    /// `validate N`: key N of the list (read again) validated, its error explained.
    pub(super) fn validate_key(&mut self, number: usize) {
        if !self.read_keys() {
            return;
        }
        let count = self.model.keys_view().map_or(0, |p| p.keys().len());
        if number == 0 || number > count {
            self.out.line(&match count {
                0 => "No EKM key is registered in this organization.".to_string(),
                n => format!("There are keys 1 to {n}: type keys to list them."),
            });
            self.send(Msg::CloseOverlay);
            self.status_said();
            return;
        }
        self.send(Msg::SelectKey(i32::try_from(number - 1).unwrap_or(0)));
        let id = self
            .model
            .keys_view()
            .and_then(|p| p.selected_key())
            .map(|k| k.id.clone())
            .unwrap_or_default();
        self.send(Msg::ValidateSelectedKey);
        self.status_said();
        self.out.line(&format!("Validating {id}…"));
        self.settle();
        let answer = self
            .model
            .keys_view()
            .and_then(|p| p.validation(&id))
            .cloned();
        match answer {
            Some(KeyValidation::Answered(Validity::Valid, _)) => self.out.say(
                Tone::Good,
                &format!("{id}: valid: OpenAI can use the key now."),
            ),
            Some(KeyValidation::Answered(validity, words)) => {
                let words = words.unwrap_or_default();
                self.out.say(
                    Tone::Bad,
                    &format!(
                        "{id}: {}: {}",
                        validity.words(),
                        crate::secrets::one_line(&words, 600)
                    ),
                );
                if let Some(found) = crate::explain::explain(&words) {
                    self.out.line("");
                    self.out.line(&crate::explain::describe(&found));
                }
            }
            _ => self.show_status(),
        }
        self.send(Msg::CloseOverlay);
        self.status_said();
    }
}
