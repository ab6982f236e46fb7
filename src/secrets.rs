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

/// Secrets that may ride along in pasted text and that no one cloud issues: OpenAI keys,
/// credentials in a URL, bearer tokens, JWTs. The clouds' own (their access tokens, their key
/// ids) are declared by their kits and handed over at start with `watch_patterns`.
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
        ]
        .iter()
        .map(|p| compile(p))
        .collect()
    })
}

/// `secret = value` pairs, whoever's the secret: applied after every other pattern.
fn secret_pairs() -> &'static Regex {
    static PAIRS: OnceLock<Regex> = OnceLock::new();
    PAIRS.get_or_init(|| {
        compile(
            r#"(?i)\b[a-z_-]*(?:secret_access_key|session_token|secretaccesskey|sessiontoken|client_secret|password|api_key|apikey|access_token|refresh_token|id_token|security-token)\b["']?\s*[:=]\s*["']?[^\s"',}]+"#,
        )
    })
}

/// The shape of a secret one cloud issues (an access token, a key id), declared by its kit.
#[derive(Debug, Clone, Copy)]
pub struct SecretPattern {
    /// The regular expression a secret matches.
    pub regex: &'static str,
    /// Lowercase marks, one of which every match holds: a value holding none of any pattern's
    /// marks is cleared without running the patterns.
    pub marks: &'static [&'static str],
    /// A made-up secret of this shape: the registry's tests prove it is redacted and marked.
    pub example: &'static str,
}

/// The kits' patterns, compiled as one: at each place the first that matches wins, so that
/// one cloud's secret inside another's is taken whole, whatever order the kits come in.
struct CloudPatterns {
    /// The alternatives, compiled as one regex the first time a text holds a mark (never at
    /// start: most runs redact nothing cloud-shaped).
    alternatives: Vec<String>,
    regex: OnceLock<Option<Regex>>,
    marks: Vec<&'static str>,
}

static CLOUD_PATTERNS: OnceLock<CloudPatterns> = OnceLock::new();

/// Adds the clouds' secret patterns to those redacted; called once at start, before anything
/// is shown (a second call changes nothing).
pub fn watch_patterns(patterns: impl IntoIterator<Item = &'static SecretPattern>) {
    let patterns: Vec<&SecretPattern> = patterns.into_iter().collect();
    let _ = CLOUD_PATTERNS.get_or_init(|| {
        let alternatives: Vec<String> = patterns
            .iter()
            .map(|p| format!("(?:{})", p.regex))
            .collect();
        CloudPatterns {
            alternatives,
            regex: OnceLock::new(),
            marks: patterns
                .iter()
                .flat_map(|p| p.marks.iter().copied())
                .collect(),
        }
    });
}

/// `text` with the clouds' secrets redacted. Until nothing changes: a redaction may open the
/// word boundary another secret needs (a key id written right before a token).
fn redact_cloud_secrets(text: String) -> String {
    let Some(regex) = CLOUD_PATTERNS.get().and_then(|c| {
        c.regex
            .get_or_init(|| {
                (!c.alternatives.is_empty()).then(|| compile(&c.alternatives.join("|")))
            })
            .as_ref()
    }) else {
        return text;
    };
    let mut out = text;
    for _ in 0..4 {
        let next = regex.replace_all(&out, "[redacted]");
        if matches!(next, std::borrow::Cow::Borrowed(_)) {
            break;
        }
        out = next.into_owned();
    }
    out
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
        out = redact_cloud_secrets(out);
        secret_pairs().replace_all(&out, "[redacted]").into_owned()
    }

    /// Whether a value typed or pasted somewhere looks like a secret.
    pub fn looks_secret(&self, value: &str) -> bool {
        // Every secret pattern holds one of these marks; most values hold none, and are
        // cleared without running the patterns (a long value would make them slow).
        // (ARNs, ids and names hold none of them, so validating a field costs no regex.)
        const MARKS: [&str; 9] = [
            "sk-", "bearer", "eyj", "secret", "token", "password", "api_key", "apikey", "@",
        ];
        let lower = value.to_ascii_lowercase();
        let cloud_marks = CLOUD_PATTERNS
            .get()
            .map(|c| c.marks.as_slice())
            .unwrap_or_default();
        let marked = MARKS
            .iter()
            .chain(cloud_marks)
            .any(|mark| lower.contains(mark));
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
                    token eyJhbGciOi.eyJzdWIiOiIx.sig \
                    my_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let clean = redact(text);
        for secret in [
            "abcdefghijklmnop",
            "sk-admin",
            "eyJhbGciOi",
            "wJalrXUtnFEMI",
        ] {
            assert!(!clean.contains(secret), "{secret} left in {clean}");
        }
        assert!(clean.contains("[redacted]"));
        let masked = redact("Incorrect API key provided: sk-admin-****cdef. You can find your key");
        assert!(!masked.contains("cdef"), "{masked}");
        let url = redact("could not reach https://admin:hunter2@proxy.example.com/v1");
        assert!(!url.contains("hunter2"), "{url}");
        let plain = "User: arn:partition:sts::111122223333:assumed-role/EnterpriseKeyManagement/OpenAI-EKM-Service";
        assert_eq!(redact(plain), plain, "ids are not secrets");
    }

    /// The redactor as it was when every pattern, the clouds' included, was one list here.
    fn redact_as_before(text: &str) -> String {
        static BEFORE: OnceLock<Vec<Regex>> = OnceLock::new();
        let patterns = BEFORE.get_or_init(|| {
            [
            r"sk-[A-Za-z0-9_-]{16,}",
            r"sk-[A-Za-z0-9_-]*\*{2,}[A-Za-z0-9_-]*",
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
        });
        let mut out = text.to_string();
        for pattern in patterns {
            out = pattern.replace_all(&out, "[redacted]").into_owned();
        }
        out
    }

    #[test]
    fn with_the_kits_patterns_the_redactor_catches_what_it_caught_before() {
        watch_patterns(crate::clouds::secret_patterns());
        // Pieces that meet at every edge: secrets inside, before and after one another.
        const PIECES: [&str; 16] = [
            "ya29.",
            "ya29.abcDEF-0123_x",
            "AKIAIOSFODNN7EXAMPLE",
            "ASIA0123456789ABCDEF",
            ".rest",
            "-",
            " ",
            "x",
            "_",
            "sk-abcdefghijklmnopqrst",
            "Bearer abcdefghij",
            "eyJabcde.eyJfghij.sig",
            "token=abc",
            "https://u:p@h/",
            "[redacted]",
            "0123456789",
        ];
        let redactor = Redactor::default();
        let mut tried = 0;
        for a in PIECES {
            for b in PIECES {
                for c in PIECES {
                    let text = format!("{a}{b}{c}");
                    assert_eq!(redactor.redact(&text), redact_as_before(&text), "{text}");
                    tried += 1;
                }
            }
        }
        assert_eq!(tried, PIECES.len().pow(3));
        for text in [
            "ya29.AKIAIOSFODNN7EXAMPLE.rest",
            "AKIAIOSFODNN7EXAMPLEya29.0123456789abc",
            "AKIAIOSFODNN7EXAMPLEAKIAIOSFODNN7EXAMPLEya29.0123456789abc",
        ] {
            assert_eq!(redactor.redact(text), redact_as_before(text), "{text}");
        }
    }

    #[test]
    fn a_kit_pattern_never_matches_the_redaction_itself() {
        watch_patterns(crate::clouds::secret_patterns());
        let redactor = Redactor::default();
        assert_eq!(redactor.redact("[redacted]"), "[redacted]");
        assert_eq!(
            redactor.redact("[redacted][redacted]"),
            "[redacted][redacted]"
        );
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
