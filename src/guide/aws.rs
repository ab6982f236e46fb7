//! The AWS guide: five steps, from creating the KMS key to handing the details to OpenAI.

use std::sync::OnceLock;

use super::{Guide, parse_guide};

/// The AWS guide, parsed once from `assets/guides/aws.toml`.
pub fn guide() -> &'static Guide {
    static GUIDE: OnceLock<Guide> = OnceLock::new();
    GUIDE.get_or_init(|| parse_guide(include_str!("../../assets/guides/aws.toml"), "aws.toml"))
}
