//! A made-up fourth cloud, "Tundra Vault": two steps, one field of its own, two checks against
//! a local stand-in, a troubleshooting entry. It is written only for tests: `fourth_cloud.rs`
//! drives it through the wizard's update and the one check runner, and the `tundra` example
//! adds it to the registry of the real command line, so the start screen, `render`, `check`,
//! saving, resuming and `explain` are proved to know a cloud only through its kit.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ekm_wizard::checks::{
    CannotCheck, CheckOptions, CheckSession, CheckSpec, CheckTarget, Finding, Need,
};
use ekm_wizard::guide::kit::RenderEntry;
use ekm_wizard::guide::{
    ArtifactBody, ArtifactId, CheckId, Cloud, CloudKit, FieldError, FieldId, FieldSpec, Guide,
    GuideNames, Handover, Inputs, Missing, SetupPath, StepId, parse_guide,
};
use serde_json::json;

pub const KEY_URL: FieldId = FieldId::new("key_url");
pub const MAKE_KEY: StepId = StepId::new("make-key");
pub const AFTER: StepId = StepId::new("after");
pub const MAKE_KEY_COMMAND: ArtifactId = ArtifactId::new("make_key_command");
pub const KEY_FOUND: CheckId = CheckId::new("key-found");
pub const KEY_USABLE: CheckId = CheckId::new("key-usable");

pub const GUIDE: &str = r#"
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

pub static FIELDS: [FieldSpec; 1] = [FieldSpec {
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

pub static PLAN: [CheckSpec; 2] = [
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

pub struct Tundra;

pub static TUNDRA: Tundra = Tundra;

pub fn tundra() -> Cloud {
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
        path: SetupPath,
        _whole: bool,
    ) -> Result<Arc<dyn CheckTarget>, Vec<FieldError>> {
        let url = inputs.validated(KEY_URL).map_err(|e| vec![e])?;
        Ok(Arc::new(TundraTarget { url, path }))
    }

    fn troubleshooting(&self) -> &'static str {
        TROUBLESHOOTING
    }
}

/// What Tundra's errors mean: one entry, sending to the step that makes the key.
pub const TROUBLESHOOTING: &str = r#"
[[entries]]
id = "tundra-key-frozen"
title = "The Tundra key is frozen"
meaning = "Tundra Vault froze the key, so nothing may encrypt or decrypt with it."
fixes = ["Thaw the key in Tundra Vault, then check again."]
step = "make-key"
may_be_propagation = false
patterns = ['tundra: key (?P<key_url>\S+) is frozen']
"#;

#[derive(Debug)]
pub struct TundraTarget {
    url: String,
    path: SetupPath,
}

pub struct TundraSession<'a> {
    target: &'a TundraTarget,
    http: reqwest::Client,
    /// What the key check read, for the usage check.
    key: OnceLock<serde_json::Value>,
}

#[async_trait::async_trait]
impl CheckTarget for TundraTarget {
    /// On the ChatGPT path OpenAI's contact checks the key's usage: the wizard leaves it out.
    fn leaves_out(&self, check: CheckId) -> Option<String> {
        (check == KEY_USABLE && self.path == SetupPath::ChatGpt)
            .then(|| "on the ChatGPT path, OpenAI's contact checks the key's usage".to_string())
    }

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
pub fn stand_in() -> String {
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
