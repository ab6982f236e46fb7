//! Signing in to AWS: credentials from the standard chain (environment, profiles, SSO, instance
//! role), the hosts a service is reached at, the endpoint overrides allowed (https, or plain
//! http only to this machine) with no proxy for loopback, and how an unanswered call is said.
//! The checks and apply both sign in here.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::fields::KmsArn;
use crate::checks::{CannotCheck, CheckOptions, within};

/// The host an AWS service is reached at: the endpoint override when one is set
/// (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`), else the public one.
pub(super) fn aws_host(service: &str, region: &str) -> String {
    let specific = format!("AWS_ENDPOINT_URL_{}", service.to_ascii_uppercase());
    for var in [specific.as_str(), "AWS_ENDPOINT_URL"] {
        if let Ok(url) = std::env::var(var)
            && let Ok(parsed) = reqwest::Url::parse(url.trim())
            && let Some(host) = parsed.host_str()
        {
            return match parsed.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            };
        }
    }
    match service {
        "iam" => "iam.amazonaws.com".into(),
        _ => format!("{service}.{region}.amazonaws.com"),
    }
}

/// The host a permission's service is reached at, for the words of a network failure.
pub(super) fn host_of(permission: &str, region: &str) -> String {
    let service = permission.split(':').next().unwrap_or("aws");
    aws_host(service, region)
}

/// The kind of failure of a request that got no answer (no connection, a timeout), read from
/// the SDK's error and what lies under it; `None` when AWS answered.
fn reach_failure<E: std::error::Error + 'static, R: std::fmt::Debug>(
    err: &SdkError<E, R>,
) -> Option<crate::net::Unreachable> {
    use crate::net::Unreachable;
    match err {
        SdkError::DispatchFailure(failure) if failure.is_timeout() => Some(Unreachable::TimedOut),
        SdkError::DispatchFailure(failure) => Some(
            failure
                .as_connector_error()
                .and_then(|connector| Unreachable::of(connector))
                .unwrap_or(Unreachable::Other),
        ),
        SdkError::TimeoutError(_) => Some(Unreachable::TimedOut),
        _ => None,
    }
}

/// The one sentence for a request to `host` that got no answer; `None` when AWS answered.
pub(super) fn unreachable<E: std::error::Error + 'static, R: std::fmt::Debug>(
    err: &SdkError<E, R>,
    host: &str,
) -> Option<String> {
    reach_failure(err).map(|kind| kind.sentence(host))
}

/// What AWS answered, in a few words (its code and message), or the kind of failure when no
/// answer came: never the SDK's debug text.
pub(super) fn service_said<
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
>(
    err: &SdkError<E, R>,
) -> String {
    match err.as_service_error() {
        Some(service) => format!(
            "{}: {}",
            service.code().unwrap_or("error"),
            crate::secrets::one_line(
                &crate::secrets::redact(service.message().unwrap_or_default()),
                300
            )
        ),
        None => match err {
            _ if reach_failure(err).is_some() => format!(
                "no answer: {}",
                reach_failure(err).map(|k| k.words()).unwrap_or_default()
            ),
            SdkError::ConstructionFailure(_) => "the request could not be made".into(),
            SdkError::ResponseError(_) => "an answer that is not AWS's".into(),
            _ => "an error without a code".into(),
        },
    }
}

/// The SDK's configuration with the admin's credentials found and proved to load (from the
/// standard chain, or `options.profile`); fails as a whole when there are none.
pub(super) async fn signed_in(
    options: &CheckOptions,
) -> Result<aws_config::SdkConfig, CannotCheck> {
    refuse_plain_http_endpoints()?;
    // Every call (its retries included) gives up a little before the caller's window closes,
    // so that what is said is the SDK's timeout, which names the host, not a bare "no answer";
    // and a server that accepts and never answers cannot hold a call that has no window.
    let window = options
        .timeout
        .saturating_sub(options.timeout / 10)
        .max(Duration::from_millis(100));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            aws_config::timeout::TimeoutConfig::builder()
                .connect_timeout(window.min(Duration::from_secs(5)))
                .operation_timeout(window)
                .build(),
        )
        // Retries are spaced to fit in the window, so that a failure that repeats (a refused
        // connection, a TLS failure) is said as itself, not as the timeout that cut its retries.
        .retry_config(aws_config::retry::RetryConfig::standard().with_initial_backoff(window / 10));
    if endpoints_are_loopback() {
        loader = loader.http_client(client_without_proxy());
    }
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    let config = loader.load().await;
    let profile = options
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .filter(|p| !p.trim().is_empty());
    let Some(provider) = config.credentials_provider() else {
        return Err(no_credentials(
            "no credential source is configured",
            profile.as_deref(),
        ));
    };
    use aws_credential_types::provider::ProvideCredentials;
    use aws_credential_types::provider::error::CredentialsError;
    match within(options.timeout, provider.provide_credentials()).await {
        Some(Ok(_)) => {}
        Some(Err(CredentialsError::CredentialsNotLoaded(_))) => {
            return Err(no_credentials(
                "none of the sources had any: environment variables, the shared config and credentials files, SSO, the instance role",
                profile.as_deref(),
            ));
        }
        Some(Err(err)) => {
            let text = DisplayErrorContext(&err).to_string().to_ascii_lowercase();
            let reason = if text.contains("expired") || text.contains("sso") {
                "the SSO session has expired or was never started"
            } else if text.contains("timed out") || text.contains("timeout") {
                "a credential source did not answer in time"
            } else if text.contains("profile") {
                "the profile could not be used (missing, or set up incompletely)"
            } else {
                "the configured credential source gave none"
            };
            return Err(no_credentials(reason, profile.as_deref()));
        }
        None => {
            return Err(no_credentials(
                "looking for credentials took too long",
                profile.as_deref(),
            ));
        }
    }
    Ok(config)
}

/// Whether an endpoint override sends AWS requests to this machine (an emulator).
fn endpoints_are_loopback() -> bool {
    std::env::vars()
        .filter(|(name, _)| name.starts_with("AWS_ENDPOINT_URL"))
        .any(|(_, value)| {
            reqwest::Url::parse(value.trim()).is_ok_and(|url| crate::net::is_loopback(&url))
        })
}

/// The SDK's own HTTPS client (rustls with aws-lc), with every proxy turned off: loopback
/// traffic never goes through a proxy, whatever the environment says.
fn client_without_proxy() -> aws_sdk_kms::config::SharedHttpClient {
    use aws_smithy_http_client::{Builder, Connector, proxy::ProxyConfig, tls};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut builder = Connector::builder()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .proxy_config(ProxyConfig::disabled());
        builder.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            builder.set_sleep_impl(components.sleep_impl());
        }
        builder.build()
    })
}

/// An endpoint override (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`) must use https,
/// except to this machine; a value that is not UTF-8 is named rather than ignored.
pub fn refuse_plain_http_endpoints() -> Result<(), CannotCheck> {
    for (name, value) in std::env::vars_os() {
        let Some(name) = name.to_str().map(str::to_string) else {
            continue;
        };
        if !name.starts_with("AWS_ENDPOINT_URL") {
            continue;
        }
        let Some(value) = value.to_str() else {
            return Err(CannotCheck(format!(
                "{name} is not valid UTF-8; expected https://host[:port] or http://127.0.0.1:port"
            )));
        };
        if value.trim().is_empty() {
            continue;
        }
        match reqwest::Url::parse(value.trim()) {
            Ok(url) if url.scheme() == "https" => {}
            Ok(url) if url.scheme() == "http" && crate::net::is_loopback(&url) => {}
            _ => {
                return Err(CannotCheck(format!(
                    "{name} must be an https URL (plain http only to this machine), not `{}`",
                    crate::secrets::one_line(value, 120)
                )));
            }
        }
    }
    Ok(())
}

fn no_credentials(reason: &str, profile: Option<&str>) -> CannotCheck {
    let sign_in = match profile {
        Some(name) => format!("`aws sso login --profile {name}` (or `aws configure --profile {name}`)"),
        None => "`aws sso login --profile NAME` then AWS_PROFILE=NAME, or `aws configure`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".into(),
    };
    CannotCheck(format!(
        "Could not check: no usable AWS credentials ({reason}). Sign in first: {sign_in}; --profile picks a named profile."
    ))
}

/// The KMS client for a key: the key's ARN names its region, and KMS is always asked there,
/// whatever the profile says.
pub(super) fn kms_for(config: &aws_config::SdkConfig, key: &KmsArn) -> aws_sdk_kms::Client {
    let kms_config = aws_sdk_kms::config::Builder::from(config)
        .region(aws_sdk_kms::config::Region::new(key.region.clone()))
        .build();
    aws_sdk_kms::Client::from_conf(kms_config)
}
