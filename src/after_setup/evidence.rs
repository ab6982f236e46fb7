//! The evidence folder for an auditor: the generated artifacts, the last check, doctor and
//! drill records with their times, OpenAI's audit-log events about external keys, a README
//! that sums them up, and a SHA-256 manifest of every file (`sha256sum -c` reads it). Nothing
//! secret: every text passes the redactor on its way in, and the admin key is never held here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::guide::{Cloud, Inputs, SetupPath};

/// The manifest's file name.
pub const MANIFEST: &str = "MANIFEST.sha256";

/// OpenAI's audit log, as far as it could be read.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditLog {
    Events(Vec<Value>),
    /// Why it is not here (no admin key; the key may not read it).
    NotRead(String),
}

/// What goes into the folder.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub cloud: Cloud,
    pub path: SetupPath,
    pub inputs: Inputs,
    /// Kept records, as JSON text: the last check, doctor and drill.
    pub last_check: Option<String>,
    pub last_doctor: Option<String>,
    pub last_drill: Option<String>,
    pub audit_log: AuditLog,
    /// ISO 8601, UTC.
    pub made_at: String,
}

/// Writes the folder (which must be empty or new) and returns the files written, manifest
/// last.
pub fn write(dir: &Path, evidence: &Evidence) -> Result<Vec<PathBuf>, String> {
    if dir.exists() {
        let occupied = std::fs::read_dir(dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .next()
            .is_some();
        if occupied {
            return Err(format!(
                "{} is not empty: name a new folder, so the manifest covers exactly what is in it",
                dir.display()
            ));
        }
    }
    let mut files: Vec<(String, String)> = Vec::new();
    let mut inputs = evidence.inputs.clone();
    inputs.forget_secrets();
    for artifact in evidence.cloud.kit().artifacts() {
        if !crate::artifacts::artifact_is_relevant(evidence.cloud, *artifact, &inputs) {
            continue;
        }
        if let Ok(body) =
            crate::artifacts::generate(evidence.cloud, *artifact, &inputs, evidence.path)
        {
            files.push((
                format!("artifacts/{}.{}", artifact.file_stem(), body.extension()),
                crate::secrets::redact(&body.to_text()),
            ));
        }
    }
    for (name, record) in [
        ("results/last-check.json", &evidence.last_check),
        ("results/last-doctor.json", &evidence.last_doctor),
        ("results/last-drill.json", &evidence.last_drill),
    ] {
        if let Some(text) = record {
            files.push((name.to_string(), redacted_json(text)));
        }
    }
    if let AuditLog::Events(events) = &evidence.audit_log {
        let text = serde_json::to_string_pretty(events).unwrap_or_default();
        files.push((
            "openai/audit-log-external-keys.json".to_string(),
            redacted_json(&text),
        ));
    }
    files.push(("README.md".to_string(), readme(evidence, &files)));
    let mut written = Vec::new();
    let mut manifest = String::new();
    for (name, text) in &files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            crate::session::create_private_dir(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        crate::session::write_private(&path, text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let _ = writeln!(manifest, "{}  {name}", sha256_hex(text.as_bytes()));
        written.push(path);
    }
    let manifest_path = dir.join(MANIFEST);
    crate::session::write_private(&manifest_path, &manifest)
        .map_err(|e| format!("cannot write {}: {e}", manifest_path.display()))?;
    written.push(manifest_path);
    Ok(written)
}

/// JSON with every string value passed through the redactor (keys such as `api_key` stay:
/// they name a field, and a pattern run over the text would tear the JSON apart).
fn redacted_json(text: &str) -> String {
    fn walk(value: &mut Value) {
        match value {
            Value::String(text) => *text = crate::secrets::redact(text),
            Value::Array(items) => items.iter_mut().for_each(walk),
            Value::Object(fields) => fields.values_mut().for_each(walk),
            _ => {}
        }
    }
    match serde_json::from_str::<Value>(text) {
        Ok(mut value) => {
            walk(&mut value);
            format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )
        }
        Err(_) => crate::secrets::redact(text),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A field of a kept record, as text.
fn field(record: &Option<String>, pointer: &str) -> Option<String> {
    let value: Value = serde_json::from_str(record.as_deref()?).ok()?;
    match value.pointer(pointer)? {
        Value::String(text) => Some(crate::secrets::one_line(text, 200)),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn readme(evidence: &Evidence, files: &[(String, String)]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# OpenAI EKM evidence\n");
    let _ = writeln!(
        out,
        "Made by ekm-wizard {} at {} for {} ({}).\n",
        env!("CARGO_PKG_VERSION"),
        evidence.made_at,
        evidence.cloud.display_name(),
        evidence.path.display_name()
    );
    let _ = writeln!(out, "## Summary\n");
    let check = match (
        field(&evidence.last_check, "/written"),
        &evidence.last_check,
    ) {
        (_, None) => "no check was kept".to_string(),
        (Some(written), Some(text)) => {
            let count = serde_json::from_str::<Value>(text)
                .ok()
                .and_then(|v| v["checks"].as_array().map(|c| c.len()))
                .unwrap_or(0);
            let written = written
                .parse::<u64>()
                .map(crate::clock::iso_8601_utc)
                .unwrap_or(written);
            format!("{count} checks, run at {written} (results/last-check.json)")
        }
        (None, Some(_)) => "kept in results/last-check.json".to_string(),
    };
    let _ = writeln!(out, "- Last check: {check}");
    let doctor = match field(&evidence.last_doctor, "/verdict") {
        Some(verdict) => format!(
            "{verdict} at {} (results/last-doctor.json)",
            field(&evidence.last_doctor, "/finished_at").unwrap_or_default()
        ),
        None => "no doctor run was kept".to_string(),
    };
    let _ = writeln!(out, "- Last doctor run: {doctor}");
    let drill = match field(&evidence.last_drill, "/end") {
        Some(end) => {
            let mut said = format!(
                "{end}, started {}",
                field(&evidence.last_drill, "/started_at").unwrap_or_default()
            );
            if let (Some(off), Some(on)) = (
                field(&evidence.last_drill, "/revoked_after_seconds"),
                field(&evidence.last_drill, "/restored_after_seconds"),
            ) {
                let _ = write!(said, "; OpenAI cut off after {off} s, back after {on} s");
            }
            format!("{said} (results/last-drill.json)")
        }
        None => "no drill was kept".to_string(),
    };
    let _ = writeln!(out, "- Last revocation drill: {drill}");
    let audit = match &evidence.audit_log {
        AuditLog::Events(events) => format!(
            "{} events about external keys (openai/audit-log-external-keys.json)",
            events.len()
        ),
        AuditLog::NotRead(why) => format!("not read: {why}"),
    };
    let _ = writeln!(out, "- OpenAI's audit log: {audit}\n");
    let _ = writeln!(out, "## Files\n");
    for (name, _) in files {
        let _ = writeln!(out, "- `{name}`");
    }
    let _ = writeln!(
        out,
        "- `{MANIFEST}`: the SHA-256 of every file above; check it with `sha256sum -c {MANIFEST}`\n"
    );
    let _ = writeln!(
        out,
        "Nothing here is secret: no admin key, no cloud token. Times are UTC."
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_stays_json_when_a_value_is_redacted() {
        let text = r#"{"actor": {"api_key": {"id": "key_1"}}, "note": "Bearer sk-admin-abcdefghijklmnopqrstuvwxyz0123456789"}"#;
        let out: Value = serde_json::from_str(&redacted_json(text)).unwrap();
        assert_eq!(out["actor"]["api_key"]["id"], "key_1");
        assert!(
            !out["note"]
                .as_str()
                .unwrap()
                .contains("sk-admin-abcdefghij")
        );
    }

    #[test]
    fn the_digest_is_sha_256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
