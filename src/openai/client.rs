//! The HTTP client of the Management API. Every request has a timeout; only requests that are
//! harmless to repeat (reads, validate) are retried, with backoff, on 429, 5xx and network
//! failures. Creates are sent once: the caller decides what to do after a failure.

use std::fmt;
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::identities::OPENAI_API_BASE;

/// The environment variable the admin key is read from.
pub const ADMIN_KEY_ENV: &str = "OPENAI_ADMIN_KEY";
/// The environment variable that overrides the API base.
pub const API_BASE_ENV: &str = "OPENAI_BASE_URL";

/// An OpenAI admin API key. It is never printed (its `Debug` says only that it is hidden),
/// and its memory is wiped when dropped.
#[derive(Clone)]
pub struct AdminKey(Zeroizing<String>);

impl AdminKey {
    /// Accepts any non-empty key without white space; OpenAI decides whether it is valid.
    pub fn new(value: impl Into<String>) -> Result<Self, String> {
        let value = Zeroizing::new(value.into());
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err("the admin key is empty".into());
        }
        if trimmed.chars().any(char::is_whitespace) {
            return Err("the admin key contains white space; paste it again".into());
        }
        Ok(AdminKey(Zeroizing::new(trimmed.to_string())))
    }

    /// The key from `OPENAI_ADMIN_KEY`, when set.
    pub fn from_env() -> Option<Self> {
        let value = Zeroizing::new(std::env::var(ADMIN_KEY_ENV).ok()?);
        AdminKey::new(value.as_str()).ok()
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AdminKey(hidden)")
    }
}

impl PartialEq for AdminKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// Where the Management API is: https, or plain http only to this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBase(Url);

impl ApiBase {
    /// Parses and checks a base URL, before any connection is made.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim().trim_end_matches('/');
        let url = Url::parse(trimmed).map_err(|e| {
            format!(
                "api base `{}` is not a URL ({e}); expected https://…/v1",
                crate::secrets::one_line(&crate::secrets::redact(trimmed), 200)
            )
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(
                "api base holds a user name or password; the admin key is the only credential, so give https://host/v1 without them".into(),
            );
        }
        // Said back only redacted and on one line: a query may hold what should not be shown.
        let trimmed = crate::secrets::one_line(
            &crate::secrets::redact(url.as_str().trim_end_matches('/')),
            200,
        );
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(format!(
                    "api base `{trimmed}` uses plain http; https is required (http is allowed only to this machine, for testing)"
                ));
            }
            other => {
                return Err(format!(
                    "api base `{trimmed}` uses `{other}`; expected https://…/v1"
                ));
            }
        }
        Ok(ApiBase(url))
    }

    /// `--api-base`, else `OPENAI_BASE_URL`, else OpenAI's own.
    pub fn resolve(flag: Option<&str>) -> Result<Self, String> {
        match flag {
            Some(base) => ApiBase::parse(base),
            None => match std::env::var(API_BASE_ENV) {
                Ok(base) if !base.trim().is_empty() => ApiBase::parse(&base),
                Err(std::env::VarError::NotUnicode(_)) => Err(format!(
                    "{API_BASE_ENV} is not valid UTF-8; expected https://…/v1"
                )),
                _ => ApiBase::parse(OPENAI_API_BASE),
            },
        }
    }

    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.0)
    }

    fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0.as_str().trim_end_matches('/'))
    }
}

impl fmt::Display for ApiBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str().trim_end_matches('/'))
    }
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    crate::net::is_loopback(url)
}

/// What to do when OpenAI does not accept the admin key (401): said by `register` and by
/// `explain`'s entry for the same answer.
pub const ADMIN_KEY_FIX: &str =
    "use an admin key (sk-admin-…) of this organization that has not been revoked";

/// What went wrong with a request, in words an admin can act on.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 401: the key was not accepted.
    Unauthorized(String),
    /// 403: the key may not do this.
    Forbidden(String),
    /// 429, after the retries allowed.
    RateLimited(String),
    /// 5xx, after the retries allowed.
    Server { status: u16, message: String },
    /// Any other refusal, with OpenAI's error body.
    Refused {
        status: u16,
        message: String,
        kind: Option<String>,
        param: Option<String>,
        code: Option<String>,
    },
    /// No answer came: the host could not be reached, or did not answer in time (the one
    /// sentence of `crate::net`, naming the host and the kind of failure).
    Network(String),
    /// The answer could not be read.
    Unreadable(String),
}

impl ApiError {
    /// OpenAI's own message, where there is one (for troubleshooting).
    pub fn message(&self) -> Option<&str> {
        match self {
            ApiError::Unauthorized(m) | ApiError::Forbidden(m) | ApiError::RateLimited(m) => {
                Some(m)
            }
            ApiError::Server { message, .. } | ApiError::Refused { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether the request may have reached OpenAI without an answer coming back.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, ApiError::Network(_))
    }

    fn retryable(&self) -> bool {
        matches!(
            self,
            ApiError::RateLimited(_) | ApiError::Server { .. } | ApiError::Network(_)
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Unauthorized(m) => write!(
                f,
                "OpenAI did not accept the admin key (401): {ADMIN_KEY_FIX}. {m}"
            ),
            ApiError::Forbidden(m) => write!(
                f,
                "The admin key may not do this (403): registering needs the api.external_keys.write scope, listing and validating api.external_keys.read. {m}"
            ),
            ApiError::RateLimited(m) => write!(
                f,
                "OpenAI is limiting the rate of requests (429): wait a minute, then try again. {m}"
            ),
            ApiError::Server { status, message } => write!(
                f,
                "OpenAI had a problem ({status}): try again in a few minutes. {message}"
            ),
            ApiError::Refused {
                status, message, ..
            } => write!(f, "OpenAI refused the request ({status}): {message}"),
            ApiError::Network(m) => write!(f, "OpenAI's API: {m}"),
            ApiError::Unreadable(m) => write!(f, "OpenAI's answer could not be read: {m}"),
        }
    }
}

/// Whether a request may be sent again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// Reads and validate: repeating changes nothing.
    Harmless,
    /// Creates: never repeated blindly.
    Never,
}

/// The Management API client.
pub struct Client {
    http: reqwest::Client,
    base: ApiBase,
    key: AdminKey,
    attempts: u32,
    backoff: Duration,
}

impl Client {
    pub fn new(base: ApiBase, key: AdminKey, timeout: Duration) -> Result<Self, ApiError> {
        let http = crate::net::client_builder(timeout, base.is_loopback())
            .build()
            .map_err(|e| ApiError::Network(format!("the HTTP client could not start: {e}")))?;
        Ok(Client {
            http,
            base,
            key,
            attempts: 3,
            backoff: Duration::from_millis(300),
        })
    }

    pub fn base(&self) -> &ApiBase {
        &self.base
    }

    /// Sends one request and returns the JSON answer, retrying where `repeat` allows.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        repeat: Repeat,
    ) -> Result<Value, ApiError> {
        let attempts = match repeat {
            Repeat::Harmless => self.attempts,
            Repeat::Never => 1,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.send_once(method.clone(), path, query, body).await;
            match result {
                Err((err, retry_after)) if err.retryable() && attempt < attempts => {
                    let pause = retry_after
                        .unwrap_or(self.backoff * 2u32.pow(attempt - 1))
                        .min(Duration::from_secs(10));
                    tokio::time::sleep(pause).await;
                }
                other => return other.map_err(|(err, _)| err),
            }
        }
    }

    async fn send_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, (ApiError, Option<Duration>)> {
        let mut url = Url::parse(&self.base.join(path))
            .map_err(|e| (ApiError::Unreadable(e.to_string()), None))?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query {
                pairs.append_pair(name, value);
            }
        }
        let mut request = self
            .http
            .request(method, url)
            .bearer_auth(self.key.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        let host = crate::net::host_of(&self.base.0);
        let response = request
            .send()
            .await
            .map_err(|e| (transport_error(&e, &host), None))?;
        let status = response.status();
        if let Some(note) = crate::net::redirect_note(&response) {
            return Err((ApiError::Unreadable(format!("OpenAI {note}")), None));
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = crate::net::read_capped(response).await.map_err(|e| {
            (
                ApiError::Unreadable(format!("HTTP {}: {e}", status.as_u16())),
                None,
            )
        })?;
        let text = String::from_utf8_lossy(&bytes);
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|_| {
                (
                    ApiError::Unreadable(format!(
                        "HTTP {} with an answer that is not JSON",
                        status.as_u16()
                    )),
                    None,
                )
            });
        }
        Err((error_from(status, &text), retry_after))
    }
}

/// A request that got no answer: the host, and the kind of failure (never the HTTP
/// library's own text, which names the whole URL and none of the cause).
fn transport_error(err: &reqwest::Error, host: &str) -> ApiError {
    ApiError::Network(crate::net::could_not_reach(host, err))
}

/// Reads OpenAI's error body, `{"error": {"message", "type", "param", "code"}}`, where there is one.
fn error_from(status: StatusCode, text: &str) -> ApiError {
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let error = &body["error"];
    let field = |name: &str| error.get(name).and_then(Value::as_str).map(str::to_string);
    let message = field("message")
        .or_else(|| {
            body.get("message")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| {
            // Never a dump of the body: what came back is named, not shown.
            if text.trim().is_empty() {
                status
                    .canonical_reason()
                    .unwrap_or("no message")
                    .to_string()
            } else {
                "with an answer that is not OpenAI's JSON".to_string()
            }
        });
    let message = crate::secrets::one_line(&crate::secrets::redact(&message), 400);
    match status.as_u16() {
        401 => ApiError::Unauthorized(message),
        403 => ApiError::Forbidden(message),
        429 => ApiError::RateLimited(message),
        code @ 500..=599 => ApiError::Server {
            status: code,
            message,
        },
        code => ApiError::Refused {
            status: code,
            message,
            kind: field("type"),
            param: field("param"),
            code: field("code"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_bases_must_be_https_unless_loopback() {
        assert!(ApiBase::parse("https://api.openai.com/v1").is_ok());
        assert!(ApiBase::parse("http://127.0.0.1:8080/v1").is_ok());
        assert!(ApiBase::parse("http://localhost:8080/v1").is_ok());
        assert!(ApiBase::parse("http://[::1]:8080/v1").is_ok());
        let refused = ApiBase::parse("http://api.example.com/v1").unwrap_err();
        assert!(refused.contains("https is required"), "{refused}");
        assert!(ApiBase::parse("ftp://x/v1").is_err());
        assert!(ApiBase::parse("not a url").is_err());
        assert_eq!(
            ApiBase::parse("https://x.test/v1/")
                .unwrap()
                .join("/organization/projects"),
            "https://x.test/v1/organization/projects"
        );
    }

    #[test]
    fn the_admin_key_never_prints() {
        let key = AdminKey::new("sk-admin-secret123").unwrap();
        assert_eq!(format!("{key:?}"), "AdminKey(hidden)");
        assert!(AdminKey::new("  ").is_err());
        assert!(AdminKey::new("sk admin").is_err());
    }

    #[test]
    fn error_bodies_are_read() {
        let err = error_from(
            StatusCode::BAD_REQUEST,
            r#"{"error":{"message":"Invalid 'key_name'","type":"invalid_request_error","param":"key_name","code":null}}"#,
        );
        assert_eq!(
            err,
            ApiError::Refused {
                status: 400,
                message: "Invalid 'key_name'".into(),
                kind: Some("invalid_request_error".into()),
                param: Some("key_name".into()),
                code: None
            }
        );
        assert!(matches!(
            error_from(StatusCode::UNAUTHORIZED, ""),
            ApiError::Unauthorized(_)
        ));
        assert!(matches!(
            error_from(StatusCode::from_u16(503).unwrap(), "busy"),
            ApiError::Server { status: 503, .. }
        ));
    }
}
