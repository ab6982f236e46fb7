//! The registration part of the "After" step on the API path: the admin key (masked, never
//! saved), and where the registration stands. The work itself is done by `openai::register`
//! in effects; this is only its state on screen.

use serde_json::Value;
use zeroize::Zeroizing;

use crate::openai::{AdminKey, ApiBase};

/// A masked text input for the admin key. The screen shows only whether something was typed;
/// the memory is wiped when cleared or dropped.
#[derive(Default)]
pub struct SecretInput {
    value: Zeroizing<String>,
}

impl SecretInput {
    pub fn is_empty(&self) -> bool {
        self.value.is_empty()
    }

    pub fn push(&mut self, c: char) {
        if !c.is_control() {
            self.value.push(c);
        }
    }

    pub fn pop(&mut self) {
        self.value.pop();
    }

    pub fn set(&mut self, text: &str) {
        self.value = Zeroizing::new(text.trim().to_string());
    }

    pub fn clear(&mut self) {
        self.value = Zeroizing::new(String::new());
    }

    /// The key, when one was typed.
    pub fn key(&self) -> Option<AdminKey> {
        AdminKey::new(self.value.as_str()).ok()
    }

    /// Puts the typed key on the redactor's list, so no echo of it is ever shown.
    pub fn teach(&self, redactor: &mut crate::secrets::Redactor) {
        redactor.learn(self.value.as_str());
    }
}

/// Where the registration stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Phase {
    /// Nothing asked yet.
    #[default]
    Idle,
    /// Listing keys and projects.
    Checking,
    /// Listed: waiting for the admin's confirmation.
    Ready {
        /// A key already registered with the same settings.
        existing: Option<Value>,
        ekm_enabled: Option<bool>,
    },
    /// Registering, creating the project, validating.
    Registering,
    /// Validating again.
    Validating,
    /// The last request failed with this message.
    Failed(String),
}

impl Phase {
    pub fn busy(&self) -> bool {
        matches!(
            self,
            Phase::Checking | Phase::Registering | Phase::Validating
        )
    }
}

/// Registration state on the API path.
#[derive(Default)]
pub struct RegistrationPane {
    pub typed_key: SecretInput,
    /// `OPENAI_ADMIN_KEY` is set: the key is read from there when needed, never held here.
    pub key_from_env: bool,
    /// The Management API base, or why the configured one is refused.
    pub api_base: Option<Result<ApiBase, String>>,
    pub phase: Phase,
    /// Tags requests so an answer to an abandoned one is dropped.
    pub generation: u64,
    /// The result of the last validation, for the screen.
    pub validation: Option<Result<(), String>>,
    /// Whether the last registration reused a key that was already there.
    pub reused_key: bool,
}

impl RegistrationPane {
    pub fn base_text(&self) -> String {
        match &self.api_base {
            Some(Ok(base)) => base.to_string(),
            Some(Err(err)) => err.clone(),
            None => crate::identities::OPENAI_API_BASE.to_string(),
        }
    }
}
