//! "Do it for me" on Google Cloud, through the REST APIs with the admin's own token: Cloud
//! KMS enabled, the workload identity pool and its OIDC provider, the key ring and key, the
//! custom role with the two permissions, and OpenAI's binding on the key. Long-running
//! operations are waited for; a resource just made that Google does not show yet is asked for
//! again; the key's IAM policy is changed by adding the binding, with its etag, and a
//! conflict reads it again.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::artifacts::{
    GCP_KMS_PERMISSIONS, KeyLocation, attribute_condition, custom_role, principal,
};
use super::checks::judge_provider;
use super::ids::*;
use super::session::discover;
use super::target::{GcpTarget, key_display, key_url};
use crate::checks::CheckStatus;
use crate::checks::rest::{CloudError, Redirect, Rest, encode_segment};
use crate::guide::apply::{
    Applied, Applier, ApplySession, CallLog, Change, Planned, follow_unknowns,
};
use crate::guide::plan::{CannotCheck, CheckOptions};
use crate::guide::{FieldError, Inputs, SetupPath};

/// What applying reads: every value of the guide (the pool, provider, key and role names).
#[derive(Debug, Clone)]
pub struct GcpApplier {
    target: GcpTarget,
    role_id: String,
}

impl GcpApplier {
    pub fn from_inputs(inputs: &Inputs) -> Result<GcpApplier, Vec<FieldError>> {
        let target = GcpTarget::from_inputs(inputs, SetupPath::Api);
        let role_id = inputs.validated(ROLE_ID);
        match (target, role_id) {
            (Ok(target), Ok(role_id)) if target.key.is_some() => Ok(GcpApplier { target, role_id }),
            (target, role_id) => {
                let mut errors = target.err().unwrap_or_default();
                errors.extend(role_id.err());
                Err(errors)
            }
        }
    }

    fn key(&self) -> &KeyLocation {
        self.target
            .key
            .as_ref()
            .expect("from_inputs keeps only a target with its key")
    }

    fn role_name(&self) -> String {
        format!("projects/{}/roles/{}", self.key().project, self.role_id)
    }
}

#[async_trait::async_trait]
impl Applier for GcpApplier {
    async fn connect(
        &self,
        options: &CheckOptions,
        log: CallLog,
    ) -> Result<Box<dyn ApplySession + '_>, CannotCheck> {
        let redirect = Redirect::from_env(super::session::API_URL_VAR)?;
        let rest = Rest::new(redirect, options.timeout, &super::rest_shape::DIALECT)?;
        let credentials = discover(options.timeout).await?;
        Ok(Box::new(GcpApply {
            applier: self,
            rest,
            token: credentials.token,
            log,
        }))
    }
}

struct GcpApply<'a> {
    applier: &'a GcpApplier,
    rest: Rest,
    token: Zeroizing<String>,
    log: CallLog,
}

const SERVICE_USAGE: &str = "https://serviceusage.googleapis.com/v1";
const IAM: &str = "https://iam.googleapis.com/v1";
const KMS: &str = "https://cloudkms.googleapis.com/v1";

impl GcpApply<'_> {
    /// Reads `url`: the resource, `None` when it does not exist, or why it cannot be read.
    async fn read(&self, url: &str, permission: &str) -> Result<Option<Value>, String> {
        self.read_answer(url)
            .await
            .map_err(|err| err.refusal("Google", permission))
    }

    /// One read, recorded, with Google's error as it came (for decisions by its reason).
    async fn read_answer(&self, url: &str) -> Result<Option<Value>, CloudError> {
        let started = Instant::now();
        let answer = self.rest.call(Method::GET, url, &self.token, None).await;
        let shown = url.split_once("/v1/").map(|(_, p)| p).unwrap_or(url);
        match answer {
            Ok(found) => {
                self.log.record("READ", shown, "found", started);
                Ok(Some(found))
            }
            Err(err) if err.status == Some(404) => {
                self.log.record("READ", shown, "not found", started);
                Ok(None)
            }
            Err(err) => {
                self.log.record("READ", shown, &err.message, started);
                Err(err)
            }
        }
    }

    /// Sends one write, recorded. A create is sent once; when Google does not show a parent
    /// made a moment ago (404), it is sent again after a wait, since nothing was made.
    async fn write(
        &self,
        method: Method,
        url: &str,
        body: &Value,
        permission: &str,
    ) -> Result<Value, (Option<u16>, String)> {
        let shown = url.split_once("/v1/").map(|(_, p)| p).unwrap_or(url);
        let mut wait = Duration::from_millis(500);
        for attempt in 0..6 {
            let started = Instant::now();
            let answer = if method == Method::POST {
                self.rest.create(url, &self.token, body).await
            } else {
                self.rest
                    .call(method.clone(), url, &self.token, Some(body))
                    .await
            };
            match answer {
                Ok(done) => {
                    self.log.record(method.as_str(), shown, "done", started);
                    return Ok(done);
                }
                Err(err) => {
                    self.log
                        .record(method.as_str(), shown, &err.message, started);
                    let not_visible_yet = err.status == Some(404)
                        || (err.status == Some(400) && err.message.contains("does not exist"));
                    if not_visible_yet && attempt < 5 {
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                        continue;
                    }
                    return Err((err.status, err.refusal("Google", permission)));
                }
            }
        }
        Err((
            None,
            "Google did not show a resource made a moment ago".into(),
        ))
    }

    /// Waits for a long-running operation (`done`), asking its service again.
    async fn settle(&self, base: &str, operation: Value) -> Result<Value, String> {
        let mut operation = operation;
        let mut wait = Duration::from_millis(300);
        for _ in 0..20 {
            if operation["done"].as_bool() == Some(true) || operation.get("name").is_none() {
                if let Some(error) = operation.get("error") {
                    return Err(format!(
                        "the operation failed: {}",
                        error["message"].as_str().unwrap_or("no reason given")
                    ));
                }
                return Ok(operation["response"].clone());
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(5));
            let name = operation["name"].as_str().unwrap_or_default().to_string();
            match self
                .read(&format!("{base}/{name}"), "reading the operation")
                .await
            {
                Ok(Some(next)) => operation = next,
                Ok(None) => return Err(format!("the operation {name} is gone")),
                Err(why) => return Err(why),
            }
        }
        Err("the operation did not finish in time: run apply again to see where it stands".into())
    }

    fn service_url(&self) -> String {
        format!(
            "{SERVICE_USAGE}/projects/{}/services/cloudkms.googleapis.com",
            encode_segment(&self.applier.key().project)
        )
    }

    fn ring_url(&self) -> String {
        let key = self.applier.key();
        format!(
            "{KMS}/projects/{}/locations/{}/keyRings/{}",
            encode_segment(&key.project),
            encode_segment(&key.location),
            encode_segment(&key.ring)
        )
    }

    fn role_url(&self) -> String {
        format!(
            "{IAM}/projects/{}/roles/{}",
            encode_segment(&self.applier.key().project),
            encode_segment(&self.applier.role_id)
        )
    }

    /// The provider as the guide wants it, in the REST API's words.
    fn provider_body(&self) -> Value {
        json!({
            "displayName": "OpenAI EKM",
            "oidc": {
                "issuerUri": super::OPENAI_TOKEN_ISSUER,
                "allowedAudiences": [self.applier.target.audience],
            },
            "attributeMapping": {"google.subject": "assertion.sub"},
            "attributeCondition": attribute_condition(),
        })
    }

    async fn plan_service(&self) -> Planned {
        let project = &self.applier.key().project;
        let change = match self
            .read(&self.service_url(), "serviceusage.services.get")
            .await
        {
            Ok(Some(service)) if service["state"] == "ENABLED" => Change::AsWanted,
            Ok(_) => Change::Create,
            Err(why) => Change::Unknown { why },
        };
        Planned::new(
            "kms-api",
            format!("the Cloud KMS API in {project}"),
            STEP_ENABLE_KMS,
            change,
        )
    }

    async fn plan_pool(&self) -> Planned {
        let fed = &self.applier.target.federation;
        let change = match self
            .read(
                &self.applier.target.pool_url(),
                "iam.workloadIdentityPools.get",
            )
            .await
        {
            Ok(None) => Change::Create,
            Ok(Some(pool)) if pool["state"] == "DELETED" => Change::Cannot {
                why: format!(
                    "the pool {} was deleted (Google keeps it 30 days): undelete it, or choose another pool id; apply does not undelete",
                    fed.pool
                ),
            },
            Ok(Some(pool)) if pool["disabled"] == true => Change::Cannot {
                why: format!(
                    "the pool {} is disabled: enable it; apply does not",
                    fed.pool
                ),
            },
            Ok(Some(_)) => Change::AsWanted,
            Err(why) => Change::Unknown { why },
        };
        Planned::new(
            "pool",
            format!(
                "the workload identity pool {} in project {}",
                fed.pool, fed.project_number
            ),
            STEP_FEDERATED_IDENTITY,
            change,
        )
    }

    async fn plan_provider(&self, pool_exists: bool) -> Planned {
        let fed = &self.applier.target.federation;
        let change = if !pool_exists {
            Change::Create
        } else {
            match self
                .read(
                    &self.applier.target.provider_url(),
                    "iam.workloadIdentityPoolProviders.get",
                )
                .await
            {
                Ok(None) => Change::Create,
                Ok(Some(provider)) => {
                    match judge_provider(&provider, &fed.provider, &self.applier.target.audience) {
                        (CheckStatus::Pass, _) => Change::AsWanted,
                        (_, problem) => Change::Differs {
                            diff: format!(
                                "{problem}; the issuer, allowed audience, google.subject mapping and attribute condition become the guide's"
                            ),
                        },
                    }
                }
                Err(why) => Change::Unknown { why },
            }
        };
        Planned::new(
            "provider",
            format!("the OIDC provider {}", fed.provider),
            STEP_FEDERATED_IDENTITY,
            change,
        )
    }

    async fn plan_ring(&self) -> (Planned, bool) {
        let key = self.applier.key();
        let (change, exists) = match self.read_answer(&self.ring_url()).await {
            Ok(None) => (Change::Create, false),
            Ok(Some(_)) => (Change::AsWanted, true),
            // A disabled API reads as a refusal: the ring is made once the API is on.
            Err(err) if err.has_reason("SERVICE_DISABLED") => (Change::Create, false),
            Err(err) => (
                Change::Unknown {
                    why: err.refusal("Google", "cloudkms.keyRings.get"),
                },
                false,
            ),
        };
        (
            Planned::new(
                "key-ring",
                format!("the key ring {} in {}", key.ring, key.location),
                STEP_CREATE_KEY,
                change,
            ),
            exists,
        )
    }

    async fn plan_key(&self, ring_exists: bool) -> (Planned, bool) {
        let key = self.applier.key();
        let title = format!("the key {}", key.key);
        if !ring_exists {
            return (
                Planned::new("key", title, STEP_CREATE_KEY, Change::Create),
                false,
            );
        }
        let (change, exists) = match self.read(&key_url(key), "cloudkms.cryptoKeys.get").await {
            Ok(None) => (Change::Create, false),
            Ok(Some(found)) if found["purpose"] != "ENCRYPT_DECRYPT" => (
                Change::Cannot {
                    why: format!(
                        "{} is not an encrypt-and-decrypt key; apply never changes a key's purpose: choose another key name",
                        key_display(key)
                    ),
                },
                true,
            ),
            Ok(Some(found)) if found["rotationPeriod"].is_null() => (
                Change::Differs {
                    diff: "automatic rotation: none → every 90 days".into(),
                },
                true,
            ),
            Ok(Some(_)) => (Change::AsWanted, true),
            Err(why) => (Change::Unknown { why }, false),
        };
        (Planned::new("key", title, STEP_CREATE_KEY, change), exists)
    }

    async fn plan_role(&self) -> Planned {
        let change = match self.read(&self.role_url(), "iam.roles.get").await {
            Ok(None) => Change::Create,
            Ok(Some(role)) if role["deleted"] == true => Change::Cannot {
                why: format!(
                    "the role {} was deleted: undelete it (gcloud iam roles undelete), or choose another role id",
                    self.applier.role_id
                ),
            },
            Ok(Some(role)) => {
                let has: Vec<&str> = role["includedPermissions"]
                    .as_array()
                    .map(|p| p.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let missing: Vec<&str> = GCP_KMS_PERMISSIONS
                    .iter()
                    .copied()
                    .filter(|p| !has.contains(p))
                    .collect();
                if missing.is_empty() {
                    Change::AsWanted
                } else {
                    Change::Differs {
                        diff: format!("+ permissions {} (its others stay)", missing.join(", ")),
                    }
                }
            }
            Err(why) => Change::Unknown { why },
        };
        Planned::new(
            "role",
            format!("the custom role {}", self.applier.role_id),
            STEP_CUSTOM_ROLE,
            change,
        )
    }

    async fn key_policy(&self) -> Result<Value, String> {
        self.read(
            &format!("{}:getIamPolicy", key_url(self.applier.key())),
            "cloudkms.cryptoKeys.getIamPolicy",
        )
        .await
        .map(|p| p.unwrap_or_else(|| json!({})))
    }

    fn has_binding(&self, policy: &Value) -> bool {
        let member = principal(&self.applier.target.federation);
        let role = self.applier.role_name();
        policy["bindings"].as_array().is_some_and(|bindings| {
            bindings.iter().any(|b| {
                b["role"] == role.as_str()
                    && b["condition"].is_null()
                    && b["members"]
                        .as_array()
                        .is_some_and(|m| m.iter().any(|m| m == member.as_str()))
            })
        })
    }

    async fn plan_binding(&self, key_exists: bool) -> Planned {
        let title = format!(
            "OpenAI's principal bound to {} on the key",
            self.applier.role_id
        );
        let change = if !key_exists {
            Change::Create
        } else {
            match self.key_policy().await {
                Ok(policy) if self.has_binding(&policy) => Change::AsWanted,
                Ok(_) => Change::Create,
                Err(why) => Change::Unknown { why },
            }
        };
        Planned::new("binding", title, STEP_GRANT, change)
    }

    /// Adds OpenAI's member to the role's binding, with the policy's etag; a conflict (someone
    /// changed the policy meanwhile) reads it again and adds again, keeping their change.
    async fn add_binding(&self) -> Result<String, String> {
        let member = principal(&self.applier.target.federation);
        let role = self.applier.role_name();
        let key = self.applier.key();
        if self
            .read(&key_url(key), "cloudkms.cryptoKeys.get")
            .await?
            .is_none()
        {
            return Err(format!(
                "the key {} is not made yet: make it first (on the start screen, m makes every step)",
                key_display(key)
            ));
        }
        for _ in 0..4 {
            let mut policy = self.key_policy().await?;
            if self.has_binding(&policy) {
                return Ok(format!("{member} holds {role}"));
            }
            let mut bindings = policy["bindings"].as_array().cloned().unwrap_or_default();
            match bindings
                .iter_mut()
                .find(|b| b["role"] == role.as_str() && b["condition"].is_null())
            {
                Some(binding) => {
                    let mut members = binding["members"].as_array().cloned().unwrap_or_default();
                    members.push(json!(member));
                    binding["members"] = Value::Array(members);
                }
                None => bindings.push(json!({"role": role, "members": [member]})),
            }
            policy["bindings"] = Value::Array(bindings);
            let url = format!("{}:setIamPolicy", key_url(self.applier.key()));
            match self
                .write(
                    Method::POST,
                    &url,
                    &json!({"policy": policy}),
                    "cloudkms.cryptoKeys.setIamPolicy",
                )
                .await
            {
                Ok(_) => return Ok(format!("{member} holds {role}")),
                Err((Some(409), _)) => continue,
                Err((_, why)) => return Err(why),
            }
        }
        Err("the key's IAM policy kept changing under the apply: run it again".into())
    }
}

#[async_trait::async_trait]
impl ApplySession for GcpApply<'_> {
    async fn plan(&self) -> Vec<Planned> {
        let service = self.plan_service().await;
        let pool = self.plan_pool().await;
        let pool_exists = pool.change != Change::Create;
        let provider = self.plan_provider(pool_exists).await;
        let (ring, ring_exists) = if service.change == Change::Create {
            // With the API off nothing of the key can exist yet.
            let key = self.applier.key();
            (
                Planned::new(
                    "key-ring",
                    format!("the key ring {} in {}", key.ring, key.location),
                    STEP_CREATE_KEY,
                    Change::Create,
                ),
                false,
            )
        } else {
            self.plan_ring().await
        };
        let (key, key_exists) = self.plan_key(ring_exists).await;
        let role = self.plan_role().await;
        let binding = self.plan_binding(key_exists).await;
        let mut plan = vec![service, pool, provider, ring, key, role, binding];
        follow_unknowns(
            &mut plan,
            &[
                ("provider", "pool"),
                ("key-ring", "kms-api"),
                ("key", "key-ring"),
                ("binding", "key"),
            ],
        );
        plan
    }

    async fn apply(&self, planned: &Planned) -> Applied {
        let key = self.applier.key();
        let fed = &self.applier.target.federation;
        let made = |detail: String| Applied::Made { detail };
        let outcome: Result<Applied, String> = match (planned.id, &planned.change) {
            ("kms-api", _) => match self
                .write(
                    Method::POST,
                    &format!("{}:enable", self.service_url()),
                    &json!({}),
                    "serviceusage.services.enable",
                )
                .await
            {
                Ok(op) => self
                    .settle(SERVICE_USAGE, op)
                    .await
                    .map(|_| made("cloudkms.googleapis.com enabled".into())),
                Err((_, why)) => Err(why),
            },
            ("pool", _) => {
                let url = format!(
                    "{IAM}/projects/{}/locations/global/workloadIdentityPools?workloadIdentityPoolId={}",
                    fed.project_number,
                    encode_segment(&fed.pool)
                );
                let body = json!({"displayName": "OpenAI EKM", "description": "Lets OpenAI use the EKM key"});
                match self
                    .write(
                        Method::POST,
                        &url,
                        &body,
                        "iam.workloadIdentityPools.create",
                    )
                    .await
                {
                    Ok(op) => self.settle(IAM, op).await.map(|_| made(fed.pool.clone())),
                    Err((Some(409), _)) => Ok(made(format!(
                        "{} (already made by an earlier run)",
                        fed.pool
                    ))),
                    Err((_, why)) => Err(why),
                }
            }
            ("provider", Change::Create) => {
                let url = format!(
                    "{}/providers?workloadIdentityPoolProviderId={}",
                    self.applier.target.pool_url(),
                    encode_segment(&fed.provider)
                );
                match self
                    .write(
                        Method::POST,
                        &url,
                        &self.provider_body(),
                        "iam.workloadIdentityPoolProviders.create",
                    )
                    .await
                {
                    Ok(op) => self
                        .settle(IAM, op)
                        .await
                        .map(|_| made(fed.provider.clone())),
                    Err((Some(409), _)) => Ok(made(format!(
                        "{} (already made by an earlier run)",
                        fed.provider
                    ))),
                    Err((_, why)) => Err(why),
                }
            }
            ("provider", _) => {
                let url = format!(
                    "{}?updateMask=oidc,attributeMapping,attributeCondition",
                    self.applier.target.provider_url()
                );
                match self
                    .write(
                        Method::PATCH,
                        &url,
                        &self.provider_body(),
                        "iam.workloadIdentityPoolProviders.update",
                    )
                    .await
                {
                    Ok(op) => self.settle(IAM, op).await.map(|_| Applied::Changed {
                        detail: fed.provider.clone(),
                    }),
                    Err((_, why)) => Err(why),
                }
            }
            ("key-ring", _) => {
                let url = format!(
                    "{KMS}/projects/{}/locations/{}/keyRings?keyRingId={}",
                    encode_segment(&key.project),
                    encode_segment(&key.location),
                    encode_segment(&key.ring)
                );
                match self
                    .write(Method::POST, &url, &json!({}), "cloudkms.keyRings.create")
                    .await
                {
                    Ok(_) => Ok(made(key.ring.clone())),
                    Err((Some(409), _)) => Ok(made(format!(
                        "{} (already made by an earlier run)",
                        key.ring
                    ))),
                    Err((_, why)) => Err(why),
                }
            }
            ("key", Change::Create) => {
                let url = format!(
                    "{}/cryptoKeys?cryptoKeyId={}",
                    self.ring_url(),
                    encode_segment(&key.key)
                );
                let body = json!({
                    "purpose": "ENCRYPT_DECRYPT",
                    "rotationPeriod": "7776000s",
                    "nextRotationTime": crate::clock::iso_8601_utc(crate::clock::now_unix() + 90 * 86_400),
                });
                match self
                    .write(Method::POST, &url, &body, "cloudkms.cryptoKeys.create")
                    .await
                {
                    Ok(_) => Ok(made(key_display(key))),
                    Err((Some(409), _)) => Ok(made(format!(
                        "{} (already made by an earlier run)",
                        key_display(key)
                    ))),
                    Err((_, why)) => Err(why),
                }
            }
            ("key", _) => {
                let url = format!(
                    "{}?updateMask=rotationPeriod,nextRotationTime",
                    key_url(key)
                );
                let body = json!({
                    "rotationPeriod": "7776000s",
                    "nextRotationTime": crate::clock::iso_8601_utc(crate::clock::now_unix() + 90 * 86_400),
                });
                self.write(Method::PATCH, &url, &body, "cloudkms.cryptoKeys.update")
                    .await
                    .map(|_| Applied::Changed {
                        detail: "rotation every 90 days".into(),
                    })
                    .map_err(|(_, why)| why)
            }
            ("role", Change::Create) => {
                let url = format!("{IAM}/projects/{}/roles", encode_segment(&key.project));
                match self
                    .write(
                        Method::POST,
                        &url,
                        &custom_role(&self.applier.role_id),
                        "iam.roles.create",
                    )
                    .await
                {
                    Ok(_) => Ok(made(self.applier.role_name())),
                    Err((Some(409), _)) => Ok(made(format!(
                        "{} (already made by an earlier run)",
                        self.applier.role_name()
                    ))),
                    Err((_, why)) => Err(why),
                }
            }
            ("role", _) => match self.read(&self.role_url(), "iam.roles.get").await {
                Ok(Some(role)) => {
                    let mut permissions: Vec<Value> = role["includedPermissions"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    for wanted in GCP_KMS_PERMISSIONS {
                        if !permissions.iter().any(|p| p == wanted) {
                            permissions.push(json!(wanted));
                        }
                    }
                    let body = json!({"includedPermissions": permissions, "etag": role["etag"]});
                    self.write(
                        Method::PATCH,
                        &format!("{}?updateMask=includedPermissions", self.role_url()),
                        &body,
                        "iam.roles.update",
                    )
                    .await
                    .map(|_| Applied::Changed {
                        detail: self.applier.role_name(),
                    })
                    .map_err(|(_, why)| why)
                }
                Ok(None) => Err("the role is gone".into()),
                Err(why) => Err(why),
            },
            ("binding", _) => self.add_binding().await.map(made),
            (other, _) => Err(format!(
                "{other} is not something the Google Cloud apply makes"
            )),
        };
        outcome.unwrap_or_else(|why| Applied::Refused { why })
    }
}
