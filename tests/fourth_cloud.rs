//! A made-up fourth cloud, "Tundra Vault", written only here: two steps, one field of its own,
//! two checks against a local stand-in. It is driven through the wizard's update and the one
//! check runner end to end, which proves that a cloud is a kit and nothing else: no generic
//! code knows it exists.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ekm_wizard::app::model::{Focusable, Model, Screen, StartOptions, StatusKind};
use ekm_wizard::app::{Effect, Msg, Preset, update};
use ekm_wizard::checks::{
    CannotCheck, CheckOptions, CheckResult, CheckSession, CheckSpec, CheckStatus, CheckTarget,
    Finding, Need, Verdict,
};
use ekm_wizard::guide::kit::RenderEntry;
use ekm_wizard::guide::{
    ArtifactBody, ArtifactId, CheckId, Cloud, CloudKit, FieldError, FieldId, FieldSpec, Guide,
    GuideNames, Handover, Inputs, Missing, SetupPath, StepId, parse_guide,
};
use ratatui_textarea::{Input, Key};
use serde_json::json;

const KEY_URL: FieldId = FieldId::new("key_url");
const MAKE_KEY: StepId = StepId::new("make-key");
const AFTER: StepId = StepId::new("after");
const MAKE_KEY_COMMAND: ArtifactId = ArtifactId::new("make_key_command");
const KEY_FOUND: CheckId = CheckId::new("key-found");
const KEY_USABLE: CheckId = CheckId::new("key-usable");

const GUIDE: &str = r#"
cloud = "tundra"
title = "Tundra Vault"

[[steps]]
id = "make-key"
title = "Make a key in Tundra Vault"
short = "Key"

[[steps.paragraphs]]
text = "Make a key that may encrypt and decrypt, then record its address."

[[steps.fields]]
id = "key_url"

[[steps.artifacts]]
id = "make_key_command"

[[steps]]
id = "after"
title = "Register the key"
short = "Register"

[[steps.fields]]
id = "name"

[[steps.artifacts]]
id = "registration_body"
only = "api"

[[steps.artifacts]]
id = "enterprise_details"
only = "chatgpt"

[fields.key_url]
label = "Key address"
hint = "The key's address, as Tundra Vault shows it."

[fields.name]
label = "Key name at OpenAI"
hint = "Any name."

[artifacts.make_key_command]
title = "Make the key"
hint = "Run it where Tundra's tool is signed in."

[artifacts.registration_body]
title = "Registration body"
hint = "What OpenAI is sent."

[artifacts.enterprise_details]
title = "Details for your OpenAI contact"
hint = "Send them."
"#;

static FIELDS: [FieldSpec; 1] = [FieldSpec {
    id: KEY_URL,
    expected: "http://127.0.0.1:<port>/keys/<name>",
    flag_help: "The key's address.",
    keeps_spaces: false,
    clean: None,
    default: None,
    default_follows: None,
    validate: |raw, _| {
        let value = raw.trim();
        if value.starts_with("http://127.0.0.1:") && value.contains("/keys/") {
            Ok(value.to_string())
        } else {
            Err(FieldError::new(
                KEY_URL,
                format!("`{value}` is not a key address"),
            ))
        }
    },
    relevant: None,
    implies: None,
}];

static PLAN: [CheckSpec; 2] = [
    CheckSpec {
        id: KEY_FOUND,
        title: "Key exists",
        proves: "the key is at the recorded address",
        fix_step: MAKE_KEY,
        needs_fields: &[KEY_URL],
        needs_checks: &[],
        calls: 1,
    },
    CheckSpec {
        id: KEY_USABLE,
        title: "Key may encrypt and decrypt",
        proves: "the key is enabled for both",
        fix_step: MAKE_KEY,
        needs_fields: &[KEY_URL],
        needs_checks: &[Need::after(KEY_FOUND, "the key")],
        calls: 1,
    },
];

struct Tundra;

static TUNDRA: Tundra = Tundra;

fn tundra() -> Cloud {
    Cloud::of(&TUNDRA)
}

impl CloudKit for Tundra {
    fn key(&self) -> &'static str {
        "tundra"
    }

    fn display_name(&self) -> &'static str {
        "Tundra Vault"
    }

    fn guide(&self) -> &'static Guide {
        static PARSED: OnceLock<Guide> = OnceLock::new();
        PARSED.get_or_init(|| {
            parse_guide(
                GUIDE,
                &GuideNames {
                    cloud: "tundra",
                    fields: &[KEY_URL],
                    artifacts: &[MAKE_KEY_COMMAND],
                    steps: &[MAKE_KEY, AFTER],
                },
            )
        })
    }

    fn fields(&self) -> &'static [FieldSpec] {
        &FIELDS
    }

    fn default_key_name(&self) -> &'static str {
        "Tundra EKM key"
    }

    fn steps(&self) -> &'static [StepId] {
        &[MAKE_KEY, AFTER]
    }

    fn artifacts(&self) -> &'static [ArtifactId] {
        &[MAKE_KEY_COMMAND]
    }

    fn generate(
        &self,
        _artifact: ArtifactId,
        _inputs: &Inputs,
        _path: SetupPath,
    ) -> Result<ArtifactBody, Missing> {
        Ok(ArtifactBody::Text(
            "tundra keys make --usage encrypt,decrypt".into(),
        ))
    }

    fn handover(&self, inputs: &Inputs, _path: SetupPath) -> Result<Handover, Missing> {
        let url = inputs.validated(KEY_URL).map_err(|e| vec![e])?;
        let name = inputs.validated(FieldId::NAME).map_err(|e| vec![e])?;
        Ok(Handover {
            details: json!({ "key_url": url }),
            body: json!({ "type": "tundra", "name": name, "key_url": url }),
        })
    }

    fn render_layout(&self) -> (&'static [RenderEntry], &'static [RenderEntry]) {
        (&[], &[("make_key", MAKE_KEY_COMMAND)])
    }

    fn check_plan(&self) -> &'static [CheckSpec] {
        &PLAN
    }

    fn check_target(
        &self,
        inputs: &Inputs,
        _path: SetupPath,
        _whole: bool,
    ) -> Result<Arc<dyn CheckTarget>, Vec<FieldError>> {
        let url = inputs.validated(KEY_URL).map_err(|e| vec![e])?;
        Ok(Arc::new(TundraTarget { url }))
    }
}

#[derive(Debug)]
struct TundraTarget {
    url: String,
}

struct TundraSession<'a> {
    target: &'a TundraTarget,
    http: reqwest::Client,
    /// What the key check read, for the usage check.
    key: OnceLock<serde_json::Value>,
}

#[async_trait::async_trait]
impl CheckTarget for TundraTarget {
    async fn connect(
        &self,
        _options: &CheckOptions,
    ) -> Result<Box<dyn CheckSession + '_>, CannotCheck> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| CannotCheck(e.to_string()))?;
        Ok(Box::new(TundraSession {
            target: self,
            http,
            key: OnceLock::new(),
        }))
    }
}

#[async_trait::async_trait]
impl CheckSession for TundraSession<'_> {
    async fn perform(&self, check: CheckId, _timeout: Duration) -> Finding {
        match check {
            KEY_FOUND => match self.http.get(&self.target.url).send().await {
                Ok(answer) if answer.status() == 404 => {
                    Finding::fail("no key at that address: make it, or fix the address")
                }
                Ok(answer) if answer.status().is_success() => match answer.json().await {
                    Ok(key) => {
                        let _ = self.key.set(key);
                        Finding::pass("the key is there")
                    }
                    Err(_) => Finding::unverified("could not check: an answer that is not JSON"),
                },
                Ok(answer) => Finding::unverified(format!(
                    "could not check: Tundra answered HTTP {}",
                    answer.status().as_u16()
                )),
                Err(_) => Finding::unverified("could not check: Tundra did not answer"),
            },
            KEY_USABLE => {
                let Some(key) = self.key.get() else {
                    return Finding::unverified("could not check: the key was not read");
                };
                if key["enabled"] == json!(true) {
                    Finding::pass("enabled for encrypt and decrypt")
                } else {
                    Finding::fail("the key is disabled: enable it")
                }
            }
            other => Finding::unverified(format!("{other} is not a Tundra check")),
        }
    }
}

/// A stand-in for Tundra Vault on loopback: `/keys/on` is an enabled key, `/keys/off` a
/// disabled one, anything else is not found. Returns its base address.
fn stand_in() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let path = request_line.split(' ').nth(1).unwrap_or("/").to_string();
            let (status, body) = match path.as_str() {
                "/keys/on" => ("200 OK", r#"{"enabled":true}"#),
                "/keys/off" => ("200 OK", r#"{"enabled":false}"#),
                _ => ("404 Not Found", r#"{"error":"no such key"}"#),
            };
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

fn type_text(model: &mut Model, text: &str) {
    for c in text.chars() {
        update(
            model,
            Msg::EditField(Input {
                key: Key::Char(c),
                ..Default::default()
            }),
        );
    }
}

fn focus(model: &mut Model, item: Focusable) {
    for _ in 0..20 {
        if model.focused() == Some(item) {
            return;
        }
        update(model, Msg::FocusNext);
    }
    panic!("{item:?} never took focus");
}

/// The wizard on Tundra's first step, as `--cloud tundra --org-id …` would start it.
fn on_tundra() -> Model {
    let model = Model::new(StartOptions {
        args: Preset {
            cloud: Some(tundra()),
            org_id: Some("org-abc123".into()),
            ..Default::default()
        },
        width: 80,
        height: 24,
        ..Default::default()
    });
    assert_eq!(model.screen, Screen::Step(0), "{:?}", model.status);
    model
}

/// `k` in the wizard, the run performed as the runtime performs it, every result fed back.
fn check(model: &mut Model) -> Vec<CheckResult> {
    let effects = update(model, Msg::RunChecks);
    let [
        Effect::RunChecks {
            generation,
            cloud,
            inputs,
            target,
        },
    ] = &effects[..]
    else {
        panic!("{effects:?}: {:?}", model.status)
    };
    assert_eq!(*cloud, tundra());
    let reported = Mutex::new(Vec::new());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = CheckOptions {
        timeout: Duration::from_secs(5),
        profile: None,
    };
    let outcome = runtime.block_on(ekm_wizard::checks::run(
        *cloud,
        inputs,
        target.0.as_ref(),
        &options,
        &|result| reported.lock().unwrap().push(result.clone()),
    ));
    let results = outcome.expect("the stand-in needs no credentials");
    for result in reported.into_inner().unwrap() {
        update(
            model,
            Msg::CheckReported {
                generation: *generation,
                result,
            },
        );
    }
    update(
        model,
        Msg::ChecksFinished {
            generation: *generation,
            outcome: Ok(()),
        },
    );
    results
}

fn record_key(model: &mut Model, url: &str) {
    focus(model, Focusable::Field(KEY_URL));
    type_text(model, url);
}

#[test]
fn a_fourth_cloud_is_walked_checked_and_verified_through_its_kit_alone() {
    let base = stand_in();
    let mut model = on_tundra();
    assert_eq!(model.guide().steps.len(), 2);
    // Its one field waits for a value: the checks cannot start without it.
    assert!(update(&mut model, Msg::RunChecks).is_empty());
    let said = &model.status.as_ref().unwrap().text;
    assert!(said.contains("Key address"), "named by its label: {said}");
    record_key(&mut model, &format!("{base}/keys/on"));
    let results = check(&mut model);
    assert_eq!(
        results.iter().map(|r| (r.id, r.status)).collect::<Vec<_>>(),
        [
            (KEY_FOUND, CheckStatus::Pass),
            (KEY_USABLE, CheckStatus::Pass)
        ]
    );
    assert_eq!(Verdict::of(&results), Verdict::Verified);
    assert_eq!(
        model.checks.results, results,
        "the screen holds every result"
    );
    let status = model.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Success, "{}", status.text);
    assert!(status.text.starts_with("Verified"), "{}", status.text);
    // On to the second step, whose registration body the kit hands over.
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(1), "{:?}", model.status);
    let body = ekm_wizard::artifacts::generate(
        tundra(),
        ArtifactId::REGISTRATION_BODY,
        &model.inputs(),
        SetupPath::Api,
    )
    .unwrap();
    assert!(
        body.to_text().contains("\"type\": \"tundra\""),
        "{}",
        body.to_text()
    );
    assert!(
        body.to_text().contains("Tundra EKM key"),
        "the kit's default name"
    );
}

#[test]
fn a_failed_check_skips_what_needs_it_and_f_goes_to_the_step_that_fixes_it() {
    let base = stand_in();
    let mut model = on_tundra();
    record_key(&mut model, &format!("{base}/keys/missing"));
    update(&mut model, Msg::NextStep);
    assert_eq!(model.screen, Screen::Step(1));
    let results = check(&mut model);
    assert_eq!(results[0].status, CheckStatus::Fail);
    assert_eq!(results[1].status, CheckStatus::Skip);
    assert_eq!(results[1].detail, "needs the key, which failed");
    assert_eq!(Verdict::of(&results), Verdict::Failed);
    update(&mut model, Msg::GoToStepToFix);
    assert_eq!(model.screen, Screen::Step(0), "the failed check's fix step");
    // A disabled key: found, but not usable.
    let mut model = on_tundra();
    record_key(&mut model, &format!("{base}/keys/off"));
    let results = check(&mut model);
    assert_eq!(
        results.iter().map(|r| r.status).collect::<Vec<_>>(),
        [CheckStatus::Pass, CheckStatus::Fail]
    );
}

#[test]
fn a_cloud_that_does_not_answer_is_not_verified() {
    // A port nothing listens on: bound, then closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut model = on_tundra();
    record_key(&mut model, &format!("http://127.0.0.1:{port}/keys/on"));
    let results = check(&mut model);
    assert_eq!(
        results.iter().map(|r| r.status).collect::<Vec<_>>(),
        [CheckStatus::Unverified, CheckStatus::Unverified]
    );
    assert_eq!(Verdict::of(&results), Verdict::NotVerified);
    let status = model.status.clone().unwrap();
    assert_ne!(status.kind, StatusKind::Success, "{}", status.text);
}

#[test]
fn a_kit_that_makes_nothing_and_offers_no_code_says_to_follow_the_steps() {
    let mut model = on_tundra();
    assert!(update(&mut model, Msg::OpenApply).is_empty());
    let status = model.status.clone().unwrap();
    assert_eq!(status.kind, StatusKind::Info);
    assert_eq!(
        status.text,
        "The wizard does not make Tundra Vault's resources itself yet: follow the steps."
    );
}
