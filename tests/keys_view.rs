//! The keys at OpenAI in the full-screen wizard: the real binary in a pseudo-terminal, against
//! the stand-in of the Management API. Opened from the start screen, the view lists the EKM
//! keys (never a Private Safety Processing key; a hostile name shown inert), validates one
//! (the cloud's error explained), refuses to delete a used key naming its project and the
//! command that retires it, and deletes a free key only after a y.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use serde_json::{Value, json};

mod support;

use support::fake_openai::FakeOpenAi;

const CANARY: &str = "sk-admin-CANARYview0123456789abcdef";
const HOSTILE: &str = "evil\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31m\u{202e}name";
const DOWN: &str = "\x1b[B";
const UP: &str = "\x1b[A";
const ESC: &str = "\x1b";
const CTRL_Q: &str = "\x11";

struct Wizard {
    child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
}

impl Wizard {
    fn start(
        state_dir: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        rows: u16,
        cols: u16,
    ) -> Wizard {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_ekm-wizard"));
        command.args(args);
        command.env("EKM_WIZARD_STATE_DIR", state_dir);
        command.env("EKM_WIZARD_CLIPBOARD", "file");
        command.env("TERM", "xterm-256color");
        command.env_remove("OPENAI_ADMIN_KEY");
        command.env_remove("OPENAI_BASE_URL");
        for (name, value) in env {
            command.env(name, value);
        }
        let child = pair.slave.spawn_command(command).unwrap();
        drop(pair.slave);
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let mut reader = pair.master.try_clone_reader().unwrap();
        let (sink, raw_sink) = (Arc::clone(&parser), Arc::clone(&raw));
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                raw_sink.lock().unwrap().extend_from_slice(&buffer[..n]);
                sink.lock().unwrap().process(&buffer[..n]);
            }
        });
        let writer = pair.master.take_writer().unwrap();
        Wizard {
            child,
            _master: pair.master,
            writer,
            parser,
            raw,
        }
    }

    fn contents(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits for words, which may wrap across rows.
    fn wait_for(&self, text: &str) {
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let wanted = words(text);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if words(&self.contents()).contains(&wanted) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "`{text}` never appeared; the screen shows:\n{}",
            self.contents()
        );
    }

    fn press(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        std::thread::sleep(Duration::from_millis(120));
    }

    fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                return status.exit_code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the wizard did not exit:\n{}", self.contents());
    }
}

fn key(id: &str, name: &str, purpose: &str, projects: &[&str]) -> Value {
    // A type the wizard knows no kit for: the view shows it as sent.
    json!({
        "id": id, "object": "organization.external_key", "created_at": 1_760_000_000,
        "api_project_ids": projects, "workspace_id": null, "purpose": purpose,
        "type": "unknown-kms", "name": name,
    })
}

/// A free key (its validation refused by the cloud), a hostile name, a used key and a
/// Private Safety Processing key, listed two to a page.
fn organization() -> FakeOpenAi {
    let fake = FakeOpenAi::start(CANARY);
    let mut state = fake.state.lock().unwrap();
    state.keys.push(key("extkey_free", "first", "ekm", &[]));
    state
        .keys
        .push(key("extkey_psp", "safety-only", "psp_decryption", &[]));
    state.keys.push(key("extkey_hostile", HOSTILE, "ekm", &[]));
    state
        .keys
        .push(key("extkey_used", "third", "ekm", &["proj_live"]));
    state.page_size = 2;
    state.validate_by = Some(Arc::new(|key: &Value| {
        if key["id"] == "extkey_free" {
            (
                400,
                json!({"error": {"message": "User: arn:aws:sts::111122223333:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "type": "invalid_request_error", "param": null, "code": null}}),
            )
        } else {
            (200, json!({"status": "success"}))
        }
    }));
    drop(state);
    fake
}

fn deletes(fake: &FakeOpenAi) -> usize {
    fake.seen().iter().filter(|s| s.method == "DELETE").count()
}

#[test]
fn the_keys_view_lists_validates_and_refuses_to_delete_a_used_key() {
    let fake = organization();
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let mut wizard = Wizard::start(
        state.path(),
        &["--fresh", "--api-base", &base],
        &[("OPENAI_ADMIN_KEY", CANARY)],
        24,
        80,
    );
    wizard.wait_for("F5 keys");
    // From the start screen.
    wizard.press("\x1b[15~");
    wizard.wait_for("extkey_used");
    let screen = wizard.contents();
    assert!(screen.contains("Keys at OpenAI"), "{screen}");
    assert!(screen.contains("extkey_free \"first\""), "{screen}");
    assert!(screen.contains("used by project proj_live"), "{screen}");
    assert!(
        !screen.contains("extkey_psp") && !screen.contains("safety-only"),
        "a Private Safety Processing key is never listed:\n{screen}"
    );
    // The hostile name is shown with its escapes visible, and none reaches the terminal.
    assert!(screen.contains("\"evil\\x07\\x1b[2J\\x1b]52;"), "{screen}");
    let raw = String::from_utf8_lossy(&wizard.raw.lock().unwrap()).into_owned();
    assert!(
        !raw.contains("\u{1b}]52;"),
        "an OSC 52 from a key name reached the terminal"
    );
    assert!(
        !raw.contains("\u{202e}"),
        "a direction override reached the terminal"
    );

    // Validate the key under the cursor: the cloud's refusal, explained.
    wizard.press("v");
    wizard.wait_for("extkey_free is invalid");
    wizard.wait_for("x explains it");
    let screen = wizard.contents();
    assert!(screen.contains("✗ invalid"), "{screen}");

    // Delete the used key: refused, before any request, naming its project and the command.
    wizard.press(DOWN);
    wizard.press(DOWN);
    wizard.press("d");
    wizard.wait_for("Not deleted: extkey_used is in use by project proj_live");
    wizard.wait_for("ekm-wizard keys retire extkey_used");
    assert_eq!(deletes(&fake), 0);

    // A free key: asked first; any key but y keeps it.
    wizard.press(UP);
    wizard.press("d");
    wizard.wait_for("y delete the key");
    wizard.press("n");
    wizard.wait_for("Nothing was deleted.");
    assert_eq!(deletes(&fake), 0);
    wizard.press("d");
    wizard.wait_for("y delete the key");
    wizard.press("y");
    wizard.wait_for("Deleted the registration of extkey_hostile.");
    assert_eq!(
        fake.count("DELETE", "/v1/organization/external_keys/extkey_hostile"),
        1
    );
    assert_eq!(deletes(&fake), 1);

    wizard.press(ESC);
    wizard.wait_for("F5 keys");
    wizard.press(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    let raw = String::from_utf8_lossy(&wizard.raw.lock().unwrap()).into_owned();
    assert!(
        !raw.contains("CANARY"),
        "the admin key reached the terminal"
    );
}

#[test]
fn without_an_admin_key_the_view_says_how_to_give_one_and_asks_nothing() {
    let fake = organization();
    let state = tempfile::tempdir().unwrap();
    let base = fake.base();
    let mut wizard = Wizard::start(
        state.path(),
        &["--fresh", "--api-base", &base],
        &[],
        60,
        200,
    );
    wizard.wait_for("F5 keys");
    wizard.press("\x1b[15~");
    wizard.wait_for("start the wizard with OPENAI_ADMIN_KEY set");
    assert!(fake.seen().is_empty(), "{:?}", fake.seen().len());
    wizard.press(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
}
