//! The one place that decides what may be shown: the redactor (anything shaped like a secret,
//! and the values of the secret environment variables, become `[redacted]`) and the sanitizer
//! (text from outside is made inert before it reaches a terminal or a file: control characters
//! become visible escapes, messages are kept to one short line).

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};

fn compile(pattern: &str) -> Regex {
    match RegexBuilder::new(pattern).build() {
        Ok(regex) => regex,
        Err(err) => panic!("the secret filter has a bad pattern {pattern:?}: {err}"),
    }
}

/// Secrets that may ride along in pasted text: OpenAI keys, bearer tokens, JWTs, Google
/// access tokens, AWS keys, and `secret = value` pairs.
fn secret_patterns() -> &'static [Regex] {
    static PATTERNS: OnceLock<Vec<Regex>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        [
            r"sk-[A-Za-z0-9_-]{16,}",
            // A key shown masked still gives away its last characters: sk-admin-****cdef.
            r"sk-[A-Za-z0-9_-]*\*{2,}[A-Za-z0-9_-]*",
            // Credentials in a URL: https://user:pass@host.
            r"(?i)(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@",
            r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{8,}",
            r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
            r"ya29\.[A-Za-z0-9._-]{10,}",
            r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
            r#"(?i)\b[a-z_-]*(?:secret_access_key|session_token|secretaccesskey|sessiontoken|client_secret|password|api_key|apikey|access_token|refresh_token|id_token|security-token)\b["']?\s*[:=]\s*["']?[^\s"',}]+"#,
        ]
        .iter()
        .map(|p| compile(p))
        .collect()
    })
}

/// The wizard's own environment variable whose value is a secret wherever it appears. The
/// clouds' (credentials of their tools) are named by their kits and handed over at start with
/// `watch_env_vars`.
pub const SECRET_ENV_VARS: [&str; 1] = ["OPENAI_ADMIN_KEY"];

static CLOUD_SECRET_VARS: OnceLock<Vec<&'static str>> = OnceLock::new();

/// Adds the clouds' secret environment variables to those watched; called once at start,
/// before anything is shown.
pub fn watch_env_vars(names: impl IntoIterator<Item = &'static str>) {
    let _ = CLOUD_SECRET_VARS.set(names.into_iter().collect());
}

/// Every secret environment variable watched.
pub fn secret_env_vars() -> impl Iterator<Item = &'static str> {
    SECRET_ENV_VARS
        .into_iter()
        .chain(CLOUD_SECRET_VARS.get().into_iter().flatten().copied())
}

/// What a refusal of a value shaped like a key or a token says, after the flag, the config
/// key or the field that held it (the value itself is never repeated).
pub const SECRET_REFUSED: &str = "looks like a secret (a key or a token), so it is refused and not shown; give the value this asks for, and keep the secret where it was";

/// Whether a value typed or pasted somewhere looks like a secret.
pub fn looks_secret(value: &str) -> bool {
    process().looks_secret(value)
}

/// The secrets of this run (the values of the secret environment variables, and any typed
/// into the wizard), captured once, and the redaction built on them and on the patterns of
/// secrets. Built at start and handed to whoever shows or writes text: using it reads nothing
/// from the environment.
#[derive(Clone, Default)]
pub struct Redactor {
    known: Vec<zeroize::Zeroizing<String>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} known secrets, hidden)", self.known.len())
    }
}

impl PartialEq for Redactor {
    fn eq(&self, other: &Self) -> bool {
        self.known.len() == other.known.len()
    }
}

impl Redactor {
    /// The values of the secret environment variables, as they are now.
    pub fn from_env() -> Redactor {
        let mut redactor = Redactor::default();
        for name in secret_env_vars() {
            if let Ok(value) = std::env::var(name) {
                redactor.learn(&value);
            }
        }
        redactor
    }

    /// Adds a secret met during the run (an admin key typed into the wizard). Values shorter
    /// than 8 characters are not secrets worth hiding everywhere they appear.
    pub fn learn(&mut self, secret: &str) {
        let secret = secret.trim();
        if secret.len() >= 8 && !self.known.iter().any(|k| k.as_str() == secret) {
            self.known.push(zeroize::Zeroizing::new(secret.to_string()));
        }
    }

    /// `text` with every known secret and everything shaped like one replaced by `[redacted]`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.known {
            out = out.replace(secret.as_str(), "[redacted]");
        }
        for pattern in secret_patterns() {
            out = pattern.replace_all(&out, "[redacted]").into_owned();
        }
        out
    }

    /// Whether a value typed or pasted somewhere looks like a secret.
    pub fn looks_secret(&self, value: &str) -> bool {
        // Every secret pattern holds one of these marks; most values hold none, and are
        // cleared without running the patterns (a long value would make them slow).
        // (ARNs, ids and names hold none of them, so validating a field costs no regex.)
        const MARKS: [&str; 12] = [
            "sk-", "bearer", "eyj", "ya29.", "akia", "asia", "secret", "token", "password",
            "api_key", "apikey", "@",
        ];
        let lower = value.to_ascii_lowercase();
        let marked = MARKS.iter().any(|mark| lower.contains(mark));
        let known = self.known.iter().any(|k| value.contains(k.as_str()));
        known || (marked && self.redact(value) != value)
    }
}

/// The process's redactor, captured from the environment once, at its first use (the start of
/// every command): for the headless commands and the validators.
pub fn process() -> &'static Redactor {
    static PROCESS: OnceLock<Redactor> = OnceLock::new();
    PROCESS.get_or_init(Redactor::from_env)
}

/// Replaces anything that looks like a secret, and the values of the secret environment
/// variables, with `[redacted]`. Used on every text shown or written that the admin supplied.
pub fn redact(text: &str) -> String {
    process().redact(text)
}

/// Replaces every character that could act on a terminal (C0 controls but newline and tab,
/// DEL, C1 controls, ESC, and the bidirectional overrides and isolates) with a visible escape
/// such as `\x1b` or `\u{202e}`.
pub fn visible(text: &str) -> String {
    visible_cow(text).into_owned()
}

/// Whether a character would act on a terminal rather than be shown.
fn acts_on_a_terminal(c: char) -> bool {
    let code = c as u32;
    (code < 0x20 && c != '\n' && c != '\t')
        || code == 0x7f
        || (0x80..=0x9f).contains(&code)
        || matches!(code, 0x200e | 0x200f | 0x061c)
        || (0x202a..=0x202e).contains(&code)
        || (0x2066..=0x2069).contains(&code)
}

/// [`visible`] without a copy when nothing needs escaping (the common case, on every frame).
pub fn visible_cow(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(acts_on_a_terminal) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let code = c as u32;
        if !acts_on_a_terminal(c) {
            out.push(c);
        } else if code <= 0xff {
            out.push_str(&format!("\\x{code:02x}"));
        } else {
            out.push_str(&format!("\\u{{{code:x}}}"));
        }
    }
    std::borrow::Cow::Owned(out)
}

/// One line of at most `max` characters: escapes as [`visible`], whitespace runs (newlines
/// included) folded to one space, and an ellipsis where it was cut.
pub fn one_line(text: &str, max: usize) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let shown = visible(&folded);
    if shown.chars().count() <= max {
        return shown;
    }
    let mut cut: String = shown.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// JSON text (as `serde_json` writes it) with every character that would act on a terminal
/// written as a JSON escape (`\u009b`, `\u202e`): the same document once parsed, yet nothing in
/// it acts on the terminal it is printed to. `serde_json` escapes C0 controls itself, but not
/// C1 controls or the bidirectional marks an outside answer may carry.
pub fn json_for_terminal(json: &str) -> String {
    if !json.chars().any(acts_on_a_terminal) {
        return json.to_string();
    }
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if acts_on_a_terminal(c) {
            // Outside a string JSON allows no such character, so each is inside one.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// An id or a name sent by OpenAI or a cloud, made safe to print: one line of at most `max`
/// characters, escapes visible, anything shaped like a secret redacted.
pub fn outside_id(text: &str, max: usize) -> String {
    one_line(&redact(text), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let text = "Authorization: Bearer abcdefghijklmnop key sk-admin-0123456789abcdefXYZ \
                    token eyJhbGciOi.eyJzdWIiOiIx.sig ya29.a0AfH6SMBxyz1234 AKIAIOSFODNN7EXAMPLE \
                    aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let clean = redact(text);
        for secret in [
            "abcdefghijklmnop",
            "sk-admin",
            "eyJhbGciOi",
            "ya29.",
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI",
        ] {
            assert!(!clean.contains(secret), "{secret} left in {clean}");
        }
        assert!(clean.contains("[redacted]"));
        let masked = redact("Incorrect API key provided: sk-admin-****cdef. You can find your key");
        assert!(!masked.contains("cdef"), "{masked}");
        let url = redact("could not reach https://admin:hunter2@proxy.example.com/v1");
        assert!(!url.contains("hunter2"), "{url}");
        let plain = "User: arn:aws:sts::111122223333:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service";
        assert_eq!(redact(plain), plain, "ARNs are not secrets");
    }

    #[test]
    fn escapes_become_visible() {
        assert_eq!(visible("a\x1b]52;c;eA==\x07b"), "a\\x1b]52;c;eA==\\x07b");
        assert_eq!(visible("x\u{202e}y\u{9b}z"), "x\\u{202e}y\\x9bz");
        assert_eq!(visible("tab\tand\nline"), "tab\tand\nline");
    }

    #[test]
    fn json_for_terminal_escapes_what_serde_json_leaves() {
        let value = serde_json::json!({"name": "a\u{1b}[2Jb\u{9b}31mc\u{202e}d\u{7}"});
        let text = json_for_terminal(&serde_json::to_string(&value).unwrap());
        assert!(!text.chars().any(acts_on_a_terminal), "{text:?}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value, "the same document once parsed");
    }

    #[test]
    fn one_line_folds_and_cuts() {
        assert_eq!(one_line("a\n  b\r\nc", 10), "a b c");
        assert_eq!(one_line("abcdefghij", 5), "abcd…");
    }
}
