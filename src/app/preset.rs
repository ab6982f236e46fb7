//! What the wizard starts from, in its own terms: the command line maps onto this, and the
//! wizard never reads the command line itself.

use crate::guide::{Cloud, SetupPath};

/// The choices given at start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preset {
    /// The cloud whose KMS holds the key; with `org_id`, the wizard starts at its first step.
    pub cloud: Option<Cloud>,
    pub org_id: Option<String>,
    pub path: Option<SetupPath>,
    /// The id OpenAI presents (API path).
    pub external_id: Option<String>,
    /// Ignore saved progress and start over.
    pub fresh: bool,
    /// The Management API base, as given.
    pub api_base: Option<String>,
    /// The named credentials profile the live checks use, where the cloud has them.
    pub profile: Option<String>,
}
