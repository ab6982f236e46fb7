//! One network policy for every HTTP client of the wizard: loopback never goes through a
//! proxy, redirects are never followed (none is needed, and one could lead off the host or to
//! plain http), and an answer's body is read up to a cap, whatever the server sends. And one
//! way to say that a host could not be reached: which host, and which kind of failure (name
//! lookup, refused, timed out, TLS, proxy), never a library's debug text.

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

/// Why a request got no answer from its host: the failure happened on the way, before any
/// service could say yes or no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreachable {
    /// The host's name could not be looked up (DNS).
    NameLookup,
    /// Nothing accepted the connection (no server on that port, or a firewall refusing it).
    Refused,
    /// No connection, or no answer, in the time allowed.
    TimedOut,
    /// The secure connection could not be set up (a certificate not trusted, a proxy that
    /// inspects TLS, a server that does not speak https).
    Tls,
    /// The proxy in between failed or refused.
    Proxy,
    /// The connection was closed or reset before the answer came.
    Dropped,
    /// The network failed in another way.
    Other,
}

/// How each kind is said; the first words are the kind itself, searched for by `explain`.
const KINDS: [(Unreachable, &str, &str); 7] = [
    (
        Unreachable::NameLookup,
        "name lookup failed",
        "DNS: check the host name and this machine's DNS or VPN",
    ),
    (
        Unreachable::Refused,
        "connection refused",
        "nothing listens there, or a firewall refuses it",
    ),
    (
        Unreachable::TimedOut,
        "timed out",
        "no answer in time: a firewall, proxy or VPN may be dropping it",
    ),
    (
        Unreachable::Tls,
        "TLS failed",
        "the secure connection could not be set up: a proxy that inspects TLS needs its certificate trusted, or the address is not https",
    ),
    (
        Unreachable::Proxy,
        "proxy failed",
        "the proxy in HTTPS_PROXY or ALL_PROXY refused or failed: check its address and credentials",
    ),
    (
        Unreachable::Dropped,
        "connection closed",
        "the connection was cut before an answer: a proxy, firewall or unstable network",
    ),
    (Unreachable::Other, "network failed", LOCAL_NETWORK_ADVICE),
];

/// Words in an error's text that name its kind, in the order they are tried (the most
/// telling first: a failed proxy or name lookup often surfaces as a refusal or a timeout).
const TEXT_SIGNS: [(Unreachable, &[&str]); 6] = [
    (Unreachable::Proxy, &["proxy", "tunnel"]),
    (
        Unreachable::NameLookup,
        &[
            "dns error",
            "failed to lookup address",
            "name or service not known",
            "nodename nor servname",
            "no address associated",
            "temporary failure in name resolution",
            "name resolution",
            "getaddrinfo",
            "no such host",
            "could not resolve",
            "enotfound",
        ],
    ),
    (
        Unreachable::Tls,
        &[
            "certificate",
            "tls",
            "ssl",
            "handshake",
            "corrupt message",
            "invalidcontenttype",
            "wrong version number",
            "peer sent",
            "unknownissuer",
        ],
    ),
    (
        Unreachable::Refused,
        &["connection refused", "econnrefused", "actively refused"],
    ),
    (
        Unreachable::TimedOut,
        &[
            "timed out",
            "timeout",
            "deadline has elapsed",
            "etimedout",
            "did not answer in time",
        ],
    ),
    (
        Unreachable::Dropped,
        &[
            "connection reset",
            "connection closed",
            "connection aborted",
            "broken pipe",
            "unexpected eof",
            "incomplete message",
            "econnreset",
        ],
    ),
];

impl Unreachable {
    /// The kind in a few words: "connection refused".
    pub fn words(self) -> &'static str {
        KINDS
            .iter()
            .find(|(kind, _, _)| *kind == self)
            .map(|(_, words, _)| *words)
            .unwrap_or("network failed")
    }

    /// What the admin can look at for this kind.
    pub fn hint(self) -> &'static str {
        KINDS
            .iter()
            .find(|(kind, _, _)| *kind == self)
            .map(|(_, _, hint)| *hint)
            .unwrap_or_default()
    }

    /// The kind a text names, if it names one (an error's message, or what an admin pasted).
    pub fn in_text(text: &str) -> Option<Unreachable> {
        let lower = text.to_ascii_lowercase();
        TEXT_SIGNS
            .iter()
            .find(|(_, signs)| signs.iter().any(|sign| lower.contains(sign)))
            .map(|(kind, _)| *kind)
    }

    /// The kind of a network failure, read from an error and every error under it
    /// (`source()`): the system's error kinds first, then the words of each message.
    /// `None` when nothing in the chain is a network failure (a service's answer, say).
    pub fn of(err: &(dyn std::error::Error + 'static)) -> Option<Unreachable> {
        let mut chain = Vec::new();
        let mut next = Some(err);
        while let Some(current) = next {
            chain.push(current);
            next = current.source();
        }
        // A library error that knows it timed out says so, whatever is under it.
        for current in &chain {
            if let Some(http) = current.downcast_ref::<reqwest::Error>()
                && http.is_timeout()
            {
                return Some(Unreachable::TimedOut);
            }
        }
        // The words of every message, most telling kind first (a proxy or a name lookup
        // explains a refusal under it), then the system's own kind of an I/O error.
        // (An HTTP client's own message names the URL, whose host could hold any word.)
        let text: Vec<String> = chain
            .iter()
            .filter(|e| !e.is::<reqwest::Error>())
            .map(|e| e.to_string())
            .collect();
        if let Some(kind) = Unreachable::in_text(&text.join(" | ")) {
            return Some(kind);
        }
        for current in &chain {
            if let Some(io) = current.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind;
                match io.kind() {
                    ErrorKind::ConnectionRefused => return Some(Unreachable::Refused),
                    ErrorKind::TimedOut => return Some(Unreachable::TimedOut),
                    ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::NotConnected => return Some(Unreachable::Dropped),
                    _ => return Some(Unreachable::Other),
                }
            }
        }
        None
    }

    /// The one sentence for a host that could not be reached:
    /// "could not reach kms.us-east-1.amazonaws.com: connection refused (…)".
    pub fn sentence(self, host: &str) -> String {
        format!("{REACH_PREFIX}{host}: {} ({})", self.words(), self.hint())
    }
}

/// How every "could not reach" sentence begins.
pub const REACH_PREFIX: &str = "could not reach ";

/// The sentence for a failed HTTP request to `host`: its kind read from the error.
pub fn could_not_reach(host: &str, err: &(dyn std::error::Error + 'static)) -> String {
    Unreachable::of(err)
        .unwrap_or(Unreachable::Other)
        .sentence(host)
}

/// A host that could not be reached, found in a text that holds the wizard's own sentence
/// for it: the host and the kind. Any case; the host may carry a port and "(through …)".
pub fn reach_failure_in(text: &str) -> Option<(String, Unreachable)> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(REACH_PREFIX) {
        let start = from + found + REACH_PREFIX.len();
        from = start;
        let rest = &text[start..];
        let Some(colon) = rest.find(": ") else {
            continue;
        };
        let host = rest[..colon].trim();
        let after = rest[colon + 2..].to_ascii_lowercase();
        let Some((kind, _, _)) = KINDS
            .iter()
            .find(|(_, words, _)| after.starts_with(&words.to_ascii_lowercase()))
        else {
            continue;
        };
        if !host.is_empty() && !host.contains(char::is_control) {
            return Some((host.to_string(), *kind));
        }
    }
    None
}

/// What to check when this machine reached nothing: said the same everywhere.
pub const LOCAL_NETWORK_ADVICE: &str = "check this machine's network, proxy, DNS and firewall";

/// Whether a text says a host could not be reached (the wizard's own sentence).
pub fn is_unreachable(text: &str) -> bool {
    reach_failure_in(text).is_some()
}

/// The host (and port, when one is given) a request to `url` connects to, for messages.
pub fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("the host");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn failure(url: &str, timeout: Duration) -> reqwest::Error {
        runtime()
            .block_on(async {
                let client = client_builder(timeout, true).build().unwrap();
                client.get(url).send().await
            })
            .expect_err("no server should answer")
    }

    #[test]
    fn a_closed_port_is_a_refused_connection() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = failure(&format!("http://127.0.0.1:{port}/"), Duration::from_secs(5));
        assert_eq!(Unreachable::of(&err), Some(Unreachable::Refused));
        let said = could_not_reach(&format!("127.0.0.1:{port}"), &err);
        assert!(
            said.starts_with(&format!(
                "could not reach 127.0.0.1:{port}: connection refused"
            )),
            "{said}"
        );
        assert_eq!(
            reach_failure_in(&format!("error: {said}")),
            Some((format!("127.0.0.1:{port}"), Unreachable::Refused))
        );
    }

    #[test]
    fn a_server_that_never_answers_times_out() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let err = failure(
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_millis(300),
        );
        drop(listener);
        assert_eq!(Unreachable::of(&err), Some(Unreachable::TimedOut));
    }

    #[test]
    fn plain_http_where_https_is_expected_is_a_tls_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut buffer = [0u8; 512];
                let _ = stream.read(&mut buffer);
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
            }
        });
        let err = failure(
            &format!("https://127.0.0.1:{port}/"),
            Duration::from_secs(5),
        );
        let _ = server.join();
        assert_eq!(Unreachable::of(&err), Some(Unreachable::Tls), "{err:?}");
    }

    #[test]
    fn the_systems_words_for_a_failed_lookup_and_a_proxy_are_read() {
        let lookup = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        assert_eq!(Unreachable::of(&lookup), Some(Unreachable::NameLookup));
        let proxy = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            "unsuccessful tunnel through the proxy",
        );
        assert_eq!(Unreachable::of(&proxy), Some(Unreachable::Proxy));
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(Unreachable::of(&reset), Some(Unreachable::Dropped));
        let service = std::fmt::Error;
        assert_eq!(Unreachable::of(&service), None);
    }

    #[test]
    fn every_kind_is_found_again_in_its_sentence() {
        for (kind, _, _) in KINDS {
            let said = kind.sentence("iam.googleapis.com (through 127.0.0.1:9)");
            assert_eq!(
                reach_failure_in(&said),
                Some(("iam.googleapis.com (through 127.0.0.1:9)".to_string(), kind)),
                "{said}"
            );
        }
        assert!(!is_unreachable(
            "could not reach a decision: the policy is ambiguous"
        ));
        assert!(!is_unreachable("AccessDenied: not authorized"));
    }
}
