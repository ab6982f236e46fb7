//! One network policy for every HTTP client of the wizard: loopback never goes through a
//! proxy, redirects are never followed (none is needed, and one could lead off the host or to
//! plain http), and an answer's body is read up to a cap, whatever the server sends.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

/// The most of an answer's body the wizard reads (after decompression): every real answer is
/// a few KiB; anything past this is a broken or hostile server.
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Whether `url` names this machine (`localhost`, 127.0.0.0/8, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// A client builder under the policy: no redirects, and no proxy at all when every request
/// goes to this machine (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY notwithstanding).
pub fn client_builder(timeout: Duration, to_loopback: bool) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("ekm-wizard/", env!("CARGO_PKG_VERSION")));
    if to_loopback {
        builder.no_proxy()
    } else {
        builder
    }
}

/// Why a body could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// It is larger than [`BODY_LIMIT`].
    TooLarge,
    /// The connection failed while it was read.
    Cut(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge => write!(
                f,
                "the answer is larger than {} MiB, more than any real answer: not read",
                BODY_LIMIT / (1024 * 1024)
            ),
            BodyError::Cut(why) => write!(f, "the answer was cut off: {why}"),
        }
    }
}

/// Reads a body chunk by chunk, stopping as soon as it passes [`BODY_LIMIT`].
pub async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > BODY_LIMIT {
                    return Err(BodyError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(err) => {
                return Err(BodyError::Cut(if err.is_timeout() {
                    "no more came in time".into()
                } else {
                    "the connection dropped".into()
                }));
            }
        }
    }
}

/// What a redirect answer says, for a message: the statuses and where it pointed.
pub fn redirect_note(response: &reqwest::Response) -> Option<String> {
    if !response.status().is_redirection() {
        return None;
    }
    let to = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(|v| crate::secrets::one_line(v, 120))
        .unwrap_or_else(|| "nowhere".into());
    Some(format!(
        "answered {} with a redirect to {to}, which is not followed (the API never redirects)",
        response.status().as_u16()
    ))
}
