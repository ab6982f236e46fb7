//! A local evaluator of AWS policy documents: enough of IAM's logic to tell whether a role may
//! call an action on a resource (Allow and explicit Deny, wildcards, `NotAction`,
//! `NotResource`), whether a trust policy admits OpenAI's principal with the right ExternalId,
//! and whether a key policy lets IAM policies work. Used because moto enforces none of this
//! and `iam:SimulatePrincipalPolicy` cannot see key policies.

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

/// What a trust policy says about OpenAI's principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustVerdict {
    /// OpenAI may assume the role with exactly this ExternalId.
    Admits,
    /// Any AWS principal may assume the role.
    Wildcard,
    /// No statement lets OpenAI's principal assume the role; these principals are trusted instead.
    OtherPrincipals(Vec<String>),
    /// OpenAI is trusted without any `sts:ExternalId` condition.
    NoExternalId,
    /// The ExternalId condition holds other values.
    WrongExternalId(Vec<String>),
    /// The ExternalId is checked with another operator than StringEquals.
    OtherOperator(String),
    /// An explicit Deny applies to OpenAI.
    Denied(String),
}

fn external_ids(condition: &Value) -> Option<(String, Vec<String>)> {
    let operators = condition.as_object()?;
    for (operator, keys) in operators {
        if let Some(keys) = keys.as_object() {
            for (key, value) in keys {
                if key.eq_ignore_ascii_case("sts:ExternalId") {
                    return Some((operator.clone(), strings(value).unwrap_or_default()));
                }
            }
        }
    }
    None
}

/// Judges a role's trust policy for OpenAI's principal and the expected ExternalId.
pub fn judge_trust(policy: &Policy, external_id: &str) -> TrustVerdict {
    let assume: Vec<&Statement> = policy
        .statements
        .iter()
        .filter(|s| s.covers_action("sts:AssumeRole"))
        .collect();
    let names_openai = |s: &Statement| {
        s.principals
            .as_ref()
            .is_some_and(|p| p.iter().any(|p| p == OPENAI_PRINCIPAL_ARN || p == "*"))
    };
    if let Some(deny) = assume
        .iter()
        .find(|s| s.effect == Effect::Deny && names_openai(s))
    {
        return TrustVerdict::Denied(deny.label());
    }
    let allows: Vec<&&Statement> = assume
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .collect();
    if allows.iter().any(|s| {
        s.principals
            .as_ref()
            .is_some_and(|p| p.iter().any(|p| p == "*"))
            && s.condition.is_none()
    }) {
        return TrustVerdict::Wildcard;
    }
    let for_openai: Vec<&&&Statement> = allows
        .iter()
        .filter(|s| {
            s.principals
                .as_ref()
                .is_some_and(|p| p.iter().any(|p| p == OPENAI_PRINCIPAL_ARN))
        })
        .collect();
    if for_openai.is_empty() {
        let mut others: Vec<String> = allows
            .iter()
            .flat_map(|s| s.principals.clone().unwrap_or_default())
            .collect();
        others.dedup();
        return TrustVerdict::OtherPrincipals(others);
    }
    let mut worst = TrustVerdict::NoExternalId;
    for statement in for_openai {
        match statement.condition.as_ref().and_then(external_ids) {
            Some((operator, values)) if operator == "StringEquals" => {
                if values.iter().any(|v| v == external_id) {
                    return TrustVerdict::Admits;
                }
                worst = TrustVerdict::WrongExternalId(values);
            }
            Some((operator, _)) => worst = TrustVerdict::OtherOperator(operator),
            None => {}
        }
    }
    worst
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

    #[test]
    fn trust_policy_table() {
        let openai = format!(r#"{{"AWS":"{OPENAI_PRINCIPAL_ARN}"}}"#);
        let good = r#","Condition":{"StringEquals":{"sts:ExternalId":["org-abc"]}}"#;
        assert_eq!(
            judge_trust(&trust(&openai, good), "org-abc"),
            TrustVerdict::Admits
        );
        assert_eq!(
            judge_trust(
                &trust(
                    &openai,
                    r#","Condition":{"StringEquals":{"sts:ExternalId":"org-abc"}}"#
                ),
                "org-abc"
            ),
            TrustVerdict::Admits
        );
        assert_eq!(
            judge_trust(&trust(&openai, good), "org-other"),
            TrustVerdict::WrongExternalId(vec!["org-abc".into()])
        );
        assert_eq!(
            judge_trust(&trust(&openai, ""), "org-abc"),
            TrustVerdict::NoExternalId
        );
        assert_eq!(
            judge_trust(
                &trust(
                    &openai,
                    r#","Condition":{"StringLike":{"sts:ExternalId":"org-*"}}"#
                ),
                "org-abc"
            ),
            TrustVerdict::OtherOperator("StringLike".into())
        );
        assert_eq!(
            judge_trust(&trust(r#"{"AWS":"*"}"#, ""), "org-abc"),
            TrustVerdict::Wildcard
        );
        assert_eq!(
            judge_trust(&trust(r#""*""#, ""), "org-abc"),
            TrustVerdict::Wildcard
        );
        assert_eq!(
            judge_trust(
                &trust(r#"{"AWS":"arn:aws:iam::444455556666:root"}"#, good),
                "org-abc"
            ),
            TrustVerdict::OtherPrincipals(vec!["arn:aws:iam::444455556666:root".into()])
        );
        assert_eq!(
            judge_trust(&trust(r#"{"Service":"ec2.amazonaws.com"}"#, ""), "org-abc"),
            TrustVerdict::OtherPrincipals(vec!["ec2.amazonaws.com".into()])
        );
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
}
