//! Saved progress: the cloud, path, step reached and the non-secret inputs, kept in
//! `session.json` under the platform's state directory and replaced atomically on every save.
//! No field the wizard saves is a secret: the admin API key and cloud tokens never reach here.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::guide::{Cloud, Inputs, SetupPath};

/// The format this version writes; a file with a higher number came from a newer wizard.
/// Format 2 names the step on screen and the furthest step by their ids (`step_id`,
/// `reached_id`) beside their numbers, so a guide whose steps move still resumes at the same
/// step; format 1 files (numbers only) still load.
pub const SESSION_FORMAT: u64 = 2;

/// Overrides where progress is kept (used by tests and by admins who want it elsewhere).
pub const STATE_DIR_ENV: &str = "EKM_WIZARD_STATE_DIR";

/// What is saved between runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub format: u64,
    pub cloud: Cloud,
    pub path: SetupPath,
    /// The step on screen when saved: 0 is the start screen, n is the guide's step n.
    pub step: usize,
    /// The furthest step reached.
    pub reached: usize,
    pub inputs: Inputs,
    /// The external key registered through the wizard (`extkey_…`; not a secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_key_id: Option<String>,
    /// The project created with it (`proj_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
}

/// A session as the file holds it, before its cloud and fields are looked up.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedSession {
    format: u64,
    cloud: String,
    path: SetupPath,
    step: usize,
    #[serde(default)]
    reached: usize,
    /// The step on screen by its id (format 2); it wins over `step` when the guide has it.
    #[serde(default)]
    step_id: Option<String>,
    #[serde(default)]
    reached_id: Option<String>,
    #[serde(default)]
    inputs: BTreeMap<String, String>,
    #[serde(default)]
    external_key_id: Option<String>,
    #[serde(default)]
    project_id: Option<String>,
}

/// The outcome of looking for saved progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded {
    /// Nothing saved yet.
    Nothing,
    /// A session to offer for resuming.
    Session(Session),
    /// The file could not be used; it was moved aside (where given) and the wizard starts fresh.
    SetAside {
        reason: String,
        moved_to: Option<PathBuf>,
    },
}

/// Where saved progress lives.
#[derive(Debug, Clone)]
pub struct SessionStore {
    dir: PathBuf,
}

impl SessionStore {
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        SessionStore { dir: dir.into() }
    }

    /// `$EKM_WIZARD_STATE_DIR`, else the platform's state directory (where the platform has
    /// none: on Windows the local, not roaming, application data, so saved progress stays on
    /// this machine; elsewhere the config directory), in a folder named `ekm-wizard`.
    pub fn default_location() -> Option<Self> {
        if let Some(dir) = std::env::var_os(STATE_DIR_ENV).filter(|d| !d.is_empty()) {
            return Some(Self::in_dir(dir));
        }
        let dirs = directories::ProjectDirs::from("", "", "ekm-wizard")?;
        let dir = dirs.state_dir().map(Path::to_path_buf).unwrap_or_else(|| {
            if cfg!(windows) {
                dirs.data_local_dir().to_path_buf()
            } else {
                dirs.config_dir().to_path_buf()
            }
        });
        Some(Self::in_dir(dir))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join("session.json")
    }

    /// Reads saved progress. An unreadable file, or one from a newer version, is renamed aside
    /// so that nothing is lost and the next save does not overwrite it.
    pub fn load(&self) -> Loaded {
        self.remove_abandoned_writes();
        let file = self.file();
        let text = match fs::read_to_string(&file) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Loaded::Nothing,
            Err(err) => {
                return Loaded::SetAside {
                    reason: format!("{} could not be read: {err}", file.display()),
                    moved_to: None,
                };
            }
        };
        let reason = match parse(&text) {
            Ok(session) => return Loaded::Session(session),
            Err(reason) => reason,
        };
        let aside = self
            .dir
            .join(format!("session.json.unusable-{}", unix_seconds()));
        let moved_to = fs::rename(&file, &aside).ok().map(|()| aside);
        Loaded::SetAside { reason, moved_to }
    }

    /// Removes temporary files of saves that never finished (a run killed mid-save). A save
    /// takes milliseconds, so a temporary file an hour old belongs to no running save.
    fn remove_abandoned_writes(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        let hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            let abandoned = name.starts_with(".session.json.")
                && name.ends_with(".tmp")
                && entry
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|modified| modified < hour_ago);
            if abandoned {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Writes the session atomically: a new file beside the old one, flushed, then renamed
    /// over it. A failure leaves the previous file as it was.
    pub fn save(&self, session: &Session) -> Result<(), String> {
        let mut kept = session.clone();
        kept.inputs.forget_secrets();
        let text =
            serde_json::to_string_pretty(&with_step_ids(&kept)?).map_err(|e| e.to_string())?;
        create_private_dir(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        write_private(&self.file(), &format!("{text}\n"))
            .map_err(|err| format!("cannot write {}: {err}", self.file().display()))?;
        Ok(())
    }
}

/// What the last headless `check` or `register` left for `export`: its cloud, the values it
/// was given, the checks' results and OpenAI's refusal, if any. Never a secret: values that
/// look like one are dropped and every text is redacted before it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct LastRun {
    pub cloud: Cloud,
    pub path: SetupPath,
    /// When it ran, in Unix seconds.
    pub written: u64,
    pub inputs: Inputs,
    pub checks: Vec<crate::checks::CheckResult>,
    pub refusal: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedRun {
    format: u64,
    cloud: String,
    path: SetupPath,
    written: u64,
    inputs: BTreeMap<String, String>,
    checks: Vec<SavedCheck>,
    refusal: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedCheck {
    id: String,
    status: crate::checks::CheckStatus,
    detail: String,
    step: String,
}

impl SessionStore {
    pub fn last_run_file(&self) -> PathBuf {
        self.dir.join(LAST_RUN)
    }

    /// Keeps what a headless run found, for `export`.
    /// Where a record of life after setup (`last-doctor.json`, `drill.json`) is kept.
    pub fn record_file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Keeps a record (already free of secrets) for you alone.
    pub fn save_record(&self, name: &str, text: &str) -> Result<PathBuf, String> {
        create_private_dir(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        let path = self.record_file(name);
        write_private(&path, text)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
        Ok(path)
    }

    /// A record kept earlier, if there is one.
    pub fn load_record(&self, name: &str) -> Option<String> {
        fs::read_to_string(self.record_file(name)).ok()
    }

    pub fn save_last_run(&self, run: &LastRun) -> Result<(), String> {
        let mut inputs = run.inputs.clone();
        inputs.forget_secrets();
        let saved = SavedRun {
            format: SESSION_FORMAT,
            cloud: run.cloud.key().to_string(),
            path: run.path,
            written: run.written,
            inputs: inputs
                .typed()
                .map(|(f, v)| (f.key().to_string(), v.to_string()))
                .collect(),
            checks: run
                .checks
                .iter()
                .map(|c| SavedCheck {
                    id: c.id.key().to_string(),
                    status: c.status,
                    detail: crate::secrets::redact(&c.detail),
                    step: c.step.key().to_string(),
                })
                .collect(),
            refusal: run.refusal.as_deref().map(crate::secrets::redact),
        };
        let text = serde_json::to_string_pretty(&saved).map_err(|e| e.to_string())?;
        create_private_dir(&self.dir)
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        write_private(&self.last_run_file(), &format!("{text}\n"))
            .map_err(|err| format!("cannot write {}: {err}", self.last_run_file().display()))
    }

    /// What the last headless run left, if it left anything readable. Checks the kit no
    /// longer has are dropped.
    pub fn load_last_run(&self) -> Option<LastRun> {
        let text = fs::read_to_string(self.last_run_file()).ok()?;
        let saved: SavedRun = serde_json::from_str(&text).ok()?;
        let cloud = crate::clouds::by_key(&saved.cloud)?;
        let inputs = Inputs::from_saved(cloud, saved.inputs).ok()?;
        let checks = saved
            .checks
            .into_iter()
            .filter_map(|c| {
                let spec = cloud
                    .kit()
                    .check_plan()
                    .iter()
                    .find(|s| s.id.key() == c.id)?;
                let step = cloud.step_by_key(&c.step).unwrap_or(spec.fix_step);
                Some(crate::checks::CheckResult::new(
                    spec.id, spec.title, step, c.status, c.detail,
                ))
            })
            .collect();
        Some(LastRun {
            cloud,
            path: saved.path,
            written: saved.written,
            inputs,
            checks,
            refusal: saved.refusal,
        })
    }
}

/// Now, in Unix seconds.
pub fn now_unix() -> u64 {
    crate::clock::now_unix()
}

/// The file of the last headless check or registration, in the state folder.
pub const LAST_RUN: &str = "last-run.json";

/// Writes `text` to `path` for you alone (0600): a new file beside it, never following a link
/// that is there, then renamed over it. A failure leaves what was there.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ekm-wizard".into());
    // Unique per write, even for writes of one process in the same nanosecond.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = dir.join(format!(
        ".{name}.{}.{serial}.{}.tmp",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let written = (|| {
        let mut options = fs::OpenOptions::new();
        // A new file, never one that is there (a planted symlink included), only for you.
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Creates a folder of the wizard's own (and its parents) readable only by you.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

fn unix_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Parses a session file, telling a newer format apart from a damaged file.
pub fn parse(text: &str) -> Result<Session, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("the saved progress is damaged ({e})"))?;
    match value.get("format").and_then(Value::as_u64) {
        Some(format) if format > SESSION_FORMAT => {
            return Err(format!(
                "the saved progress was written by a newer ekm-wizard (format {format}; this one reads {SESSION_FORMAT})"
            ));
        }
        _ => {}
    }
    let saved: SavedSession = serde_json::from_value(value)
        .map_err(|e| format!("the saved progress is damaged ({e})"))?;
    let Some(cloud) = crate::clouds::by_key(&saved.cloud) else {
        return Err(format!(
            "the saved progress is damaged (unknown cloud `{}`; this wizard knows {})",
            saved.cloud,
            crate::clouds::keys()
        ));
    };
    let mut inputs = Inputs::from_saved(cloud, saved.inputs)
        .map_err(|e| format!("the saved progress is damaged ({e})"))?;
    let external_key_id = saved_id(
        &mut inputs,
        saved.external_key_id,
        "extkey_",
        "the registered key's id",
    );
    let project_id = saved_id(&mut inputs, saved.project_id, "proj_", "the project's id");
    Ok(Session {
        format: saved.format,
        cloud,
        path: saved.path,
        step: step_number(cloud, saved.step_id.as_deref(), saved.step),
        reached: step_number(cloud, saved.reached_id.as_deref(), saved.reached),
        inputs,
        external_key_id,
        project_id,
    })
}

/// The session as the file holds it: its fields, and the steps also named by their ids.
fn with_step_ids(session: &Session) -> Result<Value, String> {
    let mut value = serde_json::to_value(session).map_err(|e| e.to_string())?;
    let steps = &session.cloud.guide().steps;
    let id_of = |number: usize| {
        number
            .checked_sub(1)
            .and_then(|index| steps.get(index))
            .map(|step| Value::String(step.id.key().to_string()))
    };
    if let Value::Object(fields) = &mut value {
        for (key, number) in [("step_id", session.step), ("reached_id", session.reached)] {
            if let Some(id) = id_of(number) {
                fields.insert(key.to_string(), id);
            }
        }
    }
    Ok(value)
}

/// A saved step's number (0 is the start screen, n the guide's step n): from its id when the
/// guide still has that step, else the number saved (a format 1 file, or a step since gone).
fn step_number(cloud: Cloud, id: Option<&str>, saved: usize) -> usize {
    id.and_then(|id| cloud.guide().steps.iter().position(|s| s.id == id))
        .map(|index| index + 1)
        .unwrap_or(saved)
}

/// A saved OpenAI id, when it has OpenAI's form; otherwise it is left out (and said so in the
/// inputs' notes), never shown nor put into a request.
fn saved_id(inputs: &mut Inputs, id: Option<String>, prefix: &str, what: &str) -> Option<String> {
    let id = id?;
    if crate::openai::register::checked_id(&id, prefix).is_ok() {
        Some(id)
    } else {
        inputs.leave_out(what, format!("not an OpenAI id of the form {prefix}…"));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guide::FieldId;

    /// The first kit in the registry, and the first field of its own (not a shared one).
    fn kit_and_field() -> (Cloud, FieldId) {
        let cloud = crate::clouds::first();
        let shared = [FieldId::ORG_ID, FieldId::NAME, FieldId::PROJECT_NAME];
        let field = cloud
            .kit()
            .fields()
            .iter()
            .map(|f| f.id)
            .find(|id| !shared.contains(id))
            .unwrap();
        (cloud, field)
    }

    fn sample() -> Session {
        let (cloud, field) = kit_and_field();
        let mut inputs = Inputs::new(cloud);
        inputs.set(FieldId::ORG_ID, "org-abc");
        inputs.set(field, "made:up:111122223333:alias/x");
        Session {
            format: SESSION_FORMAT,
            cloud,
            path: SetupPath::ChatGpt,
            step: 2,
            reached: 3,
            inputs,
            external_key_id: Some("extkey_123".into()),
            project_id: None,
        }
    }

    #[test]
    fn steps_are_saved_by_id_and_found_by_id_first_and_old_files_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::in_dir(dir.path());
        store.save(&sample()).unwrap();
        let text = std::fs::read_to_string(store.file()).unwrap();
        let saved: Value = serde_json::from_str(&text).unwrap();
        let steps = &kit_and_field().0.guide().steps;
        assert_eq!(saved["step_id"], steps[1].id.key());
        assert_eq!(saved["reached_id"], steps[2].id.key());
        assert_eq!(saved["format"], SESSION_FORMAT);
        // The id wins over the number: a guide whose steps moved resumes at the same step.
        let mut moved = saved.clone();
        moved["step"] = serde_json::json!(4);
        moved["step_id"] = serde_json::json!(steps[0].id.key());
        assert_eq!(parse(&moved.to_string()).unwrap().step, 1);
        // An id the guide no longer has: the number stands.
        moved["step_id"] = serde_json::json!("a-step-since-gone");
        assert_eq!(parse(&moved.to_string()).unwrap().step, 4);
        // A format 1 file: numbers only.
        let old = serde_json::json!({
            "format": 1, "cloud": kit_and_field().0.key(), "path": "api", "step": 3,
            "reached": 3, "inputs": {"org_id": "org-abc"}
        });
        let loaded = parse(&old.to_string()).unwrap();
        assert_eq!((loaded.step, loaded.reached), (3, 3));
    }

    #[test]
    fn saves_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::in_dir(dir.path().join("nested"));
        assert_eq!(store.load(), Loaded::Nothing);
        store.save(&sample()).unwrap();
        assert_eq!(store.load(), Loaded::Session(sample()));
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["session.json"]);
        let text = fs::read_to_string(store.file()).unwrap();
        assert!(text.contains("\"kms_arn\""), "{text}");
    }

    #[test]
    fn writes_abandoned_long_ago_are_cleared_and_recent_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(".session.json.1.0.1.tmp");
        let recent = dir.path().join(".session.json.2.0.2.tmp");
        fs::write(&old, "cut").unwrap();
        fs::write(&recent, "in progress").unwrap();
        fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - std::time::Duration::from_secs(7200))
            .unwrap();
        let store = SessionStore::in_dir(dir.path());
        assert_eq!(store.load(), Loaded::Nothing);
        assert!(!old.exists());
        assert!(recent.exists(), "a save still running is left alone");
    }

    #[test]
    fn a_failed_save_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::in_dir(dir.path());
        store.save(&sample()).unwrap();
        // A directory where the temporary file would go makes the write fail part-way.
        let blocked = SessionStore::in_dir(dir.path().join("session.json"));
        assert!(blocked.save(&sample()).is_err());
        assert_eq!(store.load(), Loaded::Session(sample()));
    }

    #[test]
    fn a_corrupt_file_is_set_aside() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::in_dir(dir.path());
        fs::write(store.file(), "{ not json").unwrap();
        match store.load() {
            Loaded::SetAside { reason, moved_to } => {
                assert!(reason.contains("damaged"), "{reason}");
                let moved = moved_to.unwrap();
                assert_eq!(fs::read_to_string(moved).unwrap(), "{ not json");
            }
            other => panic!("{other:?}"),
        }
        assert!(!store.file().exists());
        assert_eq!(store.load(), Loaded::Nothing);
    }

    #[test]
    fn a_newer_format_is_set_aside_with_its_own_reason() {
        let dir = tempfile::tempdir().unwrap();
        let store = SessionStore::in_dir(dir.path());
        fs::write(store.file(), r#"{"format": 99, "whatever": true}"#).unwrap();
        match store.load() {
            Loaded::SetAside { reason, moved_to } => {
                assert!(reason.contains("newer ekm-wizard"), "{reason}");
                assert!(moved_to.is_some());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_damage_not_silently_dropped() {
        let key = crate::clouds::first().key();
        let text = format!(
            r#"{{"format":1,"cloud":"{key}","path":"api","step":1,"inputs":{{"admin_key":"x"}}}}"#
        );
        assert!(parse(&text).is_err());
    }

    #[test]
    fn a_saved_value_that_breaks_a_rule_is_left_out_and_named() {
        let (cloud, field) = kit_and_field();
        let text = serde_json::json!({
            "format": 1,
            "cloud": cloud.key(),
            "path": "api",
            "step": 1,
            "inputs": {
                "org_id": "org-abc",
                "name": "x".repeat(1024 * 1024),
                "project_name": "sk-admin-CANARY0123456789abcdef",
                field.key(): "made:up::111122223333:role/a\u{1b}[2J",
            },
            "external_key_id": "extkey_../../users/x",
            "project_id": "proj_1",
        })
        .to_string();
        let session = parse(&text).unwrap();
        assert_eq!(session.inputs.raw(FieldId::ORG_ID), "org-abc");
        for field in [FieldId::NAME, FieldId::PROJECT_NAME, field] {
            assert_eq!(session.inputs.raw(field), "", "{field:?} is not loaded");
        }
        assert_eq!(session.external_key_id, None);
        assert_eq!(session.project_id.as_deref(), Some("proj_1"));
        let said = session.inputs.left_out_sentence().unwrap();
        for words in [
            "1048576 characters",
            "looks like a secret",
            "control characters",
            "the registered key's id",
        ] {
            assert!(said.contains(words), "{words}: {said}");
        }
        assert!(
            !said.contains("CANARY") && !said.contains("users/x"),
            "{said}"
        );
    }

    #[test]
    fn concurrent_saves_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..4)
            .map(|n| {
                let store = SessionStore::in_dir(dir.path());
                std::thread::spawn(move || {
                    let mut session = sample();
                    session.inputs.set(FieldId::NAME, "x".repeat(400 * (n + 1)));
                    for _ in 0..50 {
                        store.save(&session).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        match SessionStore::in_dir(dir.path()).load() {
            Loaded::Session(session) => {
                let name = session.inputs.raw(FieldId::NAME);
                assert!(
                    !name.is_empty() && name.len() % 400 == 0 && name.chars().all(|c| c == 'x')
                );
            }
            other => panic!("{other:?}"),
        }
        let leftovers = fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left");
    }
}
