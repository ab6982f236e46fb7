//! A local evaluator of AWS policy documents: enough of IAM's logic to tell whether a role may
//! call an action on a resource (Allow and explicit Deny, wildcards, `NotAction`,
//! `NotResource`), whether a trust policy admits OpenAI's principal with exactly the right
//! ExternalId and nothing looser (naming each statement that admits more), and whether a key
//! policy lets IAM policies work and what else it grants. Used because moto enforces none of
//! this and `iam:SimulatePrincipalPolicy` cannot see key policies.

use serde_json::Value;

use super::OPENAI_PRINCIPAL_ARN;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Allow,
    Deny,
}

/// One statement, with every list normalised (a single string becomes a list of one).
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sid: Option<String>,
    pub effect: Effect,
    /// `None` when the statement has no `Principal` (identity policies).
    pub principals: Option<Vec<String>>,
    /// `NotPrincipal`: everyone but those named.
    pub not_principals: Option<Vec<String>>,
    pub actions: Option<Vec<String>>,
    pub not_actions: Option<Vec<String>>,
    pub resources: Option<Vec<String>>,
    pub not_resources: Option<Vec<String>>,
    pub condition: Option<Value>,
}

/// A policy document.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policy {
    pub statements: Vec<Statement>,
}

fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
        ),
        _ => None,
    }
}

/// Every principal named, whatever the kind (`AWS`, `Service`, `Federated`), or `*`.
fn principals(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(vec![s.clone()]),
        Value::Object(kinds) => Some(kinds.values().filter_map(strings).flatten().collect()),
        _ => Some(Vec::new()),
    }
}

impl Policy {
    /// Parses a policy document; AWS returns some URL-encoded, so a `%7B…` text is decoded first.
    pub fn parse(text: &str) -> Result<Policy, String> {
        let decoded;
        let text = if text.trim_start().starts_with('%') {
            decoded = percent_decode(text);
            decoded.as_str()
        } else {
            text
        };
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not a JSON policy document ({e})"))?;
        let statements = match &value["Statement"] {
            Value::Array(items) => items.clone(),
            Value::Object(_) => vec![value["Statement"].clone()],
            _ => return Err("the policy has no Statement".into()),
        };
        Ok(Policy {
            statements: statements
                .iter()
                .map(|s| Statement {
                    sid: s["Sid"].as_str().map(str::to_string),
                    effect: if s["Effect"].as_str() == Some("Deny") {
                        Effect::Deny
                    } else {
                        Effect::Allow
                    },
                    principals: principals(&s["Principal"]),
                    not_principals: principals(&s["NotPrincipal"]),
                    actions: strings(&s["Action"]),
                    not_actions: strings(&s["NotAction"]),
                    resources: strings(&s["Resource"]),
                    not_resources: strings(&s["NotResource"]),
                    condition: s.get("Condition").cloned().filter(|c| !c.is_null()),
                })
                .collect(),
        })
    }
}

/// Decodes `%XX` escapes and `+` (as AWS URL-encodes policy documents).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// IAM's wildcard match: `*` any run, `?` any one character.
pub fn glob_match(pattern: &str, value: &str, ignore_case: bool) -> bool {
    let (pattern, value) = if ignore_case {
        (pattern.to_ascii_lowercase(), value.to_ascii_lowercase())
    } else {
        (pattern.to_string(), value.to_string())
    };
    let p: Vec<char> = pattern.chars().collect();
    let v: Vec<char> = value.chars().collect();
    let (mut pi, mut vi, mut star, mut mark) = (0, 0, None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == v[vi]) {
            pi += 1;
            vi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

impl Statement {
    pub fn covers_action(&self, action: &str) -> bool {
        match (&self.actions, &self.not_actions) {
            (Some(actions), _) => actions.iter().any(|a| glob_match(a, action, true)),
            (None, Some(not)) => !not.iter().any(|a| glob_match(a, action, true)),
            (None, None) => false,
        }
    }

    pub fn covers_resource(&self, resource: &str) -> bool {
        match (&self.resources, &self.not_resources) {
            (Some(resources), _) => resources.iter().any(|r| glob_match(r, resource, false)),
            (None, Some(not)) => !not.iter().any(|r| glob_match(r, resource, false)),
            (None, None) => false,
        }
    }

    fn label(&self) -> String {
        self.sid
            .as_ref()
            .map(|s| format!("statement {s}"))
            .unwrap_or_else(|| "a statement without Sid".into())
    }
}

/// The verdict for one action on one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Allowed, but only under conditions this evaluator does not judge.
    AllowedUnderCondition(String),
    /// An explicit Deny applies (named).
    Denied(String),
    /// Nothing allows it.
    NotAllowed,
}

/// Evaluates identity policies (no principals) for one action on one resource.
pub fn evaluate(policies: &[Policy], action: &str, resource: &str) -> Decision {
    let applicable = || {
        policies
            .iter()
            .flat_map(|p| p.statements.iter())
            .filter(|s| s.covers_action(action) && s.covers_resource(resource))
    };
    if let Some(deny) = applicable().find(|s| s.effect == Effect::Deny) {
        return Decision::Denied(deny.label());
    }
    let allows: Vec<&Statement> = applicable().filter(|s| s.effect == Effect::Allow).collect();
    if allows.iter().any(|s| s.condition.is_none()) {
        Decision::Allowed
    } else if let Some(conditional) = allows.first() {
        Decision::AllowedUnderCondition(conditional.label())
    } else {
        Decision::NotAllowed
    }
}

/// One Allow statement of a trust policy that lets someone assume the role, and what it admits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    /// The words naming the statement: `statement <Sid>`, or `statement #N (no Sid)` counting
    /// from 1.
    pub statement: String,
    /// Its place in the policy's list, from 0.
    pub index: usize,
    /// What it admits, in words: who may assume the role, and under which ExternalId.
    pub admits: String,
}

/// What a trust policy says about OpenAI's principal and the organization's ExternalId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustVerdict {
    /// OpenAI's principal may assume the role with exactly the ExternalId, and no statement lets
    /// it (or anyone) in otherwise. `others` are statements trusting other principals: the role
    /// then admits more than OpenAI.
    Admits { others: Vec<Admission> },
    /// Statements that let OpenAI's principal, or anyone, assume the role without exactly the
    /// organization's ExternalId (another one, a pattern, none). `exact` says whether another
    /// statement admits OpenAI as the guide does.
    Loose { loose: Vec<Admission>, exact: bool },
    /// No statement lets OpenAI's principal assume the role; these principals are trusted instead.
    OtherPrincipals(Vec<String>),
    /// An explicit Deny applies to OpenAI (the statement named).
    Denied(String),
}

/// The account OpenAI's principal lives in.
pub fn openai_account() -> &'static str {
    OPENAI_PRINCIPAL_ARN.split(':').nth(4).unwrap_or_default()
}

/// Whom a principal lets in, as far as OpenAI is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// `*`: every principal of every account, OpenAI's included.
    Anyone,
    /// OpenAI's own principal.
    OpenAi,
    /// OpenAI's whole account (its root), which covers OpenAI's principal and its other roles.
    OpenAiAccount,
    /// Someone else.
    Other,
}

/// Whom one principal of a statement lets in (an AWS principal has no wildcard but `*` alone).
pub fn reach(principal: &str) -> Reach {
    let account = openai_account();
    if principal == "*" {
        Reach::Anyone
    } else if principal == OPENAI_PRINCIPAL_ARN {
        Reach::OpenAi
    } else if principal == account || principal == format!("arn:aws:iam::{account}:root") {
        Reach::OpenAiAccount
    } else {
        Reach::Other
    }
}

/// How a statement's condition restricts the ExternalId presented.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ExternalIdRule {
    /// Exactly the organization's ExternalId (and perhaps more conditions, which only narrow).
    Exact,
    /// No condition at all.
    NoCondition,
    /// Conditions, none on sts:ExternalId.
    NotChecked,
    /// StringEquals with values that are not (only) the organization's.
    Values(Vec<String>),
    /// A pattern (StringLike with a wildcard) that admits other ids.
    Pattern(String, Vec<String>),
    /// An operator that admits other ids, or a missing one (`…IfExists`, `ForAllValues:`, `Null`,
    /// a negation, a case-insensitive match).
    Operator(String, Vec<String>),
}

fn has_wildcard(value: &str) -> bool {
    value.contains('*') || value.contains('?')
}

/// Reads a statement's condition for the sts:ExternalId it demands. Conditions are ANDed, so one
/// clause demanding exactly `external_id` is enough; otherwise the first clause on the key says
/// what is admitted.
fn external_id_rule(condition: Option<&Value>, external_id: &str) -> ExternalIdRule {
    let Some(operators) = condition.and_then(Value::as_object) else {
        return ExternalIdRule::NoCondition;
    };
    if operators.is_empty() {
        return ExternalIdRule::NoCondition;
    }
    let mut first: Option<ExternalIdRule> = None;
    for (operator, keys) in operators {
        let Some(keys) = keys.as_object() else {
            continue;
        };
        for (key, value) in keys {
            if !key.eq_ignore_ascii_case("sts:ExternalId") {
                continue;
            }
            let values = strings(value).unwrap_or_default();
            // ExternalId holds one value: ForAnyValue: means the same as without it.
            let base = operator.strip_prefix("ForAnyValue:").unwrap_or(operator);
            let exact_values = !values.is_empty() && values.iter().all(|v| v == external_id);
            let rule = match base {
                "StringEquals" if exact_values => ExternalIdRule::Exact,
                "StringEquals" => ExternalIdRule::Values(values),
                "StringLike" if values.iter().any(|v| has_wildcard(v)) => {
                    ExternalIdRule::Pattern(operator.clone(), values)
                }
                "StringLike" if exact_values => ExternalIdRule::Exact,
                "StringLike" => ExternalIdRule::Values(values),
                _ => ExternalIdRule::Operator(operator.clone(), values),
            };
            if rule == ExternalIdRule::Exact {
                return rule;
            }
            first.get_or_insert(rule);
        }
    }
    first.unwrap_or(ExternalIdRule::NotChecked)
}

/// The words for how a loose rule admits: what follows "may assume the role".
fn loose_words(rule: &ExternalIdRule, external_id: &str) -> String {
    match rule {
        ExternalIdRule::Exact => format!("only with sts:ExternalId {external_id}"),
        ExternalIdRule::NoCondition => {
            "without a StringEquals sts:ExternalId condition (it has no condition at all)".into()
        }
        ExternalIdRule::NotChecked => {
            "without a StringEquals sts:ExternalId condition (its conditions do not check sts:ExternalId)"
                .into()
        }
        ExternalIdRule::Values(values) => {
            let others: Vec<&str> = values
                .iter()
                .filter(|v| *v != external_id)
                .map(String::as_str)
                .collect();
            if values.iter().any(|v| v == external_id) {
                format!(
                    "when sts:ExternalId is any of {}: {} is not your organization's",
                    values.join(", "),
                    others.join(", ")
                )
            } else if values.is_empty() {
                "with an empty sts:ExternalId condition".into()
            } else {
                format!(
                    "when sts:ExternalId is {} but OpenAI will present {external_id} for you",
                    values.join(", ")
                )
            }
        }
        ExternalIdRule::Pattern(operator, values) => format!(
            "when sts:ExternalId matches {} ({operator}): a pattern admits other organizations' ids",
            values.join(", ")
        ),
        ExternalIdRule::Operator(operator, values) => format!(
            "when sts:ExternalId is checked with {operator} {}: that admits other ids than exactly {external_id}",
            values.join(", ")
        ),
    }
}

/// The words naming statement `index` of a policy.
fn statement_label(statement: &Statement, index: usize) -> String {
    match statement.sid.as_deref().filter(|s| !s.is_empty()) {
        Some(sid) => format!("statement {sid}"),
        None => format!("statement #{} (no Sid)", index + 1),
    }
}

/// Whether a Deny is the guard "deny OpenAI unless it presents exactly this ExternalId": a
/// single `StringNotEquals` on sts:ExternalId holding only `external_id` (true also when no
/// ExternalId is presented, as AWS evaluates a negated operator on a missing key).
fn is_external_id_guard(condition: &Value, external_id: &str) -> bool {
    let Some(operators) = condition.as_object() else {
        return false;
    };
    operators.len() == 1
        && operators.iter().all(|(operator, keys)| {
            operator == "StringNotEquals"
                && keys.as_object().is_some_and(|keys| {
                    keys.len() == 1
                        && keys.iter().all(|(key, value)| {
                            key.eq_ignore_ascii_case("sts:ExternalId")
                                && strings(value).is_some_and(|v| {
                                    !v.is_empty() && v.iter().all(|v| v == external_id)
                                })
                        })
                })
        })
}

/// Judges a role's trust policy as AWS would evaluate `sts:AssumeRole`, for OpenAI's principal
/// and the organization's ExternalId: every statement that lets OpenAI's principal (or anyone)
/// in without exactly that ExternalId is named, as is every statement for another principal.
pub fn judge_trust(policy: &Policy, external_id: &str) -> TrustVerdict {
    let assume = || {
        policy
            .statements
            .iter()
            .enumerate()
            .filter(|(_, s)| s.covers_action("sts:AssumeRole"))
    };
    // Explicit denies: unconditional ones stop OpenAI; the ExternalId guard narrows what the
    // allows admit to exactly the organization's id.
    let mut guarded = false;
    for (index, statement) in assume().filter(|(_, s)| s.effect == Effect::Deny) {
        let reaches_openai = statement
            .principals
            .iter()
            .flatten()
            .any(|p| reach(p) != Reach::Other);
        if !reaches_openai {
            continue;
        }
        match &statement.condition {
            None => return TrustVerdict::Denied(statement_label(statement, index)),
            Some(condition) if is_external_id_guard(condition, external_id) => guarded = true,
            Some(_) => {}
        }
    }
    let mut loose = Vec::new();
    let mut others = Vec::new();
    let mut other_principals: Vec<String> = Vec::new();
    let mut exact = false;
    for (index, statement) in assume().filter(|(_, s)| s.effect == Effect::Allow) {
        let label = statement_label(statement, index);
        let rule = external_id_rule(statement.condition.as_ref(), external_id);
        let named = statement.principals.clone().unwrap_or_default();
        // An Allow with NotPrincipal admits everyone but those named.
        let everyone_but = statement.not_principals.is_some();
        let reaches: Vec<(Reach, &String)> = named.iter().map(|p| (reach(p), p)).collect();
        if everyone_but || reaches.iter().any(|(r, _)| *r == Reach::Anyone) {
            let who = if everyone_but {
                "any AWS principal (an Allow with NotPrincipal)"
            } else {
                "any AWS principal (\"*\")"
            };
            let how = match rule {
                ExternalIdRule::Exact => format!(
                    " with sts:ExternalId {external_id}: an ExternalId is no secret, so anyone who knows it gets in"
                ),
                ref rule => format!(" {}", loose_words(rule, external_id)),
            };
            loose.push(Admission {
                statement: label,
                index,
                admits: format!("lets {who} assume the role{how}"),
            });
            continue;
        }
        let openai = reaches.iter().any(|(r, _)| *r == Reach::OpenAi);
        let account = reaches.iter().any(|(r, _)| *r == Reach::OpenAiAccount);
        if openai || account {
            let who = if openai {
                "OpenAI's principal"
            } else {
                "OpenAI's account (every role in it, OpenAI's principal among them)"
            };
            if rule == ExternalIdRule::Exact || guarded {
                exact = true;
                if account && !openai {
                    others.push(Admission {
                        statement: label.clone(),
                        index,
                        admits: format!(
                            "trusts OpenAI's whole account {}, not only its principal {OPENAI_PRINCIPAL_ARN}",
                            openai_account()
                        ),
                    });
                }
            } else {
                loose.push(Admission {
                    statement: label.clone(),
                    index,
                    admits: format!(
                        "lets {who} assume the role {}",
                        loose_words(&rule, external_id)
                    ),
                });
            }
        }
        let strangers: Vec<&str> = reaches
            .iter()
            .filter(|(r, _)| *r == Reach::Other)
            .map(|(_, p)| p.as_str())
            .collect();
        if !strangers.is_empty() {
            for stranger in &strangers {
                if !other_principals.iter().any(|p| p == stranger) {
                    other_principals.push(stranger.to_string());
                }
            }
            others.push(Admission {
                statement: label,
                index,
                admits: format!("trusts {}", strangers.join(", ")),
            });
        }
    }
    if !loose.is_empty() {
        TrustVerdict::Loose { loose, exact }
    } else if exact {
        TrustVerdict::Admits { others }
    } else {
        TrustVerdict::OtherPrincipals(other_principals)
    }
}

/// What a key policy lets happen for a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPolicyVerdict {
    /// The account root is granted: IAM policies decide.
    DelegatesToIam,
    /// The role itself is granted both operations.
    GrantsRole,
    /// Neither: IAM policies have no effect on this key.
    Neither,
    /// An explicit Deny applies to the role.
    Denied(String),
}

/// Judges a key policy for the key's account and the role.
pub fn judge_key_policy(policy: &Policy, account: &str, role_arn: &str) -> KeyPolicyVerdict {
    let root = format!("arn:aws:iam::{account}:root");
    let names = |s: &Statement, who: &[&str]| {
        s.principals
            .as_ref()
            .is_some_and(|p| p.iter().any(|p| p == "*" || who.contains(&p.as_str())))
    };
    let both = |s: &Statement| s.covers_action("kms:Encrypt") && s.covers_action("kms:Decrypt");
    if let Some(deny) = policy.statements.iter().find(|s| {
        s.effect == Effect::Deny
            && names(s, &[role_arn])
            && (s.covers_action("kms:Encrypt") || s.covers_action("kms:Decrypt"))
            && s.condition.is_none()
    }) {
        return KeyPolicyVerdict::Denied(deny.label());
    }
    let allows = policy
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow);
    let mut grants_role = false;
    for statement in allows {
        if names(statement, &[&root, account]) && both(statement) {
            return KeyPolicyVerdict::DelegatesToIam;
        }
        if names(statement, &[role_arn]) && both(statement) {
            grants_role = true;
        }
    }
    if grants_role {
        KeyPolicyVerdict::GrantsRole
    } else {
        KeyPolicyVerdict::Neither
    }
}

/// What else a key policy says that bears on OpenAI's access, beside whether the role gets in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPolicyConcern {
    /// A statement grants kms:Encrypt or kms:Decrypt to anyone (`*`), under conditions this
    /// evaluator does not judge when `conditional`.
    Anyone {
        statement: String,
        conditional: bool,
    },
    /// A statement grants them to OpenAI's account or principal directly: past the role, its
    /// trust policy and the ExternalId.
    OpenAiDirectly {
        statement: String,
        principal: String,
    },
    /// A statement names a principal by the unique id (`AROA…`) AWS shows once that role is
    /// deleted.
    DeletedRole { statement: String, id: String },
}

/// Whether a principal is a role's unique id (`AROA` then upper-case letters and digits), the
/// form AWS gives a policy's principal once the role it named is deleted.
pub fn is_role_unique_id(principal: &str) -> bool {
    principal.len() >= 16
        && principal.starts_with("AROA")
        && principal
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The concerns of a key policy: grants of kms:Encrypt or kms:Decrypt to anyone or to OpenAI's
/// account directly, and statements naming a deleted role.
pub fn key_policy_concerns(policy: &Policy) -> Vec<KeyPolicyConcern> {
    let mut concerns = Vec::new();
    for (index, statement) in policy.statements.iter().enumerate() {
        if statement.effect != Effect::Allow
            || !(statement.covers_action("kms:Encrypt") || statement.covers_action("kms:Decrypt"))
        {
            continue;
        }
        let label = statement_label(statement, index);
        for principal in statement.principals.iter().flatten() {
            if is_role_unique_id(principal) {
                concerns.push(KeyPolicyConcern::DeletedRole {
                    statement: label.clone(),
                    id: principal.clone(),
                });
                continue;
            }
            let openai_side = principal == OPENAI_PRINCIPAL_ARN
                || principal == openai_account()
                || principal.starts_with(&format!("arn:aws:iam::{}:", openai_account()))
                || principal.starts_with(&format!("arn:aws:sts::{}:", openai_account()));
            match reach(principal) {
                Reach::Anyone => concerns.push(KeyPolicyConcern::Anyone {
                    statement: label.clone(),
                    conditional: statement.condition.is_some(),
                }),
                _ if openai_side => concerns.push(KeyPolicyConcern::OpenAiDirectly {
                    statement: label.clone(),
                    principal: principal.clone(),
                }),
                _ => {}
            }
        }
        if statement.not_principals.is_some() {
            concerns.push(KeyPolicyConcern::Anyone {
                statement: label.clone(),
                conditional: statement.condition.is_some(),
            });
        }
    }
    concerns
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const ROLE: &str = "arn:aws:iam::111122223333:role/openai-ekm";

    fn policy(json: &str) -> Policy {
        Policy::parse(json).unwrap()
    }

    #[test]
    fn globs() {
        for (pattern, value, expected) in [
            ("kms:*", "kms:Encrypt", true),
            ("kms:En*", "kms:Encrypt", true),
            ("kms:?ncrypt", "kms:Encrypt", true),
            ("kms:Decrypt", "kms:Encrypt", false),
            ("*", "anything", true),
            ("arn:aws:kms:*:111122223333:key/*", KEY, true),
            ("arn:aws:kms:us-west-2:*", KEY, false),
        ] {
            assert_eq!(
                glob_match(pattern, value, true),
                expected,
                "{pattern} ~ {value}"
            );
        }
        assert!(
            !glob_match("arn:aws:kms:US-EAST-1:*", KEY, false),
            "resources are case-sensitive"
        );
    }

    #[test]
    fn identity_policy_table() {
        let cases: &[(&str, &str, Decision)] = &[
            (
                r#"{"Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"KEY"}]}"#,
                "kms:Decrypt",
                Decision::Allowed,
            ),
            (
                r#"{"Statement":{"Effect":"Allow","Action":"kms:Encrypt","Resource":"KEY"}}"#,
                "kms:Decrypt",
                Decision::NotAllowed,
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#,
                "kms:Encrypt",
                Decision::Allowed,
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#,
                "kms:Encrypt",
                Decision::Allowed,
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","NotAction":"kms:*","Resource":"*"}]}"#,
                "kms:Encrypt",
                Decision::NotAllowed,
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","NotResource":"KEY"}]}"#,
                "kms:Encrypt",
                Decision::NotAllowed,
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/other"}]}"#,
                "kms:Encrypt",
                Decision::NotAllowed,
            ),
            (
                r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"},{"Sid":"NoDecrypt","Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}"#,
                "kms:Decrypt",
                Decision::Denied("statement NoDecrypt".into()),
            ),
            (
                r#"{"Statement":[{"Sid":"Vpc","Effect":"Allow","Action":"kms:Encrypt","Resource":"KEY","Condition":{"StringEquals":{"aws:SourceVpc":"vpc-1"}}}]}"#,
                "kms:Encrypt",
                Decision::AllowedUnderCondition("statement Vpc".into()),
            ),
        ];
        for (json, action, expected) in cases {
            let doc = policy(&json.replace("KEY", KEY));
            assert_eq!(
                &evaluate(&[doc], action, KEY),
                expected,
                "{json} / {action}"
            );
        }
    }

    #[test]
    fn url_encoded_documents_are_decoded() {
        let encoded = "%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22kms%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
        assert_eq!(
            evaluate(&[policy(encoded)], "kms:Encrypt", KEY),
            Decision::Allowed
        );
    }

    fn trust(principal: &str, condition: &str) -> Policy {
        policy(&format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"{condition}}}]}}"#
        ))
    }

    const GOOD: &str = r#","Condition":{"StringEquals":{"sts:ExternalId":["org-abc"]}}"#;

    fn openai() -> String {
        format!(r#"{{"AWS":"{OPENAI_PRINCIPAL_ARN}"}}"#)
    }

    /// The loose statements of a verdict, as (statement, admits).
    fn loose(verdict: TrustVerdict) -> Vec<(String, String)> {
        match verdict {
            TrustVerdict::Loose { loose, .. } => {
                loose.into_iter().map(|a| (a.statement, a.admits)).collect()
            }
            other => panic!("not loose: {other:?}"),
        }
    }

    #[test]
    fn the_guides_trust_policy_admits_openai_alone() {
        for condition in [
            GOOD,
            r#","Condition":{"StringEquals":{"sts:ExternalId":"org-abc"}}"#,
            r#","Condition":{"StringLike":{"sts:ExternalId":"org-abc"}}"#,
            // More conditions only narrow; ForAnyValue: on a single-valued key is the same test.
            r#","Condition":{"StringEquals":{"sts:ExternalId":"org-abc"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#,
            r#","Condition":{"ForAnyValue:StringEquals":{"sts:ExternalId":"org-abc"}}"#,
        ] {
            assert_eq!(
                judge_trust(&trust(&openai(), condition), "org-abc"),
                TrustVerdict::Admits { others: vec![] },
                "{condition}"
            );
        }
    }

    #[test]
    fn openai_under_anything_but_exactly_the_external_id_is_loose() {
        let cases: &[(&str, &str, &str)] = &[
            (
                GOOD,
                "org-other",
                "when sts:ExternalId is org-abc but OpenAI will present org-other",
            ),
            ("", "org-abc", "(it has no condition at all)"),
            (
                r#","Condition":{"StringEquals":{"aws:PrincipalAccount":"790389265272"}}"#,
                "org-abc",
                "its conditions do not check sts:ExternalId",
            ),
            (
                r#","Condition":{"StringLike":{"sts:ExternalId":"org-*"}}"#,
                "org-abc",
                "matches org-* (StringLike): a pattern admits other organizations' ids",
            ),
            (
                r#","Condition":{"StringEquals":{"sts:ExternalId":["org-abc","org-Wrong999"]}}"#,
                "org-abc",
                "is any of org-abc, org-Wrong999: org-Wrong999 is not your organization's",
            ),
            (
                r#","Condition":{"StringEqualsIfExists":{"sts:ExternalId":"org-abc"}}"#,
                "org-abc",
                "checked with StringEqualsIfExists",
            ),
            (
                r#","Condition":{"StringNotEquals":{"sts:ExternalId":"org-Wrong999"}}"#,
                "org-abc",
                "checked with StringNotEquals",
            ),
            (
                r#","Condition":{"StringEqualsIgnoreCase":{"sts:ExternalId":"org-abc"}}"#,
                "org-abc",
                "checked with StringEqualsIgnoreCase",
            ),
        ];
        for (condition, expected, words) in cases {
            let found = loose(judge_trust(&trust(&openai(), condition), expected));
            assert_eq!(found.len(), 1, "{condition}: {found:?}");
            assert_eq!(found[0].0, "statement #1 (no Sid)");
            assert!(
                found[0]
                    .1
                    .starts_with("lets OpenAI's principal assume the role")
                    && found[0].1.contains(words),
                "{condition}: {}",
                found[0].1
            );
        }
    }

    #[test]
    fn a_loose_statement_beside_the_guides_still_fails_and_is_named_by_sid() {
        let document = format!(
            r#"{{"Statement":[
                {{"Sid":"Guide","Effect":"Allow","Principal":{o},"Action":"sts:AssumeRole"{GOOD}}},
                {{"Sid":"Old","Effect":"Allow","Principal":{o},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"org-Wrong999"}}}}}}]}}"#,
            o = openai()
        );
        match judge_trust(&policy(&document), "org-abc") {
            TrustVerdict::Loose { loose, exact } => {
                assert!(exact, "the guide's statement is there");
                assert_eq!(loose.len(), 1);
                assert_eq!(loose[0].statement, "statement Old");
                assert_eq!(loose[0].index, 1);
                assert!(loose[0].admits.contains("org-Wrong999"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn anyone_is_loose_even_with_the_external_id() {
        for principal in [r#"{"AWS":"*"}"#, r#""*""#] {
            for condition in ["", GOOD] {
                let found = loose(judge_trust(&trust(principal, condition), "org-abc"));
                assert!(
                    found[0]
                        .1
                        .starts_with("lets any AWS principal (\"*\") assume the role"),
                    "{principal}{condition}: {found:?}"
                );
            }
        }
        let not_principal = r#"{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}"#;
        let found = loose(judge_trust(&policy(not_principal), "org-abc"));
        assert!(found[0].1.contains("NotPrincipal"), "{found:?}");
    }

    #[test]
    fn openais_whole_account_counts_as_openai() {
        let account = r#"{"AWS":"arn:aws:iam::790389265272:root"}"#;
        let found = loose(judge_trust(&trust(account, ""), "org-abc"));
        assert!(found[0].1.starts_with("lets OpenAI's account"), "{found:?}");
        match judge_trust(&trust(r#"{"AWS":"790389265272"}"#, GOOD), "org-abc") {
            TrustVerdict::Admits { others } => {
                assert!(others[0].admits.contains("OpenAI's whole account"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn another_principal_beside_openai_is_named_and_alone_is_not_openai() {
        let document = format!(
            r#"{{"Statement":[
                {{"Effect":"Allow","Principal":{o},"Action":"sts:AssumeRole"{GOOD}}},
                {{"Sid":"Partner","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::444455556666:root"}},"Action":"sts:AssumeRole"}}]}}"#,
            o = openai()
        );
        assert_eq!(
            judge_trust(&policy(&document), "org-abc"),
            TrustVerdict::Admits {
                others: vec![Admission {
                    statement: "statement Partner".into(),
                    index: 1,
                    admits: "trusts arn:aws:iam::444455556666:root".into(),
                }]
            }
        );
        assert_eq!(
            judge_trust(
                &trust(r#"{"AWS":"arn:aws:iam::444455556666:root"}"#, GOOD),
                "org-abc"
            ),
            TrustVerdict::OtherPrincipals(vec!["arn:aws:iam::444455556666:root".into()])
        );
        assert_eq!(
            judge_trust(&trust(r#"{"Service":"ec2.amazonaws.com"}"#, ""), "org-abc"),
            TrustVerdict::OtherPrincipals(vec!["ec2.amazonaws.com".into()])
        );
        // A statement for another action (tagging a session) lets no one assume the role.
        let tagging = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"sts:TagSession"}},{{"Effect":"Allow","Principal":{o},"Action":"sts:AssumeRole"{GOOD}}}]}}"#,
            o = openai()
        );
        assert_eq!(
            judge_trust(&policy(&tagging), "org-abc"),
            TrustVerdict::Admits { others: vec![] }
        );
    }

    #[test]
    fn denies_stop_openai_or_guard_the_external_id() {
        let deny_all = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{o},"Action":"sts:AssumeRole"{GOOD}}},{{"Sid":"Stop","Effect":"Deny","Principal":"*","Action":"sts:*"}}]}}"#,
            o = openai()
        );
        assert_eq!(
            judge_trust(&policy(&deny_all), "org-abc"),
            TrustVerdict::Denied("statement Stop".into())
        );
        // Deny OpenAI unless it presents exactly the organization's id: the loose Allow is then
        // held to it, as AWS would evaluate.
        let guarded = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{o},"Action":"sts:AssumeRole"}},{{"Effect":"Deny","Principal":{o},"Action":"sts:AssumeRole","Condition":{{"StringNotEquals":{{"sts:ExternalId":"org-abc"}}}}}}]}}"#,
            o = openai()
        );
        assert_eq!(
            judge_trust(&policy(&guarded), "org-abc"),
            TrustVerdict::Admits { others: vec![] }
        );
        assert!(matches!(
            judge_trust(&policy(&guarded), "org-other"),
            TrustVerdict::Loose { .. }
        ));
    }

    #[test]
    fn key_policy_table() {
        let default = r#"{"Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
        assert_eq!(
            judge_key_policy(&policy(default), "111122223333", ROLE),
            KeyPolicyVerdict::DelegatesToIam
        );
        let to_role = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{ROLE}"}},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}}]}}"#
        );
        assert_eq!(
            judge_key_policy(&policy(&to_role), "111122223333", ROLE),
            KeyPolicyVerdict::GrantsRole
        );
        let nobody = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/admin"},"Action":"kms:*","Resource":"*"}]}"#;
        assert_eq!(
            judge_key_policy(&policy(nobody), "111122223333", ROLE),
            KeyPolicyVerdict::Neither
        );
        let other_account_root = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"kms:*","Resource":"*"}]}"#;
        assert_eq!(
            judge_key_policy(&policy(other_account_root), "111122223333", ROLE),
            KeyPolicyVerdict::Neither
        );
    }

    #[test]
    fn key_policy_concerns_name_anyone_openai_directly_and_a_deleted_role() {
        let default = r#"{"Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
        assert!(key_policy_concerns(&policy(default)).is_empty());
        let wide = format!(
            r#"{{"Statement":[
                {{"Sid":"Everyone","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}},
                {{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{{"StringEquals":{{"kms:CallerAccount":"111122223333"}}}}}},
                {{"Sid":"OpenAI","Effect":"Allow","Principal":{{"AWS":"{OPENAI_PRINCIPAL_ARN}"}},"Action":"kms:*","Resource":"*"}},
                {{"Sid":"OpenAIAccount","Effect":"Allow","Principal":{{"AWS":"790389265272"}},"Action":"kms:Encrypt","Resource":"*"}},
                {{"Sid":"Gone","Effect":"Allow","Principal":{{"AWS":"AROARZPUZDIKFPYM33AOL"}},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}},
                {{"Sid":"Describe","Effect":"Allow","Principal":"*","Action":"kms:DescribeKey","Resource":"*"}}]}}"#
        );
        assert_eq!(
            key_policy_concerns(&policy(&wide)),
            vec![
                KeyPolicyConcern::Anyone {
                    statement: "statement Everyone".into(),
                    conditional: false
                },
                KeyPolicyConcern::Anyone {
                    statement: "statement #2 (no Sid)".into(),
                    conditional: true
                },
                KeyPolicyConcern::OpenAiDirectly {
                    statement: "statement OpenAI".into(),
                    principal: OPENAI_PRINCIPAL_ARN.into()
                },
                KeyPolicyConcern::OpenAiDirectly {
                    statement: "statement OpenAIAccount".into(),
                    principal: "790389265272".into()
                },
                KeyPolicyConcern::DeletedRole {
                    statement: "statement Gone".into(),
                    id: "AROARZPUZDIKFPYM33AOL".into()
                },
            ]
        );
        assert!(!is_role_unique_id("AROA"));
        assert!(!is_role_unique_id(
            "arn:aws:iam::111122223333:role/AROAEXAMPLEEXAMPLE"
        ));
    }
}
