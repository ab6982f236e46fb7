//! Troubleshooting: an error text (a registration refusal, a cloud error, anything a customer
//! pastes) becomes what it means, what to do, and the step to revisit. The knowledge lives in
//! each cloud's `src/clouds/<cloud>/troubleshooting.toml`; this module folds the text's
//! variations and matches it, trying the clouds in the registry's order. A host that could
//! not be reached is a fault on this machine's side (its network, proxy, DNS, firewall): it
//! is recognised first and never sent to a cloud's or OpenAI's entry.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize, Serializer};

use crate::guide::{Cloud, FieldId, Inputs, StepId};

/// One known error.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: String,
    /// The cloud whose file holds the entry.
    pub cloud: Cloud,
    pub title: String,
    pub meaning: String,
    /// What to do, in order.
    pub fixes: Vec<String>,
    /// The step to revisit in the cloud's guide; none for a fault on this machine's side
    /// (written as an empty string in JSON).
    #[serde(serialize_with = "step_key")]
    pub step: Option<StepId>,
    /// Whether the error can come from a change that has not propagated yet.
    pub may_be_propagation: bool,
    #[serde(skip_serializing)]
    pub patterns: Vec<String>,
    /// No cloud's setting is at fault and no step fixes it: the fault is on this machine's
    /// side (no service answered), or with OpenAI's admin key (`openai`).
    pub local: bool,
    /// The entry is OpenAI's (its admin key), not a cloud's.
    #[serde(skip_serializing)]
    pub openai: bool,
}

/// An entry's step in JSON: its key, or an empty string when it has none.
fn step_key<S: Serializer>(step: &Option<StepId>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(step.map(StepId::key).unwrap_or_default())
}

/// One entry as a `troubleshooting.toml` writes it: its step by key, resolved against the
/// cloud's guide when the file is read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryInFile {
    id: String,
    title: String,
    meaning: String,
    fixes: Vec<String>,
    step: String,
    may_be_propagation: bool,
    patterns: Vec<String>,
}

impl EntryInFile {
    /// The entry of `cloud`; a step its guide does not have fails the load.
    fn into_entry(self, cloud: Cloud) -> Entry {
        let Some(step) = cloud.step_by_key(&self.step) else {
            panic!(
                "the built-in troubleshooting entry {} of {} names step `{}`, not a step of its guide",
                self.id,
                cloud.key(),
                self.step
            );
        };
        Entry {
            id: self.id,
            cloud,
            title: self.title,
            meaning: self.meaning,
            fixes: self.fixes,
            step: Some(step),
            may_be_propagation: self.may_be_propagation,
            patterns: self.patterns,
            local: false,
            openai: false,
        }
    }
}

impl Entry {
    /// Whose entry it is, for its heading: the cloud's name, or "This machine".
    pub fn origin(&self) -> &'static str {
        if self.openai {
            "OpenAI"
        } else if self.local {
            "This machine"
        } else {
            self.cloud.display_name()
        }
    }

    /// The step to revisit: its position (0-based) and title in the cloud's guide.
    pub fn step_position(&self) -> Option<(usize, &'static str)> {
        let step = self.step?;
        let guide = self.cloud.guide();
        guide
            .steps
            .iter()
            .position(|s| s.id == step)
            .map(|i| (i, guide.steps[i].title.as_str()))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Extractor {
    pattern: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KnowledgeFile {
    /// The named groups that hold a recorded field's value, and that field's key.
    #[serde(default)]
    parts: BTreeMap<String, String>,
    #[serde(default)]
    extractors: Vec<Extractor>,
    #[serde(default)]
    entries: Vec<EntryInFile>,
}

/// The troubleshooting knowledge, compiled.
pub struct Knowledge {
    entries: Vec<(Entry, Vec<Regex>)>,
    extractors: Vec<(Cloud, Regex)>,
    parts: Vec<(Cloud, BTreeMap<String, String>)>,
}

fn compile(pattern: &str, owner: &str) -> Regex {
    match RegexBuilder::new(pattern).case_insensitive(true).build() {
        Ok(regex) => regex,
        Err(err) => panic!("the built-in troubleshooting pattern of {owner} is malformed: {err}"),
    }
}

/// The knowledge shipped in each kit's `troubleshooting.toml`, parsed and compiled once.
pub fn knowledge() -> &'static Knowledge {
    static KNOWLEDGE: OnceLock<Knowledge> = OnceLock::new();
    KNOWLEDGE.get_or_init(|| {
        let mut knowledge = Knowledge {
            entries: Vec::new(),
            extractors: Vec::new(),
            parts: Vec::new(),
        };
        for cloud in crate::clouds::all() {
            let file: KnowledgeFile = match toml::from_str(cloud.kit().troubleshooting()) {
                Ok(file) => file,
                Err(err) => panic!(
                    "the built-in troubleshooting.toml of {} is malformed: {err}",
                    cloud.key()
                ),
            };
            knowledge
                .entries
                .extend(file.entries.into_iter().map(|entry| {
                    let entry = entry.into_entry(cloud);
                    let regexes = entry
                        .patterns
                        .iter()
                        .map(|p| compile(p, &entry.id))
                        .collect();
                    (entry, regexes)
                }));
            knowledge.extractors.extend(
                file.extractors
                    .into_iter()
                    .map(|e| (cloud, compile(&e.pattern, "an extractor"))),
            );
            knowledge.parts.push((cloud, file.parts));
        }
        knowledge
    })
}

impl Knowledge {
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|(entry, _)| entry)
    }
}

/// A matched error: the entry, and the variable parts found in the text.
#[derive(Debug, Clone)]
pub struct Explanation {
    pub entry: &'static Entry,
    pub extracted: BTreeMap<String, String>,
}

/// Folds the ways an error reaches the admin into one form: escaped quotes and escaped line
/// breaks (JSON, Python reprs, logs) become plain, and every run of white space one space.
pub fn normalize(text: &str) -> String {
    let unescaped = text
        .replace("\\r\\n", " ")
        .replace("\\n", " ")
        .replace("\\r", " ")
        .replace("\\t", " ")
        .replace("\\\\\"", "\"")
        .replace("\\\"", "\"")
        .replace("\\'", "'");
    unescaped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The entry for a host that could not be reached: no service answered, so no cloud's or
/// OpenAI's setting is at fault.
fn unreachable_entry() -> &'static Entry {
    static ENTRY: OnceLock<Entry> = OnceLock::new();
    ENTRY.get_or_init(|| Entry {
        id: "local-network".into(),
        cloud: crate::clouds::first(),
        title: "A host could not be reached from this machine".into(),
        meaning: "The request never got an answer: the connection failed on the way (the name \
            lookup, the connection, TLS or a proxy), before the cloud or OpenAI could say yes or no. \
            Nothing in the setup is proved wrong; the network between this machine and the host is \
            where to look."
            .into(),
        fixes: vec![
            "Check this machine reaches the host named: `curl -sv https://HOST/ -o /dev/null` shows where it stops.".into(),
            "A name lookup failure: check the host name (an endpoint override in the environment or --api-base points elsewhere?) and this machine's DNS or VPN.".into(),
            "Connection refused or timed out: a firewall, VPN or security group may block the host or port; ask your network team to allow it.".into(),
            "Behind a proxy: set HTTPS_PROXY (and NO_PROXY for hosts that must not use it); a proxy that inspects TLS needs its certificate trusted by this machine.".into(),
            "Then run the same command again.".into(),
        ],
        step: None,
        may_be_propagation: false,
        patterns: Vec::new(),
        local: true,
        openai: false,
    })
}

/// What OpenAI's Management API says when it does not accept the admin key (its 401 body,
/// `register`'s sentence for it), folded as `normalize` folds a text.
const ADMIN_KEY_REFUSED: [&str; 4] = [
    r"OpenAI did not accept the admin key",
    r"Incorrect API key provided",
    r#""code": ?"invalid_api_key""#,
    r"You didn't provide an API key",
];

/// OpenAI's entry for an admin key it did not accept (401): the same words `register` says,
/// no cloud and no step.
fn admin_key_entry() -> &'static (Entry, Vec<Regex>) {
    static ENTRY: OnceLock<(Entry, Vec<Regex>)> = OnceLock::new();
    ENTRY.get_or_init(|| {
        let entry = Entry {
            id: "openai-admin-key-refused".into(),
            cloud: crate::clouds::first(),
            title: "OpenAI did not accept the admin key (401)".into(),
            meaning: "OpenAI's Management API refused the key the request was signed with: it \
                is not an admin key, belongs to another organization, was revoked, or was cut \
                short when pasted. Nothing about the cloud key or its setup is at fault."
                .into(),
            fixes: vec![
                format!("{}{}.", crate::openai::client::ADMIN_KEY_FIX[..1].to_uppercase(), &crate::openai::client::ADMIN_KEY_FIX[1..]),
                "Make a new admin key in the OpenAI platform's organization settings (Admin keys) if you are unsure, and set it as OPENAI_ADMIN_KEY (or type it at the masked prompt).".into(),
                "Then run the same command again.".into(),
            ],
            step: None,
            may_be_propagation: false,
            patterns: ADMIN_KEY_REFUSED.iter().map(|p| p.to_string()).collect(),
            local: true,
            openai: true,
        };
        let regexes = ADMIN_KEY_REFUSED
            .iter()
            .map(|p| compile(p, &entry.id))
            .collect();
        (entry, regexes)
    })
}

/// Words that say a connection failed in a text pasted from another tool (an SDK, curl, a
/// log), beside the kind of failure.
const CONNECTION_WORDS: [&str; 8] = [
    "error sending request",
    "dispatch failure",
    "connect error",
    "could not connect",
    "failed to connect",
    "unable to connect",
    "could not reach",
    "unable to reach",
];

/// A host that could not be reached, in the wizard's own words or another tool's.
fn unreachable_in(folded: &str) -> Option<Explanation> {
    let mut extracted = BTreeMap::new();
    if let Some((host, kind)) = crate::net::reach_failure_in(folded) {
        extracted.insert("host".to_string(), host);
        extracted.insert("failure".to_string(), kind.words().to_string());
    } else {
        let lower = folded.to_ascii_lowercase();
        let kind = crate::net::Unreachable::in_text(folded)?;
        if !CONNECTION_WORDS.iter().any(|w| lower.contains(w)) {
            return None;
        }
        extracted.insert("failure".to_string(), kind.words().to_string());
    }
    Some(Explanation {
        entry: unreachable_entry(),
        extracted,
    })
}

/// Explains a text, if a known error is in it.
pub fn explain(text: &str) -> Option<Explanation> {
    let folded = normalize(text);
    // The wizard's own sentence is certain: nothing answered, whatever else the text holds.
    if crate::net::is_unreachable(&folded) {
        return unreachable_in(&folded);
    }
    let knowledge = knowledge();
    let Some((entry, regexes)) = knowledge
        .entries
        .iter()
        .find(|(_, regexes)| regexes.iter().any(|r| r.is_match(&folded)))
    else {
        let (entry, regexes) = admin_key_entry();
        if regexes.iter().any(|r| r.is_match(&folded)) {
            return Some(Explanation {
                entry,
                extracted: BTreeMap::new(),
            });
        }
        return unreachable_in(&folded);
    };
    let mut extracted = BTreeMap::new();
    let extractors = knowledge
        .extractors
        .iter()
        .filter(|(cloud, _)| *cloud == entry.cloud)
        .map(|(_, regex)| regex);
    for regex in regexes.iter().chain(extractors) {
        if let Some(captures) = regex.captures(&folded) {
            for name in regex.capture_names().flatten() {
                if let Some(value) = captures.name(name) {
                    extracted
                        .entry(name.to_string())
                        .or_insert_with(|| value.as_str().to_string());
                }
            }
        }
    }
    Some(Explanation { entry, extracted })
}

/// The explanation for people: title, meaning, numbered fixes, the step, propagation advice,
/// and what was found in the text.
pub fn describe(explanation: &Explanation) -> String {
    let entry = explanation.entry;
    let mut out = format!(
        "{} · {}\n\nWhat it means: {}\n\nWhat to do:\n",
        entry.origin(),
        entry.title,
        entry.meaning.trim()
    );
    for (number, fix) in entry.fixes.iter().enumerate() {
        out.push_str(&format!("  {}. {fix}\n", number + 1));
    }
    if let Some((index, title)) = entry.step_position() {
        out.push_str(&format!(
            "\nStep to revisit: {}, step {}: {title}\n",
            entry.cloud.display_name(),
            index + 1
        ));
    }
    if entry.may_be_propagation {
        out.push_str(
            "This can also be a change that has not propagated yet: if you changed the setup in \
             the last few minutes, wait a few minutes and retry before changing anything.\n",
        );
    }
    if !explanation.extracted.is_empty() {
        out.push_str("\nFound in the error:\n");
        for (part, value) in &explanation.extracted {
            out.push_str(&format!("  {part}: {value}\n"));
        }
    }
    out.push_str(&format!("\n(entry {})\n", entry.id));
    out
}

/// The recorded field an extracted part holds, as the cloud's `[parts]` names it.
fn recorded_field(cloud: Cloud, part: &str) -> Option<FieldId> {
    let key = knowledge()
        .parts
        .iter()
        .find(|(c, _)| *c == cloud)
        .and_then(|(_, parts)| parts.get(part))?;
    cloud.field_by_key(key)
}

/// One extracted part beside what the wizard recorded for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub part: String,
    pub found: String,
    /// What the wizard recorded, cleaned, when it recorded that field.
    pub recorded: Option<String>,
}

impl Comparison {
    /// Whether the error names something else than what was recorded.
    pub fn differs(&self) -> bool {
        let folded = |s: &str| s.trim_end_matches('/').to_ascii_lowercase();
        self.recorded
            .as_ref()
            .is_some_and(|r| folded(r) != folded(&self.found))
    }
}

/// Every extracted part next to the recorded value of the same field, when the cloud matches.
pub fn compare(explanation: &Explanation, inputs: &Inputs) -> Vec<Comparison> {
    explanation
        .extracted
        .iter()
        .map(|(part, found)| {
            let recorded = (inputs.cloud == explanation.entry.cloud)
                .then(|| recorded_field(inputs.cloud, part))
                .flatten()
                .and_then(|field| inputs.validated(field).ok());
            Comparison {
                part: part.clone(),
                found: found.clone(),
                recorded,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_names_a_real_step_and_compiles() {
        for entry in knowledge().entries() {
            assert!(
                entry.step_position().is_some(),
                "{} names step {:?}",
                entry.id,
                entry.step
            );
            assert!(!entry.fixes.is_empty(), "{}", entry.id);
            assert!(!entry.patterns.is_empty(), "{}", entry.id);
        }
    }

    #[test]
    fn a_host_out_of_reach_is_this_machines_fault_not_a_clouds() {
        let said = crate::net::Unreachable::Refused.sentence("127.0.0.1:9");
        let found = explain(&format!("OpenAI's API: {said}")).unwrap();
        assert!(found.entry.local);
        assert_eq!(found.extracted["host"], "127.0.0.1:9");
        assert_eq!(found.extracted["failure"], "connection refused");
        let text = describe(&found);
        assert!(text.starts_with("This machine · "), "{text}");
        assert!(!text.contains("Step to revisit"), "{text}");
        // Another tool's words for the same thing.
        let pasted = explain("error sending request for url (https://api.openai.com/v1/x): dns error: failed to lookup address information").unwrap();
        assert!(pasted.entry.local);
        assert_eq!(pasted.extracted["failure"], "name lookup failed");
        // A cloud's answer is never taken for one.
        assert!(
            explain("AccessDeniedException: not authorized to perform kms:Decrypt")
                .is_none_or(|f| !f.entry.local)
        );
    }

    #[test]
    fn an_entrys_step_is_written_by_key_and_empty_when_it_has_none() {
        for entry in knowledge().entries() {
            let written = serde_json::to_value(entry).unwrap();
            assert_eq!(written["step"], entry.step.unwrap().key(), "{}", entry.id);
        }
        let local = serde_json::to_value(unreachable_entry()).unwrap();
        assert_eq!(local["step"], "");
        assert_eq!(local["local"], true);
    }

    #[test]
    fn normalising_folds_escapes_and_spaces() {
        assert_eq!(normalize("a\\\"b\\\" \\r\\n c\r\n\td"), "a\"b\" c d");
        assert_eq!(normalize("it\\'s"), "it's");
    }
}
