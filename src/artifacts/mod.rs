//! Generators: the policies, request bodies and commands the admin pastes, built as
//! `serde_json::Value`s (never by filling string templates) from validated inputs.

pub mod aws;
pub mod shell;

use serde_json::Value;

use crate::guide::{ArtifactId, Cloud, FieldError, Inputs, SetupPath};

/// A generated block: a JSON document or a piece of text (commands, a message).
#[derive(Debug, Clone, PartialEq)]
pub enum ArtifactBody {
    Json(Value),
    Text(String),
}

impl ArtifactBody {
    /// What is copied or written: pretty-printed JSON, or the text itself, ending in a newline.
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

    /// The file extension for this kind of block.
    pub fn extension(&self) -> &'static str {
        match self {
            ArtifactBody::Json(_) => "json",
            ArtifactBody::Text(_) => "txt",
        }
    }
}

/// Why a block cannot be generated yet: the fields it needs that are missing or invalid.
pub type Missing = Vec<FieldError>;

/// Generates one block for a cloud and path from what the admin recorded.
pub fn generate(
    cloud: Cloud,
    artifact: ArtifactId,
    inputs: &Inputs,
    path: SetupPath,
) -> Result<ArtifactBody, Missing> {
    match cloud {
        Cloud::Aws => aws::generate(artifact, inputs, path),
        Cloud::Gcp | Cloud::Azure => Ok(ArtifactBody::Text(format!(
            "The {} path is not available in this version.",
            cloud.display_name()
        ))),
    }
}

/// Combines two field look-ups, keeping both errors when both fail.
pub(crate) fn both<A, B>(
    a: Result<A, FieldError>,
    b: Result<B, FieldError>,
) -> Result<(A, B), Missing> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(dedup([a.err(), b.err()].into_iter().flatten().collect())),
    }
}

/// Combines three field look-ups, keeping every error.
pub(crate) fn three<A, B, C>(
    a: Result<A, FieldError>,
    b: Result<B, FieldError>,
    c: Result<C, FieldError>,
) -> Result<(A, B, C), Missing> {
    match (both(a, b), c) {
        (Ok((a, b)), Ok(c)) => Ok((a, b, c)),
        (ab, c) => {
            let mut errors = ab.err().unwrap_or_default();
            errors.extend(c.err());
            Err(dedup(errors))
        }
    }
}

/// Drops repeated errors (one field can be needed twice), keeping the first order.
pub(crate) fn dedup(errors: Vec<FieldError>) -> Missing {
    let mut out: Missing = Vec::new();
    for err in errors {
        if !out.contains(&err) {
            out.push(err);
        }
    }
    out
}
