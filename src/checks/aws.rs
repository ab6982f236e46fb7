//! The AWS checks: who the admin is, the key, its key policy, the role and its trust policy,
//! the role's permissions (evaluated locally), an encrypt/decrypt round trip, and rotation.
//! Credentials come from the standard AWS chain (environment, profiles, SSO, instance role).

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_sdk_kms::config::http::HttpResponse;
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType};

use super::policy::{self, Decision, KeyPolicyVerdict, Policy, TrustVerdict};
use super::{
    CannotCheck, CheckResult, CheckStatus, after, probe_bytes, timed_out, waiting, within,
};
use crate::guide::validate::{KmsArn, RoleArn};
use crate::guide::{Cloud, FieldError, FieldId, Inputs, SetupPath, validate};
use crate::identities::AWS_PRINCIPAL_ARN;

/// How the checks reach AWS.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// A named profile (`--profile`); otherwise `AWS_PROFILE` or the default chain.
    pub profile: Option<String>,
    pub timeout: Duration,
}

/// What the checks need from the recorded inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct AwsTarget {
    pub key: KmsArn,
    /// The key ARN behind an alias, as recorded.
    pub key_behind_alias: Option<KmsArn>,
    /// The role, once step 3 recorded it; until then its checks wait.
    pub role: Option<RoleArn>,
    pub external_id: String,
}

impl AwsTarget {
    /// Reads the recorded values; every refused field is returned.
    pub fn from_inputs(inputs: &Inputs, path: SetupPath) -> Result<AwsTarget, Vec<FieldError>> {
        Self::read(inputs, path, true)
    }

    /// Reads what is recorded so far: the key is needed, the role may come later.
    pub fn from_recorded(inputs: &Inputs, path: SetupPath) -> Result<AwsTarget, Vec<FieldError>> {
        Self::read(inputs, path, false)
    }

    fn read(inputs: &Inputs, path: SetupPath, whole: bool) -> Result<AwsTarget, Vec<FieldError>> {
        let key = inputs
            .validated(FieldId::KmsArn)
            .and_then(|v| validate::kms_arn(&v));
        let role = if whole || !inputs.effective(FieldId::RoleArn).trim().is_empty() {
            Some(
                inputs
                    .validated(FieldId::RoleArn)
                    .and_then(|v| validate::role_arn(&v)),
            )
        } else {
            None
        };
        let external_id = match path {
            SetupPath::Api => inputs.validated(FieldId::ExternalId),
            SetupPath::ChatGpt => inputs.validated(FieldId::OrgId),
        };
        let org = inputs.validated(FieldId::OrgId);
        let behind = match &key {
            Ok(k) if k.is_alias() && !inputs.raw(FieldId::KeyArn).trim().is_empty() => Some(
                inputs
                    .validated(FieldId::KeyArn)
                    .and_then(|v| validate::key_arn(&v)),
            ),
            _ => None,
        };
        let mut errors = Vec::new();
        errors.extend(org.err());
        errors.extend(key.as_ref().err().cloned());
        if let Some(Err(err)) = &role {
            errors.push(err.clone());
        }
        errors.extend(external_id.as_ref().err().cloned());
        if let Some(Err(err)) = &behind {
            errors.push(err.clone());
        }
        if !errors.is_empty() {
            return Err(crate::artifacts::dedup(errors));
        }
        Ok(AwsTarget {
            key: key.map_err(|e| vec![e])?,
            key_behind_alias: behind.and_then(Result::ok),
            role: role.transpose().map_err(|e| vec![e])?,
            external_id: external_id.map_err(|e| vec![e])?,
        })
    }
}

/// The host an AWS service is reached at: the endpoint override when one is set
/// (`AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`), else the public one.
fn aws_host(service: &str, region: &str) -> String {
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
fn host_of(permission: &str, region: &str) -> String {
    let service = permission.split(':').next().unwrap_or("aws");
    aws_host(service, region)
}

/// What an AWS error means for a check, in one plain sentence: a refused read, refused or
/// expired credentials, no answer, or an answer that could not be read all mean "could not
/// check" (never a setup fault, never SDK debug text); any other AWS error is the check's
/// failure, by its code and message.
fn describe_error<E: ProvideErrorMetadata + std::error::Error + 'static>(
    err: &SdkError<E, HttpResponse>,
    permission: &str,
    region: &str,
) -> (CheckStatus, String) {
    let host = host_of(permission, region);
    match err {
        SdkError::DispatchFailure(failure) => {
            let why = if failure.is_timeout() {
                "the connection timed out"
            } else if failure.is_io() {
                "the network, a proxy or a firewall stopped the connection"
            } else {
                "the request could not be sent"
            };
            return (
                CheckStatus::Unverified,
                format!("could not check: {host} could not be reached ({why})"),
            );
        }
        SdkError::TimeoutError(_) => {
            return (
                CheckStatus::Unverified,
                format!("could not check: {host} did not answer in time"),
            );
        }
        SdkError::ConstructionFailure(_) => {
            return (
                CheckStatus::Unverified,
                format!(
                    "could not check: the request to {host} could not be made (is a region set? `aws configure set region REGION`)"
                ),
            );
        }
        SdkError::ResponseError(response) => {
            return (
                CheckStatus::Unverified,
                format!(
                    "could not check: {host} answered HTTP {} with something that is not an AWS answer",
                    response.raw().status().as_u16()
                ),
            );
        }
        _ => {}
    }
    let message = crate::secrets::one_line(
        &crate::secrets::redact(err.message().unwrap_or("no message")),
        300,
    );
    match err.code() {
        Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation") => {
            let explicit = if message.contains("explicit deny") {
                " (an explicit deny: a service control policy, resource control policy or permissions boundary may be the cause)"
            } else {
                ""
            };
            (
                CheckStatus::Unverified,
                format!("could not check: your credentials lack {permission}{explicit}"),
            )
        }
        Some(
            code @ ("ExpiredToken"
            | "ExpiredTokenException"
            | "InvalidClientTokenId"
            | "UnrecognizedClientException"
            | "SignatureDoesNotMatch"
            | "IncompleteSignature"
            | "InvalidSignatureException"),
        ) => (
            CheckStatus::Unverified,
            format!(
                "could not check: AWS refused your credentials ({code}); sign in again: `aws sso login --profile NAME`, or `aws configure`"
            ),
        ),
        Some(code) => (CheckStatus::Fail, format!("{code}: {message}")),
        None => match err.raw_response() {
            Some(raw) => (
                CheckStatus::Unverified,
                format!(
                    "could not check: {host} answered HTTP {} with something that is not an AWS answer",
                    raw.status().as_u16()
                ),
            ),
            None => (
                CheckStatus::Unverified,
                format!("could not check: no answer from {host}"),
            ),
        },
    }
}

/// What the key check learned, for the checks that depend on it.
struct KeyFacts {
    arn: String,
    account: String,
}

impl KeyFacts {
    /// The key's region, the fourth part of its ARN.
    fn region(&self) -> &str {
        self.arn.split(':').nth(3).unwrap_or_default()
    }
}

/// Runs every AWS check. Fails as a whole only when there are no credentials at all.
/// Every result is also handed to `report` as soon as it is known, so a screen can show each
/// check as it finishes.
pub async fn run(
    target: &AwsTarget,
    options: &AwsOptions,
    report: &(dyn Fn(&CheckResult) + Sync),
) -> Result<Vec<CheckResult>, CannotCheck> {
    let reported = |result: CheckResult| {
        report(&result);
        result
    };
    refuse_plain_http_endpoints()?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
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
    // The key's ARN names its region: KMS is always asked there, whatever the profile says.
    let kms_config = aws_sdk_kms::config::Builder::from(&config)
        .region(aws_sdk_kms::config::Region::new(target.key.region.clone()))
        .build();
    let kms = aws_sdk_kms::Client::from_conf(kms_config);
    // IAM is global; it signs in us-east-1 when no region is set (aws-cn and aws-us-gov
    // keys name their own partition's region instead).
    let iam_region = config.region().cloned().unwrap_or_else(|| {
        let partition_region = if target.key.region.starts_with("cn-") {
            "cn-north-1"
        } else if target.key.region.starts_with("us-gov-") {
            "us-gov-west-1"
        } else {
            "us-east-1"
        };
        aws_sdk_iam::config::Region::new(partition_region)
    });
    let iam_config = aws_sdk_iam::config::Builder::from(&config)
        .region(iam_region)
        .build();
    let iam = aws_sdk_iam::Client::from_conf(iam_config);
    let sts_config = aws_sdk_sts::config::Builder::from(&config)
        .region(
            config
                .region()
                .cloned()
                .unwrap_or_else(|| aws_sdk_sts::config::Region::new(target.key.region.clone())),
        )
        .build();
    let sts = aws_sdk_sts::Client::from_conf(sts_config);
    let timeout = options.timeout;

    let role_exists = |role: &RoleArn| {
        CheckResult::new(
            "role",
            "Role exists",
            "role",
            CheckStatus::Pass,
            format!("{} exists", role.arn()),
        )
    };
    let (identity, (key_result, key_facts), role_result) = tokio::join!(
        async { reported(check_identity(&sts, target, timeout).await) },
        async {
            let (result, facts) = check_key(&kms, target, timeout).await;
            (reported(result), facts)
        },
        async {
            let Some(role) = &target.role else {
                let waits = waiting("role", "Role exists", "role", Cloud::Aws, FieldId::RoleArn);
                report(&waits);
                return Err(waits);
            };
            let result = check_role(&iam, target, role, timeout).await;
            match &result {
                Ok(trust) => {
                    report(&role_exists(role));
                    report(trust);
                }
                Err(missing) => report(missing),
            }
            result
        },
    );
    let (role_found, trust_result) = match role_result {
        Ok(trust) => (true, trust),
        Err(result) => (false, result),
    };
    let key_policy = async {
        match &key_facts {
            Some(facts) => check_key_policy(&kms, target, facts, timeout).await,
            None => after(
                &key_result,
                "key-policy",
                "Key policy",
                "restrictions",
                "the key",
            ),
        }
    };
    let permissions = async {
        match (&key_facts, &target.role) {
            (Some(facts), Some(role)) if role_found => {
                check_permissions(&iam, &kms, target, role, facts, timeout).await
            }
            (None, _) => after(
                &key_result,
                "permissions",
                "Role permissions",
                "iam-policy",
                "the key",
            ),
            (_, _) => after(
                &trust_result,
                "permissions",
                "Role permissions",
                "iam-policy",
                "the role",
            ),
        }
    };
    let round_trip = async {
        match &key_facts {
            Some(facts) => check_round_trip(&kms, facts, timeout).await,
            None => after(
                &key_result,
                "round-trip",
                "Encrypt and decrypt",
                "create-key",
                "the key",
            ),
        }
    };
    let rotation = async {
        match &key_facts {
            Some(facts) => check_rotation(&kms, facts, timeout).await,
            None => after(
                &key_result,
                "rotation",
                "Key rotation",
                "restrictions",
                "the key",
            ),
        }
    };
    let (key_policy, permissions, round_trip, rotation) = tokio::join!(
        async { reported(key_policy.await) },
        async { reported(permissions.await) },
        async { reported(round_trip.await) },
        async { reported(rotation.await) },
    );
    let role_exists = match &target.role {
        Some(role) if role_found => role_exists(role),
        _ => trust_result.clone(),
    };
    let mut results = vec![identity, key_result, key_policy, role_exists];
    if role_found {
        results.push(trust_result);
    } else {
        results.push(reported(after(
            &trust_result,
            "trust-policy",
            "Trust policy",
            "role",
            "the role",
        )));
    }
    results.extend([permissions, round_trip, rotation]);
    Ok(results)
}

/// An endpoint override (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`) must use https,
/// except to this machine; a value that is not UTF-8 is named rather than ignored.
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

async fn check_identity(
    sts: &aws_sdk_sts::Client,
    target: &AwsTarget,
    timeout: Duration,
) -> CheckResult {
    let (id, title, step) = ("identity", "Who you are", "create-key");
    let Some(answer) = within(timeout, sts.get_caller_identity().send()).await else {
        return timed_out(id, title, step, timeout);
    };
    match answer {
        Ok(me) => {
            let account = me.account().unwrap_or("?");
            let arn = me.arn().unwrap_or("?");
            let mut others = Vec::new();
            if target.key.account != account {
                others.push(format!("the key is in {}", target.key.account));
            }
            if let Some(role) = &target.role
                && role.account != account
            {
                others.push(format!("the role is in {}", role.account));
            }
            if others.is_empty() {
                CheckResult::new(
                    id,
                    title,
                    step,
                    CheckStatus::Pass,
                    format!("{arn} in account {account}"),
                )
            } else {
                CheckResult::new(
                    id,
                    title,
                    step,
                    CheckStatus::Warn,
                    format!(
                        "you are {arn} in account {account}, but {}: checks of another account may be refused",
                        others.join(" and ")
                    ),
                )
            }
        }
        Err(err) => {
            let (status, detail) =
                describe_error(&err, "sts:GetCallerIdentity", &target.key.region);
            CheckResult::new(id, title, step, status, detail)
        }
    }
}

async fn check_key(
    kms: &aws_sdk_kms::Client,
    target: &AwsTarget,
    timeout: Duration,
) -> (CheckResult, Option<KeyFacts>) {
    let (id, title, step) = ("key", "KMS key", "create-key");
    let Some(answer) = within(timeout, kms.describe_key().key_id(target.key.arn()).send()).await
    else {
        return (timed_out(id, title, step, timeout), None);
    };
    let described = match answer {
        Ok(described) => described,
        Err(err) => {
            let (status, detail) = match err.code() {
                Some("NotFoundException") => (
                    CheckStatus::Fail,
                    format!(
                        "no key {} in account {}, region {}: check the ARN, or create the key",
                        target.key.resource_part(),
                        target.key.account,
                        target.key.region
                    ),
                ),
                _ => describe_error(&err, "kms:DescribeKey", &target.key.region),
            };
            return (CheckResult::new(id, title, step, status, detail), None);
        }
    };
    let Some(meta) = described.key_metadata() else {
        return (
            CheckResult::new(id, title, step, CheckStatus::Fail, "AWS described no key"),
            None,
        );
    };
    let arn = meta.arn().unwrap_or_default().to_string();
    let facts = KeyFacts {
        account: meta
            .aws_account_id()
            .unwrap_or(&target.key.account)
            .to_string(),
        arn: arn.clone(),
    };
    let mut problems = Vec::new();
    match meta.key_state() {
        Some(KeyState::Enabled) => {}
        Some(state) => problems.push(format!(
            "the key is {} (it must be Enabled)",
            state.as_str()
        )),
        None => {}
    }
    if meta
        .key_spec()
        .is_some_and(|s| *s != KeySpec::SymmetricDefault)
    {
        problems.push(format!(
            "the key is {}, not a symmetric key (SYMMETRIC_DEFAULT): create a symmetric key",
            meta.key_spec().map(KeySpec::as_str).unwrap_or("?")
        ));
    }
    if meta
        .key_usage()
        .is_some_and(|u| *u != KeyUsageType::EncryptDecrypt)
    {
        problems.push(format!(
            "its usage is {}, not ENCRYPT_DECRYPT",
            meta.key_usage().map(KeyUsageType::as_str).unwrap_or("?")
        ));
    }
    if let Some(behind) = &target.key_behind_alias
        && behind.arn() != arn
    {
        problems.push(format!(
            "the alias points to {arn}, but the key recorded behind it is {}",
            behind.arn()
        ));
    }
    let alias_note = if target.key.is_alias() {
        format!(" ({} points to it)", target.key.resource_part())
    } else {
        String::new()
    };
    let result = if problems.is_empty() {
        CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Pass,
            format!("{arn}{alias_note}: enabled, symmetric, encrypt and decrypt"),
        )
    } else {
        CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Fail,
            format!("{arn}: {}", problems.join("; ")),
        )
    };
    (result, Some(facts))
}

async fn check_key_policy(
    kms: &aws_sdk_kms::Client,
    target: &AwsTarget,
    facts: &KeyFacts,
    timeout: Duration,
) -> CheckResult {
    let (id, title, step) = ("key-policy", "Key policy", "restrictions");
    let Some(answer) = within(
        timeout,
        kms.get_key_policy()
            .key_id(&facts.arn)
            .policy_name("default")
            .send(),
    )
    .await
    else {
        return timed_out(id, title, step, timeout);
    };
    let text = match answer {
        Ok(out) => out.policy().unwrap_or_default().to_string(),
        Err(err) => {
            let (status, detail) = describe_error(&err, "kms:GetKeyPolicy", facts.region());
            return CheckResult::new(id, title, step, status, detail);
        }
    };
    let policy = match Policy::parse(&text) {
        Ok(policy) => policy,
        Err(err) => {
            return CheckResult::new(
                id,
                title,
                step,
                CheckStatus::Warn,
                format!("the key policy could not be read: {err}"),
            );
        }
    };
    let role_arn = target.role.as_ref().map(RoleArn::arn);
    let verdict =
        policy::judge_key_policy(&policy, &facts.account, role_arn.as_deref().unwrap_or(""));
    if role_arn.is_none() && verdict != KeyPolicyVerdict::DelegatesToIam {
        return waiting(id, title, step, Cloud::Aws, FieldId::RoleArn);
    }
    match verdict {
        KeyPolicyVerdict::DelegatesToIam => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Pass,
            format!(
                "it grants arn:aws:iam::{}:root, so IAM policies decide",
                facts.account
            ),
        ),
        KeyPolicyVerdict::GrantsRole => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Pass,
            "it grants the role kms:Encrypt and kms:Decrypt itself",
        ),
        KeyPolicyVerdict::Neither => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Fail,
            format!(
                "it neither grants the account root (arn:aws:iam::{}:root) nor the role: the IAM policy alone has no effect. Add the statement of step 4",
                facts.account
            ),
        ),
        KeyPolicyVerdict::Denied(which) => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Fail,
            format!("{which} denies the role kms:Encrypt or kms:Decrypt"),
        ),
    }
}

/// Finds the role; on success returns the trust policy check, else the failed role check.
async fn check_role(
    iam: &aws_sdk_iam::Client,
    target: &AwsTarget,
    role: &RoleArn,
    timeout: Duration,
) -> Result<CheckResult, CheckResult> {
    let (id, title, step) = ("trust-policy", "Trust policy", "role");
    let Some(answer) = within(timeout, iam.get_role().role_name(&role.name).send()).await else {
        return Err(timed_out("role", "Role exists", "role", timeout));
    };
    let role = match answer {
        Ok(out) => out.role().cloned(),
        Err(err) => {
            let (status, detail) = match err.code() {
                Some("NoSuchEntity") => (
                    CheckStatus::Fail,
                    format!(
                        "no role named {} in account {}: check the role ARN, or create the role (step 3)",
                        role.name, role.account
                    ),
                ),
                _ => describe_error(&err, "iam:GetRole", ""),
            };
            return Err(CheckResult::new(
                "role",
                "Role exists",
                "role",
                status,
                detail,
            ));
        }
    };
    let Some(role) = role else {
        return Err(CheckResult::new(
            "role",
            "Role exists",
            "role",
            CheckStatus::Fail,
            "AWS returned no role",
        ));
    };
    let document = role.assume_role_policy_document().unwrap_or_default();
    let policy = match Policy::parse(document) {
        Ok(policy) => policy,
        Err(err) => {
            return Ok(CheckResult::new(
                id,
                title,
                step,
                CheckStatus::Fail,
                format!("the trust policy could not be read: {err}"),
            ));
        }
    };
    let expected = &target.external_id;
    Ok(match policy::judge_trust(&policy, expected) {
        TrustVerdict::Admits => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Pass,
            format!("{AWS_PRINCIPAL_ARN} may assume the role with sts:ExternalId {expected}"),
        ),
        TrustVerdict::Wildcard => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Fail,
            "it lets any AWS principal (\"*\") assume the role: trust only OpenAI's principal, with the ExternalId condition",
        ),
        TrustVerdict::OtherPrincipals(others) => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Fail,
            format!(
                "it trusts {} but not OpenAI's principal {AWS_PRINCIPAL_ARN}",
                if others.is_empty() {
                    "no one".to_string()
                } else {
                    others.join(", ")
                }
            ),
        ),
        TrustVerdict::NoExternalId => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Fail,
            format!(
                "OpenAI's principal is trusted without a StringEquals sts:ExternalId condition: add it with {expected}"
            ),
        ),
        TrustVerdict::WrongExternalId(found) => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Fail,
            format!(
                "sts:ExternalId is {} but OpenAI will present {expected}",
                found.join(", ")
            ),
        ),
        TrustVerdict::OtherOperator(operator) => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Fail,
            format!("sts:ExternalId is checked with {operator}; use StringEquals with {expected}"),
        ),
        TrustVerdict::Denied(which) => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Fail,
            format!("{which} denies OpenAI's principal sts:AssumeRole"),
        ),
    })
}

async fn role_policies(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<(String, Policy)>, (CheckStatus, String)> {
    // Managed and inline policies are fetched side by side, and each policy's documents at
    // once: the wall time is the longest chain (list, get, version), not the sum.
    let (managed, inline) = tokio::join!(managed_policies(iam, role), inline_policies(iam, role));
    let mut policies = managed?;
    policies.extend(inline?);
    Ok(policies)
}

async fn managed_policies(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<(String, Policy)>, (CheckStatus, String)> {
    let attached = iam
        .list_attached_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(|e| describe_error(&e, "iam:ListAttachedRolePolicies", ""))?;
    let fetches = attached.attached_policies().iter().filter_map(|managed| {
        let arn = managed.policy_arn()?.to_string();
        let name = managed.policy_name().unwrap_or(&arn).to_string();
        Some(async move {
            let policy = iam
                .get_policy()
                .policy_arn(&arn)
                .send()
                .await
                .map_err(|e| describe_error(&e, "iam:GetPolicy", ""))?;
            let Some(version) = policy.policy().and_then(|p| p.default_version_id()) else {
                return Ok(None);
            };
            let document = iam
                .get_policy_version()
                .policy_arn(&arn)
                .version_id(version)
                .send()
                .await
                .map_err(|e| describe_error(&e, "iam:GetPolicyVersion", ""))?;
            match document.policy_version().and_then(|v| v.document()) {
                Some(text) => Ok(Some((
                    name,
                    Policy::parse(text).map_err(|e| (CheckStatus::Fail, e))?,
                ))),
                None => Ok(None),
            }
        })
    });
    let mut policies = Vec::new();
    for fetched in futures::future::join_all(fetches).await {
        policies.extend(fetched?);
    }
    Ok(policies)
}

async fn inline_policies(
    iam: &aws_sdk_iam::Client,
    role: &str,
) -> Result<Vec<(String, Policy)>, (CheckStatus, String)> {
    let inline = iam
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(|e| describe_error(&e, "iam:ListRolePolicies", ""))?;
    let fetches = inline.policy_names().iter().map(|name| async move {
        let document = iam
            .get_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| describe_error(&e, "iam:GetRolePolicy", ""))?;
        Ok::<_, (CheckStatus, String)>((
            format!("{name} (inline)"),
            Policy::parse(document.policy_document()).map_err(|e| (CheckStatus::Fail, e))?,
        ))
    });
    futures::future::join_all(fetches)
        .await
        .into_iter()
        .collect()
}

async fn check_permissions(
    iam: &aws_sdk_iam::Client,
    kms: &aws_sdk_kms::Client,
    target: &AwsTarget,
    role: &RoleArn,
    facts: &KeyFacts,
    timeout: Duration,
) -> CheckResult {
    let (id, title, step) = ("permissions", "Role permissions", "iam-policy");
    let Some(found) = within(timeout, role_policies(iam, &role.name)).await else {
        return timed_out(id, title, step, timeout);
    };
    let named = match found {
        Ok(named) => named,
        Err((status, detail)) => return CheckResult::new(id, title, step, status, detail),
    };
    let policies: Vec<Policy> = named.iter().map(|(_, p)| p.clone()).collect();
    let mut missing = Vec::new();
    let mut conditional = Vec::new();
    for action in ["kms:Encrypt", "kms:Decrypt"] {
        match policy::evaluate(&policies, action, &facts.arn) {
            Decision::Allowed => {}
            Decision::AllowedUnderCondition(which) => {
                conditional.push(format!("{action} only under the condition of {which}"))
            }
            Decision::Denied(which) => {
                missing.push(format!("{action} is explicitly denied by {which}"))
            }
            Decision::NotAllowed => missing.push(format!("{action} is not allowed")),
        }
    }
    if missing.is_empty() && conditional.is_empty() {
        let names: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
        return CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Pass,
            format!(
                "{} allow kms:Encrypt and kms:Decrypt on {}",
                names.join(", "),
                facts.arn
            ),
        );
    }
    if missing.is_empty() {
        return CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Warn,
            format!(
                "allowed, but {}: make sure OpenAI's requests meet it",
                conditional.join("; ")
            ),
        );
    }
    // The key policy may grant the role directly, which is enough in the key's own account.
    let key_policy = within(
        timeout,
        kms.get_key_policy()
            .key_id(&facts.arn)
            .policy_name("default")
            .send(),
    )
    .await;
    let grants_role = match key_policy {
        Some(Ok(out)) => out
            .policy()
            .and_then(|text| Policy::parse(text).ok())
            .is_some_and(|p| {
                policy::judge_key_policy(&p, &facts.account, &role.arn())
                    == KeyPolicyVerdict::GrantsRole
            }),
        _ => false,
    };
    if grants_role && !missing.iter().any(|m| m.contains("denied")) {
        return CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Pass,
            "the key policy grants the role kms:Encrypt and kms:Decrypt directly",
        );
    }
    let alias_named = target.key.is_alias()
        && policies
            .iter()
            .flat_map(|p| p.statements.iter())
            .flat_map(|s| s.resources.iter().flatten())
            .any(|r| *r == target.key.arn());
    let mut detail = format!("{} on {}", missing.join("; "), facts.arn);
    if named.is_empty() {
        detail.push_str(": the role has no policy attached; attach the policy of step 2");
    } else if alias_named {
        detail.push_str(&format!(
            ": the policy names the alias {}, but IAM checks the key's own ARN; name {} instead",
            target.key.resource_part(),
            facts.arn
        ));
    }
    CheckResult::new(id, title, step, CheckStatus::Fail, detail)
}

async fn check_round_trip(
    kms: &aws_sdk_kms::Client,
    facts: &KeyFacts,
    timeout: Duration,
) -> CheckResult {
    let (id, title, step) = ("round-trip", "Encrypt and decrypt", "create-key");
    let plaintext = probe_bytes();
    let work = async {
        let encrypted = kms
            .encrypt()
            .key_id(&facts.arn)
            .plaintext(Blob::new(plaintext.clone()))
            .send()
            .await
            .map_err(|e| describe_error(&e, "kms:Encrypt", facts.region()))?;
        let blob = encrypted
            .ciphertext_blob()
            .cloned()
            .ok_or((CheckStatus::Fail, "no ciphertext came back".to_string()))?;
        let decrypted = kms
            .decrypt()
            .ciphertext_blob(blob)
            .key_id(&facts.arn)
            .send()
            .await
            .map_err(|e| describe_error(&e, "kms:Decrypt", facts.region()))?;
        Ok::<_, (CheckStatus, String)>(decrypted.plaintext().map(|p| p.as_ref().to_vec()))
    };
    match within(timeout, work).await {
        None => timed_out(id, title, step, timeout),
        Some(Ok(Some(back))) if back == plaintext => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Pass,
            "a random value encrypted and decrypted back unchanged (with your credentials)",
        ),
        Some(Ok(_)) => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Fail,
            "the value decrypted differs from the one encrypted",
        ),
        Some(Err((status, detail))) => CheckResult::new(id, title, step, status, detail),
    }
}

async fn check_rotation(
    kms: &aws_sdk_kms::Client,
    facts: &KeyFacts,
    timeout: Duration,
) -> CheckResult {
    let (id, title, step) = ("rotation", "Key rotation", "restrictions");
    match within(
        timeout,
        kms.get_key_rotation_status().key_id(&facts.arn).send(),
    )
    .await
    {
        None => timed_out(id, title, step, timeout),
        Some(Ok(out)) if out.key_rotation_enabled() => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Pass,
            "automatic rotation is on",
        ),
        Some(Ok(_)) => CheckResult::new(
            id,
            title,
            step,
            CheckStatus::Warn,
            "automatic rotation is off: turning it on is advised (step 4), and does not interrupt OpenAI",
        ),
        Some(Err(err)) => {
            let (status, detail) = describe_error(&err, "kms:GetKeyRotationStatus", facts.region());
            CheckResult::new(
                id,
                title,
                step,
                if status == CheckStatus::Fail {
                    CheckStatus::Warn
                } else {
                    status
                },
                detail,
            )
        }
    }
}
