//! "Do it for me" on AWS, through the SDK with the admin's own credentials: the KMS key (or
//! the recorded one), the IAM policy, the role with its trust policy, the attachment, the key
//! policy's grant where IAM does not decide, and rotation. What exists is judged with the same
//! evaluator the checks use; an existing document is changed only by adding the guide's
//! statement to what is there, except that in a trust policy the statements letting OpenAI's
//! principal (or anyone) in are replaced by the guide's one. A key is made once: it is found
//! again by its alias.

use std::sync::Mutex;
use std::time::Instant;

use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::types::{KeySpec, KeyState, KeyUsageType, Tag};
use serde_json::{Value, json};

use super::artifacts::{iam_policy_on, key_policy_statement, trust_policy};
use super::fields::{KmsArn, RoleArn, kms_arn, role_arn};
use super::ids::*;
use super::policy::{Decision, KeyPolicyVerdict, Policy, TrustVerdict, evaluate, judge_key_policy};
use super::session;
use crate::guide::apply::{
    Applied, Applier, ApplySession, CallLog, Change, Planned, follow_unknowns,
};
use crate::guide::plan::{CannotCheck, CheckOptions};
use crate::guide::{FieldError, FieldId, Inputs};

/// What applying reads from the recorded inputs: the role's ARN names the account and the
/// role; the key is the recorded one, or one the apply makes.
#[derive(Debug, Clone)]
pub struct AwsApplier {
    org: String,
    external_id: String,
    key: Option<KmsArn>,
    /// The recorded role; without one, `openai-ekm` in the account of your credentials.
    role: Option<RoleArn>,
    policy_name: String,
}

/// The role made when none is recorded.
const DEFAULT_ROLE_NAME: &str = "openai-ekm";

impl AwsApplier {
    pub fn from_inputs(inputs: &Inputs) -> Result<AwsApplier, Vec<FieldError>> {
        let mut errors = Vec::new();
        let org = inputs
            .validated(FieldId::ORG_ID)
            .map_err(|e| errors.push(e))
            .ok();
        let external_id = inputs
            .validated(EXTERNAL_ID)
            .map_err(|e| errors.push(e))
            .ok();
        let role = if inputs.effective(ROLE_ARN).trim().is_empty() {
            Some(None)
        } else {
            inputs
                .validated(ROLE_ARN)
                .and_then(|v| role_arn(&v))
                .map_err(|e| errors.push(e))
                .ok()
                .map(Some)
        };
        let policy_name = inputs
            .validated(POLICY_NAME)
            .map_err(|e| errors.push(e))
            .ok();
        let key = if inputs.effective(KMS_ARN).trim().is_empty() {
            None
        } else {
            inputs
                .validated(KMS_ARN)
                .and_then(|v| kms_arn(&v))
                .map_err(|e| errors.push(e))
                .ok()
        };
        match (org, external_id, role, policy_name) {
            (Some(org), Some(external_id), Some(role), Some(policy_name)) if errors.is_empty() => {
                Ok(AwsApplier {
                    org,
                    external_id,
                    key,
                    role,
                    policy_name,
                })
            }
            _ => Err(errors),
        }
    }

    /// The alias a key made by the apply carries, so the next run finds it.
    fn alias(&self) -> String {
        format!("alias/openai-ekm-{}", self.org)
    }
}

#[async_trait::async_trait]
impl Applier for AwsApplier {
    async fn connect(
        &self,
        options: &CheckOptions,
        log: CallLog,
    ) -> Result<Box<dyn ApplySession + '_>, CannotCheck> {
        let config = session::signed_in(options).await?;
        let region = match &self.key {
            Some(key) => key.region.clone(),
            None => config
                .region()
                .map(|r| r.to_string())
                .ok_or_else(|| {
                    CannotCheck(
                        "no AWS region is set for the key the apply would make: set AWS_REGION (or the profile's region), or record an existing key's ARN".into(),
                    )
                })?,
        };
        let role = match &self.role {
            Some(role) => role.clone(),
            None => {
                let sts = aws_sdk_sts::Client::new(&config);
                let started = Instant::now();
                let me = sts.get_caller_identity().send().await;
                let account = match me {
                    Ok(me) => {
                        log.record("READ", "sts:GetCallerIdentity", "read", started);
                        me.account().unwrap_or_default().to_string()
                    }
                    Err(err) => {
                        log.record("READ", "sts:GetCallerIdentity", &said(&err), started);
                        let host = session::host_of("sts:GetCallerIdentity", &region);
                        return Err(CannotCheck(match session::unreachable(&err, &host) {
                            Some(sentence) => sentence,
                            None => format!(
                                "your account could not be read (sts:GetCallerIdentity): record the role ARN instead ({})",
                                said(&err)
                            ),
                        }));
                    }
                };
                RoleArn {
                    account,
                    path: "/".into(),
                    name: DEFAULT_ROLE_NAME.into(),
                }
            }
        };
        let kms = aws_sdk_kms::Client::from_conf(
            aws_sdk_kms::config::Builder::from(&config)
                .region(aws_sdk_kms::config::Region::new(region.clone()))
                .build(),
        );
        let iam = aws_sdk_iam::Client::from_conf(
            aws_sdk_iam::config::Builder::from(&config)
                .region(
                    config
                        .region()
                        .cloned()
                        .unwrap_or_else(|| aws_sdk_iam::config::Region::new("us-east-1")),
                )
                .build(),
        );
        Ok(Box::new(AwsApply {
            applier: self,
            role,
            region,
            kms,
            iam,
            log,
            key_arn: Mutex::new(self.key.as_ref().map(KmsArn::arn)),
            role_exists: std::sync::atomic::AtomicBool::new(false),
        }))
    }
}

struct AwsApply<'a> {
    applier: &'a AwsApplier,
    /// The role to make or check: recorded, or the default in your account.
    role: RoleArn,
    region: String,
    kms: aws_sdk_kms::Client,
    iam: aws_sdk_iam::Client,
    log: CallLog,
    /// The key's ARN, once known (recorded, found by its alias, or made).
    key_arn: Mutex<Option<String>>,
    /// The role exists (found, or made): only then is its ARN worth recording.
    role_exists: std::sync::atomic::AtomicBool,
}

/// Why a resource of a later step waits for the key.
const KEY_FIRST: &str =
    "the key is not made yet: make step 1's key first (on the start screen, m makes every step)";

/// What `write` says when a create found its resource already there.
/// Why a write did not happen.
#[derive(Debug)]
enum WriteError {
    /// IAM answered that the resource is there already (an earlier run's create landed late):
    /// it is looked at again, never created twice.
    AlreadyExists,
    /// Refused, or not answered: in words, with the permission or the host.
    Refused(String),
}

impl From<String> for WriteError {
    fn from(why: String) -> Self {
        WriteError::Refused(why)
    }
}

/// An SDK error in a few words: the service's code and message, or the kind of failure when
/// no answer came (never the SDK's debug text).
fn said<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    err: &SdkError<E, R>,
) -> String {
    session::service_said(err)
}

fn code_of<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    err: &SdkError<E, R>,
) -> &str {
    err.as_service_error()
        .and_then(|e| e.code())
        .unwrap_or_default()
}

/// A refusal for the missing permission `action`; when no answer came, the host of the
/// action's service in `region` that could not be reached, and how.
fn refused<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
    action: &str,
    region: &str,
    err: &SdkError<E, R>,
) -> String {
    if let Some(sentence) = session::unreachable(err, &session::host_of(action, region)) {
        return format!("{action} was not answered: {sentence}");
    }
    let code = code_of(err);
    if code.contains("AccessDenied") || code == "UnauthorizedOperation" {
        format!(
            "{action} is not allowed for your credentials ({})",
            said(err)
        )
    } else {
        format!("{action} failed: {}", said(err))
    }
}

/// A document with `statement` added: a statement with the same Sid is replaced, every other
/// statement is kept as it is.
fn with_statement(document: &Value, statement: &Value) -> Value {
    let mut merged = document.clone();
    let sid = statement["Sid"].as_str();
    let mut statements: Vec<Value> = match &document["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        single => vec![single.clone()],
    };
    if sid.is_some() {
        statements.retain(|s| s["Sid"].as_str() != sid);
    }
    statements.push(statement.clone());
    merged["Statement"] = Value::Array(statements);
    if merged["Version"].is_null() {
        merged["Version"] = json!("2012-10-17");
    }
    merged
}

/// Reads a policy document as AWS returns it (JSON, or URL-encoded JSON).
fn document_of(text: &str) -> Option<Value> {
    let decoded = if text.trim_start().starts_with('%') {
        super::policy::percent_decode(text)
    } else {
        text.to_string()
    };
    serde_json::from_str(&decoded).ok()
}

/// The guide's trust statement (the first, and only, of the generated trust policy).
fn trust_statement(external_id: &str) -> Value {
    let mut statement = trust_policy(external_id)["Statement"][0].clone();
    statement["Sid"] = json!("OpenAIEKMAssumeRole");
    statement
}

/// A principal with the parts that let OpenAI's principal in (`*`, OpenAI's principal, OpenAI's
/// account) taken out: `None` when nothing else remains.
fn without_openai(principal: &Value) -> Option<Value> {
    let reaches = |p: &Value| {
        p.as_str()
            .is_some_and(|p| super::policy::reach(p) != super::policy::Reach::Other)
    };
    let kinds = principal.as_object()?;
    let mut kept = serde_json::Map::new();
    for (kind, named) in kinds {
        let rest: Vec<Value> = match named {
            Value::Array(items) => items.iter().filter(|p| !reaches(p)).cloned().collect(),
            single if reaches(single) => Vec::new(),
            single => vec![single.clone()],
        };
        match rest.len() {
            0 => {}
            1 if !named.is_array() => {
                kept.insert(kind.clone(), rest[0].clone());
            }
            _ => {
                kept.insert(kind.clone(), Value::Array(rest));
            }
        }
    }
    (!kept.is_empty()).then_some(Value::Object(kept))
}

/// The trust policy with every Allow statement that lets OpenAI's principal (or anyone) assume
/// the role replaced by the guide's one statement; statements for other principals, and any
/// Deny, stay. Returns the document and the diff, a line per statement removed, narrowed or
/// added.
fn trust_rewrite(document: &Value, external_id: &str) -> (Value, Vec<String>) {
    let guide = trust_statement(external_id);
    let guide_sid = guide["Sid"].as_str().unwrap_or_default().to_string();
    let statements: Vec<Value> = match &document["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        single => vec![single.clone()],
    };
    // The evaluator's words for what each statement admits, by its place.
    let verdict = Policy::parse(&document.to_string())
        .map(|p| super::policy::judge_trust(&p, external_id))
        .ok();
    let said = |index: usize| -> Option<String> {
        match &verdict {
            Some(TrustVerdict::Loose { loose, .. }) => loose
                .iter()
                .find(|a| a.index == index)
                .map(|a| a.admits.clone()),
            _ => None,
        }
    };
    let parsed = Policy::parse(&json!({"Statement": statements}).to_string()).ok();
    let mut kept = Vec::new();
    let mut diff = Vec::new();
    for (index, statement) in statements.iter().enumerate() {
        let label = match statement["Sid"].as_str().filter(|s| !s.is_empty()) {
            Some(sid) => format!("statement {sid}"),
            None => format!("statement #{} (no Sid)", index + 1),
        };
        let judged = parsed.as_ref().and_then(|p| p.statements.get(index));
        let allows_assume = judged.is_some_and(|s| {
            s.effect == super::policy::Effect::Allow && s.covers_action("sts:AssumeRole")
        });
        if statement["Sid"].as_str() == Some(guide_sid.as_str()) {
            // Its own Sid: made again as the guide says (said only when it differed).
            if *statement != guide {
                diff.push(format!("- {label}: replaced by the guide's"));
            }
            continue;
        }
        if !allows_assume {
            kept.push(statement.clone());
            continue;
        }
        if statement.get("NotPrincipal").is_some() {
            diff.push(format!(
                "- {label}: {}",
                said(index)
                    .unwrap_or_else(|| "lets everyone but those named assume the role".into())
            ));
            continue;
        }
        let principal = &statement["Principal"];
        let remaining = if principal.as_str() == Some("*") {
            None
        } else {
            without_openai(principal)
        };
        match remaining {
            Some(rest) if rest == *principal => kept.push(statement.clone()),
            Some(rest) => {
                let mut narrowed = statement.clone();
                narrowed["Principal"] = rest.clone();
                diff.push(format!(
                    "~ {label}: no longer names OpenAI's principal or anyone (\"*\"); still trusts {rest}"
                ));
                kept.push(narrowed);
            }
            None => diff.push(format!(
                "- {label}: {}",
                said(index).unwrap_or_else(|| {
                    "lets OpenAI's principal assume the role (the guide's statement takes its place)"
                        .into()
                })
            )),
        }
    }
    diff.push(format!(
        "+ trust statement {guide_sid}: {} may assume the role when sts:ExternalId equals {external_id} (statements for other principals stay)",
        super::OPENAI_PRINCIPAL_ARN
    ));
    kept.push(guide);
    let mut rewritten = document.clone();
    rewritten["Statement"] = Value::Array(kept);
    if rewritten["Version"].is_null() {
        rewritten["Version"] = json!("2012-10-17");
    }
    (rewritten, diff)
}

/// The guide's IAM statement on `key`.
fn iam_statement(key: &str) -> Value {
    iam_policy_on(json!(key))["Statement"][0].clone()
}

impl AwsApply<'_> {
    fn policy_arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:policy/{}",
            self.role.account, self.applier.policy_name
        )
    }

    fn key(&self) -> Option<String> {
        self.key_arn.lock().ok().and_then(|k| k.clone())
    }

    fn set_key(&self, arn: String) {
        if let Ok(mut key) = self.key_arn.lock() {
            *key = Some(arn);
        }
    }

    /// The key: the recorded one must exist and be usable; otherwise the one with the apply's
    /// alias, or none yet.
    async fn plan_key(&self) -> Planned {
        let (asked, title) = match &self.applier.key {
            Some(key) => (key.arn(), format!("the KMS key {}", key.arn())),
            None => (
                self.applier.alias(),
                format!("a KMS key with the alias {}", self.applier.alias()),
            ),
        };
        let started = Instant::now();
        let answer = self.kms.describe_key().key_id(&asked).send().await;
        let change = match answer {
            Ok(found) => {
                self.log.record(
                    "READ",
                    &format!("kms:DescribeKey {asked}"),
                    "found",
                    started,
                );
                let meta = found.key_metadata();
                let arn = meta.and_then(|m| m.arn()).unwrap_or(&asked).to_string();
                let usable = meta.is_some_and(|m| {
                    m.key_state() == Some(&KeyState::Enabled)
                        && m.key_spec() == Some(&KeySpec::SymmetricDefault)
                        && m.key_usage() == Some(&KeyUsageType::EncryptDecrypt)
                });
                self.set_key(arn.clone());
                if usable {
                    Change::AsWanted
                } else {
                    Change::Cannot {
                        why: format!(
                            "{arn} is not an enabled symmetric encrypt-and-decrypt key; apply never changes a key it did not make: record another key, or leave the key ARN empty to make one"
                        ),
                    }
                }
            }
            Err(err) if code_of(&err) == "NotFoundException" => {
                self.log.record(
                    "READ",
                    &format!("kms:DescribeKey {asked}"),
                    "not found",
                    started,
                );
                match &self.applier.key {
                    Some(key) => Change::Cannot {
                        why: format!(
                            "no key {} in this account and region: correct the key ARN, or leave it empty to make one",
                            key.arn()
                        ),
                    },
                    None => Change::Create,
                }
            }
            Err(err) => {
                self.log.record(
                    "READ",
                    &format!("kms:DescribeKey {asked}"),
                    &said(&err),
                    started,
                );
                Change::Unknown {
                    why: refused("kms:DescribeKey", &self.region, &err),
                }
            }
        };
        Planned::new("key", title, STEP_CREATE_KEY, change)
    }

    async fn plan_policy(&self) -> Planned {
        let arn = self.policy_arn();
        let title = format!("the IAM policy {}", self.applier.policy_name);
        let step = STEP_IAM_POLICY;
        let started = Instant::now();
        let found = self.iam.get_policy().policy_arn(&arn).send().await;
        let change = match found {
            Err(err) if code_of(&err) == "NoSuchEntity" => {
                self.log.record(
                    "READ",
                    &format!("iam:GetPolicy {arn}"),
                    "not found",
                    started,
                );
                Change::Create
            }
            Err(err) => {
                self.log.record(
                    "READ",
                    &format!("iam:GetPolicy {arn}"),
                    &said(&err),
                    started,
                );
                Change::Unknown {
                    why: refused("iam:GetPolicy", &self.region, &err),
                }
            }
            Ok(policy) => {
                self.log
                    .record("READ", &format!("iam:GetPolicy {arn}"), "found", started);
                let version = policy
                    .policy()
                    .and_then(|p| p.default_version_id())
                    .unwrap_or("v1")
                    .to_string();
                match self.policy_document(&arn, &version).await {
                    Err(why) => Change::Unknown { why },
                    Ok(document) => match self.key() {
                        Some(key)
                            if Policy::parse(&document.to_string()).is_ok_and(|p| {
                                ["kms:Encrypt", "kms:Decrypt"].iter().all(|action| {
                                    evaluate(std::slice::from_ref(&p), action, &key)
                                        == Decision::Allowed
                                })
                            }) =>
                        {
                            Change::AsWanted
                        }
                        key => Change::Differs {
                            diff: format!(
                                "+ statement OpenAIEKMEncryptDecrypt: Allow kms:Encrypt, kms:Decrypt on {} (its other statements stay)",
                                key.unwrap_or_else(|| "the key made first".into())
                            ),
                        },
                    },
                }
            }
        };
        Planned::new("policy", title, step, change)
    }

    async fn policy_document(&self, arn: &str, version: &str) -> Result<Value, String> {
        let started = Instant::now();
        let answer = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await;
        match answer {
            Ok(found) => {
                self.log.record(
                    "READ",
                    &format!("iam:GetPolicyVersion {arn} {version}"),
                    "found",
                    started,
                );
                found
                    .policy_version()
                    .and_then(|v| v.document())
                    .and_then(document_of)
                    .ok_or_else(|| format!("the policy {arn} has no readable document"))
            }
            Err(err) => {
                self.log.record(
                    "READ",
                    &format!("iam:GetPolicyVersion {arn} {version}"),
                    &said(&err),
                    started,
                );
                Err(refused("iam:GetPolicyVersion", &self.region, &err))
            }
        }
    }

    /// The role's trust policy document, `None` when there is no such role.
    async fn role_document(&self) -> Result<Option<Value>, String> {
        let name = &self.role.name;
        let started = Instant::now();
        match self.iam.get_role().role_name(name).send().await {
            Ok(found) => {
                self.log
                    .record("READ", &format!("iam:GetRole {name}"), "found", started);
                self.role_exists
                    .store(true, std::sync::atomic::Ordering::SeqCst);
                Ok(found
                    .role()
                    .and_then(|r| r.assume_role_policy_document())
                    .and_then(document_of))
                .map(|d| Some(d.unwrap_or(json!({"Version": "2012-10-17", "Statement": []}))))
            }
            Err(err) if code_of(&err) == "NoSuchEntity" => {
                self.log
                    .record("READ", &format!("iam:GetRole {name}"), "not found", started);
                Ok(None)
            }
            Err(err) => {
                self.log
                    .record("READ", &format!("iam:GetRole {name}"), &said(&err), started);
                Err(refused("iam:GetRole", &self.region, &err))
            }
        }
    }

    async fn plan_role(&self) -> (Planned, bool) {
        let title = format!("the role {}", self.role.name);
        let (change, exists) = match self.role_document().await {
            Err(why) => (Change::Unknown { why }, false),
            Ok(None) => (Change::Create, false),
            Ok(Some(document)) => {
                let external_id = &self.applier.external_id;
                let verdict = Policy::parse(&document.to_string())
                    .map(|p| super::policy::judge_trust(&p, external_id));
                match verdict {
                    // Statements for other principals are theirs: the check warns of them.
                    Ok(TrustVerdict::Admits { .. }) => (Change::AsWanted, true),
                    Ok(TrustVerdict::Denied(deny)) => (
                        Change::Cannot {
                            why: format!(
                                "the trust policy denies OpenAI's principal ({deny}); apply does not remove a Deny"
                            ),
                        },
                        true,
                    ),
                    _ => (
                        Change::Differs {
                            diff: trust_rewrite(&document, external_id).1.join("; "),
                        },
                        true,
                    ),
                }
            }
        };
        (Planned::new("role", title, STEP_ROLE, change), exists)
    }

    async fn plan_attachment(&self, role_exists: bool) -> Planned {
        let title = format!(
            "the policy {} attached to the role {}",
            self.applier.policy_name, self.role.name
        );
        let change = if !role_exists {
            Change::Create
        } else {
            let started = Instant::now();
            let name = &self.role.name;
            match self
                .iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
            {
                Ok(attached) => {
                    self.log.record(
                        "READ",
                        &format!("iam:ListAttachedRolePolicies {name}"),
                        "read",
                        started,
                    );
                    let wanted = self.policy_arn();
                    if attached
                        .attached_policies()
                        .iter()
                        .any(|p| p.policy_arn() == Some(wanted.as_str()))
                    {
                        Change::AsWanted
                    } else {
                        Change::Create
                    }
                }
                Err(err) => {
                    self.log.record(
                        "READ",
                        &format!("iam:ListAttachedRolePolicies {name}"),
                        &said(&err),
                        started,
                    );
                    Change::Unknown {
                        why: refused("iam:ListAttachedRolePolicies", &self.region, &err),
                    }
                }
            }
        };
        Planned::new("attachment", title, STEP_ROLE, change)
    }

    /// The key policy: IAM must decide (the default policy), or the role be granted.
    async fn plan_key_policy(&self, key_made_here: bool) -> Planned {
        let title = "the key policy (IAM decides, or the role is granted)".to_string();
        let step = STEP_RESTRICTIONS;
        let Some(key) = self.key().filter(|_| !key_made_here) else {
            // A key the apply makes gets the account's default policy: IAM decides. Nothing
            // was read, so the title says where the verdict comes from.
            let title = "the key policy of the key made here (the account's default: IAM decides)"
                .to_string();
            return Planned::new("key-policy", title, step, Change::AsWanted);
        };
        let change = match self.key_policy(&key).await {
            Err(why) => Change::Unknown { why },
            Ok(document) => {
                let verdict = Policy::parse(&document.to_string())
                    .map(|p| judge_key_policy(&p, &self.role.account, &self.role.arn()));
                match verdict {
                    Ok(KeyPolicyVerdict::DelegatesToIam | KeyPolicyVerdict::GrantsRole) => {
                        Change::AsWanted
                    }
                    Ok(KeyPolicyVerdict::Denied(deny)) => Change::Cannot {
                        why: format!(
                            "the key policy denies the role ({deny}); apply does not remove a Deny"
                        ),
                    },
                    _ => Change::Differs {
                        diff: format!(
                            "+ key policy statement AllowOpenAIEKMRole: {} may use kms:Encrypt and kms:Decrypt (the statements there stay)",
                            self.role.arn()
                        ),
                    },
                }
            }
        };
        Planned::new("key-policy", title, step, change)
    }

    async fn key_policy(&self, key: &str) -> Result<Value, String> {
        let started = Instant::now();
        match self
            .kms
            .get_key_policy()
            .key_id(key)
            .policy_name("default")
            .send()
            .await
        {
            Ok(found) => {
                self.log
                    .record("READ", &format!("kms:GetKeyPolicy {key}"), "read", started);
                found
                    .policy()
                    .and_then(document_of)
                    .ok_or_else(|| "the key policy could not be read".into())
            }
            Err(err) => {
                self.log.record(
                    "READ",
                    &format!("kms:GetKeyPolicy {key}"),
                    &said(&err),
                    started,
                );
                Err(refused("kms:GetKeyPolicy", &self.region, &err))
            }
        }
    }

    async fn plan_rotation(&self, key_made_here: bool) -> Planned {
        let title = "automatic rotation of the key".to_string();
        let step = STEP_RESTRICTIONS;
        let change = match self.key().filter(|_| !key_made_here) {
            None => Change::Create,
            Some(key) => {
                let started = Instant::now();
                match self.kms.get_key_rotation_status().key_id(&key).send().await {
                    Ok(status) => {
                        self.log.record(
                            "READ",
                            &format!("kms:GetKeyRotationStatus {key}"),
                            "read",
                            started,
                        );
                        if status.key_rotation_enabled() {
                            Change::AsWanted
                        } else {
                            Change::Differs {
                                diff: "automatic rotation: off → on (a new key version every year; OpenAI keeps access)".into(),
                            }
                        }
                    }
                    Err(err) => {
                        self.log.record(
                            "READ",
                            &format!("kms:GetKeyRotationStatus {key}"),
                            &said(&err),
                            started,
                        );
                        Change::Unknown {
                            why: refused("kms:GetKeyRotationStatus", &self.region, &err),
                        }
                    }
                }
            }
        };
        Planned::new("rotation", title, step, change)
    }

    /// Runs one write, recording it; the refusal names the permission.
    async fn write<T, E, R>(
        &self,
        action: &str,
        resource: &str,
        call: impl std::future::Future<Output = Result<T, SdkError<E, R>>>,
    ) -> Result<T, WriteError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let started = Instant::now();
        match call.await {
            Ok(done) => {
                self.log
                    .record("WRITE", &format!("{action} {resource}"), "done", started);
                Ok(done)
            }
            Err(err) => {
                self.log.record(
                    "WRITE",
                    &format!("{action} {resource}"),
                    &said(&err),
                    started,
                );
                if code_of(&err) == "EntityAlreadyExists" {
                    return Err(WriteError::AlreadyExists);
                }
                Err(WriteError::Refused(refused(action, &self.region, &err)))
            }
        }
    }

    /// After a create answered "already exists" (an earlier run's create landed late): looks
    /// again instead of creating twice.
    async fn looked_again(&self, id: &str) -> Result<(bool, String), String> {
        let again = match id {
            "policy" => self.plan_policy().await,
            _ => self.plan_role().await.0,
        };
        match again.change {
            Change::AsWanted => Ok((
                true,
                format!("{} (already made by an earlier run)", again.title),
            )),
            _ => Err(format!(
                "{} appeared meanwhile and differs from the guide: run apply again to see the plan",
                again.title
            )),
        }
    }

    async fn make_key(&self) -> Result<String, WriteError> {
        let tag = Tag::builder()
            .tag_key("openai-ekm-org")
            .tag_value(&self.applier.org)
            .build()
            .map_err(|e| e.to_string())?;
        let made = self
            .write(
                "kms:CreateKey",
                &format!("in {}", self.region),
                self.kms
                    .create_key()
                    .description("OpenAI EKM master key")
                    .key_spec(KeySpec::SymmetricDefault)
                    .key_usage(KeyUsageType::EncryptDecrypt)
                    .tags(tag)
                    .send(),
            )
            .await?;
        let meta = made
            .key_metadata()
            .ok_or_else(|| "KMS made a key but described none".to_string())?;
        let arn = meta.arn().unwrap_or_default().to_string();
        // The alias is what the next run finds the key by: made at once.
        self.write(
            "kms:CreateAlias",
            &self.applier.alias(),
            self.kms
                .create_alias()
                .alias_name(self.applier.alias())
                .target_key_id(meta.key_id())
                .send(),
        )
        .await?;
        self.set_key(arn.clone());
        Ok(arn)
    }
}

#[async_trait::async_trait]
impl ApplySession for AwsApply<'_> {
    async fn plan(&self) -> Vec<Planned> {
        let key = self.plan_key().await;
        let key_made_here = key.change == Change::Create;
        let policy = self.plan_policy().await;
        let (role, role_exists) = self.plan_role().await;
        let attachment = self.plan_attachment(role_exists).await;
        let key_policy = self.plan_key_policy(key_made_here).await;
        let rotation = self.plan_rotation(key_made_here).await;
        let mut plan = vec![key, policy, role, attachment, key_policy, rotation];
        follow_unknowns(
            &mut plan,
            &[
                ("policy", "key"),
                ("attachment", "role"),
                ("key-policy", "key"),
                ("rotation", "key"),
            ],
        );
        plan
    }

    async fn apply(&self, planned: &Planned) -> Applied {
        let outcome = match (planned.id, &planned.change) {
            ("key", Change::Create) => self.make_key().await.map(|arn| (true, arn)),
            ("policy", change) => {
                let Some(key) = self.key() else {
                    return Applied::Refused {
                        why: KEY_FIRST.into(),
                    };
                };
                let statement = iam_statement(&key);
                let arn = self.policy_arn();
                if *change == Change::Create {
                    let document = json!({"Version": "2012-10-17", "Statement": [statement]});
                    self.write(
                        "iam:CreatePolicy",
                        &self.applier.policy_name,
                        self.iam
                            .create_policy()
                            .policy_name(&self.applier.policy_name)
                            .policy_document(document.to_string())
                            .send(),
                    )
                    .await
                    .map(|_| (true, arn))
                } else {
                    let current = match self.iam.get_policy().policy_arn(&arn).send().await {
                        Ok(p) => p
                            .policy()
                            .and_then(|p| p.default_version_id())
                            .unwrap_or("v1")
                            .to_string(),
                        Err(err) => {
                            return Applied::Refused {
                                why: refused("iam:GetPolicy", &self.region, &err),
                            };
                        }
                    };
                    let document = match self.policy_document(&arn, &current).await {
                        Ok(document) => document,
                        Err(why) => return Applied::Refused { why },
                    };
                    self.write(
                        "iam:CreatePolicyVersion",
                        &arn,
                        self.iam
                            .create_policy_version()
                            .policy_arn(&arn)
                            .policy_document(with_statement(&document, &statement).to_string())
                            .set_as_default(true)
                            .send(),
                    )
                    .await
                    .map(|_| (false, arn))
                }
            }
            ("role", Change::Create) => {
                let mut document = trust_policy(&self.applier.external_id);
                document["Statement"][0]["Sid"] = json!("OpenAIEKMAssumeRole");
                let mut request = self
                    .iam
                    .create_role()
                    .role_name(&self.role.name)
                    .assume_role_policy_document(document.to_string())
                    .description("Lets OpenAI use the EKM key");
                if self.role.path != "/" {
                    request = request.path(&self.role.path);
                }
                let made = self
                    .write("iam:CreateRole", &self.role.name, request.send())
                    .await
                    .map(|_| (true, self.role.arn()));
                if made.is_ok() {
                    self.role_exists
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                }
                made
            }
            ("role", _) => {
                let document = match self.role_document().await {
                    Ok(Some(document)) => document,
                    Ok(None) => {
                        return Applied::Refused {
                            why: "the role is gone".into(),
                        };
                    }
                    Err(why) => return Applied::Refused { why },
                };
                let (merged, _) = trust_rewrite(&document, &self.applier.external_id);
                self.write(
                    "iam:UpdateAssumeRolePolicy",
                    &self.role.name,
                    self.iam
                        .update_assume_role_policy()
                        .role_name(&self.role.name)
                        .policy_document(merged.to_string())
                        .send(),
                )
                .await
                .map(|_| (false, self.role.arn()))
            }
            ("attachment", _) => self
                .write(
                    "iam:AttachRolePolicy",
                    &self.role.name,
                    self.iam
                        .attach_role_policy()
                        .role_name(&self.role.name)
                        .policy_arn(self.policy_arn())
                        .send(),
                )
                .await
                .map(|_| (true, self.policy_arn())),
            ("key-policy", _) => {
                let Some(key) = self.key() else {
                    return Applied::Refused {
                        why: KEY_FIRST.into(),
                    };
                };
                let document = match self.key_policy(&key).await {
                    Ok(document) => document,
                    Err(why) => return Applied::Refused { why },
                };
                let merged = with_statement(&document, &key_policy_statement(&self.role));
                self.write(
                    "kms:PutKeyPolicy",
                    &key,
                    self.kms
                        .put_key_policy()
                        .key_id(&key)
                        .policy_name("default")
                        .policy(merged.to_string())
                        .send(),
                )
                .await
                .map(|_| (false, key))
            }
            ("rotation", change) => {
                let Some(key) = self.key() else {
                    return Applied::Refused {
                        why: KEY_FIRST.into(),
                    };
                };
                self.write(
                    "kms:EnableKeyRotation",
                    &key,
                    self.kms.enable_key_rotation().key_id(&key).send(),
                )
                .await
                .map(|_| (*change == Change::Create, key))
            }
            (other, _) => Err(WriteError::Refused(format!(
                "{other} is not something the AWS apply makes"
            ))),
        };
        let outcome = match outcome {
            Err(WriteError::AlreadyExists) => self.looked_again(planned.id).await,
            Err(WriteError::Refused(why)) => Err(why),
            Ok(done) => Ok(done),
        };
        match outcome {
            Ok((true, detail)) => Applied::Made { detail },
            Ok((false, detail)) => Applied::Changed { detail },
            Err(why) => Applied::Refused { why },
        }
    }

    fn outputs(&self) -> Vec<(FieldId, String)> {
        let mut outputs = Vec::new();
        if let (None, Some(made)) = (&self.applier.key, self.key()) {
            outputs.push((KMS_ARN, made));
        }
        if self.applier.role.is_none() && self.role_exists.load(std::sync::atomic::Ordering::SeqCst)
        {
            outputs.push((ROLE_ARN, self.role.arn()));
        }
        outputs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adding_a_statement_keeps_the_others_and_replaces_its_own_sid() {
        let document = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Theirs", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"},
            {"Sid": "OpenAIEKMAssumeRole", "Effect": "Allow", "Principal": {"AWS": "x"}, "Action": "sts:AssumeRole"},
        ]});
        let merged = with_statement(&document, &trust_statement("org-abc123"));
        let statements = merged["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 2);
        assert_eq!(statements[0]["Sid"], "Theirs");
        assert_eq!(
            statements[1]["Condition"]["StringEquals"]["sts:ExternalId"],
            json!(["org-abc123"])
        );
    }

    #[test]
    fn a_trust_rewrite_replaces_what_admits_openai_and_keeps_other_principals() {
        let openai = crate::clouds::aws::OPENAI_PRINCIPAL_ARN;
        let theirs = json!({"Sid": "Theirs", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "sts:AssumeRole"});
        let deny = json!({"Sid": "NoOne", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"});
        let document = json!({"Version": "2012-10-17", "Statement": [
            theirs.clone(),
            {"Effect": "Allow", "Principal": {"AWS": openai}, "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "org-Wrong999"}}},
            {"Sid": "Both", "Effect": "Allow", "Principal": {"AWS": [openai, "arn:aws:iam::111122223333:root"]}, "Action": "sts:AssumeRole"},
            {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"},
            deny.clone(),
        ]});
        let (rewritten, diff) = trust_rewrite(&document, "org-abc123");
        let statements = rewritten["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 4, "{rewritten:#}");
        assert_eq!(statements[0], theirs);
        assert_eq!(
            statements[1]["Principal"],
            json!({"AWS": ["arn:aws:iam::111122223333:root"]}),
            "the other principal of a shared statement stays"
        );
        assert_eq!(statements[2], deny, "a Deny stays");
        assert_eq!(statements[3], trust_statement("org-abc123"));
        assert!(
            diff[0].starts_with("- statement #2 (no Sid): lets OpenAI's principal assume the role when sts:ExternalId is org-Wrong999"),
            "{diff:?}"
        );
        assert!(
            diff[1].starts_with("~ statement Both: no longer names"),
            "{diff:?}"
        );
        assert!(
            diff[2].starts_with("- statement Anyone: lets any AWS principal"),
            "{diff:?}"
        );
        assert!(
            diff[3].starts_with("+ trust statement OpenAIEKMAssumeRole"),
            "{diff:?}"
        );
        let judged = super::super::policy::judge_trust(
            &Policy::parse(&rewritten.to_string()).unwrap(),
            "org-abc123",
        );
        assert!(
            matches!(&judged, TrustVerdict::Admits { others } if others.len() == 2),
            "{judged:?}"
        );
    }
}
