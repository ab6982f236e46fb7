//! The admin side of the AWS tests: clients on moto, and the guide's setup made there (also
//! used by the bench).

#![allow(dead_code)]

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use ekm_wizard::clouds::aws::artifacts::{iam_policy, trust_policy};
use ekm_wizard::clouds::aws::fields::kms_arn;
use serde_json::Value;

use super::moto::Moto;

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
