//! The plain-REST client the kits share: one HTTP client, the override that sends every cloud
//! host to one local server (a variable each kit names), bounded retries on throttling and
//! network errors, and error bodies read into one form. How a request carries its credentials
//! and how a cloud shapes its errors is the kit's own, handed over as a [`Dialect`].

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;

use super::{CannotCheck, CheckStatus, Finding};
use crate::guide::StepId;

/// Where requests for a cloud's hosts go: to the hosts themselves, or (override) to
/// `<base>/<host><path>` on one server.
#[derive(Debug, Clone, Default)]
pub struct Redirect(Option<Url>);

impl Redirect {
    /// No override: every request goes to the host in its URL.
    pub fn none() -> Redirect {
        Redirect(None)
    }

    /// Reads an override from `var`; plain http is accepted only for this machine.
    pub fn from_env(var: &str) -> Result<Redirect, CannotCheck> {
        match std::env::var(var) {
            Ok(text) if !text.trim().is_empty() => Redirect::parse(var, &text),
            Err(std::env::VarError::NotUnicode(_)) => Err(CannotCheck(format!(
                "{var} is not valid UTF-8; expected https://host[:port] or http://127.0.0.1:port"
            ))),
            _ => Ok(Redirect(None)),
        }
    }

    /// Parses an override base; `name` is what the message calls it.
    pub fn parse(name: &str, text: &str) -> Result<Redirect, CannotCheck> {
        let trimmed = text.trim().trim_end_matches('/');
        let url = Url::parse(trimmed).map_err(|e| {
            CannotCheck(format!(
                "{name} `{trimmed}` is not a URL ({e}); expected https://host[:port] or http://127.0.0.1:port"
            ))
        })?;
        match url.scheme() {
            "https" => {}
            "http" if crate::net::is_loopback(&url) => {}
            _ => {
                return Err(CannotCheck(format!(
                    "{name} `{trimmed}` must use https (plain http only to this machine)"
                )));
            }
        }
        Ok(Redirect(Some(url)))
    }

    /// The host (and port) every request is sent to instead, when there is an override.
    pub fn through(&self) -> Option<String> {
        self.0.as_ref().map(crate::net::host_of)
    }

    pub fn is_active(&self) -> bool {
        self.0.is_some()
    }

    /// Whether every request goes to this machine (an override to loopback).
    pub fn loopback(&self) -> bool {
        self.0.as_ref().is_some_and(crate::net::is_loopback)
    }

    /// The URL a request for `url` is really sent to.
    pub fn apply(&self, url: &Url) -> Url {
        let Some(base) = &self.0 else {
            return url.clone();
        };
        let mut target = format!(
            "{}/{}{}",
            base.as_str().trim_end_matches('/'),
            url.host_str().unwrap_or_default(),
            url.path()
        );
        if let Some(query) = url.query() {
            target.push('?');
            target.push_str(query);
        }
        Url::parse(&target).unwrap_or_else(|_| url.clone())
    }
}

/// How one cloud's REST APIs are spoken, supplied by its kit: how a request carries the
/// credentials, and how that cloud's error answers are read.
pub trait Dialect: fmt::Debug + Send + Sync {
    /// `request` carrying `credential` the way the cloud expects it.
    fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        credential: &str,
    ) -> reqwest::RequestBuilder;

    /// The code, message and finer reasons of an error answer in the cloud's own shape, or
    /// `None` when `body` is not in that shape.
    fn read_error(&self, body: &Value) -> Option<ErrorParts>;
}

/// What a dialect reads out of an error answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorParts {
    pub code: String,
    pub message: String,
    pub reasons: Vec<String>,
}

/// An OAuth 2.0 error answer (RFC 6749, section 5.2: `error` a string, `error_description`),
/// the one error shape set by a standard rather than by a cloud.
fn oauth_error(body: &Value) -> Option<ErrorParts> {
    let code = body["error"].as_str()?;
    Some(ErrorParts {
        code: code.to_string(),
        message: body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        reasons: Vec::new(),
    })
}

/// A refusal or failure, read from whatever shape the cloud answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudError {
    /// The HTTP status; `None` when no answer came (network, timeout).
    pub status: Option<u16>,
    /// The cloud's code for the error, as its dialect reads it.
    pub code: String,
    pub message: String,
    /// Finer reasons, as its dialect reads them.
    pub reasons: Vec<String>,
    /// The answer was not the cloud's JSON (an HTML page from a proxy, say).
    pub unreadable: bool,
    /// Seconds the cloud asked to wait before asking again (`Retry-After`), if it did.
    pub retry_after: Option<u64>,
}

impl CloudError {
    /// A refused read or write in words for the admin: for a 403 the permission that is
    /// missing; otherwise what `cloud` answered, or that it could not be reached.
    pub fn refusal(&self, cloud: &str, permission: &str) -> String {
        match self.status {
            Some(403) => format!(
                "{permission} is not allowed for your credentials ({})",
                self.message
            ),
            Some(status) => format!("{cloud} answered {status}: {}", self.message),
            // The message is already the one sentence: the host, and how it failed.
            None if crate::net::is_unreachable(&self.message) => self.message.clone(),
            None => format!("{cloud} could not be reached: {}", self.message),
        }
    }

    fn network(message: String) -> CloudError {
        CloudError {
            status: None,
            code: String::new(),
            message,
            reasons: Vec::new(),
            unreadable: false,
            retry_after: None,
        }
    }

    /// An answer that came back but is not the cloud's (a redirect, a body past the cap).
    fn unreadable(status: u16, message: String) -> CloudError {
        CloudError {
            status: Some(status),
            code: String::new(),
            message,
            reasons: Vec::new(),
            unreadable: true,
            retry_after: None,
        }
    }

    /// Reads the error of an answer with `status` and `body`, in `dialect`'s shape or the
    /// OAuth one.
    pub fn from_answer(status: u16, body: &Value, dialect: &dyn Dialect) -> CloudError {
        let ErrorParts {
            code,
            message,
            reasons,
        } = dialect
            .read_error(body)
            .or_else(|| oauth_error(body))
            .unwrap_or_else(|| ErrorParts {
                message: "an answer that is not the cloud's JSON".to_string(),
                ..ErrorParts::default()
            });
        CloudError {
            status: Some(status),
            code,
            message: if message.is_empty() {
                format!("HTTP {status}")
            } else {
                // A server may echo the token it was sent: redacted before anything else.
                crate::secrets::one_line(&crate::secrets::redact(&message), 400)
            },
            reasons,
            unreadable: !body.is_object(),
            retry_after: None,
        }
    }

    pub fn is_status(&self, status: u16) -> bool {
        self.status == Some(status)
    }

    pub fn has_reason(&self, reason: &str) -> bool {
        self.code == reason || self.reasons.iter().any(|r| r == reason)
    }
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            None => write!(f, "no answer: {}", self.message),
            Some(status) if self.code.is_empty() => write!(f, "{status}: {}", self.message),
            Some(status) => write!(f, "{status} {}: {}", self.code, self.message),
        }
    }
}

/// What a failed request means for a check, read the same way on every cloud: a read the
/// admin may not do is "could not look" (skip), not a broken setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: CheckStatus,
    pub detail: String,
    /// The step that fixes it, when that is not the check's own (an API switched off, a
    /// firewall).
    pub fix_at: Option<StepId>,
}

/// How a cloud is named and signed in to, for the words of a refusal.
pub struct CloudWords {
    /// The cloud's name as the admin knows it.
    pub name: &'static str,
    /// What to do after a 401.
    pub sign_in: &'static str,
    /// Errors that are not a refusal but a setting fixed at another step: the error's reason,
    /// what it means, what to do, and that step.
    pub fixed_elsewhere: &'static [FixedElsewhere],
}

/// An error reason that names a setting of another step (an API switched off, a firewall).
pub struct FixedElsewhere {
    pub reason: &'static str,
    pub means: &'static str,
    pub to_do: &'static str,
    pub step: StepId,
}

impl Refusal {
    /// What an error on a read means: a setting fixed at another step when the cloud names
    /// one, else what `of` says (a refusal is "could not look", not "broken").
    pub fn of_read(
        err: &CloudError,
        cloud: &CloudWords,
        what: &str,
        not_permitted: String,
    ) -> Refusal {
        match cloud
            .fixed_elsewhere
            .iter()
            .find(|fixed| err.has_reason(fixed.reason))
        {
            Some(fixed) => Refusal {
                status: CheckStatus::Fail,
                detail: format!("{} ({}): {}", fixed.means, err.message, fixed.to_do),
                fix_at: Some(fixed.step),
            },
            None => Refusal::of(err, cloud, what, not_permitted),
        }
    }

    pub fn new(status: CheckStatus, detail: String) -> Refusal {
        Refusal {
            status,
            detail,
            fix_at: None,
        }
    }

    /// Reads the HTTP side of `err`; `forbidden` is what a 403 says.
    pub fn of(err: &CloudError, cloud: &CloudWords, what: &str, forbidden: String) -> Refusal {
        let (status, detail) = match err.status {
            None => (
                CheckStatus::Unverified,
                format!("could not check: {}", err.message),
            ),
            Some(401) => (
                CheckStatus::Unverified,
                format!(
                    "could not check: {} refused your credentials (401): {}",
                    cloud.name, cloud.sign_in
                ),
            ),
            Some(403) => (CheckStatus::Unverified, forbidden),
            Some(404) => (CheckStatus::Fail, format!("{what} was not found")),
            Some(429) => (
                CheckStatus::Unverified,
                format!(
                    "could not check: {} kept throttling after {ATTEMPTS} tries: wait a minute and check again",
                    cloud.name
                ),
            ),
            Some(status) if err.unreadable || status >= 500 => (
                CheckStatus::Unverified,
                format!(
                    "could not check: {} answered HTTP {status}: {}",
                    cloud.name, err.message
                ),
            ),
            Some(_) => (CheckStatus::Fail, err.to_string()),
        };
        Refusal::new(status, detail)
    }

    /// What the check found: at the step that fixes it, when that is not the check's own.
    pub fn finding(self) -> Finding {
        let finding = Finding::new(self.status, self.detail);
        match self.fix_at {
            Some(step) => finding.at_step(step),
            None => finding,
        }
    }

    /// A round trip the admin may not make proves nothing either way: it was not tried.
    pub fn round_trip(self, not_allowed: &str) -> Finding {
        if self.status == CheckStatus::Unverified {
            return Finding::unverified(format!(
                "not tried: {not_allowed} (this proves the key works, not OpenAI's access)"
            ));
        }
        self.finding()
    }
}

/// How many times a request is sent at most, when throttled or cut off.
pub const ATTEMPTS: u32 = 3;

/// One client for a cloud's REST APIs.
#[derive(Debug, Clone)]
pub struct Rest {
    http: reqwest::Client,
    redirect: Redirect,
    dialect: &'static dyn Dialect,
    /// The wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl Rest {
    /// A client for a cloud spoken in `dialect`.
    pub fn new(
        redirect: Redirect,
        timeout: Duration,
        dialect: &'static dyn Dialect,
    ) -> Result<Rest, CannotCheck> {
        let to_loopback = redirect.loopback();
        // A request gives up a little before the check's own window closes, so that what is
        // said is its failure, which names the host and the kind, not a bare "no answer".
        let timeout = timeout
            .saturating_sub(timeout / 10)
            .max(Duration::from_millis(100));
        let http = crate::net::client_builder(timeout, to_loopback)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()
            .map_err(|e| CannotCheck(format!("the HTTP client could not start: {e}")))?;
        Ok(Rest {
            http,
            redirect,
            dialect,
            backoff: Duration::from_millis(300),
        })
    }

    pub fn redirect(&self) -> &Redirect {
        &self.redirect
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends one request carrying `credential` and reads the JSON answer; retries on 429, 5xx
    /// and network errors, at most `ATTEMPTS` times, honouring a short `Retry-After`.
    pub async fn call(
        &self,
        method: Method,
        url: &str,
        credential: &str,
        body: Option<&Value>,
    ) -> Result<Value, CloudError> {
        self.send(method, url, credential, body, ATTEMPTS).await
    }

    /// Sends a request that creates something exactly once: a create is never repeated
    /// blindly, whatever the answer (a 503 may come after the create was done).
    pub async fn create(
        &self,
        url: &str,
        credential: &str,
        body: &Value,
    ) -> Result<Value, CloudError> {
        // Only a 429 is asked again: the cloud says it did nothing with the request.
        self.send_as(Method::POST, url, credential, Some(body), ATTEMPTS, true)
            .await
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        credential: &str,
        body: Option<&Value>,
        attempts: u32,
    ) -> Result<Value, CloudError> {
        self.send_as(method, url, credential, body, attempts, false)
            .await
    }

    /// Sends, asking again after a 429 or a 5xx (or, when `throttling_only`, a 429 alone).
    async fn send_as(
        &self,
        method: Method,
        url: &str,
        credential: &str,
        body: Option<&Value>,
        attempts: u32,
        throttling_only: bool,
    ) -> Result<Value, CloudError> {
        let parsed = Url::parse(url).map_err(|e| CloudError::network(format!("bad URL: {e}")))?;
        let target = self.redirect.apply(&parsed);
        let host = crate::net::host_of(&target);
        let shown_host = crate::net::host_of(&parsed);
        let shown_host = if shown_host == host {
            host
        } else {
            format!("{shown_host} (through {host})")
        };
        let mut last = CloudError::network("not sent".into());
        for attempt in 0..attempts {
            if attempt > 0 {
                let wait = retry_wait(&last, self.backoff * 2u32.pow(attempt - 1));
                tokio::time::sleep(wait).await;
            }
            let request = self.http.request(method.clone(), target.clone());
            let mut request = self
                .dialect
                .authorize(request, credential)
                .header("accept", "application/json");
            if let Some(body) = body {
                request = request.json(body);
            }
            match request.send().await {
                Ok(answer) => {
                    let status = answer.status();
                    if let Some(note) = crate::net::redirect_note(&answer) {
                        return Err(CloudError::unreadable(status.as_u16(), note));
                    }
                    let retry_after = answer
                        .headers()
                        .get("retry-after")
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok());
                    let text = match crate::net::read_capped(answer).await {
                        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                        Err(err) => {
                            return Err(CloudError::unreadable(status.as_u16(), err.to_string()));
                        }
                    };
                    let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if status.is_success() {
                        return Ok(value);
                    }
                    last = CloudError::from_answer(status.as_u16(), &value, self.dialect);
                    last.retry_after = retry_after;
                    if !is_retryable(status)
                        || (throttling_only && status != StatusCode::TOO_MANY_REQUESTS)
                    {
                        return Err(last);
                    }
                }
                Err(err) => {
                    last = CloudError::network(describe_network(&err, &shown_host));
                    // After a timeout the caller's window is spent, and a TLS failure does not
                    // pass by itself: asking again cannot help.
                    if throttling_only
                        || err.is_timeout()
                        || crate::net::Unreachable::of(&err) == Some(crate::net::Unreachable::Tls)
                    {
                        return Err(last);
                    }
                }
            }
        }
        Err(last)
    }
}

fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()
}

/// The wait before the next attempt: the cloud's `Retry-After` when short, else `backoff`.
fn retry_wait(last: &CloudError, backoff: Duration) -> Duration {
    last.retry_after
        .map(|s| Duration::from_secs(s.min(3)))
        .unwrap_or(backoff)
}

fn describe_network(err: &reqwest::Error, host: &str) -> String {
    crate::net::could_not_reach(host, err)
}

/// The part of a URL path after the host, percent-encoded where a name could need it.
pub fn encode_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_override_keeps_host_path_and_query() {
        let redirect = Redirect::parse("EKM_MADE_API_URL", "http://127.0.0.1:9000/").unwrap();
        let url = Url::parse("https://iam.made.example/v1/projects/1/x?a=b").unwrap();
        assert_eq!(
            redirect.apply(&url).as_str(),
            "http://127.0.0.1:9000/iam.made.example/v1/projects/1/x?a=b"
        );
    }

    #[test]
    fn an_override_over_plain_http_elsewhere_is_refused() {
        let err = Redirect::parse("EKM_OTHER_API_URL", "http://example.com").unwrap_err();
        assert!(err.0.contains("EKM_OTHER_API_URL"), "{err}");
        assert!(Redirect::parse("X", "https://proxy.example.com").is_ok());
        assert!(Redirect::parse("X", "not a url").is_err());
    }

    /// A made-up cloud's dialect: a header of its own, errors as `{"fault": {...}}`.
    #[derive(Debug)]
    struct Made;

    impl Dialect for Made {
        fn authorize(
            &self,
            request: reqwest::RequestBuilder,
            credential: &str,
        ) -> reqwest::RequestBuilder {
            request.header("x-made-key", credential)
        }

        fn read_error(&self, body: &Value) -> Option<ErrorParts> {
            let fault = body.get("fault")?;
            Some(ErrorParts {
                code: fault["kind"].as_str()?.to_string(),
                message: fault["say"].as_str().unwrap_or_default().to_string(),
                reasons: vec![fault["why"].as_str()?.to_string()],
            })
        }
    }

    #[test]
    fn errors_are_read_in_the_kits_dialect_else_oauth_else_unreadable() {
        let made = CloudError::from_answer(
            403,
            &json!({"fault": {"kind": "Denied", "say": "no\nway", "why": "NoRole"}}),
            &Made,
        );
        assert_eq!(made.code, "Denied");
        assert!(made.has_reason("NoRole"));
        assert_eq!(made.to_string(), "403 Denied: no way");
        let oauth = CloudError::from_answer(
            400,
            &json!({"error": "invalid_target", "error_description": "The target service is invalid"}),
            &Made,
        );
        assert_eq!(oauth.code, "invalid_target");
        assert_eq!(oauth.message, "The target service is invalid");
        let bare = CloudError::from_answer(404, &json!({"error": "not_found"}), &Made);
        assert_eq!(bare.to_string(), "404 not_found: HTTP 404");
        let empty = CloudError::from_answer(502, &Value::Null, &Made);
        assert_eq!(
            empty.to_string(),
            "502: an answer that is not the cloud's JSON"
        );
        assert!(empty.unreadable);
    }

    #[tokio::test]
    async fn a_request_carries_the_credential_as_its_dialect_says() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            let body = r#"{"fault": {"kind": "Denied", "say": "not you", "why": "NoRole"}}"#;
            let answer = format!(
                "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&seen).to_ascii_lowercase()
        });
        let redirect = Redirect::parse("TEST", &format!("http://127.0.0.1:{port}")).unwrap();
        let rest = Rest::new(redirect, Duration::from_secs(5), &Made).unwrap();
        let err = rest
            .call(
                Method::GET,
                "https://made.example/v1/x",
                "made-credential",
                None,
            )
            .await
            .unwrap_err();
        assert!(err.has_reason("NoRole"), "{err}");
        let request = server.await.unwrap();
        assert!(request.contains("x-made-key: made-credential"), "{request}");
        assert!(!request.contains("authorization"), "{request}");
    }

    #[test]
    fn names_are_encoded_for_paths() {
        assert_eq!(encode_segment("org-A1--key_2"), "org-A1--key_2");
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
    }
}
