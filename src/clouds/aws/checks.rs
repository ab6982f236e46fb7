//! The AWS checks, performed one at a time: who the admin is, the key, its key policy, the
//! role and its trust policy, the role's permissions (evaluated locally), an encrypt/decrypt
//! round trip, and rotation. The plan is in `plan.rs`, the sign-in in `session.rs`.

use std::time::Duration;

use aws_sdk_kms::config::http::HttpResponse;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType};

use super::policy::{self, Decision, KeyPolicyConcern, KeyPolicyVerdict, Policy, TrustVerdict};
use std::sync::OnceLock;

use super::OPENAI_PRINCIPAL_ARN;
use super::fields::RoleArn;
use super::ids::*;
use super::plan::*;
use super::session::{host_of, kms_for, signed_in, unreachable};
use super::switch::AwsKeySwitch;
use super::target::AwsTarget;
use crate::checks::{
    CannotCheck, CheckOptions, CheckSession, CheckStatus, CheckTarget, Finding, probe_bytes, within,
};
use crate::guide::CheckId;
use crate::guide::plan::KeySwitch;

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
    if let Some(sentence) = unreachable(err, &host) {
        return (
            CheckStatus::Unverified,
            format!("could not check: {sentence}"),
        );
    }
    match err {
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

/// The clients of one run, and what earlier checks learned for later ones.
struct AwsSession<'a> {
    target: &'a AwsTarget,
    kms: aws_sdk_kms::Client,
    iam: aws_sdk_iam::Client,
    sts: aws_sdk_sts::Client,
    /// The key's facts, once the key check found it.
    key: OnceLock<KeyFacts>,
    /// The trust policy's finding, once the role check read the role.
    trust: OnceLock<Finding>,
}

#[async_trait::async_trait]
impl CheckTarget for AwsTarget {
    /// Finds credentials in the standard chain. Fails as a whole only when there are none.
    async fn connect(
        &self,
        options: &CheckOptions,
    ) -> Result<Box<dyn CheckSession + '_>, CannotCheck> {
        let config = signed_in(options).await?;
        let kms = kms_for(&config, &self.key);
        // IAM is global; it signs in us-east-1 when no region is set (aws-cn and aws-us-gov
        // keys name their own partition's region instead).
        let iam_region = config.region().cloned().unwrap_or_else(|| {
            let partition_region = if self.key.region.starts_with("cn-") {
                "cn-north-1"
            } else if self.key.region.starts_with("us-gov-") {
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
                    .unwrap_or_else(|| aws_sdk_sts::config::Region::new(self.key.region.clone())),
            )
            .build();
        let sts = aws_sdk_sts::Client::from_conf(sts_config);
        Ok(Box::new(AwsSession {
            target: self,
            kms,
            iam,
            sts,
            key: OnceLock::new(),
            trust: OnceLock::new(),
        }))
    }

    async fn key_switch(
        &self,
        options: &CheckOptions,
    ) -> Result<Box<dyn KeySwitch + '_>, CannotCheck> {
        Ok(Box::new(AwsKeySwitch::connect(self, options).await?))
    }
}

#[async_trait::async_trait]
impl CheckSession for AwsSession<'_> {
    async fn perform(&self, check: CheckId, timeout: Duration) -> Finding {
        let target = self.target;
        let key = || {
            self.key
                .get()
                .ok_or_else(|| Finding::unverified("could not check: the key was not read"))
        };
        let role = || {
            target
                .role
                .as_ref()
                .ok_or_else(|| crate::checks::waiting_for(super::cloud(), ROLE_ARN))
        };
        let outcome = match check {
            CHECK_IDENTITY => Ok(check_identity(&self.sts, target, timeout).await),
            CHECK_KEY => {
                let (finding, facts) = check_key(&self.kms, target, timeout).await;
                if let Some(facts) = facts {
                    let _ = self.key.set(facts);
                }
                Ok(finding)
            }
            CHECK_KEY_POLICY => match key() {
                Ok(facts) => Ok(check_key_policy(&self.kms, target, facts, timeout).await),
                Err(f) => Err(f),
            },
            CHECK_ROLE => match role() {
                Ok(role) => Ok(match check_role(&self.iam, target, role, timeout).await {
                    Ok(trust) => {
                        let _ = self.trust.set(trust);
                        Finding::pass(format!("{} exists", role.arn()))
                    }
                    Err(missing) => missing,
                }),
                Err(f) => Err(f),
            },
            CHECK_TRUST_POLICY => {
                Ok(self.trust.get().cloned().unwrap_or_else(|| {
                    Finding::unverified("could not check: the role was not read")
                }))
            }
            CHECK_PERMISSIONS => match (key(), role()) {
                (Ok(facts), Ok(role)) => {
                    Ok(check_permissions(&self.iam, &self.kms, target, role, facts, timeout).await)
                }
                (Err(f), _) | (_, Err(f)) => Err(f),
            },
            CHECK_ROUND_TRIP => match key() {
                Ok(facts) => Ok(check_round_trip(&self.kms, facts, timeout).await),
                Err(f) => Err(f),
            },
            CHECK_ROTATION => match key() {
                Ok(facts) => Ok(check_rotation(&self.kms, facts, timeout).await),
                Err(f) => Err(f),
            },
            other => Err(Finding::unverified(format!("{other} is not an AWS check"))),
        };
        outcome.unwrap_or_else(|finding| finding)
    }
}

async fn check_identity(
    sts: &aws_sdk_sts::Client,
    target: &AwsTarget,
    timeout: Duration,
) -> Finding {
    let Some(answer) = within(timeout, sts.get_caller_identity().send()).await else {
        return Finding::timed_out(timeout);
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
                Finding::new(CheckStatus::Pass, format!("{arn} in account {account}"))
            } else {
                Finding::new(
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
            Finding::new(status, detail)
        }
    }
}

async fn check_key(
    kms: &aws_sdk_kms::Client,
    target: &AwsTarget,
    timeout: Duration,
) -> (Finding, Option<KeyFacts>) {
    let Some(answer) = within(timeout, kms.describe_key().key_id(target.key.arn()).send()).await
    else {
        return (Finding::timed_out(timeout), None);
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
            return (Finding::new(status, detail), None);
        }
    };
    let Some(meta) = described.key_metadata() else {
        return (
            Finding::new(CheckStatus::Fail, "AWS described no key"),
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
        Finding::new(
            CheckStatus::Pass,
            format!("{arn}{alias_note}: enabled, symmetric, encrypt and decrypt"),
        )
    } else {
        Finding::new(CheckStatus::Fail, format!("{arn}: {}", problems.join("; ")))
    };
    (result, Some(facts))
}

async fn check_key_policy(
    kms: &aws_sdk_kms::Client,
    target: &AwsTarget,
    facts: &KeyFacts,
    timeout: Duration,
) -> Finding {
    let Some(answer) = within(
        timeout,
        kms.get_key_policy()
            .key_id(&facts.arn)
            .policy_name("default")
            .send(),
    )
    .await
    else {
        return Finding::timed_out(timeout);
    };
    let text = match answer {
        Ok(out) => out.policy().unwrap_or_default().to_string(),
        Err(err) => {
            let (status, detail) = describe_error(&err, "kms:GetKeyPolicy", facts.region());
            return Finding::new(status, detail);
        }
    };
    let policy = match Policy::parse(&text) {
        Ok(policy) => policy,
        Err(err) => {
            return Finding::new(
                CheckStatus::Warn,
                format!("the key policy could not be read: {err}"),
            );
        }
    };
    let role_arn = target.role.as_ref().map(RoleArn::arn);
    let verdict =
        policy::judge_key_policy(&policy, &facts.account, role_arn.as_deref().unwrap_or(""));
    if role_arn.is_none() && verdict != KeyPolicyVerdict::DelegatesToIam {
        return crate::checks::waiting_for(super::cloud(), ROLE_ARN);
    }
    let concerns = policy::key_policy_concerns(&policy);
    let deleted: Vec<String> = concerns
        .iter()
        .filter_map(|c| match c {
            KeyPolicyConcern::DeletedRole { statement, id } => Some(format!("{statement} ({id})")),
            _ => None,
        })
        .collect();
    let finding = match verdict {
        KeyPolicyVerdict::DelegatesToIam => Finding::new(
            CheckStatus::Pass,
            format!(
                "it grants arn:aws:iam::{}:root, so IAM policies decide",
                facts.account
            ),
        ),
        KeyPolicyVerdict::GrantsRole => Finding::new(
            CheckStatus::Pass,
            "it grants the role kms:Encrypt and kms:Decrypt itself",
        ),
        KeyPolicyVerdict::Neither if !deleted.is_empty() => Finding::new(
            CheckStatus::Fail,
            format!(
                "{} {} a role by the unique id AWS shows once that role is deleted: a role made again under the same name is not the old one, and the key policy grants it nothing. Name the role again in the key policy (step 4's statement grants {})",
                deleted.join(", "),
                if deleted.len() == 1 { "names" } else { "name" },
                role_arn.as_deref().unwrap_or("the role")
            ),
        ),
        KeyPolicyVerdict::Neither => Finding::new(
            CheckStatus::Fail,
            format!(
                "it neither grants the account root (arn:aws:iam::{}:root) nor the role: the IAM policy alone has no effect. Add the statement of step 4",
                facts.account
            ),
        ),
        KeyPolicyVerdict::Denied(which) => Finding::new(
            CheckStatus::Fail,
            format!("{which} denies the role kms:Encrypt or kms:Decrypt"),
        ),
    };
    key_policy_warnings(finding, &concerns)
}

/// A passing key policy check turned into a warning by what else the key policy grants.
fn key_policy_warnings(finding: Finding, concerns: &[KeyPolicyConcern]) -> Finding {
    if finding.status != CheckStatus::Pass || concerns.is_empty() {
        return finding;
    }
    let said: Vec<String> = concerns
        .iter()
        .map(|concern| match concern {
            KeyPolicyConcern::Anyone { statement, conditional: false } => format!(
                "{statement} grants kms:Encrypt or kms:Decrypt to anyone (\"*\")"
            ),
            KeyPolicyConcern::Anyone { statement, conditional: true } => format!(
                "{statement} grants kms:Encrypt or kms:Decrypt to anyone (\"*\") under conditions this check does not judge"
            ),
            KeyPolicyConcern::OpenAiDirectly { statement, principal } => format!(
                "{statement} grants kms:Encrypt or kms:Decrypt to OpenAI's account directly ({principal}): that bypasses your role and its ExternalId, so OpenAI could use the key for any organization, and revoking the role would not revoke it"
            ),
            KeyPolicyConcern::DeletedRole { statement, id } => format!(
                "{statement} names {id}, the unique id AWS shows for a role since deleted: a role made again under the same name is not the old one (harmless here, but name the role again if that grant was meant for it)"
            ),
        })
        .collect();
    Finding::new(
        CheckStatus::Warn,
        format!(
            "{}; but the key policy grants more than the guide: {}",
            finding.detail,
            said.join("; ")
        ),
    )
}

/// Finds the role; on success returns the trust policy check, else the failed role check.
async fn check_role(
    iam: &aws_sdk_iam::Client,
    target: &AwsTarget,
    role: &RoleArn,
    timeout: Duration,
) -> Result<Finding, Finding> {
    let Some(answer) = within(timeout, iam.get_role().role_name(&role.name).send()).await else {
        return Err(Finding::timed_out(timeout));
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
            return Err(Finding::new(status, detail));
        }
    };
    let Some(role) = role else {
        return Err(Finding::new(CheckStatus::Fail, "AWS returned no role"));
    };
    let document = role.assume_role_policy_document().unwrap_or_default();
    let policy = match Policy::parse(document) {
        Ok(policy) => policy,
        Err(err) => {
            return Ok(Finding::new(
                CheckStatus::Fail,
                format!("the trust policy could not be read: {err}"),
            ));
        }
    };
    let expected = &target.external_id;
    Ok(trust_finding(
        policy::judge_trust(&policy, expected),
        expected,
    ))
}

/// The trust policy check's finding for a verdict: a statement letting OpenAI's principal (or
/// anyone) in without exactly the organization's ExternalId fails, naming it; statements for
/// other principals warn.
fn trust_finding(verdict: TrustVerdict, expected: &str) -> Finding {
    let named = |admissions: &[policy::Admission]| {
        admissions
            .iter()
            .map(|a| format!("{} {}", a.statement, a.admits))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match verdict {
        TrustVerdict::Admits { others } if others.is_empty() => Finding::new(
            CheckStatus::Pass,
            format!("{OPENAI_PRINCIPAL_ARN} may assume the role with sts:ExternalId {expected}"),
        ),
        TrustVerdict::Admits { others } => Finding::new(
            CheckStatus::Warn,
            format!(
                "{OPENAI_PRINCIPAL_ARN} may assume the role with sts:ExternalId {expected}, but the role admits more than OpenAI: {}. Whoever it trusts may use the key as OpenAI does; keep those statements only if they are meant",
                named(&others)
            ),
        ),
        TrustVerdict::Loose { loose, .. } => Finding::new(
            CheckStatus::Fail,
            format!(
                "{}. Only OpenAI's principal, with exactly sts:ExternalId {expected}, should be let in: otherwise another organization's requests through OpenAI (or anyone) may use your key. Replace these statements with the one of step 3",
                named(&loose)
            ),
        ),
        TrustVerdict::OtherPrincipals(others) => Finding::new(
            CheckStatus::Fail,
            format!(
                "it trusts {} but not OpenAI's principal {OPENAI_PRINCIPAL_ARN}",
                if others.is_empty() {
                    "no one".to_string()
                } else {
                    others.join(", ")
                }
            ),
        ),
        TrustVerdict::Denied(which) => Finding::new(
            CheckStatus::Fail,
            format!("{which} denies OpenAI's principal sts:AssumeRole"),
        ),
    }
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
) -> Finding {
    let Some(found) = within(timeout, role_policies(iam, &role.name)).await else {
        return Finding::timed_out(timeout);
    };
    let named = match found {
        Ok(named) => named,
        Err((status, detail)) => return Finding::new(status, detail),
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
        return Finding::new(
            CheckStatus::Pass,
            format!(
                "{} allow kms:Encrypt and kms:Decrypt on {}",
                names.join(", "),
                facts.arn
            ),
        );
    }
    if missing.is_empty() {
        return Finding::new(
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
        return Finding::new(
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
    Finding::new(CheckStatus::Fail, detail)
}

async fn check_round_trip(
    kms: &aws_sdk_kms::Client,
    facts: &KeyFacts,
    timeout: Duration,
) -> Finding {
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
        None => Finding::timed_out(timeout),
        Some(Ok(Some(back))) if back == plaintext => Finding::new(
            CheckStatus::Pass,
            "a random value encrypted and decrypted back unchanged (with your credentials)",
        ),
        Some(Ok(_)) => Finding::new(
            CheckStatus::Fail,
            "the value decrypted differs from the one encrypted",
        ),
        Some(Err((status, detail))) => Finding::new(status, detail),
    }
}

async fn check_rotation(kms: &aws_sdk_kms::Client, facts: &KeyFacts, timeout: Duration) -> Finding {
    match within(
        timeout,
        kms.get_key_rotation_status().key_id(&facts.arn).send(),
    )
    .await
    {
        None => Finding::timed_out(timeout),
        Some(Ok(out)) if out.key_rotation_enabled() => {
            Finding::new(CheckStatus::Pass, "automatic rotation is on")
        }
        Some(Ok(_)) => Finding::new(
            CheckStatus::Warn,
            "automatic rotation is off: turning it on is advised (step 4), and does not interrupt OpenAI",
        ),
        Some(Err(err)) => {
            let (status, detail) = describe_error(&err, "kms:GetKeyRotationStatus", facts.region());
            Finding::new(
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
