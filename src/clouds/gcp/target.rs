//! The Google Cloud target: the recorded inputs (the pool and its provider, the key) read into
//! what the checks and apply use, and the key's name and URL.

use super::artifacts::{Federation, KeyLocation};
use super::ids::*;
use crate::checks::rest::encode_segment;
use crate::guide::{FieldError, Inputs, SetupPath};

/// What the checks need from the recorded inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct GcpTarget {
    pub federation: Federation,
    /// The audience OpenAI presents: the org id, or an API project id.
    pub audience: String,
    /// The key, once steps 2 and 3 recorded it; until then its checks wait.
    pub key: Option<KeyLocation>,
}

impl GcpTarget {
    /// Reads the recorded values; every refused field is returned.
    pub fn from_inputs(inputs: &Inputs, path: SetupPath) -> Result<GcpTarget, Vec<FieldError>> {
        Self::read(inputs, path, true)
    }

    /// Reads what is recorded so far: the federation of step 1 is needed, the key may come
    /// later.
    pub fn from_recorded(inputs: &Inputs, path: SetupPath) -> Result<GcpTarget, Vec<FieldError>> {
        Self::read(inputs, path, false)
    }

    fn read(inputs: &Inputs, path: SetupPath, whole: bool) -> Result<GcpTarget, Vec<FieldError>> {
        use super::artifacts as gcp;
        let federation = gcp::federation(inputs);
        let later = [
            KMS_PROJECT_ID,
            KMS_KEY_LOCATION,
            KMS_KEY_RING_NAME,
            KMS_KEY_NAME,
        ];
        let key_recorded = whole
            || later
                .iter()
                .all(|f| !inputs.effective(*f).trim().is_empty());
        let key = if key_recorded {
            gcp::key_location(inputs).map(Some)
        } else {
            Ok(None)
        };
        let audience = gcp::audience(inputs, path);
        let mut errors = Vec::new();
        errors.extend(federation.as_ref().err().cloned().unwrap_or_default());
        errors.extend(key.as_ref().err().cloned().unwrap_or_default());
        errors.extend(audience.as_ref().err().cloned());
        match (federation, key, audience) {
            (Ok(federation), Ok(key), Ok(audience)) => Ok(GcpTarget {
                federation,
                audience,
                key,
            }),
            _ => Err(crate::artifacts::dedup(errors)),
        }
    }

    pub(super) fn pool_url(&self) -> String {
        format!(
            "https://iam.googleapis.com/v1/projects/{}/locations/global/workloadIdentityPools/{}",
            self.federation.project_number,
            encode_segment(&self.federation.pool)
        )
    }

    pub(super) fn provider_url(&self) -> String {
        format!(
            "{}/providers/{}",
            self.pool_url(),
            encode_segment(&self.federation.provider)
        )
    }
}

pub(super) fn key_url(key: &KeyLocation) -> String {
    format!(
        "https://cloudkms.googleapis.com/v1/projects/{}/locations/{}/keyRings/{}/cryptoKeys/{}",
        encode_segment(&key.project),
        encode_segment(&key.location),
        encode_segment(&key.ring),
        encode_segment(&key.key)
    )
}

pub(super) fn key_display(key: &KeyLocation) -> String {
    format!(
        "projects/{}/locations/{}/keyRings/{}/cryptoKeys/{}",
        key.project, key.location, key.ring, key.key
    )
}
