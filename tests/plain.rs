//! `ekm-wizard --plain`, the real binary in a pseudo-terminal, walked as a screen-reader user
//! would: a question, a line typed, Enter. The transcript is read as a screen reader gets it:
//! no escape sequence but colour (and that only with --color), every block whole and as
//! `render` prints it, no secret anywhere.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};

mod support;

const CANARY: &str = "sk-admin-CANARYplain0123456789abcdef";
const CTRL_K: &str = "\x0b";

struct Plain {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    raw: Arc<Mutex<Vec<u8>>>,
    drained: Arc<std::sync::atomic::AtomicBool>,
    /// Where in the transcript the next wait starts looking.
    mark: usize,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Plain {
    fn start(state_dir: &Path, args: &[&str], env: &[(&str, String)]) -> Plain {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 24,
                cols: 80,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_ekm-wizard"));
        command.args(args);
        command.env("EKM_WIZARD_STATE_DIR", state_dir);
        command.env("EKM_WIZARD_CLIPBOARD", "file");
        command.env("TERM", "xterm-256color");
        for name in [
            "OPENAI_ADMIN_KEY",
            "OPENAI_BASE_URL",
            "EKM_WIZARD_PLAIN",
            "ACCESSIBLE",
            "NO_COLOR",
        ] {
            command.env_remove(name);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let child = pair.slave.spawn_command(command).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let raw = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&raw);
        let drained = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = Arc::clone(&drained);
        std::thread::spawn(move || {
            let mut buffer = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let writer = pair.master.take_writer().unwrap();
        Plain {
            child,
            writer,
            raw,
            drained,
            mark: 0,
            _master: pair.master,
        }
    }

    /// The transcript as text, line ends as the program wrote them.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.raw.lock().unwrap()).replace("\r\n", "\n")
    }

    /// Waits for `needle` after the last thing waited for.
    fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let text = self.text();
            if let Some(at) = text.get(self.mark..).and_then(|rest| rest.find(needle)) {
                self.mark += at + needle.len();
                return;
            }
            // Prose breaks between words at the terminal's width (and each piece is coloured
            // on its own): read it as a person does, line breaks as spaces, colours unseen.
            if let Some(end) = text
                .get(self.mark..)
                .and_then(|rest| find_read(rest, needle))
            {
                self.mark += end;
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "`{needle}` never appeared after what was seen; the transcript ends:\n{}",
            tail(&self.text())
        );
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits for a question, then answers it with a line.
    fn answer(&mut self, question: &str, line: &str) {
        self.wait_for(question);
        self.send(&format!("{line}\r"));
    }

    fn exit_code(&mut self) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                let drain = Instant::now() + Duration::from_secs(5);
                while !self.drained.load(std::sync::atomic::Ordering::SeqCst)
                    && Instant::now() < drain
                {
                    std::thread::sleep(Duration::from_millis(10));
                }
                return status.exit_code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the wizard did not exit; it ends:\n{}", tail(&self.text()));
    }
}

/// Where `needle` ends in `text` read as words: colour codes dropped, a line break read as the
/// space it stands for. The end is an index into `text`.
fn find_read(text: &str, needle: &str) -> Option<usize> {
    let mut read = String::new();
    let mut ends = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\x1b' && chars.peek().map(|(_, n)| *n) == Some('[') {
            for (_, n) in chars.by_ref() {
                if n.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        let c = if c == '\n' { ' ' } else { c };
        read.push(c);
        ends.extend(std::iter::repeat_n(at + c.len_utf8(), c.len_utf8()));
    }
    let needle = needle.replace('\n', " ");
    let found = read.find(&needle)?;
    ends.get(found + needle.len() - 1).copied()
}

fn tail(text: &str) -> String {
    let start = text.len().saturating_sub(3000);
    let start = (start..text.len())
        .find(|i| text.is_char_boundary(*i))
        .unwrap_or(0);
    text[start..].to_string()
}

/// Every escape sequence in the transcript, as `ESC` and the bytes that end it.
fn escapes(raw: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] != 0x1b {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        match raw.get(i) {
            Some(b'[') => {
                i += 1;
                while i < raw.len() && !(0x40..=0x7e).contains(&raw[i]) {
                    i += 1;
                }
            }
            Some(b']') => {
                while i < raw.len() && raw[i] != 0x07 && !(raw[i] == b'\\' && raw[i - 1] == 0x1b) {
                    i += 1;
                }
            }
            _ => {}
        }
        let end = (i + 1).min(raw.len());
        found.push(String::from_utf8_lossy(&raw[start..end]).replace('\x1b', "ESC"));
        i = end;
    }
    found
}

/// Nothing in the transcript moves the cursor or switches screens: the only sequences are
/// colour (SGR, and only when `color`), and the line editor's erasing of the empty line it
/// reads on (EL, which moves nothing).
fn assert_no_redraws(raw: &[u8], color: bool) {
    for sequence in escapes(raw) {
        let sgr = sequence.starts_with("ESC[") && sequence.ends_with('m');
        let erase_line = sequence == "ESC[K" || sequence == "ESC[0K";
        assert!(
            erase_line || (sgr && color),
            "the transcript holds {sequence:?} (colour {color})"
        );
    }
}

/// `render`'s blocks for these flags, as (header, body).
fn rendered(args: &[&str]) -> Vec<(String, String)> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ekm-wizard"))
        .arg("render")
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let mut blocks: Vec<(String, String)> = Vec::new();
    let mut open = false;
    for line in text.split_inclusive('\n') {
        if let Some(header) = line.strip_prefix("-- ") {
            blocks.push((header.trim_end().to_string(), String::new()));
            open = true;
        } else if line.starts_with("== ") {
            // A step's heading (and its notes) belong to no block.
            open = false;
        } else if open && let Some((_, body)) = blocks.last_mut() {
            body.push_str(line);
        }
    }
    blocks
        .into_iter()
        .map(|(header, body)| {
            // `render` follows each block with a line break of its own.
            let body = body.strip_suffix('\n').map(str::to_string).unwrap_or(body);
            (header, body)
        })
        .collect()
}

/// Every block `render` prints for these values appears in the transcript, whole, between
/// its header line and its end line, byte for byte.
fn assert_blocks_as_rendered(transcript: &str, render_args: &[&str]) {
    let blocks = rendered(render_args);
    assert!(!blocks.is_empty());
    for (header, body) in blocks {
        let shown = transcript
            .match_indices(&format!(": {header} ---\n"))
            .map(|(at, found)| {
                let rest = &transcript[at + found.len()..];
                let end = rest.find("--- End of block ").unwrap_or(rest.len());
                rest[..end].to_string()
            })
            .collect::<Vec<_>>();
        assert!(
            // Whole, byte for byte; the end line starts a line of its own.
            shown.iter().any(|printed| {
                *printed == body || (!body.ends_with('\n') && *printed == format!("{body}\n"))
            }),
            "block {header} is not printed as render prints it:\n{body}\n--- printed:\n{shown:#?}"
        );
    }
}

fn assert_no_secret(transcript: &str, state: &Path) {
    assert!(
        !transcript.contains("CANARY"),
        "the admin key reached the terminal"
    );
    let saved = std::fs::read_to_string(state.join("session.json")).unwrap();
    assert!(!saved.contains("CANARY"), "{saved}");
}

#[test]
fn the_aws_walk_in_plain_lines_from_the_start_to_a_registration() {
    use support::aws_world::{ORG, admin};
    let moto = support::moto::Moto::start();
    let setup = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (key, role) = setup.block_on(async { admin(&moto).await.good_setup().await });
    let openai = support::fake_openai::FakeOpenAi::start(CANARY);
    let state = tempfile::tempdir().unwrap();
    let mut env = moto.env();
    env.push(("OPENAI_BASE_URL", openai.base()));
    let mut wizard = Plain::start(state.path(), &["--plain"], &env);
    wizard.answer("Cloud whose KMS holds the key", "1");
    wizard.answer("Path:", "");
    wizard.answer("OpenAI organization id, start, required", ORG);
    wizard.answer("Id OpenAI presents, start, optional", "");
    wizard.wait_for("Step 1 of 5: Create a symmetric KMS key");
    // A key id that is no UUID is refused, said, and given back to correct.
    wizard.answer(
        "KMS key ARN, step 1, required",
        "arn:aws:kms:us-east-1:123456789012:key/not-a-key",
    );
    wizard.wait_for("Refused: ");
    wizard.wait_for("cursor at its start");
    wizard.send(&format!("{CTRL_K}{key}\r"));
    wizard.answer("Step 1 of 5. Press Enter", "");
    wizard.answer("Policy name, step 2, optional", "");
    wizard.answer("Step 2 of 5. Press Enter", "");
    wizard.answer("Role ARN, step 3, required", &role);
    wizard.answer("Step 3 of 5. Press Enter", "check");
    wizard.wait_for("Passed: ");
    wizard.wait_for(" checks done)");
    // A pasted error, longer than the terminal is wide, read as the terminal gives it.
    wizard.answer("Step 3 of 5. Press Enter", "explain");
    wizard.answer("Paste the error text on one line", "An error occurred (AccessDeniedException) when calling the Decrypt operation: User: arn:aws:sts::790389265272:assumed-role/EnterpriseKeyManagement/openai is not authorized to perform: kms:Decrypt on this resource because the resource does not exist in this Region, no resource-based policies allow access, or a resource-based policy explicitly denies access");
    wizard.answer("to fix it? Type yes to go, or press Enter to stay", "");
    wizard.answer("Step 3 of 5. Press Enter", "");
    wizard.answer("Step 4 of 5. Press Enter", "");
    wizard.answer("Key name at OpenAI, step 5, optional", "");
    wizard.answer("Project to create, step 5, optional", "");
    wizard.answer("Step 5 of 5, the last", "register");
    wizard.answer("OpenAI admin key (typing is hidden", CANARY);
    wizard.answer("No key with these settings is registered yet", "yes");
    wizard.wait_for("Registered key: extkey_");
    wizard.answer("Step 5 of 5, the last", "quit");
    assert_eq!(wizard.exit_code(), 0);

    let transcript = wizard.text();
    let raw = wizard.raw.lock().unwrap().clone();
    assert_no_redraws(&raw, false);
    assert_no_secret(&transcript, state.path());
    assert!(transcript.contains(" of 8 checks done)") || transcript.contains(" checks done)"));
    assert_blocks_as_rendered(
        &transcript,
        &[
            "aws",
            "--org-id",
            ORG,
            "--kms-arn",
            &key,
            "--role-arn",
            &role,
        ],
    );
    let saved = std::fs::read_to_string(state.path().join("session.json")).unwrap();
    assert!(
        saved.contains(&role) && saved.contains("extkey_"),
        "{saved}"
    );
    assert_eq!(openai.count("POST", "/v1/organization/external_keys"), 1);
}

#[test]
fn the_google_cloud_walk_in_plain_lines_from_the_start_to_a_registration() {
    use support::google::{KMS_PROJECT, NUMBER, TOKEN, good_google};
    let google = good_google();
    let openai = support::fake_openai::FakeOpenAi::start(CANARY);
    let state = tempfile::tempdir().unwrap();
    let env = vec![
        ("EKM_GCP_API_URL", google.base()),
        ("EKM_GCP_ACCESS_TOKEN", TOKEN.to_string()),
        ("OPENAI_BASE_URL", openai.base()),
    ];
    let mut wizard = Plain::start(state.path(), &["--plain", "--color"], &env);
    wizard.answer("Cloud whose KMS holds the key", "2");
    wizard.answer("Path:", "");
    wizard.answer("OpenAI organization id, start, required", "org-abc123");
    wizard.answer("Id OpenAI presents, start, optional", "");
    wizard.wait_for("Step 1 of 7: Trust OpenAI's identity token");
    wizard.answer("Pool's project number, step 1, required", NUMBER);
    // Google keeps pool ids starting with gcp- for itself: refused, given back to correct.
    wizard.answer(
        "Workload identity pool id, step 1, required",
        "gcp-openai-ekm",
    );
    wizard.wait_for("Refused: ");
    wizard.wait_for("cursor at its start");
    wizard.send(&format!("{CTRL_K}openai-ekm\r"));
    wizard.answer("Provider id, step 1, required", "openai-ekm-provider");
    wizard.answer("Step 1 of 7. Press Enter", "");
    wizard.answer("Key's project id, step 2, required", KMS_PROJECT);
    wizard.answer("Step 2 of 7. Press Enter", "");
    wizard.answer("Key ring location, step 3, required", "us-east1");
    wizard.answer("Key ring name, step 3, required", "openai-kms-key-ring");
    wizard.answer("Key name, step 3, required", "openai-kms-key");
    wizard.answer("Step 3 of 7. Press Enter", "");
    wizard.answer("Custom role id, step 4, optional", "");
    wizard.answer("Step 4 of 7. Press Enter", "");
    wizard.answer("Step 5 of 7. Press Enter", "check");
    wizard.wait_for(" checks done)");
    wizard.answer("Step 5 of 7. Press Enter", "explain");
    wizard.answer(
        "Paste the error text on one line",
        "Permission 'cloudkms.cryptoKeyVersions.useToEncrypt' denied on resource 'projects/adjective-noun-12345/locations/us-east1/keyRings/openai-kms-key-ring/cryptoKeys/openai-kms-key' (or it may not exist).",
    );
    wizard.answer("to fix it? Type yes to go, or press Enter to stay", "");
    wizard.answer("Step 5 of 7. Press Enter", "");
    wizard.answer("Step 6 of 7. Press Enter", "");
    wizard.answer("Key name at OpenAI, step 7, optional", "");
    wizard.answer("Project to create, step 7, optional", "");
    wizard.answer("Step 7 of 7, the last", "register");
    wizard.answer("OpenAI admin key (typing is hidden", CANARY);
    wizard.answer("No key with these settings is registered yet", "yes");
    wizard.wait_for("Registered key: extkey_");
    wizard.answer("Step 7 of 7, the last", "quit");
    assert_eq!(wizard.exit_code(), 0);

    let transcript = wizard.text();
    let raw = wizard.raw.lock().unwrap().clone();
    // Asked for, colour is there, and it is all there is besides the editor's erase.
    assert!(
        raw.windows(4).any(|w| w == b"\x1b[1m"),
        "no colour with --color"
    );
    assert_no_redraws(&raw, true);
    assert_no_secret(&transcript, state.path());
    assert!(
        !transcript.contains("ya29."),
        "the Google token reached the terminal"
    );
    let mut flags = vec!["gcp"];
    flags.extend(support::google::FLAGS);
    // The audience is the organization by default, as the walk left it.
    flags.truncate(flags.len() - 2);
    assert_blocks_as_rendered(&strip_colour(&transcript), &flags);
    assert_eq!(openai.count("POST", "/v1/organization/external_keys"), 1);
}

#[test]
fn the_azure_walk_in_plain_lines_from_the_start_to_a_registration() {
    use support::azure::{KEY_NAME, SUBSCRIPTION, TENANT, good_azure, token_for};
    let azure = good_azure();
    let openai = support::fake_openai::FakeOpenAi::start(CANARY);
    let state = tempfile::tempdir().unwrap();
    let env = vec![
        ("EKM_AZURE_API_URL", azure.base()),
        ("EKM_AZURE_ACCESS_TOKEN", token_for(TENANT)),
        ("OPENAI_BASE_URL", openai.base()),
    ];
    let mut wizard = Plain::start(state.path(), &["--plain"], &env);
    wizard.answer("Cloud whose KMS holds the key", "azure");
    wizard.answer("Path:", "");
    wizard.answer("OpenAI organization id, start, required", "org-abc123");
    wizard.wait_for("Step 1 of 6: Create a service principal for OpenAI");
    wizard.answer("Tenant id, step 1, required", TENANT);
    wizard.answer("Step 1 of 6. Press Enter", "");
    wizard.answer("Subscription id, step 2, required", SUBSCRIPTION);
    wizard.answer("Custom role name, step 2, optional", "");
    wizard.answer("Step 2 of 6. Press Enter", "");
    wizard.answer("Vault URI, step 3, required", "contoso-ekm");
    wizard.answer("Vault's resource group, step 3, required", "rg-ekm");
    // Another organization's prefix: refused, given back to correct.
    wizard.answer("Key name, step 3, required", "org-xyz--openai-ekm");
    wizard.wait_for("Refused: ");
    wizard.wait_for("cursor at its start");
    wizard.send(&format!("{CTRL_K}{KEY_NAME}\r"));
    wizard.answer("Step 3 of 6. Press Enter", "check");
    wizard.wait_for(" checks done)");
    wizard.answer("Step 3 of 6. Press Enter", "explain");
    wizard.answer(
        "Paste the error text on one line",
        "Operation returned an invalid status code 'Forbidden' Code: Forbidden Message: The user, group or application 'appid=20a14814-5ab7-4612-a671-1382b412bf93' does not have keys wrapKey permission on key vault 'contoso-ekm'. InnerError: { code: ForbiddenByRbac }",
    );
    wizard.answer("Type yes to go, or press Enter to stay", "");
    wizard.answer("Step 3 of 6. Press Enter", "");
    wizard.answer("Step 4 of 6. Press Enter", "");
    wizard.answer("Step 5 of 6. Press Enter", "");
    wizard.answer("Key name at OpenAI, step 6, optional", "");
    wizard.answer("Project to create, step 6, optional", "");
    wizard.answer("Step 6 of 6, the last", "register");
    wizard.answer("OpenAI admin key (typing is hidden", CANARY);
    wizard.answer("No key with these settings is registered yet", "yes");
    wizard.wait_for("Registered key: extkey_");
    wizard.answer("Step 6 of 6, the last", "quit");
    assert_eq!(wizard.exit_code(), 0);

    let transcript = wizard.text();
    let raw = wizard.raw.lock().unwrap().clone();
    assert_no_redraws(&raw, false);
    assert_no_secret(&transcript, state.path());
    let mut flags = vec!["azure"];
    flags.extend(support::azure::FLAGS);
    assert_blocks_as_rendered(&transcript, &flags);
    assert_eq!(openai.count("POST", "/v1/organization/external_keys"), 1);
}

/// The transcript without its colour, to compare the words.
fn strip_colour(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("\x1b[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let end = after.find('m').map(|i| i + 1).unwrap_or(after.len());
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The answers of a walk, step by step: (step, the values typed for its fields, in order).
const GCP_ANSWERS: &[&[&str]] = &[
    &["123456789012", "openai-ekm", "openai-ekm-provider"],
    &["adjective-noun-12345"],
    &["us-east1", "openai-kms-key-ring", "openai-kms-key"],
];

#[test]
fn the_plain_and_the_full_screen_wizard_record_the_same_values_and_blocks_for_the_same_answers() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ekm_wizard::app::keymap::message_for_key;
    use ekm_wizard::app::model::{Screen, StartOptions};
    use ekm_wizard::app::{Model, Msg, update};
    use ekm_wizard::guide::FieldId;
    use ekm_wizard::plain::answers;

    let cloud = ekm_wizard::clouds::gcp::cloud();
    let fresh = || {
        Model::new(StartOptions {
            width: 80,
            height: 24,
            ..Default::default()
        })
    };
    let apply = |model: &mut Model, msgs: Vec<Msg>| {
        for msg in msgs {
            update(model, msg);
        }
    };

    // The full-screen wizard: the keys a person presses.
    let mut keys = fresh();
    let press = |model: &mut Model, code: KeyCode| {
        let msg = message_for_key(model, KeyEvent::new(code, KeyModifiers::NONE));
        if let Some(msg) = msg {
            update(model, msg);
        }
    };
    let type_text = |model: &mut Model, text: &str| {
        for c in text.chars() {
            let msg = message_for_key(model, KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            if let Some(msg) = msg {
                update(model, msg);
            }
        }
    };
    press(&mut keys, KeyCode::Right); // the second cloud
    press(&mut keys, KeyCode::Tab);
    press(&mut keys, KeyCode::Tab);
    type_text(&mut keys, "org-abc123");
    press(&mut keys, KeyCode::PageDown);
    for (step, values) in GCP_ANSWERS.iter().enumerate() {
        assert_eq!(keys.screen, Screen::Step(step));
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                press(&mut keys, KeyCode::Tab);
            }
            type_text(&mut keys, value);
        }
        press(&mut keys, KeyCode::PageDown);
    }

    // The plain wizard: the messages it sends for the same answers, typed as lines.
    let mut lines = fresh();
    let msgs = answers::choose_cloud(&lines, cloud);
    apply(&mut lines, msgs);
    let msgs = answers::set_field(&lines, FieldId::ORG_ID, "org-abc123");
    apply(&mut lines, msgs);
    apply(&mut lines, vec![Msg::NextStep]);
    for (step, values) in GCP_ANSWERS.iter().enumerate() {
        assert_eq!(lines.screen, Screen::Step(step));
        let (_, guide_step) = lines.current_step().unwrap();
        let fields = guide_step.fields_for(lines.path, &lines.inputs());
        for (field, value) in fields.iter().zip(values.iter()) {
            let msgs = answers::set_field(&lines, *field, value);
            apply(&mut lines, msgs);
        }
        apply(&mut lines, vec![Msg::NextStep]);
    }

    assert_eq!(keys.cloud, cloud);
    assert_eq!(lines.cloud, cloud);
    assert_eq!(keys.screen, lines.screen);
    let recorded = |model: &Model| -> Vec<(FieldId, String)> {
        model
            .inputs()
            .typed()
            .map(|(field, value)| (field, value.to_string()))
            .collect()
    };
    assert_eq!(recorded(&keys), recorded(&lines));
    assert!(recorded(&lines).len() >= 8, "{:?}", recorded(&lines));
    assert_eq!(keys.session(), lines.session());
    // Every block of every step, generated from each model, is the same text.
    let mut compared = 0;
    for step in &cloud.guide().steps {
        for artifact in step.artifacts_for(lines.path) {
            let from = |model: &Model| {
                ekm_wizard::artifacts::generate(cloud, artifact, &model.inputs(), model.path)
                    .map(|body| body.to_text())
                    .map_err(|missing| format!("{missing:?}"))
            };
            assert_eq!(from(&keys), from(&lines), "{artifact:?}");
            compared += 1;
        }
    }
    assert!(compared > 5);
}

#[test]
fn keys_in_plain_lines_lists_the_ekm_keys_and_validate_n_explains_a_refusal() {
    use serde_json::{Value, json};
    let openai = support::fake_openai::FakeOpenAi::start(CANARY);
    {
        let mut state = openai.state.lock().unwrap();
        let key = |id: &str, name: &str, purpose: &str, projects: &[&str]| {
            json!({
                "id": id, "object": "organization.external_key", "created_at": 1_760_000_000,
                "api_project_ids": projects, "purpose": purpose, "type": "unknown-kms",
                "name": name,
            })
        };
        state.keys.push(key("extkey_one", "first", "ekm", &[]));
        state
            .keys
            .push(key("extkey_psp", "safety-only", "psp_decryption", &[]));
        state.keys.push(key(
            "extkey_two",
            "evil\u{1b}]52;c;ZXZpbA==\u{7}",
            "ekm",
            &["proj_live"],
        ));
        state.page_size = 1;
        state.validate_by = Some(std::sync::Arc::new(|key: &Value| {
            if key["id"] == "extkey_two" {
                (
                    400,
                    json!({"error": {"message": "User: arn:aws:sts::111122223333:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "type": "invalid_request_error", "param": null, "code": null}}),
                )
            } else {
                (200, json!({"status": "success"}))
            }
        }));
    }
    let state = tempfile::tempdir().unwrap();
    let env = [
        ("OPENAI_BASE_URL", openai.base()),
        ("OPENAI_ADMIN_KEY", CANARY.to_string()),
    ];
    let mut wizard = Plain::start(state.path(), &["--plain", "--fresh"], &env);
    wizard.answer("Cloud whose KMS holds the key", "keys");
    wizard.wait_for("1. extkey_one \"first\"");
    wizard.wait_for("used by nothing");
    wizard.wait_for("2. extkey_two \"evil\\x1b]52;");
    wizard.wait_for("used by project proj_live");
    wizard.answer("Cloud whose KMS holds the key", "validate 2");
    wizard.wait_for("extkey_two: invalid: ");
    wizard.wait_for("kms:Decrypt");
    wizard.answer("Cloud whose KMS holds the key", "validate 1");
    wizard.wait_for("extkey_one: valid: OpenAI can use the key now.");
    wizard.answer("Cloud whose KMS holds the key", "validate 7");
    wizard.wait_for("There are keys 1 to 2");
    wizard.answer("Cloud whose KMS holds the key", "quit");
    assert_eq!(wizard.exit_code(), 0);

    let transcript = wizard.text();
    assert!(!transcript.contains("extkey_psp"), "{}", tail(&transcript));
    assert!(
        !transcript.contains("\u{1b}]52"),
        "an escape reached the terminal"
    );
    assert_no_secret(&transcript, state.path());
    assert_eq!(
        openai.count("POST", "/v1/organization/external_keys/extkey_two/validate"),
        1
    );
    assert_eq!(
        openai.count("POST", "/v1/organization/external_keys/extkey_one/validate"),
        1
    );
}
