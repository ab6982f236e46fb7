//! OpenAI's fixed identities: the principals, ids and endpoints every cloud's setup trusts.
//!
//! These values come from OpenAI's integration guides. They live here and nowhere else, so a
//! change on OpenAI's side is a one-line change on ours.

/// The AWS role in OpenAI's account that calls `sts:AssumeRole` on the customer's role.
pub const AWS_PRINCIPAL_ARN: &str = "arn:aws:iam::790389265272:role/EnterpriseKeyManagement";

/// The session name OpenAI's AWS principal uses; it shows up in AWS error messages.
pub const AWS_SESSION_NAME: &str = "OpenAI-EKM-Service";

/// The Google service account id that OpenAI's identity tokens carry as `sub` and `azp`.
pub const GCP_SUBJECT_ID: &str = "105900137572174660365";

/// The issuer of OpenAI's Google identity tokens.
pub const GCP_TOKEN_ISSUER: &str = "https://accounts.google.com";

/// The Entra ID application (client) id of OpenAI's EKM service.
pub const AZURE_APP_ID: &str = "20a14814-5ab7-4612-a671-1382b412bf93";

/// The display name of OpenAI's service principal once created in a tenant.
pub const AZURE_APP_DISPLAY_NAME: &str = "EKM - OpenAI Azure";

/// The OpenAI Management API base used unless the admin overrides it.
pub const OPENAI_API_BASE: &str = "https://api.openai.com/v1";

/// The two KMS operations OpenAI needs on an AWS key, in the order policies list them.
pub const AWS_KMS_ACTIONS: [&str; 2] = ["kms:Encrypt", "kms:Decrypt"];
