//! The admin side of the AWS tests: clients on moto, and the guide's setup made there (also
//! used by the bench).

#![allow(dead_code)]

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use ekm_wizard::clouds::aws::artifacts::{iam_policy, trust_policy};
use ekm_wizard::clouds::aws::fields::kms_arn;
use serde_json::Value;

use super::fake_openai::FakeOpenAi;
use super::moto::Moto;
use serde_json::json;
use std::sync::Arc;

pub const ORG: &str = "org-abc123";

pub struct Aws {
    pub kms: aws_sdk_kms::Client,
    pub iam: aws_sdk_iam::Client,
}

pub async fn admin(moto: &Moto) -> Aws {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await;
    Aws {
        kms: aws_sdk_kms::Client::new(&config),
        iam: aws_sdk_iam::Client::new(&config),
    }
}

impl Aws {
    pub async fn key(&self, spec: KeySpec, policy: Option<&str>) -> String {
        let usage = match spec {
            KeySpec::SymmetricDefault => KeyUsageType::EncryptDecrypt,
            _ => KeyUsageType::SignVerify,
        };
        let mut request = self.kms.create_key().key_spec(spec).key_usage(usage);
        if let Some(policy) = policy {
            request = request.policy(policy);
        }
        let created = request.send().await.unwrap();
        created.key_metadata().unwrap().arn().unwrap().to_string()
    }

    pub async fn symmetric_key(&self) -> String {
        self.key(KeySpec::SymmetricDefault, None).await
    }

    pub async fn role(&self, name: &str, trust: &Value) -> String {
        let created = self
            .iam
            .create_role()
            .role_name(name)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await
            .unwrap();
        created.role().unwrap().arn().to_string()
    }

    pub async fn attach(&self, role: &str, document: &Value) {
        let policy = self
            .iam
            .create_policy()
            .policy_name(format!("{role}-kms"))
            .policy_document(document.to_string())
            .send()
            .await
            .unwrap();
        self.iam
            .attach_role_policy()
            .role_name(role)
            .policy_arn(policy.policy().unwrap().arn().unwrap())
            .send()
            .await
            .unwrap();
    }

    pub async fn inline(&self, role: &str, document: &Value) {
        self.iam
            .put_role_policy()
            .role_name(role)
            .policy_name("kms-inline")
            .policy_document(document.to_string())
            .send()
            .await
            .unwrap();
    }

    /// The guide's setup: a symmetric key, the role with the trust policy, the policy attached.
    pub async fn good_setup(&self) -> (String, String) {
        let key = self.symmetric_key().await;
        let role = self.role("openai-ekm", &trust_policy(ORG)).await;
        self.attach("openai-ekm", &iam_policy(&kms_arn(&key).unwrap()))
            .await;
        self.kms
            .enable_key_rotation()
            .key_id(&key)
            .send()
            .await
            .unwrap();
        (key, role)
    }
}

/// Whether moto says the key is enabled.
pub fn key_enabled(moto_port: u16, key: &str) -> bool {
    use aws_config::BehaviorVersion;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let config = aws_config::defaults(BehaviorVersion::latest())
                .endpoint_url(format!("http://127.0.0.1:{moto_port}"))
                .region(aws_config::Region::new("us-east-1"))
                .credentials_provider(aws_credential_types::Credentials::new(
                    "testing", "testing", None, None, "tests",
                ))
                .load()
                .await;
            let kms = aws_sdk_kms::Client::new(&config);
            let described = kms.describe_key().key_id(key).send().await.unwrap();
            described.key_metadata().unwrap().enabled()
        })
}

/// An OpenAI stand-in with the AWS key registered (and a project using it), validating by
/// looking at the key in moto, as OpenAI reaching the customer's KMS would.
pub fn openai_for(moto: &Moto, key: &str, role: &str, admin_key: &str) -> FakeOpenAi {
    let fake = FakeOpenAi::start(admin_key);
    let port = moto.port;
    let mut state = fake.state.lock().unwrap();
    state.keys.push(json!({
        "id": "extkey_aws1", "object": "organization.external_key", "created_at": 1_760_000_000,
        "api_project_ids": [], "type": "aws", "name": "ekm",
        "role_arn": role, "kms_arn": key, "external_id": ORG,
    }));
    state.projects.push(json!({
        "object": "organization.project", "id": "proj_ekm", "name": "EKM project",
        "created_at": 1_760_000_100, "status": "active", "external_key_id": "extkey_aws1",
    }));
    state.validate_by = Some(Arc::new(move |registered: &Value| {
        let arn = registered["kms_arn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if key_enabled(port, &arn) {
            (200, json!({"status": "success"}))
        } else {
            (
                400,
                json!({"error": {"message": format!("An error occurred (DisabledException) when calling the Encrypt operation: {arn} is disabled."), "type": "invalid_request_error", "param": null, "code": null}}),
            )
        }
    }));
    drop(state);
    fake
}
