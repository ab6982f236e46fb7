//! How Google's REST APIs are spoken: the OAuth access token as a bearer, and errors in the
//! `google.rpc.Status` shape (`error.status` the code, `error.details[].reason` the reasons).

use serde_json::Value;

use crate::checks::rest::{Dialect, ErrorParts};

/// Google's dialect, for the REST client the kits share.
#[derive(Debug)]
pub struct GoogleRest;

/// The one instance handed to `Rest::new`.
pub static DIALECT: GoogleRest = GoogleRest;

impl Dialect for GoogleRest {
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
        // `code` is the HTTP status as a number; an older API may put its code there as text.
        let code = fields
            .get("status")
            .and_then(Value::as_str)
            .or_else(|| fields.get("code").and_then(Value::as_str))
            .unwrap_or_default()
            .to_string();
        let reasons = fields
            .get("details")
            .and_then(Value::as_array)
            .map(|details| {
                details
                    .iter()
                    .filter_map(|d| d["reason"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
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
    fn a_google_error_is_read() {
        let google = CloudError::from_answer(
            403,
            &json!({"error": {"code": 403, "message": "Cloud KMS API has not been used", "status": "PERMISSION_DENIED",
                "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED"}]}}),
            &DIALECT,
        );
        assert_eq!(google.code, "PERMISSION_DENIED");
        assert!(google.has_reason("SERVICE_DISABLED"));
        assert_eq!(
            google.to_string(),
            "403 PERMISSION_DENIED: Cloud KMS API has not been used"
        );
        let oauth = CloudError::from_answer(
            400,
            &json!({"error": "invalid_grant", "error_description": "Bad Request"}),
            &DIALECT,
        );
        assert_eq!(oauth.code, "invalid_grant");
        assert_eq!(oauth.message, "Bad Request");
    }
}
