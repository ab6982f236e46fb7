//! How Azure's REST APIs (management, Graph, Key Vault) are spoken: the Entra ID access token
//! as a bearer, and errors as `error.code` and `error.message` with nested
//! `innererror.code`s as the finer reasons.

use serde_json::Value;

use crate::checks::rest::{Dialect, ErrorParts};

/// Azure's dialect, for the REST client the kits share.
#[derive(Debug)]
pub struct AzureRest;

/// The one instance handed to `Rest::new`.
pub static DIALECT: AzureRest = AzureRest;

impl Dialect for AzureRest {
    fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        credential: &str,
    ) -> reqwest::RequestBuilder {
        request.bearer_auth(credential)
    }

    fn read_error(&self, body: &Value) -> Option<ErrorParts> {
        let Value::Object(fields) = &body["error"] else {
            return None;
        };
        let code = fields
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut reasons = Vec::new();
        let mut inner = fields.get("innererror");
        while let Some(found) = inner {
            if let Some(code) = found["code"].as_str() {
                reasons.push(code.to_string());
            }
            inner = found.get("innererror");
        }
        let message = fields
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Some(ErrorParts {
            code,
            message,
            reasons,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::rest::CloudError;
    use serde_json::json;

    #[test]
    fn an_azure_error_is_read_with_its_inner_codes() {
        let azure = CloudError::from_answer(
            403,
            &json!({"error": {"code": "Forbidden", "message": "Caller is not authorized",
                "innererror": {"code": "ForbiddenByRbac", "innererror": {"code": "Deeper"}}}}),
            &DIALECT,
        );
        assert!(azure.has_reason("ForbiddenByRbac"));
        assert!(azure.has_reason("Deeper"));
        assert_eq!(azure.to_string(), "403 Forbidden: Caller is not authorized");
        let oauth = CloudError::from_answer(
            400,
            &json!({"error": "invalid_target", "error_description": "The target service is invalid"}),
            &DIALECT,
        );
        assert_eq!(oauth.code, "invalid_target");
    }
}
