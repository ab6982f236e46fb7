//! The contract between the wizard and one cloud: the `CloudKit` trait every cloud folder
//! (`src/clouds/<cloud>/`) implements, and `Cloud`, the handle generic code holds. Generic code
//! talks to a cloud only through these; it never names one.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::fields::FieldSpec;
use super::plan::{CheckSpec, CheckTarget};
use super::{ArtifactId, FieldError, FieldId, Guide, Inputs, SetupPath, StepId};

/// What a generated block holds: a JSON document or text (commands, a message).
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactBody {
    Json(Value),
    Text(String),
}

impl ArtifactBody {
    /// The block as it is copied: JSON pretty-printed; always ending with a newline.
    pub fn to_text(&self) -> String {
        match self {
            ArtifactBody::Json(value) => {
                let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
                text.push('\n');
                text
            }
            ArtifactBody::Text(text) => {
                let mut text = text.clone();
                if !text.ends_with('\n') {
                    text.push('\n');
                }
                text
            }
        }
    }

    /// The file extension when the block is written to a file.
    pub fn extension(&self) -> &'static str {
        match self {
            ArtifactBody::Json(_) => "json",
            ArtifactBody::Text(_) => "txt",
        }
    }
}

/// Every field a block needs that is missing or refused.
pub type Missing = Vec<FieldError>;

/// What a cloud hands over to OpenAI: the ChatGPT Enterprise details and the API's body.
pub struct Handover {
    pub details: Value,
    pub body: Value,
}

/// A block of the JSON document `render --json` prints: its key and the block behind it.
pub type RenderEntry = (&'static str, ArtifactId);

/// Something a kit does for the admin on one step, after asking (create OpenAI's service
/// principal, say).
/// Changes that take time to reach everyone in a cloud (IAM, role assignments): a check of
/// them that fails right after a fix may pass minutes later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Propagation {
    /// The checks whose failure can be a change still spreading.
    pub checks: &'static [crate::guide::CheckId],
    /// How long such a change can take, as the cloud documents it.
    pub up_to: std::time::Duration,
    /// What spreads, for the admin ("IAM changes").
    pub what: &'static str,
}

/// A format the setup can be written in as code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeFormat {
    /// The value of `render --format`.
    pub key: &'static str,
    /// As a person writes it.
    pub title: &'static str,
}

/// Terraform, which every cloud with code formats speaks.
pub const TERRAFORM: CodeFormat = CodeFormat {
    key: "terraform",
    title: "Terraform",
};

pub struct ActionSpec {
    pub id: super::ActionId,
    pub step: StepId,
    /// What `y` does while it is asked, for the footer: `create OpenAI's service principal`.
    pub title: &'static str,
    /// Its line in the help screen.
    pub help: &'static str,
    /// The hint under the checks when a check in `offered_after` failed.
    pub offer: &'static str,
    /// The question under the checks while it is asked.
    pub asking: &'static str,
    /// The line under the checks while it runs.
    pub running: &'static str,
    /// The flag of `check` that asks for it, and the key of its outcome in `check --json`.
    pub flag: &'static str,
    pub json_key: &'static str,
    /// The refusal when what it needs is not recorded yet (the error follows).
    pub needs: &'static str,
    /// What the status says when the admin declines.
    pub declined: &'static str,
    /// What `s` says on a cloud without actions, pointing to this one.
    pub elsewhere: &'static str,
    /// The status line while it runs.
    pub working: &'static str,
    /// The question asked before doing it, from what is recorded.
    pub question: fn(&Inputs) -> String,
    /// The checks whose failure it fixes: their failure offers it on its step and the last.
    pub offered_after: &'static [super::CheckId],
}

/// One cloud, whole: its guide, fields, blocks, checks and actions.
pub trait CloudKit: Send + Sync + 'static {
    /// The short name in commands and files: `aws`.
    fn key(&self) -> &'static str;
    /// The name people read: `AWS KMS`.
    fn display_name(&self) -> &'static str;
    /// The guide, parsed once from the kit's `guide.toml`.
    fn guide(&self) -> &'static Guide;
    /// The cloud's own fields (the organization id, the key's and the project's names are
    /// everyone's and not listed).
    fn fields(&self) -> &'static [FieldSpec];
    /// The field holding the id OpenAI presents (asked on the start screen), if any.
    fn presented_id_field(&self) -> Option<FieldId> {
        None
    }
    /// The default key name at OpenAI.
    fn default_key_name(&self) -> &'static str;
    /// Every step id, in the guide's order.
    fn steps(&self) -> &'static [StepId];
    /// The cloud's own blocks (the shared hand-over blocks are not listed).
    fn artifacts(&self) -> &'static [ArtifactId];
    /// Generates one of the cloud's own blocks.
    fn generate(
        &self,
        artifact: ArtifactId,
        inputs: &Inputs,
        path: SetupPath,
    ) -> Result<ArtifactBody, Missing>;
    /// What is handed over to OpenAI.
    fn handover(&self, inputs: &Inputs, path: SetupPath) -> Result<Handover, Missing>;
    /// Whether a block applies, given what is recorded.
    fn artifact_is_relevant(&self, _artifact: ArtifactId, _inputs: &Inputs) -> bool {
        true
    }
    /// Notes shown above a step's blocks, given what is recorded.
    fn step_notes(&self, _step: StepId, _inputs: &Inputs) -> Vec<String> {
        Vec::new()
    }
    /// Warnings about recorded values that are valid but carry a risk the admin should know
    /// of, by field: shown under the field in the wizard, printed by `render`, `check` and
    /// `register`. They refuse nothing.
    fn field_warnings(&self, _inputs: &Inputs) -> Vec<(FieldId, String)> {
        Vec::new()
    }
    /// The documents and the commands of `render --json`, by key.
    fn render_layout(&self) -> (&'static [RenderEntry], &'static [RenderEntry]);
    /// The live checks, in the order they are shown.
    fn check_plan(&self) -> &'static [CheckSpec];
    /// What the checks need, read from the recorded inputs. With `whole`, every value must be
    /// recorded; otherwise values of later steps may be missing (their checks wait).
    fn check_target(
        &self,
        inputs: &Inputs,
        path: SetupPath,
        whole: bool,
    ) -> Result<Arc<dyn CheckTarget>, Vec<FieldError>>;
    /// What "do it for me" reads from the recorded inputs: `None` when the kit cannot make its
    /// resources itself, else the applier or every refused field.
    fn applier(
        &self,
        _inputs: &Inputs,
    ) -> Option<Result<Box<dyn super::apply::Applier>, Vec<FieldError>>> {
        None
    }
    /// Refuses endpoint overrides the checks must not use (plain http to another machine, a
    /// value that is not UTF-8), before anything is sent.
    fn check_endpoints(&self) -> Result<(), super::plan::CannotCheck> {
        Ok(())
    }
    /// The fields that only name what the setup makes (an IAM policy, a custom role) in the
    /// generated commands and in apply: the checks, a drill and registering never read them,
    /// so `check`, `doctor`, `watch`, `drill` and `register` do not offer their flags.
    fn naming_fields(&self) -> &'static [crate::guide::FieldId] {
        &[]
    }
    /// The help of `--profile` when the cloud's credentials come in named profiles; `None`
    /// when it has none (then `check <cloud>` takes no `--profile`).
    fn profile_help(&self) -> Option<&'static str> {
        None
    }
    /// Environment variables whose values are secrets of this cloud's tools.
    fn secret_env_vars(&self) -> &'static [&'static str] {
        &[]
    }
    /// Words besides its key and display name that name this cloud (its maker, its tools, its
    /// directory): code outside the kit's folder may not use them
    /// (`tests/one_home_per_cloud.rs`).
    fn provider_words(&self) -> &'static [&'static str] {
        &[]
    }
    /// The shapes of the secrets this cloud issues (its access tokens, its key ids), redacted
    /// wherever they appear.
    fn secret_patterns(&self) -> &'static [crate::secrets::SecretPattern] {
        &[]
    }
    /// What the kit can do for the admin.
    fn actions(&self) -> &'static [ActionSpec] {
        &[]
    }
    /// Which checks can fail while a fix is still spreading, and for how long.
    fn propagation(&self) -> Option<Propagation> {
        None
    }
    /// The formats the setup can be written in as code, for `render --format` and the
    /// wizard's "as code" view.
    fn code_formats(&self) -> &'static [CodeFormat] {
        &[]
    }
    /// The setup as code in `format`, as files (name, text), from what is recorded (what is
    /// not becomes a parameter or variable without a default).
    fn as_code(&self, _format: &str, _inputs: &Inputs) -> Option<Vec<(String, String)>> {
        None
    }
    /// The setup as code in `format` with OpenAI's own registration in it (`render --format F
    /// --with-openai`), where OpenAI's provider can register a key on this cloud; otherwise
    /// why not, in words for the admin.
    fn as_code_with_openai(
        &self,
        _format: &str,
        _inputs: &Inputs,
    ) -> Result<Vec<(String, String)>, String> {
        Err(format!(
            "--with-openai: OpenAI's Terraform provider has no resource that registers a key held in {}; the module's output `ekm_wizard_config` is the config for `ekm-wizard register {} --config FILE`, which registers it",
            self.display_name(),
            self.key()
        ))
    }
    /// Troubleshooting entries of this cloud, as TOML (`[[entries]]`).
    fn troubleshooting(&self) -> &'static str {
        ""
    }
    /// The `type` OpenAI's Management API gives a key held in this cloud.
    fn openai_key_type(&self) -> &'static str {
        self.key()
    }
    /// The KMS resource a key object from OpenAI's listing names, in words (its key, ring or
    /// vault), or `None` when the object names none. The text came from outside: the caller
    /// makes it safe to show.
    fn registered_resource(&self, _key: &serde_json::Value) -> Option<String> {
        None
    }
}

/// The handle generic code holds for a cloud: cheap to copy, compared by key.
#[derive(Clone, Copy)]
pub struct Cloud(&'static dyn CloudKit);

impl Cloud {
    pub const fn of(kit: &'static dyn CloudKit) -> Cloud {
        Cloud(kit)
    }

    pub fn kit(self) -> &'static dyn CloudKit {
        self.0
    }

    /// The short name used in commands and files.
    pub fn key(self) -> &'static str {
        self.0.key()
    }

    pub fn display_name(self) -> &'static str {
        self.0.display_name()
    }

    pub fn guide(self) -> &'static Guide {
        self.0.guide()
    }

    /// The field holding the id OpenAI presents, if the cloud has one.
    pub fn presented_id_field(self) -> Option<FieldId> {
        self.0.presented_id_field()
    }

    /// The rules of a field this cloud records (its own, or one every cloud shares).
    pub fn field(self, field: FieldId) -> Option<&'static FieldSpec> {
        super::fields::SHARED
            .iter()
            .chain(self.0.fields())
            .find(|spec| spec.id == field)
    }

    /// Every field this cloud records.
    pub fn all_fields(self) -> impl Iterator<Item = &'static FieldSpec> {
        super::fields::SHARED.iter().chain(self.0.fields())
    }

    /// The field of this cloud named `key`.
    pub fn field_by_key(self, key: &str) -> Option<FieldId> {
        self.all_fields().map(|s| s.id).find(|f| f.key() == key)
    }

    /// The field's label, as the screen shows it.
    pub fn label(self, field: FieldId) -> String {
        super::label_of(self, field)
    }

    /// The step of this cloud with id `key`.
    pub fn step_by_key(self, key: &str) -> Option<StepId> {
        self.0.steps().iter().copied().find(|s| s.key() == key)
    }
}

impl PartialEq for Cloud {
    fn eq(&self, other: &Cloud) -> bool {
        self.key() == other.key()
    }
}

impl Eq for Cloud {}

impl std::hash::Hash for Cloud {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl fmt::Debug for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl fmt::Display for Cloud {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl Serialize for Cloud {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.key())
    }
}
