//! The real binary in a pseudo-terminal, driven with keystrokes as a person would, and the
//! terminal's mode checked after every way of leaving.

use ekm_wizard::clouds::gcp;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use portable_pty::PtySize;

mod support;

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";
const TAB: &str = "\t";
const PAGE_DOWN: &str = "\x1b[6~";
const PAGE_UP: &str = "\x1b[5~";
const CTRL_Q: &str = "\x11";
const CTRL_C: &str = "\x03";

use support::screen::Screen as Wizard;

/// What only these tests ask of the terminal: its modes, signals, whether it was restored.
trait TerminalState {
    fn local_modes(&self) -> libc::tcflag_t;
    fn in_raw_mode(&self) -> bool;
    fn signal(&self, signal: libc::c_int);
    fn assert_restored(&self);
}

impl TerminalState for Wizard {
    fn local_modes(&self) -> libc::tcflag_t {
        let fd = self.master.as_raw_fd().expect("a unix pty");
        let mut termios = unsafe { std::mem::zeroed::<libc::termios>() };
        assert_eq!(unsafe { libc::tcgetattr(fd, &mut termios) }, 0);
        termios.c_lflag
    }

    fn in_raw_mode(&self) -> bool {
        self.local_modes() & (libc::ICANON | libc::ECHO) == 0
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = self.child.process_id().expect("a pid") as libc::pid_t;
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    }

    /// The terminal is back as it was: line mode and echo on, main screen, cursor shown.
    fn assert_restored(&self) {
        let modes = self.local_modes();
        assert_ne!(modes & libc::ICANON, 0, "still in raw mode (no ICANON)");
        assert_ne!(modes & libc::ECHO, 0, "echo still off");
        let parser = self.parser.lock().unwrap();
        assert!(
            !parser.screen().alternate_screen(),
            "still on the alternate screen"
        );
        assert!(!parser.screen().hide_cursor(), "cursor still hidden");
        assert!(
            !parser.screen().bracketed_paste(),
            "bracketed paste still on"
        );
    }
}

#[test]
fn walking_the_aws_path_to_the_trust_policy_then_quitting() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &[]);
    wizard.wait_for("Set up OpenAI Enterprise Key Management");
    assert!(wizard.in_raw_mode());
    wizard.press(TAB);
    wizard.press(TAB);
    wizard.press("org-abc123");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(KEY);
    wizard.press(PAGE_DOWN);
    wizard.wait_for("2. Create an IAM policy limited to this key");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("3. Create the role OpenAI assumes");
    wizard.press(ROLE);
    wizard.press(TAB);
    wizard.wait_for("Trust policy (JSON)");
    wizard.wait_for("\"sts:ExternalId\": [");
    wizard.wait_for("\"org-abc123\"");
    // Copy the trust policy; with the clipboard forced to a file, the status names it.
    wizard.press("c");
    wizard.wait_for("aws-trust-policy.json");
    wizard.send(CTRL_Q);
    // Back on the normal screen: where the setup stands and how to go on.
    wizard.wait_for_words("ekm-wizard: AWS KMS · API registration: at step 3 of 5");
    wizard.wait_for("Progress is saved in");
    wizard.wait_for("To go on: ekm-wizard");
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
    let copied =
        std::fs::read_to_string(state.path().join("exports/aws-trust-policy.json")).unwrap();
    let policy: serde_json::Value = serde_json::from_str(&copied).unwrap();
    assert_eq!(
        policy["Statement"][0]["Principal"]["AWS"],
        "arn:aws:iam::790389265272:role/EnterpriseKeyManagement"
    );
    let saved = std::fs::read_to_string(state.path().join("session.json")).unwrap();
    assert!(saved.contains(ROLE), "{saved}");
}

#[test]
fn flags_start_at_step_one_and_saved_progress_is_offered_next_time() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(KEY);
    wizard.send(CTRL_C);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();

    let mut again = Wizard::wizard(state.path(), &[]);
    again.wait_for("Saved progress found");
    again.press("\r");
    again.wait_for("1. Create a symmetric KMS key");
    again.wait_for("1234abcd-12ab-34cd-56ef-1234567890ab");
    again.send(CTRL_Q);
    assert_eq!(again.exit_code(), 0);

    let mut fresh = Wizard::wizard(state.path(), &["--fresh"]);
    fresh.wait_for("Set up OpenAI Enterprise Key Management");
    fresh.send(CTRL_Q);
    assert_eq!(fresh.exit_code(), 0);
}

fn restored_after_signal(signal: libc::c_int) {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Create a symmetric KMS key");
    assert!(wizard.in_raw_mode());
    wizard.signal(signal);
    wizard.exit_code();
    wizard.assert_restored();
}

#[test]
fn sigterm_restores_the_terminal() {
    restored_after_signal(libc::SIGTERM);
}

#[test]
fn sighup_restores_the_terminal() {
    restored_after_signal(libc::SIGHUP);
}

#[test]
fn a_corrupt_session_file_is_set_aside_and_the_wizard_starts_fresh() {
    let state = tempfile::tempdir().unwrap();
    std::fs::write(state.path().join("session.json"), "{ not json").unwrap();
    let mut wizard = Wizard::wizard(state.path(), &[]);
    wizard.wait_for("Starting fresh");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    let kept: Vec<String> = std::fs::read_dir(state.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("session.json.unusable-"))
        .collect();
    assert_eq!(kept.len(), 1);
}

#[test]
fn a_small_terminal_gets_a_message_and_a_resize_redraws() {
    let state = tempfile::tempdir().unwrap();
    let wizard = Wizard::wizard(state.path(), &[]);
    wizard.wait_for("Set up OpenAI");
    // The reader takes the new size first, so that the redraw the resize causes is read at it.
    wizard.parser.lock().unwrap().screen_mut().set_size(20, 60);
    wizard
        .master
        .resize(PtySize {
            rows: 20,
            cols: 60,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    wizard.wait_for("at least 80×24");
    let mut wizard = wizard;
    wizard.parser.lock().unwrap().screen_mut().set_size(24, 80);
    wizard
        .master
        .resize(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    wizard.wait_for("Set up OpenAI");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
}

#[test]
fn a_panic_restores_the_terminal() {
    // Examples are built by `cargo test`, next to this test's own binary.
    let examples = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples/crash_in_terminal");
    if !examples.exists() {
        // Run alone (`cargo test --test terminal`), cargo does not build examples: build it.
        let built = std::process::Command::new(env!("CARGO"))
            .args(["build", "--example", "crash_in_terminal"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(built.success());
    }
    let state = tempfile::tempdir().unwrap();
    let mut crashing = Wizard::start(&examples, state.path(), &[]);
    crashing.wait_for("about to fail");
    assert!(crashing.in_raw_mode());
    assert_eq!(crashing.exit_code(), 101);
    crashing.assert_restored();
    crashing.wait_for("a deliberate failure");
}

const RIGHT: &str = "\x1b[C";

#[test]
fn walking_the_gcp_path_to_the_federated_principal() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &[]);
    wizard.wait_for("Set up OpenAI Enterprise Key Management");
    wizard.press(RIGHT);
    wizard.wait_for("Google Cloud KMS");
    wizard.press(TAB);
    wizard.press(TAB);
    wizard.press("org-abc123");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("1. Trust OpenAI's identity token");
    for value in ["123456789012", "openai-ekm", "openai-ekm-provider"] {
        wizard.press(value);
        wizard.press(TAB);
    }
    wizard.wait_for("\"sub\": \"105900137572174660365\"");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("2. Make sure Cloud KMS is enabled");
    wizard.press("adjective-noun-12345");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("3. Create a key ring and a symmetric key");
    for value in ["us-east1", "openai-kms-key-ring", "openai-kms-key"] {
        wizard.press(value);
        wizard.press(TAB);
    }
    wizard.press(PAGE_DOWN);
    wizard.wait_for("4. Create a role limited to encrypt and decrypt");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("5. Grant OpenAI's identity the role on the key");
    wizard.wait_for("principal://iam.googleapis.com/projects/123456789012/loc");
    wizard.press("c");
    wizard.wait_for("gcp-principal.txt");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
    let copied = std::fs::read_to_string(state.path().join("exports/gcp-principal.txt")).unwrap();
    assert_eq!(
        copied.trim(),
        "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/openai-ekm/subject/105900137572174660365"
    );
}

#[test]
fn walking_the_azure_path_catches_a_wrong_key_name_prefix_as_it_is_typed() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(
        state.path(),
        &["--cloud", "azure", "--org-id", "org-abc123"],
    );
    wizard.wait_for("1. Create a service principal for OpenAI");
    wizard.press("72f988bf-86f1-41af-91ab-2d7cd011db47");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("2. Create a custom role limited to the key");
    wizard.press("0b1f6471-1bf0-4dda-aec3-cb9272f09590");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("3. Create a Key Vault and an RSA key");
    wizard.press("contoso-ekm");
    wizard.press(TAB);
    wizard.press("rg-ekm");
    wizard.press(TAB);
    wizard.press("org-xyz--openai-ekm");
    wizard.wait_for("not with your");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("Before moving on, fix Key name");
    // Fix it in place: erase the wrong prefix and type the right one.
    for _ in 0.."org-xyz--openai-ekm".len() {
        wizard.send("\x7f");
    }
    wizard.press("org-abc123--openai-ekm");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("4. Assign the role to OpenAI on the key");
    // The vault's permission model comes first on this step; the scope follows.
    wizard.wait_for("First make sure the vault uses the Azure RBAC permission");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
}

#[test]
fn registering_from_the_last_step_with_a_typed_key_that_never_shows() {
    const CANARY: &str = "sk-admin-CANARYtyped0123456789abcdef";
    let fake = support::fake_openai::FakeOpenAi::start(CANARY);
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let mut wizard = Wizard::start_with(
        Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &[("OPENAI_BASE_URL", base.as_str())],
    );
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(KEY);
    wizard.press(PAGE_DOWN);
    wizard.press(PAGE_DOWN);
    wizard.press(ROLE);
    wizard.press(PAGE_DOWN);
    wizard.press(PAGE_DOWN);
    wizard.wait_for("5. Hand the key to OpenAI");
    // Shift-Tab wraps to the last items: the register button, then the admin key.
    wizard.press("\x1b[Z");
    wizard.press("\x1b[Z");
    wizard.wait_for("paste your admin key");
    wizard.press(&format!("\x1b[200~{CANARY}\x1b[201~"));
    wizard.wait_for("typed, hidden");
    wizard.press(TAB);
    wizard.press("\r");
    wizard.wait_for("No key with these settings yet");
    wizard.press("\r");
    wizard.wait_for("is valid: OpenAI can use your key");
    wizard.wait_for("Registered key: extkey_1000");
    wizard.wait_for("Project: proj_500");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
    let everything = wizard.raw();
    assert!(
        !everything.contains("CANARY"),
        "the key reached the terminal"
    );
    let saved = std::fs::read_to_string(state.path().join("session.json")).unwrap();
    assert!(
        saved.contains("extkey_1000") && saved.contains("proj_500"),
        "{saved}"
    );
    assert!(!saved.contains("CANARY"));
    assert_eq!(fake.count("POST", "/v1/organization/external_keys"), 1);
}

#[test]
fn checks_run_from_a_step_and_report_what_is_missing() {
    let moto = support::moto::Moto::start();
    let state = tempfile::tempdir().unwrap();
    let env: Vec<(&str, String)> = moto.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut wizard = Wizard::start_with(
        Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &env,
    );
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab");
    wizard.press(PAGE_DOWN);
    wizard.press(PAGE_DOWN);
    wizard.press("arn:aws:iam::123456789012:role/openai-ekm");
    wizard.press(PAGE_UP);
    wizard.press(PAGE_UP);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(TAB); // off the text field, so k is a command
    wizard.press("k");
    wizard.wait_for("Checks: ");
    wizard.press("\x1b[F"); // End: scroll to the checks
    wizard.wait_for("✗ KMS key: no key key/1234abcd");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
}

#[test]
fn a_state_directory_that_cannot_be_written_lets_the_wizard_run_on_and_say_so() {
    let state = tempfile::tempdir().unwrap();
    let blocker = state.path().join("not-a-directory");
    std::fs::write(&blocker, "a file where the state directory should be").unwrap();
    let unwritable = blocker.join("ekm-wizard");
    let mut wizard = Wizard::wizard(&unwritable, &[]);
    wizard.wait_for("Set up OpenAI Enterprise Key Management");
    wizard.press(TAB);
    wizard.press(TAB);
    wizard.press("org-abc123");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("Progress will not be saved");
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
}

#[test]
fn azure_checks_find_the_missing_service_principal_and_the_wizard_creates_it_when_asked() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use support::fake_cloud::{FakeCloud, Reply};
    const TOKEN: &str = "eyJhbGciOiJub25lIn0.eyJ0aWQiOiI3MmY5ODhiZi04NmYxLTQxYWYtOTFhYi0yZDdjZDAxMWRiNDciLCJ1cG4iOiJhZG1pbkBjb250b3NvLmNvbSJ9.CANARYsig";
    let fake = FakeCloud::start();
    let created = Arc::new(AtomicBool::new(false));
    let seen_created = Arc::clone(&created);
    fake.on_fn(
        "GET",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        move |_| {
            if seen_created.load(Ordering::SeqCst) {
                Reply::ok(serde_json::json!({"value": [{"id": "sp-1", "displayName": "EKM - OpenAI Azure"}]}))
            } else {
                Reply::ok(serde_json::json!({"value": []}))
            }
        },
    );
    let mark_created = Arc::clone(&created);
    fake.on_fn(
        "POST",
        "/graph.microsoft.com/v1.0/servicePrincipals",
        move |_| {
            mark_created.store(true, Ordering::SeqCst);
            Reply::with(201, serde_json::json!({"id": "sp-1"}))
        },
    );
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let mut wizard = Wizard::start_with(
        Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
        state.path(),
        &["--cloud", "azure", "--org-id", "org-abc123"],
        &[
            ("EKM_AZURE_API_URL", &base),
            ("EKM_AZURE_ACCESS_TOKEN", TOKEN),
        ],
    );
    wizard.wait_for("1. Create a service principal for OpenAI");
    wizard.press("72f988bf-86f1-41af-91ab-2d7cd011db47");
    wizard.press(PAGE_DOWN);
    wizard.press("0b1f6471-1bf0-4dda-aec3-cb9272f09590");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("3. Create a Key Vault and an RSA key");
    wizard.press("contoso-ekm");
    wizard.press(TAB);
    wizard.press("rg-ekm");
    wizard.press(TAB);
    wizard.press("org-abc123--openai-ekm");
    wizard.press(PAGE_UP);
    wizard.press(PAGE_UP);
    wizard.wait_for("1. Create a service principal for OpenAI");
    wizard.press(TAB); // off the text field, so letters are commands
    wizard.press("k");
    wizard.wait_for("Checks: ");
    wizard.press("\x1b[F"); // End: scroll to the checks
    wizard.wait_for("✗ OpenAI's service principal");
    wizard.wait_for("s creates OpenAI's service principal");
    wizard.press("s");
    wizard.wait_for("y create OpenAI's service principal");
    assert_eq!(
        fake.count("POST", "/graph.microsoft.com/v1.0/servicePrincipals"),
        0
    );
    wizard.press("y");
    wizard.wait_for("Created OpenAI's service principal");
    wizard.press("k");
    wizard.wait_for("2 passed"); // the second run has finished (identity and the principal)
    wizard.press("\x1b[F");
    wizard.wait_for("✓ OpenAI's service principal");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
    let everything = wizard.raw();
    assert!(
        !everything.contains("CANARY"),
        "the token reached the screen"
    );
}

#[test]
fn a_full_disk_is_said_on_screen_and_the_saved_progress_is_kept() {
    use ekm_wizard::guide::{FieldId, Inputs, SetupPath};
    use ekm_wizard::session::{SESSION_FORMAT, Session, SessionStore};
    let state = tempfile::tempdir().unwrap();
    let mut inputs = Inputs::new(gcp::cloud());
    inputs.set(FieldId::ORG_ID, "org-earlier");
    SessionStore::in_dir(state.path())
        .save(&Session {
            format: SESSION_FORMAT,
            cloud: gcp::cloud(),
            path: SetupPath::Api,
            step: 0,
            reached: 0,
            inputs,
            external_key_id: None,
            project_id: None,
        })
        .unwrap();
    let before = std::fs::read(state.path().join("session.json")).unwrap();
    // No file may grow past 0 bytes: every save fails part-way, as on a full disk.
    let mut wizard = Wizard::start(
        Path::new("/bin/sh"),
        state.path(),
        &[
            "-c",
            "trap '' XFSZ; ulimit -f 0; exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_ekm-wizard"),
            "--fresh",
        ],
    );
    wizard.wait_for("Set up OpenAI Enterprise Key Management");
    wizard.press(TAB);
    wizard.press(TAB);
    wizard.press("org-abc123");
    wizard.press(PAGE_DOWN);
    wizard.wait_for("Progress will not be saved");
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
    assert_eq!(
        std::fs::read(state.path().join("session.json")).unwrap(),
        before
    );
}

#[test]
fn a_storm_of_resizes_down_to_20_by_5_neither_panics_nor_hangs() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Create a symmetric KMS key");
    let sizes = [
        (5u16, 20u16),
        (60, 200),
        (24, 80),
        (7, 33),
        (50, 120),
        (5, 20),
        (30, 100),
    ];
    for round in 0..300 {
        let (rows, cols) = sizes[round % sizes.len()];
        wizard
            .master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }
    wizard.parser.lock().unwrap().screen_mut().set_size(24, 80);
    wizard
        .master
        .resize(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    // Still answering: F1 opens the help. (A person stops resizing before pressing a key; a
    // key sent within microseconds of the storm's last resize was seen lost about one run in
    // five here, an open question noted on issue #8.)
    std::thread::sleep(Duration::from_millis(300));
    wizard.press("\x1bOP");
    wizard.wait_for("copy the focused block");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
}

#[test]
fn a_copy_through_tmux_is_called_unconfirmed_and_names_w_and_a_written_path_is_whole() {
    let state = tempfile::tempdir().unwrap();
    let home = state.path().to_str().unwrap();
    let mut wizard = Wizard::start_with(
        Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &[
            ("EKM_WIZARD_CLIPBOARD", "osc52"),
            ("TMUX", "/tmp/tmux-0/default,1,0"),
            ("HOME", home),
        ],
    );
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(TAB); // the first block
    wizard.press("c");
    wizard.wait_for_words("through tmux");
    wizard.wait_for_words("cannot confirm it arrived");
    wizard.wait_for_words("press w to write it to a file");
    assert!(
        !wizard.contents().contains("✓ Copied"),
        "an unconfirmed copy is not called done:\n{}",
        wizard.contents()
    );
    wizard.press("w");
    // The state folder is the home here: the path is shown from `~`, whole.
    wizard.wait_for_words("~/exports/aws-create-key-commands.txt");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
}

#[test]
fn starting_over_asks_before_the_saved_progress_is_lost() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(KEY);
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    let saved = || std::fs::read_to_string(state.path().join("session.json")).unwrap();
    assert!(saved().contains("1234abcd"));

    // n, then any other key: kept. Quitting changes nothing.
    let mut again = Wizard::wizard(state.path(), &[]);
    again.wait_for("Saved progress found");
    again.press("n");
    again.wait_for_words("discard the saved progress (AWS KMS, step 1 of 5, 2 values recorded)");
    again.wait_for("y discard the saved progress");
    again.press("x");
    again.wait_for_words("Kept: the saved progress is as it was.");
    again.send(CTRL_Q);
    again.wait_for("ekm-wizard: nothing changed; the saved progress is as it was.");
    assert_eq!(again.exit_code(), 0);
    assert!(saved().contains("1234abcd"), "kept:\n{}", saved());

    // n, then y: discarded at the next save.
    let mut third = Wizard::wizard(state.path(), &[]);
    third.wait_for("Saved progress found");
    third.press("n");
    third.wait_for("y discard the saved progress");
    third.press("y");
    third.wait_for("Set up OpenAI Enterprise Key Management");
    third.send(CTRL_Q);
    assert_eq!(third.exit_code(), 0);
    assert!(
        !saved().contains("1234abcd"),
        "discarded as asked:\n{}",
        saved()
    );
}

#[test]
fn the_help_fits_80_by_24_and_scrolls() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(TAB); // off the text field, so ? is a command
    wizard.press("?");
    wizard.wait_for("Keys ·");
    let first = wizard.contents();
    // Every line of help is whole: long ones wrap inside the box, never cut at its edge.
    for _ in 0..4 {
        if wizard
            .contents()
            .contains("create OpenAI's service principal in your")
        {
            break;
        }
        wizard.press(PAGE_DOWN);
    }
    wizard.wait_for("create OpenAI's service principal in your");
    wizard.wait_for("tenant (asks first)");
    assert_ne!(wizard.contents(), first, "PgDn scrolls the help");
    for _ in 0..4 {
        if wizard.contents().contains("Ctrl-C / Ctrl-Q") {
            break;
        }
        wizard.press(PAGE_DOWN);
    }
    wizard.wait_for("Ctrl-C / Ctrl-Q");
    wizard.press("\x1b");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
}

/// The colours (as 256-colour indices) of every SGR sequence the program wrote.
fn colours_used(raw: &[u8]) -> Vec<u32> {
    let text = String::from_utf8_lossy(raw);
    let sgr = regex::Regex::new(r"\x1b\[([0-9;]*)m").unwrap();
    let mut colours = Vec::new();
    for captures in sgr.captures_iter(&text) {
        let params: Vec<u32> = captures[1]
            .split(';')
            .filter_map(|p| p.parse().ok())
            .collect();
        let mut i = 0;
        while i < params.len() {
            match params[i] {
                38 | 48 if params.get(i + 1) == Some(&5) => {
                    colours.extend(params.get(i + 2));
                    i += 3;
                    continue;
                }
                38 | 48 if params.get(i + 1) == Some(&2) => {
                    colours.push(u32::MAX); // a 24-bit colour
                    i += 5;
                    continue;
                }
                n @ (30..=37 | 40..=47) => colours.push(n % 10),
                n @ (90..=97 | 100..=107) => colours.push(n % 10 + 8),
                _ => {}
            }
            i += 1;
        }
    }
    colours
}

#[test]
fn a_monochrome_ascii_terminal_gets_neither_colour_nor_other_characters() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::start_with(
        Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
        state.path(),
        &["--cloud", "gcp", "--org-id", "org-abc123"],
        &[("TERM", "vt100"), ("LANG", "C"), ("LC_ALL", "C")],
    );
    wizard.wait_for("1. Trust OpenAI's identity token");
    wizard.press("\x1bOP"); // F1
    wizard.wait_for("Keys");
    let screen = wizard.contents();
    assert!(screen.is_ascii(), "only ASCII on screen:\n{screen}");
    assert!(
        screen.contains("+-") && screen.contains("| "),
        "frames in ASCII:\n{screen}"
    );
    wizard.press("\x1b");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    let raw = wizard.raw_bytes();
    assert_eq!(colours_used(&raw), Vec::<u32>::new(), "no colour at all");
}

#[test]
fn the_linux_console_gets_the_basic_colours_only() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::start_with(
        Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &[("TERM", "linux"), ("LANG", "C.UTF-8")],
    );
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    let raw = wizard.raw_bytes();
    let used = colours_used(&raw);
    assert!(!used.is_empty(), "colour is used");
    assert!(
        used.iter().all(|n| *n < 8),
        "only the 8 basic colours: {used:?}"
    );
}

#[test]
fn a_field_is_never_blank_while_it_holds_text_after_a_long_backspace() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(&format!(
        "{KEY}-and-much-more-text-typed-past-the-edge-of-the-field"
    ));
    for _ in 0..70 {
        wizard.send("\x7f");
    }
    // What is left, from its start: nothing hidden to the left of the field.
    wizard.wait_for("    arn:aws:kms:us-east-1:111122223333:key/");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
}

#[test]
fn a_newcomer_on_gcp_reads_ahead_copies_one_value_and_never_types_out_of_sight() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "gcp", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Trust OpenAI's identity token");
    // The console page of the step, and this cloud's own examples.
    wizard.wait_for("Console (Alt-L copies): https://console.cloud.google.com/iam-admin/");
    wizard.wait_for("workload-identity-pools");
    // Scroll the focused field out of sight: letters are commands then, never text.
    for _ in 0..30 {
        wizard.press("\x1b[B");
    }
    wizard.wait_for("┃ 1 iss: https://accounts.google.com");
    assert!(
        !wizard.contents().contains("Pool's project number"),
        "the field is out of sight"
    );
    wizard.press("k");
    wizard.wait_for_words("The checks cannot start yet");
    assert!(
        !std::fs::read_to_string(state.path().join("session.json"))
            .unwrap_or_default()
            .contains("\"k\""),
        "k never became text"
    );
    // One value of the provider settings, alone.
    for _ in 0..8 {
        if wizard.contents().contains("c copy · 1–4 one value") {
            break;
        }
        wizard.press(TAB);
    }
    wizard.wait_for("c copy · 1–4 one value");
    wizard.press("2");
    wizard.wait_for_words("Wrote allowed_audiences of OIDC provider settings");
    let copied = std::fs::read_to_string(
        state
            .path()
            .join("exports/gcp-provider-settings-allowed_audiences.txt"),
    )
    .unwrap();
    assert_eq!(copied.trim(), "org-abc123");
    // Read ahead to step 3 although step 1 is not finished.
    wizard.press("]");
    wizard.press("]");
    wizard.wait_for("3. Create a key ring and a symmetric key");
    wizard.wait_for_words("Reading ahead: step 1 is not finished yet");
    // The last step's key name shows this cloud's own example.
    for _ in 0..4 {
        wizard.press("]");
    }
    wizard.wait_for("7. ");
    wizard.wait_for("GCP EKM key");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
}

/// The files `render <args> --out` writes, by name.
fn rendered_files(args: &[&str]) -> std::collections::BTreeMap<String, String> {
    let out = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .arg("render")
        .args(args)
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(0), "{status:?}");
    files_in(out.path())
}

fn files_in(dir: &Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&path).unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_as_code_view_writes_the_same_module_as_render_and_copies_one_file() {
    const F3: &str = "\x1bOR";
    const SHIFT_TAB: &str = "\x1b[Z";
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Create a symmetric KMS key");
    // F3 works even with a text field focused (a is a letter there).
    wizard.press(F3);
    wizard.wait_for("The setup as code · Terraform");
    wizard.wait_for("▸versions.tf");
    wizard.press(TAB);
    wizard.wait_for("▸variables.tf");
    wizard.press("w");
    wizard.wait_for_words("Wrote the Terraform files (4) to");
    let written = files_in(&state.path().join("exports/aws-terraform"));
    assert_eq!(
        written,
        rendered_files(&["aws", "--org-id", "org-abc123", "--format", "terraform"]),
        "the view writes what render writes, from the values recorded"
    );
    assert!(written["variables.tf"].contains("org-abc123"));
    // Back past the first file is the last one: the CloudFormation template.
    wizard.press(SHIFT_TAB);
    wizard.press(SHIFT_TAB);
    wizard.wait_for("The setup as code · CloudFormation");
    wizard.wait_for("▸ekm.yaml");
    wizard.press("c");
    wizard.wait_for_words("aws-cloudformation-ekm.yaml");
    let template = rendered_files(&[
        "aws",
        "--org-id",
        "org-abc123",
        "--format",
        "cloudformation",
    ]);
    assert_eq!(
        std::fs::read_to_string(state.path().join("exports/aws-cloudformation-ekm.yaml")).unwrap(),
        template["ekm.yaml"]
    );
    wizard.press("\x1b");
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
}

#[test]
fn the_drill_on_the_last_step_proves_the_cut_off_and_quitting_midway_switches_the_key_on() {
    use support::aws_world::{admin, key_enabled, openai_for};
    const ADMIN: &str = "sk-admin-CANARYdrill0123456789abcdef";
    let moto = support::moto::Moto::start();
    let setup = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (key, role) = setup.block_on(async { admin(&moto).await.good_setup().await });
    let openai = openai_for(&moto, &key, &role, ADMIN);
    openai.state.lock().unwrap().keys.clear();
    openai.state.lock().unwrap().projects.clear();
    let state = tempfile::tempdir().unwrap();
    let base = openai.base();
    let mut env: Vec<(&str, String)> = moto.env();
    env.push(("OPENAI_BASE_URL", base.clone()));
    env.push(("OPENAI_ADMIN_KEY", ADMIN.to_string()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut wizard = Wizard::start_with(
        Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &env,
    );
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(&key);
    wizard.press(PAGE_DOWN);
    wizard.press(PAGE_DOWN);
    wizard.press(&role);
    wizard.press(PAGE_DOWN);
    wizard.press(PAGE_DOWN);
    wizard.wait_for("5. Hand the key to OpenAI");
    // Before a key is registered, d says what the drill needs.
    wizard.press("\x1b[Z");
    wizard.press("d");
    wizard.wait_for_words("once a key is registered");
    wizard.press("\r");
    wizard.wait_for("No key with these settings yet");
    wizard.press("\r");
    wizard.wait_for("is valid: OpenAI can use your key");
    wizard.press("d");
    wizard.wait_for_words("Revocation drill on extkey_1000");
    wizard.wait_for_words("y starts, any other key cancels");
    wizard.press("y");
    wizard.wait_for_words("Drill: proved");
    assert!(key_enabled(moto.port, &key));
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(state.path().join("last-drill.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["end"], "proved");

    // An OpenAI that never sees the cut-off keeps the drill waiting with the key off; quitting
    // then switches the key on before the wizard exits.
    openai.state.lock().unwrap().validate_by =
        Some(std::sync::Arc::new(|_: &serde_json::Value| {
            (200, serde_json::json!({"status": "success"}))
        }));
    wizard.press("d");
    wizard.press("y");
    let in_progress = state.path().join("drill-in-progress.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !(in_progress.exists()
        && std::fs::read_to_string(&in_progress)
            .unwrap_or_default()
            .contains("\"state\": \"off\""))
    {
        assert!(
            Instant::now() < deadline,
            "the drill never switched the key off"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!key_enabled(moto.port, &key));
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
    assert!(
        key_enabled(moto.port, &key),
        "quitting switched the key on first"
    );
    assert!(!in_progress.exists());
    let everything = wizard.raw();
    assert!(!everything.contains("CANARY"));
}

#[test]
fn do_it_for_me_plans_everything_applies_after_y_records_the_values_and_then_has_nothing_to_do() {
    const F4: &str = "\x1bOS";
    let moto = support::moto::Moto::start();
    let state = tempfile::tempdir().unwrap();
    let env: Vec<(&str, String)> = moto.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut wizard = Wizard::start_with(
        Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
        state.path(),
        &["--cloud", "aws", "--org-id", "org-abc123"],
        &env,
    );
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(PAGE_UP); // the start screen: every step
    wizard.press(F4);
    wizard.wait_for("Do it for me · every step");
    wizard.wait_for("+ will create: a KMS key with the alias alias/openai-ekm-org-abc123");
    wizard.wait_for("+ will create: the role openai-ekm");
    wizard.wait_for("READ sts:GetCallerIdentity");
    assert!(
        wizard.contents().contains("y apply"),
        "the footer offers y:\n{}",
        wizard.contents()
    );
    wizard.press("y");
    wizard.wait_for_words("Done: 5 made, 0 changed");
    wizard.wait_for_words("Verified: all");
    // Every call is listed below the plan.
    wizard.press(PAGE_DOWN);
    wizard.press(PAGE_DOWN);
    wizard.press(PAGE_DOWN);
    wizard.wait_for("WRITE iam:CreateRole openai-ekm");
    wizard.press("\x1b");
    wizard.wait_for("Set up OpenAI Enterprise Key Management");
    // The key made is recorded in its field, and saved.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(state.path().join("session.json"))
        .unwrap_or_default()
        .contains("arn:aws:kms:us-east-1:123456789012:key/")
    {
        assert!(Instant::now() < deadline, "the made key was not recorded");
        std::thread::sleep(Duration::from_millis(50));
    }
    wizard.press(F4);
    wizard.wait_for("= as wanted: the KMS key");
    wizard.wait_for_words("Nothing to change");
    assert!(
        !wizard.contents().contains("y apply"),
        "nothing to apply, no y:\n{}",
        wizard.contents()
    );
    wizard.press("\x1b");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    wizard.assert_restored();
}

impl Wizard {
    fn resize_to(&self, rows: u16, cols: u16) {
        self.parser
            .lock()
            .unwrap()
            .screen_mut()
            .set_size(rows, cols);
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }
}

#[test]
fn keys_pressed_under_the_too_small_notice_change_nothing() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.resize_to(20, 60);
    wizard.wait_for("at least 80×24");
    // Typed while nothing can be seen: none of it may land in the focused field.
    wizard.press("arn-typed-blind");
    wizard.press(PAGE_DOWN);
    wizard.resize_to(24, 80);
    wizard.wait_for("1. Create a symmetric KMS key");
    assert!(
        !wizard.contents().contains("arn-typed-blind"),
        "{}",
        wizard.contents()
    );
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    let saved = std::fs::read_to_string(state.path().join("session.json")).unwrap();
    assert!(!saved.contains("typed-blind"), "{saved}");
}

#[test]
fn flags_for_another_cloud_over_saved_progress_ask_first_and_keep_it() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(KEY);
    wizard.press(PAGE_DOWN);
    wizard.wait_for("2. ");
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    let before = std::fs::read_to_string(state.path().join("session.json")).unwrap();

    let mut other = Wizard::wizard(
        state.path(),
        &["--cloud", "azure", "--org-id", "org-abc123"],
    );
    other.wait_for("Saved progress found");
    other.wait_for("values that differ from it: cloud Azure Key Vault");
    other.wait_for("(saved: AWS KMS)");
    other.send(CTRL_Q);
    assert_eq!(other.exit_code(), 0);
    let after = std::fs::read_to_string(state.path().join("session.json")).unwrap();
    assert_eq!(
        before, after,
        "quitting at the question keeps the progress as it was"
    );

    let mut again = Wizard::wizard(
        state.path(),
        &["--cloud", "azure", "--org-id", "org-abc123"],
    );
    again.wait_for("Saved progress found");
    again.press("\r");
    again.wait_for("2. ");
    again.wait_for_words("start flags were not used");
    again.send(CTRL_Q);
    assert_eq!(again.exit_code(), 0);
    let kept = std::fs::read_to_string(state.path().join("session.json")).unwrap();
    assert!(kept.contains("\"aws\"") && kept.contains(KEY), "{kept}");

    // The same cloud and values: straight on, the step reached kept.
    let mut same = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    same.wait_for("Step 2 of 5");
    same.send(CTRL_Q);
    assert_eq!(same.exit_code(), 0);
}

#[test]
fn end_on_the_last_step_never_lets_a_letter_into_the_admin_key() {
    let state = tempfile::tempdir().unwrap();
    let mut wizard = Wizard::wizard(state.path(), &["--cloud", "aws", "--org-id", "org-abc123"]);
    wizard.wait_for("1. Create a symmetric KMS key");
    wizard.press(KEY);
    wizard.press(PAGE_DOWN);
    wizard.press(PAGE_DOWN);
    wizard.press(ROLE);
    wizard.press(PAGE_DOWN);
    wizard.press(PAGE_DOWN);
    wizard.wait_for("5. Hand the key to OpenAI");
    // Out of the fields onto a block, where keys are commands; End scrolls to the bottom,
    // where the admin key's field is.
    wizard.press(TAB);
    wizard.press(TAB);
    for end in ["\x1b[F", "\x1b[4~"] {
        wizard.press(end);
        wizard.press("z");
        std::thread::sleep(Duration::from_millis(600));
        let shown = wizard.contents();
        assert!(
            !shown.contains("typed, hidden"),
            "a letter went into the admin key:\n{shown}"
        );
    }
    wizard.send(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
}
