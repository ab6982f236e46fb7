//! Saved progress under stress, through real processes: killed at random moments of a save,
//! a disk that fills up mid-write, and many runs saving at once. The file is always a whole
//! session (the old one or the new one), never a mix.

use ekm_wizard::clouds::aws;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ekm_wizard::guide::FieldId;
use ekm_wizard::session::{Loaded, SessionStore};

/// The helper that saves progress the way the wizard does (built by `cargo test`).
fn saver() -> PathBuf {
    let path = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples/session_saver");
    if !path.exists() {
        let built = Command::new(env!("CARGO"))
            .args(["build", "--example", "session_saver"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(built.success());
    }
    path
}

/// Saver processes, killed when dropped: a failing test never leaves them running.
struct Savers(Vec<std::process::Child>);

impl Drop for Savers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The saved key name: which session is in the file, and whether it is whole. The names are
/// far longer than any field takes (so a write spans many system calls), and loading leaves
/// such a value out: the file's own text is read here, after the loader has accepted it.
fn saved_name(dir: &Path) -> String {
    let store = SessionStore::in_dir(dir);
    match store.load() {
        Loaded::Session(session) => {
            assert!(
                session.inputs.raw(FieldId::NAME).is_empty()
                    && session.inputs.left_out().len() == 1,
                "an overlong name is left out when loaded, and said"
            );
            let text = std::fs::read_to_string(store.file()).unwrap();
            let saved: serde_json::Value = serde_json::from_str(&text).unwrap();
            saved["inputs"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        }
        Loaded::Nothing => panic!("there is no session file"),
        Loaded::SetAside { reason, .. } => {
            let reason: String = reason.chars().take(200).collect();
            panic!("the session file is not whole: {reason}")
        }
    }
}

#[test]
fn a_kill_at_any_moment_of_a_save_leaves_a_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut judged = 0;
    for round in 0..25 {
        let mut savers = Savers(vec![
            Command::new(saver())
                .arg(dir.path())
                .arg("loop")
                .stdout(Stdio::piped())
                .spawn()
                .unwrap(),
        ]);
        let child = &mut savers.0[0];
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut ready)
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(5_000 + seed % 80_000));
        child.kill().unwrap();
        child.wait().unwrap();
        if !dir.path().join("session.json").exists() {
            continue; // killed before the first save ended
        }
        judged += 1;
        let name = saved_name(dir.path());
        let whole = (name.starts_with('A') && name.len() == 200_001)
            || (name.starts_with('B') && name.len() == 300_001);
        assert!(
            whole,
            "round {round}: a mixed or cut session ({} bytes)",
            name.len()
        );
    }
    assert!(judged >= 10, "only {judged} rounds got as far as a save");
}

#[test]
fn a_full_disk_keeps_the_old_file_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let first = Command::new(saver())
        .arg(dir.path())
        .args(["once", "100"])
        .output()
        .unwrap();
    assert!(first.status.success());
    let before = std::fs::read(dir.path().join("session.json")).unwrap();
    // A 64 KiB file-size limit stands in for a full disk: the write fails part-way (with
    // SIGXFSZ ignored, as the wizard would see ENOSPC: an error from write).
    let full = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 128; exec \"$0\" \"$@\"")
        .arg(saver())
        .arg(dir.path())
        .args(["once", "500000"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&full.stderr);
    assert_eq!(full.status.code(), Some(1), "{said}");
    assert!(said.contains("cannot write"), "{said}");
    assert_eq!(
        std::fs::read(dir.path().join("session.json")).unwrap(),
        before
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "session.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn runs_saving_at_once_never_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let _runs = Savers(
        (0..4)
            .map(|_| {
                Command::new(saver())
                    .arg(dir.path())
                    .arg("loop")
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect(),
    );
    while !dir.path().join("session.json").exists() {
        std::thread::sleep(Duration::from_millis(5));
    }
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(15));
        let name = saved_name(dir.path());
        assert!(
            name.len() == 200_001 || name.len() == 300_001,
            "{}",
            name.len()
        );
    }
}

#[test]
fn a_secret_typed_into_a_field_is_refused_and_never_saved() {
    use ekm_wizard::guide::{FieldId, Inputs, SetupPath};
    use ekm_wizard::session::{Session, SessionStore};
    let canary = "sk-admin-CANARYcanaryCANARY0123456789";
    let mut inputs = Inputs::new(aws::cloud());
    inputs.set(FieldId::ORG_ID, "org-abc123");
    inputs.set(FieldId::PROJECT_NAME, canary);
    let refused = inputs.validated(FieldId::PROJECT_NAME).unwrap_err();
    assert!(refused.problem.contains("looks like a secret"), "{refused}");
    assert!(!refused.to_string().contains("CANARY"));
    let dir = tempfile::tempdir().unwrap();
    let store = SessionStore::in_dir(dir.path().join("state"));
    let session = Session {
        format: ekm_wizard::session::SESSION_FORMAT,
        cloud: aws::cloud(),
        path: SetupPath::Api,
        step: 1,
        reached: 1,
        inputs,
        external_key_id: None,
        project_id: None,
    };
    store.save(&session).unwrap();
    let saved = std::fs::read_to_string(store.file()).unwrap();
    assert!(!saved.contains("CANARY"), "{saved}");
    assert!(saved.contains("org-abc123"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&store.file()), 0o600, "the session is yours alone");
        assert_eq!(mode(store.dir()), 0o700, "so is its folder");
    }
}

#[test]
fn a_reader_that_stops_early_ends_the_program_quietly_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .args([
            "explain",
            "--json",
            "AccessDeniedException: not authorized to perform kms:Decrypt",
        ])
        .env("EKM_WIZARD_STATE_DIR", state.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before anything is written (`… | head -c0`).
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(
        output.status.signal(),
        Some(libc::SIGPIPE),
        "ended by SIGPIPE, as a Unix tool is: {:?}",
        output.status
    );
}
