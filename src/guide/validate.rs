//! What every cloud's validators share: the refusal (`FieldError`), the validators of the
//! fields every cloud records (organization id, the presented id, names), and small character
//! tests. Each cloud's own validators live in its kit (`src/clouds/<cloud>/fields.rs`).

use std::fmt;

use super::FieldId;

/// Why a recorded value was refused, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: FieldId,
    /// The field's label on screen (filled in by `Inputs`, which knows the cloud).
    pub label: String,
    /// What is wrong with the value as typed.
    pub problem: String,
    /// The form the field expects, with an example (filled in by `Inputs` when empty).
    pub expected: &'static str,
    /// The other field a full name typed here disagrees with, and its label.
    pub conflict: Option<(FieldId, String)>,
}

impl FieldError {
    /// A refusal of `field`; its label and expected form come from the cloud's kit when the
    /// error passes through `Inputs` (the organization id's label is known already).
    pub fn new(field: FieldId, problem: impl Into<String>) -> Self {
        FieldError {
            field,
            label: if field == FieldId::ORG_ID {
                super::start_text().org_id.label.clone()
            } else {
                String::new()
            },
            problem: problem.into(),
            expected: "",
            conflict: None,
        }
    }

    /// The label, or the field's key in words when no label is known.
    pub fn label(&self) -> String {
        if self.label.is_empty() {
            self.field.key().replace('_', " ")
        } else {
            self.label.clone()
        }
    }

    fn expected_part(&self) -> String {
        if self.expected.is_empty() {
            String::new()
        } else {
            format!("; expected {}", self.expected)
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}{}",
            self.label(),
            self.problem,
            self.expected_part()
        )
    }
}

impl FieldError {
    /// The error as a headless command says it: the field's label and the flag that sets it
    /// (and the other field's flag, in a conflict).
    pub fn on_command_line(&self) -> String {
        let problem = match &self.conflict {
            Some((other, label)) => self.problem.replacen(
                &format!("but {label} is"),
                &format!("but {label} (--{}) is", other.key().replace('_', "-")),
                1,
            ),
            None => self.problem.clone(),
        };
        format!(
            "{} (--{}): {}{}",
            self.label(),
            self.field.key().replace('_', "-"),
            problem,
            self.expected_part()
        )
    }
}

impl std::error::Error for FieldError {}

/// The presented id may not be another organization's id: OpenAI presents your own (or one
/// of its project ids).
pub fn presented_id_mix_up(
    field: FieldId,
    value: &str,
    inputs: &super::Inputs,
) -> Result<(), FieldError> {
    let value = value.trim();
    if !value.starts_with("org-") {
        return Ok(());
    }
    let org = inputs.raw(FieldId::ORG_ID).trim();
    if !org.is_empty() && org_id(org).is_ok() && value != org {
        Err(FieldError::new(
            field,
            format!(
                "is another organization's id; OpenAI presents your own ({org}), or one of its API project ids"
            ),
        ))
    } else {
        Ok(())
    }
}

/// The refusal of a full name that names another field (`label`) as `ours` while that field
/// holds `theirs` (given by the field `from`, when it was not typed).
pub fn conflict_problem(label: &str, ours: &str, theirs: &str, from: Option<&str>) -> String {
    let from = from
        .map(|source| format!(" (from the full name in {source})"))
        .unwrap_or_default();
    format!(
        "the full name names {label} `{ours}`, but {label} is `{theirs}`{from}: correct one of them"
    )
}

/// What cleaning did to a value, in words for a person: the spaces or line breaks removed,
/// the full name the id was taken from, or the form it was recorded in; `None` when the
/// value is recorded as typed (surrounding whitespace aside).
pub fn what_cleaning_did(raw: &str, recorded: &str) -> Option<String> {
    let typed = raw.trim();
    if typed == recorded {
        return None;
    }
    let squeezed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    let breaks = typed.contains(['\n', '\r']);
    let spaces = typed
        .chars()
        .any(|c| c.is_whitespace() && c != '\n' && c != '\r');
    let whitespace = match (spaces, breaks) {
        (true, true) => Some("spaces and line breaks removed"),
        (true, false) => Some("spaces removed"),
        (false, true) => Some("line breaks removed"),
        (false, false) => None,
    };
    if squeezed == recorded {
        return whitespace.map(str::to_string);
    }
    let shown = crate::secrets::one_line(&squeezed, 200);
    let within = squeezed
        .to_ascii_lowercase()
        .contains(&recorded.to_ascii_lowercase());
    let how = if squeezed.contains('/') && !recorded.is_empty() && within {
        format!("taken from the full name {shown}")
    } else {
        format!("recorded as {}", crate::secrets::one_line(recorded, 200))
    };
    Some(match whitespace {
        Some(removed) => format!("{removed}, {how}"),
        None => how,
    })
}

/// Why a recorded value differs from what was typed, in a few words; `None` when it does not.
pub fn cleaning_note(raw: &str, recorded: &str) -> Option<&'static str> {
    let typed = raw.trim();
    if typed == recorded {
        return None;
    }
    let squeezed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if squeezed == recorded {
        Some("spaces and line breaks removed")
    } else if typed.contains('/') && typed.ends_with(recorded) {
        Some("the id taken from the full name")
    } else {
        None
    }
}

/// Trims the surrounding whitespace a paste often brings, and refuses an empty value.
pub fn non_empty(field: FieldId, raw: &str) -> Result<&str, FieldError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "is empty"));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(FieldError::new(
            field,
            format!("contains {}", control_character(c)),
        ));
    }
    Ok(value)
}

/// A control character in words: what a person pressed or pasted, then its code point.
pub fn control_character(c: char) -> String {
    let name = match c {
        '\u{1b}' => "an escape character (Esc, ",
        '\t' => "a tab (",
        '\n' | '\r' => "a line break (",
        '\u{7f}' | '\u{8}' => "a backspace (",
        '\u{0}' => "a null character (",
        _ => "a control character (",
    };
    format!(
        "{name}U+{:04X}); type or paste the value alone",
        u32::from(c)
    )
}

pub fn first_bad_char(value: &str, allowed: impl Fn(char) -> bool) -> Option<char> {
    value.chars().find(|c| !allowed(*c))
}

pub fn is_alnum_hyphen(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// `org-` then letters, digits and hyphens.
pub fn org_id(raw: &str) -> Result<String, FieldError> {
    let field = FieldId::ORG_ID;
    let value = non_empty(field, raw)?;
    let Some(rest) = value.strip_prefix("org-") else {
        return Err(FieldError::new(
            field,
            format!("`{value}` does not start with `org-`"),
        ));
    };
    if rest.is_empty() {
        return Err(FieldError::new(field, "has nothing after `org-`"));
    }
    if let Some(c) = first_bad_char(rest, is_alnum_hyphen) {
        return Err(FieldError::new(
            field,
            format!("contains {c:?}, which is not a letter, digit or hyphen"),
        ));
    }
    Ok(value.to_string())
}

/// The id OpenAI presents (in `field`): the organization id, or an API project id (`proj_`
/// then letters and digits).
pub fn presented_id(field: FieldId, raw: &str) -> Result<String, FieldError> {
    let value = non_empty(field, raw)?;
    if let Some(rest) = value.strip_prefix("proj_") {
        if rest.is_empty() {
            return Err(FieldError::new(field, "has nothing after `proj_`"));
        }
        if let Some(c) = first_bad_char(rest, |c| c.is_ascii_alphanumeric()) {
            return Err(FieldError::new(
                field,
                format!("contains {c:?}; a project id has only letters and digits after `proj_`"),
            ));
        }
        return Ok(value.to_string());
    }
    if value.starts_with("org-") {
        return org_id(value).map_err(|e| FieldError::new(field, e.problem));
    }
    Err(FieldError::new(
        field,
        format!("`{value}` is neither an organization id nor a project id"),
    ))
}

/// A region written with a hyphen before its number, as AWS-style regions are (us-east-1,
/// us-gov-west-1): other clouds' fields use it to name the mix-up.
pub fn is_dashed_region(value: &str) -> bool {
    // e.g. us-east-1, eu-central-2, us-gov-west-1, ap-southeast-4, il-central-1
    let parts: Vec<&str> = value.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].chars().all(|c| c.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| (1..=2).contains(&n.len()) && n.chars().all(|c| c.is_ascii_digit()))
}

pub fn is_lower_hex(value: &str) -> bool {
    value
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

pub fn is_uuid(value: &str) -> bool {
    let groups: Vec<&str> = value.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && is_lower_hex(g))
}

/// A display name (the key's, the project's): 1 to 100 printable characters.
pub fn display_name(field: FieldId, raw: &str) -> Result<String, FieldError> {
    let value = non_empty(field, raw)?;
    if value.chars().count() > 100 {
        return Err(FieldError::new(field, "is longer than 100 characters"));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_ids() {
        assert_eq!(org_id(" org-AbC123-x ").unwrap(), "org-AbC123-x");
        for bad in ["", "org-", "AbC", "org_abc", "org-ab c", "org-a.b"] {
            let err = org_id(bad).unwrap_err();
            assert_eq!(err.field, FieldId::ORG_ID, "{bad}");
        }
        assert!(
            org_id("org_abc")
                .unwrap_err()
                .to_string()
                .starts_with("OpenAI organization id: ")
        );
    }

    #[test]
    fn presented_ids_accept_org_and_project_ids() {
        let field = FieldId::new("external_id");
        assert_eq!(presented_id(field, "org-abc").unwrap(), "org-abc");
        assert_eq!(presented_id(field, "proj_Abc123").unwrap(), "proj_Abc123");
        for bad in ["proj_", "proj_a-b", "project", "", "org-a b"] {
            assert_eq!(presented_id(field, bad).unwrap_err().field, field, "{bad}");
        }
    }

    #[test]
    fn what_cleaning_did_is_said_in_words() {
        assert_eq!(what_cleaning_did(" org-abc ", "org-abc"), None);
        assert_eq!(
            what_cleaning_did("arn:xyz:iam::1:role/ x", "arn:xyz:iam::1:role/x").as_deref(),
            Some("spaces removed")
        );
        assert_eq!(
            what_cleaning_did("ab\ncd", "abcd").as_deref(),
            Some("line breaks removed")
        );
        assert_eq!(
            what_cleaning_did("a b\r\ncd", "abcd").as_deref(),
            Some("spaces and line breaks removed")
        );
        assert_eq!(
            what_cleaning_did("projects/p/keyRings/ r", "r").as_deref(),
            Some("spaces removed, taken from the full name projects/p/keyRings/r")
        );
        assert_eq!(
            what_cleaning_did("Contoso", "https://contoso.vault.azure.net/").as_deref(),
            Some("recorded as https://contoso.vault.azure.net/")
        );
    }

    #[test]
    fn a_conflict_names_the_other_field_and_its_flag_on_the_command_line() {
        let mut error = FieldError::new(
            FieldId::new("kms_key_name"),
            conflict_problem("Key ring name", "other-ring", "ekm-ring", None),
        );
        error.label = "Key name".into();
        error.conflict = Some((FieldId::new("kms_key_ring_name"), "Key ring name".into()));
        assert_eq!(
            error.to_string(),
            "Key name: the full name names Key ring name `other-ring`, but Key ring name is `ekm-ring`: correct one of them"
        );
        assert_eq!(
            error.on_command_line(),
            "Key name (--kms-key-name): the full name names Key ring name `other-ring`, but Key ring name (--kms-key-ring-name) is `ekm-ring`: correct one of them"
        );
    }

    #[test]
    fn display_names() {
        let name = FieldId::NAME;
        assert_eq!(display_name(name, "  EKM key ").unwrap(), "EKM key");
        assert!(display_name(name, "   ").is_err());
        assert!(display_name(name, &"x".repeat(101)).is_err());
    }
}

#[cfg(test)]
mod control_character_tests {
    use super::*;

    #[test]
    fn a_pasted_escape_is_named_as_a_person_knows_it() {
        let err = non_empty(FieldId::ORG_ID, "org-abc\u{1b}[2J").unwrap_err();
        assert_eq!(
            err.problem,
            "contains an escape character (Esc, U+001B); type or paste the value alone"
        );
        assert!(!err.problem.contains("\\u{"), "{}", err.problem);
        assert!(control_character('\t').starts_with("a tab"));
    }
}
