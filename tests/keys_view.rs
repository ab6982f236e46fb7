//! The keys at OpenAI in the full-screen wizard: the real binary in a pseudo-terminal, against
//! the stand-in of the Management API. Opened from the start screen, the view lists the EKM
//! keys (never a Private Safety Processing key; a hostile name shown inert), validates one
//! (the cloud's error explained), refuses to delete a used key naming its project and the
//! command that retires it, and deletes a free key only after a y.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

mod support;

use support::fake_openai::FakeOpenAi;

const CANARY: &str = "sk-admin-CANARYview0123456789abcdef";
const HOSTILE: &str = "evil\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31m\u{202e}name";
const DOWN: &str = "\x1b[B";
const UP: &str = "\x1b[A";
const ESC: &str = "\x1b";
const CTRL_Q: &str = "\x11";

use support::screen::Screen as Wizard;

/// The wizard against the stand-in, in a terminal of `rows` × `cols`.
fn start(state_dir: &Path, args: &[&str], env: &[(&str, &str)], rows: u16, cols: u16) -> Wizard {
    Wizard::start_sized(
        Path::new(env!("CARGO_BIN_EXE_ekm-wizard")),
        state_dir,
        args,
        env,
        (rows, cols),
    )
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
    let mut wizard = start(
        state.path(),
        &["--fresh", "--api-base", &base],
        &[("OPENAI_ADMIN_KEY", CANARY)],
        24,
        80,
    );
    wizard.wait_for_words("F5 keys");
    // From the start screen.
    wizard.press("\x1b[15~");
    wizard.wait_for_words("extkey_used");
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
    let raw = wizard.raw();
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
    wizard.wait_for_words("extkey_free is invalid");
    wizard.wait_for_words("x explains it");
    let screen = wizard.contents();
    assert!(screen.contains("✗ invalid"), "{screen}");

    // Delete the used key: refused, before any request, naming its project and the command.
    wizard.press(DOWN);
    wizard.press(DOWN);
    wizard.press("d");
    wizard.wait_for_words("Not deleted: extkey_used is in use by project proj_live");
    wizard.wait_for_words("ekm-wizard keys retire extkey_used");
    assert_eq!(deletes(&fake), 0);

    // A free key: asked first; any key but y keeps it.
    wizard.press(UP);
    wizard.press("d");
    wizard.wait_for_words("y delete the key");
    wizard.press("n");
    wizard.wait_for_words("Nothing was deleted.");
    assert_eq!(deletes(&fake), 0);
    wizard.press("d");
    wizard.wait_for_words("y delete the key");
    wizard.press("y");
    wizard.wait_for_words("Deleted the registration of extkey_hostile.");
    assert_eq!(
        fake.count("DELETE", "/v1/organization/external_keys/extkey_hostile"),
        1
    );
    assert_eq!(deletes(&fake), 1);

    wizard.press(ESC);
    wizard.wait_for_words("F5 keys");
    wizard.press(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
    let raw = wizard.raw();
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
    let mut wizard = start(
        state.path(),
        &["--fresh", "--api-base", &base],
        &[],
        60,
        200,
    );
    wizard.wait_for_words("F5 keys");
    wizard.press("\x1b[15~");
    wizard.wait_for_words("start the wizard with OPENAI_ADMIN_KEY set");
    assert!(fake.seen().is_empty(), "{:?}", fake.seen().len());
    wizard.press(CTRL_Q);
    assert_eq!(wizard.exit_code(), 0);
}
