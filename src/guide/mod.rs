//! The contract every cloud fills in: guides as data (paths, steps, the fields an admin
//! records and the blocks each step generates), typed ids, recorded inputs, the `CloudKit`
//! trait and the check plan types. Each cloud's wording lives in `src/clouds/<cloud>/guide.toml`;
//! this module gives it types.

pub mod apply;
pub mod fields;
pub mod ids;
pub mod kit;
pub mod plan;
pub mod validate;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

pub use fields::{FieldSpec, Implied};
pub use ids::{ActionId, ArtifactId, CheckId, FieldId, StepId};
pub use kit::{
    ArtifactBody, Cloud, CloudKit, CodeFormat, Handover, Missing, Propagation, TERRAFORM,
};
pub use validate::FieldError;

/// How the key reaches OpenAI once the cloud side is ready.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum SetupPath {
    /// The admin registers the key through OpenAI's Management API.
    #[default]
    Api,
    /// A ChatGPT Enterprise customer sends the details to their OpenAI contact.
    #[serde(rename = "chatgpt")]
    #[value(name = "chatgpt")]
    ChatGpt,
}

impl SetupPath {
    pub const ALL: [SetupPath; 2] = [SetupPath::Api, SetupPath::ChatGpt];

    pub fn key(self) -> &'static str {
        match self {
            SetupPath::Api => "api",
            SetupPath::ChatGpt => "chatgpt",
        }
    }

    pub fn display_name(self) -> &'static str {
        match self {
            SetupPath::Api => "API registration",
            SetupPath::ChatGpt => "ChatGPT Enterprise hand-over",
        }
    }
}

/// The longest value any field takes (an IAM role ARN with its longest path is under 600
/// characters): anything longer is a paste gone wrong, refused without being echoed.
pub const MAX_FIELD_LENGTH: usize = 2048;

/// Why a value read back from a file may not be loaded, if it may not: the rules a typed value
/// meets (its length, no secret, nothing that acts on a terminal), never echoing it.
pub fn unloadable(value: &str) -> Option<String> {
    let length = value.chars().count();
    if length > MAX_FIELD_LENGTH {
        return Some(format!(
            "{length} characters; no value of this field is longer than {MAX_FIELD_LENGTH}"
        ));
    }
    if crate::secrets::looks_secret(value) {
        return Some("it looks like a secret (a key or a token)".into());
    }
    if value.chars().any(char::is_control) {
        return Some("it holds control characters".into());
    }
    None
}

/// What the admin typed for one cloud, as typed. Cleaned, defaulted values are derived from
/// it on demand, never stored beside it. Only the values are saved; the cloud is saved beside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    pub cloud: Cloud,
    values: BTreeMap<FieldId, String>,
    /// What was left out when these inputs were read back from a file, and why: never
    /// saved, only said.
    left_out: Vec<LeftOut>,
}

/// A saved value not loaded, named (a field's label, or what it was) with the reason; the
/// value itself is never kept nor shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    pub what: String,
    pub why: String,
}

impl Serialize for Inputs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.values.serialize(serializer)
    }
}

impl Inputs {
    pub fn new(cloud: Cloud) -> Self {
        Inputs {
            cloud,
            values: BTreeMap::new(),
            left_out: Vec::new(),
        }
    }

    /// Inputs from saved `key → value` pairs; a key this cloud does not record is named. A
    /// saved value passes the rules a typed one meets before it is kept: one longer than any
    /// value of its field, shaped like a secret, or holding control characters is left out,
    /// and named in [`Inputs::left_out`] with the reason.
    pub fn from_saved(cloud: Cloud, saved: BTreeMap<String, String>) -> Result<Inputs, String> {
        let mut inputs = Inputs::new(cloud);
        for (key, value) in saved {
            let Some(field) = cloud.field_by_key(&key) else {
                return Err(format!(
                    "`{}` is not a field of {}",
                    crate::secrets::outside_id(&key, 60),
                    cloud.display_name()
                ));
            };
            match unloadable(&value) {
                Some(why) => inputs.leave_out(cloud.label(field), why),
                None => inputs.set(field, value),
            }
        }
        Ok(inputs)
    }

    /// Notes a saved value that was not loaded (it is not kept).
    pub fn leave_out(&mut self, what: impl Into<String>, why: impl Into<String>) {
        self.left_out.push(LeftOut {
            what: what.into(),
            why: why.into(),
        });
    }

    /// The saved values not loaded, and why.
    pub fn left_out(&self) -> &[LeftOut] {
        &self.left_out
    }

    /// One sentence naming what was left out of the saved values, when anything was.
    pub fn left_out_sentence(&self) -> Option<String> {
        if self.left_out.is_empty() {
            return None;
        }
        let named: Vec<String> = self
            .left_out
            .iter()
            .map(|l| format!("{} ({})", l.what, l.why))
            .collect();
        Some(format!(
            "Left out of the saved progress, so type again: {}.",
            named.join("; ")
        ))
    }

    pub fn raw(&self, field: FieldId) -> &str {
        self.values.get(&field).map(String::as_str).unwrap_or("")
    }

    pub fn set(&mut self, field: FieldId, value: impl Into<String>) {
        self.values.insert(field, value.into());
    }

    /// Every value typed so far.
    pub fn typed(&self) -> impl Iterator<Item = (FieldId, &str)> {
        self.values.iter().map(|(f, v)| (*f, v.as_str()))
    }

    /// The value to validate: what was typed, or the field's default when nothing was.
    pub fn effective(&self, field: FieldId) -> String {
        let raw = self.raw(field);
        if raw.trim().is_empty()
            && let Some(default) = self.default_value(field)
        {
            return default;
        }
        raw.to_string()
    }

    /// The value used when the admin leaves the field empty, if the field has one: what a
    /// full name typed in another field gives it, else the field's default.
    pub fn default_value(&self, field: FieldId) -> Option<String> {
        if let Some((_, value)) = self.implied_value(field, None) {
            return Some(value);
        }
        self.cloud
            .field(field)
            .and_then(|spec| spec.default)
            .map(|default| default(self))
    }

    /// The value a full name typed in another field (never `except`) gives `field`, and the
    /// field that gives it: the first in the cloud's order whose value is itself accepted.
    pub fn implied_value(
        &self,
        field: FieldId,
        except: Option<FieldId>,
    ) -> Option<(FieldId, String)> {
        self.cloud
            .all_fields()
            .map(|spec| spec.id)
            .filter(|source| *source != field && Some(*source) != except)
            .find_map(|source| {
                self.implied_parts(source, self.raw(source))
                    .into_iter()
                    .find(|part| part.field == field)
                    .map(|part| (source, part.value))
            })
    }

    /// The other fields `raw`, typed in `source`, names when it is a full resource name; none
    /// when the value is refused on its own.
    pub fn implied_parts(&self, source: FieldId, raw: &str) -> Vec<Implied> {
        let Some(implies) = self.cloud.field(source).and_then(|spec| spec.implies) else {
            return Vec::new();
        };
        let squeezed: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if squeezed.is_empty() {
            return Vec::new();
        }
        // The name is read first: a plain id (the common case) names nothing, and costs no
        // validation on every frame.
        let parts: Vec<Implied> = implies(&squeezed)
            .into_iter()
            .filter(|part| part.field != source && self.cloud.field(part.field).is_some())
            .collect();
        if parts.is_empty() || self.check_alone(source, raw).is_err() {
            return Vec::new();
        }
        parts
    }

    /// Writes into every empty field what a full name typed in another field gives it; returns
    /// each field filled, its value and the field whose full name gave it.
    pub fn fill_implied(&mut self) -> Vec<(FieldId, String, FieldId)> {
        let filled: Vec<(FieldId, String, FieldId)> = self
            .cloud
            .all_fields()
            .map(|spec| spec.id)
            .filter(|field| self.raw(*field).trim().is_empty())
            .filter_map(|field| {
                self.implied_value(field, None)
                    .map(|(source, value)| (field, value, source))
            })
            .collect();
        for (field, value, _) in &filled {
            self.set(*field, value.clone());
        }
        filled
    }

    /// Drops every value that looks like a secret (an OpenAI key, a token pasted into the
    /// wrong field): such a value is refused on screen and never saved.
    pub fn forget_secrets(&mut self) {
        self.values
            .retain(|_, value| !crate::secrets::looks_secret(value));
    }

    /// The cleaned value, or why it is refused.
    pub fn validated(&self, field: FieldId) -> Result<String, FieldError> {
        if self.raw(field).trim().is_empty()
            && let Some(source) = self.cloud.field(field).and_then(|s| s.default_follows)
            && source != field
        {
            self.validated(source)?;
        }
        self.check(field, &self.effective(field))
    }

    /// Checks a raw value for `field`, returning the cleaned value on success. Some fields are
    /// checked against others (a Key Vault key name against the organization id), and a full
    /// resource name against the fields it also names.
    pub fn check(&self, field: FieldId, raw: &str) -> Result<String, FieldError> {
        let cleaned = self.check_alone(field, raw)?;
        self.no_conflict(field, raw)?;
        Ok(cleaned)
    }

    /// A full name typed in `field` may not name another field differently from what that
    /// field holds (typed, or given by a third field's full name): a silent choice of one
    /// would name another resource than the one pasted.
    fn no_conflict(&self, field: FieldId, raw: &str) -> Result<(), FieldError> {
        for part in self.implied_parts(field, raw) {
            let other = part.field;
            let typed = self.raw(other);
            let (held, from) = if !typed.trim().is_empty() {
                (typed.to_string(), None)
            } else {
                match self.implied_value(other, Some(field)) {
                    Some((source, value)) => (value, Some(source)),
                    None => continue,
                }
            };
            let ours = self.normalised(other, &part.value);
            let theirs = self.normalised(other, &held);
            if ours == theirs || (part.any_case && ours.eq_ignore_ascii_case(&theirs)) {
                continue;
            }
            let label = self.cloud.label(other);
            let problem = validate::conflict_problem(
                &label,
                &ours,
                &theirs,
                from.map(|source| self.cloud.label(source)).as_deref(),
            );
            let mut error = self.refuse(field, problem);
            error.conflict = Some((other, label));
            return Err(error);
        }
        Ok(())
    }

    /// `value` as `field` records it, or as cleaned when refused: what two values are
    /// compared by.
    fn normalised(&self, field: FieldId, value: &str) -> String {
        self.check_alone(field, value)
            .unwrap_or_else(|_| self.clean(field, value).trim().to_string())
    }

    /// Checks a value against the field's own rules only.
    fn check_alone(&self, field: FieldId, raw: &str) -> Result<String, FieldError> {
        let Some(spec) = self.cloud.field(field) else {
            return Err(self.complete(FieldError::new(
                field,
                format!("is not a field of {}", self.cloud.display_name()),
            )));
        };
        let length = raw.chars().count();
        if length > MAX_FIELD_LENGTH {
            return Err(self.complete(FieldError::new(
                field,
                format!(
                    "is {length} characters long; no value of this field is longer than {MAX_FIELD_LENGTH}"
                ),
            )));
        }
        if crate::secrets::looks_secret(raw) {
            return Err(self.complete(FieldError::new(
                field,
                "looks like a secret (a key or a token); it is never recorded or saved: type the value this field asks for, and keep the secret where it was",
            )));
        }
        let cleaned = self.clean(field, raw);
        (spec.validate)(&cleaned, self).map_err(|e| self.complete(e))
    }

    /// What the field holds once pasted text is cleaned: whitespace dropped (unless the field
    /// keeps spaces), a full resource name turned into its id.
    pub fn clean(&self, field: FieldId, raw: &str) -> String {
        let Some(spec) = self.cloud.field(field) else {
            return raw.to_string();
        };
        let value: String = if spec.keeps_spaces {
            raw.to_string()
        } else {
            raw.chars().filter(|c| !c.is_whitespace()).collect()
        };
        match spec.clean {
            Some(clean) => clean(&value),
            None => value,
        }
    }

    /// Fills in a field error's label and expected form from this cloud's guide.
    pub fn complete(&self, mut error: FieldError) -> FieldError {
        if error.label.is_empty() {
            error.label = self.cloud.label(error.field);
        }
        if error.expected.is_empty()
            && let Some(spec) = self.cloud.field(error.field)
        {
            error.expected = spec.expected;
        }
        error
    }

    /// A refusal of `field`, named by its label, with its expected form.
    pub fn refuse(&self, field: FieldId, problem: impl Into<String>) -> FieldError {
        self.complete(FieldError::new(field, problem))
    }

    /// Whether the field is asked at all, given the others.
    pub fn is_relevant(&self, field: FieldId) -> bool {
        self.cloud
            .field(field)
            .and_then(|spec| spec.relevant)
            .is_none_or(|relevant| relevant(self))
    }
}

/// Where an item of a step applies: both paths, or only one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Applies {
    #[default]
    Both,
    Api,
    #[serde(rename = "chatgpt")]
    ChatGpt,
}

impl Applies {
    pub fn includes(self, path: SetupPath) -> bool {
        match self {
            Applies::Both => true,
            Applies::Api => path == SetupPath::Api,
            Applies::ChatGpt => path == SetupPath::ChatGpt,
        }
    }
}

/// A field as a step shows it.
#[derive(Debug, Clone)]
pub struct StepField {
    pub id: FieldId,
    pub only: Applies,
}

/// A generated block as a step shows it.
#[derive(Debug, Clone)]
pub struct StepArtifact {
    pub id: ArtifactId,
    pub only: Applies,
}

/// A paragraph of a step's instructions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paragraph {
    pub text: String,
    #[serde(default)]
    pub only: Applies,
}

/// One step of a guide, mirroring one numbered section of OpenAI's instructions.
#[derive(Debug, Clone)]
pub struct Step {
    pub id: StepId,
    pub title: String,
    /// The name in the step list, at most 16 characters.
    pub short: String,
    pub paragraphs: Vec<Paragraph>,
    pub fields: Vec<StepField>,
    pub artifacts: Vec<StepArtifact>,
    /// Advice shown as a bulleted list.
    pub advice: Vec<String>,
    /// The console page where the step is done: `{field_key}` stands for a recorded value;
    /// while one is missing, the query that names it is left off.
    pub console: Option<String>,
}

impl Step {
    /// The console page of this step, filled in from what is recorded.
    pub fn console_url(&self, inputs: &Inputs) -> Option<String> {
        let template = self.console.as_deref()?;
        let mut url = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let key = &rest[open + 1..open + close];
            let value = inputs
                .cloud
                .field_by_key(key)
                .and_then(|field| inputs.validated(field).ok());
            url.push_str(&rest[..open]);
            match value {
                Some(value) => url.push_str(&value),
                // Not recorded yet: the page without the part that names it.
                None => return Some(url.split('?').next().unwrap_or_default().to_string()),
            }
            rest = &rest[open + close + 1..];
        }
        url.push_str(rest);
        Some(url)
    }

    pub fn paragraphs_for(&self, path: SetupPath) -> impl Iterator<Item = &str> {
        self.paragraphs
            .iter()
            .filter(move |p| p.only.includes(path))
            .map(|p| p.text.trim())
    }

    /// The fields shown on this path, given what has been typed so far.
    pub fn fields_for(&self, path: SetupPath, inputs: &Inputs) -> Vec<FieldId> {
        self.fields
            .iter()
            .filter(|f| f.only.includes(path) && inputs.is_relevant(f.id))
            .map(|f| f.id)
            .collect()
    }

    pub fn artifacts_for(&self, path: SetupPath) -> Vec<ArtifactId> {
        self.artifacts
            .iter()
            .filter(|a| a.only.includes(path))
            .map(|a| a.id)
            .collect()
    }
}

/// Labels and hints for a field.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldText {
    pub label: String,
    pub hint: String,
    #[serde(default)]
    pub placeholder: String,
}

/// Title and where-to-paste hint for a generated block.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArtifactText {
    pub title: String,
    pub hint: String,
}

/// A whole guide for one cloud.
#[derive(Debug, Clone)]
pub struct Guide {
    pub title: String,
    pub steps: Vec<Step>,
    pub fields: BTreeMap<FieldId, FieldText>,
    pub artifacts: BTreeMap<ArtifactId, ArtifactText>,
}

impl Guide {
    pub fn field_text(&self, field: FieldId) -> &FieldText {
        static FALLBACK: OnceLock<FieldText> = OnceLock::new();
        self.fields.get(&field).unwrap_or_else(|| {
            FALLBACK.get_or_init(|| FieldText {
                label: String::new(),
                hint: String::new(),
                placeholder: String::new(),
            })
        })
    }

    pub fn artifact_text(&self, artifact: ArtifactId) -> &ArtifactText {
        static FALLBACK: OnceLock<ArtifactText> = OnceLock::new();
        self.artifacts.get(&artifact).unwrap_or_else(|| {
            FALLBACK.get_or_init(|| ArtifactText {
                title: String::new(),
                hint: String::new(),
            })
        })
    }

    /// The step with this id.
    pub fn step(&self, id: StepId) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// Every field recorded for a cloud: the organization id, the id OpenAI presents (if any),
/// then the steps' fields in the order they ask for them.
pub fn recorded_fields(cloud: Cloud) -> Vec<FieldId> {
    let mut fields = vec![FieldId::ORG_ID];
    fields.extend(cloud.presented_id_field());
    for field in cloud
        .guide()
        .steps
        .iter()
        .flat_map(|s| s.fields.iter().map(|f| f.id))
    {
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    fields
}

/// A field's label as the screen shows it: the start screen's for the organization id and the
/// presented id, else the cloud guide's, else its key in words.
pub(crate) fn label_of(cloud: Cloud, field: FieldId) -> String {
    if field == FieldId::ORG_ID {
        return start_text().org_id.label.clone();
    }
    if cloud.presented_id_field() == Some(field) {
        return start_text().external_id.label.clone();
    }
    let label = &cloud.guide().field_text(field).label;
    if label.is_empty() {
        field.key().replace('_', " ")
    } else {
        label.clone()
    }
}

/// The names a guide's TOML may use, from its kit.
pub struct GuideNames<'a> {
    pub cloud: &'a str,
    pub fields: &'a [FieldId],
    pub artifacts: &'a [ArtifactId],
    pub steps: &'a [StepId],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuide {
    cloud: String,
    title: String,
    steps: Vec<RawStep>,
    fields: BTreeMap<String, FieldText>,
    artifacts: BTreeMap<String, ArtifactText>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    id: String,
    title: String,
    short: String,
    #[serde(default)]
    paragraphs: Vec<Paragraph>,
    #[serde(default)]
    fields: Vec<RawItem>,
    #[serde(default)]
    artifacts: Vec<RawItem>,
    #[serde(default)]
    advice: Vec<String>,
    #[serde(default)]
    console: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: String,
    #[serde(default)]
    only: Applies,
}

/// Parses a guide shipped in a kit, resolving every name to the kit's typed ids. The guides
/// are part of the binary and tested, so a failure here is a build defect, reported with what
/// is wrong.
pub fn parse_guide(source: &str, names: &GuideNames<'_>) -> Guide {
    let name = format!("{}/guide.toml", names.cloud);
    let raw: RawGuide = match toml::from_str(source) {
        Ok(guide) => guide,
        Err(err) => panic!("the built-in guide {name} is malformed: {err}"),
    };
    assert_eq!(raw.cloud, names.cloud, "{name} names another cloud");
    let field = |key: &str| -> FieldId {
        fields::SHARED
            .iter()
            .map(|s| s.id)
            .chain(names.fields.iter().copied())
            .find(|f| f.key() == key)
            .unwrap_or_else(|| panic!("{name}: `{key}` is not a field of the kit"))
    };
    let artifact = |key: &str| -> ArtifactId {
        ArtifactId::SHARED
            .iter()
            .chain(names.artifacts)
            .copied()
            .find(|a| a.key() == key)
            .unwrap_or_else(|| panic!("{name}: `{key}` is not a block of the kit"))
    };
    let step = |key: &str| -> StepId {
        names
            .steps
            .iter()
            .copied()
            .find(|s| s.key() == key)
            .unwrap_or_else(|| panic!("{name}: `{key}` is not a step of the kit"))
    };
    Guide {
        title: raw.title,
        steps: raw
            .steps
            .into_iter()
            .map(|s| Step {
                id: step(&s.id),
                title: s.title,
                short: s.short,
                paragraphs: s.paragraphs,
                fields: s
                    .fields
                    .iter()
                    .map(|f| StepField {
                        id: field(&f.id),
                        only: f.only,
                    })
                    .collect(),
                artifacts: s
                    .artifacts
                    .iter()
                    .map(|a| StepArtifact {
                        id: artifact(&a.id),
                        only: a.only,
                    })
                    .collect(),
                advice: s.advice,
                console: s.console,
            })
            .collect(),
        fields: raw
            .fields
            .into_iter()
            .map(|(k, v)| (field(&k), v))
            .collect(),
        artifacts: raw
            .artifacts
            .into_iter()
            .map(|(k, v)| (artifact(&k), v))
            .collect(),
    }
}

/// The start screen's own text.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartText {
    pub title: String,
    pub intro: String,
    pub cloud_hint: String,
    pub path_hint: String,
    pub org_id: FieldText,
    /// The id OpenAI presents; a cloud's guide may give it a hint of its own.
    pub external_id: FieldText,
}

/// The wizard's shared text: the start screen.
pub fn start_text() -> &'static StartText {
    static TEXT: OnceLock<StartText> = OnceLock::new();
    TEXT.get_or_init(
        || match toml::from_str(include_str!("../../assets/start.toml")) {
            Ok(text) => text,
            Err(err) => panic!("the built-in start.toml is malformed: {err}"),
        },
    )
}
