//! The fields every cloud records: the organization id, the key's name at OpenAI and the
//! project's name. Each cloud's own fields are declared by its kit.

use super::kit::FieldSpec;
use super::validate::{display_name, org_id};
use super::{FieldId, Inputs};

/// The specs of the shared fields.
pub static SHARED: [FieldSpec; 3] = [
    FieldSpec {
        id: FieldId::ORG_ID,
        expected: "`org-` then letters, digits and hyphens, e.g. org-2fGxYz8kLm",
        flag_help: "Your OpenAI organization id (org-…).",
        keeps_spaces: false,
        clean: None,
        default: None,
        validate: |raw, _| org_id(raw),
        relevant: None,
    },
    FieldSpec {
        id: FieldId::NAME,
        expected: "1 to 100 printable characters, e.g. EKM key",
        flag_help: "The key's name at OpenAI.",
        keeps_spaces: true,
        clean: None,
        default: Some(default_key_name),
        validate: |raw, _| display_name(FieldId::NAME, raw),
        relevant: None,
    },
    FieldSpec {
        id: FieldId::PROJECT_NAME,
        expected: "1 to 100 printable characters, e.g. EKM project",
        flag_help: "The name of the project created under the key.",
        keeps_spaces: true,
        clean: None,
        default: Some(|_| "EKM project".to_string()),
        validate: |raw, _| display_name(FieldId::PROJECT_NAME, raw),
        relevant: None,
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
