//! The fields every cloud records: the organization id, the key's name at OpenAI and the
//! project's name. Each cloud's own fields are declared by its kit.

use super::validate::{FieldError, display_name, org_id};
use super::{FieldId, Inputs};

/// One value a cloud asks for: its rules, its default, and how a flag sets it.
pub struct FieldSpec {
    pub id: FieldId,
    /// The form the field expects, with an example, for error messages.
    pub expected: &'static str,
    /// The help of its flag on the command line.
    pub flag_help: &'static str,
    /// Whether spaces inside the value are kept (a name); otherwise every whitespace is dropped
    /// (an ARN or an id pasted across a line break).
    pub keeps_spaces: bool,
    /// Turns what was pasted into the value the field holds (a full resource name into its id).
    pub clean: Option<fn(&str) -> String>,
    /// The value used when the admin leaves the field empty.
    pub default: Option<fn(&Inputs) -> String>,
    /// The field whose value the default copies, if it does (the presented id copies the
    /// organization id): while that field is refused, so is this one, with the same words,
    /// so one fault gives one message.
    pub default_follows: Option<FieldId>,
    /// Checks a cleaned value against the field's rules (and against other fields).
    pub validate: fn(&str, &Inputs) -> Result<String, FieldError>,
    /// Whether the field is asked at all, given the others; `None` means always.
    pub relevant: Option<fn(&Inputs) -> bool>,
    /// The other fields a full resource name pasted here also names (a key's full name holds
    /// its key ring), read from the value with its whitespace dropped; empty when the value
    /// is no such name. An empty field takes what is implied; a recorded one that differs is
    /// a conflict, refused by naming both.
    pub implies: Option<fn(&str) -> Vec<Implied>>,
}

/// A value a full resource name gives another field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Implied {
    pub field: FieldId,
    pub value: String,
    /// Whether the cloud compares this value without regard to case (an Azure resource
    /// group), so `RG-1` and `rg-1` are the same.
    pub any_case: bool,
}

impl Implied {
    pub fn new(field: FieldId, value: &str) -> Self {
        Implied {
            field,
            value: value.to_string(),
            any_case: false,
        }
    }

    /// The same, compared without regard to case.
    pub fn any_case(field: FieldId, value: &str) -> Self {
        Implied {
            any_case: true,
            ..Implied::new(field, value)
        }
    }
}

/// The specs of the shared fields.
pub static SHARED: [FieldSpec; 3] = [
    FieldSpec {
        id: FieldId::ORG_ID,
        expected: "`org-` then letters, digits and hyphens, e.g. org-2fGxYz8kLm",
        flag_help: "Your OpenAI organization id (org-…).",
        keeps_spaces: false,
        clean: None,
        default: None,
        default_follows: None,
        validate: |raw, _| org_id(raw),
        relevant: None,
        implies: None,
    },
    FieldSpec {
        id: FieldId::NAME,
        expected: "1 to 100 printable characters, e.g. EKM key",
        flag_help: "The key's name at OpenAI.",
        keeps_spaces: true,
        clean: None,
        default: Some(default_key_name),
        default_follows: None,
        validate: |raw, _| display_name(FieldId::NAME, raw),
        relevant: None,
        implies: None,
    },
    FieldSpec {
        id: FieldId::PROJECT_NAME,
        expected: "1 to 100 printable characters, e.g. EKM project",
        flag_help: "The name of the project created under the key.",
        keeps_spaces: true,
        clean: None,
        default: Some(|_| "EKM project".to_string()),
        default_follows: None,
        validate: |raw, _| display_name(FieldId::PROJECT_NAME, raw),
        relevant: None,
        implies: None,
    },
];

fn default_key_name(inputs: &Inputs) -> String {
    inputs.cloud.kit().default_key_name().to_string()
}

/// The presented id's default: the organization id (OpenAI presents it unless a project id
/// was chosen).
pub fn org_id_as_default(inputs: &Inputs) -> String {
    inputs.raw(FieldId::ORG_ID).trim().to_string()
}
