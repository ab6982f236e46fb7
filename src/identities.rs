//! OpenAI's own fixed addresses. Each cloud's OpenAI identities (principals, application and
//! subject ids) live in that cloud's kit, `src/clouds/<cloud>/mod.rs`.

/// The OpenAI Management API base used unless the admin overrides it.
pub const OPENAI_API_BASE: &str = "https://api.openai.com/v1";
