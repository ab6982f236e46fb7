//! Reading what the admin recorded from outside the wizard: a `--config` file (a small JSON
//! object of the registration fields) and flags over it. render, check and register all read
//! their inputs here, and say on standard error what cleaning changed (`settle`).

use std::path::Path;

use serde_json::Value;

use crate::guide::validate::what_cleaning_did;
use crate::secrets::SECRET_REFUSED;

use crate::guide::{Cloud, FieldId, Inputs};

/// The keys a config file may hold for a cloud: `type` plus every recorded field.
pub fn config_keys(cloud: Cloud) -> Vec<&'static str> {
    let mut keys = vec!["type"];
    keys.extend(
        crate::guide::recorded_fields(cloud)
            .into_iter()
            .map(FieldId::key),
    );
    if !keys.contains(&"name") {
        keys.push("name");
    }
    keys
}

/// The largest config file read: a real one is well under 2 KiB.
pub const CONFIG_LIMIT: u64 = 1024 * 1024;

/// Reads a config file into inputs: a JSON object of strings, no unknown keys.
pub fn read_config(path: &Path, cloud: Cloud) -> Result<Inputs, Vec<String>> {
    let shown = path.display();
    let metadata = std::fs::metadata(path)
        .map_err(|e| vec![format!("config {shown}: cannot read it: {e}")])?;
    if !metadata.is_file() {
        return Err(vec![format!(
            "config {shown}: not a regular file; expected a JSON file such as ekm.json"
        )]);
    }
    if metadata.len() > CONFIG_LIMIT {
        return Err(vec![format!(
            "config {shown}: {} bytes, more than any config (at most {CONFIG_LIMIT}); expected a small JSON object",
            metadata.len()
        )]);
    }
    let mut text = String::new();
    {
        use std::io::Read;
        std::fs::File::open(path)
            .and_then(|file| file.take(CONFIG_LIMIT + 1).read_to_string(&mut text))
            .map_err(|e| vec![format!("config {shown}: cannot read it: {e}")])?;
    }
    if text.len() as u64 > CONFIG_LIMIT {
        return Err(vec![format!(
            "config {shown}: more than {CONFIG_LIMIT} bytes; expected a small JSON object"
        )]);
    }
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        vec![format!(
            "config {shown}: not valid JSON ({e}); expected an object such as {{\"org_id\": \"org-…\", …}}"
        )]
    })?;
    let Value::Object(map) = value else {
        return Err(vec![format!(
            "config {shown}: expected a JSON object of field names to strings"
        )]);
    };
    let allowed = config_keys(cloud);
    let mut problems = Vec::new();
    let mut inputs = Inputs::new(cloud);
    for (key, value) in map {
        if !allowed.contains(&key.as_str()) {
            problems.push(format!(
                "config {shown}: unknown key `{}`; expected one of {}",
                crate::secrets::outside_id(&key, 60),
                allowed.join(", ")
            ));
            continue;
        }
        let Value::String(text) = value else {
            problems.push(format!("config {shown}: `{key}` must be a string"));
            continue;
        };
        if crate::secrets::looks_secret(&text) {
            problems.push(format!("config {shown}: `{key}` {SECRET_REFUSED}"));
            continue;
        }
        if key == "type" {
            if text != cloud.key() {
                problems.push(format!(
                    "config {shown}: `type` is `{}` but the command renders `{}`",
                    crate::secrets::outside_id(&text, 60),
                    cloud.key()
                ));
            }
            continue;
        }
        if let Some(field) = cloud.field_by_key(&key) {
            inputs.set(field, text);
        }
    }
    if problems.is_empty() {
        Ok(inputs)
    } else {
        Err(problems)
    }
}

/// The config file's values (when one is given), overridden by any flag given.
pub fn from_config_and_flags(
    cloud: Cloud,
    config: Option<&Path>,
    flags: Vec<(FieldId, Option<String>)>,
) -> Result<Inputs, Vec<String>> {
    let mut inputs = match config {
        Some(path) => read_config(path, cloud)?,
        None => Inputs::new(cloud),
    };
    let mut problems = Vec::new();
    for (field, value) in flags {
        if let Some(value) = value {
            if crate::secrets::looks_secret(&value) {
                problems.push(format!(
                    "--{} {SECRET_REFUSED}",
                    field.key().replace('_', "-")
                ));
                continue;
            }
            inputs.set(field, value);
        }
    }
    if problems.is_empty() {
        Ok(inputs)
    } else {
        Err(problems)
    }
}

/// The flag that sets a field on the command line.
fn flag(field: FieldId) -> String {
    format!("--{}", field.key().replace('_', "-"))
}

/// Fills every empty field that a full name given to another flag names, and says what
/// reading changed: one line per field, naming its flag (`--role-arn: spaces removed`,
/// `--kms-key-ring-name: ekm-ring, taken from the full name given to --kms-key-name`). A value
/// refused is not described here: its refusal says what is wrong.
pub fn settle(inputs: &mut Inputs) -> Vec<String> {
    let mut notes: Vec<String> = inputs
        .cloud
        .all_fields()
        .filter_map(|spec| {
            let raw = inputs.raw(spec.id);
            if raw.trim().is_empty() {
                return None;
            }
            let recorded = inputs.validated(spec.id).ok()?;
            what_cleaning_did(raw, &recorded).map(|did| format!("{}: {did}", flag(spec.id)))
        })
        .collect();
    for (field, value, source) in inputs.fill_implied() {
        notes.push(format!(
            "{}: {}, taken from the full name given to {}",
            flag(field),
            crate::secrets::one_line(&value, 200),
            flag(source)
        ));
    }
    notes
}
